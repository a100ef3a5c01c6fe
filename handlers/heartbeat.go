package handlers

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Heartbeat keeps a key alive for this process while it runs, so other
// processes can claim a dead process's messages soon after it dies instead of
// waiting out the claim limit, which must be long enough for slow OCR calls.
type Heartbeat struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
	logger *slog.Logger
}

// DefaultHeartbeatTTL is how long a process's heartbeat key outlives its last beat.
const DefaultHeartbeatTTL = 10 * time.Second

// deadAfter is how long a message must sit unacknowledged before its holder's
// heartbeat is checked: past one TTL and a half, a missing key means the
// process is gone rather than between two beats.
func deadAfter(ttl time.Duration) time.Duration { return 3 * ttl / 2 }

func heartbeatKey(prefix string) string { return "docparse:heartbeat:" + prefix }

// Run beats until ctx ends, then removes the key so a graceful exit is seen at once.
func (h *Heartbeat) Run(ctx context.Context) {
	// Three beats per TTL, so one slow SET does not make a live process look dead.
	t := time.NewTicker(h.ttl / 3)
	defer t.Stop()
	for {
		if err := h.rdb.Set(ctx, heartbeatKey(h.prefix), time.Now().Unix(), h.ttl).Err(); err != nil && ctx.Err() == nil {
			h.logger.Warn("heartbeat failed", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), time.Second)
			h.rdb.Del(dctx, heartbeatKey(h.prefix))
			cancel()
			return
		case <-t.C:
		}
	}
}

// claimPolicy claims a pending message when it has waited past the claim
// limit, or when it has waited a little and the process that holds it no
// longer beats. Consumer names are "<process prefix>-<stage>-<i>".
func claimPolicy(rdb redis.UniversalClient, limit, deadAfter time.Duration) func(redis.XPendingExt) bool {
	return func(p redis.XPendingExt) bool {
		if p.Idle >= limit {
			return true
		}
		if p.Idle < deadAfter {
			return false
		}
		prefix, ok := processPrefix(p.Consumer)
		if !ok {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := rdb.Exists(ctx, heartbeatKey(prefix)).Result()
		return err == nil && n == 0
	}
}

func processPrefix(consumer string) (string, bool) {
	i := strings.Index(consumer, "~")
	if i <= 0 {
		return "", false
	}
	return consumer[:i], true
}
