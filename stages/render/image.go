package render

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"

	"github.com/gen2brain/go-fitz"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// Kinds of upload docparse reads, judged by their first bytes, never by name.
const (
	KindPDF  = "application/pdf"
	KindPNG  = "image/png"
	KindJPEG = "image/jpeg"
	KindTIFF = "image/tiff"
	KindWebP = "image/webp"
)

// ErrBadImage fails a job whose image upload cannot be decoded.
var ErrBadImage = errors.New("the image cannot be decoded (corrupt, truncated or an unsupported variant)")

// Sniff names the kind of an upload from its magic bytes, or "" when
// docparse does not read it.
func Sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return KindJPEG
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return KindTIFF
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return KindWebP
	case IsPDF(b):
		return KindPDF
	}
	return ""
}

// IsImage reports whether b is one of the image kinds docparse reads.
func IsImage(b []byte) bool {
	k := Sniff(b)
	return k != "" && k != KindPDF
}

// openImage opens an image upload as a document: MuPDF reads PNG, JPEG and
// TIFF itself (every page of a multi-page TIFF), so the rest of the pipeline
// measures and renders image pages exactly like PDF pages. MuPDF has no WebP
// decoder, so WebP is decoded in Go and handed over as PNG; a TIFF variant
// MuPDF refuses gets the same treatment with its first page.
func openImage(b []byte, opts Options) (*Doc, error) {
	if Sniff(b) == KindWebP {
		png, err := toPNG(b, webp.Decode)
		if err != nil {
			return nil, err
		}
		b = png
	}
	d, err := openImageFitz(b, opts)
	if err != nil && Sniff(b) == KindTIFF {
		png, perr := toPNG(b, tiff.Decode)
		if perr != nil {
			return nil, errors.Join(err, perr)
		}
		return openImageFitz(png, opts)
	}
	return d, err
}

func openImageFitz(b []byte, opts Options) (*Doc, error) {
	f, err := fitz.NewFromMemory(b)
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	n := f.NumPage()
	if n <= 0 {
		_ = f.Close()
		return nil, fmt.Errorf("%w: no image in the file", ErrBadImage)
	}
	return newDoc(f, opts, nil, nil)
}

// toPNG re-encodes an image MuPDF cannot read into one it can.
func toPNG(b []byte, decode func(r io.Reader) (image.Image, error)) ([]byte, error) {
	img, err := decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img); err != nil {
		return nil, fmt.Errorf("re-encode image as png: %w", err)
	}
	return out.Bytes(), nil
}

// CheckImage reports whether an image upload's header decodes, so the API
// can refuse a file that only starts like an image before queueing a job.
func CheckImage(b []byte) error {
	_, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil && Sniff(b) == KindTIFF {
		// Go's TIFF decoder knows fewer variants than MuPDF: ask MuPDF too.
		d, ferr := openImageFitz(b, Options{})
		if ferr == nil {
			d.Close()
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	return nil
}
