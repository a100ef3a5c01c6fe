package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/redis/go-redis/v9"
)

// sharedClient lets many subscribers use one go-redis pool: redisstream's
// Subscriber.Close closes its client, which must not end the others'.
type sharedClient struct{ redis.UniversalClient }

func (sharedClient) Close() error { return nil }

// undecodableKey marks a stream entry that was not a Watermill message.
const undecodableKey = "docparse_undecodable"

// tolerantUnmarshaller turns an entry that fails to unmarshal into a message
// flagged undecodable instead of an error, because redisstream stops the whole
// subscription on an unmarshal error. The flagged message goes to poison.
type tolerantUnmarshaller struct {
	redisstream.DefaultMarshallerUnmarshaller
}

func (t tolerantUnmarshaller) Unmarshal(values map[string]any) (msg *message.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = undecodable(values, fmt.Errorf("panic: %v", r)), nil
		}
	}()
	msg, err = t.DefaultMarshallerUnmarshaller.Unmarshal(values)
	if err != nil {
		return undecodable(values, err), nil
	}
	return msg, nil
}

func undecodable(values map[string]any, cause error) *message.Message {
	raw, _ := json.Marshal(values)
	m := message.NewMessage(watermill.NewUUID(), raw)
	m.Metadata.Set(undecodableKey, cause.Error())
	return m
}

// errPermanent wraps errors that retrying cannot fix: such messages go to
// poison at once.
type errPermanent struct{ err error }

func (e errPermanent) Error() string { return e.err.Error() }
func (e errPermanent) Unwrap() error { return e.err }

func permanent(err error) error { return errPermanent{err} }

// errWait means the message should come back later without counting as a
// failure: an OCR server is down, so jobs wait rather than burn retries.
var errWait = errors.New("dependency unavailable, message handed back")

func subscriberConfig(rdb redis.UniversalClient, group, consumer string, idle time.Duration, shouldClaim func(redis.XPendingExt) bool) redisstream.SubscriberConfig {
	return redisstream.SubscriberConfig{
		Client:                        sharedClient{rdb},
		Unmarshaller:                  tolerantUnmarshaller{},
		ConsumerGroup:                 group,
		Consumer:                      consumer,
		NackResendSleep:               2 * time.Second,
		BlockTime:                     time.Second,
		ClaimInterval:                 2 * time.Second,
		ClaimBatchSize:                16,
		MaxIdleTime:                   idle,
		CheckConsumersInterval:        time.Minute,
		ConsumerTimeout:               10 * time.Minute,
		OldestId:                      "0",
		DisableIndefiniteInitialBlock: true,
		ShouldClaimPendingMessage:     shouldClaim,
	}
}

// NewPublisher returns a redisstream publisher on a shared client.
func NewPublisher(rdb redis.UniversalClient, maxLen int64, logger watermill.LoggerAdapter) (*redisstream.Publisher, error) {
	p, err := redisstream.NewPublisher(redisstream.PublisherConfig{Client: sharedClient{rdb}, DefaultMaxlen: maxLen}, logger)
	if err != nil {
		return nil, fmt.Errorf("new publisher: %w", err)
	}
	return p, nil
}

// Publish marshals v and publishes it on topic.
func Publish(pub message.Publisher, topic string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode for %s: %w", topic, err)
	}
	if err := pub.Publish(topic, message.NewMessage(watermill.NewUUID(), b)); err != nil {
		return fmt.Errorf("publish to %s: %w", topic, err)
	}
	return nil
}
