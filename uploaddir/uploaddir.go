// Package uploaddir is a process's directory of uploads passing through it as
// files: the API spools each upload there as it arrives, split keeps the ones
// it renders from. Made on first use, removed at shutdown; a killed process's
// directory is removed by the next docparse process that makes one.
package uploaddir

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// prefix names the directories in os.TempDir(), followed by the owner's pid.
const prefix = "docparse-uploads-"

// staleAfter is how long a gone process's directory must have been idle
// before another process removes it.
const staleAfter = time.Hour

// Dir is one process's upload directory. The zero value is ready to use.
type Dir struct {
	once sync.Once
	dir  string
	err  error
}

// Create makes a new file in the directory, named by pattern as in os.CreateTemp.
func (u *Dir) Create(pattern string) (*os.File, error) {
	u.once.Do(func() {
		removeStale(os.TempDir(), staleAfter)
		u.dir, u.err = os.MkdirTemp("", fmt.Sprintf("%s%d-", prefix, os.Getpid()))
	})
	if u.err != nil {
		return nil, fmt.Errorf("upload directory: %w", u.err)
	}
	f, err := os.CreateTemp(u.dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("upload file: %w", err)
	}
	return f, nil
}

// Remove deletes the directory and whatever is left in it.
func (u *Dir) Remove() {
	if u.dir != "" {
		_ = os.RemoveAll(u.dir)
	}
}

// removeStale removes the upload directories of processes that are gone and
// that have not changed for idle. Both, because a process in another PID
// namespace sharing the directory looks gone from here.
func removeStale(root string, idle time.Duration) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, ok := ownerPID(e.Name())
		if !ok || !e.IsDir() || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > idle {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

func ownerPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
	return pid, err == nil && pid > 0
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
