package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/docparse/docparse/streams"
)

func replayCmd() *cobra.Command {
	var stream, group, from, to, poison string
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Re-deliver a range of a stream to a stage, or a poisoned message to its stream (talks to Redis)",
		Long: `replay --stream S --group G --from ID [--to ID] copies the entries of S in
[from, to] that group G has already been given to the end of S, where G reads
them again (Redis never re-delivers a delivered entry except by claiming it).
Entries G has not been given yet are skipped: it reads them anyway. Handlers
are idempotent, so replaying finished work changes no result.

replay --poison ID sends one entry of docparse.poison back to the stream it
came from and removes it from docparse.poison.`,
		Example: `  docparse replay --stream docparse.ocr.deepseek --group ocr-deepseek --from 1700000000000-0 --to 1700000060000-0
  docparse replay --poison 1700000000000-0`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if poison == "" && (stream == "" || group == "" || from == "") {
				return errors.New("give --stream, --group and --from (and optionally --to), or --poison ID")
			}
			_, logger, rdb, err := redisCommand()
			if err != nil {
				return err
			}
			defer rdb.Close()
			if poison != "" {
				p, err := streams.ReplayPoison(cmd.Context(), rdb, poison)
				if err != nil {
					return err
				}
				logger.Info("poisoned message replayed", slog.String("entry", poison), slog.String("stream", p.Topic), slog.String("job_id", p.JobID))
				fmt.Printf("replayed %s to %s (job %s, page %d)\n", poison, p.Topic, p.JobID, p.Page)
				return nil
			}
			res, err := streams.Replay(cmd.Context(), rdb, stream, group, from, to)
			if err != nil {
				return err
			}
			logger.Info("stream range replayed", slog.String("stream", stream), slog.String("group", group),
				slog.String("from", from), slog.String("to", to), slog.Int("copied", res.Copied), slog.Int("skipped", res.Skipped))
			fmt.Printf("copied %d entries to the end of %s for group %s (%d not yet delivered, skipped)\n", res.Copied, stream, group, res.Skipped)
			return nil
		},
	}
	cmd.Flags().StringVar(&stream, "stream", "", "stream, e.g. docparse.ocr.deepseek")
	cmd.Flags().StringVar(&group, "group", "", "consumer group (the stage), e.g. ocr-deepseek")
	cmd.Flags().StringVar(&from, "from", "", "first entry id (inclusive), or -")
	cmd.Flags().StringVar(&to, "to", "", "last entry id (inclusive); default: the stream's end now")
	cmd.Flags().StringVar(&poison, "poison", "", "id of a docparse.poison entry to send back")
	return cmd
}
