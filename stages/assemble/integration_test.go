package assemble

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHTMLKeepsMathAndTables(t *testing.T) {
	md := "# T\n\nEnergy $E = m_1 c^2$ and $a_b * c_d$.\n\n$$\n\\sum_{i=1}^n x_i\n$$\n\n`$not math$`\n\n<table><tr><td>1</td></tr></table>\n\nCosts $5 and $6.\n"
	out, err := HTML("t", md)
	require.NoError(t, err)
	s := string(out)
	require.Contains(t, s, `<span class="math inline">$E = m_1 c^2$</span>`)
	require.Contains(t, s, `<span class="math inline">$a_b * c_d$</span>`, "no emphasis inside math")
	require.Contains(t, s, `<span class="math display">$$`+"\n"+`\sum_{i=1}^n x_i`+"\n"+`$$</span>`)
	require.Contains(t, s, "<code>$not math$</code>")
	require.Contains(t, s, "<table><tr><td>1</td></tr></table>")
	require.Contains(t, s, "Costs $5 and $6.")
	require.Contains(t, Text(md), "$E = m_1 c^2$")
}

func TestChunks(t *testing.T) {
	long := strings.Repeat("word ", 80) // 400 chars
	pages := []Page{
		{Page: 1, Markdown: "# Intro\n\n" + long + "\n\n" + long},
		{Page: 2, Markdown: long + "\n\n## Part A\n\nshort a"},
		{Page: 3, Markdown: "## Part B\n\nshort b\n\n# Next\n\ntext"},
		{Page: 4, Error: "boom"},
	}
	got := Chunks(pages, 1000)
	type c struct {
		headings []string
		from, to int
	}
	var summary []c
	for _, ch := range got {
		summary = append(summary, c{ch.Headings, ch.PageStart, ch.PageEnd})
	}
	require.Equal(t, []c{
		{[]string{"Intro"}, 1, 1}, // full at 1000 chars: page 2's paragraph starts the next
		{[]string{"Intro"}, 2, 2},
		{[]string{"Intro", "Part A"}, 2, 2},
		{[]string{"Intro", "Part B"}, 3, 3},
		{[]string{"Next"}, 3, 4},
	}, summary)
	require.True(t, strings.HasPrefix(got[0].Text, "# Intro"))
	require.Contains(t, got[4].Text, "page 4 could not be read")

	split := Chunks([]Page{{Page: 1, Markdown: long + "\n\n" + long + "\n\n" + long}}, 900)
	require.Len(t, split, 2, "a chunk closes at a paragraph once it is full")
	b, err := RenderDoc("chunks", Meta{Filename: "f.pdf"}, pages)
	require.NoError(t, err)
	var doc ChunkDocument
	require.NoError(t, json.Unmarshal(b, &doc))
	require.Equal(t, "f.pdf", doc.Filename)
}

func TestJSONMetadata(t *testing.T) {
	b, err := RenderDoc("json", Meta{Filename: "f.pdf", CreatedAt: "2026-01-01T00:00:00Z", StartedAt: "2026-01-01T00:00:01Z",
		CompletedAt: "2026-01-01T00:00:05Z", DocumentPages: 9, PageRange: "1-2"},
		[]Page{{Page: 1, Engine: "deepseek", Markdown: "a", Seconds: 1}, {Page: 2, Engine: "nanonets", Markdown: "b", Seconds: 3}})
	require.NoError(t, err)
	var doc Document
	require.NoError(t, json.Unmarshal(b, &doc))
	m := doc.Metadata
	require.Equal(t, 2, m.PageCount)
	require.Equal(t, 9, m.DocumentPages)
	require.Equal(t, map[string]int{"deepseek": 1, "nanonets": 1}, m.Engines)
	require.InDelta(t, 1, m.Timings.QueuedSeconds, 1e-9)
	require.InDelta(t, 4, m.Timings.ProcessingSeconds, 1e-9)
	require.InDelta(t, 5, m.Timings.TotalSeconds, 1e-9)
	require.InDelta(t, 2, m.Timings.MeanPageSeconds, 1e-9)
}
