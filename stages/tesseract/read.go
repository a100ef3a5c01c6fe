package tesseract

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // page images come as JPEG or PNG
	"image/png"
	"regexp"
	"strconv"
	"strings"
)

// Orientation thresholds.
const (
	// uprightConf and uprightWide tell a page that reads well as it is: most
	// words recognised with confidence and lying horizontally. Tesseract
	// also reads text turned by 90° (as vertical lines, out of order), so
	// confidence alone cannot tell a turned page.
	uprightConf = 70.0
	uprightWide = 0.6
	// minOSDConfidence is the orientation confidence below which tesseract's
	// OSD is a guess.
	minOSDConfidence = 2.0
	// minSide is the smallest image side with anything to read.
	minSide = 8
)

// Read OCRs one page image (PNG or JPEG) and returns its text as plain
// paragraphs separated by blank lines. A turned page is turned upright
// first. An image with nothing legible gives "" and no error.
func (r *Reader) Read(ctx context.Context, img []byte) (string, error) {
	if err := r.checkLanguages(); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()

	src, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return "", fmt.Errorf("decode page image: %w", err)
	}
	if b := src.Bounds(); b.Dx() < minSide || b.Dy() < minSide {
		return "", nil
	}
	// Most pages are upright: one OCR pass, and the orientation is checked
	// only when that pass reads badly.
	best, err := r.ocr(ctx, img)
	if err != nil {
		return "", err
	}
	if best.upright() {
		return best.text(), nil
	}
	for _, deg := range r.rotations(ctx, img, best) {
		turned, err := encodePNG(rotate(src, deg))
		if err != nil {
			return "", fmt.Errorf("encode page turned by %d°: %w", deg, err)
		}
		res, err := r.ocr(ctx, turned)
		if err != nil {
			return "", fmt.Errorf("page turned by %d°: %w", deg, err)
		}
		if res.score() > best.score() {
			best = res
		}
	}
	return best.text(), nil
}

func (r *Reader) checkLanguages() error {
	for _, l := range strings.Split(r.langs, "+") {
		if !langRe.MatchString(l) {
			return fmt.Errorf("tesseract: bad language %q in %q", l, r.langs)
		}
	}
	return nil
}

// rotations lists the clockwise turns worth trying on a page that read
// badly upright. Tesseract's orientation detection answers in one cheap
// pass when its osd data is installed; without it, a page whose words stand
// on end is tried at 90° and 270°, any other at 180°.
func (r *Reader) rotations(ctx context.Context, img []byte, upright result) []int {
	if r.hasOSD(ctx) {
		deg, ok := r.orientation(ctx, img)
		if !ok || deg == 0 {
			return nil
		}
		return []int{deg}
	}
	if upright.n > 0 && upright.wide*2 < upright.n {
		return []int{90, 270}
	}
	return []int{180}
}

var (
	rotateRe  = regexp.MustCompile(`(?m)^Rotate:\s*(\d+)`)
	osdConfRe = regexp.MustCompile(`(?m)^Orientation confidence:\s*([0-9.]+)`)
)

// orientation asks tesseract's OSD how far to turn the page clockwise. It
// fails on pages with too few characters, which then stay as they are.
func (r *Reader) orientation(ctx context.Context, img []byte) (int, bool) {
	out, err := r.run(ctx, img, "stdin", "stdout", "--psm", "0", "-l", "osd")
	if err != nil {
		return 0, false
	}
	rm, cm := rotateRe.FindSubmatch(out), osdConfRe.FindSubmatch(out)
	if rm == nil || cm == nil {
		return 0, false
	}
	deg, err1 := strconv.Atoi(string(rm[1]))
	conf, err2 := strconv.ParseFloat(string(cm[1]), 64)
	if err1 != nil || err2 != nil || conf < minOSDConfidence {
		return 0, false
	}
	switch deg {
	case 0, 90, 180, 270:
		return deg, true
	}
	return 0, false
}

// ocr runs one recognition pass and reads its TSV output.
func (r *Reader) ocr(ctx context.Context, img []byte) (result, error) {
	out, err := r.run(ctx, img, "stdin", "stdout", "-l", r.langs, "tsv")
	if err != nil {
		return result{}, fmt.Errorf("ocr: %w", err)
	}
	return parseTSV(string(out)), nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
