package e2e

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/ocrsim"
)

// soak is set by `make soak`: the fault tests then run longer, with more
// jobs, kills and restarts.
var soak = os.Getenv("DOCPARSE_SOAK") != ""

// faultDocs are the documents of the fault tests: 17 pages of text, columns,
// images and rotated pages; the soak adds the 117-page book.
func faultDocs() []string {
	docs := []string{"pdflatex-4-pages.pdf", "multicolumn.pdf", "habibi-rotated.pdf", "imagemagick-images.pdf"}
	if soak {
		docs = append(docs, "GeoTopo-komprimiert.pdf", "pdflatex-4-pages.pdf", "imagemagick-images.pdf")
	}
	return docs
}

// faultEnv is what every process of a fault test shares: a heartbeat short
// enough that a killed worker's messages are claimed within seconds.
func faultEnv(t *testing.T, sim ocrsim.Options) *cluster {
	return newCluster(t, sim, map[string]string{
		"HEARTBEAT_TTL": "2s", "SPLIT_RANGE_PAGES": "4", "SHUTDOWN_TIMEOUT": "5s", "OCR_MAX_RETRIES": "2",
	})
}

// submitAll uploads each document and returns the job ids in order.
func (c *cluster) submitAll(t *testing.T, docs []string, opts map[string]string) []string {
	t.Helper()
	ids := make([]string, len(docs))
	for i, d := range docs {
		sub, err := c.api.Submit(context.Background(), pdfPath(t, d), opts)
		require.NoError(t, err)
		ids[i] = sub.JobID
	}
	return ids
}

// requireExactlyOnce proves a finished job holds every page once: the output
// has one section per page in order, each page was recorded once, the
// counters agree, and docparse.finished announced the job once.
func (c *cluster) requireExactlyOnce(t *testing.T, id, doc string) string {
	t.Helper()
	want, _ := expectedPages(t, doc)
	st, err := c.api.Status(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, "completed", st.Status, "%s: %v", doc, st.Error)
	require.Equal(t, len(want), st.Progress.TotalPages)
	require.Equal(t, len(want), st.Progress.CurrentPage, "done_pages counts each page once")
	require.Zero(t, st.Progress.FailedPages)
	rdb := c.redis.Client(t)
	n, err := rdb.HLen(context.Background(), "docparse:job:{"+id+"}:pages").Result()
	require.NoError(t, err)
	require.EqualValues(t, len(want), n)
	require.Equal(t, 1, finishedCount(t, rdb, id), "one JobFinished per job")
	md, err := c.api.Download(context.Background(), id)
	require.NoError(t, err)
	requirePagesInOrder(t, string(md), want)
	return string(md)
}

// finishedCount counts the JobFinished messages announcing job id.
func finishedCount(t *testing.T, rdb *redis.Client, id string) int {
	t.Helper()
	entries, err := rdb.XRange(context.Background(), messages.StreamFinished, "-", "+").Result()
	require.NoError(t, err)
	n := 0
	for _, e := range entries {
		msg, err := redisstream.DefaultMarshallerUnmarshaller{}.Unmarshal(e.Values)
		require.NoError(t, err)
		var f messages.JobFinished
		require.NoError(t, json.Unmarshal(msg.Payload, &f))
		if f.JobID == id {
			n++
		}
	}
	return n
}

func poisonLen(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	n, err := rdb.XLen(context.Background(), messages.StreamPoison).Result()
	require.NoError(t, err)
	return n
}

// workerPool keeps n worker processes running and kills them on demand.
type workerPool struct {
	t     *testing.T
	env   map[string]string
	mu    sync.Mutex
	procs []*proc
	kills int
}

func newWorkerPool(t *testing.T, env map[string]string, n int) *workerPool {
	w := &workerPool{t: t, env: env}
	for range n {
		w.procs = append(w.procs, startProc(t, env, "worker"))
	}
	return w
}

// killOne SIGKILLs a random worker and starts a replacement, so capacity
// stays and the dead one's messages must be claimed by the others.
func (w *workerPool) killOne(r *rand.Rand) {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := r.IntN(len(w.procs))
	w.procs[i].kill()
	w.kills++
	w.procs[i] = startProc(w.t, w.env, "worker")
}

// TestWorkerKillsLoseNothing SIGKILLs worker processes at random moments
// while several jobs run, and requires the same output as a run without
// kills: every page exactly once, in order, nothing poisoned.
func TestWorkerKillsLoseNothing(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DOCPARSE_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (DOCPARSE_SEED=%d reproduces the kill schedule)", seed, seed)
	r := rand.New(rand.NewPCG(seed, seed))
	c := faultEnv(t, ocrsim.Options{Latency: 300 * time.Millisecond, Batch: 32})
	startProc(t, c.with("NUM_WORKERS", "0"), "api")
	waitHTTP(t, c.api.Base+"/healthz")
	pool := newWorkerPool(t, c.with("NUM_WORKERS", "1"), 3)
	docs := faultDocs()

	// The run without kills.
	baseline := map[string]string{}
	for i, id := range c.submitAll(t, docs, nil) {
		c.waitDone(t, id, 2*time.Minute)
		baseline[docs[i]] = c.requireExactlyOnce(t, id, docs[i])
	}

	maxKills := 4
	if soak {
		maxKills = 25
	}
	start, callsBefore := time.Now(), c.sim.Stats().Requests
	docs = append(docs, docs...) // each document twice, at once
	ids := c.submitAll(t, docs, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, id := range ids {
			c.waitDone(t, id, 5*time.Minute)
		}
	}()
	kill := time.After(time.Duration(200+r.IntN(800)) * time.Millisecond)
loop:
	for {
		select {
		case <-done:
			break loop
		case <-kill:
			if pool.kills < maxKills {
				pool.killOne(r)
				kill = time.After(time.Duration(300+r.IntN(1200)) * time.Millisecond)
			}
		}
	}
	pages := 0
	for i, id := range ids {
		md := c.requireExactlyOnce(t, id, docs[i])
		require.Equal(t, baseline[docs[i]], md, "%s: same output as the run without kills", docs[i])
		want, _ := expectedPages(t, docs[i])
		pages += len(want)
	}
	require.Zero(t, poisonLen(t, c.redis.Client(t)), "a kill poisons nothing")
	require.Positive(t, pool.kills)
	calls := c.sim.Stats().Requests - callsBefore
	t.Logf("FIGURES kills: jobs=%d pages=%d kills=%d ocr_calls=%d (repeated after kills: %d) lost=0 duplicated=0 elapsed=%s",
		len(ids), pages, pool.kills, calls, calls-int64(pages), time.Since(start).Round(time.Millisecond))
}

// TestRedisRestartMidJob stops Redis while jobs run: the API answers 503 on
// /readyz and uploads at once rather than hanging, and once Redis is back
// (with its append-only file) the API and the workers carry on by themselves.
func TestRedisRestartMidJob(t *testing.T) {
	c := faultEnv(t, ocrsim.Options{Latency: 200 * time.Millisecond, Batch: 32})
	startProc(t, c.with("NUM_WORKERS", "1"), "api")
	startProc(t, c.with("NUM_WORKERS", "1"), "worker")
	waitHTTP(t, c.api.Base+"/healthz")
	docs := faultDocs()
	ids := c.submitAll(t, docs, nil)
	restarts := 1
	if soak {
		restarts = 4
	}
	pdf, err := os.ReadFile(pdfPath(t, "minimal-document.pdf"))
	require.NoError(t, err)
	for i := range restarts {
		waitProgress(t, c, ids[min(i, len(ids)-1)])
		c.redis.Stop()
		began := time.Now()
		r := get(t, c.api.Base+"/readyz")
		require.Equal(t, 503, r.status, "readyz while Redis is away")
		require.Less(t, time.Since(began), 3*time.Second, "readyz answers, not hangs")
		began = time.Now()
		up := postForm(t, c.api.Base+"/v1/process/async", nil, "while-down.pdf", pdf)
		require.Equal(t, 503, up.status, "an upload while Redis is away")
		require.Equal(t, "5", up.header.Get("Retry-After"))
		require.Less(t, time.Since(began), 5*time.Second, "the upload answers, not hangs")
		require.Equal(t, 200, get(t, c.api.Base+"/healthz").status, "the process itself is up")
		time.Sleep(2 * time.Second) // workers meet read errors for a while
		require.NoError(t, c.redis.Restart())
	}
	for i, id := range ids {
		c.waitDone(t, id, 3*time.Minute)
		c.requireExactlyOnce(t, id, docs[i])
	}
	require.Equal(t, 200, get(t, c.api.Base+"/readyz").status)
	after := c.submitAll(t, []string{"minimal-document.pdf"}, nil)
	c.waitDone(t, after[0], time.Minute)
	c.requireExactlyOnce(t, after[0], "minimal-document.pdf")
	require.Zero(t, poisonLen(t, c.redis.Client(t)), "Redis away poisons nothing")
	t.Logf("FIGURES redis: jobs=%d restarts=%d lost=0 duplicated=0", len(ids)+1, restarts)
}

// waitProgress waits until a job has recorded a page, so a fault lands mid-job.
func waitProgress(t *testing.T, c *cluster, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		st, err := c.api.Status(context.Background(), id)
		if err == nil && st.Progress.CurrentPage > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s made no progress", id)
}

// TestGracefulShutdownHandsBack sends SIGTERM to the only worker while pages
// are being read: it exits within SHUTDOWN_TIMEOUT, poisons nothing, and a
// new worker finishes the job with every page once.
func TestGracefulShutdownHandsBack(t *testing.T) {
	c := faultEnv(t, ocrsim.Options{Latency: time.Second, Batch: 32})
	startProc(t, c.with("NUM_WORKERS", "0"), "api")
	waitHTTP(t, c.api.Base+"/healthz")
	first := startProc(t, c.with("NUM_WORKERS", "1"), "worker")
	docs := []string{"imagemagick-images.pdf", "pdflatex-4-pages.pdf"}
	ids := c.submitAll(t, docs, nil)
	deadline := time.Now().Add(time.Minute)
	for c.sim.Stats().InFlight == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.Positive(t, c.sim.Stats().InFlight, "pages are being read when SIGTERM comes")
	began := time.Now()
	require.True(t, first.stop(6*time.Second), "the worker exits within SHUTDOWN_TIMEOUT")
	t.Logf("worker exited %s after SIGTERM", time.Since(began).Round(time.Millisecond))
	for _, id := range ids {
		st, err := c.api.Status(context.Background(), id)
		require.NoError(t, err)
		require.NotEqual(t, "completed", st.Status, "the job was cut off mid-way")
	}
	startProc(t, c.with("NUM_WORKERS", "1"), "worker")
	for i, id := range ids {
		c.waitDone(t, id, time.Minute)
		c.requireExactlyOnce(t, id, docs[i])
	}
	require.Zero(t, poisonLen(t, c.redis.Client(t)), "a shutdown poisons nothing")
}
