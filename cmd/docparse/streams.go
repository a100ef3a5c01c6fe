package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/docparse/docparse/streams"
)

func streamsCmd() *cobra.Command {
	var interval time.Duration
	var consumers bool
	cmd := &cobra.Command{
		Use:   "streams",
		Short: "Print streams, consumer groups, lag, pending and consumers (like rq info; talks to Redis)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, _, rdb, err := redisCommand()
			if err != nil {
				return err
			}
			defer rdb.Close()
			print := func(ctx context.Context) error {
				all, err := streams.Inspect(ctx, rdb, true)
				if err != nil {
					return err
				}
				procs, err := streams.Heartbeats(ctx, rdb)
				if err != nil {
					return err
				}
				writeStreams(os.Stdout, all, procs, consumers)
				return nil
			}
			if interval <= 0 {
				return print(cmd.Context())
			}
			return every(cmd.Context(), interval, func(ctx context.Context) error {
				fmt.Print("\033[H\033[2J") // clear the terminal, as watch(1) does
				fmt.Printf("every %s, %s\n\n", interval, time.Now().Format(time.TimeOnly))
				return print(ctx)
			})
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", 0, "refresh every interval (e.g. 2s) until interrupted")
	cmd.Flags().BoolVar(&consumers, "consumers", false, "list every consumer instead of one line per process")
	return cmd
}

// every runs fn now and then at each tick until ctx ends.
func every(ctx context.Context, d time.Duration, fn func(context.Context) error) error {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		if err := fn(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// writeStreams prints one block per stream: its length, then per group the
// lag and pending count, then the group's consumers by process.
func writeStreams(w io.Writer, all []streams.Stream, procs map[string]float64, each bool) {
	for _, s := range all {
		fmt.Fprintf(w, "%-24s %8d entries\n", s.Name, s.Length)
		for _, g := range s.Groups {
			lag := fmt.Sprint(g.Lag)
			if g.Lag < 0 {
				lag = "?"
			}
			fmt.Fprintf(w, "  group %-16s lag %-6s pending %-6d consumers %d\n", g.Name, lag, g.Pending, len(g.Consumers))
			if each {
				for _, c := range g.Consumers {
					fmt.Fprintf(w, "    %-48s pending %-4d idle %s\n", c.Name, c.Pending, fmtIdle(c.IdleSec))
				}
				continue
			}
			for _, p := range byProcess(g.Consumers, procs) {
				fmt.Fprintf(w, "    %s\n", p)
			}
		}
	}
	names := make([]string, 0, len(procs))
	for n := range procs {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "\n%d worker process(es) alive: %s\n", len(names), strings.Join(names, ", "))
}

// byProcess folds a group's consumers into one line per worker process, since
// an OCR stage has OCR_CONCURRENCY consumers in every process.
func byProcess(cs []streams.Consumer, alive map[string]float64) []string {
	type agg struct {
		n, busy int
		pending int64
		minIdle float64
	}
	m := map[string]*agg{}
	var order []string
	for _, c := range cs {
		proc, _, _ := strings.Cut(c.Name, "~")
		a, ok := m[proc]
		if !ok {
			a = &agg{minIdle: c.IdleSec}
			m[proc] = a
			order = append(order, proc)
		}
		a.n++
		a.pending += c.Pending
		if c.Pending > 0 {
			a.busy++
		}
		a.minIdle = min(a.minIdle, c.IdleSec)
	}
	sort.Strings(order)
	out := make([]string, 0, len(order))
	for _, p := range order {
		a := m[p]
		state := "alive"
		if _, ok := alive[p]; !ok {
			state = "gone" // no heartbeat: its pending messages will be claimed
		}
		out = append(out, fmt.Sprintf("%-32s %-5s %2d consumers, %2d busy, pending %-4d min idle %s", p, state, a.n, a.busy, a.pending, fmtIdle(a.minIdle)))
	}
	return out
}

func fmtIdle(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(100 * time.Millisecond).String()
}
