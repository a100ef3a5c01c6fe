// Package render opens a PDF with MuPDF (go-fitz), renders its pages to
// images within a pixel cap, and measures the cheap page features that
// routing needs while each page is open.
package render

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"time"

	"github.com/gen2brain/go-fitz"

	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/stages/textlayer"
)

// Errors that fail a job with a message its user can act on.
var (
	ErrEncrypted  = errors.New("the PDF is encrypted: send its password in the password field")
	ErrBadPDF     = errors.New("the file is not a readable PDF (corrupt or truncated)")
	ErrNoPages    = errors.New("the PDF has no readable pages (empty, corrupt or truncated)")
	ErrTruncated  = errors.New("the PDF is truncated: its end-of-file marker is missing")
	ErrPageRender = errors.New("a page could not be rendered")
	// ErrPageTimeout comes wrapped in ErrPageRender.
	ErrPageTimeout = errors.New("took longer than RENDER_PAGE_TIMEOUT")
)

// Options control rendering.
type Options struct {
	DPI         float64 // default 144
	MaxPixels   int     // cap on width×height, so a poster-sized page cannot blow memory
	MinSide     int     // tiny pages are scaled up so OCR has pixels to read
	Format      string  // FormatAuto (default), FormatPNG or FormatJPEG
	JPEGQuality int
	PageTimeout time.Duration // bound on each MuPDF pass over a page (DefaultPageTimeout)
}

// DefaultPageTimeout is RENDER_PAGE_TIMEOUT's default.
const DefaultPageTimeout = 30 * time.Second

// PageBudget is the most a page's passes (text, drawing count, rendering) may
// take under opts: what a handler must have left to start a page.
// config.HandlerTimeout allows two of them (written there as 6 × the page
// timeout, as config does not import this cgo package).
func PageBudget(opts Options) time.Duration { return 3 * opts.withDefaults().PageTimeout }

func (o Options) withDefaults() Options {
	if o.DPI <= 0 {
		o.DPI = 144
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = 6_000_000
	}
	if o.MinSide <= 0 {
		o.MinSide = 256
	}
	if o.Format == "" {
		o.Format = FormatAuto
	}
	if o.JPEGQuality <= 0 {
		o.JPEGQuality = 90
	}
	if o.PageTimeout <= 0 {
		o.PageTimeout = DefaultPageTimeout
	}
	return o
}

// Doc is an open PDF. It is not safe for concurrent use: MuPDF serialises a
// document's pages anyway, so parallelism comes from several Docs.
type Doc struct {
	f      *fitz.Document
	pass   pagePass // what Measure and Render ask of MuPDF on f (pagepass.go)
	opts   Options
	pages  int
	annots func() map[int]annotCounts // Source.annotations; nil for images
	src    *Source                    // what Renew reopens; nil for Open's one-off Docs
	used   int                        // pages measured since opened
}

// newDoc wraps a document go-fitz opened, closing it if it cannot.
func newDoc(f *fitz.Document, opts Options, annots func() map[int]annotCounts, src *Source) (*Doc, error) {
	opts = opts.withDefaults()
	pass, err := newPagePass(f, opts.PageTimeout)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return &Doc{f: f, pass: pass, opts: opts, pages: f.NumPage(), annots: annots, src: src}, nil
}

// renewAfter is how many pages a Doc measures before Renew reopens it. MuPDF
// keeps every object it parses while a document is open: one Doc walking the
// 1000-page bench PDF grew by 80 KB a page (182 -> 248 MB peak RSS from page
// 200 to 1000), reopened every 64 pages it stayed within 18 MB.
const renewAfter = 64

// Renew returns the Doc itself, or once it has measured renewAfter pages a
// fresh Doc on the same upload, closing this one. Reopening parses only the
// cross-reference table again (2 ms for 16 MB).
func (d *Doc) Renew() (*Doc, error) {
	if d.used < renewAfter || d.src == nil {
		return d, nil
	}
	nd, err := d.src.Open(d.opts)
	d.Close()
	return nd, err
}

// IsPDF reports whether b starts like a PDF (the header may follow some junk
// within the first kilobyte, as readers allow).
func IsPDF(b []byte) bool {
	head := b[:min(len(b), 1024)]
	return bytes.Contains(head, []byte("%PDF-"))
}

// Pages is the page count.
func (d *Doc) Pages() int { return d.pages }

// Close frees MuPDF's memory for the document.
func (d *Doc) Close() { _ = d.f.Close() }

// Page is one rendered page.
type Page struct {
	Number    int // 1-based
	Image     []byte
	MIME      string
	Width     int
	Height    int
	Features  messages.Features
	TextLayer string // Markdown of the text layer when it can be trusted
}

// Measure reads a page's text layer and features without rendering it. It
// stops when ctx ends, returning ctx's error: the page was not at fault.
func (d *Doc) Measure(ctx context.Context, n int) (Page, error) {
	d.used++
	idx := n - 1
	bound, err := d.f.Bound(idx)
	if err != nil {
		return Page{}, fmt.Errorf("%w: page %d: %v", ErrPageRender, n, err)
	}
	w, h := float64(bound.Dx()), float64(bound.Dy())
	html, err := d.pass.html(ctx, idx)
	if err != nil {
		return Page{}, pageError(ctx, err)
	}
	// Drawings only steer routing: a page whose count fails is read as
	// having none rather than failing its job.
	drawings, err := d.pass.drawings(ctx, idx)
	if err != nil && ctx.Err() != nil {
		return Page{}, err
	}
	tl := textlayer.FromHTML(html, w, h)
	links, _ := d.f.Links(idx)
	var ac annotCounts
	if d.annots != nil {
		ac = d.annots()[n]
	}
	f := messages.Features{
		Width: w, Height: h,
		TextChars: tl.Chars, TextWords: tl.Words, BadGlyphs: tl.BadGlyphs,
		MathGlyphs: tl.MathGlyphs, ImageArea: tl.ImageArea, Drawings: drawings,
		Annotations: max(len(links), ac.annots),
		FormFields:  ac.widgets,
		TextTrusted: tl.Trusted,
	}
	p := Page{Number: n, Features: f}
	if tl.Trusted {
		p.TextLayer = tl.Markdown
		p.Features.TextLayerBytes = len(tl.Markdown)
	}
	return p, nil
}

// Render draws page n (1-based) into p's image. It stops when ctx ends, as
// Measure does.
func (d *Doc) Render(ctx context.Context, p *Page) error {
	dpi := d.dpiFor(p.Features.Width, p.Features.Height)
	img, err := d.pass.image(ctx, p.Number-1, dpi, d.opts.MaxPixels)
	if err != nil {
		return pageError(ctx, err)
	}
	data, mime, err := Encode(img, d.opts.Format, d.opts.JPEGQuality)
	if err != nil {
		return fmt.Errorf("encode page %d: %w", p.Number, err)
	}
	p.Image, p.MIME = data, mime
	p.Width, p.Height = img.Bounds().Dx(), img.Bounds().Dy()
	return nil
}

// pageError tells a page MuPDF could not draw (ErrPageRender, which fails
// its job) from a pass stopped because ctx ended (shutdown or the handler's
// deadline: the page is tried again).
func pageError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("%w: %w", ErrPageRender, err)
}

// dpiFor keeps the rendered page within MaxPixels, and scales tiny pages up
// to MinSide pixels on their short side.
func (d *Doc) dpiFor(wPt, hPt float64) float64 {
	dpi := d.opts.DPI
	if wPt <= 0 || hPt <= 0 {
		return dpi
	}
	if short := math.Min(wPt, hPt) * dpi / 72; short < float64(d.opts.MinSide) {
		dpi *= float64(d.opts.MinSide) / short
	}
	// go-fitz gives the page box in whole points, each side cut down, so the
	// page may be almost a point larger each way: the cap assumes it is.
	// On a tiny page scaled up to MinSide that point is many pixels
	// (FuzzOpen: a 10 x 1.2 pt page counted as 10 x 1 came out 20 % over).
	capPx := func(dpi float64) (float64, float64) { return (wPt + 1) * dpi / 72, (hPt + 1) * dpi / 72 }
	if w, h := capPx(dpi); w*h > float64(d.opts.MaxPixels) {
		dpi *= math.Sqrt(float64(d.opts.MaxPixels) / (w * h))
		// MuPDF rounds the pixel box outwards: leave room for a pixel more
		// on each side, or a capped page lands just over the cap.
		w, h = capPx(dpi)
		dpi *= math.Sqrt(float64(d.opts.MaxPixels) / ((w + 2) * (h + 2)))
	}
	return dpi
}

// Image formats (IMAGE_FORMAT).
const (
	FormatAuto = "auto" // PNG, or JPEG for a photographic page where JPEG is smaller
	FormatPNG  = "png"
	FormatJPEG = "jpeg"
)

// photoBytesPerPixel tells a photographic page by its PNG: text, drawings and
// scans of print deflate to 0.01 to 0.3 bytes a pixel on ../shared/pdfs, a
// colour photograph to 1.45, where JPEG at quality 90 came out 11 times
// smaller (2.7 MB against 251 KB) for about the same encoding time.
const photoBytesPerPixel = 0.5

// Encode turns a rendered page into PNG or JPEG bytes. A page without colour
// is encoded as grayscale: a quarter of the pixels to compress, and the
// models read it the same. With FormatAuto a page stays lossless PNG unless
// it is photographic and JPEG is smaller: a 3 MB PNG costs the window's
// Redis memory, base64 and JSON, and the model server's decoding.
func Encode(img *image.RGBA, format string, quality int) ([]byte, string, error) {
	var src image.Image = img
	if g, ok := grayOf(img); ok {
		src = g
	}
	if format == FormatJPEG {
		return encodeJPEG(img, src, quality)
	}
	px := img.Rect.Dx() * img.Rect.Dy()
	jpegTried := false
	if format == FormatAuto {
		// A sample of the rows tells a photograph before the whole PNG is
		// deflated: noisy pixels are the slowest to deflate, and the PNG
		// would be thrown away.
		if est := estimatePNGBytes(src); est > photoBytesPerPixel*float64(px) {
			jpegTried = true
			if j, mime, err := encodeJPEG(img, src, quality); err == nil && float64(len(j)) < est {
				return j, mime, nil
			}
		}
	}
	data, err := encodeAnyPNG(src)
	if err != nil {
		return nil, "", err
	}
	if format == FormatAuto && !jpegTried && float64(len(data)) > photoBytesPerPixel*float64(px) {
		if j, mime, err := encodeJPEG(img, src, quality); err == nil && len(j) < len(data) {
			return j, mime, nil
		}
	}
	return data, "image/png", nil
}

func encodeAnyPNG(src image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if ok, err := encodePNG(&buf, src); ok || err != nil { // pngfast.go: unfiltered rows, see why there
		if err != nil {
			return nil, fmt.Errorf("png: %w", err)
		}
		return buf.Bytes(), nil
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, src); err != nil {
		return nil, fmt.Errorf("png: %w", err)
	}
	return buf.Bytes(), nil
}

// encodeJPEG encodes src, the gray form of img or img itself. JPEG has no
// alpha: translucent pixels are put on white first, as the PNG encoder does.
func encodeJPEG(img *image.RGBA, src image.Image, quality int) ([]byte, string, error) {
	if src == image.Image(img) && !img.Opaque() {
		flattenOnWhite(img)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: quality}); err != nil {
		return nil, "", fmt.Errorf("jpeg: %w", err)
	}
	return buf.Bytes(), "image/jpeg", nil
}

// flattenOnWhite composites premultiplied pixels on white, in place.
func flattenOnWhite(img *image.RGBA) {
	p := img.Pix
	for i := 0; i+3 < len(p); i += 4 {
		bg := 255 - p[i+3]
		p[i], p[i+1], p[i+2], p[i+3] = p[i]+bg, p[i+1]+bg, p[i+2]+bg, 255
	}
}

// grayOf returns img as a grayscale image when every pixel is gray, composited
// on white as encodePNG does colour. One pass that checks and converts two
// pixels at a time, read as one 64-bit word: the two byte-wise passes it
// replaced were a sixth of encoding (BenchmarkGrayOf).
func grayOf(img *image.RGBA) (*image.Gray, bool) {
	pix := img.Pix
	g := image.NewGray(img.Rect)
	out := g.Pix
	if len(out)*4 > len(pix) {
		return nil, false
	}
	for j := 0; j+1 < len(out); j += 2 {
		v := binary.LittleEndian.Uint64(pix[4*j : 4*j+8])
		// Gray when each pixel's G and B bytes equal its R byte.
		if (v^v<<8)&0x00ffff0000ffff00 != 0 {
			return nil, false
		}
		out[j] = byte(v) + 255 - byte(v>>24)
		out[j+1] = byte(v>>32) + 255 - byte(v>>56)
	}
	if n := len(out); n%2 == 1 {
		p := pix[4*(n-1) : 4*n]
		if p[0] != p[1] || p[0] != p[2] {
			return nil, false
		}
		out[n-1] = p[0] + 255 - p[3]
	}
	return g, true
}
