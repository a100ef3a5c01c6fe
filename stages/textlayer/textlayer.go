// Package textlayer reads the text layer of a PDF page, as MuPDF's
// structured-text HTML gives it, into Markdown, and measures how far that
// text can be trusted to stand for the page.
package textlayer

import (
	"strings"
	"unicode"
)

// Page is what the text layer of one page says.
type Page struct {
	Markdown   string
	Chars      int     // non-space characters of text
	Words      int     // whitespace-separated words
	BadGlyphs  int     // U+FFFD and private-use code points
	MathGlyphs int     // math-like symbols: ∑∫√≤≥≠±×÷∂∇∞∈∀∃, Greek letters, maths fonts
	ImageArea  float64 // fraction 0..1 of the page covered by images
	Trusted    bool    // the text layer is a faithful reading of the page
}

// Trust thresholds.
const (
	minTrustedChars = 20   // below this a page says too little to judge it
	maxBadRatio     = 0.05 // share of unmappable glyphs that spoils a text layer
	scanImageArea   = 0.85 // text over an image this large is an OCR layer over a scan
	smallPageImages = 0.05 // a short text on a page with no more image than this is taken as is
)

// FromHTML reads MuPDF's stext HTML of one page whose size is w×h points.
// A size of zero falls back to the one the HTML states.
func FromHTML(html string, w, h float64) Page {
	p := parseHTML(html)
	if w <= 0 || h <= 0 {
		w, h = p.w, p.h
	}
	var pg Page
	for _, f := range p.frags {
		countGlyphs(&pg, f.runs)
	}
	pg.ImageArea = imageArea(p.images, w, h)
	pg.Markdown = toMarkdown(flows(p.frags, w))
	pg.Trusted = trusted(pg)
	return pg
}

// trusted decides whether the text layer can stand in for reading the page.
// Images under a text layer are what OCR'd scans look like, and their text
// is only as good as the OCR that made it; unmappable glyphs mean fonts
// without a Unicode map, whose text is garbage.
func trusted(p Page) bool {
	if p.Chars == 0 || p.ImageArea > scanImageArea {
		return false
	}
	if float64(p.BadGlyphs)/float64(p.Chars) >= maxBadRatio {
		return false
	}
	// A label or a short note is trusted when no image could hold more.
	return p.Chars >= minTrustedChars || (p.Words > 0 && p.ImageArea <= smallPageImages)
}

// countGlyphs adds a fragment's characters and words to the page counts.
func countGlyphs(pg *Page, runs []run) {
	for _, r := range runs {
		for _, c := range r.text {
			if unicode.IsSpace(c) {
				continue
			}
			pg.Chars++
			if badGlyph(c) {
				pg.BadGlyphs++
			} else if r.math || mathGlyph(c) {
				pg.MathGlyphs++
			}
		}
	}
	pg.Words += len(strings.Fields(plainText(runs)))
}

func badGlyph(c rune) bool {
	return c == unicode.ReplacementChar || unicode.Is(unicode.Co, c) || (unicode.IsControl(c) && !unicode.IsSpace(c))
}

// mathGlyph reports symbols that mark formulas: mathematical operators and
// arrows, Greek letters, letter-like symbols (ℝ, ℕ) and the mathematical
// alphanumerics. ASCII + - = < > are left out: prose uses them too.
func mathGlyph(c rune) bool {
	switch {
	case c < 0x80:
		return false
	case unicode.Is(unicode.Sm, c):
		return true
	case unicode.Is(unicode.Greek, c):
		return true
	case c >= 0x2100 && c <= 0x214F, // letter-like symbols
		c >= 0x2190 && c <= 0x22FF,   // arrows, mathematical operators
		c >= 0x27C0 && c <= 0x2AFF,   // supplemental maths and arrows
		c >= 0x1D400 && c <= 0x1D7FF: // mathematical alphanumerics
		return true
	}
	return false
}

// imageGrid is the resolution at which image coverage is measured: overlaps
// count once without computing an exact union of rectangles.
const imageGrid = 100

// imageArea is the share of the page covered by at least one image.
func imageArea(images []box, w, h float64) float64 {
	if len(images) == 0 || w <= 0 || h <= 0 {
		return 0
	}
	var covered [imageGrid][imageGrid]bool
	n := 0
	for _, b := range images {
		x0, x1 := cell(b.x0, w), cell(b.x1, w)
		y0, y1 := cell(b.y0, h), cell(b.y1, h)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if !covered[y][x] {
					covered[y][x] = true
					n++
				}
			}
		}
	}
	return min(float64(n)/(imageGrid*imageGrid), 1)
}

// cell maps a coordinate to the grid line nearest to it, clamped to the page.
func cell(v, size float64) int {
	c := int(v/size*imageGrid + 0.5)
	return max(0, min(imageGrid, c))
}
