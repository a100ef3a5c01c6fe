package main

import (
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/docparse/docparse/config"
	"github.com/docparse/docparse/handlers"
)

type configT = config.Config

func workerCmd() *cobra.Command {
	var stages string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run stage workers only (any subset of stages), for other machines",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			list := splitList(stages)
			consumers := max(cfg.NumWorkers, 1)
			rdb, err := newRedis(cfg, poolSize(cfg, list, consumers))
			if err != nil {
				return err
			}
			defer rdb.Close()
			engines, err := newEngines(cfg, logger)
			if err != nil {
				return err
			}
			w, err := newWorker(cfg, rdb, logger, list, consumers, engines)
			if err != nil {
				return err
			}
			logger.Info("worker started", slog.Any("stages", list), slog.Int("consumers", consumers), slog.String("inference_mode", cfg.InferenceMode))
			return runWithMetrics(cmd.Context(), cfg, rdb, logger, w.Run)
		},
	}
	cmd.Flags().StringVar(&stages, "stages", strings.Join(handlers.AllStages, ","), "comma-separated stages to run")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
