package textlayer

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/gen2brain/go-fitz"
	"github.com/stretchr/testify/require"
)

// pdfDir holds the real-world test PDFs: shared/ is a sibling of the repo.
const pdfDir = "../../../shared/pdfs"

// testDoc is one page of a test PDF: what FromHTML makes of it, and MuPDF's
// plain text of it to compare against.
type testDoc struct {
	page Page
	text string
}

func openPDF(t *testing.T, name string) *fitz.Document {
	t.Helper()
	path := filepath.Join(pdfDir, name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("test PDFs not found at %s: %v", pdfDir, err)
	}
	doc, err := fitz.New(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = doc.Close() })
	return doc
}

func readPage(t *testing.T, doc *fitz.Document, i int) testDoc {
	t.Helper()
	b, err := doc.Bound(i)
	require.NoError(t, err)
	html, err := doc.HTML(i, false)
	require.NoError(t, err)
	text, err := doc.Text(i)
	require.NoError(t, err)
	return testDoc{page: FromHTML(html, float64(b.Dx()), float64(b.Dy())), text: text}
}

func readPDF(t *testing.T, name string, page int) testDoc {
	t.Helper()
	return readPage(t, openPDF(t, name), page)
}

var (
	lineHyphen = regexp.MustCompile(`(\pL)-\n(\p{Ll})`)
	notWord    = regexp.MustCompile(`[^\pL\pN]+`)
)

// words reduces text to its words: hyphenation mended, punctuation and
// Markdown markup gone.
func words(text string) []string {
	text = lineHyphen.ReplaceAllString(text, "$1$2")
	var out []string
	for _, f := range strings.Fields(text) {
		if w := notWord.ReplaceAllString(f, ""); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func TestEveryWordInOrder(t *testing.T) {
	t.Parallel()
	doc := openPDF(t, "pdflatex-4-pages.pdf")
	for i := range doc.NumPage() {
		got := readPage(t, doc, i)
		require.True(t, got.page.Trusted, "page %d", i+1)
		require.Equal(t, words(got.text), words(got.page.Markdown), "page %d", i+1)
		require.Equal(t, len(strings.Fields(got.text)), got.page.Words, "page %d", i+1)
	}
}

func TestRealPDFs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string
		page    int
		trusted bool
		check   func(t *testing.T, d testDoc)
	}{
		{
			name: "hyphenation is mended", file: "minimal-document.pdf", trusted: true,
			check: func(t *testing.T, d testDoc) {
				require.Contains(t, d.page.Markdown, "no sea takimata sanctus")
				require.NotContains(t, d.page.Markdown, "taki-")
			},
		},
		{
			name: "two columns in reading order", file: "multicolumn.pdf", trusted: true,
			check: func(t *testing.T, d testDoc) {
				md := d.page.Markdown
				// The left column ends with "Vivamus viverra fermentum felis.
				// Donec nonummy", the right one starts with "pellentesque ante."
				// and the sentence runs on across the gutter.
				leftEnd := strings.Index(md, "Vivamus viverra fermentum felis.")
				rightTop := strings.Index(md, "Phasellus adipiscing semper elit.")
				require.Positive(t, leftEnd)
				require.Greater(t, rightTop, leftEnd)
				require.Contains(t, md, "Donec nonummy pellentesque ante.")
				// Lines that share a height in the two columns are not mixed.
				require.Contains(t, md, "Lorem ipsum dolor sit amet, consectetuer adipiscing elit. Ut purus elit,")
				require.True(t, strings.HasPrefix(md, "# Two-Column Document with Lorem Ipsum\n"))
				require.Contains(t, md, "\n## Abstract\n")
				require.Equal(t, sorted(words(d.text)), sorted(words(md)))
			},
		},
		{
			name: "chapter heading", file: "pdflatex-image.pdf", trusted: true,
			check: func(t *testing.T, d testDoc) {
				require.Regexp(t, `(?m)^# 1 Your Chapter$`, d.page.Markdown)
				require.Greater(t, d.page.ImageArea, 0.1)
				require.Less(t, d.page.ImageArea, 0.5)
			},
		},
		{
			name: "Arabic survives", file: "habibi.pdf", trusted: false,
			check: func(t *testing.T, d testDoc) {
				arabic := firstWordWith(d.text, unicode.Arabic)
				require.NotEmpty(t, arabic)
				require.Contains(t, d.page.Markdown, arabic)
				require.Contains(t, d.page.Markdown, "habibi")
				// Its Latin font has no Unicode map: too many bad glyphs to trust.
				require.Positive(t, d.page.BadGlyphs)
			},
		},
		{
			name: "German umlauts and maths", file: "GeoTopo-komprimiert.pdf", page: 5, trusted: true,
			check: func(t *testing.T, d testDoc) {
				md := d.page.Markdown
				require.Contains(t, md, "## 1.1 Topologische Räume")
				require.Contains(t, md, "heißen")
				require.Contains(t, md, "Außerdem")
				require.Contains(t, md, "für jedes")
				require.Contains(t, md, "Ein **topologischer Raum** ist")
				require.Regexp(t, `(?m)^- \(i\) `, md)
				require.Regexp(t, `(?m)^2\. Jeder metrische Raum`, md)
				require.Contains(t, md, "unterschiedlichem Mittelpunkt")
				require.Greater(t, d.page.MathGlyphs, 50)
			},
		},
		{
			name: "title and italics", file: "google-doc-document.pdf", trusted: true,
			check: func(t *testing.T, d testDoc) {
				require.True(t, strings.HasPrefix(d.page.Markdown, "# Example document\n"))
				require.Contains(t, d.page.Markdown, `\**right*\*`)
				require.Contains(t, d.page.Markdown, "\n\nExplicit is better than implicit.\n\n")
			},
		},
		{
			name: "short page with bold labels", file: "pdfkit.pdf", trusted: true,
			check: func(t *testing.T, d testDoc) {
				require.True(t, strings.HasPrefix(d.page.Markdown, "# Header\n"))
				require.Contains(t, d.page.Markdown, "**Foo:** bar")
			},
		},
		{
			name: "image-only page", file: "imagemagick-CCITTFaxDecode.pdf", trusted: false,
			check: func(t *testing.T, d testDoc) {
				require.Empty(t, d.page.Markdown)
				require.Zero(t, d.page.Chars)
				require.InDelta(t, 1.0, d.page.ImageArea, 0.001)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := readPDF(t, tt.file, tt.page)
			require.Equal(t, tt.trusted, d.page.Trusted)
			tt.check(t, d)
		})
	}
}

func TestGeoTopoFurniture(t *testing.T) {
	t.Parallel()
	doc := openPDF(t, "GeoTopo-komprimiert.pdf")
	var pages []string
	for i := 9; i < 14; i++ {
		pages = append(pages, readPage(t, doc, i).page.Markdown)
	}
	out := DropFurniture(pages)
	require.Len(t, out, len(pages))
	for i, p := range out {
		require.NotContains(t, p, "METRISCHE RÄUME**", "page %d", i+10)
		require.NotEmpty(t, p)
	}
}

func firstWordWith(text string, script *unicode.RangeTable) string {
	for _, f := range strings.Fields(text) {
		if strings.ContainsFunc(f, func(r rune) bool { return unicode.Is(script, r) }) {
			return strings.TrimFunc(f, func(r rune) bool { return !unicode.Is(script, r) && !unicode.Is(unicode.Mn, r) })
		}
	}
	return ""
}

func sorted(ws []string) []string {
	out := slices.Clone(ws)
	slices.Sort(out)
	return out
}

// html builds a page of MuPDF stext HTML from lines given as
// top, left, size and inner HTML.
func html(lines ...string) string {
	return `<div id="page0" style="width:595.3pt;height:841.9pt">` + "\n" + strings.Join(lines, "\n") + "\n</div>"
}

func p(top, left, size, inner string) string {
	return `<p style="top:` + top + `pt;left:` + left + `pt;line-height:` + size + `pt"><span style="font-family:Helvetica,sans-serif;font-size:` + size + `pt">` + inner + `</span></p>`
}

func TestFromHTMLMarkdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		html string
		want string
	}{
		{
			name: "bullets and numbers",
			html: html(
				p("100", "72", "10", "Shopping list:"),
				p("112", "72", "10", "&#x2022; apples and"),
				p("124", "82", "10", "pears"),
				p("136", "72", "10", "&#x2022; bread"),
				p("160", "72", "10", "1) first step"),
				p("172", "72", "10", "2. second step"),
			),
			want: "Shopping list:\n\n- apples and pears\n- bread\n1. first step\n2. second step",
		},
		{
			name: "hyphen before a capital stays, soft break goes",
			html: html(
				p("100", "72", "10", "They drove to Baden-"),
				p("112", "72", "10", "W&#xfc;rttemberg and back again, a well-"),
				p("124", "72", "10", "known route."),
			),
			want: "They drove to Baden-Württemberg and back again, a wellknown route.",
		},
		{
			name: "bold line at body size is a heading, bold words are bold",
			html: html(
				p("100", "72", "10", "<b>Results</b>"),
				p("112", "72", "10", "The <b>main</b> finding is <i>clear</i>."),
			),
			want: "### Results\n\nThe **main** finding is *clear*.",
		},
		{
			name: "gap and indent break paragraphs",
			html: html(
				p("100", "72", "10", "First paragraph runs over a line that is long enough to be full"),
				p("112", "72", "10", "and ends here."),
				p("124", "84", "10", "Second one starts indented and is long enough to fill the line"),
				p("136", "72", "10", "until here"),
				p("170", "72", "10", "Third after a gap."),
			),
			want: "First paragraph runs over a line that is long enough to be full and ends here.\n\nSecond one starts indented and is long enough to fill the line until here\n\nThird after a gap.",
		},
		{
			name: "empty page",
			html: html(),
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, FromHTML(tt.html, 595, 842).Markdown)
		})
	}
}

func TestTrust(t *testing.T) {
	t.Parallel()
	text := p("100", "72", "10", "A page of ordinary text that is long enough.")
	scan := `<img style="top:0pt;left:0pt;width:595pt;height:842pt" src="data:image/png;base64,">`
	tests := []struct {
		name    string
		html    string
		trusted bool
	}{
		{name: "plain text", html: html(text), trusted: true},
		{name: "text over a full-page image", html: html(scan, text), trusted: false},
		{name: "unmapped glyphs", html: html(p("100", "72", "10", "Text &#xfffd;&#xfffd;&#xfffd;&#xfffd;&#xfffd; with broken glyphs")), trusted: false},
		{name: "private use glyphs", html: html(p("100", "72", "10", "&#xe001;&#xe002;&#xe003; abc def ghi jkl mno pqr stu")), trusted: false},
		{name: "a short label alone", html: html(p("100", "72", "10", "Figure 3")), trusted: true},
		{name: "nothing", html: html(), trusted: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.trusted, FromHTML(tt.html, 595, 842).Trusted)
		})
	}
}

func TestDropFurniture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pages []string
		want  []string
	}{
		{
			name: "running header and page numbers",
			pages: []string{
				"**Annual Report 2023**\n\nRevenue grew strongly.\n\n1",
				"**Annual Report 2023**\n\nCosts fell.\n\n2",
				"**Annual Report 2023**\n\nOutlook is good.\n\n3",
			},
			want: []string{"Revenue grew strongly.", "Costs fell.", "Outlook is good."},
		},
		{
			name: "header with the page number in it, alternating sides",
			pages: []string{
				"12 CHAPTER 1. BASICS\n\nBody one.",
				"1.1 SETS 13\n\nBody two.",
				"14 CHAPTER 1. BASICS\n\nBody three.",
				"1.1 SETS 15\n\nBody four.",
			},
			want: []string{"Body one.", "Body two.", "Body three.", "Body four."},
		},
		{
			name: "page footer formats",
			pages: []string{
				"Text A.\n\nPage 1 of 3",
				"Text B.\n\nPage 2 of 3",
			},
			want: []string{"Text A.", "Text B."},
		},
		{
			name: "body text that differs is kept",
			pages: []string{
				"# Introduction\n\nFirst page.",
				"# Methods\n\nSecond page.",
			},
			want: []string{"# Introduction\n\nFirst page.", "# Methods\n\nSecond page."},
		},
		{
			name:  "a single page has nothing to compare with",
			pages: []string{"Header\n\nBody.\n\n1"},
			want:  []string{"Header\n\nBody.\n\n1"},
		},
		{
			name:  "no pages",
			pages: nil,
			want:  []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, DropFurniture(tt.pages))
		})
	}
}
