package textlayer

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// line is one visual line of one column: the fragments MuPDF wrote at the
// same height, left to right.
type line struct {
	top, left, height float64
	size              float64 // the font size most of its characters have
	runs              []run
	frags             int // how many fragments were merged into it
}

func (l line) text() string { return plainText(l.runs) }

const (
	// avgCharWidth is a typical glyph advance in ems. MuPDF's HTML gives no
	// widths, and column detection needs only a rough right edge.
	avgCharWidth = 0.5
	// minColumnLines is how many lines must start at one x for it to be taken
	// as the left edge of a second column.
	minColumnLines = 5
	// leftTol is how far apart two left edges may be and still be aligned.
	leftTol = 2.0
)

// flows cuts a page into runs of lines that are read top to bottom, in
// reading order: full-width lines stay where they are, and between them the
// left column is read before the right one.
func flows(frags []fragment, w float64) [][]line {
	frags = slices.DeleteFunc(slices.Clone(frags), func(f fragment) bool {
		return strings.TrimSpace(plainText(f.runs)) == ""
	})
	if len(frags) == 0 {
		return nil
	}
	full, left, right, ok := splitColumns(frags, w)
	if !ok {
		return [][]line{mergeLines(frags)}
	}
	return orderColumns(full, left, right)
}

// splitColumns finds a two-column layout: a left edge in the middle of the
// page that many lines share, with lines to its left over the same heights
// that stop short of it.
func splitColumns(frags []fragment, w float64) (full, left, right []fragment, ok bool) {
	x, ok := findGutter(frags, w)
	if !ok {
		return nil, nil, nil, false
	}
	// The column region spans the lines aligned on x; lines above or below
	// it (title, abstract, footer) are full width whatever their position.
	regTop, regBottom := math.Inf(1), math.Inf(-1)
	for _, f := range frags {
		if math.Abs(f.left-x) <= leftTol {
			regTop, regBottom = min(regTop, f.top), max(regBottom, f.top+f.height)
		}
	}
	crossing := 0
	for _, f := range frags {
		inRegion := f.top+f.height > regTop && f.top < regBottom
		switch {
		case !inRegion:
			full = append(full, f)
		case f.left >= x-leftTol:
			right = append(right, f)
		case f.left+estWidth(f) > x+0.25*(w-x):
			full = append(full, f)
			crossing++
		default:
			left = append(left, f)
		}
	}
	// Text running across the gutter means one column with some lines that
	// happen to start mid-page (a table, a centred block), not two columns.
	if len(left) < 3 || crossing*5 > len(left) {
		return nil, nil, nil, false
	}
	return full, left, right, true
}

// findGutter returns the most common left edge in the middle band of the page
// when enough lines share it.
func findGutter(frags []fragment, w float64) (float64, bool) {
	counts := map[int]int{}
	for _, f := range frags {
		if f.left >= 0.3*w && f.left <= 0.7*w {
			counts[int(math.Round(f.left))]++
		}
	}
	best, n := 0, 0
	for x := range counts {
		c := counts[x-1] + counts[x] + counts[x+1]
		if c > n || (c == n && x < best) {
			best, n = x, c
		}
	}
	if n < minColumnLines {
		return 0, false
	}
	// The exact edge is the leftmost of the cluster, so that its lines all
	// fall on the right of x-leftTol.
	x := float64(best)
	for _, f := range frags {
		if math.Abs(f.left-float64(best)) <= 1.5 {
			x = min(x, f.left)
		}
	}
	return x, true
}

// orderColumns interleaves full-width lines with the column text between
// them: everything of the left column above a full-width line, then the
// right column's, then the line itself.
func orderColumns(full, left, right []fragment) [][]line {
	byTop := func(a, b fragment) int { return cmp.Compare(a.top, b.top) }
	slices.SortStableFunc(full, byTop)
	slices.SortStableFunc(left, byTop)
	slices.SortStableFunc(right, byTop)

	var out [][]line
	emit := func(fs []fragment) {
		if len(fs) > 0 {
			out = append(out, mergeLines(fs))
		}
	}
	takeAbove := func(fs *[]fragment, limit float64) []fragment {
		i := 0
		for i < len(*fs) && (*fs)[i].top < limit {
			i++
		}
		taken := (*fs)[:i]
		*fs = (*fs)[i:]
		return taken
	}
	var band []fragment
	for _, f := range full {
		l, r := takeAbove(&left, f.top), takeAbove(&right, f.top)
		if len(l)+len(r) > 0 {
			emit(band)
			band = nil
			emit(l)
			emit(r)
		}
		band = append(band, f)
	}
	emit(band)
	emit(left)
	emit(right)
	return out
}

// mergeLines sorts fragments top to bottom and joins those that share a line.
func mergeLines(frags []fragment) []line {
	frags = slices.Clone(frags)
	slices.SortStableFunc(frags, func(a, b fragment) int {
		if c := cmp.Compare(a.top, b.top); c != 0 {
			return c
		}
		return cmp.Compare(a.left, b.left)
	})
	var groups [][]fragment
	for _, f := range frags {
		if n := len(groups); n > 0 && sameLine(groups[n-1][0], f) {
			groups[n-1] = append(groups[n-1], f)
			continue
		}
		groups = append(groups, []fragment{f})
	}
	lines := make([]line, 0, len(groups))
	for _, g := range groups {
		lines = append(lines, joinFragments(g))
	}
	return lines
}

// sameLine reports whether two fragments overlap vertically by at least half
// the smaller one's height.
func sameLine(a, b fragment) bool {
	ha, hb := fragHeight(a), fragHeight(b)
	overlap := min(a.top+ha, b.top+hb) - max(a.top, b.top)
	return overlap >= 0.5*min(ha, hb)
}

func fragHeight(f fragment) float64 {
	if f.height > 0 {
		return f.height
	}
	return max(dominantSize(f.runs), 1)
}

// joinFragments makes one line of fragments that share a height.
func joinFragments(g []fragment) line {
	slices.SortStableFunc(g, func(a, b fragment) int { return cmp.Compare(a.left, b.left) })
	main := g[0]
	for _, f := range g {
		if utf8.RuneCountInString(plainText(f.runs)) > utf8.RuneCountInString(plainText(main.runs)) {
			main = f
		}
	}
	l := line{top: main.top, left: g[0].left, height: main.height, frags: len(g)}
	for i, f := range g {
		if i > 0 && !endsWithSpace(l.runs) && !strings.HasPrefix(plainText(f.runs), " ") {
			l.runs = append(l.runs, run{text: " "})
		}
		l.runs = append(l.runs, f.runs...)
	}
	l.size = dominantSize(l.runs)
	return l
}

// estWidth guesses a fragment's width from its length and font size.
func estWidth(f fragment) float64 {
	w := 0.0
	for _, r := range f.runs {
		w += float64(utf8.RuneCountInString(r.text)) * r.size * avgCharWidth
	}
	return w
}

// dominantSize is the font size that most non-space characters are set in.
func dominantSize(runs []run) float64 {
	bySize := map[float64]int{}
	for _, r := range runs {
		bySize[r.size] += nonSpace(r.text)
	}
	best, n := 0.0, -1
	for s, c := range bySize {
		if c > n || (c == n && s > best) {
			best, n = s, c
		}
	}
	return best
}

func plainText(runs []run) string {
	var b strings.Builder
	for _, r := range runs {
		b.WriteString(r.text)
	}
	return b.String()
}

func endsWithSpace(runs []run) bool {
	s := plainText(runs)
	return s == "" || strings.HasSuffix(s, " ")
}
