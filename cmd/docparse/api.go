package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/docparse/docparse/handlers"
	httpapi "github.com/docparse/docparse/http"
	"github.com/docparse/docparse/jobstore"
)

func apiCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "api",
		Short: "Serve the HTTP API, with NUM_WORKERS workers running every stage in the same process",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			return runAPI(cmd.Context(), cfg, logger)
		},
	}
}

func runAPI(ctx context.Context, cfg configT, logger *slog.Logger) error {
	stages := []string{}
	if cfg.NumWorkers > 0 {
		stages = handlers.AllStages
	}
	rdb, err := newRedis(cfg, poolSize(cfg, stages, cfg.NumWorkers))
	if err != nil {
		return err
	}
	defer rdb.Close()
	engines, err := newEngines(cfg, logger)
	if err != nil {
		return err
	}
	pub, err := handlers.NewPublisher(rdb, cfg.StreamMaxLen, watermill.NewSlogLogger(logger))
	if err != nil {
		return err
	}
	app := httpapi.New(httpapi.Params{
		Store: jobstore.New(rdb, cfg.JobTTL), Publisher: pub, Logger: logger,
		DefaultMode: cfg.DefaultMode, DefaultFormat: cfg.DefaultFormat, MaxUploadMB: cfg.MaxUploadMB,
		SyncTimeout: cfg.SyncTimeout, Ready: readiness(engines),
		MaxPages: cfg.MaxPages, RangePages: cfg.RangePages, APIKeys: cfg.APIKeys, RateLimit: cfg.RateLimit, CORSOrigins: cfg.CORSOrigins,
		Webhooks: cfg.Webhooks(), DefaultCallbackURL: cfg.WebhookURL, CacheTTL: cfg.CacheTTL, InferenceMode: cfg.InferenceMode,
	})
	g, gctx := errgroup.WithContext(ctx)
	if cfg.NumWorkers > 0 {
		w, err := newWorker(cfg, rdb, logger, stages, cfg.NumWorkers, engines)
		if err != nil {
			return err
		}
		g.Go(func() error { return w.Run(gctx) })
	}
	addr := cfg.APIHost + ":" + strconv.Itoa(cfg.APIPort)
	logger.Info("api listening", slog.String("addr", addr), slog.Int("workers", cfg.NumWorkers), slog.String("inference_mode", cfg.InferenceMode))
	g.Go(func() error {
		if err := app.Listen(gctx, addr, cfg.ShutdownTimeout); err != nil {
			return fmt.Errorf("listen %s: %w", addr, err)
		}
		return nil
	})
	return g.Wait()
}
