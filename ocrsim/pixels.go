package ocrsim

import (
	"image"
	"image/draw"
)

// nrgbaPixels returns src's pixels in the canonical layout ImageID hashes:
// non-premultiplied RGBA, row after row. The pipeline sends grayscale and
// opaque RGB pages, for which the bytes are built directly; draw.Draw's
// generic path (a call per pixel) was 40 % of the simulator's CPU in the
// benchmark, time a real vLLM server spends on its own machine.
func nrgbaPixels(src image.Image) []byte {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := src.(type) {
	case *image.Gray:
		out := make([]byte, 4*w*h)
		for y := range h {
			row := m.Pix[(y+b.Min.Y-m.Rect.Min.Y)*m.Stride+(b.Min.X-m.Rect.Min.X):]
			o := out[4*w*y:]
			for x := range w {
				v := row[x]
				o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = v, v, v, 0xff
			}
		}
		return out
	case *image.RGBA:
		if m.Opaque() { // opaque premultiplied RGBA is the same bytes as NRGBA
			out := make([]byte, 4*w*h)
			for y := range h {
				start := m.PixOffset(b.Min.X, b.Min.Y+y)
				copy(out[4*w*y:4*w*(y+1)], m.Pix[start:start+4*w])
			}
			return out
		}
	}
	dst := image.NewNRGBA(b)
	draw.Draw(dst, b, src, b.Min, draw.Src)
	return dst.Pix
}
