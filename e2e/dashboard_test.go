package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/ocrsim"
)

// browser starts Debian's headless Chromium with a fresh profile and no
// network of its own, and returns a chromedp context for one tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("chromium not installed (scripts/deps.sh installs it)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 1000),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first call starts the browser; it must not carry a timeout.
	require.NoError(t, chromedp.Do(ctx), "start chromium")
	return ctx
}

// do runs chromedp steps with a bound, so a page that never shows what is
// awaited fails the test instead of hanging it.
func do(t *testing.T, ctx context.Context, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	require.NoError(t, chromedp.Do(tctx, steps...))
}

// js evaluates a JavaScript expression in the page.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

// text is the visible text of the first element matching a CSS selector.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(t, err, sel)
	return v
}

// pollJS evaluates expr until it returns true, recording every distinct value
// of trace on the way.
func pollJS(t *testing.T, ctx context.Context, timeout time.Duration, expr, trace string) []string {
	t.Helper()
	var seen []string
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		v := js[string](t, ctx, trace)
		if len(seen) == 0 || seen[len(seen)-1] != v {
			seen = append(seen, v)
		}
		if js[bool](t, ctx, expr) {
			return seen
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never true (seen %v)", expr, seen)
	return nil
}

func TestDashboardInChromium(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2, sim: simWithLatency(300 * time.Millisecond)})
	ctx := browser(t)
	pdf, err := filepath.Abs(pdfPath(t, "pdflatex-4-pages.pdf"))
	require.NoError(t, err)

	// Upload through the dashboard's own form; it opens the job's page.
	do(t, ctx, 20*time.Second,
		chromedp.Navigate(e.api.Base+"/dashboard"),
		chromedp.WaitVisible(chromedp.CSS(`#streams tbody tr`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#upload-file`), []string{pdf}),
		chromedp.SetValue(chromedp.CSS(`#upload-mode`), "accurate"),
		chromedp.Click(chromedp.CSS(`#upload-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#view-job #job-progress .bar`)),
	)
	hash := js[string](t, ctx, `location.hash`)
	require.Regexp(t, `^#/jobs/[0-9a-f-]{36}$`, hash)
	jobID := strings.TrimPrefix(hash, "#/jobs/")

	// The progress bar moves to 100 % while the page refreshes itself.
	seen := pollJS(t, ctx, 60*time.Second,
		`document.querySelector('#job-progress .bar')?.dataset.pct === '100' && !document.querySelector('#result-card').hidden`,
		`document.querySelector('#job-progress .bar')?.dataset.pct || ''`)
	require.Equal(t, "100", seen[len(seen)-1], "progress seen: %v", seen)

	// What the job page shows: four pages read by Nanonets (accurate mode),
	// each with its time and a preview, the result, and the actions that fit
	// a completed job.
	title := text(t, ctx, `#job-title`)
	rows := js[int](t, ctx, `document.querySelectorAll('#pages tbody tr').length`)
	nanonetsRows := js[int](t, ctx, `document.querySelectorAll('#pages tbody tr[data-engine="nanonets"]').length`)
	pagesText := text(t, ctx, `#pages tbody`)
	result := text(t, ctx, `#result-preview`)
	cancelHidden := js[bool](t, ctx, `document.querySelector('#act-cancel').hidden`)
	retryHidden := js[bool](t, ctx, `document.querySelector('#act-retry').hidden`)
	downloadHidden := js[bool](t, ctx, `document.querySelector('#act-download').hidden`)
	downloadHref := js[string](t, ctx, `document.querySelector('#act-download').getAttribute('href')`)
	require.Contains(t, title, "pdflatex-4-pages.pdf")
	require.Contains(t, title, "completed")
	require.Equal(t, 4, rows)
	require.Equal(t, 4, nanonetsRows)
	require.Contains(t, pagesText, "done")
	require.NotContains(t, pagesText, "pending")
	require.Contains(t, result, "<!-- page 2 -->")
	require.True(t, cancelHidden, "no cancel on a completed job")
	require.True(t, retryHidden, "no retry without POST /v1/jobs/{id}/retry, or without failed pages")
	require.False(t, downloadHidden)
	require.Equal(t, "/v1/jobs/"+jobID+"/result?download=1", downloadHref)

	// The overview lists the job at 100 %, the groups with their consumers,
	// and a chart bar for the pages just read.
	do(t, ctx, 20*time.Second,
		chromedp.Navigate(e.api.Base+"/dashboard#/"),
		chromedp.WaitVisible(chromedp.CSS(`#jobs tbody tr[data-job="`+jobID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-pages svg rect`)),
	)
	jobPct := js[string](t, ctx, `document.querySelector('#jobs tr[data-job="`+jobID+`"] .bar').dataset.pct`)
	streamsText := text(t, ctx, `#streams tbody`)
	bars := js[int](t, ctx, `document.querySelectorAll('#chart-pages svg rect[fill="#8a4fd0"]').length`)
	require.Equal(t, "100", jobPct)
	for _, s := range []string{messages.StreamJobs, messages.StreamNanonets, messages.StreamDone, "ocr-nanonets", "assemble", "consumers"} {
		require.Contains(t, streamsText, s)
	}
	require.GreaterOrEqual(t, bars, 1, "a Nanonets bar in the pages chart")

	// A message that fails for good shows in the poison view; replaying it
	// sends it back, and it fails again, now marked as a replay.
	payload := fmt.Sprintf(`{"v":99,"job_id":%q,"page":3}`, jobID)
	require.NoError(t, e.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: messages.StreamPages,
		Values: map[string]any{"_watermill_message_uuid": "test-poison", "payload": payload}}).Err())
	do(t, ctx, 20*time.Second,
		chromedp.Navigate(e.api.Base+"/dashboard#/poison"),
		chromedp.WaitVisible(chromedp.CSS(`#poison tbody tr[data-entry]`)),
	)
	firstID := js[string](t, ctx, `document.querySelector('#poison tbody tr[data-entry]').dataset.entry`)
	reason := text(t, ctx, `#poison tbody tr[data-entry]`)
	require.Contains(t, reason, "unsupported version 99")
	require.Contains(t, reason, messages.StreamPages)
	do(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`#poison button[data-replay]`)))
	pollJS(t, ctx, 20*time.Second,
		`[...document.querySelectorAll('#poison tbody tr[data-entry]')].some(r => r.dataset.entry !== '`+firstID+`' && r.textContent.includes('(a replay)'))`,
		`document.querySelector('#poison tbody').textContent.slice(0, 80)`)
	require.Equal(t, int64(1), e.rdb.XLen(context.Background(), messages.StreamPoison).Val(), "the original left the poison stream")

	// Prometheus: the same API serves /metrics with the pipeline's series.
	body := getText(t, e.api.Base+"/metrics")
	for _, m := range []string{
		`docparse_pages_total{engine="nanonets",outcome="ok"}`, `docparse_jobs_total{outcome="completed"}`,
		`docparse_ocr_request_seconds_bucket{engine="nanonets"`, `docparse_stage_handling_seconds_count{stage="assemble"}`,
		`docparse_stream_lag{group="ocr-nanonets",stream="docparse.ocr.nanonets"} 0`, `docparse_stream_pending{group="split",stream="docparse.jobs"}`,
		`docparse_upload_bytes_total`, `docparse_ocr_in_flight{engine="nanonets"} 0`, `docparse_watermill_handler_execution_time_seconds`,
	} {
		require.Contains(t, body, m)
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// TestDashboardScreenshot takes the README's screenshot of the dashboard
// during a 117-page job. It runs only when DOCPARSE_SCREENSHOT names the PNG
// to write (make screenshot), since it takes a few minutes.
func TestDashboardScreenshot(t *testing.T) {
	out := os.Getenv("DOCPARSE_SCREENSHOT")
	if out == "" {
		t.Skip("set DOCPARSE_SCREENSHOT=docs/dashboard.png to take the screenshot")
	}
	e := newEnv(t, envOpts{workers: 2, sim: ocrsim.Options{Latency: 1500 * time.Millisecond, Batch: 8}})
	ctx := browser(t)
	// A few small jobs first, so the job list and the charts have some history.
	for _, name := range []string{"pdflatex-4-pages.pdf", "multicolumn.pdf", "google-doc-document.pdf"} {
		id := e.submit(t, name, map[string]string{"accuracy_mode": "fast"})
		e.waitDone(t, id, time.Minute)
	}
	id := e.submit(t, "GeoTopo-komprimiert.pdf", map[string]string{"accuracy_mode": "balanced"})
	do(t, ctx, 20*time.Second,
		chromedp.Navigate(e.api.Base+"/dashboard"),
		chromedp.WaitVisible(chromedp.CSS(`#jobs tbody tr[data-job="`+id+`"]`)),
	)
	pollJS(t, ctx, 5*time.Minute,
		`+(document.querySelector('#jobs tr[data-job="`+id+`"] .bar')?.dataset.pct || 0) >= 45`,
		`document.querySelector('#jobs tr[data-job="`+id+`"] .bar')?.dataset.pct || ''`)
	// Open the busiest consumer lists, as an operator would.
	js[bool](t, ctx, `document.querySelectorAll('#streams details').forEach(d => { if (/ocr/.test(d.dataset.g)) d.open = true }); true`)
	time.Sleep(2500 * time.Millisecond)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(out), 0o755))
	require.NoError(t, os.WriteFile(out, png, 0o644))
	t.Logf("screenshot written to %s", out)
}
