package render

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
	f.Add([]byte("%PDF-1.4\n%%EOF"))
	f.Add([]byte("not a pdf"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Open(data, Options{DPI: 36, MaxPixels: 200_000})
		if err != nil {
			if !knownOpenError(err) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		defer doc.Close()
		p, err := doc.Measure(1, true)
		if err != nil {
			return
		}
		if err := doc.Render(&p); err == nil && p.Width*p.Height > 200_000*11/10 {
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
