package ocrsim

import (
	"encoding/binary"
	"image"
	"image/draw"
)

// nrgbaRows calls emit with each row of src's pixels in the canonical layout
// ImageID hashes: non-premultiplied RGBA. The pipeline sends grayscale and
// opaque RGB pages, whose rows are built directly (or, for opaque RGBA,
// passed as they are); anything else goes through draw.Draw a row at a time.
// Row by row, because building the whole NRGBA copy of a page and zeroing it
// first was a sixth of the simulator's CPU in the benchmark, time a real vLLM
// server spends on its own machine.
func nrgbaRows(src image.Image, emit func(row []byte)) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := src.(type) {
	case *image.Gray:
		out := make([]byte, 4*w)
		for y := range h {
			row := m.Pix[(y+b.Min.Y-m.Rect.Min.Y)*m.Stride+(b.Min.X-m.Rect.Min.X):]
			for x, v := range row[:w] {
				binary.LittleEndian.PutUint32(out[4*x:4*x+4], grayNRGBA[v])
			}
			emit(out)
		}
		return
	case *image.RGBA:
		if m.Opaque() { // opaque premultiplied RGBA is the same bytes as NRGBA
			for y := range h {
				start := m.PixOffset(b.Min.X, b.Min.Y+y)
				emit(m.Pix[start : start+4*w])
			}
			return
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, 1))
	for y := range h {
		draw.Draw(dst, dst.Rect, src, image.Pt(b.Min.X, b.Min.Y+y), draw.Src)
		emit(dst.Pix)
	}
}

// grayNRGBA[v] is the gray level v as one little-endian NRGBA pixel.
var grayNRGBA = func() (t [256]uint32) {
	for v := range t {
		t[v] = uint32(v) * 0x010101
		t[v] |= 0xff << 24
	}
	return t
}()
