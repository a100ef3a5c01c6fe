package streams_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/redistest"
	"github.com/docparse/docparse/streams"
)

func add(t *testing.T, rdb *redis.Client, stream, payload string) string {
	t.Helper()
	v, err := redisstream.DefaultMarshallerUnmarshaller{}.Marshal(stream, message.NewMessage("u-"+payload, []byte(payload)))
	require.NoError(t, err)
	id, err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, Values: v}).Result()
	require.NoError(t, err)
	return id
}

func TestInspect(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := context.Background()
	for _, p := range []string{"a", "b", "c"} {
		add(t, rdb, messages.StreamDeepSeek, p)
	}
	require.NoError(t, rdb.XGroupCreate(ctx, messages.StreamDeepSeek, "ocr-deepseek", "0").Err())
	// One consumer takes two entries and acknowledges none: lag 1, pending 2.
	_, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "ocr-deepseek", Consumer: "host-1-ab~ocr-deepseek-0",
		Streams: []string{messages.StreamDeepSeek, ">"}, Count: 2}).Result()
	require.NoError(t, err)

	all, err := streams.Inspect(ctx, rdb, true)
	require.NoError(t, err)
	require.Len(t, all, len(streams.All))
	byName := map[string]streams.Stream{}
	for _, s := range all {
		byName[s.Name] = s
	}
	require.Zero(t, byName[messages.StreamJobs].Length, "a stream not created yet is empty")
	ds := byName[messages.StreamDeepSeek]
	require.EqualValues(t, 3, ds.Length)
	require.Len(t, ds.Groups, 1)
	g := ds.Groups[0]
	require.Equal(t, "ocr-deepseek", g.Name)
	require.EqualValues(t, 1, g.Lag)
	require.EqualValues(t, 2, g.Pending)
	require.Len(t, g.Consumers, 1)
	require.EqualValues(t, 2, g.Consumers[0].Pending)
	require.Less(t, g.Consumers[0].IdleSec, 5.0)
}

// Replay copies only entries the group was given, once, to the stream's end,
// where the group reads them again under new uuids marked with their origin.
func TestReplay(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := context.Background()
	s := messages.StreamDone
	ids := []string{add(t, rdb, s, "p1"), add(t, rdb, s, "p2"), add(t, rdb, s, "p3")}
	require.NoError(t, rdb.XGroupCreate(ctx, s, "assemble", "0").Err())
	got, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "assemble", Consumer: "c", Streams: []string{s, ">"}, Count: 2}).Result()
	require.NoError(t, err)
	require.Len(t, got[0].Messages, 2)

	res, err := streams.Replay(ctx, rdb, s, "assemble", "-", "+")
	require.NoError(t, err)
	require.Equal(t, streams.ReplayResult{Copied: 2, Skipped: 1}, res)
	res, err = streams.Replay(ctx, rdb, s, "assemble", ids[1], ids[1])
	require.NoError(t, err)
	require.Equal(t, 1, res.Copied)

	// The group now reads p3 (never delivered), then the three copies.
	got, err = rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "assemble", Consumer: "c", Streams: []string{s, ">"}, Count: 10, Block: -1}).Result()
	require.NoError(t, err)
	var payloads []string
	for _, m := range got[0].Messages {
		msg, err := redisstream.DefaultMarshallerUnmarshaller{}.Unmarshal(m.Values)
		require.NoError(t, err)
		payloads = append(payloads, string(msg.Payload))
		if string(msg.Payload) != "p3" {
			require.NotEqual(t, "u-"+string(msg.Payload), msg.UUID, "a copy has a uuid of its own")
			require.Contains(t, ids, msg.Metadata.Get(streams.ReplayedFromKey))
		}
	}
	require.Equal(t, []string{"p3", "p1", "p2", "p2"}, payloads)

	_, err = streams.Replay(ctx, rdb, s, "nobody", "-", "+")
	require.ErrorIs(t, err, streams.ErrNoGroup)
}

func TestHeartbeats(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := context.Background()
	require.NoError(t, rdb.Set(ctx, "docparse:heartbeat:host-1-ab", 1, 10*time.Second).Err())
	procs, err := streams.Heartbeats(ctx, rdb)
	require.NoError(t, err)
	require.Len(t, procs, 1)
	require.InDelta(t, 10, procs["host-1-ab"], 1)
}

// TrimAcked removes only what every group has acknowledged, keeps the
// retention, and leaves streams without groups alone.
func TestTrimAcked(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	ctx := context.Background()
	var ids []string
	for _, p := range []string{"a", "b", "c", "d", "e", "f"} {
		ids = append(ids, add(t, rdb, messages.StreamPages, p))
	}
	add(t, rdb, messages.StreamPoison, "p")
	read := func(group string, n int64) []redis.XMessage {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: group + "-0",
			Streams: []string{messages.StreamPages, ">"}, Count: n}).Result()
		require.NoError(t, err)
		return res[0].Messages
	}
	for _, g := range []string{"classify", "audit"} {
		require.NoError(t, rdb.XGroupCreate(ctx, messages.StreamPages, g, "0").Err())
	}
	// classify acknowledged all six; audit was given four and acknowledged
	// the first two and the fourth: the third is pending, the last two unread.
	for _, m := range read("classify", 6) {
		require.NoError(t, rdb.XAck(ctx, messages.StreamPages, "classify", m.ID).Err())
	}
	got := read("audit", 4)
	require.NoError(t, rdb.XAck(ctx, messages.StreamPages, "audit", got[0].ID, got[1].ID, got[3].ID).Err())

	n, err := streams.TrimAcked(ctx, rdb, messages.StreamPages, time.Hour)
	require.NoError(t, err)
	require.Zero(t, n, "nothing is older than the retention")

	// Entry ids are milliseconds: with no retention, an entry of the current
	// millisecond is not older yet, and a fast run adds all within one.
	time.Sleep(2 * time.Millisecond)
	n, err = streams.TrimAcked(ctx, rdb, messages.StreamPages, 0)
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "the two entries before audit's pending one")
	left, err := rdb.XRange(ctx, messages.StreamPages, "-", "+").Result()
	require.NoError(t, err)
	require.Len(t, left, 4)
	require.Equal(t, ids[2], left[0].ID, "audit's pending entry stays")

	require.NoError(t, rdb.XAck(ctx, messages.StreamPages, "audit", got[2].ID).Err())
	n, err = streams.TrimAcked(ctx, rdb, messages.StreamPages, 0)
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "up to the last entry audit was given, which it acknowledged")
	left, err = rdb.XRange(ctx, messages.StreamPages, "-", "+").Result()
	require.NoError(t, err)
	require.Equal(t, []string{ids[3], ids[4], ids[5]}, []string{left[0].ID, left[1].ID, left[2].ID}, "unread entries stay")

	n, err = streams.TrimAcked(ctx, rdb, messages.StreamPoison, 0)
	require.NoError(t, err)
	require.Zero(t, n, "a stream no group reads is kept")
	n, err = streams.TrimAcked(ctx, rdb, "docparse.missing", 0)
	require.NoError(t, err)
	require.Zero(t, n)
}
