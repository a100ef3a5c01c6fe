package uploaddir

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRemoveStale: only directories of gone processes that have
// been idle are removed; live processes' and recent ones stay.
func TestRemoveStale(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	gone := cmd.Process.Pid // exited and reaped

	root := t.TempDir()
	mk := func(name string, age time.Duration) string {
		p := filepath.Join(root, name)
		require.NoError(t, os.Mkdir(p, 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(p, "x.pdf"), []byte("%PDF-"), 0o600))
		old := time.Now().Add(-age)
		require.NoError(t, os.Chtimes(p, old, old))
		return p
	}
	stale := mk(fmt.Sprintf("%s%d-abc", prefix, gone), 2*time.Hour)
	recent := mk(fmt.Sprintf("%s%d-def", prefix, gone), time.Minute)
	alive := mk(fmt.Sprintf("%s%d-ghi", prefix, os.Getppid()), 2*time.Hour)
	other := mk("something-else", 2*time.Hour)

	removeStale(root, time.Hour)
	require.NoDirExists(t, stale)
	for _, p := range []string{recent, alive, other} {
		require.DirExists(t, p)
	}
}
