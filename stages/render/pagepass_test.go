package render

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/pdftest"
	"github.com/docparse/docparse/stages/textlayer"
)

// TestMeasureCountsWhatThePageDraws measures a page drawn by hand: every
// path it fills or strokes counts once per paint, black fills included;
// clip paths, text, a tiling pattern's cell and a soft mask's contents do
// not. Its image covers a quarter of the page.
func TestMeasureCountsWhatThePageDraws(t *testing.T) {
	t.Parallel()
	content := "0 0 0 rg 10 10 50 20 re f 70 10 50 20 re f 130 10 50 20 re f\n" + // 3 black fills
		"1 0 0 RG 2 w 10 100 m 200 100 l S 10 120 m 200 120 l S\n" + // 2 strokes
		"0 0 1 rg 10 150 80 30 re B\n" + // fill and stroke: 2
		"q 300 300 100 100 re W n 0.5 g 0 0 600 600 re f Q\n" + // the clip 0, the fill in it 1
		"BT /F1 12 Tf 20 400 Td (Hello) Tj ET\n" +
		"/Fm1 Do\n" + // a form drawing 2
		"q /Pattern cs /P1 scn 10 500 100 50 re f Q\n" + // a patterned area: 0
		"q /GS1 gs 0 0 1 rg 200 200 50 50 re f Q\n" + // 1 under a soft mask that draws 1
		"q 300 0 0 300 300 300 cm /Im1 Do Q"
	pdf := pdftest.Page(600, 600,
		"<< /Font << /F1 5 0 R >> /XObject << /Fm1 6 0 R /Im1 10 0 R >> /Pattern << /P1 7 0 R >> /ExtGState << /GS1 9 0 R >> >>",
		content,
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		pdftest.Stream("/Type /XObject /Subtype /Form /BBox [0 0 600 600]", "0 g 400 10 20 20 re f 400 40 m 500 40 l S"),
		pdftest.Stream("/Type /Pattern /PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 10 10] /XStep 10 /YStep 10 /Resources << >>", "0 g 0 0 5 5 re f"),
		pdftest.Stream("/Type /XObject /Subtype /Form /BBox [0 0 600 600] /Group << /S /Transparency /CS /DeviceGray >>", "1 g 0 0 600 600 re f"),
		"<< /Type /ExtGState /SMask << /Type /Mask /S /Luminosity /G 8 0 R >> >>",
		pdftest.Stream("/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8", "\x00\xff\xff\x00"),
	)
	doc, err := Open(pdf, Options{})
	require.NoError(t, err)
	defer doc.Close()
	p, err := doc.Measure(t.Context(), 1)
	require.NoError(t, err)
	require.Equal(t, 11, p.Features.Drawings)
	require.Equal(t, 5, p.Features.TextChars, "Hello")
	require.InDelta(t, 0.25, p.Features.ImageArea, 0.01)
}

// TestPagePassMatchesGoFitz holds the page passes to go-fitz's HTML and SVG
// on every page of the samples: the same text and the same text layer read
// from it, and at least every path the SVG shows drawn (the SVG leaves
// black fills without a fill attribute, so counting its tags missed them).
// Image boxes may move by half a CSS pixel: MuPDF rounds each image's CSS
// matrix for its own pixel size, and the blank is 2×2. The first pages of
// each are also rendered both ways, to the same pixels.
func TestPagePassMatchesGoFitz(t *testing.T) {
	t.Parallel()
	img := regexp.MustCompile(`<img[^>]*>`)
	svgBlock := regexp.MustCompile(`(?s)<symbol.*?</symbol>|<clipPath.*?</clipPath>|<defs>.*?</defs>`)
	svgPath := regexp.MustCompile(`<path[^>]*(stroke=|fill=)`)
	files, _ := filepath.Glob(filepath.Join(samples, "*.pdf"))
	if len(files) == 0 {
		t.Skip("sample PDFs not found")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		doc, err := Open(b, Options{})
		if err != nil {
			continue // the password-protected sample
		}
		for i := range doc.Pages() {
			at := []any{"%s page %d", filepath.Base(f), i + 1}
			want, err := doc.f.HTML(i, false)
			require.NoError(t, err)
			got, err := doc.pass.html(t.Context(), i)
			require.NoError(t, err)
			require.Equal(t, img.ReplaceAllString(want, ""), img.ReplaceAllString(got, ""), at...)
			wantTL, gotTL := textlayer.FromHTML(want, 0, 0), textlayer.FromHTML(got, 0, 0)
			require.InDelta(t, wantTL.ImageArea, gotTL.ImageArea, 0.005, at...)
			gotTL.ImageArea = wantTL.ImageArea
			require.Equal(t, wantTL, gotTL, at...)

			svg, err := doc.f.SVG(i)
			require.NoError(t, err)
			n, err := doc.pass.drawings(t.Context(), i)
			require.NoError(t, err)
			require.GreaterOrEqual(t, n, len(svgPath.FindAllStringIndex(svgBlock.ReplaceAllString(svg, ""), -1)), at...)

			if i < 3 {
				want, err := doc.f.ImageDPI(i, 72)
				require.NoError(t, err)
				got, err := doc.pass.image(t.Context(), i, 72, 1<<30)
				require.NoError(t, err)
				require.Equal(t, want.Rect, got.Rect, at...)
				require.Equal(t, want.Pix, got.Pix, at...)
			}
		}
		doc.Close()
	}
}

// BenchmarkRenderPage renders sample pages at 144 DPI with go-fitz's ImageDPI
// (the baseline) and with the page pass; compare ns/op and B/op.
func BenchmarkRenderPage(b *testing.B) {
	for _, name := range []string{"cmyk-image.pdf", "GeoTopo-komprimiert.pdf"} {
		doc := openSample(b, name)
		b.Run(name+"/go-fitz", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := doc.f.ImageDPI(0, 144); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/pagepass", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := doc.pass.image(b.Context(), 0, 144, 1<<30); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// heavyPage has 40^4 × 10 = 25.6 million strokes: more than 5 s of MuPDF
// for its text or its drawing count, far more to render.
func heavyPage() []byte { return pdftest.NestedForms(4, 40, 10) }

// TestPageAbort: a page that would keep MuPDF busy for minutes fails as too
// complex once RENDER_PAGE_TIMEOUT passes, and stops, without failing the
// page, when its context ends (shutdown, the handler's deadline).
func TestPageAbort(t *testing.T) {
	t.Parallel()
	within := func(t *testing.T, f func() error) error {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			t.Fatal("MuPDF was not stopped") // the page runs for minutes otherwise
			return nil
		}
	}
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		doc, err := Open(heavyPage(), Options{PageTimeout: 200 * time.Millisecond})
		require.NoError(t, err)
		defer doc.Close()
		err = within(t, func() error { _, err := doc.Measure(t.Context(), 1); return err })
		require.ErrorIs(t, err, ErrPageRender)
		require.ErrorIs(t, err, ErrPageTimeout)
		p := Page{Number: 1, Features: messages.Features{Width: 100, Height: 100}}
		err = within(t, func() error { return doc.Render(t.Context(), &p) })
		require.ErrorIs(t, err, ErrPageTimeout)
		require.Nil(t, p.Image)
	})
	t.Run("context ends", func(t *testing.T) {
		t.Parallel()
		doc, err := Open(heavyPage(), Options{PageTimeout: time.Hour})
		require.NoError(t, err)
		defer doc.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		err = within(t, func() error { _, err := doc.Measure(ctx, 1); return err })
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.NotErrorIs(t, err, ErrPageRender, "the page is tried again, not failed")
	})
}

// TestPixelCapOnWhatMuPDFFills: however extreme the page box, a rendered
// page stays within RENDER_MAX_PIXELS, or the page fails as too elongated.
// go-fitz gives the box in whole points and MuPDF rounds each side up to a
// pixel: the last box came out 531002 × 1 against a cap of 200000.
func TestPixelCapOnWhatMuPDFFills(t *testing.T) {
	t.Parallel()
	const capPx = 200_000
	for _, box := range []string{"0 0 612 792", "0 0 1e9 1e9", "0 0 2147483647 2147483647", "0 0 100000 0.5", "-2147483000 0 2147483000 100"} {
		doc, err := Open(pdftest.PageBox(box, "<< >>", "0 0 m 10 10 l S"), Options{DPI: 36, MaxPixels: capPx})
		require.NoError(t, err, box)
		p, err := doc.Measure(t.Context(), 1)
		require.NoError(t, err, box)
		if err := doc.Render(t.Context(), &p); err != nil {
			require.ErrorIs(t, err, ErrPageRender, box)
			require.ErrorContains(t, err, "too elongated", box)
		} else {
			require.LessOrEqual(t, p.Width*p.Height, capPx, box)
			require.Positive(t, p.Width*p.Height, box)
		}
		doc.Close()
	}
}
