package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	httpapi "github.com/docparse/docparse/http"
	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/redistest"
)

// TestUploadStoredByteForByte: an upload of several megabytes, sent with a
// length and chunked, reaches Redis as sent, through the spool file and the
// sliced writes.
func TestUploadStoredByteForByte(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	base := serve(t, rdb, httpapi.Params{MaxUploadMB: 20})
	store := jobstore.New(rdb, time.Hour)

	pdf := sharedPDF(t, "pdflatex-4-pages.pdf")
	eof := bytes.LastIndex(pdf, []byte("%%EOF"))
	// Padding in a comment before the end keeps it a readable PDF.
	big := slices.Concat(pdf[:eof], bytes.Repeat([]byte("%padding to pass one Redis slice\n"), 5<<20/33), pdf[eof:])
	ct, body := form(t, big)
	h := map[string]string{"Content-Type": ct}

	for _, chunkedBody := range []bool{false, true} {
		var r answer
		if chunkedBody {
			r = call(t, "POST", base+"/v1/process/async", h, chunked{bytes.NewReader(body)})
		} else {
			r = call(t, "POST", base+"/v1/process/async", h, bytes.NewReader(body))
		}
		require.Equal(t, 202, r.status, "chunked=%v: %v", chunkedBody, r.body)
		id := r.body["job_id"].(string)
		stored, err := store.PDF(context.Background(), id)
		require.NoError(t, err)
		require.True(t, bytes.Equal(big, stored), "chunked=%v: %d bytes stored of %d", chunkedBody, len(stored), len(big))
		job, err := store.Get(context.Background(), id)
		require.NoError(t, err)
		require.Equal(t, int64(len(big)), job.UploadBytes)
	}
}

// TestChunkedUploadKeepsConnection: after a chunked upload the connection
// carries the next request: nothing of the upload is left to be read as one.
func TestChunkedUploadKeepsConnection(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	base := serve(t, srv.Client(t), httpapi.Params{})
	ct, body := form(t, sharedPDF(t, "minimal-document.pdf"))
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST /v1/process/async HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n", ct)
	for part := range slices.Chunk(body, 1000) {
		fmt.Fprintf(&req, "%x\r\n%s\r\n", len(part), part)
	}
	req.WriteString("0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	_, err = conn.Write(req.Bytes())
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	br := bufio.NewReader(conn)
	for i, want := range []int{202, 200} {
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err, "response %d", i)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, want, resp.StatusCode, "response %d", i)
	}
}
