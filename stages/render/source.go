package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/gen2brain/go-fitz"
)

// Source is an upload checked once and shared by every Doc opened from it:
// a split process renders one big PDF in several consumers at once, and each
// of them holding its own copy of the bytes and its own pdfcpu parse made
// worker memory grow with the document (BENCHMARKS.md, memory case).
//
// A PDF is held either in memory (Load) or in a file (LoadFile), which MuPDF
// reads as it needs: then no process holds a whole upload in its heap.
type Source struct {
	data      []byte
	path      string // LoadFile's file, removed by Close
	image     bool
	mayAnnots bool // LoadFile: what the caller's AnnotScan found

	annotsOnce sync.Once
	annots     map[int]annotCounts
}

// Load checks that b is a PDF or an image docparse can open. It does not parse
// the PDF yet: MuPDF does that in Open.
func Load(b []byte) (*Source, error) {
	if IsImage(b) {
		return &Source{data: b, image: true}, nil
	}
	if err := checkPDF(b, b[max(0, len(b)-eofWindow):]); err != nil {
		return nil, err
	}
	return &Source{data: b}, nil
}

// eofWindow is how far from the end a PDF's %%EOF marker is looked for.
const eofWindow = 4096

// checkPDF judges a PDF by its first kilobyte and its last eofWindow bytes.
func checkPDF(head, tail []byte) error {
	if !IsPDF(head) {
		return ErrBadPDF
	}
	// MuPDF repairs a cut-off file silently and would read only what is left;
	// a missing %%EOF tells the user their upload is incomplete instead.
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return ErrTruncated
	}
	return nil
}

// LoadFile is Load for an upload written to path, which the Source then owns
// and Close removes. scan is an AnnotScan that was fed the whole file, so
// that the file need not be read again to know whether pdfcpu must look for
// annotations. An image is read into memory (MuPDF opens images from memory)
// and its file removed at once.
func LoadFile(path string, scan *AnnotScan) (*Source, error) {
	s, err := loadFile(path, scan)
	if err != nil || s.path == "" {
		_ = os.Remove(path)
	}
	return s, err
}

func loadFile(path string, scan *AnnotScan) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open upload file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat upload file: %w", err)
	}
	head := make([]byte, min(st.Size(), 1024))
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, fmt.Errorf("read upload file: %w", err)
	}
	if IsImage(head) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read upload file: %w", err)
		}
		return &Source{data: b, image: true}, nil
	}
	tail := make([]byte, min(st.Size(), eofWindow))
	if _, err := f.ReadAt(tail, st.Size()-int64(len(tail))); err != nil {
		return nil, fmt.Errorf("read upload file: %w", err)
	}
	if err := checkPDF(head, tail); err != nil {
		return nil, err
	}
	return &Source{path: path, mayAnnots: scan == nil || scan.Found()}, nil
}

// Close removes LoadFile's file. Docs opened on the Source keep reading it
// until they are closed (the file stays readable while open).
func (s *Source) Close() {
	if s.path != "" {
		_ = os.Remove(s.path)
	}
}

// Open parses the source with MuPDF. Docs opened from one Source share its
// bytes and its annotation counts; each has its own MuPDF context.
func (s *Source) Open(opts Options) (*Doc, error) {
	if s.image {
		return openImage(s.data, opts) // image.go: PNG, JPEG, TIFF, WebP
	}
	var f *fitz.Document
	var err error
	if s.path != "" {
		f, err = openPDFFile(s.path)
	} else {
		f, err = openPDF(s.data)
	}
	if err != nil {
		return nil, err
	}
	if f.NumPage() <= 0 {
		_ = f.Close()
		return nil, ErrNoPages
	}
	return newDoc(f, opts, s.annotations, s)
}

// annotations counts the upload's annotations on first use, not in Open:
// counting a job's pages needs none, and pdfcpu's parse of a 16 MB upload took
// 0.45 s, which held back the job's ranges and so its first pages. Counted
// after MuPDF accepted the file, so pdfcpu never sees what MuPDF refused.
func (s *Source) annotations() map[int]annotCounts {
	s.annotsOnce.Do(func() {
		if s.path == "" {
			s.annots = countAnnotations(s.data)
			return
		}
		if s.mayAnnots {
			s.annots = countAnnotationsFile(s.path)
		}
	})
	return s.annots
}

// openPDF opens b with MuPDF, its failures turned into the errors a user sees.
func openPDF(b []byte) (*fitz.Document, error) {
	return fitzOpened(fitz.NewFromMemory(b))
}

// openPDFFile is openPDF for a file, which MuPDF reads as it needs.
func openPDFFile(path string) (*fitz.Document, error) {
	return fitzOpened(fitz.New(path))
}

func fitzOpened(f *fitz.Document, err error) (*fitz.Document, error) {
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
