package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/docparse/docparse/client"
	"github.com/docparse/docparse/jobstore"
)

func jobsCmd() *cobra.Command {
	var server, apiKey string
	cmd := &cobra.Command{Use: "jobs", Short: "List, inspect and clean up jobs"}
	cmd.PersistentFlags().StringVar(&server, "server", envOr("DOCPARSE_SERVER", "http://127.0.0.1:1233"), "docparse API base URL")
	cmd.PersistentFlags().StringVar(&apiKey, "api-key", os.Getenv("DOCPARSE_API_KEY"), "API key")
	printJSON := func(v any) error {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	var limit int
	var status string
	list := &cobra.Command{Use: "list", Short: "Newest jobs first", RunE: func(cmd *cobra.Command, _ []string) error {
		jobs, err := client.New(server, apiKey).List(cmd.Context(), limit, status)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			fmt.Printf("%s  %-10s %4d/%-4d  %s\n", j.JobID, j.Status, j.Progress.CurrentPage, j.Progress.TotalPages, j.Filename)
		}
		return nil
	}}
	list.Flags().IntVar(&limit, "limit", 50, "how many jobs")
	list.Flags().StringVar(&status, "status", "", "only jobs with this status")
	statusCmd := &cobra.Command{Use: "status ID", Args: cobra.ExactArgs(1), Short: "A job's status document", RunE: func(cmd *cobra.Command, args []string) error {
		s, err := client.New(server, apiKey).Status(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		return printJSON(s)
	}}
	result := &cobra.Command{Use: "result ID", Args: cobra.ExactArgs(1), Short: "Print a completed job's output", RunE: func(cmd *cobra.Command, args []string) error {
		b, err := client.New(server, apiKey).Download(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(b)
		return err
	}}
	cancel := &cobra.Command{Use: "cancel ID", Args: cobra.ExactArgs(1), Short: "Cancel a job", RunE: func(cmd *cobra.Command, args []string) error {
		s, err := client.New(server, apiKey).Cancel(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		return printJSON(s)
	}}
	cmd.AddCommand(list, statusCmd, result, cancel, cleanupCmd(), rerunCmd())
	return cmd
}

func cleanupCmd() *cobra.Command {
	var olderThan string
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Delete jobs older than a duration (talks to Redis directly)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			age, err := parseAge(olderThan)
			if err != nil {
				return err
			}
			cfg, logger, rdb, err := redisCommand()
			if err != nil {
				return err
			}
			defer rdb.Close()
			n, err := jobstore.New(rdb, cfg.JobTTL).Cleanup(cmd.Context(), time.Now().Add(-age))
			if err != nil {
				return err
			}
			logger.Info("jobs deleted", slog.Int("count", n), slog.String("older_than", olderThan))
			fmt.Printf("deleted %d jobs older than %s\n", n, olderThan)
			return nil
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "7d", "age such as 7d, 36h or 90m")
	return cmd
}

// parseAge accepts Go durations plus a d suffix for days.
func parseAge(s string) (time.Duration, error) {
	var days int
	if _, err := fmt.Sscanf(s, "%dd", &days); err == nil && fmt.Sprintf("%dd", days) == s {
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("--older-than %q: want a duration such as 7d or 36h", s)
	}
	return d, nil
}
