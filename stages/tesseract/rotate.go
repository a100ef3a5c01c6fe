package tesseract

import (
	"image"
	"image/draw"
)

// rotate turns an image clockwise by 90, 180 or 270 degrees; any other
// angle returns it unchanged. Pixels are copied as RGBA bytes: going through
// At and Set would take a second on a full page.
func rotate(src image.Image, deg int) image.Image {
	if deg != 90 && deg != 180 && deg != 270 {
		return src
	}
	in := toRGBA(src)
	w, h := in.Rect.Dx(), in.Rect.Dy()
	ow, oh := h, w
	if deg == 180 {
		ow, oh = w, h
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := range h {
		row := in.Pix[y*in.Stride:]
		for x := range w {
			var dx, dy int
			switch deg {
			case 90:
				dx, dy = h-1-y, x
			case 180:
				dx, dy = w-1-x, h-1-y
			case 270:
				dx, dy = y, w-1-x
			}
			copy(out.Pix[dy*out.Stride+dx*4:][:4], row[x*4:][:4])
		}
	}
	return out
}

// toRGBA returns src as an RGBA image whose origin is (0, 0).
func toRGBA(src image.Image) *image.RGBA {
	if m, ok := src.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) {
		return m
	}
	b := src.Bounds()
	m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(m, m.Rect, src, b.Min, draw.Src)
	return m
}
