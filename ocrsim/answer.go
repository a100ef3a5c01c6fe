package ocrsim

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

const filler = "The simulated model reads this page and writes a short line of words."

// repeatUnit is what a repetition-loop answer repeats until max tokens.
const repeatUnit = "| sim | loop |\n"

// completion is the OpenAI chat completion response.
type completion struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Created int64    `json:"created"`
	Model   string   `json:"model"`
	Choices []choice `json:"choices"`
	Usage   usage    `json:"usage"`
}

type choice struct {
	Index        int     `json:"index"`
	Message      message `json:"message"`
	FinishReason string  `json:"finish_reason"`
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// text is what the "model" reads on the page: its identity, or real OCR.
func (s *Server) text(ctx context.Context, req request) (string, *httpError) {
	if !s.o.Tesseract {
		return fmt.Sprintf("%s %dx%d\n%s", req.pic.id, req.pic.width, req.pic.height, filler), nil
	}
	cmd := exec.CommandContext(ctx, "tesseract", "stdin", "stdout")
	cmd.Stdin = bytes.NewReader(req.pic.raw)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", &httpError{status: 500, msg: fmt.Sprintf("tesseract: %v: %s", err, strings.TrimSpace(stderr.String()))}
	}
	return string(out), nil
}

// answer wraps text in the model family's markup, or degenerates it as the
// fault plan says.
func answer(req request, text string, f fault) completion {
	finish := "stop"
	switch f {
	case faultEmpty:
		text = ""
	case faultRepeat:
		text += "\n" + strings.Repeat(repeatUnit, 300)
		finish = "length"
	}
	content := markup(kind(req.model), text, finish == "length")
	out := len(strings.Fields(content))
	in := len(strings.Fields(req.prompt)) + imageTokens(req.pic)
	return completion{
		ID: fmt.Sprintf("chatcmpl-sim-%s", req.pic.id), Object: "chat.completion", Created: time.Now().Unix(), Model: req.model,
		Choices: []choice{{Message: message{Role: "assistant", Content: content}, FinishReason: finish}},
		Usage:   usage{PromptTokens: in, CompletionTokens: out, TotalTokens: in + out},
	}
}

// markup dresses text as the model family writes it. A cut-off answer has no
// end-of-sentence token and no trailing page furniture.
func markup(kind, text string, cut bool) string {
	if text == "" {
		return ""
	}
	switch {
	case kind == "deepseek" && cut:
		return "<|ref|>text<|/ref|><|det|>[[12, 34, 560, 78]]<|/det|>\n" + text
	case kind == "deepseek":
		// Like the real model on a page with a figure: an image block (box
		// only, no text) after the text, so the engine's clean-up and the
		// include_images crops are exercised.
		return "<|ref|>text<|/ref|><|det|>[[12, 34, 560, 78]]<|/det|>\n" + text +
			"\n\n<|ref|>image<|/ref|><|det|>[[100, 500, 600, 900]]<|/det|>\n\n<｜end▁of▁sentence｜>"
	case kind == "nanonets" && !cut:
		return text + "\n\n<watermark>SIM</watermark>\n\n<page_number>1</page_number>"
	}
	return text
}

// imageTokens approximates a Qwen2-VL style vision encoder: one token per
// 28×28 pixel patch.
func imageTokens(p picture) int {
	return (p.width*p.height + 783) / 784
}
