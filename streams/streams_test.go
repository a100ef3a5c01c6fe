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
