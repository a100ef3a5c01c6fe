package e2e

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/stages/render"
)

// scannedPDF renders a page of a born-digital PDF to an image and wraps the
// image alone in a new PDF: a scan whose words are known.
func scannedPDF(t *testing.T, name string, page int) string {
	t.Helper()
	b, err := os.ReadFile(pdfPath(t, name))
	require.NoError(t, err)
	doc, err := render.Open(b, render.Options{DPI: 200, Format: "png"})
	require.NoError(t, err)
	defer doc.Close()
	p, err := doc.Measure(t.Context(), page)
	require.NoError(t, err)
	require.NoError(t, doc.Render(t.Context(), &p))
	var out bytes.Buffer
	imp := pdfcpu.DefaultImportConfig()
	require.NoError(t, api.ImportImages(nil, &out, []io.Reader{bytes.NewReader(p.Image)}, imp, model.NewDefaultConfiguration()))
	path := filepath.Join(t.TempDir(), "scan.pdf")
	require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
	return path
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z')
	})
}

func TestLocalModeEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Fatalf("tesseract not installed (make test installs it): %v", err)
	}
	e := newEnv(t, envOpts{local: true, workers: 2})
	ctx := context.Background()

	t.Run("born-digital pages come from the text layer", func(t *testing.T) {
		id := e.submit(t, "pdflatex-4-pages.pdf", nil)
		st, _ := e.waitDone(t, id, time.Minute)
		require.Equal(t, "completed", st.Status)
		require.Equal(t, 4, st.Progress.CurrentPage)
		require.Equal(t, 4, st.Progress.DeepSeekPages+st.Progress.NanonetsPages, "balanced routes to the OCR stages; the local engine answers")
		pages, err := e.store.Pages(ctx, id)
		require.NoError(t, err)
		for _, p := range pages {
			require.Equal(t, "textlayer", p.Reader)
		}
		md, err := e.api.Download(ctx, id)
		require.NoError(t, err)
		require.Contains(t, string(md), "Huardest gefburn")
	})

	t.Run("fast mode counts text-layer pages", func(t *testing.T) {
		id := e.submit(t, "multicolumn.pdf", map[string]string{"accuracy_mode": "fast"})
		st, _ := e.waitDone(t, id, time.Minute)
		require.Equal(t, "completed", st.Status)
		require.Equal(t, 3, st.Progress.TextLayer)
	})

	t.Run("scanned pages go through tesseract", func(t *testing.T) {
		scan := scannedPDF(t, "pdflatex-4-pages.pdf", 1)
		sub, err := e.api.Submit(ctx, scan, nil)
		require.NoError(t, err)
		st, _ := e.waitDone(t, sub.JobID, 2*time.Minute)
		require.Equal(t, "completed", st.Status, "%v", st.Error)
		pages, err := e.store.Pages(ctx, sub.JobID)
		require.NoError(t, err)
		require.Len(t, pages, 1)
		require.Equal(t, "tesseract", pages[0].Reader)
		got := strings.Join(words(pages[0].Markdown), " ")
		for _, w := range []string{"hello", "meaning", "huardest", "gefburn", "kjift", "alphabet"} {
			require.Contains(t, got, w)
		}
	})
}
