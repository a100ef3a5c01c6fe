package handlers

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

// uploadPrefix names split processes' upload directories in os.TempDir().
const uploadPrefix = "docparse-split-"

// uploadDir holds the uploads a split process renders from, one file per job
// while the job has Docs open (docCache removes it with the last). It is made
// on first use and removed at shutdown; a killed process's directory is
// removed by the next process that starts on the machine.
type uploadDir struct {
	once sync.Once
	dir  string
	err  error
}

func (u *uploadDir) create() (*os.File, error) {
	u.once.Do(func() {
		removeStaleUploadDirs(os.TempDir(), time.Hour)
		u.dir, u.err = os.MkdirTemp("", fmt.Sprintf("%s%d-", uploadPrefix, os.Getpid()))
	})
	if u.err != nil {
		return nil, fmt.Errorf("upload directory: %w", u.err)
	}
	f, err := os.CreateTemp(u.dir, "*.pdf")
	if err != nil {
		return nil, fmt.Errorf("upload file: %w", err)
	}
	return f, nil
}

func (u *uploadDir) remove() {
	if u.dir != "" {
		_ = os.RemoveAll(u.dir)
	}
}

// removeStaleUploadDirs removes the upload directories of processes that are
// gone and that have not changed for idle. Both, because a process in
// another PID namespace sharing the directory looks gone from here.
func removeStaleUploadDirs(root string, idle time.Duration) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, ok := uploadDirPID(e.Name())
		if !ok || !e.IsDir() || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > idle {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

func uploadDirPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, uploadPrefix)
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
