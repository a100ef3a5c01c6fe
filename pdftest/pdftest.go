// Package pdftest writes small PDFs by hand for tests that need exact
// content: what a page draws, byte for byte, with a cross-reference table
// MuPDF reads without repairing the file.
package pdftest

import (
	"bytes"
	"fmt"
	"strings"
)

// Objects writes a PDF whose object i+1 is objects[i]; object 1 must be the
// catalog.
func Objects(objects ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// Stream is a stream object's body holding data.
func Stream(dict, data string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// Page is a one-page PDF of w×h points that draws content, with the
// resources dictionary given and more objects from number 5 on (object 4 is
// the content stream).
func Page(w, h int, resources, content string, more ...string) []byte {
	return PageBox(fmt.Sprintf("0 0 %d %d", w, h), resources, content, more...)
}

// PageBox is Page with its MediaBox written as given, for boxes no page
// should have.
func PageBox(box, resources, content string, more ...string) []byte {
	return Objects(append([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [%s] /Contents 4 0 R /Resources %s >>", box, resources),
		Stream("", content),
	}, more...)...)
}

// NestedForms is a 100×100 pt page whose form XObjects nest depth deep, each
// drawing the next fanout times, the last stroking strokes lines: fanout^depth
// × strokes paths from a few hundred bytes, a page that keeps MuPDF busy for
// as long as a test needs.
func NestedForms(depth, fanout, strokes int) []byte {
	return NestedFormsPages(1, depth, fanout, strokes)
}

// NestedFormsPages is NestedForms on each of n pages, sharing the forms.
func NestedFormsPages(n, depth, fanout, strokes int) []byte {
	content, first := 3+n, 4+n // object numbers after the catalog, the page tree and n pages
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>"}
	kids := make([]string, n)
	for i := range n {
		kids[i] = fmt.Sprintf("%d 0 R", 3+i)
	}
	objs = append(objs, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	for range n {
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents %d 0 R /Resources << /XObject << /F %d 0 R >> >> >>", content, first))
	}
	objs = append(objs, Stream("", "/F Do"))
	for k := range depth {
		objs = append(objs, Stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /XObject << /F %d 0 R >> >>", first+k+1),
			strings.Repeat("q /F Do Q\n", fanout)))
	}
	objs = append(objs, Stream("/Type /XObject /Subtype /Form /BBox [0 0 100 100]", strings.Repeat("0 0 m 100 100 l S\n", strokes)))
	return Objects(objs...)
}
