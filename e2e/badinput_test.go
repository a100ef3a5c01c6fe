package e2e

import (
	"bytes"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/pdftest"
)

// posterPDF is one page of side×side points with a line of text.
func posterPDF(side int) []byte {
	return pdftest.Page(side, side, "<< /Font << /F1 5 0 R >> >>", "BT /F1 400 Tf 100 100 Td (Poster) Tj ET",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
}

var simSize = regexp.MustCompile(`page-[0-9a-f]{16} (\d+)x(\d+)`)

// TestBadInput sends every kind of bad upload: each gets its clear error with
// the right status (or fails only its own job), and a good job submitted
// meanwhile completes.
func TestBadInput(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2})
	base := e.api.Base
	good, err := os.ReadFile(pdfPath(t, "pdflatex-4-pages.pdf"))
	require.NoError(t, err)
	encrypted, err := os.ReadFile(pdfPath(t, "libreoffice-writer-password.pdf"))
	require.NoError(t, err)
	tried := 0

	t.Run("rejected at upload", func(t *testing.T) {
		resp, err := http.Post(base+"/v1/process/async", "multipart/form-data; boundary=x", bytes.NewReader(nil))
		require.NoError(t, err)
		r := decode(t, resp)
		require.Equal(t, 400, r.status, "empty body")
		require.NotEmpty(t, errMessage(r))
		tried++
		cases := []struct {
			name   string
			fields map[string]string
			file   string
			data   []byte
			status int
			code   string
		}{
			{"empty file", nil, "empty.pdf", nil, 400, "empty_file"},
			{"png named .pdf", nil, "photo.pdf", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 415, "unsupported_media_type"},
			{"zip named .pdf", nil, "a.pdf", []byte("PK\x03\x04 zip"), 415, "unsupported_media_type"},
			{"html named .pdf", nil, "a.pdf", []byte("<html><body>%PDF-</body>"), 202, ""}, // has a PDF header within 1 KiB: judged later
			{"unknown field", map[string]string{"pages": "1-3"}, "a.pdf", good, 400, "unknown_field"},
			{"unknown mode", map[string]string{"accuracy_mode": "FAST"}, "a.pdf", good, 400, "invalid_accuracy_mode"},
			{"unknown format", map[string]string{"output_format": "pdf"}, "a.pdf", good, 400, "invalid_output_format"},
		}
		for _, tc := range cases {
			r := postForm(t, base+"/v1/process/async", tc.fields, tc.file, tc.data)
			require.Equal(t, tc.status, r.status, tc.name)
			if tc.code != "" {
				require.Equal(t, tc.code, errCode(r), tc.name)
			}
			tried++
		}
		for _, path := range []string{"/v1/jobs/" + uuid.NewString() + "/status", "/v1/jobs/../../etc/passwd/status",
			"/v1/jobs/" + uuid.NewString() + "x/result", "/v1/jobs/%00/pages", "/v1/jobs/*/status"} {
			r := get(t, base+path)
			require.Equal(t, 404, r.status, path)
			tried++
		}
	})

	t.Run("failed in their job", func(t *testing.T) {
		corrupt := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 500)...)
		corrupt = append(corrupt, "\n%%EOF\n"...)
		noPages := pdftest.Objects("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>")
		cases := []struct {
			name   string
			data   []byte
			fields map[string]string
			says   string
		}{
			{"truncated", good[:len(good)/2], nil, "truncated"},
			{"corrupt", corrupt, nil, "PDF"},
			{"no pages", noPages, nil, "no readable pages"},
			{"encrypted", encrypted, nil, "encrypted"},
			{"wrong password", encrypted, map[string]string{"password": "guess"}, "password"},
			{"too complex", pdftest.NestedForms(4, 40, 10), nil, "too complex"},
		}
		ids := make([]string, len(cases))
		for i, tc := range cases {
			r := postForm(t, base+"/v1/process/async", tc.fields, tc.name+".pdf", tc.data)
			require.Equal(t, 202, r.status, tc.name)
			ids[i] = r.body["job_id"].(string)
			tried++
		}
		goodID := postForm(t, base+"/v1/process/async", nil, "good.pdf", good).body["job_id"].(string)
		for i, tc := range cases {
			st, _ := e.waitDone(t, ids[i], time.Minute)
			require.Equal(t, "failed", st.Status, tc.name)
			require.Contains(t, *st.Error, tc.says, tc.name)
		}
		st, _ := e.waitDone(t, goodID, time.Minute)
		require.Equal(t, "completed", st.Status, "a good job beside them completes")
	})

	t.Run("accepted and handled safely", func(t *testing.T) {
		pw := postForm(t, base+"/v1/process/async", map[string]string{"password": "openpassword"}, "secret.pdf", encrypted)
		require.Equal(t, 202, pw.status)
		poster := postForm(t, base+"/v1/process/async", map[string]string{"accuracy_mode": "accurate"}, "poster.pdf", posterPDF(14400))
		require.Equal(t, 202, poster.status)
		names := map[string]string{
			`..\..\windows\system32\evil.pdf`:   "evil.pdf",
			"/etc/passwd":                       "passwd",
			"\xff\xfebad.pdf":                   "\uFFFDbad.pdf", // one replacement per invalid run
			strings.Repeat("long", 80) + ".pdf": strings.Repeat("long", 50),
		}
		ids := map[string]string{}
		for sent := range names {
			r := postForm(t, base+"/v1/process/async", nil, sent, good)
			require.Equal(t, 202, r.status, "%q", sent)
			ids[sent] = r.body["job_id"].(string)
			tried++
		}
		st, _ := e.waitDone(t, pw.body["job_id"].(string), time.Minute)
		require.Equal(t, "completed", st.Status, "the password opens it")
		st, _ = e.waitDone(t, poster.body["job_id"].(string), time.Minute)
		require.Equal(t, "completed", st.Status, "a 5 m poster page is rendered within the pixel cap: %v", st.Error)
		md := get(t, base+"/v1/jobs/"+poster.body["job_id"].(string)+"/result").body["markdown"].(string)
		m := simSize.FindStringSubmatch(md)
		require.NotNil(t, m, md)
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		require.LessOrEqual(t, w*h, renderOpts.MaxPixels, "rendered %dx%d", w, h)
		tried += 2
		for sent, want := range names {
			st, _ := e.waitDone(t, ids[sent], time.Minute)
			require.Equal(t, "completed", st.Status)
			require.Equal(t, want, st.Filename, "%q", sent)
			resp, err := http.Get(base + "/v1/jobs/" + ids[sent] + "/result?download=1")
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, 200, resp.StatusCode)
			require.NotContains(t, resp.Header.Get("Content-Disposition"), "\n")
		}
	})
	t.Logf("FIGURES bad-input: tried=%d lost=0", tried)
}
