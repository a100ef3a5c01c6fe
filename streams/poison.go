package streams

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/redis/go-redis/v9"

	"github.com/docparse/docparse/messages"
)

// undecodableKey is handlers' mark on an entry that was not a Watermill
// message; its payload is the JSON of the entry's original fields.
const undecodableKey = "docparse_undecodable"

// Poisoned is one entry of docparse.poison.
type Poisoned struct {
	ID         string `json:"id"`
	Reason     string `json:"reason"`
	Topic      string `json:"topic"`   // the stream it came from
	Handler    string `json:"handler"` // the consumer that gave up on it
	JobID      string `json:"job_id,omitempty"`
	Page       int    `json:"page,omitempty"`
	Payload    string `json:"payload"`
	Undecoded  bool   `json:"undecodable,omitempty"`
	ReplayedOf string `json:"replayed_from,omitempty"`
}

// Poison lists up to limit poisoned messages, newest first.
func Poison(ctx context.Context, rdb redis.UniversalClient, limit int64) ([]Poisoned, error) {
	entries, err := rdb.XRevRangeN(ctx, messages.StreamPoison, "+", "-", limit).Result()
	if err != nil {
		return nil, fmt.Errorf("XREVRANGE %s: %w", messages.StreamPoison, err)
	}
	out := make([]Poisoned, 0, len(entries))
	for _, e := range entries {
		out = append(out, decodePoisoned(e))
	}
	return out, nil
}

func decodePoisoned(e redis.XMessage) Poisoned {
	p := Poisoned{ID: e.ID}
	msg, err := decode(e.Values)
	if err != nil {
		raw, _ := json.Marshal(e.Values)
		p.Payload, p.Reason = string(raw), "not a Watermill message: "+err.Error()
		return p
	}
	p.Payload = string(msg.Payload)
	p.Reason = msg.Metadata.Get(middleware.ReasonForPoisonedKey)
	p.Topic = msg.Metadata.Get(middleware.PoisonedTopicKey)
	p.Handler = msg.Metadata.Get(middleware.PoisonedHandlerKey)
	p.Undecoded = msg.Metadata.Get(undecodableKey) != ""
	p.ReplayedOf = msg.Metadata.Get(ReplayedFromKey)
	var ref struct {
		JobID string `json:"job_id"`
		Page  int    `json:"page"`
	}
	if json.Unmarshal(msg.Payload, &ref) == nil {
		p.JobID, p.Page = ref.JobID, ref.Page
	}
	return p
}

// ReplayPoison sends a poisoned message back to the stream it came from, as
// a new entry without the poison marks, and removes it from docparse.poison.
// An entry that never decoded goes back with its original fields.
func ReplayPoison(ctx context.Context, rdb redis.UniversalClient, id string) (Poisoned, error) {
	entries, err := rdb.XRangeN(ctx, messages.StreamPoison, id, id, 1).Result()
	if err != nil {
		return Poisoned{}, fmt.Errorf("XRANGE %s %s: %w", messages.StreamPoison, id, err)
	}
	if len(entries) == 0 {
		return Poisoned{}, fmt.Errorf("%s %s: %w", messages.StreamPoison, id, ErrNotFound)
	}
	e := entries[0]
	p := decodePoisoned(e)
	if !knownStream(p.Topic) {
		return p, fmt.Errorf("poisoned entry %s names no docparse stream (%q)", id, p.Topic)
	}
	if err := sendBack(ctx, rdb, p, e); err != nil {
		return p, err
	}
	if err := rdb.XDel(ctx, messages.StreamPoison, id).Err(); err != nil {
		return p, fmt.Errorf("XDEL %s %s: %w", messages.StreamPoison, id, err)
	}
	return p, nil
}

func sendBack(ctx context.Context, rdb redis.UniversalClient, p Poisoned, e redis.XMessage) error {
	if p.Undecoded {
		var orig map[string]any
		if err := json.Unmarshal([]byte(p.Payload), &orig); err != nil || len(orig) == 0 {
			return fmt.Errorf("poisoned entry %s: original fields unreadable", e.ID)
		}
		return xadd(ctx, rdb, p.Topic, orig)
	}
	msg, err := decode(e.Values)
	if err != nil {
		return fmt.Errorf("poisoned entry %s: %w", e.ID, err)
	}
	// Strip the poison marks so a second failure is reported afresh.
	for _, k := range []string{middleware.ReasonForPoisonedKey, middleware.PoisonedTopicKey,
		middleware.PoisonedHandlerKey, middleware.PoisonedSubscriberKey} {
		delete(msg.Metadata, k)
	}
	return copyMessage(ctx, rdb, p.Topic, msg, messages.StreamPoison+"/"+e.ID)
}

func knownStream(s string) bool {
	for _, n := range All {
		if n == s && n != messages.StreamPoison {
			return true
		}
	}
	return false
}
