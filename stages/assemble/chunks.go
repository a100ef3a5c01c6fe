package assemble

import (
	"regexp"
	"slices"
	"strings"
)

// DefaultChunkChars is the size a chunk grows to before a paragraph boundary
// closes it: about 350 tokens, a common size for retrieval embeddings.
const DefaultChunkChars = 1500

// Chunk is a piece of the document for retrieval pipelines: it never crosses
// a heading, carries the headings above it and the pages it came from.
type Chunk struct {
	Index     int      `json:"index"`
	Text      string   `json:"text"`
	Headings  []string `json:"headings"` // outermost first
	PageStart int      `json:"page_start"`
	PageEnd   int      `json:"page_end"`
	Pages     []int    `json:"pages"`
	Chars     int      `json:"chars"`
}

// ChunkDocument is the chunks output.
type ChunkDocument struct {
	Filename string  `json:"filename"`
	Chunks   []Chunk `json:"chunks"`
}

var headingLine = regexp.MustCompile(`^(#{1,6})\s+(.+?)\s*#*\s*$`)

type block struct {
	text string
	page int
}

// Chunks splits pages into heading-aware chunks: a heading always starts a
// new chunk, and a chunk that reaches maxChars ends at the next paragraph.
// A paragraph longer than maxChars stays whole rather than cut mid-sentence.
func Chunks(pages []Page, maxChars int) []Chunk {
	c := chunker{max: maxChars}
	for _, p := range dropFurniture(pages) {
		text := p.Markdown
		if p.Error != "" {
			text = Placeholder(p)
		}
		for _, b := range paragraphs(text) {
			c.add(block{text: b, page: p.Page})
		}
	}
	c.flush()
	return c.out
}

type chunker struct {
	max      int
	headings []string // heading stack by level-1
	levels   []int
	cur      []block
	out      []Chunk
}

func (c *chunker) add(b block) {
	if m := headingLine.FindStringSubmatch(b.text); m != nil && !strings.Contains(b.text, "\n") {
		c.flush()
		c.push(len(m[1]), m[2])
		c.cur = append(c.cur, b)
		return
	}
	if c.size()+len(b.text) > c.max && c.hasBody() {
		c.flush()
	}
	c.cur = append(c.cur, b)
}

// push records a heading of level, dropping those at its level or deeper.
func (c *chunker) push(level int, title string) {
	for len(c.levels) > 0 && c.levels[len(c.levels)-1] >= level {
		c.levels, c.headings = c.levels[:len(c.levels)-1], c.headings[:len(c.headings)-1]
	}
	c.levels, c.headings = append(c.levels, level), append(c.headings, title)
}

func (c *chunker) size() int {
	n := 0
	for _, b := range c.cur {
		n += len(b.text) + 2
	}
	return n
}

// hasBody tells a chunk with text from one holding only its heading, which
// must not be closed before its first paragraph.
func (c *chunker) hasBody() bool {
	for _, b := range c.cur {
		if !headingLine.MatchString(b.text) {
			return true
		}
	}
	return false
}

func (c *chunker) flush() {
	if len(c.cur) == 0 {
		return
	}
	texts := make([]string, len(c.cur))
	var pages []int
	for i, b := range c.cur {
		texts[i] = b.text
		if !slices.Contains(pages, b.page) {
			pages = append(pages, b.page)
		}
	}
	text := strings.Join(texts, "\n\n")
	c.out = append(c.out, Chunk{Index: len(c.out), Text: text, Headings: slices.Clone(c.headings),
		PageStart: pages[0], PageEnd: pages[len(pages)-1], Pages: pages, Chars: len(text)})
	c.cur = nil
}

// paragraphs splits Markdown at blank lines, keeping fenced code whole.
func paragraphs(md string) []string {
	var out []string
	var cur []string
	fenced := false
	emit := func() {
		if t := strings.TrimSpace(strings.Join(cur, "\n")); t != "" {
			out = append(out, t)
		}
		cur = nil
	}
	for _, line := range strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
		}
		if !fenced && headingLine.MatchString(line) {
			emit()
			cur = append(cur, line)
			emit()
			continue
		}
		if !fenced && strings.TrimSpace(line) == "" {
			emit()
			continue
		}
		cur = append(cur, line)
	}
	emit()
	return out
}
