package handlers

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // page images are PNG or JPEG
	"image/png"
	"log/slog"
	"strings"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/stages/read"
)

// placeImages resolves the image regions DeepSeek-OCR marked on a page: with
// include_images the region is cut out of the page image (still in memory
// here; assemble deletes it from Redis) and stored as a crop that the
// Markdown links to; otherwise the marker goes, as the figure had no text.
func (w *Worker) placeImages(ctx context.Context, log *slog.Logger, jobID string, page int, img []byte, md string) string {
	if !strings.Contains(md, "docparse:image") {
		return md
	}
	job, err := w.p.Store.Get(ctx, jobID)
	want := err == nil && job.IncludeImages && len(img) > 0
	var decoded image.Image
	return read.ReplaceImageRegions(md, func(k int, r read.ImageRegion) string {
		if !want {
			return ""
		}
		if decoded == nil {
			if decoded, _, err = image.Decode(bytes.NewReader(img)); err != nil {
				log.Warn("page image not decodable for crops", slog.String("error", err.Error()))
				want = false
				return ""
			}
		}
		crop, err := cropRegion(decoded, r)
		if err == nil {
			err = w.p.Store.StoreCrop(ctx, jobID, page, k, crop)
		}
		if err != nil {
			log.Warn("image region not kept", slog.Int("region", k), slog.String("error", err.Error()))
			return ""
		}
		return fmt.Sprintf("![image](%s)", jobstore.CropName(page, k))
	})
}

// cropRegion cuts a region given in DeepSeek-OCR's 0–999 coordinates out of
// the page image and encodes it as PNG.
func cropRegion(img image.Image, r read.ImageRegion) ([]byte, error) {
	b := img.Bounds()
	scale := func(v, size, origin int) int { return origin + min(max(v, 0), 999)*size/999 }
	rect := image.Rect(scale(r.X1, b.Dx(), b.Min.X), scale(r.Y1, b.Dy(), b.Min.Y),
		scale(r.X2, b.Dx(), b.Min.X), scale(r.Y2, b.Dy(), b.Min.Y)).Intersect(b)
	if rect.Dx() < 2 || rect.Dy() < 2 {
		return nil, fmt.Errorf("region %v is empty on a %dx%d page", r, b.Dx(), b.Dy())
	}
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if !ok {
		return nil, fmt.Errorf("page image %T cannot be cropped", img)
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, sub.SubImage(rect)); err != nil {
		return nil, fmt.Errorf("encode crop: %w", err)
	}
	return out.Bytes(), nil
}
