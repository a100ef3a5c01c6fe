package e2e

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/messages"
)

// The operator commands against a running pipeline: streams prints the
// groups, replay re-delivers finished pages without changing the job, and
// jobs rerun runs the same upload again under a new id.
func TestOpsCommands(t *testing.T) {
	e := newEnv(t, envOpts{workers: 2})
	ctx := context.Background()
	id := e.submit(t, "pdflatex-4-pages.pdf", map[string]string{"accuracy_mode": "accurate", "output_format": "markdown"})
	st, _ := e.waitDone(t, id, time.Minute)
	require.Equal(t, "completed", st.Status)
	before, err := e.api.Download(ctx, id)
	require.NoError(t, err)

	out := runCLI(t, e, "streams")
	require.Contains(t, out, messages.StreamNanonets)
	require.Regexp(t, `group ocr-nanonets\s+lag 0\s+pending 0\s+consumers [1-8]\n\s+\S+\s+alive`, out)
	require.Contains(t, out, "worker process(es) alive")

	out = runCLI(t, e, "replay", "--stream", messages.StreamDone, "--group", "assemble", "--from", "-")
	require.Contains(t, out, "copied 4 entries to the end of docparse.done for group assemble")
	require.Eventually(t, func() bool {
		g, err := e.rdb.XInfoGroups(ctx, messages.StreamDone).Result()
		return err == nil && g[0].Lag == 0 && g[0].Pending == 0
	}, 20*time.Second, 50*time.Millisecond, "assemble reads the copies")
	again, err := e.api.Status(ctx, id)
	require.NoError(t, err)
	require.Equal(t, 4, again.Progress.CurrentPage, "replayed pages are not counted twice")
	after, err := e.api.Download(ctx, id)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after))

	out = runCLI(t, e, "jobs", "rerun", id)
	newID := regexp.MustCompile(`[0-9a-f-]{36}`).FindString(out)
	require.NotEmpty(t, newID, out)
	require.NotEqual(t, id, newID)
	st2, _ := e.waitDone(t, newID, time.Minute)
	require.Equal(t, "completed", st2.Status)
	require.Equal(t, st.Filename, st2.Filename)
	require.Equal(t, "accurate", st2.AccuracyMode)
	require.Equal(t, 4, st2.Progress.NanonetsPages)
	rerun, err := e.api.Download(ctx, newID)
	require.NoError(t, err)
	require.Equal(t, string(before), string(rerun))
}
