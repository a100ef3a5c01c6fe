package render

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/gen2brain/go-fitz"
)

// Source is an upload checked once and shared by every Doc opened from it:
// a split process renders one big PDF in several consumers at once, and each
// of them holding its own copy of the bytes and its own pdfcpu parse made
// worker memory grow with the document (BENCHMARKS.md, memory case).
type Source struct {
	data  []byte
	image bool

	annotsOnce sync.Once
	annots     map[int]annotCounts
}

// Load checks that b is a PDF or an image docparse can open. It does not parse
// the PDF yet: MuPDF does that in Open.
func Load(b []byte) (*Source, error) {
	if IsImage(b) {
		return &Source{data: b, image: true}, nil
	}
	if !IsPDF(b) {
		return nil, ErrBadPDF
	}
	// MuPDF repairs a cut-off file silently and would read only what is left;
	// a missing %%EOF tells the user their upload is incomplete instead.
	if !bytes.Contains(b[max(0, len(b)-4096):], []byte("%%EOF")) {
		return nil, ErrTruncated
	}
	return &Source{data: b}, nil
}

// Size is the upload's length in bytes.
func (s *Source) Size() int { return len(s.data) }

// Open parses the source with MuPDF. Docs opened from one Source share its
// bytes and its annotation counts; each has its own MuPDF context.
func (s *Source) Open(opts Options) (*Doc, error) {
	if s.image {
		return openImage(s.data, opts) // image.go: PNG, JPEG, TIFF, WebP
	}
	f, err := openPDF(s.data)
	if err != nil {
		return nil, err
	}
	n := f.NumPage()
	if n <= 0 {
		_ = f.Close()
		return nil, ErrNoPages
	}
	return &Doc{f: f, opts: opts.withDefaults(), pages: n, annots: s.annotations, src: s}, nil
}

// annotations counts the upload's annotations on first use, not in Open:
// counting a job's pages needs none, and pdfcpu's parse of a 16 MB upload took
// 0.45 s, which held back the job's ranges and so its first pages. Counted
// after MuPDF accepted the file, so pdfcpu never sees what MuPDF refused.
func (s *Source) annotations() map[int]annotCounts {
	s.annotsOnce.Do(func() { s.annots = countAnnotations(s.data) })
	return s.annots
}

// openPDF opens b with MuPDF, its failures turned into the errors a user sees.
func openPDF(b []byte) (*fitz.Document, error) {
	f, err := fitz.NewFromMemory(b)
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		if errors.Is(err, fitz.ErrNeedsPassword) {
			return nil, ErrEncrypted
		}
		return nil, fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	return f, nil
}

// Open parses a PDF (or image) held in memory. A PDF that needs a password
// must have been decrypted before (see Decrypt).
func Open(b []byte, opts Options) (*Doc, error) {
	s, err := Load(b)
	if err != nil {
		return nil, err
	}
	return s.Open(opts)
}

// LimitStore bounds each document's MuPDF resource store (decoded fonts and
// images kept between pages). go-fitz's default is 256 MB per document, and
// split keeps several documents open per process. The first call before any
// Open sets it for the process; later calls change nothing, as go-fitz reads
// the setting unguarded on every open.
func LimitStore(bytes int) {
	storeOnce.Do(func() {
		if bytes > 0 {
			fitz.MaxStore = bytes
		}
	})
}

var storeOnce sync.Once
