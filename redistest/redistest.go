// Package redistest starts throwaway redis-server processes for tests, on
// free ports and in temporary folders, so tests can stop and restart them
// and never touch a Redis they did not start.
package redistest

import (
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/docparse/docparse/redisserver"
)

// Server is one redis-server process.
type Server struct{ *redisserver.Server }

// Start runs redis-server with its append-only file on, so a restart keeps
// what was written, and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := redisserver.Start(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return &Server{s}
}

// Client returns a client for the server, closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// AOF is where the append-only data lives.
func (s *Server) AOF() string { return filepath.Join(s.Dir, "appendonlydir") }
