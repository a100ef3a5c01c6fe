package textlayer

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

type blockKind int

const (
	paragraph blockKind = iota
	heading
	listItem
)

// block is one Markdown block being built from lines.
type block struct {
	kind   blockKind
	level  int    // heading level 1..3
	marker string // list marker as Markdown writes it: "-", "3."
	left   float64
	runs   []run
}

// metrics are the page's typographic norms that headings and paragraph
// breaks are measured against.
type metrics struct {
	body    float64 // font size of most of the text
	spacing float64 // usual distance between the tops of two body lines
}

// toMarkdown writes the page's flows, already in reading order, as Markdown.
func toMarkdown(fl [][]line) string {
	m := measure(fl)
	b := builder{m: m}
	for _, f := range fl {
		b.addFlow(f)
	}
	return b.render()
}

func measure(fl [][]line) metrics {
	bySize := map[float64]int{}
	for _, f := range fl {
		for _, l := range f {
			bySize[math.Round(l.size*2)/2] += nonSpace(l.text())
		}
	}
	m := metrics{}
	n := -1
	for s, c := range bySize {
		if c > n || (c == n && s < m.body) {
			m.body, n = s, c
		}
	}
	if m.body <= 0 {
		m.body = 10
	}
	var gaps []float64
	for _, f := range fl {
		for i := 1; i < len(f); i++ {
			g := f[i].top - f[i-1].top
			if isBody(f[i], m.body) && isBody(f[i-1], m.body) && g > 0.5*m.body && g < 2.5*m.body {
				gaps = append(gaps, g)
			}
		}
	}
	m.spacing = 1.2 * m.body
	if len(gaps) > 0 {
		slices.Sort(gaps)
		m.spacing = gaps[len(gaps)/2]
	}
	return m
}

func isBody(l line, body float64) bool { return math.Abs(l.size-body) <= 0.1*body }

// builder turns lines into blocks.
type builder struct {
	m      metrics
	blocks []block
}

func (b *builder) cur() *block {
	if len(b.blocks) == 0 {
		return nil
	}
	return &b.blocks[len(b.blocks)-1]
}

// addFlow adds the lines of one column or band.
func (b *builder) addFlow(lines []line) {
	margin, maxWidth := flowShape(lines, b.m.body)
	for i, l := range lines {
		var prev *line
		if i > 0 {
			prev = &lines[i-1]
		}
		b.addLine(l, prev, margin, maxWidth)
	}
}

// flowShape finds the left margin and the widest line of a flow's body text.
func flowShape(lines []line, body float64) (margin, maxWidth float64) {
	counts := map[float64]int{}
	for _, l := range lines {
		if isBody(l, body) {
			counts[math.Round(l.left)]++
			maxWidth = max(maxWidth, lineWidth(l))
		}
	}
	n := 0
	for x, c := range counts {
		if c > n || (c == n && x < margin) {
			margin, n = x, c
		}
	}
	return margin, maxWidth
}

func lineWidth(l line) float64 {
	return estWidth(fragment{runs: l.runs})
}

func (b *builder) addLine(l line, prev *line, margin, maxWidth float64) {
	cur := b.cur()
	if lvl := b.headingLevel(l); lvl > 0 {
		if cur != nil && cur.kind == heading && cur.level == lvl && prev != nil && l.top-prev.top <= 1.6*max(l.height, l.size) {
			cur.runs = joinRuns(cur.runs, l.runs)
			return
		}
		b.blocks = append(b.blocks, block{kind: heading, level: lvl, left: l.left, runs: l.runs})
		return
	}
	if prev == nil && cur != nil && continuesAcrossColumns(cur, l) {
		cur.runs = joinRuns(cur.runs, l.runs)
		return
	}
	brk := prev == nil || cur == nil || cur.kind == heading || b.gapBreak(*prev, l)
	if marker, n, ok := listMarker(l.text()); ok {
		if brk || cur.kind == listItem || endsSentence(prev.text()) || math.Abs(l.left-prev.left) > leftTol {
			b.blocks = append(b.blocks, block{kind: listItem, marker: marker, left: l.left, runs: dropRunes(l.runs, n)})
			return
		}
	}
	if !brk && cur.kind == listItem && l.left > cur.left+0.3*l.size {
		cur.runs = joinRuns(cur.runs, l.runs)
		return
	}
	if brk || b.shapeBreak(*prev, l, margin, maxWidth) {
		b.blocks = append(b.blocks, block{kind: paragraph, left: l.left, runs: l.runs})
		return
	}
	cur.runs = joinRuns(cur.runs, l.runs)
}

// gapBreak reports a vertical gap or a change of size between two lines,
// which ends a paragraph or list item.
func (b *builder) gapBreak(prev, l line) bool {
	gap := l.top - prev.top
	want := b.m.spacing * max(l.size, prev.size) / b.m.body
	if gap > 1.4*want || gap < -0.5*max(l.height, 1) {
		return true
	}
	return math.Abs(l.size-prev.size) > 0.15*b.m.body
}

// shapeBreak reports a paragraph break told by the lines' shape: a first-line
// indent, or a short line that ends a sentence.
func (b *builder) shapeBreak(prev, l line, margin, maxWidth float64) bool {
	indent := 0.6 * l.size
	if l.left > prev.left+indent && l.left > margin+indent {
		return true
	}
	return endsSentence(prev.text()) && lineWidth(prev) < 0.7*maxWidth
}

// continuesAcrossColumns reports whether the first line of a column carries
// on the paragraph that ended the previous column mid-sentence.
func continuesAcrossColumns(cur *block, l line) bool {
	if cur.kind != paragraph || endsSentence(plainText(cur.runs)) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(strings.TrimSpace(l.text()))
	return unicode.IsLower(r)
}

// headingLevel tells a heading by its size against the body text, or by a
// short line set wholly in bold.
func (b *builder) headingLevel(l line) int {
	t := strings.TrimSpace(l.text())
	if !strings.ContainsFunc(t, unicode.IsLetter) || utf8.RuneCountInString(t) > 200 {
		return 0
	}
	// A slightly larger line that is not bold is more often a byline or a
	// date than a heading, so that band needs the weight too.
	bold := allBold(l.runs)
	switch r := l.size / b.m.body; {
	case r >= 1.6:
		return 1
	case r >= 1.25:
		return 2
	case r >= 1.1 && bold:
		return 3
	case r >= 0.95 && bold && l.frags == 1 && len(strings.Fields(t)) <= 12 && !strings.ContainsAny(t[len(t)-1:], ".,;"):
		return 3
	}
	return 0
}

func allBold(runs []run) bool {
	seen := false
	for _, r := range runs {
		if !strings.ContainsFunc(r.text, isWordRune) {
			continue
		}
		if !r.bold {
			return false
		}
		seen = true
	}
	return seen
}

var (
	bulletRe = regexp.MustCompile(`^\s*([•◦▪▫‣∙·●○■□►▶–—*-])\s+`)
	numberRe = regexp.MustCompile(`^\s*(\d{1,3})[.)]\s+`)
	labelRe  = regexp.MustCompile(`^\s*(\(\d{1,3}\)|\(?[a-zA-Z]\)|\(?[ivxIVX]{1,5}\))\s+`)
)

// listMarker recognises a bullet or a number that opens a list item and
// returns how Markdown writes it and how many runes of the line it takes.
func listMarker(t string) (marker string, n int, ok bool) {
	if m := bulletRe.FindStringSubmatch(t); m != nil {
		return "-", utf8.RuneCountInString(m[0]), true
	}
	if m := numberRe.FindStringSubmatch(t); m != nil {
		return m[1] + ".", utf8.RuneCountInString(m[0]), true
	}
	// Letters and roman numerals have no Markdown list of their own: the
	// label stays as text of a bullet item.
	if m := labelRe.FindStringSubmatch(t); m != nil {
		return "- " + m[1], utf8.RuneCountInString(m[0]), true
	}
	return "", 0, false
}

func endsSentence(t string) bool {
	t = strings.TrimRight(t, " \t\u00a0”’\")")
	return t != "" && strings.ContainsAny(t[len(t)-1:], ".!?:;")
}

const hyphens = "-\u2010\u00ad"

// joinRuns appends a line to the text of a block: with a space, or, after an
// end-of-line hyphen, without one. The hyphen goes when the next line goes
// on in lower case (a word broken by hyphenation) and stays otherwise
// ("Baden-" + "Württemberg").
func joinRuns(acc, next []run) []run {
	acc = trimRight(acc)
	next = trimLeft(next)
	t := plainText(acc)
	last, size := utf8.DecodeLastRuneInString(t)
	if last == utf8.RuneError || !strings.ContainsRune(hyphens, last) {
		return append(append(acc, run{text: " "}), next...)
	}
	before, _ := utf8.DecodeLastRuneInString(t[:len(t)-size])
	if !unicode.IsLetter(before) {
		return append(append(acc, run{text: " "}), next...)
	}
	first, _ := utf8.DecodeRuneInString(plainText(next))
	if last == '\u00ad' || unicode.IsLower(first) {
		acc = dropLastRune(acc)
	}
	return append(acc, next...)
}

func trimRight(runs []run) []run {
	runs = slices.Clone(runs)
	for len(runs) > 0 {
		i := len(runs) - 1
		runs[i].text = strings.TrimRightFunc(runs[i].text, unicode.IsSpace)
		if runs[i].text != "" {
			break
		}
		runs = runs[:i]
	}
	return runs
}

func trimLeft(runs []run) []run {
	runs = slices.Clone(runs)
	for len(runs) > 0 {
		runs[0].text = strings.TrimLeftFunc(runs[0].text, unicode.IsSpace)
		if runs[0].text != "" {
			break
		}
		runs = runs[1:]
	}
	return runs
}

func dropLastRune(runs []run) []run {
	i := len(runs) - 1
	_, size := utf8.DecodeLastRuneInString(runs[i].text)
	runs[i].text = runs[i].text[:len(runs[i].text)-size]
	return runs
}

// dropRunes removes the first n runes of a line (its list marker).
func dropRunes(runs []run, n int) []run {
	out := slices.Clone(runs)
	for len(out) > 0 && n > 0 {
		k := utf8.RuneCountInString(out[0].text)
		if k > n {
			_, rest := splitRunes(out[0].text, n)
			out[0].text = rest
			break
		}
		n -= k
		out = out[1:]
	}
	return trimLeft(out)
}

func splitRunes(s string, n int) (string, string) {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i], s[i:]
}

// render writes the blocks: list items of one list on consecutive lines,
// everything else apart by a blank line.
func (b *builder) render() string {
	var out strings.Builder
	var prev *block
	for i := range b.blocks {
		blk := &b.blocks[i]
		text := blk.markdown()
		if text == "" {
			continue
		}
		if prev != nil {
			if prev.kind == listItem && blk.kind == listItem {
				out.WriteString("\n")
			} else {
				out.WriteString("\n\n")
			}
		}
		out.WriteString(text)
		prev = blk
	}
	return out.String()
}

func (blk *block) markdown() string {
	switch blk.kind {
	case heading:
		// A heading is already set apart: its bold would be noise.
		t := collapseSpace(plainText(blk.runs))
		if t == "" {
			return ""
		}
		return strings.Repeat("#", blk.level) + " " + t
	case listItem:
		return strings.TrimSpace(blk.marker + " " + inline(blk.runs))
	default:
		return inline(blk.runs)
	}
}

// style is a run's emphasis: 0 none, 1 italic, 2 bold, 3 both; -1 for runs
// without letters or digits, which take the emphasis around them.
func emphasisOf(r run) int {
	if !strings.ContainsFunc(r.text, isWordRune) {
		return -1
	}
	if r.math {
		return 0
	}
	s := 0
	if r.italic {
		s |= 1
	}
	if r.bold {
		s |= 2
	}
	return s
}

var marks = [...]string{"", "*", "**", "***"}

// inline writes runs as Markdown text with **bold** and *italic*, putting
// the markers inside the surrounding spaces so that Markdown sees them.
func inline(runs []run) string {
	type seg struct {
		text  string
		style int
	}
	segs := make([]seg, 0, len(runs))
	for _, r := range runs {
		// A literal asterisk next to an emphasis marker would change its
		// meaning; escaped, it still reads as the asterisk it is.
		segs = append(segs, seg{strings.ReplaceAll(r.text, "*", `\*`), emphasisOf(r)})
	}
	for i := range segs {
		if segs[i].style >= 0 {
			continue
		}
		before, after := 0, 0
		if i > 0 {
			before = segs[i-1].style
		}
		for j := i + 1; j < len(segs); j++ {
			if segs[j].style >= 0 {
				after = segs[j].style
				break
			}
		}
		segs[i].style = 0
		if before == after {
			segs[i].style = max(before, 0)
		}
	}
	var merged []seg
	for _, s := range segs {
		if n := len(merged); n > 0 && merged[n-1].style == s.style {
			merged[n-1].text += s.text
			continue
		}
		merged = append(merged, s)
	}
	var b strings.Builder
	for _, s := range merged {
		t := strings.TrimSpace(s.text)
		if s.style == 0 || t == "" {
			b.WriteString(s.text)
			continue
		}
		if len(strings.TrimLeftFunc(s.text, unicode.IsSpace)) < len(s.text) {
			b.WriteString(" ")
		}
		b.WriteString(marks[s.style] + t + marks[s.style])
		if len(strings.TrimRightFunc(s.text, unicode.IsSpace)) < len(s.text) {
			b.WriteString(" ")
		}
	}
	return collapseSpace(b.String())
}

// collapseSpace turns any run of white space into one space and trims.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func nonSpace(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
