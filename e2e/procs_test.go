package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/client"
	"github.com/docparse/docparse/ocrsim"
	"github.com/docparse/docparse/redistest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/docparse once per test run.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "docparse-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "docparse")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/docparse").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// proc is one docparse process.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// startProc runs the binary with args and environment; it is killed when the test ends.
func startProc(t testing.TB, env map[string]string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	// TMPDIR: upload files of a process killed here go with the test.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LOG_LEVEL=warn", "TMPDIR=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logPath := filepath.Join(t.TempDir(), "proc.log")
	f, err := os.Create(logPath)
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = t.TempDir() // no stray .env
	require.NoError(t, cmd.Start())
	p := &proc{cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s %v log:\n%s", filepath.Base(cmd.Path), args, tail(string(b), 4000))
			}
		}
	})
	return p
}

func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop sends SIGTERM and waits up to timeout for the process to exit.
func (p *proc) stop(timeout time.Duration) bool {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// cluster is a multi-process deployment: redis, a simulator, an API process
// and worker processes.
type cluster struct {
	redis *redistest.Server
	sim   *ocrsim.Server
	env   map[string]string
	api   *client.Client
}

func newCluster(t *testing.T, sim ocrsim.Options, extra map[string]string) *cluster {
	t.Helper()
	c := &cluster{redis: redistest.Start(t)}
	s, url, stop, err := ocrsim.Start(sim)
	require.NoError(t, err)
	t.Cleanup(stop)
	c.sim = s
	port := freePort(t)
	c.env = map[string]string{
		"REDIS_URL": c.redis.URL(), "INFERENCE_MODE": "vllm", "VLLM_DEEPSEEK_URL": url, "VLLM_NANONETS_URL": url,
		"API_HOST": "127.0.0.1", "API_PORT": strconv.Itoa(port), "OCR_CONCURRENCY": "4", "OCR_TIMEOUT": "10s",
		// These tests upload the same documents again to compare runs: the
		// result cache would answer the second run without any work.
		"CACHE_TTL": "0",
		// Several workers share this host: each gets a free metrics port.
		"METRICS_ADDR": "127.0.0.1:0",
	}
	for k, v := range extra {
		c.env[k] = v
	}
	c.api = client.New("http://127.0.0.1:"+strconv.Itoa(port), "")
	return c
}

func (c *cluster) with(kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range c.env {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func (c *cluster) waitDone(t testing.TB, id string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		st, err := c.api.Status(context.Background(), id)
		if err == nil && (st.Status == "completed" || st.Status == "failed" || st.Status == "cancelled") {
			return st.Status
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish within %s", id, timeout)
	return ""
}

func TestSeveralProcesses(t *testing.T) {
	c := newCluster(t, ocrsim.Options{}, nil)
	startProc(t, c.with("NUM_WORKERS", "0"), "api")
	startProc(t, c.with("NUM_WORKERS", "1"), "worker")
	startProc(t, c.with("NUM_WORKERS", "1"), "worker", "--stages", "split,classify,ocr-deepseek,ocr-nanonets,assemble")
	waitHTTP(t, c.api.Base+"/healthz")
	ids, _ := expectedPages(t, "pdflatex-4-pages.pdf")
	sub, err := c.api.Submit(context.Background(), pdfPath(t, "pdflatex-4-pages.pdf"), nil)
	require.NoError(t, err)
	require.Equal(t, "completed", c.waitDone(t, sub.JobID, time.Minute))
	md, err := c.api.Download(context.Background(), sub.JobID)
	require.NoError(t, err)
	requirePagesInOrder(t, string(md), ids)
	// Both worker processes run (each beats its own heartbeat key), and the
	// API-only process takes no part in the stages.
	rdb := c.redis.Client(t)
	require.Eventually(t, func() bool {
		keys, err := rdb.Keys(context.Background(), "docparse:heartbeat:*").Result()
		return err == nil && len(keys) == 2
	}, 20*time.Second, 100*time.Millisecond, "two worker processes beat")
	groups, err := rdb.XInfoConsumers(context.Background(), "docparse.jobs", "split").Result()
	require.NoError(t, err)
	require.NotEmpty(t, groups)
	require.LessOrEqual(t, len(groups), 2, "only the two worker processes consume split")
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
