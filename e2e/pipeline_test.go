package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/stages/route"
)

var pageBreak = regexp.MustCompile(`\n*<!-- page \d+ -->\n*`)

// requirePagesInOrder checks that the document has one section per page, in
// page order, each read from that page's own image, cleaned of model markup.
func requirePagesInOrder(t *testing.T, markdown string, ids []string) {
	t.Helper()
	sections := pageBreak.Split(strings.TrimSpace(markdown), -1)
	require.Len(t, sections, len(ids), "one section per page")
	for i, s := range sections {
		require.Contains(t, s, ids[i], "page %d holds its own image's reading", i+1)
		require.NotContains(t, s, "<|ref|>")
		require.NotContains(t, s, "end▁of▁sentence")
		require.NotContains(t, s, "<page_number>")
	}
}

func TestPipelineDocuments(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2})
	cases := []struct {
		file  string
		pages int
	}{
		{"minimal-document.pdf", 1},
		{"pdflatex-4-pages.pdf", 4},
		{"multicolumn.pdf", 3},
		{"cmyk-image.pdf", 1}, // a colour photograph: sent as JPEG (IMAGE_FORMAT=auto)
		{"GeoTopo-komprimiert.pdf", 117},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			ids, _ := expectedPages(t, tc.file)
			require.Len(t, ids, tc.pages)
			start := time.Now()
			id := e.submit(t, tc.file, nil)
			st, seen := e.waitDone(t, id, 2*time.Minute)
			elapsed := time.Since(start)
			t.Logf("%s: %d pages, upload to completed in %s (%.1f pages/s)", tc.file, tc.pages, elapsed.Round(time.Millisecond), float64(tc.pages)/elapsed.Seconds())
			require.Equal(t, "completed", st.Status, "error: %v", st.Error)
			require.Equal(t, tc.pages, st.Progress.TotalPages)
			require.Equal(t, tc.pages, st.Progress.CurrentPage)
			require.Equal(t, tc.pages, st.Progress.DeepSeekPages+st.Progress.NanonetsPages+st.Progress.TextLayer)
			require.Equal(t, tc.file, st.Filename)
			require.NotNil(t, st.StartedAt)
			require.NotNil(t, st.CompletedAt)
			for i := 1; i < len(seen); i++ {
				require.GreaterOrEqual(t, seen[i], seen[i-1], "progress never goes back")
			}
			md, err := e.api.Download(context.Background(), id)
			require.NoError(t, err)
			requirePagesInOrder(t, string(md), ids)
		})
	}
}

func TestProgressMovesWhileRunning(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2, sim: simWithLatency(20 * time.Millisecond)})
	id := e.submit(t, "GeoTopo-komprimiert.pdf", map[string]string{"accuracy_mode": "accurate"})
	st, seen := e.waitDone(t, id, 2*time.Minute)
	require.Equal(t, "completed", st.Status)
	var between int
	for _, v := range seen {
		if v > 0 && v < 117 {
			between++
		}
	}
	require.Greater(t, between, 3, "progress seen between 0 and 117: %v", seen)
}

func TestTwoJobsAtOnce(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2})
	idsA, _ := expectedPages(t, "pdflatex-4-pages.pdf")
	idsB, _ := expectedPages(t, "multicolumn.pdf")
	a := e.submit(t, "pdflatex-4-pages.pdf", nil)
	b := e.submit(t, "multicolumn.pdf", map[string]string{"accuracy_mode": "accurate"})
	for _, j := range []struct {
		id  string
		ids []string
	}{{a, idsA}, {b, idsB}} {
		st, _ := e.waitDone(t, j.id, time.Minute)
		require.Equal(t, "completed", st.Status)
		md, err := e.api.Download(context.Background(), j.id)
		require.NoError(t, err)
		requirePagesInOrder(t, string(md), j.ids)
	}
}

func TestAccuracyModesRouteToExpectedEngines(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2})
	files := []string{"pdflatex-4-pages.pdf", "pdflatex-forms.pdf", "imagemagick-images.pdf", "GeoTopo-komprimiert.pdf"}
	for _, mode := range messages.Modes {
		for _, file := range files {
			t.Run(mode+"/"+file, func(t *testing.T) {
				_, feats := expectedPages(t, file)
				want := map[string]int{}
				for _, f := range feats {
					want[route.Decide(mode, f).Engine]++
				}
				id := e.submit(t, file, map[string]string{"accuracy_mode": mode})
				st, _ := e.waitDone(t, id, 2*time.Minute)
				require.Equal(t, "completed", st.Status)
				got := map[string]int{messages.EngineDeepSeek: st.Progress.DeepSeekPages,
					messages.EngineNanonets: st.Progress.NanonetsPages, messages.EngineTextLayer: st.Progress.TextLayer}
				for engine, n := range got {
					require.Equal(t, want[engine], n, "%s pages", engine)
				}
				if mode == messages.ModeAccurate {
					require.Equal(t, len(feats), st.Progress.NanonetsPages)
				}
			})
		}
	}
}

func TestBadPDFsFailTheirJobOnly(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2})
	whole, err := os.ReadFile(pdfPath(t, "pdflatex-4-pages.pdf"))
	require.NoError(t, err)
	truncated := filepath.Join(t.TempDir(), "truncated.pdf")
	require.NoError(t, os.WriteFile(truncated, whole[:len(whole)/3], 0o644))

	enc := e.submit(t, "libreoffice-writer-password.pdf", nil)
	sub, err := e.api.Submit(context.Background(), truncated, nil)
	require.NoError(t, err)
	good := e.submit(t, "minimal-document.pdf", nil)

	st, _ := e.waitDone(t, enc, time.Minute)
	require.Equal(t, "failed", st.Status)
	require.Contains(t, *st.Error, "encrypted")
	st, _ = e.waitDone(t, sub.JobID, time.Minute)
	require.Equal(t, "failed", st.Status)
	require.NotEmpty(t, *st.Error)
	st, _ = e.waitDone(t, good, time.Minute)
	require.Equal(t, "completed", st.Status, "workers go on to the next job")

	withPassword := e.submit(t, "libreoffice-writer-password.pdf", map[string]string{"password": "openpassword"})
	st, _ = e.waitDone(t, withPassword, time.Minute)
	require.Equal(t, "completed", st.Status, "the password opens it: %v", st.Error)
	job, err := e.store.Get(context.Background(), withPassword)
	require.NoError(t, err)
	require.Empty(t, job.Password, "the password leaves Redis once the upload is decrypted")
	md, err := e.api.Download(context.Background(), withPassword)
	require.NoError(t, err)
	require.Contains(t, string(md), "page-")
}

// TestStreamsTrimmedAfterJobs: once every stage has acknowledged a job's
// messages and the retention has passed, the workers trim them, so the
// streams do not grow with every page ever processed.
func TestStreamsTrimmedAfterJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{workers: 2, streamKeep: time.Millisecond})
	ids, _ := expectedPages(t, "pdflatex-4-pages.pdf")
	id := e.submit(t, "pdflatex-4-pages.pdf", nil)
	st, _ := e.waitDone(t, id, time.Minute)
	require.Equal(t, "completed", st.Status)
	ctx := context.Background()
	require.Eventually(t, func() bool {
		var left int64
		for _, s := range []string{messages.StreamJobs, messages.StreamPages, messages.StreamDeepSeek, messages.StreamDone} {
			left += e.rdb.XLen(ctx, s).Val()
		}
		return left <= 4 // the last entry each group was given may stay
	}, 10*time.Second, 100*time.Millisecond)
	md, err := e.api.Download(ctx, id)
	require.NoError(t, err)
	requirePagesInOrder(t, string(md), ids)
}

// TestStreamsCarryTextLayerOnlyWhenRead: a page read from its image goes
// through the streams without its text layer; a page answered from the text
// layer (fast mode) carries it.
func TestStreamsCarryTextLayerOnlyWhenRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{workers: 1})
	ctx := context.Background()
	for _, mode := range []string{"balanced", "fast"} {
		id := e.submit(t, "pdflatex-4-pages.pdf", map[string]string{"accuracy_mode": mode, "no_cache": "true"})
		st, _ := e.waitDone(t, id, time.Minute)
		require.Equal(t, "completed", st.Status)
		entries, err := e.rdb.XRange(ctx, messages.StreamPages, "-", "+").Result()
		require.NoError(t, err)
		seen := 0
		for _, x := range entries {
			payload, _ := x.Values["payload"].(string)
			m, err := messages.Decode[messages.PageRendered]([]byte(payload))
			if err != nil || m.JobID != id {
				continue
			}
			seen++
			if m.ImageKey != "" {
				require.Empty(t, m.TextLayer, "%s page %d has an image", mode, m.Page)
			} else {
				require.NotEmpty(t, m.TextLayer, "%s page %d has neither image nor text layer", mode, m.Page)
			}
		}
		require.Equal(t, 4, seen, mode)
		if mode == "fast" {
			require.Equal(t, 4, st.Progress.TextLayer, "fast mode answers the trusted pages from their text layer")
		}
	}
}
