package render

import (
	"fmt"
	"io"
	"os"
)

// CountPages opens a PDF with MuPDF only to count its pages: the API uses it
// to enforce MAX_PAGES at upload time, without Open's annotation scan.
func CountPages(pdf []byte) (int, error) {
	if IsImage(pdf) {
		d, err := openImage(pdf, Options{})
		if err != nil {
			return 0, err
		}
		defer d.Close()
		return d.Pages(), nil
	}
	if !IsPDF(pdf) {
		return 0, ErrBadPDF
	}
	f, err := openPDF(pdf) // source.go
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.NumPage(), nil
}

// CountPagesFile is CountPages for an upload in a file, which MuPDF reads as
// it needs rather than from a copy in memory.
func CountPagesFile(path string) (int, error) {
	head := make([]byte, 1024)
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open upload: %w", err)
	}
	n, _ := io.ReadFull(f, head)
	f.Close()
	if IsImage(head[:n]) {
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, fmt.Errorf("read upload: %w", err)
		}
		return CountPages(b)
	}
	if !IsPDF(head[:n]) {
		return 0, ErrBadPDF
	}
	d, err := openPDFFile(path) // source.go
	if err != nil {
		return 0, err
	}
	defer d.Close()
	return d.NumPage(), nil
}
