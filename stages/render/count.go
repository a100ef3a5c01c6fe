package render

import (
	"fmt"
	"io"
	"os"
)

// CountPagesFile opens an upload only to count its pages: the API uses it to
// enforce MAX_PAGES at upload time. MuPDF reads a PDF from the file as it
// needs; an image is read whole, as MuPDF opens images from memory.
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
		d, err := openImage(b, Options{})
		if err != nil {
			return 0, err
		}
		defer d.Close()
		return d.Pages(), nil
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
