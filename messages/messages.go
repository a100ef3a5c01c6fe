// Package messages holds the typed contracts that stages exchange over Redis
// Streams. Every message is JSON on the wire, carries the schema version V so a
// replayed entry written by an older build is recognised, and names its job.
package messages

import (
	"encoding/json"
	"fmt"
)

// Version is the schema version written into every message. A handler drops a
// message whose version it does not know rather than guessing at its fields.
const Version = 1

// Streams, one message type each. Consumer groups are named after stages.
const (
	StreamJobs     = "docparse.jobs"
	StreamPages    = "docparse.pages"
	StreamDeepSeek = "docparse.ocr.deepseek"
	StreamNanonets = "docparse.ocr.nanonets"
	StreamDone     = "docparse.done"
	StreamFinished = "docparse.finished"
	StreamPoison   = "docparse.poison"
)

// Engines that can produce a page. Each has a progress counter of its own.
const (
	EngineDeepSeek  = "deepseek"
	EngineNanonets  = "nanonets"
	EngineTextLayer = "textlayer"
)

// Accuracy modes accepted from users.
const (
	ModeFast     = "fast"
	ModeBalanced = "balanced"
	ModeAccurate = "accurate"
)

// Modes lists the accuracy modes in the order documented to users.
var Modes = []string{ModeFast, ModeBalanced, ModeAccurate}

// JobSubmitted asks split to work on a job. With FromPage and ToPage zero it
// covers the whole document: split counts the pages and fans the job out as
// JobSubmitted messages for page ranges, so several consumers render one big
// PDF in parallel and no message runs long.
type JobSubmitted struct {
	V        int    `json:"v"`
	JobID    string `json:"job_id"`
	FromPage int    `json:"from_page,omitempty"` // 1-based, inclusive
	ToPage   int    `json:"to_page,omitempty"`   // 1-based, inclusive
}

// Features are cheap measurements taken while split has a page open. They are
// all classify needs to route the page.
type Features struct {
	Width          float64 `json:"width_pt"`
	Height         float64 `json:"height_pt"`
	TextChars      int     `json:"text_chars"`
	TextWords      int     `json:"text_words"`
	BadGlyphs      int     `json:"bad_glyphs"` // U+FFFD and private-use code points
	ImageArea      float64 `json:"image_area"` // fraction of the page covered by images, 0..1
	Drawings       int     `json:"drawings"`   // vector paths: rules and table borders
	MathGlyphs     int     `json:"math_glyphs"`
	Annotations    int     `json:"annotations"`
	FormFields     int     `json:"form_fields"`
	TextTrusted    bool    `json:"text_trusted"` // the text layer is a faithful reading of the page
	TextLayerBytes int     `json:"text_layer_bytes"`
}

// PageRendered carries one page from split to classify. The image itself is a
// blob in Redis (ImageKey); TextLayer holds the page's Markdown from the PDF's
// own text when that text can be trusted, so no stage needs the PDF again.
type PageRendered struct {
	V         int      `json:"v"`
	JobID     string   `json:"job_id"`
	Page      int      `json:"page"` // 1-based
	Mode      string   `json:"mode"`
	ImageKey  string   `json:"image_key,omitempty"`
	MIME      string   `json:"mime,omitempty"`
	Features  Features `json:"features"`
	TextLayer string   `json:"text_layer,omitempty"`
}

// PageRouted sends one page to an OCR stage.
type PageRouted struct {
	V         int    `json:"v"`
	JobID     string `json:"job_id"`
	Page      int    `json:"page"`
	Engine    string `json:"engine"`
	Reason    string `json:"reason"`
	ImageKey  string `json:"image_key,omitempty"`
	MIME      string `json:"mime,omitempty"`
	TextLayer string `json:"text_layer,omitempty"`
}

// PageDone is one page's result on its way to assemble. A page whose reading
// failed for good carries Error and no Markdown.
type PageDone struct {
	V        int     `json:"v"`
	JobID    string  `json:"job_id"`
	Page     int     `json:"page"`
	Engine   string  `json:"engine"`
	Reader   string  `json:"reader,omitempty"` // what really read it: vllm, textlayer, tesseract
	Markdown string  `json:"markdown"`
	Seconds  float64 `json:"seconds"`
	Error    string  `json:"error,omitempty"`
}

// JobFinished announces a job's final state once.
type JobFinished struct {
	V      int    `json:"v"`
	JobID  string `json:"job_id"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// Versioned is implemented by every message so decoding can check the version.
type Versioned interface{ version() int }

func (m JobSubmitted) version() int { return m.V }
func (m PageRendered) version() int { return m.V }
func (m PageRouted) version() int   { return m.V }
func (m PageDone) version() int     { return m.V }
func (m JobFinished) version() int  { return m.V }

// Decode unmarshals payload into a message and rejects unknown versions and
// messages without a job id, so a handler never acts on a half-understood one.
func Decode[T Versioned](payload []byte) (T, error) {
	var m T
	if err := json.Unmarshal(payload, &m); err != nil {
		return m, fmt.Errorf("decode %T: %w", m, err)
	}
	if v := m.version(); v != Version {
		return m, fmt.Errorf("decode %T: unsupported version %d", m, v)
	}
	return m, nil
}
