package render

import (
	"bytes"
	"iter"

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
	if len(pdf) > maxAnnotScanBytes || !mayHaveAnnotations(pdf) {
		return nil
	}
	return scanAnnotations(pdf)
}

// scanAnnotations is countAnnotations without its size limit and byte check.
func scanAnnotations(pdf []byte) (counts map[int]annotCounts) {
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

// mayHaveAnnotations is false when no page of the file can list annotations:
// a page's /Annots key is written in plain bytes unless the page dictionary
// sits in a compressed object stream or the key is spelt with #xx escapes.
// Without any of the three, pdfcpu's parse (27 ms a megabyte) finds nothing.
func mayHaveAnnotations(pdf []byte) bool {
	return bytes.Contains(pdf, []byte("Annots")) || bytes.Contains(pdf, []byte("/ObjStm")) || hasNameEscape(pdf)
}

// hasNameEscape reports a #xx escape inside a PDF name such as /Ann#6fts,
// outside the stream data, where binary bytes can look like anything.
func hasNameEscape(pdf []byte) bool {
	for part := range outsideStreams(pdf) {
		if nameEscapeIn(part) {
			return true
		}
	}
	return false
}

func nameEscapeIn(b []byte) bool {
	for i := 0; ; i++ {
		k := bytes.IndexByte(b[i:], '#')
		if k < 0 {
			return false
		}
		i += k
		if i+2 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) {
			continue
		}
		j := i
		for j > 0 && i-j < 127 && isNameByte(b[j-1]) {
			j--
		}
		if j > 0 && b[j-1] == '/' {
			return true
		}
	}
}

// outsideStreams yields the parts of a PDF between its streams' data: the
// objects' dictionaries, the cross-reference table and the trailer.
func outsideStreams(pdf []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for len(pdf) > 0 {
			i := bytes.Index(pdf, []byte("stream"))
			for i >= 3 && bytes.HasSuffix(pdf[:i], []byte("end")) { // an endstream without its stream
				j := bytes.Index(pdf[i+6:], []byte("stream"))
				if j < 0 {
					i = -1
					break
				}
				i += 6 + j
			}
			if i < 0 {
				yield(pdf)
				return
			}
			if !yield(pdf[:i]) {
				return
			}
			end := bytes.Index(pdf[i+6:], []byte("endstream"))
			if end < 0 {
				return
			}
			pdf = pdf[i+6+end+len("endstream"):]
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isNameByte: a PDF "regular character", neither white space nor a delimiter.
func isNameByte(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ', '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return false
	}
	return true
}
