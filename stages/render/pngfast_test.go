package render

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

const samples = "../../../shared/pdfs"

// TestEncodePNGPixels decodes the fast encoder's output with image/png and
// compares every pixel, for gray and colour pages of the samples.
func TestEncodePNGPixels(t *testing.T) {
	for _, name := range []string{"pdflatex-4-pages.pdf", "cmyk-image.pdf", "grayscale-image.pdf", "pdflatex-image.pdf"} {
		doc := openSample(t, name)
		page, err := doc.Measure(1, false)
		require.NoError(t, err)
		require.NoError(t, doc.Render(&page))
		got, err := png.Decode(bytes.NewReader(page.Image))
		require.NoError(t, err, name)
		img, err := doc.f.ImageDPI(0, doc.dpiFor(page.Features.Width, page.Features.Height))
		require.NoError(t, err)
		require.Equal(t, nrgba(img).Pix, nrgba(got).Pix, name)
	}
}

// TestCountDrawnPathsMatchesRegexp keeps the scanner equal to the regular
// expressions it replaced, on every page of the samples.
func TestCountDrawnPathsMatchesRegexp(t *testing.T) {
	block := regexp.MustCompile(`(?s)<symbol.*?</symbol>|<clipPath.*?</clipPath>|<defs>.*?</defs>`)
	path := regexp.MustCompile(`<path[^>]*(stroke=|fill=)`)
	files, _ := filepath.Glob(filepath.Join(samples, "*.pdf"))
	if len(files) == 0 {
		t.Skip("sample PDFs not found")
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		doc, err := Open(b, Options{})
		if err != nil {
			continue // the password-protected sample
		}
		for i := range min(doc.Pages(), 12) {
			svg, err := doc.f.SVG(i)
			require.NoError(t, err)
			want := len(path.FindAllStringIndex(block.ReplaceAllString(svg, ""), -1))
			require.Equal(t, want, countDrawnPaths(svg), "%s page %d", filepath.Base(f), i+1)
		}
		doc.Close()
	}
}

func openSample(t *testing.T, name string) *Doc {
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
