package main

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/docparse/docparse/config"
	"github.com/docparse/docparse/metrics"
)

// runWithMetrics runs fn beside the /metrics server on METRICS_ADDR, and
// stops both when either ends: a worker whose metrics port is taken fails at
// start rather than running unobserved.
func runWithMetrics(ctx context.Context, cfg config.Config, rdb redis.UniversalClient, logger *slog.Logger, fn func(context.Context) error) error {
	if cfg.MetricsAddr == "" {
		return fn(ctx)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return metrics.Serve(gctx, cfg.MetricsAddr, rdb, logger) })
	g.Go(func() error { return fn(gctx) })
	return g.Wait()
}
