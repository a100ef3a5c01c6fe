// Package route is classify's policy: which reader gets a page, decided from
// the page's features and the job's accuracy mode. It is pure so that it can
// be read in one sitting and tested as a table.
package route

import "github.com/docparse/docparse/messages"

// Thresholds, measured on ../shared/pdfs (see route_test.go for the values).
const (
	// TableDrawings is the number of vector paths (each fill or stroke, black
	// fills included) from which a page likely holds a ruled table or a
	// diagram whose layout plain OCR would lose. Plain text pages draw a few
	// rules, underlines and bullets (20 on google-doc-document.pdf; the
	// GeoTopo book's text pages 2 to 30).
	TableDrawings = 40
	// MathGlyphs is the number of math-like glyphs from which a page may be
	// formula-heavy, and MathShare the share of its characters they must make:
	// a table of contents with a few symbols is not a page of formulas.
	MathGlyphs = 10
	MathShare  = 0.03
	// ScanImageArea is the image coverage from which a page without a usable
	// text layer is a scan.
	ScanImageArea = 0.5
)

// Decision is where a page goes and why, in words an operator can read in logs.
type Decision struct {
	Engine string
	Reason string
}

// Decide routes one page.
//
//   - fast: the page's own text layer when it can be trusted (no GPU spent),
//     DeepSeek-OCR for everything else;
//   - balanced: Nanonets-OCR2 for pages with tables, formulas or form fields and
//     for scans with drawn structure; DeepSeek-OCR for plain text pages and plain scans;
//   - accurate: Nanonets-OCR2 for every page.
func Decide(mode string, f messages.Features) Decision {
	switch mode {
	case messages.ModeAccurate:
		return Decision{messages.EngineNanonets, "accurate mode"}
	case messages.ModeFast:
		if f.TextTrusted {
			return Decision{messages.EngineTextLayer, "trustworthy text layer"}
		}
		return Decision{messages.EngineDeepSeek, "fast mode, no trustworthy text layer"}
	}
	switch {
	case f.FormFields > 0:
		return Decision{messages.EngineNanonets, "form fields"}
	case formulas(f):
		return Decision{messages.EngineNanonets, "formulas"}
	case f.Drawings >= TableDrawings && !scan(f):
		return Decision{messages.EngineNanonets, "tables or ruled layout"}
	case scan(f) && f.Drawings >= TableDrawings:
		return Decision{messages.EngineNanonets, "scan with complex layout"}
	case scan(f):
		return Decision{messages.EngineDeepSeek, "plain scan"}
	}
	return Decision{messages.EngineDeepSeek, "plain text"}
}

func formulas(f messages.Features) bool {
	return f.MathGlyphs >= MathGlyphs && float64(f.MathGlyphs) >= MathShare*float64(max(f.TextChars, 1))
}

func scan(f messages.Features) bool {
	return !f.TextTrusted && f.ImageArea >= ScanImageArea
}

// NeedsImage reports whether a page must be rendered at all. A page that its
// text layer will answer costs no rendering; in local inference mode that holds
// for every page with a trustworthy text layer, whatever the engine.
func NeedsImage(d Decision, f messages.Features, local bool) bool {
	if d.Engine == messages.EngineTextLayer {
		return false
	}
	return !(local && f.TextTrusted)
}
