package tesseract

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// word is one recognised word of tesseract's TSV output.
type word struct {
	par, line string // keys of its paragraph and line
	text      string
	conf      float64
	w, h      int
}

// result is one recognition pass.
type result struct {
	words []word
	// Over words of three letters or more, which say something about how
	// well the page read: how many, how many lie horizontally, and the sum
	// of their confidences.
	n, wide int
	confSum float64
}

// TSV columns: level page_num block_num par_num line_num word_num left top
// width height conf text.
const (
	colLevel = iota
	colPage
	colBlock
	colPar
	colLine
	colWord
	colLeft
	colTop
	colWidth
	colHeight
	colConf
	colText
	tsvCols
)

const wordLevel = "5"

func parseTSV(out string) result {
	var res result
	for _, row := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimRight(row, "\r"), "\t")
		if len(f) < tsvCols || f[colLevel] != wordLevel || strings.TrimSpace(f[colText]) == "" {
			continue
		}
		conf, _ := strconv.ParseFloat(f[colConf], 64)
		w, _ := strconv.Atoi(f[colWidth])
		h, _ := strconv.Atoi(f[colHeight])
		par := f[colPage] + "." + f[colBlock] + "." + f[colPar]
		res.add(word{par: par, line: par + "." + f[colLine], text: strings.TrimSpace(f[colText]), conf: conf, w: w, h: h})
	}
	return res
}

func (r *result) add(w word) {
	r.words = append(r.words, w)
	if letters(w.text) < 3 {
		return
	}
	r.n++
	r.confSum += max(w.conf, 0)
	if w.w > w.h {
		r.wide++
	}
}

func letters(s string) int {
	n := 0
	for _, c := range s {
		if unicode.IsLetter(c) {
			n++
		}
	}
	return n
}

// upright reports a page that read well as it is.
func (r result) upright() bool {
	return r.n >= 3 && r.confSum/float64(r.n) >= uprightConf && float64(r.wide) >= uprightWide*float64(r.n)
}

// score ranks passes over one page at different turns: confidence counts
// only for words lying horizontally, because tesseract reads text on end
// too, confidently but out of order.
func (r result) score() float64 {
	if r.n == 0 {
		return 0
	}
	wideShare := float64(r.wide) / float64(r.n)
	return r.confSum / float64(r.n) * wideShare
}

// text joins words into lines and lines into paragraphs, as tesseract's
// layout analysis grouped them, mending words hyphenated at a line end.
func (r result) text() string {
	var paras []string
	var para strings.Builder
	prevPar, prevLine := "", ""
	for _, w := range r.words {
		switch {
		case w.par != prevPar:
			if para.Len() > 0 {
				paras = append(paras, para.String())
			}
			para.Reset()
		case w.line != prevLine:
			joinLine(&para, w.text)
			prevLine = w.line
			continue
		default:
			para.WriteString(" ")
		}
		para.WriteString(w.text)
		prevPar, prevLine = w.par, w.line
	}
	if para.Len() > 0 {
		paras = append(paras, para.String())
	}
	return strings.Join(paras, "\n\n")
}

// joinLine starts a new line of a paragraph. After a hyphen at the line end
// the lines join without a space, and the hyphen goes when the line goes on
// in lower case (a word broken by hyphenation) and stays before a capital
// ("Baden-" + "Württemberg").
func joinLine(para *strings.Builder, next string) {
	s := para.String()
	if !strings.HasSuffix(s, "-") || len(s) < 2 {
		para.WriteString(" " + next)
		return
	}
	before, _ := utf8.DecodeLastRuneInString(s[:len(s)-1])
	if !unicode.IsLetter(before) {
		para.WriteString(" " + next)
		return
	}
	first, _ := utf8.DecodeRuneInString(next)
	if unicode.IsLower(first) {
		para.Reset()
		para.WriteString(s[:len(s)-1])
	}
	para.WriteString(next)
}
