package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/ocrsim"
)

func TestParseCommand(t *testing.T) {
	c := newCluster(t, ocrsim.Options{}, map[string]string{"INFERENCE_MODE": "local", "NUM_WORKERS": "2"})
	startProc(t, c.env, "api")
	waitHTTP(t, c.api.Base+"/healthz")
	out := t.TempDir()

	run := func(args ...string) (string, error) {
		cmd := exec.Command(binary(t), append([]string{"parse", "--server", c.api.Base, "-o", out}, args...)...)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		done := make(chan error, 1)
		require.NoError(t, cmd.Start())
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return buf.String(), err
		case <-time.After(2 * time.Minute):
			_ = cmd.Process.Kill()
			t.Fatal("docparse parse did not finish")
			return "", nil
		}
	}

	t.Run("two files with progress", func(t *testing.T) {
		got, err := run("--mode", "fast", pdfPath(t, "pdflatex-4-pages.pdf"), pdfPath(t, "multicolumn.pdf"))
		require.NoError(t, err, got)
		require.Contains(t, got, "pdflatex-4-pages.pdf: completed 4/4 pages")
		require.Contains(t, got, "multicolumn.pdf: completed 3/3 pages (deepseek 0, nanonets 0, textlayer 3)")
		md, err := os.ReadFile(filepath.Join(out, "pdflatex-4-pages.md"))
		require.NoError(t, err)
		require.Contains(t, string(md), "Huardest gefburn")
		require.Equal(t, 3, strings.Count(string(md), "<!-- page "))
	})

	t.Run("json format", func(t *testing.T) {
		got, err := run("--format", "json", pdfPath(t, "minimal-document.pdf"))
		require.NoError(t, err, got)
		b, err := os.ReadFile(filepath.Join(out, "minimal-document.json"))
		require.NoError(t, err)
		require.Contains(t, string(b), `"pages"`)
		require.Contains(t, string(b), "takimata")
	})

	t.Run("a failed file fails the command and is named", func(t *testing.T) {
		got, err := run(pdfPath(t, "libreoffice-writer-password.pdf"), pdfPath(t, "minimal-document.pdf"))
		require.Error(t, err)
		require.Contains(t, got, "FAILED")
		require.Contains(t, got, "libreoffice-writer-password.pdf")
		require.Contains(t, got, "encrypted")
		require.Contains(t, got, "1 of 2 files failed")
	})
}
