package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a redis-server the harness started for one case. It keeps nothing
// on disk: persistence would measure the disk, not the pipeline.
type Redis struct {
	Port   int
	Client *redis.Client
	cmd    *exec.Cmd
}

// StartRedis runs redis-server on a free port with its working folder in dir.
func StartRedis(dir string) (*Redis, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("redis-server not installed (make deps installs it): %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no", "--protected-mode", "no")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	r := &Redis{Port: port, cmd: cmd, Client: redis.NewClient(&redis.Options{Addr: addr(port)})}
	if err := r.waitUp(10 * time.Second); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

// URL is the server's REDIS_URL.
func (r *Redis) URL() string { return "redis://" + addr(r.Port) + "/0" }

// PID is the server's process id, for its peak RSS.
func (r *Redis) PID() int { return r.cmd.Process.Pid }

func (r *Redis) waitUp(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := r.Client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on port %d did not answer within %s", r.Port, limit)
}

// UsedMemoryPeak is INFO memory's used_memory_peak in bytes: what Redis held
// at most since it started, the figure the window is meant to bound.
func (r *Redis) UsedMemoryPeak(ctx context.Context) (int64, error) {
	info, err := r.Client.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("redis info memory: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory_peak:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("redis info memory: no used_memory_peak")
}

// Stop ends the server.
func (r *Redis) Stop() {
	_ = r.Client.Close()
	_ = r.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
	}
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
