package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/docparse/docparse/stages/render"
	"github.com/docparse/docparse/stages/textlayer"
)

func textlayerCmd() *cobra.Command {
	var compare bool
	cmd := &cobra.Command{
		Use:   "textlayer FILE...",
		Short: "Print the Markdown of PDFs' text layers, or compare its words with mutool's plain text",
		Long: `textlayer runs the text-layer reader of local mode on each page, without the
service. With --compare it prints, per file, how many of the words that
"mutool draw -F txt" finds the reader kept (recall), how many of the reader's
words mutool also has (precision), and the share kept in the same order (the
longest common subsequence), to check that structure was added without losing
or reordering text. mutool comes with Debian's mupdf-tools.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if compare {
				return compareTextLayer(cmd.Context(), files)
			}
			for _, f := range files {
				pages, err := textLayerPages(cmd.Context(), f)
				if err != nil {
					return err
				}
				fmt.Println(strings.Join(textlayer.DropFurniture(pages), "\n\n<!-- page -->\n\n"))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&compare, "compare", false, "compare words with mutool draw -F txt")
	return cmd
}

func textLayerPages(ctx context.Context, path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := render.Open(b, render.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer doc.Close()
	pages := make([]string, doc.Pages())
	for n := 1; n <= doc.Pages(); n++ {
		p, err := doc.Measure(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("%s page %d: %w", path, n, err)
		}
		pages[n-1] = p.TextLayer
	}
	return pages, nil
}

func compareTextLayer(ctx context.Context, files []string) error {
	fmt.Printf("%-36s %6s %8s %8s %9s %8s\n", "file", "pages", "mutool", "recall", "precision", "order")
	for _, f := range files {
		pages, err := textLayerPages(ctx, f)
		if err != nil {
			fmt.Printf("%-36s %s\n", shortName(f), err)
			continue
		}
		out, err := exec.Command("mutool", "draw", "-q", "-F", "txt", "-o", "-", f).Output()
		if err != nil {
			return fmt.Errorf("mutool draw %s: %w", f, err)
		}
		ref := wordsOf(string(out))
		got := wordsOf(stripMarkup(strings.Join(pages, "\n")))
		if len(ref) == 0 {
			fmt.Printf("%-36s %6d %8d %8s %9s %8s\n", shortName(f), len(pages), 0, "-", "-", "-")
			continue
		}
		recall, precision := overlap(ref, got), overlap(got, ref)
		order := float64(lcs(ref, got)) / float64(len(ref))
		fmt.Printf("%-36s %6d %8d %7.1f%% %8.1f%% %7.1f%%\n", shortName(f), len(pages), len(ref), 100*recall, 100*precision, 100*order)
	}
	return nil
}

func shortName(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// stripMarkup removes the Markdown the reader adds, so only words are compared.
func stripMarkup(s string) string {
	return strings.NewReplacer("**", "", "\\*", "*", "# ", "", "- ", "").Replace(s)
}

// wordsOf splits text into words of letters and digits. Hyphenated line
// breaks are joined first on both sides, since the reader joins them.
func wordsOf(s string) []string {
	s = strings.ReplaceAll(s, "-\n", "")
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// overlap is the share of a's words (as a multiset) that b also has.
func overlap(a, b []string) float64 {
	have := map[string]int{}
	for _, w := range b {
		have[w]++
	}
	var n int
	for _, w := range a {
		if have[w] > 0 {
			have[w]--
			n++
		}
	}
	return float64(n) / float64(max(len(a), 1))
}

// lcs is the length of the longest common subsequence of two word lists.
func lcs(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(prev[j], cur[j-1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
