package render

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzOpen feeds mutated PDFs through the path an upload takes: the content
// check, MuPDF's open, measuring and rendering. Any input must give a page or
// one of the documented errors, never a crash.
func FuzzOpen(f *testing.F) {
	for _, name := range []string{"minimal-document.pdf", "pdflatex-forms.pdf", "imagemagick-CCITTFaxDecode.pdf"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "pdfs", name)); err == nil {
			f.Add(b)
		}
	}
	crashers, _ := filepath.Glob(filepath.Join("testdata", "crashers", "*"))
	for _, name := range crashers {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("%PDF-1.4\n%%EOF"))
	f.Add([]byte("not a pdf"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Open(data, Options{DPI: 36, MaxPixels: 200_000, PageTimeout: 2 * time.Second})
		if err != nil {
			if !knownOpenError(err) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		defer doc.Close()
		p, err := doc.Measure(t.Context(), 1)
		if err != nil {
			return
		}
		if err := doc.Render(t.Context(), &p); err == nil && p.Width*p.Height > 200_000*11/10 {
			t.Fatalf("rendered %dx%d beyond the pixel cap", p.Width, p.Height)
		}
	})
}

func knownOpenError(err error) bool {
	for _, e := range []error{ErrBadPDF, ErrEncrypted, ErrNoPages, ErrTruncated} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// TestCrashers opens, measures and renders every input that once crashed
// docparse or broke the pixel cap: they must give a page within the cap or a
// documented error, and `go test` runs them without -fuzz.
func TestCrashers(t *testing.T) {
	t.Parallel()
	crashers, err := filepath.Glob(filepath.Join("testdata", "crashers", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, crashers)
	for _, name := range crashers {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		doc, err := Open(b, Options{DPI: 36, MaxPixels: 200_000, PageTimeout: 2 * time.Second})
		if err != nil {
			require.True(t, knownOpenError(err), "%s: %v", name, err)
			continue
		}
		p, err := doc.Measure(t.Context(), 1)
		if err == nil {
			err = doc.Render(t.Context(), &p)
		}
		require.True(t, err == nil || errors.Is(err, ErrPageRender), "%s: %v", name, err)
		require.LessOrEqual(t, p.Width*p.Height, 200_000*11/10, "%s: rendered %dx%d", name, p.Width, p.Height)
		doc.Close()
	}
}
