package render

/*
#cgo CFLAGS: -I${SRCDIR}/../../third_party/mupdf/include
#include <mupdf/fitz.h>
#include "pagepass.h"

static const char *dp_header_version(void) { return FZ_VERSION; }
*/
import "C"

import (
	"fmt"
	"image"
	"reflect"
	"unsafe"

	"github.com/gen2brain/go-fitz"
)

// pagePass measures and renders a page of the document go-fitz opened, with
// MuPDF's own functions (pagepass.c) instead of go-fitz's HTML and SVG
// writers and its ImageDPI. The writers re-encode every image of the page
// into their output, and the SVG writes every glyph as a path: on the
// bench's CMYK photograph that was 125 ms of HTML and 120 ms of SVG for a
// page rendered and encoded in 70 ms. ImageDPI draws into C memory and
// copies the pixels twice into Go memory (23 MB for a colour page at
// 144 DPI); image draws straight into the Go image.
//
// go-fitz keeps its MuPDF context and document unexported; they are read
// by name, and the headers in third_party/mupdf are those of the MuPDF
// go-fitz links (TestPagePassMatchesGoFitz checks both).
type pagePass struct {
	ctx *C.fz_context
	doc *C.fz_document
}

func newPagePass(f *fitz.Document) (pagePass, error) {
	if v := C.GoString(C.dp_header_version()); v != fitz.FzVersion {
		return pagePass{}, fmt.Errorf("third_party/mupdf headers are MuPDF %s, go-fitz links %s", v, fitz.FzVersion)
	}
	v := reflect.ValueOf(f).Elem()
	ctx, doc := v.FieldByName("ctx"), v.FieldByName("doc")
	if !ctx.IsValid() || !doc.IsValid() || ctx.Kind() != reflect.Pointer || doc.Kind() != reflect.Pointer {
		return pagePass{}, fmt.Errorf("go-fitz's Document no longer holds ctx and doc pointers")
	}
	return pagePass{ctx: (*C.fz_context)(ctx.UnsafePointer()), doc: (*C.fz_document)(doc.UnsafePointer())}, nil
}

// html is MuPDF's structured-text HTML of page idx (0-based), each image
// a blank pixel at its place on the page.
func (p pagePass) html(idx int) (string, error) {
	buf := C.dp_page_html(p.ctx, p.doc, C.int(idx))
	if buf == nil {
		return "", fmt.Errorf("page %d: structured text failed", idx+1)
	}
	defer C.fz_drop_buffer(p.ctx, buf)
	var data *C.uchar
	n := C.fz_buffer_storage(p.ctx, buf, &data)
	return C.GoStringN((*C.char)(unsafe.Pointer(data)), C.int(n)), nil
}

// image renders page idx (0-based) at dpi on white.
func (p pagePass) image(idx int, dpi float64) (*image.RGBA, error) {
	zoom := C.float(dpi / 72)
	var bb C.fz_irect
	if C.dp_page_bbox(p.ctx, p.doc, C.int(idx), zoom, &bb) == 0 {
		return nil, fmt.Errorf("page %d: cannot be loaded", idx+1)
	}
	img := image.NewRGBA(image.Rect(int(bb.x0), int(bb.y0), int(bb.x1), int(bb.y1)))
	if len(img.Pix) == 0 {
		return nil, fmt.Errorf("page %d: no area to draw", idx+1)
	}
	// MuPDF keeps no reference to the pixels after the call.
	if C.dp_render_page(p.ctx, p.doc, C.int(idx), zoom, bb, (*C.uchar)(unsafe.Pointer(&img.Pix[0]))) == 0 {
		return nil, fmt.Errorf("page %d: drawing failed", idx+1)
	}
	return img, nil
}

// drawings counts the paths page idx fills or strokes, as countDrawnPaths
// counts them in the SVG.
func (p pagePass) drawings(idx int) (int, error) {
	n := int(C.dp_count_paths(p.ctx, p.doc, C.int(idx)))
	if n < 0 {
		return 0, fmt.Errorf("page %d: drawing count failed", idx+1)
	}
	return n, nil
}
