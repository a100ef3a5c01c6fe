package render

import (
	"bytes"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// maxAnnotScanBytes bounds the files whose annotations are counted: go-fitz
// does not expose MuPDF's annotations, so pdfcpu parses the file for them,
// which is worth it for forms and contracts but not for a huge scan.
const maxAnnotScanBytes = 32 << 20

// annotCounts are a page's annotations and, among them, form-field widgets.
type annotCounts struct{ annots, widgets int }

// countAnnotations reads every page's annotations with pdfcpu. Files it
// cannot parse, or too large ones, get no counts: routing then relies on the
// other features. pdfcpu panics on some broken files that MuPDF repairs and
// opens (FuzzOpen found one: testdata/crashers): those get no counts either,
// rather than a split handler that fails on every retry.
func countAnnotations(pdf []byte) (counts map[int]annotCounts) {
	if len(pdf) > maxAnnotScanBytes {
		return nil
	}
	defer func() {
		if recover() != nil {
			counts = nil
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	ctx, err := api.ReadContext(bytes.NewReader(pdf), conf)
	if err != nil || ctx.EnsurePageCount() != nil {
		return nil
	}
	out := map[int]annotCounts{}
	for n := 1; n <= ctx.PageCount; n++ {
		d, _, _, err := ctx.PageDict(n, false)
		if err != nil || d == nil {
			continue
		}
		arr, err := ctx.DereferenceArray(d["Annots"])
		if err != nil {
			continue
		}
		var c annotCounts
		for _, o := range arr {
			ad, err := ctx.DereferenceDict(o)
			if err != nil || ad == nil {
				continue
			}
			c.annots++
			if st, ok := ad["Subtype"].(types.Name); ok && st == "Widget" {
				c.widgets++
			}
		}
		if c.annots > 0 {
			out[n] = c
		}
	}
	return out
}
