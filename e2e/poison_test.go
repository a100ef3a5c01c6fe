package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/handlers"
	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/streams"
)

// watermillEntry is a well-formed stream entry around payload.
func watermillEntry(t *testing.T, stream string, payload string) map[string]any {
	t.Helper()
	v, err := redisstream.DefaultMarshallerUnmarshaller{}.Marshal(stream, message.NewMessage(watermill.NewUUID(), []byte(payload)))
	require.NoError(t, err)
	return v
}

// cpuTime is the CPU this test process has used, workers included.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestPoisonMessages puts undecodable and unprocessable entries on every
// stage's stream: each goes to docparse.poison once, with its reason and
// origin, is acknowledged, and the stages go on without spinning. A message
// that fails every retry goes there too, and `docparse poison replay` sends it
// back once its cause is fixed.
func TestPoisonMessages(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2})
	ctx := context.Background()
	bad := []struct {
		stream string
		values map[string]any
		reason string
	}{
		{messages.StreamJobs, map[string]any{"garbage": "yes"}, "undecodable"},
		{messages.StreamPages, map[string]any{"_watermill_message_uuid": "x", "metadata": "\xff\xfe", "payload": "{}"}, "undecodable"},
		{messages.StreamDone, map[string]any{"payload": "no uuid, no metadata"}, "undecodable"},
		{messages.StreamDeepSeek, watermillEntry(t, messages.StreamDeepSeek, "{not json"), "decode"},
		{messages.StreamNanonets, watermillEntry(t, messages.StreamNanonets, `{"v":99,"job_id":"x","page":1}`), "unsupported version"},
	}
	for _, b := range bad {
		require.NoError(t, e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: b.stream, Values: b.values}).Err())
	}
	waitPoison(t, e.rdb, len(bad))
	list, err := streams.Poison(ctx, e.rdb, 100)
	require.NoError(t, err)
	byTopic := map[string]streams.Poisoned{}
	for _, p := range list {
		byTopic[p.Topic] = p
	}
	for _, b := range bad {
		p, ok := byTopic[b.stream]
		require.True(t, ok, "%s: poisoned with its origin", b.stream)
		require.Contains(t, p.Reason, b.reason, b.stream)
		require.NotEmpty(t, p.Handler)
	}
	for stage, stream := range handlers.StageStream {
		pending, err := e.rdb.XPending(ctx, stream, stage).Result()
		require.NoError(t, err)
		require.Zero(t, pending.Count, "%s: poisoned entries are acknowledged", stream)
	}

	// Nothing loops: no second poisoning, and the workers idle.
	before := cpuTime(t)
	time.Sleep(2 * time.Second)
	used := cpuTime(t) - before
	require.Less(t, used, time.Second, "CPU used in 2 s of idling after poison: %s", used)
	require.EqualValues(t, len(bad), poisonLen(t, e.rdb))

	// A job whose upload vanished fails every retry and is poisoned; once the
	// upload is back, `docparse poison replay` sends it through.
	pdf, err := os.ReadFile(pdfPath(t, "pdflatex-4-pages.pdf"))
	require.NoError(t, err)
	id := uuid.NewString()
	require.NoError(t, e.store.Create(ctx, jobstore.Job{ID: id, Filename: "gone.pdf", Mode: "balanced", Format: "markdown"}, pdf))
	pdfKey := "docparse:job:{" + id + "}:pdf"
	require.NoError(t, e.rdb.Del(ctx, pdfKey).Err())
	pub, err := handlers.NewPublisher(e.rdb, 0, watermill.NopLogger{})
	require.NoError(t, err)
	require.NoError(t, handlers.Publish(pub, messages.StreamJobs, messages.JobSubmitted{V: messages.Version, JobID: id}))
	waitPoison(t, e.rdb, len(bad)+1)
	out := runCLI(t, e, "poison", "list")
	require.Contains(t, out, id)
	require.Contains(t, out, "read upload")
	list, err = streams.Poison(ctx, e.rdb, 1)
	require.NoError(t, err)
	require.Equal(t, id, list[0].JobID)

	require.NoError(t, e.rdb.Set(ctx, pdfKey, pdf, time.Hour).Err())
	out = runCLI(t, e, "poison", "replay", "--id", list[0].ID)
	require.Contains(t, out, "replayed "+list[0].ID+" to docparse.jobs")
	st, _ := e.waitDone(t, id, time.Minute)
	require.Equal(t, "completed", st.Status, "the replayed job goes through")
	md, err := e.api.Download(ctx, id)
	require.NoError(t, err)
	want, _ := expectedPages(t, "pdflatex-4-pages.pdf")
	requirePagesInOrder(t, string(md), want)
	require.EqualValues(t, len(bad), poisonLen(t, e.rdb), "the replayed entry left docparse.poison")
	t.Logf("FIGURES poison: entries=%d (undecodable=3 invalid=2 failed-every-retry=1) replayed=1 idle_cpu=%s", len(bad)+1, used.Round(time.Millisecond))
}

func waitPoison(t *testing.T, rdb *redis.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if poisonLen(t, rdb) >= int64(n) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("docparse.poison did not reach %d entries (has %d)", n, poisonLen(t, rdb))
}

// runCLI runs the docparse binary against the test's Redis.
func runCLI(t *testing.T, e *env, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "REDIS_URL=" + e.redis.URL(), "LOG_LEVEL=warn"}
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.TrimSpace(string(out))
}
