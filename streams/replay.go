package streams

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/redis/go-redis/v9"
)

// ReplayedFromKey is set in the metadata of a copy made by Replay or
// ReplayPoison: the id (or stream and id) of the entry it copies.
const ReplayedFromKey = "replayed_from"

// ReplayResult tells what a replay did.
type ReplayResult struct {
	Copied  int `json:"copied"`
	Skipped int `json:"skipped"` // entries the group has not been given yet: it will read them anyway
}

// Replay re-delivers the entries of stream between from and to (inclusive
// stream ids, "-" and "+" allowed) to group. The group has already been given
// them, and Redis never gives a group an entry twice except through a claim,
// so each entry is copied to the end of the same stream, where the group (and
// any other group on the stream) reads it as new. Entries after the group's
// last-delivered id are skipped: the group reads those anyway. Handlers are
// idempotent, so replaying work already done changes no result.
func Replay(ctx context.Context, rdb redis.UniversalClient, stream, group, from, to string) (ReplayResult, error) {
	var res ReplayResult
	g, err := groupOf(ctx, rdb, stream, group)
	if err != nil {
		return res, err
	}
	if to == "" {
		to = idCeiling
	}
	// Stop at the stream's end as it is now, so the copies themselves are not replayed.
	end, err := lastID(ctx, rdb, stream)
	if err != nil || end == "" {
		return res, err
	}
	if to == idCeiling || compareIDs(to, end) > 0 {
		to = end
	}
	const batch = 500
	start := from
	for {
		entries, err := rdb.XRangeN(ctx, stream, start, to, batch).Result()
		if err != nil {
			return res, fmt.Errorf("XRANGE %s %s %s: %w", stream, start, to, err)
		}
		for _, e := range entries {
			if compareIDs(e.ID, g.LastDeliveredID) > 0 {
				res.Skipped++
				continue
			}
			if err := copyEntry(ctx, rdb, stream, e, e.ID); err != nil {
				return res, err
			}
			res.Copied++
		}
		if len(entries) < batch {
			return res, nil
		}
		start = "(" + entries[len(entries)-1].ID
	}
}

func lastID(ctx context.Context, rdb redis.UniversalClient, stream string) (string, error) {
	e, err := rdb.XRevRangeN(ctx, stream, "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("last entry of %s: %w", stream, err)
	}
	if len(e) == 0 {
		return "", nil
	}
	return e[0].ID, nil
}

// copyEntry appends a copy of e to stream; see copyMessage.
func copyEntry(ctx context.Context, rdb redis.UniversalClient, stream string, e redis.XMessage, origin string) error {
	msg, err := decode(e.Values)
	if err != nil {
		// Not a Watermill message: copy its fields as they are, so it is judged again.
		return xadd(ctx, rdb, stream, e.Values)
	}
	return copyMessage(ctx, rdb, stream, msg, origin)
}

// copyMessage appends msg to stream under a new message uuid, noting where
// it came from, so logs and the poison queue can tell the copy apart.
func copyMessage(ctx context.Context, rdb redis.UniversalClient, stream string, msg *message.Message, origin string) error {
	out := message.NewMessage(watermill.NewUUID(), msg.Payload)
	for k, v := range msg.Metadata {
		out.Metadata.Set(k, v)
	}
	out.Metadata.Set(ReplayedFromKey, origin)
	values, err := redisstream.DefaultMarshallerUnmarshaller{}.Marshal(stream, out)
	if err != nil {
		return fmt.Errorf("encode copy of %s: %w", origin, err)
	}
	return xadd(ctx, rdb, stream, values)
}

func xadd(ctx context.Context, rdb redis.UniversalClient, stream string, values map[string]any) error {
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: values}).Err(); err != nil {
		return fmt.Errorf("XADD %s: %w", stream, err)
	}
	return nil
}

// compareIDs orders two stream ids "ms-seq"; a missing sequence counts as 0.
func compareIDs(a, b string) int {
	am, as := splitID(a)
	bm, bs := splitID(b)
	switch {
	case am != bm:
		return cmpU(am, bm)
	default:
		return cmpU(as, bs)
	}
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func splitID(id string) (uint64, uint64) {
	var ms, seq uint64
	if _, err := fmt.Sscanf(id, "%d-%d", &ms, &seq); err != nil {
		_, _ = fmt.Sscanf(id, "%d", &ms)
	}
	return ms, seq
}

// ErrNotFound means no entry has the given id.
var ErrNotFound = errors.New("no such stream entry")

// decode reads a stream entry as a Watermill message. redisstream's
// unmarshaller panics on some malformed entries; that is an error here.
func decode(values map[string]any) (msg *message.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = nil, fmt.Errorf("malformed entry: %v", r)
		}
	}()
	return redisstream.DefaultMarshallerUnmarshaller{}.Unmarshal(values)
}
