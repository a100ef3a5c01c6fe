package read

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ImageRegion is a figure DeepSeek-OCR located on the page, as the corners of
// its box in the model's coordinates: 0 to 999 across the page's width and
// height, whatever the image's pixel size.
type ImageRegion struct{ X1, Y1, X2, Y2 int }

var (
	// imageBlock is a grounding header of ref "image", with one or more boxes.
	imageBlock = regexp.MustCompile(`(?s)<\|ref\|>image<\|/ref\|><\|det\|>(.*?)<\|/det\|>`)
	box        = regexp.MustCompile(`\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]`)
	// imageMarker is what an image block becomes in the cleaned Markdown: an
	// HTML comment, invisible if it ever leaks, resolved by the OCR stage.
	imageMarker = regexp.MustCompile(`<!-- docparse:image (\d+),(\d+),(\d+),(\d+) -->`)
)

// cleanDeepSeekRegions is cleanDeepSeek keeping the place of every image
// block as a marker, so the OCR stage can put the cropped figure there.
func cleanDeepSeekRegions(s string) string {
	s = imageBlock.ReplaceAllStringFunc(s, func(m string) string {
		var marks []string
		for _, b := range box.FindAllStringSubmatch(imageBlock.FindStringSubmatch(m)[1], -1) {
			marks = append(marks, fmt.Sprintf("<!-- docparse:image %s,%s,%s,%s -->", b[1], b[2], b[3], b[4]))
		}
		return strings.Join(marks, "\n\n")
	})
	return cleanDeepSeek(s)
}

// ReplaceImageRegions replaces every image marker of a page's Markdown with
// what fn returns for it; k counts the page's regions from 1. Engines other
// than DeepSeek leave no markers, and the Markdown comes back unchanged.
func ReplaceImageRegions(md string, fn func(k int, r ImageRegion) string) string {
	k := 0
	out := imageMarker.ReplaceAllStringFunc(md, func(m string) string {
		s := imageMarker.FindStringSubmatch(m)
		k++
		return fn(k, ImageRegion{X1: atoi(s[1]), Y1: atoi(s[2]), X2: atoi(s[3]), Y2: atoi(s[4])})
	})
	if k == 0 {
		return md
	}
	return tidy(out)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
