package bench

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/docparse/docparse/stages/render"
)

// RawResult is what the in-process MuPDF loop did.
type RawResult struct {
	Pages   int
	Elapsed time.Duration
	Bytes   int64 // encoded image bytes
}

// PagesPerSec is the loop's throughput.
func (r RawResult) PagesPerSec() float64 { return float64(r.Pages) / r.Elapsed.Seconds() }

// RawRender measures, open to last page, what split does per page without
// Redis or Watermill: measure the page and render and encode it. It is the
// pipeline's upper bound.
func RawRender(ctx context.Context, path string, opts render.Options) (RawResult, error) {
	pdf, err := os.ReadFile(path)
	if err != nil {
		return RawResult{}, fmt.Errorf("read %s: %w", path, err)
	}
	start := time.Now()
	doc, err := render.Open(pdf, opts)
	if err != nil {
		return RawResult{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer doc.Close()
	res := RawResult{Pages: doc.Pages()}
	for n := 1; n <= doc.Pages(); n++ {
		page, err := doc.Measure(ctx, n)
		if err != nil {
			return res, err
		}
		if err := doc.Render(ctx, &page); err != nil {
			return res, err
		}
		res.Bytes += int64(len(page.Image))
	}
	res.Elapsed = time.Since(start)
	return res, nil
}
