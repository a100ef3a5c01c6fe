package ocrsim

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for the formats the pipeline renders
	_ "image/png"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// picture is a decoded page image and its identity.
type picture struct {
	id            string // ImageID
	width, height int
	raw           []byte // the encoded bytes, for Tesseract
}

// ImageID decodes an encoded image (PNG or JPEG) and returns the identity the
// simulator answers with: "page-" and the 64-bit xxHash of its pixels as
// non-premultiplied RGBA, in 16 hex digits. It depends on the pixels only, so
// tests can compute the expected identity of every page they render. xxHash
// rather than SHA-256: it tells pages apart as well, and SHA-256 was a fifth
// of the simulator's CPU, which shares the benchmark's cores with docparse.
func ImageID(img []byte) (string, error) {
	p, err := decodePicture(img)
	if err != nil {
		return "", err
	}
	return p.id, nil
}

// decodePicture decodes img and hashes its pixels. Drawing into an NRGBA of
// the same bounds gives one canonical pixel layout whatever the source format
// (paletted PNG, YCbCr JPEG, ...).
func decodePicture(img []byte) (picture, error) {
	src, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return picture{}, fmt.Errorf("decode image (%d bytes): %w", len(img), err)
	}
	b := src.Bounds()
	d := xxhash.New()
	nrgbaRows(src, func(row []byte) { _, _ = d.Write(row) }) // pixels.go
	return picture{id: fmt.Sprintf("page-%016x", d.Sum64()), width: b.Dx(), height: b.Dy(), raw: img}, nil
}

// decodeDataURL returns the bytes of a base64 data URL,
// data:image/png;base64,.... Remote URLs are refused: the pipeline always
// sends the page inline, and the simulator must not fetch anything.
func decodeDataURL(u string) ([]byte, error) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return nil, errors.New("image_url is not a data: URL")
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		return nil, errors.New("image_url data URL is not base64")
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("image_url base64: %w", err)
	}
	return b, nil
}
