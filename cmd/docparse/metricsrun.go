package main

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/docparse/docparse/config"
	"github.com/docparse/docparse/metrics"
)

// runWithMetrics runs fn beside the /metrics server on METRICS_ADDR. A
// metrics server that cannot listen (two workers on one host with the default
// port) is logged at ERROR and the worker goes on: doing the work matters more
// than being observed, and the missing scrape target shows up in Prometheus
// (and fails a Kubernetes liveness probe on /metrics).
func runWithMetrics(ctx context.Context, cfg config.Config, rdb redis.UniversalClient, logger *slog.Logger, fn func(context.Context) error) error {
	if cfg.MetricsAddr == "" {
		return fn(ctx)
	}
	mctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := metrics.Serve(mctx, cfg.MetricsAddr, rdb, logger); err != nil {
			logger.Error("metrics server stopped; set METRICS_ADDR to a free address, or empty to turn it off",
				slog.String("addr", cfg.MetricsAddr), slog.String("error", err.Error()))
		}
	}()
	defer func() { stop(); <-done }()
	return fn(ctx)
}
