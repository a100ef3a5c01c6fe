package bench

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestQuick runs the tiny version of every case, to show the harness still
// works end to end. It asserts that each case produced numbers, never how
// fast anything was: benchmarks are not timed tests.
func TestQuick(t *testing.T) {
	for _, tool := range []string{"redis-server", "mutool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	if testing.Short() {
		t.Skip("starts a dozen processes; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "docparse")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/docparse").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	rep, err := Run(context.Background(), Options{Bin: bin, Samples: "../../shared/pdfs", Work: t.TempDir(), Quick: true})
	require.NoError(t, err)
	cases := map[string]bool{}
	for _, r := range rep.Rows {
		cases[r.Case] = true
		// A spread can be zero; no figure can be negative, NaN or infinite.
		require.GreaterOrEqual(t, r.Value, 0.0, "%s: %s", r.Case, r.Figure)
		require.False(t, math.IsInf(r.Value, 0), "%s: %s", r.Case, r.Figure)
		require.NotEmpty(t, r.Notes)
	}
	for _, c := range AllCases {
		require.True(t, cases[c], "case %s produced no row", c)
	}
	var buf bytes.Buffer
	rep.Print(&buf)
	require.Contains(t, buf.String(), "| case | figure |")
	if testing.Verbose() {
		rep.Print(os.Stdout)
	}
}

// TestRolePeaks: replicas of a role are one role, redis-server stays itself,
// and a role's peak is its largest replica's.
func TestRolePeaks(t *testing.T) {
	t.Parallel()
	got := rolePeaks(map[string]int64{"api": 40, "worker-1": 122, "worker-2": 141, "redis-server": 36})
	require.Equal(t, map[string]int64{"api": 40, "worker": 141, "redis-server": 36}, got)
	rows := memoryRows(sizes{medium: 100, big: 1000},
		RunResult{PeakRSS: map[string]int64{"api": 40, "worker-1": 122, "worker-2": 141, "redis-server": 36}, RedisPeak: 10},
		RunResult{PeakRSS: map[string]int64{"api": 44, "worker-1": 175, "worker-2": 184, "redis-server": 71}, RedisPeak: 20})
	require.InDelta(t, 184.0/141, rows[0].Value, 1e-9, "the workers' largest peaks, not worker-1's pair")
	require.InDelta(t, 2.0, rows[1].Value, 1e-9)
}
