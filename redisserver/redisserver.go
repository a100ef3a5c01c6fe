// Package redisserver runs a redis-server process of docparse's own on a free
// port of 127.0.0.1: the tests (through redistest) and the benchmark harness
// start one each, so they can stop and restart it and never touch a Redis
// they did not start.
package redisserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server process.
type Server struct {
	Port int
	Dir  string // its working folder: the append-only file when Persist
	// Persist turns the append-only file on (fsync every second), so a
	// restart keeps what was written. Off, Redis keeps nothing on disk.
	Persist bool
	cmd     *exec.Cmd
}

// Start runs redis-server on a free port with its working folder in dir.
func Start(dir string, persist bool) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("redis-server not installed (make test installs it): %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Port: port, Dir: dir, Persist: persist}
	if err := s.Restart(); err != nil {
		return nil, err
	}
	return s, nil
}

// URL is the server's REDIS_URL.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// PID is the running process's id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Restart starts the process again on the same port and folder, and waits
// until it answers.
func (s *Server) Restart() error {
	args := []string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--protected-mode", "no", "--appendonly", "no"}
	if s.Persist {
		args = append(args[:len(args)-1], "yes", "--appendfsync", "everysec")
	}
	s.cmd = exec.Command("redis-server", args...)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	if err := s.waitUp(10 * time.Second); err != nil {
		s.Stop()
		return err
	}
	return nil
}

func (s *Server) waitUp(limit time.Duration) error {
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer rdb.Close()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on port %d did not answer within %s", s.Port, limit)
}

// Stop ends the process with SIGTERM, so the append-only file is flushed,
// and kills it if it has not gone in 5 s.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// FreePort asks the kernel for a port nobody listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
