package assemble

import (
	"archive/zip"
	"bytes"
	"fmt"
	"sort"
)

// Zip packs a result with the image files its Markdown references, for the
// include_images download: the document at the top, images under images/.
func Zip(name string, body []byte, files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if err := addFile(zw, name, body); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := addFile(zw, n, files[n]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	return buf.Bytes(), nil
}

func addFile(zw *zip.Writer, name string, b []byte) error {
	w, err := zw.Create(name)
	if err != nil {
		return fmt.Errorf("zip %s: %w", name, err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("zip %s: %w", name, err)
	}
	return nil
}
