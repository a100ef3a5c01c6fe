package ocrsim

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNRGBARowsMatchDraw keeps the fast paths equal to draw.Draw, which
// defines the pixels ImageID hashes.
func TestNRGBARowsMatchDraw(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 7, 5))
	rgba := image.NewRGBA(image.Rect(0, 0, 7, 5))
	translucent := image.NewRGBA(image.Rect(0, 0, 7, 5))
	for y := range 5 {
		for x := range 7 {
			gray.SetGray(x, y, color.Gray{uint8(x*30 + y)})
			rgba.Set(x, y, color.RGBA{uint8(x * 20), uint8(y * 40), uint8(x + y), 0xff})
			translucent.Set(x, y, color.RGBA{uint8(x * 10), 0, 0, uint8(x*20 + 100)})
		}
	}
	for name, img := range map[string]image.Image{"gray": gray, "rgba": rgba, "translucent": translucent,
		"gray sub-image": gray.SubImage(image.Rect(2, 1, 6, 4)), "rgba sub-image": rgba.SubImage(image.Rect(1, 2, 5, 5))} {
		b := img.Bounds()
		want := image.NewNRGBA(b)
		draw.Draw(want, b, img, b.Min, draw.Src)
		var got []byte
		nrgbaRows(img, func(row []byte) { got = append(got, row...) })
		require.Equal(t, want.Pix, got, name)
	}
}
