// Package assemble writes a job's pages, in page order, as one document in the
// requested output format.
package assemble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/docparse/docparse/stages/textlayer"
)

// Formats users may ask for, with their Content-Type and file extension.
var Formats = map[string]struct{ ContentType, Ext string }{
	"markdown": {"text/markdown; charset=utf-8", ".md"},
	"json":     {"application/json", ".json"},
	"html":     {"text/html; charset=utf-8", ".html"},
	"text":     {"text/plain; charset=utf-8", ".txt"},
	"chunks":   {"application/json", ".chunks.json"}, // chunks.go
}

// FormatNames lists the formats in the order documented to users.
var FormatNames = []string{"markdown", "json", "html", "text", "chunks"}

// Page is one page's result as assemble receives it.
type Page struct {
	Page     int     `json:"page"`
	Engine   string  `json:"engine"`
	Reader   string  `json:"reader,omitempty"`
	Markdown string  `json:"markdown"`
	Seconds  float64 `json:"seconds"`
	Error    string  `json:"error,omitempty"`
}

// Document is the JSON output.
type Document struct {
	Filename string `json:"filename"`
	Metadata *Meta  `json:"metadata,omitempty"` // document.go
	Pages    []Page `json:"pages"`
	Markdown string `json:"markdown"`
}

// Placeholder marks a page that failed when a job may complete partially.
func Placeholder(p Page) string {
	return fmt.Sprintf("> **[docparse: page %d could not be read: %s]**", p.Page, p.Error)
}

// Markdown joins pages with a page-break comment between them, which renders
// as nothing but lets a reader find page boundaries.
func Markdown(pages []Page) string {
	var b strings.Builder
	for i, p := range pages {
		if i > 0 {
			fmt.Fprintf(&b, "\n\n<!-- page %d -->\n\n", p.Page)
		}
		text := p.Markdown
		if p.Error != "" {
			text = Placeholder(p)
		}
		b.WriteString(strings.TrimSpace(text))
	}
	b.WriteString("\n")
	return b.String()
}

// dropFurniture removes running headers, footers and page numbers from the
// pages read from the text layer. OCR models leave such furniture out
// themselves (Nanonets tags page numbers), but the text layer has it all.
func dropFurniture(pages []Page) []Page {
	var idx []int
	var texts []string
	for i, p := range pages {
		if p.Reader == "textlayer" && p.Error == "" {
			idx = append(idx, i)
			texts = append(texts, p.Markdown)
		}
	}
	if len(idx) < 2 {
		return pages
	}
	out := slices.Clone(pages)
	for k, text := range textlayer.DropFurniture(texts) {
		out[idx[k]].Markdown = text
	}
	return out
}

// Render writes the document in format.
func Render(format, filename string, pages []Page) ([]byte, error) {
	return RenderDoc(format, Meta{Filename: filename}, pages)
}

// RenderDoc writes the document in format, with the job's metadata in the
// json output.
func RenderDoc(format string, meta Meta, pages []Page) ([]byte, error) {
	filename := meta.Filename
	pages = dropFurniture(pages)
	md := Markdown(pages)
	switch format {
	case "markdown", "":
		return []byte(md), nil
	case "json":
		return json.Marshal(Document{Filename: filename, Metadata: meta.complete(pages), Pages: pages, Markdown: md})
	case "html":
		return HTML(filename, md)
	case "text":
		return []byte(Text(md)), nil
	case "chunks":
		return json.Marshal(ChunkDocument{Filename: filename, Chunks: Chunks(pages, DefaultChunkChars)})
	}
	return nil, fmt.Errorf("unknown output format %q", format)
}

var markdownRenderer = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	// Nanonets returns tables as HTML; they are kept, so raw HTML must pass.
	goldmark.WithRendererOptions(gmhtml.WithUnsafe()),
)

// HTML renders the Markdown as a standalone page.
func HTML(title, md string) ([]byte, error) {
	var body bytes.Buffer
	protected, math := protectMath(md) // math.go: TeX passes through untouched
	if err := markdownRenderer.Convert([]byte(protected), &body); err != nil {
		return nil, fmt.Errorf("render html: %w", err)
	}
	body = *bytes.NewBufferString(math.restore(body.String()))
	var out bytes.Buffer
	fmt.Fprintf(&out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n<body>\n", html.EscapeString(title))
	out.Write(body.Bytes())
	out.WriteString("</body></html>\n")
	return out.Bytes(), nil
}

var (
	htmlComment = regexp.MustCompile(`(?s)<!--.*?-->`)
	htmlTag     = regexp.MustCompile(`<[^>]+>`)
	blankRuns   = regexp.MustCompile(`\n{3,}`)
)

// Text is the document without markup: rendered through the Markdown library,
// tags removed and entities decoded, so emphasis markers and table syntax go.
func Text(md string) string {
	var body bytes.Buffer
	protected, math := protectMath(htmlComment.ReplaceAllString(md, ""))
	if err := markdownRenderer.Convert([]byte(protected), &body); err != nil {
		return md
	}
	s := strings.NewReplacer("</p>", "\n\n", "<br>", "\n", "</li>", "\n", "</tr>", "\n", "</td>", "\t", "</th>", "\t",
		"</h1>", "\n\n", "</h2>", "\n\n", "</h3>", "\n\n", "</h4>", "\n\n").Replace(body.String())
	s = html.UnescapeString(htmlTag.ReplaceAllString(s, ""))
	s = math.restoreText(s)
	return strings.TrimSpace(blankRuns.ReplaceAllString(s, "\n\n")) + "\n"
}
