package render

import (
	"bytes"
	"io"
	"os"

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
	return scanAnnotations(bytes.NewReader(pdf))
}

// countAnnotationsFile is countAnnotations for a file, once an AnnotScan of
// it found that it may have some.
func countAnnotationsFile(path string) map[int]annotCounts {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() > maxAnnotScanBytes {
		return nil
	}
	return scanAnnotations(f)
}

// scanAnnotations is countAnnotations without its size limit and byte check.
func scanAnnotations(pdf io.ReadSeeker) (counts map[int]annotCounts) {
	defer func() {
		if recover() != nil {
			counts = nil
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	ctx, err := api.ReadContext(pdf, conf)
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

// mayHaveAnnotations is false when no page of the file can list annotations.
func mayHaveAnnotations(pdf []byte) bool {
	var sc AnnotScan
	_, _ = sc.Write(pdf)
	return sc.Found()
}

// AnnotScan tells, from a PDF's bytes fed to it in any slices, whether any
// page can list annotations: a page's /Annots key is written in plain bytes
// unless the page dictionary sits in a compressed object stream or the key is
// spelt with #xx escapes. Without any of the three, pdfcpu's parse (27 ms a
// megabyte) finds nothing. It is an io.Writer so that split can feed it the
// upload while fetching it, in one pass and without holding the file.
type AnnotScan struct {
	last     uint64 // the last eight bytes, the newest lowest
	dropped  byte   // the byte before them
	inStream bool   // between stream and endstream: binary, not syntax
	name     int    // 1 + bytes of the name being read after '/', or 0
	hex      int    // hex digits read after a '#' in a name
	found    bool
}

// Keywords as the low bytes of AnnotScan.last.
var (
	kwStream = keyword("stream")
	kwNdstrm = keyword("ndstream") // with dropped == 'e': endstream
	kwAnnots = keyword("Annots")
	kwObjStm = keyword("/ObjStm")
)

func keyword(s string) uint64 {
	var k uint64
	for i := range len(s) {
		k = k<<8 | uint64(s[i])
	}
	return k
}

func mask(n int) uint64 { return 1<<(8*n) - 1 }

// Found reports whether the bytes so far can hold annotations.
func (a *AnnotScan) Found() bool { return a.found }

func (a *AnnotScan) Write(p []byte) (int, error) {
	for _, c := range p {
		if a.found {
			break
		}
		a.dropped = byte(a.last >> 56)
		a.last = a.last<<8 | uint64(c)
		// Looked for inside streams too: a stream keyword misread would
		// otherwise hide the rest of the file.
		if a.last&mask(6) == kwAnnots || a.last&mask(7) == kwObjStm {
			a.found = true
		}
		if a.inStream {
			a.inStream = !(a.last == kwNdstrm && a.dropped == 'e')
			continue
		}
		a.syntax(c)
	}
	return len(p), nil
}

// syntax follows one byte outside stream data.
func (a *AnnotScan) syntax(c byte) {
	switch {
	case a.last&mask(6) == kwStream && streamKeywordAfter(byte(a.last>>48)):
		a.inStream, a.name = true, 0
	case c == '/':
		a.name, a.hex = 1, 0
	case a.name == 0:
	case a.hex > 0 || c == '#':
		a.escape(c)
	case isNameByte(c):
		a.name++
	default:
		a.name = 0
	}
}

// escape follows the #xx of a name: a second hex digit completes one.
func (a *AnnotScan) escape(c byte) {
	switch {
	case c == '#':
		a.hex = 1
	case isHex(c) && a.hex == 1:
		a.hex = 2
	case isHex(c) && a.hex == 2:
		a.found = true
	default:
		a.name, a.hex = 0, 0
		if isNameByte(c) {
			a.name = 2
		}
	}
}

// streamKeywordAfter: the keyword stream follows a dictionary's >> or white
// space, never a name's letters (/Substream) or end.
func streamKeywordAfter(c byte) bool {
	switch c {
	case '>', 0, '\t', '\n', '\f', '\r', ' ':
		return true
	}
	return false
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
