package metrics_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/metrics"
	"github.com/docparse/docparse/redistest"
)

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// A worker's metrics server answers /metrics with the process's own series
// and the stream gauges read from Redis, and stops with its context.
func TestServe(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	bg := context.Background()
	require.NoError(t, rdb.XAdd(bg, &redis.XAddArgs{Stream: messages.StreamDone, Values: map[string]any{"payload": "x"}}).Err())
	require.NoError(t, rdb.XGroupCreate(bg, messages.StreamDone, "assemble", "0").Err())
	metrics.PagesTotal.WithLabelValues("deepseek", metrics.OutcomeOK).Inc()

	addr := freeAddr(t)
	done := make(chan error, 1)
	go func() { done <- metrics.Serve(ctx, addr, rdb, nil) }()
	var body string
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond)
	for _, want := range []string{
		`docparse_stream_lag{group="assemble",stream="docparse.done"} 1`,
		`docparse_stream_pending{group="assemble",stream="docparse.done"} 0`,
		`docparse_stream_length{stream="docparse.done"} 1`,
		`docparse_stream_scrape_ok 1`,
		`docparse_pages_total{engine="deepseek",outcome="ok"} 1`,
		`# TYPE docparse_ocr_request_seconds histogram`,
		`go_goroutines`,
	} {
		require.Contains(t, body, want)
	}
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("metrics server did not stop")
	}
}

// With Redis gone the scrape still answers, with scrape_ok 0.
func TestStreamCollectorRedisDown(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: freeAddr(t), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	rec := &recorder{header: http.Header{}}
	req, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
	metrics.Handler(metrics.NewStreamCollector(rdb, nil)).ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.status)
	require.Contains(t, rec.body.String(), "docparse_stream_scrape_ok 0")
}

type recorder struct {
	header http.Header
	body   strings.Builder
	status int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }
