package render

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"io"
)

// encodePNG writes a rendered page as an 8-bit grayscale or RGB PNG with
// every row unfiltered and deflate at its fastest level.
//
// Why not image/png: it tries all five row filters on every row and keeps the
// best, which on rendered document pages cost more than the rest of encoding
// and gained nothing: on ../shared/pdfs pages at 144 DPI, unfiltered rows
// came out 2 % smaller on gray pages and 5 % smaller on colour ones (large
// flat areas compress better raw than as Paeth residues), at 2.5× the encoding
// speed, and decode faster on the model server's side (see BENCHMARKS.md).
// ok is false for an image it does not handle (translucent pixels); the
// caller then falls back to image/png.
func encodePNG(w io.Writer, img image.Image) (ok bool, err error) {
	var color byte // PNG colour type: 0 gray, 2 RGB
	var width, height int
	var row func(y int, dst []byte)
	switch m := img.(type) {
	case *image.Gray:
		width, height, color = m.Rect.Dx(), m.Rect.Dy(), 0
		row = func(y int, dst []byte) { copy(dst, m.Pix[y*m.Stride:y*m.Stride+width]) }
	case *image.RGBA:
		if !m.Opaque() {
			return false, nil
		}
		width, height, color = m.Rect.Dx(), m.Rect.Dy(), 2
		row = func(y int, dst []byte) {
			src := m.Pix[y*m.Stride : y*m.Stride+4*width]
			for x, s := 0, 0; x < len(dst); x, s = x+3, s+4 {
				dst[x], dst[x+1], dst[x+2] = src[s], src[s+1], src[s+2]
			}
		}
	default:
		return false, nil
	}
	return true, writePNG(w, width, height, color, row)
}

func writePNG(w io.Writer, width, height int, color byte, row func(y int, dst []byte)) error {
	bw := bufio.NewWriter(w)
	if _, err := io.WriteString(bw, "\x89PNG\r\n\x1a\n"); err != nil {
		return err
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, color // bit depth 8; compression, filter, interlace 0
	if err := writeChunk(bw, "IHDR", ihdr); err != nil {
		return err
	}
	channels := 1
	if color == 2 {
		channels = 3
	}
	idat := &chunkWriter{w: bw, typ: "IDAT"}
	zw, err := zlib.NewWriterLevel(idat, zlib.BestSpeed)
	if err != nil {
		return err
	}
	line := make([]byte, 1+channels*width) // line[0] = 0: filter type None
	for y := range height {
		row(y, line[1:])
		if _, err := zw.Write(line); err != nil {
			return fmt.Errorf("png row %d: %w", y, err)
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := writeChunk(bw, "IEND", nil); err != nil {
		return err
	}
	return bw.Flush()
}

// chunkWriter turns each write of the zlib stream into one IDAT chunk.
type chunkWriter struct {
	w   io.Writer
	typ string
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	if err := writeChunk(c.w, c.typ, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func writeChunk(w io.Writer, typ string, data []byte) error {
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(data)))
	copy(hdr[4:], typ)
	crc := crc32.NewIEEE()
	crc.Write(hdr[4:])
	crc.Write(data)
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc.Sum32())
	for _, b := range [][]byte{hdr[:], data, sum[:]} {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("png %s chunk: %w", typ, err)
		}
	}
	return nil
}
