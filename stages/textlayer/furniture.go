package textlayer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// furnitureDepth is how many lines at the top and at the bottom of a page
	// may be running headers, footers and page numbers.
	furnitureDepth = 3
	// furnitureMaxRunes keeps long lines, which are body text, from ever
	// counting as furniture.
	furnitureMaxRunes = 100
)

// DropFurniture removes running headers, footers and page numbers that repeat across
// consecutive pages (same text modulo digits at the first/last line of a page), keeping everything else.
//
// A line near the top (or bottom) of a page is furniture when one near the
// top (or bottom) of a page one or two pages away reads the same with its
// digits ignored; two pages away catches headers that alternate between
// left and right pages. Only lines between the page edge and the furniture
// go with it, never lines further in.
func DropFurniture(pages []string) []string {
	lines := make([][]string, len(pages))
	for i, p := range pages {
		lines[i] = strings.Split(p, "\n")
	}
	heads := make([][]string, len(pages))
	feet := make([][]string, len(pages))
	for i, ls := range lines {
		heads[i], feet[i] = edgeKeys(ls)
	}
	out := make([]string, len(pages))
	for i, ls := range lines {
		top := furnitureRun(heads, i)
		bottom := furnitureRun(feet, i)
		out[i] = keepBody(ls, top, bottom)
	}
	return out
}

// edgeKeys returns the keys of the first and of the last furnitureDepth
// non-blank lines, each list ordered from the page edge inwards.
func edgeKeys(ls []string) (head, foot []string) {
	for _, l := range ls {
		if strings.TrimSpace(l) != "" && len(head) < furnitureDepth {
			head = append(head, furnitureKey(l))
		}
	}
	for i := len(ls) - 1; i >= 0 && len(foot) < furnitureDepth; i-- {
		if strings.TrimSpace(ls[i]) != "" {
			foot = append(foot, furnitureKey(ls[i]))
		}
	}
	return head, foot
}

// furnitureRun counts the edge lines of page i, from the edge inwards, that
// repeat at the same edge of a neighbouring page.
func furnitureRun(keys [][]string, i int) int {
	n := 0
	for _, k := range keys[i] {
		if k == "" || !repeatsNear(keys, i, k) {
			break
		}
		n++
	}
	return n
}

func repeatsNear(keys [][]string, i int, k string) bool {
	for _, j := range []int{i - 1, i + 1, i - 2, i + 2} {
		if j < 0 || j >= len(keys) {
			continue
		}
		for _, other := range keys[j] {
			if other == k {
				return true
			}
		}
	}
	return false
}

// keepBody drops the first top and the last bottom non-blank lines, and the
// blank lines that separated them from the body.
func keepBody(ls []string, top, bottom int) string {
	start, end := 0, len(ls)
	for ; top > 0 && start < end; start++ {
		if strings.TrimSpace(ls[start]) != "" {
			top--
		}
	}
	for ; bottom > 0 && end > start; end-- {
		if strings.TrimSpace(ls[end-1]) != "" {
			bottom--
		}
	}
	return strings.Trim(strings.Join(ls[start:end], "\n"), "\n")
}

// furnitureKey is a line reduced to what repeats from page to page: no
// Markdown markup, digits as '#', case and spacing ignored. A line too long
// to be furniture gets the empty key.
func furnitureKey(l string) string {
	l = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), "#"))
	if utf8.RuneCountInString(l) > furnitureMaxRunes {
		return ""
	}
	var b strings.Builder
	lastDigit := false
	for _, r := range strings.ToLower(l) {
		switch {
		case unicode.IsDigit(r):
			if !lastDigit {
				b.WriteRune('#')
			}
			lastDigit = true
			continue
		case r == '*' || r == '_':
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
		lastDigit = false
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
