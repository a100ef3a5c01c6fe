package handlers

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/stages/render"
	"github.com/docparse/docparse/uploaddir"
)

// TestDocCacheLoadsOncePerProcess: consumers opening one job at once fetch
// its upload once, and the upload is let go with the last Doc open on it.
func TestDocCacheLoadsOncePerProcess(t *testing.T) {
	t.Parallel()
	pdf, err := os.ReadFile("../../shared/pdfs/pdflatex-4-pages.pdf")
	if err != nil {
		t.Skipf("sample: %v", err)
	}
	c := newDocCache(2)
	var loads atomic.Int32
	load := func() (*render.Source, error) {
		loads.Add(1)
		return render.Load(pdf)
	}

	first, err := c.get("job-a", render.Options{}, load)
	require.NoError(t, err)
	docs := []*render.Doc{first, nil, nil}
	var wg sync.WaitGroup
	for i := 1; i < len(docs); i++ {
		wg.Go(func() {
			d, err := c.get("job-a", render.Options{}, load)
			require.NoError(t, err)
			docs[i] = d
		})
	}
	wg.Wait()
	require.Equal(t, int32(1), loads.Load(), "Docs opened while one is in use share its upload")
	require.NotSame(t, docs[1], docs[2])
	require.Len(t, c.sources, 1)
	require.Equal(t, 3, c.sources["job-a"].docs)
	for _, d := range docs {
		require.Equal(t, 4, d.Pages())
		c.put("job-a", d) // the third put closes the oldest: limit 2
	}
	require.Equal(t, 2, c.sources["job-a"].docs)

	before := loads.Load()
	d, err := c.get("job-a", render.Options{}, load)
	require.NoError(t, err)
	require.Equal(t, before, loads.Load(), "an idle Doc is reused without a fetch")
	c.put("job-a", d)

	c.closeAll()
	require.Empty(t, c.sources, "the upload goes with the last Doc")

	_, err = c.get("job-b", render.Options{}, func() (*render.Source, error) { return render.Load([]byte("not a pdf")) })
	require.ErrorIs(t, err, render.ErrBadPDF)
	require.Empty(t, c.sources)
}

// TestDocCacheRemovesUploadFiles: an upload rendered from a file lives as long
// as a Doc is open on it, and the process's directory goes at shutdown.
func TestDocCacheRemovesUploadFiles(t *testing.T) {
	t.Parallel()
	pdf, err := os.ReadFile("../../shared/pdfs/pdflatex-4-pages.pdf")
	if err != nil {
		t.Skipf("sample: %v", err)
	}
	var dir uploaddir.Dir
	defer dir.Remove()
	c := newDocCache(1)
	var path string
	load := func() (*render.Source, error) {
		f, err := dir.Create("*.pdf")
		require.NoError(t, err)
		path = f.Name()
		_, err = f.Write(pdf)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		return render.LoadFile(path, nil)
	}
	a, err := c.get("job-a", render.Options{}, load)
	require.NoError(t, err)
	page, err := a.Measure(t.Context(), 1)
	require.NoError(t, err)
	require.Positive(t, page.Features.TextChars)
	c.put("job-a", a)
	require.FileExists(t, path, "an idle Doc still reads it")

	b, err := c.get("job-b", render.Options{}, load)
	require.NoError(t, err)
	first := filepath.Dir(path)
	c.put("job-b", b) // limit 1: job-a's Doc is closed, and its file removed
	entries, err := os.ReadDir(first)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only job-b's upload is left")

	c.closeAll()
	dir.Remove()
	require.NoDirExists(t, first)
}
