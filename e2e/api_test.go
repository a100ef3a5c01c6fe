package e2e

import (
	"archive/zip"
	"bufio"
	"bytes"
	bo "encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/ocrsim"
	"github.com/docparse/docparse/stages/render"
	"github.com/docparse/docparse/webhook"
)

// The integration API end to end: webhooks, page ranges, the result cache,
// image inputs, per-page results and live progress, job control, outputs.

// upload posts a shared PDF with form fields.
func (e *env) upload(t *testing.T, name string, fields map[string]string) apiResponse {
	t.Helper()
	b, err := os.ReadFile(pdfPath(t, name))
	require.NoError(t, err)
	return postForm(t, e.api.Base+"/v1/process/async", fields, name, b)
}

func jobID(t *testing.T, r apiResponse) string {
	t.Helper()
	require.Equal(t, http.StatusAccepted, r.status, "upload answered %v", r.body)
	return r.body["job_id"].(string)
}

// receiver is a webhook endpoint that fails its first failFirst calls.
type receiver struct {
	mu        sync.Mutex
	failFirst int
	calls     []receivedCall
}

type receivedCall struct {
	body   []byte
	header http.Header
	status int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	status := http.StatusOK
	if len(r.calls) < r.failFirst {
		status = http.StatusInternalServerError
	}
	r.calls = append(r.calls, receivedCall{body: b, header: req.Header.Clone(), status: status})
	w.WriteHeader(status)
}

func (r *receiver) received() []receivedCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedCall(nil), r.calls...)
}

func TestWebhookSignedAndRetried(t *testing.T) {
	const secret = "test-secret"
	e := newEnv(t, envOpts{workers: 2, webhooks: webhook.Options{AllowedHosts: []string{"127.0.0.1"}, Secret: secret,
		Backoff: 200 * time.Millisecond, RetryFor: 20 * time.Second}})
	rcv := &receiver{failFirst: 1}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)

	id := jobID(t, e.upload(t, "minimal-document.pdf", map[string]string{"callback_url": srv.URL + "/hook"}))
	st, _ := e.waitDone(t, id, time.Minute)
	require.Equal(t, "completed", st.Status)
	require.Eventually(t, func() bool { return len(rcv.received()) >= 2 }, 15*time.Second, 50*time.Millisecond, "a retry after the 500")

	calls := rcv.received()
	require.Len(t, calls, 2, "delivered once after one failure, then no more")
	require.Equal(t, 500, calls[0].status)
	for _, c := range calls {
		require.True(t, webhook.Verify(secret, c.body, c.header.Get(webhook.SignatureHeader)), "signature over the body")
		require.Equal(t, "job.completed", c.header.Get("X-Docparse-Event"))
		require.Equal(t, calls[0].header.Get("X-Docparse-Delivery"), c.header.Get("X-Docparse-Delivery"), "one delivery id across attempts")
		var doc map[string]any
		require.NoError(t, json.Unmarshal(c.body, &doc))
		require.Equal(t, id, doc["job_id"])
		require.Equal(t, "completed", doc["status"])
	}
	require.False(t, webhook.Verify("another-secret", calls[1].body, calls[1].header.Get(webhook.SignatureHeader)))

	hooks := get(t, e.api.Base+"/v1/jobs/"+id+"/webhooks")
	require.Equal(t, 200, hooks.status)
	attempts := hooks.body["attempts"].([]any)
	require.Len(t, attempts, 2, "each attempt is visible on the job")
	first, second := attempts[0].(map[string]any), attempts[1].(map[string]any)
	require.Equal(t, float64(500), first["status_code"])
	require.Equal(t, false, first["delivered"])
	require.Equal(t, true, second["delivered"])
	require.Equal(t, float64(2), second["attempt"])

	for _, bad := range []string{"ftp://127.0.0.1/x", "http://10.0.0.1/hook", "not a url", "http://user:pw@127.0.0.1/"} {
		r := e.upload(t, "minimal-document.pdf", map[string]string{"callback_url": bad})
		require.Equal(t, 400, r.status, bad)
		require.Equal(t, "invalid_callback_url", errCode(r), bad)
	}
}

func TestPageRangeRendersOnlyItsPages(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2})
	ids, _ := expectedPages(t, "pdflatex-4-pages.pdf")
	id := jobID(t, e.upload(t, "pdflatex-4-pages.pdf", map[string]string{"page_range": "2-3"}))
	st, seen := e.waitDone(t, id, time.Minute)
	require.Equal(t, "completed", st.Status)
	require.Equal(t, 2, st.Progress.TotalPages, "total_pages counts the selected pages")
	require.Equal(t, 2, st.Progress.CurrentPage)
	require.LessOrEqual(t, seen[len(seen)-1], 2)
	require.Equal(t, 4, st.DocumentPages)
	require.Equal(t, "2-3", st.PageRange)
	stats := e.sim.Stats()
	require.Equal(t, int64(2), stats.Requests, "only the selected pages are read")
	require.Equal(t, int64(2), stats.DistinctImages)
	res := get(t, e.api.Base+"/v1/jobs/"+id+"/result")
	requirePagesInOrder(t, res.body["markdown"].(string), ids[1:3])
	require.Contains(t, res.body["markdown"], "<!-- page 3 -->", "pages keep their numbers in the document")

	pages := get(t, e.api.Base+"/v1/jobs/"+id+"/pages").body["pages"].([]any)
	require.Len(t, pages, 2)
	require.Equal(t, 404, get(t, e.api.Base+"/v1/jobs/"+id+"/pages/1").status, "a page outside the range")

	for _, bad := range []string{"0", "3-1", "a-b", "1,,2", "5", "2-9", "7-"} {
		r := e.upload(t, "pdflatex-4-pages.pdf", map[string]string{"page_range": bad})
		require.Equal(t, 400, r.status, bad)
		require.Equal(t, "invalid_page_range", errCode(r), bad)
	}
	open := jobID(t, e.upload(t, "pdflatex-4-pages.pdf", map[string]string{"page_range": "1,3-"}))
	st, _ = e.waitDone(t, open, time.Minute)
	require.Equal(t, 3, st.Progress.TotalPages)
}

func TestResultCacheServesIdenticalUpload(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2, cacheTTL: time.Hour})
	first := jobID(t, e.upload(t, "pdflatex-4-pages.pdf", nil))
	st, _ := e.waitDone(t, first, time.Minute)
	require.Equal(t, "completed", st.Status)
	require.False(t, st.Cached)
	calls := e.sim.Stats().Requests

	again := e.upload(t, "pdflatex-4-pages.pdf", nil)
	require.Equal(t, http.StatusAccepted, again.status)
	require.Equal(t, "completed", again.body["status"], "completed at once")
	require.Equal(t, true, again.body["cached"])
	second := again.body["job_id"].(string)
	require.NotEqual(t, first, second, "a new job id")
	st2, _ := e.waitDone(t, second, time.Second)
	require.True(t, st2.Cached)
	require.Equal(t, 4, st2.Progress.CurrentPage)
	require.Equal(t, calls, e.sim.Stats().Requests, "no OCR call for the cached job")
	a := get(t, e.api.Base+"/v1/jobs/"+first+"/result").body["markdown"]
	b := get(t, e.api.Base+"/v1/jobs/"+second+"/result").body["markdown"]
	require.Equal(t, a, b)
	require.Len(t, get(t, e.api.Base+"/v1/jobs/"+second+"/pages").body["pages"], 4)

	for _, fields := range []map[string]string{{"no_cache": "true"}, {"output_format": "json"}, {"page_range": "1"}} {
		r := e.upload(t, "pdflatex-4-pages.pdf", fields)
		require.Equal(t, "queued", r.body["status"], "%v is not served from the cache", fields)
		st, _ := e.waitDone(t, r.body["job_id"].(string), time.Minute)
		require.False(t, st.Cached)
	}
	require.Greater(t, e.sim.Stats().Requests, calls)
}

// grayPage draws a page image: white, with a black bar whose place tells pages apart.
func grayPage(w, h, n int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 40 + 60*n; y < 80+60*n && y < h; y++ {
		for x := 30; x < w-30; x++ {
			img.SetGray(x, y, color.Gray{0})
		}
	}
	return img
}

// multiPageTIFF writes uncompressed 8-bit grayscale pages as one baseline
// TIFF, one IFD per page: Go's tiff package writes single pages only.
func multiPageTIFF(pages ...*image.Gray) []byte {
	var b bytes.Buffer
	le := bo.LittleEndian
	b.WriteString("II*\x00")
	_ = bo.Write(&b, le, uint32(0)) // patched: the first IFD follows its strip
	link := 4                       // where the offset of the next IFD goes
	for _, p := range pages {
		w, h := p.Rect.Dx(), p.Rect.Dy()
		stripAt := uint32(b.Len())
		b.Write(p.Pix)
		if b.Len()%2 == 1 {
			b.WriteByte(0) // IFDs start on a word boundary
		}
		le.PutUint32(b.Bytes()[link:link+4], uint32(b.Len()))
		entries := [][3]uint32{ // tag, type (3 SHORT, 4 LONG), value
			{256, 4, uint32(w)}, {257, 4, uint32(h)}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
			{273, 4, stripAt}, {277, 3, 1}, {278, 4, uint32(h)}, {279, 4, uint32(len(p.Pix))},
		}
		_ = bo.Write(&b, le, uint16(len(entries)))
		for _, e := range entries {
			_ = bo.Write(&b, le, uint16(e[0]))
			_ = bo.Write(&b, le, uint16(e[1]))
			_ = bo.Write(&b, le, uint32(1))
			_ = bo.Write(&b, le, e[2])
		}
		link = b.Len()
		_ = bo.Write(&b, le, uint32(0)) // no next IFD unless a page follows
	}
	return b.Bytes()
}

// imageIDs renders an upload the way split does and returns the simulator's
// identity of each page.
func imageIDs(t *testing.T, data []byte) []string {
	t.Helper()
	doc, err := render.Open(data, renderOpts)
	require.NoError(t, err)
	defer doc.Close()
	var ids []string
	for n := 1; n <= doc.Pages(); n++ {
		p, err := doc.Measure(t.Context(), n)
		require.NoError(t, err)
		require.NoError(t, doc.Render(t.Context(), &p))
		id, err := ocrsim.ImageID(p.Image)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	return ids
}

func TestImageUploadsBecomeDocuments(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2})
	var pngBytes bytes.Buffer
	require.NoError(t, png.Encode(&pngBytes, grayPage(400, 300, 1)))
	tiff := multiPageTIFF(grayPage(300, 400, 0), grayPage(300, 400, 2), grayPage(300, 400, 4))
	cases := []struct {
		name  string
		data  []byte
		pages int
	}{
		{"scan.png", pngBytes.Bytes(), 1},
		{"fax.tif", tiff, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ids := imageIDs(t, tc.data)
			require.Len(t, ids, tc.pages)
			r := postForm(t, e.api.Base+"/v1/process/async", nil, tc.name, tc.data)
			id := jobID(t, r)
			st, _ := e.waitDone(t, id, time.Minute)
			require.Equal(t, "completed", st.Status, "error: %v", st.Error)
			require.Equal(t, tc.pages, st.Progress.TotalPages)
			md := get(t, e.api.Base+"/v1/jobs/"+id+"/result").body["markdown"].(string)
			requirePagesInOrder(t, md, ids)
		})
	}
	r := postForm(t, e.api.Base+"/v1/process/async", nil, "x.gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
	require.Equal(t, 415, r.status, "other images are refused by content")
}

func TestPerPageResultsWhileRunning(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2, sim: ocrsim.Options{Latency: 400 * time.Millisecond, Batch: 1}})
	id := jobID(t, e.upload(t, "pdflatex-4-pages.pdf", nil))

	// Server-sent events, read from the start to the end of the job.
	events := make(chan []string, 1)
	go func() {
		resp, err := http.Get(e.api.Base + "/v1/jobs/" + id + "/events")
		if err != nil {
			events <- nil
			return
		}
		defer resp.Body.Close()
		var names []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				names = append(names, name)
			}
		}
		events <- names
	}()

	// Long-poll: each call returns once progress moves.
	start := get(t, e.api.Base+"/v1/jobs/"+id+"/status")
	began := time.Now()
	moved := get(t, e.api.Base+"/v1/jobs/"+id+"/status?wait=20")
	require.Equal(t, 200, moved.status)
	require.Less(t, time.Since(began), 15*time.Second, "answered on a change, not at the timeout")
	require.NotEqual(t, start.body["progress"], moved.body["progress"], "progress or status changed")

	var partial []any
	require.Eventually(t, func() bool {
		r := get(t, e.api.Base+"/v1/jobs/"+id+"/pages")
		if r.body["status"] == "completed" {
			return false
		}
		pages, _ := r.body["pages"].([]any)
		done, pending := 0, 0
		for _, p := range pages {
			switch p.(map[string]any)["status"] {
			case "done":
				done++
			case "pending":
				pending++
			}
		}
		if done > 0 && pending > 0 {
			partial = pages
			return true
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "some pages done while others are pending")
	require.Len(t, partial, 4, "every selected page is listed, pending ones too")
	for _, p := range partial {
		m := p.(map[string]any)
		if m["status"] == "done" {
			require.NotEmpty(t, m["markdown"])
			require.Equal(t, "deepseek", m["engine"])
			one := get(t, e.api.Base+"/v1/jobs/"+id+"/pages/"+jsonNumber(m["page"]))
			require.Equal(t, "done", one.body["status"])
		}
	}

	st, _ := e.waitDone(t, id, time.Minute)
	require.Equal(t, "completed", st.Status)
	fast := time.Now()
	final := get(t, e.api.Base+"/v1/jobs/"+id+"/status?wait=20")
	require.Less(t, time.Since(fast), 2*time.Second, "a finished job answers at once")
	require.Equal(t, "completed", final.body["status"])
	select {
	case names := <-events:
		require.NotEmpty(t, names)
		require.Equal(t, "done", names[len(names)-1], "the stream ends with the final status")
		require.Contains(t, names, "progress")
	case <-time.After(10 * time.Second):
		t.Fatal("the event stream did not end after the job")
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestJobControl(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2, maxRetries: -1, sim: ocrsim.Options{Faults: ocrsim.FaultPlan{FailFirst: 2}}})
	ids, _ := expectedPages(t, "pdflatex-4-pages.pdf")

	// Two pages fail for good; the retry reads only those again.
	id := jobID(t, e.upload(t, "pdflatex-4-pages.pdf", nil))
	st, _ := e.waitDone(t, id, time.Minute)
	require.Equal(t, "failed", st.Status)
	require.Equal(t, 2, st.Progress.FailedPages)
	calls := e.sim.Stats().Requests
	retry := postForm(t, e.api.Base+"/v1/jobs/"+id+"/retry", nil, "", nil)
	require.Equal(t, http.StatusAccepted, retry.status, "%v", retry.body)
	require.Len(t, retry.body["retried_pages"], 2)
	st, _ = e.waitDone(t, id, time.Minute)
	require.Equal(t, "completed", st.Status)
	require.Equal(t, 0, st.Progress.FailedPages)
	require.Equal(t, 4, st.Progress.CurrentPage)
	require.Equal(t, calls+2, e.sim.Stats().Requests, "only the failed pages were read again")
	requirePagesInOrder(t, get(t, e.api.Base+"/v1/jobs/"+id+"/result").body["markdown"].(string), ids)
	again := postForm(t, e.api.Base+"/v1/jobs/"+id+"/retry", nil, "", nil)
	require.Equal(t, 409, again.status, "nothing left to retry")

	// Listing: status filter, cursor pages and totals.
	for range 3 {
		e.waitDone(t, jobID(t, e.upload(t, "minimal-document.pdf", nil)), time.Minute)
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		url := e.api.Base + "/v1/jobs?limit=2&status=completed"
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		r := get(t, url)
		require.Equal(t, 200, r.status)
		require.Equal(t, float64(4), r.body["total"])
		for _, j := range r.body["jobs"].([]any) {
			jid := j.(map[string]any)["job_id"].(string)
			require.False(t, seen[jid], "a job appears on one page only")
			seen[jid] = true
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" || pages > 5 {
			break
		}
		cursor = next
	}
	require.Len(t, seen, 4)
	require.Equal(t, 400, get(t, e.api.Base+"/v1/jobs?cursor=abc").status)

	// DELETE cancels a running job and deletes its data.
	running := jobID(t, e.upload(t, "GeoTopo-komprimiert.pdf", nil))
	require.Eventually(t, func() bool {
		return get(t, e.api.Base+"/v1/jobs/"+running+"/status").body["status"] == "processing"
	}, 30*time.Second, 20*time.Millisecond)
	req, _ := http.NewRequest(http.MethodDelete, e.api.Base+"/v1/jobs/"+running, nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	del := decode(t, resp)
	require.Equal(t, 200, del.status)
	require.Equal(t, true, del.body["deleted"])
	require.Equal(t, "cancelled", del.body["status"])
	require.Equal(t, 404, get(t, e.api.Base+"/v1/jobs/"+running+"/status").status)
	time.Sleep(time.Second) // pages in flight are dropped, not recorded
	keys, err := e.rdb.Keys(t.Context(), "docparse:job:{"+running+"}*").Result()
	require.NoError(t, err)
	require.Empty(t, keys, "no key of the deleted job is left")
}

func TestOutputsAndImages(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2})
	id := jobID(t, e.upload(t, "pdflatex-4-pages.pdf", map[string]string{"output_format": "json", "include_images": "true"}))
	st, _ := e.waitDone(t, id, time.Minute)
	require.Equal(t, "completed", st.Status)
	res := get(t, e.api.Base+"/v1/jobs/"+id+"/result")
	var doc struct {
		Metadata struct {
			PageCount int            `json:"page_count"`
			Engines   map[string]int `json:"engines"`
			Timings   struct {
				TotalSeconds float64 `json:"total_seconds"`
			} `json:"timings"`
		} `json:"metadata"`
		Pages []struct {
			Page     int     `json:"page"`
			Markdown string  `json:"markdown"`
			Engine   string  `json:"engine"`
			Seconds  float64 `json:"seconds"`
		} `json:"pages"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.body["content"].(string)), &doc))
	require.Equal(t, 4, doc.Metadata.PageCount)
	require.Equal(t, 4, doc.Metadata.Engines["deepseek"])
	require.Positive(t, doc.Metadata.Timings.TotalSeconds)
	require.Len(t, doc.Pages, 4)
	for _, p := range doc.Pages {
		require.Contains(t, p.Markdown, "![image](images/page-"+jsonNumber(p.Page)+"-1.png)", "the figure is linked where it was")
		require.Positive(t, p.Seconds)
	}

	resp, err := http.Get(e.api.Base + "/v1/jobs/" + id + "/result?download=1")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "application/zip", resp.Header.Get("Content-Type"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	require.NoError(t, err)
	names := map[string]*zip.File{}
	for _, f := range zr.File {
		names[f.Name] = f
	}
	require.Contains(t, names, "pdflatex-4-pages.json")
	for n := 1; n <= 4; n++ {
		f := names["images/page-"+jsonNumber(n)+"-1.png"]
		require.NotNil(t, f, "page %d's crop", n)
		rc, err := f.Open()
		require.NoError(t, err)
		img, err := png.Decode(rc)
		rc.Close()
		require.NoError(t, err)
		require.Greater(t, img.Bounds().Dx(), 100, "a real region of the page")
	}

	// Without include_images the figure leaves nothing; chunks carry pages.
	plain := jobID(t, e.upload(t, "pdflatex-4-pages.pdf", map[string]string{"output_format": "chunks"}))
	e.waitDone(t, plain, time.Minute)
	chunks := get(t, e.api.Base+"/v1/jobs/"+plain+"/result")
	require.NotContains(t, chunks.body["markdown"], "images/")
	require.NotContains(t, chunks.body["markdown"], "docparse:image")
	var cd struct {
		Chunks []struct {
			Text      string `json:"text"`
			PageStart int    `json:"page_start"`
			PageEnd   int    `json:"page_end"`
		} `json:"chunks"`
	}
	require.NoError(t, json.Unmarshal([]byte(chunks.body["content"].(string)), &cd))
	require.NotEmpty(t, cd.Chunks)
	require.Equal(t, 1, cd.Chunks[0].PageStart)
	require.Equal(t, 4, cd.Chunks[len(cd.Chunks)-1].PageEnd)
}
