package read

import (
	"regexp"
	"strings"
)

// nanonetsPrompt is the extraction prompt published with Nanonets-OCR2 (and
// Nanonets-OCR-s); the model was trained on it, so its tags are what
// cleanNanonets expects.
const nanonetsPrompt = "Extract the text from the above document as if you were reading it naturally. " +
	"Return the tables in html format. Return the equations in LaTeX representation. " +
	"If there is an image in the document and image caption is not present, add a small description of the image inside the <img></img> tag; " +
	"otherwise, add the image caption inside <img></img>. " +
	"Watermarks should be wrapped in brackets. Ex: <watermark>OFFICIAL COPY</watermark>. " +
	"Page numbers should be wrapped in brackets. Ex: <page_number>14</page_number> or <page_number>9/22</page_number>. " +
	"Prefer using ☐ and ☑ for check boxes."

const nanonetsDefaultModel = "nanonets/Nanonets-OCR2-3B"

var (
	pageNumberTag = regexp.MustCompile(`(?s)<page_number>.*?</page_number>`)
	watermarkTag  = regexp.MustCompile(`(?s)<watermark>(.*?)</watermark>`)
	// imgTag matches only the bare <img> the prompt asks for, never an HTML
	// <img src=...> that may sit inside a kept HTML table.
	imgTag = regexp.MustCompile(`(?s)<img>(.*?)</img>`)
	// altEscaper keeps a description from closing the image's alt text early.
	altEscaper = strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`)
)

// cleanNanonets turns Nanonets-OCR2 output into the package's Markdown
// conventions (see the package comment). Tables stay HTML, checkboxes stay ☐/☑.
func cleanNanonets(s string) string {
	s = pageNumberTag.ReplaceAllString(s, "")
	s = watermarkTag.ReplaceAllStringFunc(s, func(m string) string {
		text := oneLine(watermarkTag.FindStringSubmatch(m)[1])
		if text == "" {
			return ""
		}
		return "\n\n*Watermark: " + text + "*\n\n"
	})
	s = imgTag.ReplaceAllStringFunc(s, func(m string) string {
		return "![" + altEscaper.Replace(oneLine(imgTag.FindStringSubmatch(m)[1])) + "](#)"
	})
	return tidy(s)
}

// oneLine joins a tag's text into one trimmed line, because the Markdown that
// replaces it (emphasis, alt text) cannot span paragraphs.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
