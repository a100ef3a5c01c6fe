package httpapi_test

import (
	"bytes"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/redis/go-redis/v9"

	"github.com/docparse/docparse/handlers"
	httpapi "github.com/docparse/docparse/http"
	"github.com/docparse/docparse/jobstore"
)

// FuzzUpload sends fuzzed files, names and options through the upload path:
// multipart parsing, validation, the content check and the MAX_PAGES count
// with MuPDF. The store is unreachable, so an upload that passes every check
// answers 503; whatever the input, the answer is never a 500 or a crash.
func FuzzUpload(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n%%EOF"), "a.pdf", "fast")
	f.Add([]byte("not a pdf"), "../x.pdf", "")
	f.Add([]byte{}, "\xff.pdf", "accurate")
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond, MaxRetries: -1})
	pub, err := handlers.NewPublisher(rdb, 0, watermill.NopLogger{})
	if err != nil {
		f.Fatal(err)
	}
	app := httpapi.New(httpapi.Params{Store: jobstore.New(rdb, time.Hour), Publisher: pub, DefaultMode: "balanced",
		DefaultFormat: "markdown", MaxUploadMB: 1, MaxPages: 10, SyncTimeout: time.Second})
	f.Cleanup(app.Close)
	f.Fuzz(func(t *testing.T, data []byte, name, mode string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		if mode != "" {
			_ = mw.WriteField("accuracy_mode", mode)
		}
		if strings.ContainsFunc(name, unicode.IsControl) {
			// Go's multipart writer puts the name in the part header as is; a
			// control character there is a malformed request, not an upload.
			return
		}
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			return
		}
		_, _ = w.Write(data)
		_ = mw.Close()
		req := httptest.NewRequest("POST", "/v1/process/async", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := app.Fiber().Test(req, -1)
		if err != nil {
			t.Fatalf("request failed: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 && resp.StatusCode != 503 {
			t.Fatalf("status %d for %d bytes named %q", resp.StatusCode, len(data), name)
		}
	})
}
