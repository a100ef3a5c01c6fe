package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/docparse/docparse/streams"
)

// poisonCmd shows docparse.poison and sends its entries back to the stream
// each came from, once the cause (a bug, a missing upload) is fixed.
func poisonCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "poison", Short: "List poisoned messages or send them back to their stream (talks to Redis)"}
	cmd.AddCommand(poisonListCmd(), poisonReplayCmd())
	return cmd
}

// withRedis runs fn with a small client on REDIS_URL.
func withRedis(fn func(rdb redis.UniversalClient, logger *slog.Logger) error) error {
	_, logger, rdb, err := redisCommand()
	if err != nil {
		return err
	}
	defer rdb.Close()
	return fn(rdb, logger)
}

func poisonListCmd() *cobra.Command {
	var limit int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Poisoned messages, newest first, with their reason and origin",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withRedis(func(rdb redis.UniversalClient, _ *slog.Logger) error {
				list, err := streams.Poison(cmd.Context(), rdb, limit)
				if err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(os.Stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(list)
				}
				for _, p := range list {
					fmt.Printf("%s  %-22s job=%s page=%d\n    reason: %s\n", p.ID, strOrDash(p.Topic), strOrDash(p.JobID), p.Page, p.Reason)
				}
				fmt.Printf("%d poisoned message(s)\n", len(list))
				return nil
			})
		},
	}
	cmd.Flags().Int64Var(&limit, "limit", 100, "how many entries")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func poisonReplayCmd() *cobra.Command {
	var id string
	var all bool
	cmd := &cobra.Command{
		Use:   "replay (--id ID | --all)",
		Short: "Send poisoned messages back to the stream they came from and remove them from docparse.poison",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (id == "") == !all {
				return errors.New("give --id ID or --all")
			}
			return withRedis(func(rdb redis.UniversalClient, logger *slog.Logger) error {
				ids := []string{id}
				if all {
					list, err := streams.Poison(cmd.Context(), rdb, 1<<20)
					if err != nil {
						return err
					}
					ids = ids[:0]
					for _, p := range slices.Backward(list) { // oldest first, as they failed
						ids = append(ids, p.ID)
					}
				}
				for _, pid := range ids {
					p, err := streams.ReplayPoison(cmd.Context(), rdb, pid)
					if err != nil {
						return fmt.Errorf("replay %s: %w", pid, err)
					}
					logger.Info("poisoned message replayed", slog.String("entry", pid), slog.String("stream", p.Topic), slog.String("job_id", p.JobID))
					fmt.Printf("replayed %s to %s (job %s, page %d)\n", pid, p.Topic, strOrDash(p.JobID), p.Page)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "id of one docparse.poison entry")
	cmd.Flags().BoolVar(&all, "all", false, "every entry of docparse.poison")
	return cmd
}

func strOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
