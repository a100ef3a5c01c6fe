package read

import (
	"context"
	"errors"
	"fmt"
)

// OCRReader reads a page image without a GPU (Tesseract).
type OCRReader interface {
	Read(ctx context.Context, image []byte) (string, error)
}

// LocalParams build the local engine.
type LocalParams struct {
	Tesseract OCRReader
}

// Local is the engine of INFERENCE_MODE=local: a page's own text layer when
// split found it trustworthy, Tesseract on the page image otherwise. It does
// real work on a machine without GPUs.
type Local struct{ p LocalParams }

// NewLocal returns the local engine.
func NewLocal(p LocalParams) *Local { return &Local{p: p} }

// Read answers from the text layer when there is one, else runs OCR.
func (l *Local) Read(ctx context.Context, p Page) (Result, error) {
	if p.TextLayer != "" {
		return Result{Markdown: p.TextLayer, Reader: ReaderTextLayer, Attempts: 1}, nil
	}
	if len(p.Image) == 0 {
		return Result{}, errors.New("local engine: page has neither a text layer nor an image")
	}
	text, err := l.p.Tesseract.Read(ctx, p.Image)
	if err != nil {
		return Result{}, fmt.Errorf("tesseract page %d: %w", p.Page, err)
	}
	return Result{Markdown: text, Reader: ReaderTesseract, Attempts: 1}, nil
}
