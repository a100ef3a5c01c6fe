package render

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"io"

	kzlib "github.com/klauspost/compress/zlib"
)

// deflater makes the zlib writer of an IDAT stream.
type deflater func(io.Writer) (io.WriteCloser, error)

// fastDeflate is klauspost/compress's zlib at its fastest level: on rendered
// pages it deflates about twice as fast as compress/zlib's BestSpeed for the
// same size (BenchmarkDeflate), and deflate was most of split's encoding time.
func fastDeflate(w io.Writer) (io.WriteCloser, error) {
	return kzlib.NewWriterLevel(w, kzlib.BestSpeed)
}

// stdDeflate is the standard library's, kept as the benchmark's baseline.
func stdDeflate(w io.Writer) (io.WriteCloser, error) {
	return zlib.NewWriterLevel(w, zlib.BestSpeed)
}

// encodePNG writes a rendered page as an 8-bit grayscale or RGB PNG with
// every row unfiltered and deflate at its fastest level.
//
// Why not image/png: it tries all five row filters on every row and keeps the
// best, which on rendered document pages cost more than the rest of encoding
// and gained nothing: on ../shared/pdfs pages at 144 DPI, unfiltered rows
// came out 2 % smaller on gray pages and 5 % smaller on colour ones (large
// flat areas compress better raw than as Paeth residues), at 2.5× the encoding
// speed, and decode faster on the model server's side (see BENCHMARKS.md).
// ok is false for an image type it does not handle; the caller then falls
// back to image/png.
func encodePNG(w io.Writer, img image.Image) (ok bool, err error) {
	return encodePNGWith(w, img, fastDeflate)
}

func encodePNGWith(w io.Writer, img image.Image, deflate deflater) (ok bool, err error) {
	height, width, channels, row := pngRows(img)
	if row == nil {
		return false, nil
	}
	return true, writePNG(w, width, height, channels, row, deflate)
}

// pngRows gives what encodePNG writes of img, row by row: 8-bit gray, or RGB
// composited on white. row is nil for any other image type.
func pngRows(img image.Image) (height, width, channels int, row func(y int, dst []byte)) {
	switch m := img.(type) {
	case *image.Gray:
		width = m.Rect.Dx()
		return m.Rect.Dy(), width, 1, func(y int, dst []byte) { copy(dst, m.Pix[y*m.Stride:y*m.Stride+width]) }
	case *image.RGBA:
		width = m.Rect.Dx()
		return m.Rect.Dy(), width, 3, func(y int, dst []byte) { rgbOverWhite(dst, m.Pix[y*m.Stride:y*m.Stride+4*width]) }
	}
	return 0, 0, 0, nil
}

// rgbOverWhite drops alpha by compositing on white, as a viewer shows the
// page: a page with a transparency group comes out of MuPDF with translucent
// pixels, and a model given RGBA would see them on black or on nothing.
// image.RGBA is premultiplied, so over white each channel is c + (255 - a).
func rgbOverWhite(dst, src []byte) {
	for x, s := 0, 0; x < len(dst); x, s = x+3, s+4 {
		bg := 255 - src[s+3]
		dst[x], dst[x+1], dst[x+2] = src[s]+bg, src[s+1]+bg, src[s+2]+bg
	}
}

// Bands of rows estimatePNGBytes deflates: whole bands, because deflate
// finds much of a page's redundancy between neighbouring rows.
const (
	sampleBands    = 8
	sampleBandRows = 8
)

// estimatePNGBytes guesses the size of encodePNG's output from a few bands of
// rows spread over the image, at about a twentieth of the cost of encoding
// it. It returns 0 for an image type encodePNG does not handle.
func estimatePNGBytes(img image.Image) float64 {
	rows, width, channels, row := pngRows(img)
	if row == nil || rows == 0 {
		return 0
	}
	var n countingWriter
	zw, err := fastDeflate(&n)
	if err != nil {
		return 0
	}
	line := make([]byte, 1+channels*width)
	sampled := 0
	for b := range sampleBands {
		start := b * rows / sampleBands
		for y := start; y < min(rows, start+sampleBandRows); y++ {
			row(y, line[1:])
			_, _ = zw.Write(line)
			sampled++
		}
	}
	_ = zw.Close()
	return float64(n) * float64(rows) / float64(sampled)
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

func writePNG(w io.Writer, width, height, channels int, row func(y int, dst []byte), deflate deflater) error {
	color := byte(0) // PNG colour type: 0 gray, 2 RGB
	if channels == 3 {
		color = 2
	}
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
	idat := &chunkWriter{w: bw, typ: "IDAT"}
	zw, err := deflate(idat)
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
