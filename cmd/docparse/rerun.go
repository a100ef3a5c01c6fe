package main

import (
	"fmt"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/spf13/cobra"

	"github.com/docparse/docparse/handlers"
	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
)

// rerunCmd runs a job again from its stored upload. It talks to Redis, like
// cleanup, so it works while the API is down.
func rerunCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rerun ID",
		Args:  cobra.ExactArgs(1),
		Short: "Run a job again from its stored upload, with the same options, as a new job (talks to Redis)",
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, logger, rdb, err := redisCommand()
			if err != nil {
				return err
			}
			defer rdb.Close()
			j, err := jobstore.New(rdb, cfg.JobTTL).Rerun(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("rerun %s: %w", args[0], err)
			}
			pub, err := handlers.NewPublisher(rdb, cfg.StreamMaxLen, watermill.NopLogger{})
			if err != nil {
				return err
			}
			if err := handlers.Publish(pub, messages.StreamJobs, messages.JobSubmitted{V: messages.Version, JobID: j.ID}); err != nil {
				return err
			}
			logger.Info("job rerun", slog.String("job_id", j.ID), slog.String("rerun_of", args[0]))
			fmt.Println(j.ID)
			return nil
		},
	}
}
