package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/handlers"
	httpapi "github.com/docparse/docparse/http"
	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/redistest"
)

// serve runs an App with p on a free port against rdb (no workers: jobs stay
// queued) and returns its base URL.
func serve(t *testing.T, rdb *redis.Client, p httpapi.Params) string {
	t.Helper()
	pub, err := handlers.NewPublisher(rdb, 0, watermill.NopLogger{})
	require.NoError(t, err)
	p.Store, p.Publisher = jobstore.New(rdb, time.Hour), pub
	p.DefaultMode, p.DefaultFormat, p.SyncTimeout = "balanced", "markdown", time.Second
	if p.MaxUploadMB == 0 {
		p.MaxUploadMB = 50
	}
	app := httpapi.New(p)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = app.Listen(ctx, addr, time.Second); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	base := "http://" + addr
	for range 200 {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return base
}

func sharedPDF(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "pdfs", name))
	if err != nil {
		t.Skipf("shared PDFs not found: %v", err)
	}
	return b
}

// form builds a multipart upload of data as "file".
func form(t *testing.T, data []byte) (string, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, err := mw.CreateFormFile("file", "doc.pdf")
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	return mw.FormDataContentType(), body.Bytes()
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func call(t *testing.T, method, url string, header map[string]string, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(b, &a.body)
	return a
}

func upload(t *testing.T, base string, header map[string]string, data []byte) answer {
	t.Helper()
	ct, body := form(t, data)
	h := map[string]string{"Content-Type": ct}
	for k, v := range header {
		h[k] = v
	}
	return call(t, http.MethodPost, base+"/v1/process/async", h, bytes.NewReader(body))
}

func TestAPIKeysIsolateOwners(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	const alpha, beta = "alpha-secret-key-1", "beta-secret-key-2"
	base := serve(t, rdb, httpapi.Params{APIKeys: []string{alpha, beta}})
	pdf := sharedPDF(t, "minimal-document.pdf")
	a := map[string]string{"X-API-Key": alpha}
	b := map[string]string{"Authorization": "Bearer " + beta}

	cases := []struct {
		name   string
		header map[string]string
		status int
	}{
		{"no key", nil, 401},
		{"wrong key", map[string]string{"X-API-Key": "nope"}, 401},
		{"prefix of a key", map[string]string{"X-API-Key": alpha[:5]}, 401},
		{"bearer, wrong", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"X-API-Key", a, 202},
		{"bearer", b, 202},
	}
	for _, tc := range cases {
		r := upload(t, base, tc.header, pdf)
		require.Equal(t, tc.status, r.status, tc.name)
	}
	require.Equal(t, 200, call(t, "GET", base+"/healthz", nil, nil).status, "probes need no key")

	mine := upload(t, base, a, pdf).body["job_id"].(string)
	require.Equal(t, 200, call(t, "GET", base+"/v1/jobs/"+mine+"/status", a, nil).status)
	for _, path := range []string{"/status", "/result", "/pages"} {
		require.Equal(t, 404, call(t, "GET", base+"/v1/jobs/"+mine+path, b, nil).status, "another key's job is not there for "+path)
	}
	require.Equal(t, 404, call(t, "DELETE", base+"/v1/jobs/"+mine, b, nil).status, "nor can it be cancelled")
	list := call(t, "GET", base+"/v1/jobs", b, nil)
	for _, j := range list.body["jobs"].([]any) {
		require.NotEqual(t, mine, j.(map[string]any)["job_id"], "another key's job is not listed")
	}
	require.Equal(t, float64(1), list.body["count"], "beta sees its own job only")
	require.Equal(t, 200, call(t, "DELETE", base+"/v1/jobs/"+mine, a, nil).status)

	// Neither key is stored anywhere in Redis, only a hash.
	keys, err := rdb.Keys(context.Background(), "*").Result()
	require.NoError(t, err)
	for _, k := range keys {
		typ, _ := rdb.Type(context.Background(), k).Result()
		var dump string
		switch typ {
		case "hash":
			m, _ := rdb.HGetAll(context.Background(), k).Result()
			dump = strings.Join(func() []string {
				var s []string
				for kk, v := range m {
					s = append(s, kk+"="+v)
				}
				return s
			}(), " ")
		case "string":
			dump, _ = rdb.Get(context.Background(), k).Result()
		}
		require.NotContains(t, dump, alpha, k)
		require.NotContains(t, dump, beta, k)
	}
}

func TestRateLimitSharedByReplicas(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	p := httpapi.Params{RateLimit: 5}
	replicas := []string{serve(t, rdb, p), serve(t, rdb, p)}
	id := "/v1/jobs/00000000-0000-0000-0000-000000000000/status"
	for i := range 5 {
		r := call(t, "GET", replicas[i%2]+id, nil, nil)
		require.Equal(t, 404, r.status, "request %d is within the limit", i+1)
	}
	r := call(t, "GET", replicas[1]+id, nil, nil)
	require.Equal(t, 429, r.status, "the sixth request, on either replica, is over")
	retry, err := strconv.Atoi(r.header.Get("Retry-After"))
	require.NoError(t, err)
	require.True(t, retry >= 1 && retry <= 60, "Retry-After %d", retry)
	require.Equal(t, "rate_limited", r.body["error"].(map[string]any)["code"])
	require.Equal(t, 200, call(t, "GET", replicas[0]+"/healthz", nil, nil).status, "probes are not limited")
}

func TestCORSOrigins(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	base := serve(t, srv.Client(t), httpapi.Params{CORSOrigins: "https://app.example.com", APIKeys: []string{"k"}})
	pre := call(t, http.MethodOptions, base+"/v1/process/async", map[string]string{
		"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "X-API-Key"}, nil)
	require.Equal(t, 204, pre.status, "a preflight needs no key")
	require.Equal(t, "https://app.example.com", pre.header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, strings.ToLower(pre.header.Get("Access-Control-Allow-Headers")), "x-api-key")
	other := call(t, "GET", base+"/healthz", map[string]string{"Origin": "https://evil.example.com"}, nil)
	require.Empty(t, other.header.Get("Access-Control-Allow-Origin"))
}

// tooLarge posts an oversized upload the way curl does, asking with Expect:
// 100-continue first. The server answers 413 and closes the connection
// without reading the rest, so a client still writing may see the reset
// before the answer; such an attempt is tried again, a few times at most.
func tooLarge(t *testing.T, url string, h map[string]string, body func() io.Reader) answer {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second, DisableKeepAlives: true}}
	var lastErr error
	for range 5 {
		req, err := http.NewRequest("POST", url, body())
		require.NoError(t, err)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		req.Header.Set("Expect", "100-continue")
		resp, err := c.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		a := answer{status: resp.StatusCode, header: resp.Header}
		_ = json.Unmarshal(b, &a.body)
		return a
	}
	t.Fatalf("no answer to an oversized upload: %v", lastErr)
	return answer{}
}

// chunked hides a body's length, so the client sends it chunked.
type chunked struct{ io.Reader }

func TestUploadLimits(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	base := serve(t, srv.Client(t), httpapi.Params{MaxUploadMB: 1, MaxPages: 3})
	big := append(sharedPDF(t, "minimal-document.pdf"), bytes.Repeat([]byte("%padding\n"), 3<<20/9)...)
	ct, body := form(t, big)
	h := map[string]string{"Content-Type": ct}

	r := tooLarge(t, base+"/v1/process/async", h, func() io.Reader { return bytes.NewReader(body) })
	require.Equal(t, 413, r.status, "over MAX_UPLOAD_MB with Content-Length")
	require.Equal(t, "too_large", r.body["error"].(map[string]any)["code"])
	r = tooLarge(t, base+"/v1/process/async", h, func() io.Reader { return chunked{bytes.NewReader(body)} })
	require.Equal(t, 413, r.status, "over MAX_UPLOAD_MB, chunked")

	r = upload(t, base, nil, sharedPDF(t, "pdflatex-4-pages.pdf"))
	require.Equal(t, 422, r.status, "4 pages over MAX_PAGES=3")
	require.Equal(t, "too_many_pages", r.body["error"].(map[string]any)["code"])
	require.Contains(t, r.body["error"].(map[string]any)["message"], "4 pages")
	require.Equal(t, 202, upload(t, base, nil, sharedPDF(t, "multicolumn.pdf")).status, "3 pages is within")
	require.Equal(t, 202, upload(t, base, nil, sharedPDF(t, "libreoffice-writer-password.pdf")).status,
		"an encrypted PDF cannot be counted here and is left to its job")
}

// TestBodiesOtherThanUploadsAreBounded: with bodies streamed, a request that
// is not an upload is still refused over 1 MB, with or without a length.
func TestBodiesOtherThanUploadsAreBounded(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	base := serve(t, srv.Client(t), httpapi.Params{})
	body := bytes.Repeat([]byte(" "), 2<<20)
	h := map[string]string{"Content-Type": "application/json"}
	r := tooLarge(t, base+"/v1/admin/replay", h, func() io.Reader { return bytes.NewReader(body) })
	require.Equal(t, 413, r.status, "with Content-Length")
	r = tooLarge(t, base+"/v1/admin/replay", h, func() io.Reader { return chunked{bytes.NewReader(body)} })
	require.Equal(t, 413, r.status, "chunked")
	r = call(t, "POST", base+"/v1/admin/replay", h, chunked{strings.NewReader(`{"stream":"nope"}`)})
	require.Equal(t, 400, r.status, "a small chunked body reaches the handler")
}
