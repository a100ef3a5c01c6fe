package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docparse/docparse/messages"
)

// timeline writes one line a second to dir/timeline.txt while a run lasts:
// pages done, the render window's fill, the simulator's in-flight and queued
// requests, each stage's backlog, and each process's resident memory with
// Redis's used_memory. It is how BENCHMARKS.md tells which stage starved the
// others, and when memory grew.
func (c *Cluster) timeline(ctx context.Context, ids []string) {
	f, err := os.Create(filepath.Join(c.Dir, "timeline.txt"))
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, "sec done window sim_inflight sim_queued | per stream: lag+pending | RSS MB")
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		fmt.Fprintln(f, c.sample(ctx, ids, time.Since(start)))
	}
}

func (c *Cluster) sample(ctx context.Context, ids []string, at time.Duration) string {
	rdb := c.Redis.Client
	var done, window int64
	for _, id := range ids {
		n, _ := rdb.HGet(ctx, "docparse:job:{"+id+"}", "done_pages").Int64()
		w, _ := rdb.SCard(ctx, "docparse:job:{"+id+"}:inflight").Result()
		done, window = done+n, window+w
	}
	st := c.Sim.Stats()
	var streams []string
	for _, s := range []string{messages.StreamJobs, messages.StreamPages, messages.StreamDeepSeek, messages.StreamNanonets, messages.StreamDone} {
		groups, err := rdb.XInfoGroups(ctx, s).Result()
		if err != nil || len(groups) == 0 {
			continue
		}
		g := groups[0]
		streams = append(streams, fmt.Sprintf("%s %d+%d", strings.TrimPrefix(s, "docparse."), max(g.Lag, 0), g.Pending))
	}
	mem := []string{}
	for _, p := range c.Procs {
		if rss, err := RSS(p.PID()); err == nil {
			mem = append(mem, fmt.Sprintf("%s %.0f", p.Name, mb(rss)))
		}
	}
	if used, err := c.Redis.UsedMemory(ctx); err == nil {
		mem = append(mem, fmt.Sprintf("redis used %.1f", mb(used)))
	}
	return fmt.Sprintf("%3.0f %5d %4d %3d %4d | %s | %s", at.Seconds(), done, window, st.InFlight, st.Queued, strings.Join(streams, "  "), strings.Join(mem, " "))
}
