package render

/*
#cgo CFLAGS: -I${SRCDIR}/../../third_party/mupdf/include
#include <stdlib.h>
#include <mupdf/fitz.h>
#include "pagepass.h"

static const char *dp_header_version(void) { return FZ_VERSION; }
*/
import "C"

import (
	"context"
	"fmt"
	"image"
	"math"
	"reflect"
	"sync"
	"time"
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
	ctx     *C.fz_context
	doc     *C.fz_document
	timeout time.Duration // Options.PageTimeout
}

func newPagePass(f *fitz.Document, timeout time.Duration) (pagePass, error) {
	if v := C.GoString(C.dp_header_version()); v != fitz.FzVersion {
		return pagePass{}, fmt.Errorf("third_party/mupdf headers are MuPDF %s, go-fitz links %s", v, fitz.FzVersion)
	}
	v := reflect.ValueOf(f).Elem()
	ctx, doc := v.FieldByName("ctx"), v.FieldByName("doc")
	if !ctx.IsValid() || !doc.IsValid() || ctx.Kind() != reflect.Pointer || doc.Kind() != reflect.Pointer {
		return pagePass{}, fmt.Errorf("go-fitz's Document no longer holds ctx and doc pointers")
	}
	return pagePass{ctx: (*C.fz_context)(ctx.UnsafePointer()), doc: (*C.fz_document)(doc.UnsafePointer()), timeout: timeout}, nil
}

// abortable runs one MuPDF pass over page idx with a cookie that aborts it
// when ctx ends or the page timeout passes. MuPDF checks the cookie between
// a page's operators, so a page that would run for minutes (a drawing of
// millions of paths, a mutated PDF looping through its forms) gives its
// consumer back instead of holding it until MuPDF returns; a cgo call
// cannot be interrupted otherwise. pass reports whether MuPDF succeeded.
func (p pagePass) abortable(ctx context.Context, idx int, what string, pass func(*C.fz_cookie) bool) error {
	cookie := (*C.fz_cookie)(C.calloc(1, C.sizeof_fz_cookie))
	var mu sync.Mutex
	var ended, timedOut bool
	abort := func(timeout bool) func() {
		return func() {
			mu.Lock()
			defer mu.Unlock()
			if !ended { // the cookie is freed once the pass has ended
				timedOut = timedOut || timeout
				cookie.abort = 1
			}
		}
	}
	stopCtx := context.AfterFunc(ctx, abort(false))
	timer := time.AfterFunc(p.timeout, abort(true))
	ok := pass(cookie)
	stopCtx()
	timer.Stop()
	mu.Lock()
	ended = true
	aborted := cookie.abort != 0
	mu.Unlock()
	C.free(unsafe.Pointer(cookie))
	switch {
	case aborted && ctx.Err() != nil:
		return fmt.Errorf("page %d: %s stopped: %w", idx+1, what, context.Cause(ctx))
	case aborted && timedOut:
		return fmt.Errorf("page %d: %s %w (%s): the page is too complex", idx+1, what, ErrPageTimeout, p.timeout)
	case !ok:
		return fmt.Errorf("page %d: %s failed", idx+1, what)
	}
	return nil
}

// html is MuPDF's structured-text HTML of page idx (0-based), each image
// a blank square at its place on the page.
func (p pagePass) html(ctx context.Context, idx int) (string, error) {
	var html string
	err := p.abortable(ctx, idx, "structured text", func(cookie *C.fz_cookie) bool {
		buf := C.dp_page_html(p.ctx, p.doc, C.int(idx), cookie)
		if buf == nil {
			return false
		}
		defer C.fz_drop_buffer(p.ctx, buf)
		var data *C.uchar
		n := C.fz_buffer_storage(p.ctx, buf, &data)
		html = C.GoStringN((*C.char)(unsafe.Pointer(data)), C.int(n))
		return true
	})
	return html, err
}

// image renders page idx (0-based) at dpi on white, within maxPixels.
// The cap is checked on the pixel box MuPDF will fill, not on the page size
// the DPI was chosen from: go-fitz gives that in whole points, and MuPDF
// rounds each side up to a whole pixel, so a page four billion points long
// and 100 high came out at 531002 × 1 pixels against a cap of 200000.
// Such a page is scaled down once more, and refused if it still does not fit.
func (p pagePass) image(ctx context.Context, idx int, dpi float64, maxPixels int) (*image.RGBA, error) {
	zoom := dpi / 72
	r, err := p.pixelBox(idx, zoom)
	if err != nil {
		return nil, err
	}
	if px := r.Dx() * r.Dy(); px > maxPixels {
		zoom *= math.Sqrt(float64(maxPixels)/float64(px)) * 0.99
		if r, err = p.pixelBox(idx, zoom); err != nil {
			return nil, err
		}
	}
	switch {
	case r.Empty():
		return nil, fmt.Errorf("page %d: no area to draw", idx+1)
	case r.Dx()*r.Dy() > maxPixels:
		return nil, fmt.Errorf("page %d: %d × %d pixels at the least, over RENDER_MAX_PIXELS (%d): the page is too elongated", idx+1, r.Dx(), r.Dy(), maxPixels)
	}
	img := image.NewRGBA(r)
	bb := C.fz_irect{x0: C.int(r.Min.X), y0: C.int(r.Min.Y), x1: C.int(r.Max.X), y1: C.int(r.Max.Y)}
	err = p.abortable(ctx, idx, "drawing", func(cookie *C.fz_cookie) bool {
		// MuPDF keeps no reference to the pixels after the call.
		return C.dp_render_page(p.ctx, p.doc, C.int(idx), C.float(zoom), bb, (*C.uchar)(unsafe.Pointer(&img.Pix[0])), cookie) != 0
	})
	if err != nil {
		return nil, err
	}
	return img, nil
}

// pixelBox is the pixels MuPDF fills for page idx at zoom.
func (p pagePass) pixelBox(idx int, zoom float64) (image.Rectangle, error) {
	var bb C.fz_irect
	if C.dp_page_bbox(p.ctx, p.doc, C.int(idx), C.float(zoom), &bb) == 0 {
		return image.Rectangle{}, fmt.Errorf("page %d: cannot be loaded", idx+1)
	}
	return image.Rect(int(bb.x0), int(bb.y0), int(bb.x1), int(bb.y1)), nil
}

// drawings counts the paths page idx fills or strokes.
func (p pagePass) drawings(ctx context.Context, idx int) (int, error) {
	n := -1
	err := p.abortable(ctx, idx, "drawing count", func(cookie *C.fz_cookie) bool {
		n = int(C.dp_count_paths(p.ctx, p.doc, C.int(idx), cookie))
		return n >= 0
	})
	return max(n, 0), err
}
