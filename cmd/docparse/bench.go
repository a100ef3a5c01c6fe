package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/docparse/docparse/bench"
)

func benchCmd() *cobra.Command {
	var o bench.Options
	var cases string
	var env []string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Run the benchmark harness: throughput against a simulated vLLM, render overhead, memory",
		Long: `bench builds its input PDFs from --samples, starts its own redis-server,
simulated vLLM server and docparse processes (this binary), runs the cases and
prints one table of ratios measured in the same run. --quick runs a tiny
version of every case in well under a minute. See BENCHMARKS.md.

Cases: ` + strings.Join(bench.AllCases, ", ") + `.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bin, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find the docparse binary: %w", err)
			}
			o.Bin = bin
			o.Cases = splitList(cases)
			if o.Env, err = parseEnv(env); err != nil {
				return err
			}
			if o.Work == "" {
				o.Work = defaultBenchWork()
			}
			o.Logger = newLogger(configT{LogLevel: "info"})
			rep, err := bench.Run(cmd.Context(), o)
			if err != nil {
				return fmt.Errorf("bench (logs in %s): %w", o.Work, err)
			}
			rep.Print(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Quick, "quick", false, "a tiny version of every case (CI checks the harness still works)")
	f.StringVar(&cases, "cases", "", "comma-separated cases to run (default all)")
	f.StringVar(&o.Samples, "samples", "../shared/pdfs", "folder of sample PDFs the inputs are built from")
	f.StringVar(&o.Work, "work", "", "folder for built inputs, process logs and Redis (default the user cache folder)")
	f.StringVar(&o.ProfileDir, "profile", "", "write CPU profiles of every process of each case to this folder")
	f.StringArrayVar(&env, "env", nil, "KEY=VALUE setting for the docparse processes (repeatable), e.g. IMAGE_FORMAT=jpeg")
	f.DurationVar(&o.Latency, "latency", 0, "simulator service time (default 1s; quick 200ms)")
	f.IntVar(&o.Batch, "batch", 0, "simulator batch (default 32; quick 8)")
	f.IntVar(&o.Workers, "workers", 0, "worker processes beside the API (default 2)")
	return cmd
}

func parseEnv(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--env %q: want KEY=VALUE", kv)
		}
		out[k] = v
	}
	return out, nil
}

// defaultBenchWork keeps built inputs between runs: joining 1000 pages takes a while.
func defaultBenchWork() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "docparse-bench")
	}
	return filepath.Join(dir, "docparse-bench")
}
