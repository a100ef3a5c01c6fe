package handlers

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"
)

// detachedPublisher publishes messages with a context that is never
// cancelled. The poison queue publishes the very message that failed, and by
// then the handler's Timeout middleware has cancelled its context; redisstream
// XADDs with the message's context, so the poison entry could not be written,
// the message was nacked and came back every NackResendSleep, forever.
type detachedPublisher struct{ message.Publisher }

func (p detachedPublisher) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		m.SetContext(context.WithoutCancel(m.Context()))
	}
	return p.Publisher.Publish(topic, msgs...)
}
