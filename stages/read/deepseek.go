package read

import (
	"regexp"
	"strings"
)

// deepseekPrompt is DeepSeek-OCR's document-to-Markdown prompt. The
// <|grounding|> variant is the one the model was trained to lay out whole
// pages with; its boxes are removed again by cleanDeepSeek.
const deepseekPrompt = "<image>\n<|grounding|>Convert the document to markdown."

const deepseekDefaultModel = "deepseek-ai/DeepSeek-OCR"

var (
	// groundingTag matches one block header, <|ref|>type<|/ref|><|det|>[[x1, y1, x2, y2]]<|/det|>,
	// including a header cut off before its box when the output was truncated.
	groundingTag = regexp.MustCompile(`(?s)<\|ref\|>(.*?)<\|/ref\|>(?:<\|det\|>.*?<\|/det\|>)?[ \t]*`)
	// strayDet matches a box without its ref.
	strayDet = regexp.MustCompile(`(?s)<\|det\|>.*?<\|/det\|>[ \t]*`)
	// deepseekEOS are the end-of-sentence tokens; vLLM keeps them when special
	// tokens are not skipped. The tokenizer's own form uses full-width bars.
	deepseekEOS = strings.NewReplacer("<｜end▁of▁sentence｜>", "", "<|end▁of▁sentence|>", "")
	// deepseekLaTeX undoes two macros the model uses that common Markdown math
	// renderers (KaTeX, MathJax without mathtools) do not know.
	deepseekLaTeX = strings.NewReplacer(`\coloneqq`, `:=`, `\eqqcolon`, `=:`)
)

// cleanDeepSeek turns DeepSeek-OCR grounding output into plain Markdown.
// In grounding output the ref names the block type ("title", "text",
// "table", "image", ...) and the block's content follows the box on the next
// line, so removing the header keeps exactly the content. Image blocks have no
// content and leave nothing.
func cleanDeepSeek(s string) string {
	s = deepseekEOS.Replace(s)
	s = groundingTag.ReplaceAllString(s, "")
	s = strayDet.ReplaceAllString(s, "")
	s = deepseekLaTeX.Replace(s)
	return tidy(s)
}

// tidy trims trailing spaces, collapses runs of blank lines to one and trims
// the whole text, so removed tags leave no gaps behind.
func tidy(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
