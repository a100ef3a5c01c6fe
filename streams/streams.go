// Package streams inspects docparse's Redis Streams and re-delivers entries:
// what `docparse streams`, `docparse replay`, the dashboard's admin endpoints
// and the Prometheus stream collector share. It talks to Redis only; stream
// entries are Watermill messages in redisstream's default encoding.
package streams

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/docparse/docparse/messages"
)

// All lists docparse's streams in pipeline order, poison last.
var All = []string{messages.StreamJobs, messages.StreamPages, messages.StreamDeepSeek, messages.StreamNanonets,
	messages.StreamDone, messages.StreamFinished, messages.StreamPoison}

// Consumer is one consumer of a group, as XINFO CONSUMERS reports it.
type Consumer struct {
	Name       string  `json:"name"`
	Pending    int64   `json:"pending"`
	IdleSec    float64 `json:"idle_seconds"`     // since its last attempted read
	InactivSec float64 `json:"inactive_seconds"` // since its last successful read; -1 if never
}

// Group is one consumer group, as XINFO GROUPS reports it. Lag is -1 when
// Redis cannot tell (entries were trimmed between the group and the end).
type Group struct {
	Name            string     `json:"name"`
	Lag             int64      `json:"lag"`
	Pending         int64      `json:"pending"`
	EntriesRead     int64      `json:"entries_read"`
	LastDeliveredID string     `json:"last_delivered_id"`
	Consumers       []Consumer `json:"consumers"`
}

// Stream is one stream with its groups.
type Stream struct {
	Name   string  `json:"name"`
	Length int64   `json:"length"`
	LastID string  `json:"last_id,omitempty"`
	Groups []Group `json:"groups"`
}

// Inspect reads every docparse stream, its groups and, with consumers set,
// each group's consumers. A stream that does not exist yet has length 0 and
// no groups.
func Inspect(ctx context.Context, rdb redis.UniversalClient, consumers bool) ([]Stream, error) {
	out := make([]Stream, 0, len(All))
	for _, name := range All {
		s, err := inspectOne(ctx, rdb, name, consumers)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func inspectOne(ctx context.Context, rdb redis.UniversalClient, name string, consumers bool) (Stream, error) {
	s := Stream{Name: name, Groups: []Group{}}
	info, err := rdb.XInfoStream(ctx, name).Result()
	if isNoSuchKey(err) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("XINFO STREAM %s: %w", name, err)
	}
	s.Length, s.LastID = info.Length, info.LastGeneratedID
	groups, err := rdb.XInfoGroups(ctx, name).Result()
	if err != nil {
		return s, fmt.Errorf("XINFO GROUPS %s: %w", name, err)
	}
	for _, g := range groups {
		grp := Group{Name: g.Name, Lag: g.Lag, Pending: g.Pending, EntriesRead: g.EntriesRead,
			LastDeliveredID: g.LastDeliveredID, Consumers: []Consumer{}}
		if consumers {
			if grp.Consumers, err = groupConsumers(ctx, rdb, name, g.Name); err != nil {
				return s, err
			}
		}
		s.Groups = append(s.Groups, grp)
	}
	return s, nil
}

func groupConsumers(ctx context.Context, rdb redis.UniversalClient, stream, group string) ([]Consumer, error) {
	cs, err := rdb.XInfoConsumers(ctx, stream, group).Result()
	if err != nil {
		return nil, fmt.Errorf("XINFO CONSUMERS %s %s: %w", stream, group, err)
	}
	out := make([]Consumer, len(cs))
	for i, c := range cs {
		out[i] = Consumer{Name: c.Name, Pending: c.Pending, IdleSec: c.Idle.Seconds(), InactivSec: c.Inactive.Seconds()}
		if c.Inactive < 0 {
			out[i].InactivSec = -1
		}
	}
	return out, nil
}

func isNoSuchKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such key")
}

// ErrNoGroup means the named group does not read the named stream.
var ErrNoGroup = errors.New("no such consumer group on the stream")

// groupOf finds one group of a stream.
func groupOf(ctx context.Context, rdb redis.UniversalClient, stream, group string) (Group, error) {
	s, err := inspectOne(ctx, rdb, stream, false)
	if err != nil {
		return Group{}, err
	}
	for _, g := range s.Groups {
		if g.Name == group {
			return g, nil
		}
	}
	return Group{}, fmt.Errorf("%s on %s: %w", group, stream, ErrNoGroup)
}

// Heartbeats lists the worker processes alive now (their heartbeat keys),
// with the seconds left on each key. The set is small: one key per process.
func Heartbeats(ctx context.Context, rdb redis.UniversalClient) (map[string]float64, error) {
	out := map[string]float64{}
	iter := rdb.Scan(ctx, 0, "docparse:heartbeat:*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		ttl, err := rdb.TTL(ctx, key).Result()
		if err != nil {
			return nil, fmt.Errorf("TTL %s: %w", key, err)
		}
		out[strings.TrimPrefix(key, "docparse:heartbeat:")] = ttl.Seconds()
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("scan heartbeats: %w", err)
	}
	return out, nil
}

// idCeiling is the end of a range when the caller gives no upper bound.
const idCeiling = "+"
