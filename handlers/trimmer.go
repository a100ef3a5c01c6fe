package handlers

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/streams"
)

// Trimmer removes stream entries every stage has acknowledged, once they are
// older than the retention: without it the streams grow with every page ever
// processed (docparse.pages carries each page's text layer), and XADD MAXLEN
// cannot be used safely because it ignores consumer groups.
type Trimmer struct {
	rdb    redis.UniversalClient
	keep   time.Duration
	every  time.Duration
	logger *slog.Logger
}

// trimmed are the streams the trimmer looks after. docparse.poison is not
// one: its entries wait for an operator, and it has no consumer group.
var trimmed = []string{messages.StreamJobs, messages.StreamPages, messages.StreamDeepSeek,
	messages.StreamNanonets, messages.StreamDone, messages.StreamFinished}

// Run trims until ctx ends. Every worker process runs one; trimming is
// idempotent, so several at once only repeat each other.
func (t *Trimmer) Run(ctx context.Context) {
	if t.keep <= 0 {
		return // STREAM_RETENTION=0: keep everything
	}
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, s := range trimmed {
			n, err := streams.TrimAcked(ctx, t.rdb, s, t.keep)
			if err != nil {
				if ctx.Err() == nil {
					t.logger.Warn("stream trim failed", slog.String("stream", s), slog.String("error", err.Error()))
				}
				continue
			}
			if n > 0 {
				t.logger.Debug("stream trimmed", slog.String("stream", s), slog.Int64("entries", n))
			}
		}
	}
}

// trimEvery is how often a trimmer runs for a retention: often enough that
// a stream holds little more than the retention, rarely enough to cost nothing.
func trimEvery(keep time.Duration) time.Duration {
	return min(max(keep/4, time.Second), time.Minute)
}
