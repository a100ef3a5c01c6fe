package bench

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/docparse/docparse/redisserver"
)

// Redis is a redis-server the harness started for one case. It keeps nothing
// on disk: persistence would measure the disk, not the pipeline.
type Redis struct {
	*redisserver.Server
	Client *redis.Client
}

// StartRedis runs redis-server on a free port with its working folder in dir.
func StartRedis(dir string) (*Redis, error) {
	s, err := redisserver.Start(dir, false)
	if err != nil {
		return nil, err
	}
	return &Redis{Server: s, Client: redis.NewClient(&redis.Options{Addr: s.Addr()})}, nil
}

// UsedMemoryPeak is INFO memory's used_memory_peak in bytes: what Redis held
// at most since it started, the figure the window is meant to bound.
func (r *Redis) UsedMemoryPeak(ctx context.Context) (int64, error) {
	return r.memoryInfo(ctx, "used_memory_peak")
}

// UsedMemory is INFO memory's used_memory in bytes: what Redis holds now.
func (r *Redis) UsedMemory(ctx context.Context) (int64, error) {
	return r.memoryInfo(ctx, "used_memory")
}

func (r *Redis) memoryInfo(ctx context.Context, field string) (int64, error) {
	info, err := r.Client.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("redis info memory: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("redis info memory: no %s", field)
}

// Stop closes the client and ends the server.
func (r *Redis) Stop() {
	_ = r.Client.Close()
	r.Server.Stop()
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
