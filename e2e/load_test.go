package e2e

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/ocrsim"
)

// TestFiftyConcurrentUploads uploads 50 mixed documents at once while status
// is polled: every job completes with its own pages (none lost or mixed up)
// and the status endpoint's latency under that load is reported.
func TestFiftyConcurrentUploads(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2, sim: ocrsim.Options{Latency: 50 * time.Millisecond, Batch: 32}})
	mix := []string{"minimal-document.pdf", "pdflatex-4-pages.pdf", "multicolumn.pdf", "habibi.pdf",
		"imagemagick-images.pdf", "pdfkit.pdf", "google-doc-document.pdf", "pdflatex-forms.pdf"}
	const n = 50
	docs := make([]string, n)
	for i := range docs {
		docs[i] = mix[i%len(mix)]
		expectedPages(t, docs[i]) // warm the cache outside the timed part
	}
	ids := make([]string, n)
	var submitted sync.WaitGroup
	start := time.Now()
	for i := range n {
		submitted.Add(1)
		go func() {
			defer submitted.Done()
			sub, err := e.api.Submit(context.Background(), pdfPath(t, docs[i]), nil)
			if err == nil {
				ids[i] = sub.JobID
			}
		}()
	}
	submitted.Wait()
	for i, id := range ids {
		require.NotEmpty(t, id, "upload %d (%s) accepted", i, docs[i])
	}

	lat, stop := pollStatus(t, e, ids)
	pages := 0
	for i, id := range ids {
		st, _ := e.waitDone(t, id, 3*time.Minute)
		require.Equal(t, "completed", st.Status, "%s: %v", docs[i], st.Error)
	}
	elapsed := time.Since(start)
	stop()
	for i, id := range ids {
		md, err := e.api.Download(context.Background(), id)
		require.NoError(t, err)
		want, _ := expectedPages(t, docs[i])
		requirePagesInOrder(t, string(md), want) // its own pages: none mixed up
		pages += len(want)
	}
	samples := lat()
	require.NotEmpty(t, samples)
	slices.Sort(samples)
	q := func(p float64) time.Duration { return samples[int(p*float64(len(samples)-1))] }
	t.Logf("FIGURES load: jobs=%d pages=%d all_completed_in=%s status_requests=%d p50=%s p99=%s max=%s",
		n, pages, elapsed.Round(time.Millisecond), len(samples), q(0.5), q(0.99), samples[len(samples)-1])
}

// pollStatus asks for the status of the jobs in turn from 4 clients until
// stopped, and returns the latencies it saw.
func pollStatus(t *testing.T, e *env, ids []string) (func() []time.Duration, func()) {
	t.Helper()
	var mu sync.Mutex
	var samples []time.Duration
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ctx.Err() == nil; i++ {
				began := time.Now()
				_, err := e.api.Status(ctx, ids[i%len(ids)])
				d := time.Since(began)
				if err == nil {
					mu.Lock()
					samples = append(samples, d)
					mu.Unlock()
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	stop := sync.OnceFunc(func() { cancel(); wg.Wait() })
	t.Cleanup(stop)
	return func() []time.Duration { mu.Lock(); defer mu.Unlock(); return slices.Clone(samples) }, stop
}
