package route

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/messages"
)

// Feature values measured on ../shared/pdfs with render.Doc.Measure.
var (
	plainText   = messages.Features{TextChars: 3221, TextWords: 710, TextTrusted: true}                                               // pdflatex-4-pages p1
	googleDoc   = messages.Features{TextChars: 921, TextWords: 178, ImageArea: 0.01, Drawings: 20, TextTrusted: true}                 // google-doc-document p1
	formPage    = messages.Features{TextChars: 16, TextWords: 4, Annotations: 3, FormFields: 3, TextTrusted: true}                    // pdflatex-forms p1
	mathPage    = messages.Features{TextChars: 1231, TextWords: 305, BadGlyphs: 1, MathGlyphs: 166, TextTrusted: true}                // GeoTopo p6
	tocPage     = messages.Features{TextChars: 1858, TextWords: 308, MathGlyphs: 22, Annotations: 1, TextTrusted: true}               // GeoTopo p2
	figurePage  = messages.Features{TextChars: 190, TextWords: 39, ImageArea: 0.01, Drawings: 1729, MathGlyphs: 5, TextTrusted: true} // GeoTopo p3
	scanPage    = messages.Features{ImageArea: 1}                                                                                     // grayscale-image p1
	photoPage   = messages.Features{ImageArea: 0.74}                                                                                  // cmyk-image p1
	arabicPage  = messages.Features{TextChars: 24, TextWords: 2, BadGlyphs: 6}                                                        // habibi p1: unmapped glyphs
	ruledScan   = messages.Features{ImageArea: 0.95, Drawings: 60}                                                                    // a scan under drawn form lines
	withPicture = messages.Features{TextChars: 505, TextWords: 104, ImageArea: 0.21, TextTrusted: true}                               // pdflatex-image p1
)

func TestDecide(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mode   string
		f      messages.Features
		engine string
	}{
		{"fast text layer", messages.ModeFast, plainText, messages.EngineTextLayer},
		{"fast form keeps text layer", messages.ModeFast, formPage, messages.EngineTextLayer},
		{"fast scan", messages.ModeFast, scanPage, messages.EngineDeepSeek},
		{"fast untrusted glyphs", messages.ModeFast, arabicPage, messages.EngineDeepSeek},
		{"balanced plain text", messages.ModeBalanced, plainText, messages.EngineDeepSeek},
		{"balanced google doc", messages.ModeBalanced, googleDoc, messages.EngineDeepSeek},
		{"balanced form", messages.ModeBalanced, formPage, messages.EngineNanonets},
		{"balanced formulas", messages.ModeBalanced, mathPage, messages.EngineNanonets},
		{"balanced toc with few symbols", messages.ModeBalanced, tocPage, messages.EngineDeepSeek},
		{"balanced figure", messages.ModeBalanced, figurePage, messages.EngineNanonets},
		{"balanced plain scan", messages.ModeBalanced, scanPage, messages.EngineDeepSeek},
		{"balanced photo", messages.ModeBalanced, photoPage, messages.EngineDeepSeek},
		{"balanced ruled scan", messages.ModeBalanced, ruledScan, messages.EngineNanonets},
		{"balanced text with picture", messages.ModeBalanced, withPicture, messages.EngineDeepSeek},
		{"accurate text", messages.ModeAccurate, plainText, messages.EngineNanonets},
		{"accurate scan", messages.ModeAccurate, scanPage, messages.EngineNanonets},
		{"unknown mode acts balanced", "", formPage, messages.EngineNanonets},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(tc.mode, tc.f)
			require.Equal(t, tc.engine, d.Engine)
			require.NotEmpty(t, d.Reason)
		})
	}
}

func TestNeedsImage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		mode  string
		f     messages.Features
		local bool
		want  bool
	}{
		{"text layer answers", messages.ModeFast, plainText, false, false},
		{"model reads text page", messages.ModeBalanced, plainText, false, true},
		{"local reads trusted text itself", messages.ModeBalanced, plainText, true, false},
		{"local scan needs tesseract", messages.ModeBalanced, scanPage, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, NeedsImage(Decide(tc.mode, tc.f), tc.f, tc.local))
		})
	}
}
