package read

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCleanDeepSeek(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"grounding blocks", "<|ref|>title<|/ref|><|det|>[[10, 20, 300, 40]]<|/det|>\n# Report\n\n<|ref|>text<|/ref|><|det|>[[10, 50, 900, 120]]<|/det|>\nFirst paragraph.\n",
			"# Report\n\nFirst paragraph."},
		{"image block leaves nothing", "<|ref|>text<|/ref|><|det|>[[1, 2, 3, 4]]<|/det|>\nBefore.\n\n<|ref|>image<|/ref|><|det|>[[5, 6, 7, 8]]<|/det|>\n\n\n<|ref|>text<|/ref|><|det|>[[1, 2, 3, 4]]<|/det|>\nAfter.",
			"Before.\n\nAfter."},
		{"several boxes", "<|ref|>table<|/ref|><|det|>[[1, 2, 3, 4], [5, 6, 7, 8]]<|/det|>\n<table><tr><td>1</td></tr></table>",
			"<table><tr><td>1</td></tr></table>"},
		{"full-width eos", "Text.\n\n<｜end▁of▁sentence｜>", "Text."},
		{"ascii eos", "Text.<|end▁of▁sentence|>", "Text."},
		{"truncated header without box", "Text.\n<|ref|>text<|/ref|>", "Text."},
		{"stray box", "<|det|>[[1, 2, 3, 4]]<|/det|>Text.", "Text."},
		{"blank lines collapse", "a\n\n\n\n b  \n\n\nc", "a\n\n b\n\nc"},
		{"latex macros", `$x \coloneqq 1$`, `$x := 1$`},
		{"plain markdown untouched", "| a | b |\n|---|---|\n| 1 | 2 |", "| a | b |\n|---|---|\n| 1 | 2 |"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, cleanDeepSeek(tt.in))
		})
	}
}

func TestCleanNanonets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"page number dropped", "Body text.\n\n<page_number>14</page_number>", "Body text."},
		{"page of pages dropped", "<page_number>9/22</page_number>\nBody.", "Body."},
		{"watermark own line", "Intro.<watermark>OFFICIAL COPY</watermark>More.", "Intro.\n\n*Watermark: OFFICIAL COPY*\n\nMore."},
		{"multiline watermark", "<watermark>DRAFT\n  ONLY</watermark>", "*Watermark: DRAFT ONLY*"},
		{"empty watermark", "A<watermark> </watermark>", "A"},
		{"image description", "<img>A bar chart of [sales]\nby year</img>", `![A bar chart of \[sales\] by year](#)`},
		{"html img kept", `<table><tr><td><img src="x.png"></td></tr></table>`, `<table><tr><td><img src="x.png"></td></tr></table>`},
		{"html table kept", "<table>\n<tr><th>a</th></tr>\n</table>", "<table>\n<tr><th>a</th></tr>\n</table>"},
		{"checkboxes kept", "☐ no\n☑ yes", "☐ no\n☑ yes"},
		{"latex kept", `$$E = mc^2$$`, `$$E = mc^2$$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, cleanNanonets(tt.in))
		})
	}
}

func TestRepetitionLoop(t *testing.T) {
	t.Parallel()
	prose := strings.Repeat("Every sentence in this paragraph says something different, number ", 1) +
		"one, two, three, four, five, six, seven, eight, nine, ten, eleven, twelve."
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"table row loop", "Intro.\n" + strings.Repeat("| a | b |\n", 300), true},
		{"single char loop", prose + strings.Repeat(".", 1500), true},
		{"long unit loop", strings.Repeat("The same sentence again and again with some length to it. ", 60), true},
		{"prose", prose, false},
		{"short tail repeat", strings.Repeat(prose, 3) + strings.Repeat("ab", 12), false},
		{"empty", "", false},
		{"loop across utf-8", strings.Repeat("☐ é ", 600), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, repetitionLoop(tt.in))
		})
	}
}
