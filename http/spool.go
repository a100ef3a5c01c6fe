package httpapi

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/docparse/docparse/stages/render"
	"github.com/docparse/docparse/uploaddir"
)

// spooled is an upload written to a temporary file as it arrives, so that the
// API holds a few buffers of it, never the whole: with the body read by
// fasthttp, parsed as a form and copied for Redis, a 16 MB upload had cost
// the API four times its size (BENCHMARKS.md, memory case).
type spooled struct {
	path string
	size int64
	head []byte // the first kilobyte: what kind of file it is

	sumOnce sync.Once
	sum     [32]byte
	sumErr  error

	countOnce sync.Once
	pages     int
	pagesErr  error
}

// errTooLarge: the upload passed the size limit while being spooled.
var errTooLarge = errors.New("upload over the size limit")

// errSpoolFile marks the spool file's own failures (a full disk), which are
// the server's, apart from a client's broken body.
var errSpoolFile = errors.New("spool file")

// spool copies r, at most max bytes, into a new file of dir.
func spool(dir *uploaddir.Dir, r io.Reader, max int64) (*spooled, error) {
	f, err := dir.Create("spool-*")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSpoolFile, err)
	}
	s := &spooled{path: f.Name()}
	head := &headWriter{max: 1024}
	n, err := io.Copy(io.MultiWriter(fileWriter{f}, head), io.LimitReader(r, max+1))
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%w: %w", errSpoolFile, cerr)
	}
	if err == nil && n > max {
		err = errTooLarge
	}
	if err != nil {
		s.remove()
		return nil, err
	}
	s.size, s.head = n, head.b
	return s, nil
}

// digest is the SHA-256 of the upload, the result cache's key: read from the
// file when the cache asks, so uploads that bypass it are not hashed.
func (s *spooled) digest() ([32]byte, error) {
	s.sumOnce.Do(func() {
		f, err := s.open()
		if err != nil {
			s.sumErr = err
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			s.sumErr = fmt.Errorf("hash spooled upload: %w", err)
			return
		}
		h.Sum(s.sum[:0])
	})
	return s.sum, s.sumErr
}

func (s *spooled) remove() { _ = os.Remove(s.path) }

func (s *spooled) open() (*os.File, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("open spooled upload: %w", err)
	}
	return f, nil
}

// bytes reads the whole upload: only for images, which are checked by
// decoding their header from memory.
func (s *spooled) bytes() ([]byte, error) {
	b, err := os.ReadFile(s.path)
	if err != nil {
		return nil, fmt.Errorf("read spooled upload: %w", err)
	}
	return b, nil
}

// pageCount counts the pages once, with MuPDF reading the file.
func (s *spooled) pageCount() (int, error) {
	s.countOnce.Do(func() { s.pages, s.pagesErr = render.CountPagesFile(s.path) })
	return s.pages, s.pagesErr
}

// fileWriter tells the spool file's write errors from the body's read errors.
type fileWriter struct{ f *os.File }

func (w fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = fmt.Errorf("%w: %w", errSpoolFile, err)
	}
	return n, err
}

// headWriter keeps the first max bytes written to it.
type headWriter struct {
	b   []byte
	max int
}

func (w *headWriter) Write(p []byte) (int, error) {
	if room := w.max - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// uploadPaths stream their form through parseUpload; readBody leaves them.
var uploadPaths = []string{"/v1/process/async", "/v1/process/sync"}

// maxOtherBody bounds the body of any request but an upload: the only other
// body is a small JSON document (admin.go).
const maxOtherBody = 1 << 20

// readBody holds every other request's body in memory, as handlers expect,
// within maxOtherBody: with StreamRequestBody fasthttp no longer enforces a
// limit, and a chunked body has no length to refuse up front.
func (a *App) readBody(c *fiber.Ctx) error {
	if slices.Contains(uploadPaths, c.Path()) {
		return c.Next() // parseUpload applies MAX_UPLOAD_MB as it reads
	}
	limit := maxOtherBody
	if c.Request().Header.ContentLength() > limit {
		return newError(fiber.StatusRequestEntityTooLarge, "too_large", "the request body is over 1 MB")
	}
	if !c.Request().IsBodyStream() {
		return c.Next()
	}
	b, err := io.ReadAll(io.LimitReader(c.Request().BodyStream(), int64(limit)+1))
	if err != nil {
		return newError(fiber.StatusBadRequest, "bad_request", "the request body could not be read")
	}
	if len(b) > limit {
		return newError(fiber.StatusRequestEntityTooLarge, "too_large", "the request body is over 1 MB")
	}
	c.Request().SetBody(b)
	return c.Next()
}
