package e2e

import (
	"bytes"

	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

type apiResponse struct {
	status int
	body   map[string]any
	header http.Header
}

func postForm(t *testing.T, url string, fields map[string]string, file string, content []byte) apiResponse {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	if file != "" {
		w, err := mw.CreateFormFile("file", file)
		require.NoError(t, err)
		_, err = w.Write(content)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	resp, err := http.Post(url, mw.FormDataContentType(), &body)
	require.NoError(t, err)
	return decode(t, resp)
}

func get(t *testing.T, url string) apiResponse {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	return decode(t, resp)
}

func decode(t *testing.T, resp *http.Response) apiResponse {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := apiResponse{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(b, &r.body)
	return r
}

func errCode(r apiResponse) string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func errMessage(r apiResponse) string {
	e, _ := r.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func TestAPIContract(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2, sim: simWithLatency(300 * time.Millisecond)})
	base := e.api.Base
	pdf, err := os.ReadFile(pdfPath(t, "minimal-document.pdf"))
	require.NoError(t, err)

	t.Run("errors", func(t *testing.T) {
		cases := []struct {
			name   string
			fields map[string]string
			file   string
			data   []byte
			status int
			code   string
			says   string
		}{
			{"no file", nil, "", nil, 400, "missing_file", "file"},
			{"not a pdf by content", nil, "fake.pdf", []byte("GIF89a not a pdf at all"), 415, "unsupported_media_type", "not a PDF"},
			{"empty file", nil, "empty.pdf", []byte{}, 400, "empty_file", "empty"},
			{"unknown mode", map[string]string{"accuracy_mode": "turbo"}, "a.pdf", pdf, 400, "invalid_accuracy_mode", "fast, balanced, accurate"},
			{"unknown format", map[string]string{"output_format": "docx"}, "a.pdf", pdf, 400, "invalid_output_format", "markdown, json, html, text"},
			{"unknown field", map[string]string{"colour": "red"}, "a.pdf", pdf, 400, "unknown_field", "colour"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := postForm(t, base+"/v1/process/async", tc.fields, tc.file, tc.data)
				require.Equal(t, tc.status, r.status)
				require.Equal(t, tc.code, errCode(r))
				require.Contains(t, errMessage(r), tc.says)
			})
		}
		for _, path := range []string{"/v1/jobs/" + uuid.NewString() + "/status", "/v1/jobs/not-an-id/status", "/v1/jobs/%7Bx%7D:pdf/result"} {
			r := get(t, base+path)
			require.Equal(t, 404, r.status, path)
			require.Equal(t, "not_found", errCode(r))
		}
	})

	t.Run("async then result", func(t *testing.T) {
		r := postForm(t, base+"/v1/process/async", map[string]string{"output_format": "html"}, "../../evil\xe9name.pdf", pdf)
		require.Equal(t, 202, r.status)
		id := r.body["job_id"].(string)
		require.Equal(t, "queued", r.body["status"])
		require.Equal(t, "/v1/jobs/"+id+"/status", r.body["status_url"])
		require.Equal(t, "/v1/jobs/"+id+"/result", r.body["result_url"])
		early := get(t, base+"/v1/jobs/"+id+"/result")
		require.Equal(t, 409, early.status, "the result is not there before the job completes")
		st, _ := e.waitDone(t, id, time.Minute)
		require.Equal(t, "evil\uFFFDname.pdf", st.Filename, "path parts go, invalid UTF-8 is replaced")
		_, err := time.Parse(time.RFC3339, *st.CreatedAt)
		require.NoError(t, err)
		res := get(t, base+"/v1/jobs/"+id+"/result")
		require.Equal(t, 200, res.status)
		require.Equal(t, "html", res.body["format"])
		require.Contains(t, res.body["content"], "<!DOCTYPE html>")
		resp, err := http.Get(base + "/v1/jobs/" + id + "/result?download=1")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		require.Contains(t, resp.Header.Get("Content-Disposition"), `filename="evil_name.html"; filename*=UTF-8''evil%EF%BF%BDname.html`)
		list := get(t, base+"/v1/jobs?limit=5")
		require.Equal(t, 200, list.status)
		jobs := list.body["jobs"].([]any)
		require.Equal(t, id, jobs[0].(map[string]any)["job_id"], "newest first")
	})

	t.Run("sync returns the result", func(t *testing.T) {
		r := postForm(t, base+"/v1/process/sync", nil, "minimal.pdf", pdf)
		require.Equal(t, 200, r.status)
		require.Contains(t, r.body["markdown"], "page-")
		require.Equal(t, "minimal.pdf", r.body["filename"])
	})

	t.Run("health", func(t *testing.T) {
		require.Equal(t, 200, get(t, base+"/healthz").status)
		r := get(t, base+"/readyz")
		require.Equal(t, 200, r.status)
		require.Equal(t, true, r.body["ready"])
	})
}

func TestSyncTimeoutGoesOn(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2, sim: simWithLatency(3 * time.Second), syncTimeout: time.Second})
	pdf, err := os.ReadFile(pdfPath(t, "minimal-document.pdf"))
	require.NoError(t, err)
	r := postForm(t, e.api.Base+"/v1/process/sync", nil, "slow.pdf", pdf)
	require.Equal(t, 504, r.status)
	id, _ := r.body["job_id"].(string)
	require.NotEmpty(t, id)
	require.Equal(t, "/v1/jobs/"+id+"/status", r.body["status_url"])
	st, _ := e.waitDone(t, id, time.Minute)
	require.Equal(t, "completed", st.Status, "the job goes on after the 504")

}
