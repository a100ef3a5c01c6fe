package assemble

import (
	"fmt"
	"html"
	"regexp"
	"strings"
)

// mathSpan finds TeX the models write: display $$…$$ and \[…\], inline \(…\)
// and $…$. Inline $…$ must not start or end with a space, so "costs $5 and
// $6" stays prose.
var mathSpan = regexp.MustCompile(`(?s)\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|\$[^\s$](?:[^$\n]*[^\s$])?\$`)

// codeSpan finds what must not be touched: fenced blocks and inline code.
var codeSpan = regexp.MustCompile("(?s)```.*?```|`[^`\n]+`")

// mathTable maps placeholders back to the TeX they stand for.
type mathTable []string

func placeholder(i int) string { return fmt.Sprintf("DOCPARSEMATH%dX", i) }

// protectMath swaps TeX for placeholders before Markdown rendering, because
// Markdown would read its underscores and asterisks as emphasis and its
// backslashes as escapes. Code is left alone.
func protectMath(md string) (string, mathTable) {
	var table mathTable
	swap := func(s string) string {
		return mathSpan.ReplaceAllStringFunc(s, func(m string) string {
			table = append(table, m)
			return placeholder(len(table) - 1)
		})
	}
	var b strings.Builder
	last := 0
	for _, loc := range codeSpan.FindAllStringIndex(md, -1) {
		b.WriteString(swap(md[last:loc[0]]))
		b.WriteString(md[loc[0]:loc[1]])
		last = loc[1]
	}
	b.WriteString(swap(md[last:]))
	return b.String(), table
}

// restore puts the TeX back into rendered HTML, escaped and wrapped in spans
// with the classes KaTeX's and MathJax's auto-render look for.
func (t mathTable) restore(s string) string {
	for i := len(t) - 1; i >= 0; i-- {
		class := "math inline"
		if strings.HasPrefix(t[i], "$$") || strings.HasPrefix(t[i], `\[`) {
			class = "math display"
		}
		s = strings.ReplaceAll(s, placeholder(i), fmt.Sprintf(`<span class="%s">%s</span>`, class, html.EscapeString(t[i])))
	}
	return s
}

// restoreText puts the TeX back as it was, for plain text output.
func (t mathTable) restoreText(s string) string {
	for i := len(t) - 1; i >= 0; i-- {
		s = strings.ReplaceAll(s, placeholder(i), t[i])
	}
	return s
}
