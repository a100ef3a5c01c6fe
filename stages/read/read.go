// Package read turns one page image into Markdown. Each OCR stage holds one
// Engine; the engines are:
//
//   - VLLM: a vision-language OCR model (DeepSeek-OCR or Nanonets-OCR2)
//     behind vLLM's OpenAI-compatible API. Many calls may be in flight at once
//     because vLLM batches them on the GPU.
//   - Local: the page's own text layer, or Tesseract, for machines without GPUs.
//
// Model output is normalised to one Markdown dialect before it leaves the
// engine, so assemble never needs to know which model read a page:
//
//   - DeepSeek-OCR grounding tags (<|ref|>type<|/ref|><|det|>[[boxes]]<|/det|>)
//     are removed and the content that follows them is kept; figure blocks
//     (ref "image") leave nothing behind because the model emits no text for
//     them. End-of-sentence tokens are removed.
//   - Nanonets-OCR2 <page_number> tags are dropped: page numbers are page
//     furniture and would otherwise appear in the middle of the document.
//     <watermark>X</watermark> becomes a line of its own, "*Watermark: X*".
//     <img>description</img> becomes a Markdown image "![description](#)": the
//     alt text carries the model's description or caption, and "#" marks that
//     the figure itself is not extracted.
//   - HTML tables (Nanonets, and DeepSeek for complex tables) are kept as
//     HTML. CommonMark and GFM renderers pass block HTML through unchanged,
//     and HTML keeps merged cells that a pipe table cannot express.
//   - LaTeX equations and the checkboxes ☐ and ☑ are kept as the models write them.
//   - Runs of blank lines collapse to one.
package read

import "context"

// Reader names, reported in Result.Reader.
const (
	ReaderVLLM      = "vllm"
	ReaderTextLayer = "textlayer"
	ReaderTesseract = "tesseract"
)

// Page is what an engine reads.
type Page struct {
	JobID string
	Page  int
	Image []byte
	// MIME is image/png or image/jpeg; sniffed from Image when empty.
	MIME string
	// TextLayer is Markdown of a trustworthy text layer, may be "".
	TextLayer string
}

// Result is one page read.
type Result struct {
	Markdown string
	// Reader is what produced Markdown: ReaderVLLM, ReaderTextLayer or ReaderTesseract.
	Reader string
	// Attempts counts the calls it took, retries included.
	Attempts int
}

// Engine reads one page. Implementations are safe for concurrent use.
type Engine interface {
	Read(ctx context.Context, p Page) (Result, error)
}
