package render

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const samples = "../../../shared/pdfs"

// TestEncodePNGPixels decodes the fast encoder's output with image/png and
// compares every pixel, for gray and colour pages of the samples.
func TestEncodePNGPixels(t *testing.T) {
	for _, name := range []string{"pdflatex-4-pages.pdf", "cmyk-image.pdf", "grayscale-image.pdf", "pdflatex-image.pdf"} {
		doc := openSample(t, name)
		doc.opts.Format = FormatPNG
		page, err := doc.Measure(t.Context(), 1)
		require.NoError(t, err)
		require.NoError(t, doc.Render(t.Context(), &page))
		got, err := png.Decode(bytes.NewReader(page.Image))
		require.NoError(t, err, name)
		img, err := doc.f.ImageDPI(0, doc.dpiFor(page.Features.Width, page.Features.Height))
		require.NoError(t, err)
		require.Equal(t, nrgba(img).Pix, nrgba(got).Pix, name)
	}
}

func openSample(t testing.TB, name string) *Doc {
	b, err := os.ReadFile(filepath.Join(samples, name))
	if err != nil {
		t.Skipf("sample %s: %v", name, err)
	}
	doc, err := Open(b, Options{})
	require.NoError(t, err)
	t.Cleanup(doc.Close)
	return doc
}

func nrgba(img image.Image) *image.NRGBA {
	out := image.NewNRGBA(img.Bounds())
	draw.Draw(out, out.Rect, img, img.Bounds().Min, draw.Src)
	return out
}

// BenchmarkDeflate encodes rendered sample pages with the standard library's
// zlib (the baseline) and with the one split uses; compare ns/op and the
// bytes/page metric between the two sub-benchmarks of one run.
func BenchmarkDeflate(b *testing.B) {
	var pages []image.Image
	for _, name := range []string{"pdflatex-4-pages.pdf", "GeoTopo-komprimiert.pdf", "cmyk-image.pdf", "imagemagick-CCITTFaxDecode.pdf"} {
		doc := openSample(b, name)
		bound, err := doc.f.Bound(0)
		require.NoError(b, err)
		img, err := doc.f.ImageDPI(0, doc.dpiFor(float64(bound.Dx()), float64(bound.Dy())))
		require.NoError(b, err)
		if g, ok := grayOf(img); ok {
			pages = append(pages, g)
		} else {
			pages = append(pages, img)
		}
	}
	for _, c := range []struct {
		name    string
		deflate deflater
	}{{"stdlib", stdDeflate}, {"klauspost", fastDeflate}} {
		b.Run(c.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				size = 0
				for _, img := range pages {
					var buf bytes.Buffer
					ok, err := encodePNGWith(&buf, img, c.deflate)
					require.True(b, ok)
					require.NoError(b, err)
					size += buf.Len()
				}
			}
			b.ReportMetric(float64(size)/float64(len(pages)), "bytes/page")
		})
	}
}

// TestEncodeTranslucentOnWhite: translucent pixels come out as a viewer shows
// them on a white page, in colour and in gray.
func TestEncodeTranslucentOnWhite(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		px   color.RGBA // premultiplied
	}{
		{"gray", color.RGBA{R: 40, G: 40, B: 40, A: 128}},
		{"colour", color.RGBA{R: 100, G: 20, B: 0, A: 200}},
		{"clear", color.RGBA{}},
	} {
		img := image.NewRGBA(image.Rect(0, 0, 7, 5))
		draw.Draw(img, img.Rect, &image.Uniform{c.px}, image.Point{}, draw.Src)
		data, mime, err := Encode(img, "png", 0)
		require.NoError(t, err, c.name)
		require.Equal(t, "image/png", mime)
		got, err := png.Decode(bytes.NewReader(data))
		require.NoError(t, err, c.name)

		want := image.NewRGBA(img.Rect)
		draw.Draw(want, want.Rect, image.White, image.Point{}, draw.Src)
		draw.Draw(want, want.Rect, img, image.Point{}, draw.Over)
		require.Equal(t, nrgba(want).Pix, nrgba(got).Pix, c.name)
	}
}

// TestEncodeAutoPicksJPEGForPhotos: with the default format, pages of text,
// drawings and scanned print stay lossless PNG, and the colour photograph
// goes as a JPEG a fraction of the PNG's size.
func TestEncodeAutoPicksJPEGForPhotos(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		file string
		mime string
	}{
		{"pdflatex-4-pages.pdf", "image/png"},
		{"pdflatex-image.pdf", "image/png"},
		{"grayscale-image.pdf", "image/png"},
		{"imagemagick-CCITTFaxDecode.pdf", "image/png"},
		{"cmyk-image.pdf", "image/jpeg"},
	} {
		doc := openSample(t, c.file)
		bound, err := doc.f.Bound(0)
		require.NoError(t, err)
		img, err := doc.f.ImageDPI(0, doc.dpiFor(float64(bound.Dx()), float64(bound.Dy())))
		require.NoError(t, err)
		data, mime, err := Encode(img, FormatAuto, 90)
		require.NoError(t, err)
		require.Equal(t, c.mime, mime, c.file)
		decoded, _, err := image.Decode(bytes.NewReader(data))
		require.NoError(t, err, c.file)
		require.Equal(t, img.Rect.Size(), decoded.Bounds().Size(), c.file)
		if mime == "image/jpeg" {
			pngData, _, err := Encode(img, FormatPNG, 90)
			require.NoError(t, err)
			require.Less(t, len(data)*4, len(pngData), "%s: the JPEG is a fraction of the PNG", c.file)
		}
	}
}

// TestEstimatePNGBytes: the sampled estimate lands on the same side of the
// photograph threshold as the real size, and near it, for every kind of page
// of the samples.
func TestEstimatePNGBytes(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"pdflatex-4-pages.pdf", "pdflatex-image.pdf", "grayscale-image.pdf",
		"imagemagick-CCITTFaxDecode.pdf", "imagemagick-images.pdf", "cmyk-image.pdf", "GeoTopo-komprimiert.pdf"} {
		doc := openSample(t, name)
		bound, err := doc.f.Bound(0)
		require.NoError(t, err)
		img, err := doc.f.ImageDPI(0, doc.dpiFor(float64(bound.Dx()), float64(bound.Dy())))
		require.NoError(t, err)
		var src image.Image = img
		if g, ok := grayOf(img); ok {
			src = g
		}
		var buf bytes.Buffer
		ok, err := encodePNG(&buf, src)
		require.True(t, ok)
		require.NoError(t, err)
		px := float64(img.Rect.Dx() * img.Rect.Dy())
		est, real := estimatePNGBytes(src)/px, float64(buf.Len())/px
		require.Equal(t, real > photoBytesPerPixel, est > photoBytesPerPixel, "%s: estimate %.3f, real %.3f bytes a pixel", name, est, real)
		require.InDelta(t, real, est, max(0.05, real/2), "%s: estimate %.3f, real %.3f bytes a pixel", name, est, real)
	}
}

// grayOfTwoPass is grayOf as it was, the baseline of BenchmarkGrayOf.
func grayOfTwoPass(img *image.RGBA) (*image.Gray, bool) {
	pix := img.Pix
	for i := 0; i+3 < len(pix); i += 4 {
		if pix[i] != pix[i+1] || pix[i] != pix[i+2] {
			return nil, false
		}
	}
	g := image.NewGray(img.Rect)
	for i, j := 0, 0; i+3 < len(pix); i, j = i+4, j+1 {
		g.Pix[j] = pix[i] + (255 - pix[i+3])
	}
	return g, true
}

// TestGrayOf: same answer and pixels as the two-pass baseline on every first
// page of the samples, gray or colour, and on translucent pixels.
func TestGrayOf(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join(samples, "*.pdf"))
	require.NoError(t, err)
	imgs := []*image.RGBA{{Pix: []byte{10, 10, 10, 128, 0, 0, 0, 0}, Stride: 8, Rect: image.Rect(0, 0, 2, 1)}}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		doc, err := Open(b, Options{})
		if err != nil {
			continue
		}
		img, err := doc.f.ImageDPI(0, 72)
		doc.Close()
		require.NoError(t, err)
		imgs = append(imgs, img)
	}
	gray := 0
	for i, img := range imgs {
		want, wantOK := grayOfTwoPass(img)
		got, ok := grayOf(img)
		require.Equal(t, wantOK, ok, i)
		if ok {
			gray++
			require.Equal(t, want.Pix, got.Pix, i)
		}
	}
	require.Greater(t, gray, 1)
	require.Less(t, gray, len(imgs))
}

func BenchmarkGrayOf(b *testing.B) {
	doc := openSample(b, "pdflatex-4-pages.pdf")
	img, err := doc.f.ImageDPI(0, 144)
	require.NoError(b, err)
	for _, c := range []struct {
		name string
		fn   func(*image.RGBA) (*image.Gray, bool)
	}{{"two-pass", grayOfTwoPass}, {"one-pass", grayOf}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok := c.fn(img); !ok {
					b.Fatal("page not gray")
				}
			}
		})
	}
}
