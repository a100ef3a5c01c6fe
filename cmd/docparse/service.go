package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/docparse/docparse/config"
	"github.com/docparse/docparse/handlers"
	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/stages/read"
	"github.com/docparse/docparse/stages/render"
	"github.com/docparse/docparse/stages/tesseract"
)

// newRedis connects to REDIS_URL. Timeouts are short so that an unreachable
// Redis turns into errors quickly (503 from the API, retries in workers)
// rather than hung requests; go-redis reconnects by itself.
func newRedis(cfg config.Config, poolSize int) (redis.UniversalClient, error) {
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.DialTimeout = 2 * time.Second
	opts.ReadTimeout = 3 * time.Second
	opts.WriteTimeout = 3 * time.Second
	opts.MaxRetries = 2
	opts.PoolSize = poolSize
	return redis.NewClient(opts), nil
}

// newEngines builds the reader behind each OCR stage.
func newEngines(cfg config.Config, logger *slog.Logger) (map[string]read.Engine, error) {
	if cfg.InferenceMode == config.InferenceLocal {
		local := read.NewLocal(read.LocalParams{Tesseract: tesseract.New(tesseract.Params{Languages: cfg.OCRLanguages})})
		return map[string]read.Engine{messages.EngineDeepSeek: local, messages.EngineNanonets: local}, nil
	}
	engines := map[string]read.Engine{}
	for _, e := range []struct{ kind, url, model string }{
		{messages.EngineDeepSeek, cfg.DeepSeekURL, cfg.DeepSeekModel},
		{messages.EngineNanonets, cfg.NanonetsURL, cfg.NanonetsModel},
	} {
		v, err := read.NewVLLM(read.VLLMParams{Kind: e.kind, BaseURL: e.url, Model: e.model, APIKey: cfg.VLLMAPIKey,
			Timeout: cfg.OCRTimeout, MaxRetries: cfg.OCRMaxRetries, MaxTokens: cfg.OCRMaxTokens,
			Concurrency: cfg.OCRConcurrency, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("%s engine: %w", e.kind, err)
		}
		engines[e.kind] = v
	}
	return engines, nil
}

// readiness reports whether each engine's server answers, for /readyz.
func readiness(engines map[string]read.Engine) func(ctx context.Context) map[string]error {
	return func(ctx context.Context) map[string]error {
		out := map[string]error{}
		for name, e := range engines {
			if r, ok := e.(interface{ Ready(context.Context) error }); ok {
				out[name] = r.Ready(ctx)
			}
		}
		return out
	}
}

// newWorker builds the stage consumers of this process.
func newWorker(cfg config.Config, rdb redis.UniversalClient, logger *slog.Logger, stages []string, consumers int, engines map[string]read.Engine) (*handlers.Worker, error) {
	render.LimitStore(cfg.RenderStoreMB << 20)
	logger.Debug("malloc tuned", slog.Bool("arenas_capped_at_2", render.MallocArenasCapped()), slog.Bool("mmap_threshold_fixed_1mb", render.MallocMmapFixed())) // stages/render/malloc_linux.go
	return handlers.NewWorker(handlers.Params{
		Redis: rdb, Store: jobstore.New(rdb, cfg.JobTTL), Logger: logger,
		Stages: stages, Consumers: consumers, OCRConsumers: cfg.OCRConcurrency, Engines: engines,
		Local:      cfg.InferenceMode == config.InferenceLocal,
		Render:     render.Options{DPI: cfg.RenderDPI, MaxPixels: cfg.RenderMaxPixels, Format: cfg.ImageFormat, PageTimeout: cfg.RenderPageTime},
		RangePages: cfg.RangePages, Window: cfg.RenderWindow, ImageTTL: cfg.ImageTTL, ClaimIdle: cfg.ClaimIdle(),
		AllowPartial: cfg.AllowPartial, MaxPages: cfg.MaxPages, StreamMaxLen: cfg.StreamMaxLen, StreamKeep: cfg.StreamRetention,
		CloseTimeout: cfg.ShutdownTimeout, HandlerTimeout: cfg.HandlerTimeout(), HeartbeatTTL: cfg.HeartbeatTTL,
		Webhooks: cfg.Webhooks(),
	})
}

// poolSize leaves a connection for every blocking subscriber and room for the rest.
func poolSize(cfg config.Config, stages []string, consumers int) int {
	n := 32
	for _, s := range stages {
		if s == handlers.StageOCRDeepSeek || s == handlers.StageOCRNanonets {
			n += cfg.OCRConcurrency * 2
		} else {
			n += consumers * 2
		}
	}
	return n
}

// redisCommand sets up an operator command that talks to Redis directly:
// configuration, logging and a small client.
func redisCommand() (config.Config, *slog.Logger, redis.UniversalClient, error) {
	cfg, logger, err := loadConfig()
	if err != nil {
		return cfg, nil, nil, err
	}
	rdb, err := newRedis(cfg, 4)
	if err != nil {
		return cfg, nil, nil, err
	}
	return cfg, logger, rdb, nil
}
