package assemble

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var pages = []Page{
	{Page: 1, Engine: "textlayer", Reader: "textlayer", Markdown: "Running Head\n\n# Title\n\nFirst *page* body.\n\n1"},
	{Page: 2, Engine: "textlayer", Reader: "textlayer", Markdown: "Running Head\n\nSecond page body.\n\n2"},
	{Page: 3, Engine: "nanonets", Reader: "vllm", Markdown: "<table><tr><td>a</td><td>b</td></tr></table>"},
	{Page: 4, Engine: "deepseek", Error: "server answered 500"},
}

func TestRenderFormats(t *testing.T) {
	t.Parallel()
	cases := []struct {
		format string
		check  func(t *testing.T, out string)
	}{
		{"markdown", func(t *testing.T, out string) {
			require.Less(t, strings.Index(out, "First"), strings.Index(out, "Second"))
			require.Contains(t, out, "<!-- page 2 -->")
			require.NotContains(t, out, "Running Head", "running headers of the text layer are dropped")
			require.Contains(t, out, "page 4 could not be read: server answered 500")
		}},
		{"json", func(t *testing.T, out string) {
			var d Document
			require.NoError(t, json.Unmarshal([]byte(out), &d))
			require.Len(t, d.Pages, 4)
			require.Equal(t, "nanonets", d.Pages[2].Engine)
			require.Contains(t, d.Markdown, "Second page body.")
		}},
		{"html", func(t *testing.T, out string) {
			require.Contains(t, out, "<h1>Title</h1>")
			require.Contains(t, out, "<em>page</em>")
			require.Contains(t, out, "<td>a</td>", "HTML tables pass through")
			require.Contains(t, out, "<title>doc.pdf</title>")
		}},
		{"text", func(t *testing.T, out string) {
			require.Contains(t, out, "First page body.")
			require.NotContains(t, out, "*")
			require.NotContains(t, out, "<")
			require.Contains(t, out, "a\tb")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.format, func(t *testing.T) {
			t.Parallel()
			out, err := Render(tc.format, "doc.pdf", pages)
			require.NoError(t, err)
			tc.check(t, string(out))
		})
	}
	_, err := Render("pdf", "doc.pdf", pages)
	require.Error(t, err)
}
