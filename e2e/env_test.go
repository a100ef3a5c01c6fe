// Package e2e drives docparse end to end: a real redis-server, real PDFs
// rendered by MuPDF, and an OpenAI-compatible server that decodes every image.
package e2e

import (
	"cmp"
	"context"
	"errors"

	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/client"
	"github.com/docparse/docparse/handlers"
	httpapi "github.com/docparse/docparse/http"
	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/ocrsim"
	"github.com/docparse/docparse/redistest"
	"github.com/docparse/docparse/stages/read"
	"github.com/docparse/docparse/stages/render"
	"github.com/docparse/docparse/stages/tesseract"
	"github.com/docparse/docparse/webhook"
)

const (
	deepseekModel = "deepseek-ai/DeepSeek-OCR"
	nanonetsModel = "nanonets/Nanonets-OCR2-3B"
)

// renderOpts are the shipped render settings (IMAGE_FORMAT auto), but for a
// page timeout short enough for TestBadInput's too-complex page; the sample
// pages take milliseconds.
var renderOpts = render.Options{DPI: 144, MaxPixels: 6_000_000, Format: render.FormatAuto, PageTimeout: 3 * time.Second}

// pdfPath finds a document of ../shared/pdfs from the repository.
func pdfPath(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "pdfs", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared test PDFs not found: %v", err)
	}
	return p
}

// env is one docparse deployment for a test.
type env struct {
	redis  *redistest.Server
	rdb    *redis.Client
	store  *jobstore.Store
	sim    *ocrsim.Server
	simURL string
	api    *client.Client
	cancel context.CancelFunc
}

type envOpts struct {
	local        bool
	sim          ocrsim.Options
	allowPartial bool
	maxRetries   int
	workers      int // 0: API only
	syncTimeout  time.Duration
	webhooks     webhook.Options // api_test.go: receivers on 127.0.0.1 need it allowed
	cacheTTL     time.Duration   // 0: no result cache
	streamKeep   time.Duration   // STREAM_RETENTION; 0 keeps every entry
	handlerTime  time.Duration   // bound on a split/classify/assemble run; 0: a minute
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	e := &env{redis: redistest.Start(t)}
	// Every subscriber holds a pooled connection in a blocking read.
	e.rdb = redis.NewClient(&redis.Options{Addr: e.redis.Addr(), PoolSize: 128})
	t.Cleanup(func() { _ = e.rdb.Close() })
	e.store = jobstore.New(e.rdb, time.Hour)
	engines := map[string]read.Engine{}
	if o.local {
		l := read.NewLocal(read.LocalParams{Tesseract: tesseract.New(tesseract.Params{})})
		engines[messages.EngineDeepSeek], engines[messages.EngineNanonets] = l, l
	} else {
		if o.sim.Models == nil {
			o.sim.Models = []string{deepseekModel, nanonetsModel}
		}
		sim, url, stop, err := ocrsim.Start(o.sim)
		require.NoError(t, err)
		t.Cleanup(stop)
		e.sim, e.simURL = sim, url
		for kind, model := range map[string]string{messages.EngineDeepSeek: deepseekModel, messages.EngineNanonets: nanonetsModel} {
			v, err := read.NewVLLM(read.VLLMParams{Kind: kind, BaseURL: url, Model: model, Timeout: 5 * time.Second,
				MaxRetries: o.maxRetries, Concurrency: 8})
			require.NoError(t, err)
			engines[kind] = v
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	done := make(chan struct{}, 2)
	if o.workers >= 0 {
		w, err := handlers.NewWorker(handlers.Params{
			Redis: e.rdb, Store: e.store, Logger: logger, Stages: handlers.AllStages,
			Consumers: max(o.workers, 2), OCRConsumers: 8, Engines: engines, Local: o.local,
			Render: renderOpts, RangePages: 8, Window: 64, ImageTTL: time.Hour, ClaimIdle: 30 * time.Second,
			AllowPartial: o.allowPartial, MaxPages: 5000, CloseTimeout: 5 * time.Second, HandlerTimeout: cmp.Or(o.handlerTime, time.Minute),
			Webhooks: o.webhooks, StreamKeep: o.streamKeep,
		})
		require.NoError(t, err)
		go func() { _ = w.Run(ctx); done <- struct{}{} }()
		<-w.Running()
	}
	pub, err := handlers.NewPublisher(e.rdb, 0, watermill.NopLogger{})
	require.NoError(t, err)
	app := httpapi.New(httpapi.Params{Store: e.store, Publisher: pub, Logger: logger, DefaultMode: "balanced",
		DefaultFormat: "markdown", MaxUploadMB: 50, SyncTimeout: cmp.Or(o.syncTimeout, 20*time.Second),
		Webhooks: o.webhooks, CacheTTL: o.cacheTTL, InferenceMode: "vllm"})
	port := freePort(t)
	go func() { _ = app.Listen(ctx, "127.0.0.1:"+strconv.Itoa(port), 5*time.Second); done <- struct{}{} }()
	e.api = client.New("http://127.0.0.1:"+strconv.Itoa(port), "")
	waitHTTP(t, e.api.Base+"/healthz")
	t.Cleanup(func() {
		cancel()
		for range 2 {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
			}
		}
	})
	return e
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitHTTP(t testing.TB, url string) {
	t.Helper()
	c := client.New(url, "")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := c.HTTP.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not answer", url)
}

// waitDone polls a job until it ends, recording every progress value seen.
func (e *env) waitDone(t testing.TB, id string, timeout time.Duration) (httpapi.Status, []int) {
	t.Helper()
	var seen []int
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		st, err := e.api.Status(context.Background(), id)
		require.NoError(t, err)
		if len(seen) == 0 || seen[len(seen)-1] != st.Progress.CurrentPage {
			seen = append(seen, st.Progress.CurrentPage)
		}
		if jobstore.Final(st.Status) {
			return st, seen
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish within %s", id, timeout)
	return httpapi.Status{}, nil
}

// submit uploads a shared PDF with form options.
func (e *env) submit(t testing.TB, name string, opts map[string]string) string {
	t.Helper()
	sub, err := e.api.Submit(context.Background(), pdfPath(t, name), opts)
	require.NoError(t, err)
	require.Equal(t, "queued", sub.Status)
	return sub.JobID
}

// expectedPages renders a PDF the way split does and returns, per page, the
// identity the simulator gives that image, plus the features of each page.
// Results are cached: several tests ask about the same documents.
func expectedPages(t testing.TB, name string) ([]string, []messages.Features) {
	t.Helper()
	if v, ok := expectedCache.Load(name); ok {
		e := v.(expected)
		return e.ids, e.feats
	}
	b, err := os.ReadFile(pdfPath(t, name))
	require.NoError(t, err)
	doc, err := render.Open(b, renderOpts)
	require.NoError(t, err)
	defer doc.Close()
	e := expected{ids: make([]string, doc.Pages()), feats: make([]messages.Features, doc.Pages())}
	for n := 1; n <= doc.Pages(); n++ {
		p, err := doc.Measure(t.Context(), n)
		require.NoError(t, err)
		require.NoError(t, doc.Render(t.Context(), &p))
		e.ids[n-1], err = ocrsim.ImageID(p.Image)
		require.NoError(t, err)
		e.feats[n-1] = p.Features
	}
	expectedCache.Store(name, e)
	return e.ids, e.feats
}

type expected struct {
	ids   []string
	feats []messages.Features
}

var expectedCache sync.Map

func isAPIError(err error, status int) bool {
	var ae *client.Error
	return errors.As(err, &ae) && ae.Status == status
}

func simWithLatency(d time.Duration) ocrsim.Options {
	return ocrsim.Options{Latency: d, Batch: 32}
}
