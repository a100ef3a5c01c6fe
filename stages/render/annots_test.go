package render

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAnnotScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"<< /Type /Page /Annots [4 0 R] >>", true},
		{"1 0 obj << /Type /ObjStm /N 3 >> stream", true},
		{"<< /Ann#6fts [4 0 R] >>", true},
		{"<</#41nnots[4 0 R]>>", true},
		{"<< /Type /Page >>", false},
		{"(a string with #41 in it) /Name", false},
		{"/Name #41", false},
		{"/Name#4", false},
		{"/Na#zzme", false},
		{"#41", false},
		{"1 0 obj << /Length 9 >> stream\n/\xd3\xf4#78 \nendstream endobj << /Type /Page >>", false},
		{"1 0 obj << /Length 9 >>stream\r\n/\xd3\xf4#78 \nendstream endobj << /Type /Page >>", false},
		{"1 0 obj << /Length 9 >> stream\nabc\nendstream endobj << /Ann#6fts [] >>", true},
		{"<< /Ann#6fts [] >> stream\nabc", true},
		{"<< /Substream 1 >> /Ann#6fts", true},
		{"<< /Length 3 >> stream\nx/Annots\nendstream", true},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, mayHaveAnnotations([]byte(tt.in)), tt.in)
		var sc AnnotScan // fed a byte at a time: slices never matter
		for i := range len(tt.in) {
			_, _ = sc.Write([]byte{tt.in[i]})
		}
		require.Equal(t, tt.want, sc.Found(), "byte by byte: %q", tt.in)
	}
}

// TestAnnotationPrecheck: the byte check may only skip files in which pdfcpu
// finds no annotations, and the counts reach Measure's features.
func TestAnnotationPrecheck(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join(samples, "*.pdf"))
	require.NoError(t, err)
	withAnnots := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		counts := scanAnnotations(bytes.NewReader(b))
		if !mayHaveAnnotations(b) {
			require.Empty(t, counts, p)
			continue
		}
		if len(counts) == 0 {
			continue
		}
		withAnnots++
		s, err := Load(b)
		require.NoError(t, err)
		doc, err := s.Open(Options{})
		require.NoError(t, err)
		for n, c := range counts {
			page, err := doc.Measure(t.Context(), n)
			require.NoError(t, err)
			require.GreaterOrEqual(t, page.Features.Annotations, c.annots, p)
			require.Equal(t, c.widgets, page.Features.FormFields, p)
		}
		doc.Close()
	}
	require.Positive(t, withAnnots, "no sample with annotations: the test checks nothing")
}

// TestRenew: a Doc is reopened on the same upload after renewAfter pages, and
// the fresh one reads pages exactly as the worn one did.
func TestRenew(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(samples, "pdflatex-4-pages.pdf"))
	require.NoError(t, err)
	s, err := Load(b)
	require.NoError(t, err)
	doc, err := s.Open(Options{})
	require.NoError(t, err)
	first, err := doc.Measure(t.Context(), 1)
	require.NoError(t, err)
	for n := 1; n < renewAfter-1; n++ {
		_, err := doc.Measure(t.Context(), n%doc.Pages()+1)
		require.NoError(t, err)
	}
	same, err := doc.Renew()
	require.NoError(t, err)
	require.Same(t, doc, same, "renewed before renewAfter pages")
	_, err = doc.Measure(t.Context(), 2)
	require.NoError(t, err)
	fresh, err := doc.Renew()
	require.NoError(t, err)
	require.NotSame(t, doc, fresh)
	defer fresh.Close()
	again, err := fresh.Measure(t.Context(), 1)
	require.NoError(t, err)
	require.Equal(t, first, again)
}

// TestLoadFile: an upload in a file opens, measures and counts annotations as
// it does in memory; the Source removes its file on Close, and at once for an
// image or a file it refuses.
func TestLoadFile(t *testing.T) {
	t.Parallel()
	write := func(t *testing.T, b []byte) string {
		p := filepath.Join(t.TempDir(), "upload.pdf")
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	for _, name := range []string{"pdflatex-forms.pdf", "pdflatex-4-pages.pdf", "GeoTopo-komprimiert.pdf"} {
		b, err := os.ReadFile(filepath.Join(samples, name))
		require.NoError(t, err)
		mem, err := Load(b)
		require.NoError(t, err)
		path := write(t, b)
		var scan AnnotScan
		_, _ = scan.Write(b)
		file, err := LoadFile(path, &scan)
		require.NoError(t, err)
		a, err := mem.Open(Options{})
		require.NoError(t, err)
		f, err := file.Open(Options{})
		require.NoError(t, err)
		require.Equal(t, a.Pages(), f.Pages(), name)
		for n := 1; n <= min(3, a.Pages()); n++ {
			pa, err := a.Measure(t.Context(), n)
			require.NoError(t, err)
			pf, err := f.Measure(t.Context(), n)
			require.NoError(t, err)
			require.Equal(t, pa, pf, "%s page %d", name, n)
		}
		require.Equal(t, mem.annotations(), file.annotations(), name)
		if name == "pdflatex-forms.pdf" {
			require.NotEmpty(t, file.annotations(), "the form's widgets")
		}
		a.Close()
		f.Close()
		file.Close()
		require.NoFileExists(t, path)
	}

	png := []byte("\x89PNG\r\n\x1a\n")
	img, err := os.ReadFile(filepath.Join(samples, "pdflatex-4-pages.pdf"))
	require.NoError(t, err)
	for _, c := range []struct {
		name string
		data []byte
		err  error
	}{
		{"truncated", img[:len(img)/2], ErrTruncated},
		{"not a pdf", []byte("hello"), ErrBadPDF},
		{"image", append(png, 0), nil},
	} {
		path := write(t, c.data)
		s, err := LoadFile(path, nil)
		if c.err != nil {
			require.ErrorIs(t, err, c.err, c.name)
		} else {
			require.NoError(t, err, c.name)
			require.True(t, s.image, c.name)
		}
		require.NoFileExists(t, path, c.name)
	}
}

func TestMallocTuned(t *testing.T) {
	_, set := os.LookupEnv("MALLOC_ARENA_MAX")
	require.Equal(t, runtime.GOOS == "linux" && !set, MallocArenasCapped(), "capped at load unless the operator set MALLOC_ARENA_MAX")
	_, set = os.LookupEnv("MALLOC_MMAP_THRESHOLD_")
	require.Equal(t, runtime.GOOS == "linux" && !set, MallocMmapFixed(), "fixed at load unless the operator set MALLOC_MMAP_THRESHOLD_")
}
