package e2e

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/ocrsim"
)

// TestOCRFaultsAreRetried serves every kind of fault the simulator knows
// (500s, hung connections, malformed JSON, empty answers, repetition loops):
// calls are bounded and retried, and every job still completes correctly.
func TestOCRFaultsAreRetried(t *testing.T) {
	plan := ocrsim.FaultPlan{Status500Every: 6, HangEvery: 23, MalformedEvery: 10, EmptyEvery: 14, RepeatEvery: 18}
	e := newEnv(t, envOpts{workers: 2, maxRetries: 8, sim: ocrsim.Options{Faults: plan, Latency: 20 * time.Millisecond}})
	docs := []string{"pdflatex-4-pages.pdf", "multicolumn.pdf", "imagemagick-images.pdf", "habibi-rotated.pdf", "pdflatex-4-pages.pdf", "multicolumn.pdf"}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = e.submit(t, d, map[string]string{"accuracy_mode": "accurate"})
	}
	for i, id := range ids {
		st, _ := e.waitDone(t, id, 2*time.Minute)
		require.Equal(t, "completed", st.Status, "%s: %v", docs[i], st.Error)
		md, err := e.api.Download(context.Background(), id)
		require.NoError(t, err)
		want, _ := expectedPages(t, docs[i])
		requirePagesInOrder(t, string(md), want)
	}
	stats := e.sim.Stats()
	require.Positive(t, stats.Faults)
	t.Logf("FIGURES ocr-faults: jobs=%d ocr_calls=%d faults_injected=%d lost=0", len(ids), stats.Requests, stats.Faults)
}

// TestOCRPageThatKeepsFailing: a page whose every attempt fails is recorded
// with its error; the job fails naming the pages and the reason, or with
// ALLOW_PARTIAL=true completes with a marked placeholder for each.
func TestOCRPageThatKeepsFailing(t *testing.T) {
	for _, partial := range []bool{false, true} {
		name := map[bool]string{false: "job fails", true: "partial result"}[partial]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{workers: 2, maxRetries: 1, allowPartial: partial,
				sim: ocrsim.Options{Faults: ocrsim.FaultPlan{FailFirst: 1 << 30}}})
			id := e.submit(t, "pdflatex-4-pages.pdf", nil)
			st, _ := e.waitDone(t, id, time.Minute)
			require.Equal(t, 4, st.Progress.FailedPages)
			page := get(t, e.api.Base+"/v1/jobs/"+id+"/pages/2")
			require.Contains(t, page.body["error"], "500", "the page is stored with its error")
			if !partial {
				require.Equal(t, "failed", st.Status)
				require.Contains(t, *st.Error, "4 of 4 pages failed")
				for _, p := range []string{"page 1:", "page 2:", "page 3:", "page 4:"} {
					require.Contains(t, *st.Error, p)
				}
				require.Contains(t, *st.Error, "injected fault")
				return
			}
			require.Equal(t, "completed", st.Status)
			require.NotNil(t, st.Error, "a partial result still says what failed")
			md, err := e.api.Download(context.Background(), id)
			require.NoError(t, err)
			for _, p := range []string{"page 1 could not be read", "page 4 could not be read"} {
				require.Contains(t, string(md), p)
			}
			require.Equal(t, 4, strings.Count(string(md), "[docparse: page"))
		})
	}
}

// switchable serves an ocrsim on a fixed address that can be taken down
// (connections refused, requests in flight cut) and brought back.
type switchable struct {
	sim  *ocrsim.Server
	addr string
	mu   sync.Mutex
	hs   *http.Server
}

func newSwitchable(t *testing.T, o ocrsim.Options) *switchable {
	s := &switchable{sim: ocrsim.New(o)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.down)
	return s
}

func (s *switchable) url() string { return "http://" + s.addr + "/v1" }

func (s *switchable) serve(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hs = &http.Server{Handler: s.sim}
	go func() { _ = s.hs.Serve(ln) }()
}

func (s *switchable) down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hs != nil {
		_ = s.hs.Close()
		s.hs = nil
	}
}

func (s *switchable) up(t *testing.T) {
	ln, err := net.Listen("tcp", s.addr)
	require.NoError(t, err)
	s.serve(ln)
}

// TestOCRServerDownJobsWait takes the OCR server away while pages are being
// read: /readyz says so, the job waits without failing pages or burning
// retries, and completes once the server is back.
func TestOCRServerDownJobsWait(t *testing.T) {
	srv := newSwitchable(t, ocrsim.Options{Latency: 500 * time.Millisecond})
	c := faultEnv(t, ocrsim.Options{})
	env := c.with("VLLM_DEEPSEEK_URL", srv.url(), "VLLM_NANONETS_URL", srv.url(), "NUM_WORKERS", "1")
	startProc(t, env, "api")
	waitHTTP(t, c.api.Base+"/healthz")
	require.Equal(t, 200, get(t, c.api.Base+"/readyz").status)
	ids := c.submitAll(t, []string{"imagemagick-images.pdf"}, nil)
	deadline := time.Now().Add(30 * time.Second)
	for srv.sim.Stats().InFlight == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	srv.down() // cuts the calls in flight too
	r := get(t, c.api.Base+"/readyz")
	require.Equal(t, 503, r.status)
	checks := r.body["checks"].(map[string]any)
	require.Contains(t, checks["deepseek"], "not ready")
	require.Equal(t, "ok", checks["redis"])
	time.Sleep(12 * time.Second) // longer than every retry of OCR_MAX_RETRIES=2 and one readiness wait
	st, err := c.api.Status(context.Background(), ids[0])
	require.NoError(t, err)
	require.Equal(t, "processing", st.Status, "the job waits for the server")
	require.Zero(t, st.Progress.FailedPages, "no page failed for a server that is down")
	srv.up(t)
	c.waitDone(t, ids[0], time.Minute)
	c.requireExactlyOnce(t, ids[0], "imagemagick-images.pdf")
	require.Equal(t, 200, get(t, c.api.Base+"/readyz").status)
	require.Zero(t, poisonLen(t, c.redis.Client(t)))
}

// TestCancelDropsRemainingPages cancels a long job while it runs: the
// remaining pages are dropped without OCR calls, the images are deleted and
// the job says cancelled.
func TestCancelDropsRemainingPages(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2, sim: ocrsim.Options{Latency: 300 * time.Millisecond, Batch: 4}})
	id := e.submit(t, "GeoTopo-komprimiert.pdf", map[string]string{"accuracy_mode": "accurate"})
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		st, err := e.api.Status(context.Background(), id)
		require.NoError(t, err)
		if st.Progress.CurrentPage >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, err := e.api.Cancel(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, "cancelled", st.Status)
	atCancel := e.sim.Stats().Requests
	time.Sleep(3 * time.Second)
	after := e.sim.Stats().Requests
	// Calls already sent when the job was cancelled may finish; no new page starts.
	require.LessOrEqual(t, after-atCancel, int64(8+4), "OCR calls after cancel")
	require.Less(t, after, int64(60), "most of the 117 pages were never sent")
	st, err = e.api.Status(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, "cancelled", st.Status)
	keys, err := e.rdb.Keys(context.Background(), "docparse:job:{"+id+"}:img:*").Result()
	require.NoError(t, err)
	require.Empty(t, keys, "no page image is left behind")
	n, err := e.rdb.Exists(context.Background(), "docparse:job:{"+id+"}:inflight").Result()
	require.NoError(t, err)
	require.Zero(t, n)
	again, err := e.api.Cancel(context.Background(), id)
	require.NoError(t, err, "cancelling twice is harmless")
	require.Equal(t, "cancelled", again.Status)
	require.Equal(t, 409, get(t, e.api.Base+"/v1/jobs/"+id+"/result").status)
	t.Logf("FIGURES cancel: pages=117 ocr_calls=%d calls_after_cancel=%d images_left=0", after, after-atCancel)
}
