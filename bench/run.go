package bench

import (
	"context"
	"fmt"
	"maps"
	"os"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/docparse/docparse/jobstore"
)

// JobTiming is one job's life as its hash records it.
type JobTiming struct {
	ID        string
	Pages     int
	Status    string
	Created   time.Time
	Completed time.Time
}

// Seconds is the job's time from upload to completed.
func (j JobTiming) Seconds() float64 { return j.Completed.Sub(j.Created).Seconds() }

// RunResult is what one batch of jobs on a cluster measured.
type RunResult struct {
	Jobs      []JobTiming
	Pages     int
	Wall      time.Duration // first upload to last completion
	PeakConc  int64         // simulator's most requests served at once
	Served    int64
	PeakRSS   map[string]int64   // per process, redis-server included
	RedisPeak int64              // used_memory_peak
	CoresBusy float64            // CPU seconds of every process of the run / Wall
	Cores     map[string]float64 // the same per part: docparse, redis, sim (this process)
}

// PagesPerSec is the run's throughput over its wall time.
func (r RunResult) PagesPerSec() float64 { return float64(r.Pages) / r.Wall.Seconds() }

// Spread is the time between the first and the last job to complete.
func (r RunResult) Spread() time.Duration {
	if len(r.Jobs) == 0 {
		return 0
	}
	first, last := r.Jobs[0].Completed, r.Jobs[0].Completed
	for _, j := range r.Jobs {
		first, last = minTime(first, j.Completed), maxTime(last, j.Completed)
	}
	return last.Sub(first)
}

// runJobs uploads every file at once with the given options, waits for all
// jobs to complete and collects the figures. profile, when set, is called
// beside the jobs (it takes CPU profiles).
func (c *Cluster) runJobs(ctx context.Context, files []string, opts map[string]string, limit time.Duration, profile func(context.Context)) (RunResult, error) {
	// The same PDF is uploaded several times (many jobs, repeated small
	// runs): without no_cache the API's result cache would answer them.
	opts = maps.Clone(opts)
	opts["no_cache"] = "true"
	cpu0 := c.cpuTimes()
	ids := make([]string, len(files))
	var g errgroup.Group
	for i, f := range files {
		g.Go(func() error {
			sub, err := c.API.Submit(ctx, f, opts)
			ids[i] = sub.JobID
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return RunResult{}, fmt.Errorf("upload: %w", err)
	}
	// The profile runs for its own fixed time; the run waits for it so that
	// a short case still gets its profile written.
	var wg sync.WaitGroup
	if profile != nil {
		wg.Add(1)
		go func() { defer wg.Done(); profile(ctx) }()
	}
	tctx, stopTimeline := context.WithCancel(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); c.timeline(tctx, ids) }()
	jobs, err := c.waitJobs(ctx, ids, limit)
	stopTimeline()
	wg.Wait()
	if err != nil {
		return RunResult{}, err
	}
	return c.collect(ctx, jobs, cpu0)
}

// waitJobs polls the jobs' hashes directly in Redis (cheaper than the API
// and with the stored sub-second timestamps) until every job is final.
func (c *Cluster) waitJobs(ctx context.Context, ids []string, limit time.Duration) ([]JobTiming, error) {
	store := jobstore.New(c.Redis.Client, time.Hour)
	deadline := time.Now().Add(limit)
	out := make([]JobTiming, len(ids))
	for pending := len(ids); pending > 0; {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d jobs not completed within %s (logs in %s)", pending, len(ids), limit, c.Dir)
		}
		pending = 0
		for i, id := range ids {
			if out[i].Status != "" {
				continue
			}
			j, err := store.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			if !jobstore.Final(j.Status) {
				pending++
				continue
			}
			if j.Status != jobstore.StatusCompleted {
				return nil, fmt.Errorf("job %s %s: %s", id, j.Status, j.Error)
			}
			out[i] = timing(j)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return out, nil
}

func timing(j jobstore.Job) JobTiming {
	created, _ := time.Parse(time.RFC3339Nano, j.CreatedAt)
	completed, _ := time.Parse(time.RFC3339Nano, j.CompletedAt)
	return JobTiming{ID: j.ID, Pages: j.TotalPages, Status: j.Status, Created: created, Completed: completed}
}

func (c *Cluster) collect(ctx context.Context, jobs []JobTiming, cpu0 map[string]time.Duration) (RunResult, error) {
	r := RunResult{Jobs: jobs, PeakRSS: map[string]int64{}, Cores: map[string]float64{}}
	first, last := jobs[0].Created, jobs[0].Completed
	for _, j := range jobs {
		r.Pages += j.Pages
		first, last = minTime(first, j.Created), maxTime(last, j.Completed)
	}
	r.Wall = last.Sub(first)
	st := c.Sim.Stats()
	r.PeakConc, r.Served = st.PeakConcurrency, st.Served
	for _, p := range c.Procs {
		rss, err := PeakRSS(p.PID())
		if err != nil {
			return r, err
		}
		r.PeakRSS[p.Name] = rss
	}
	var err error
	if r.PeakRSS["redis-server"], err = PeakRSS(c.Redis.PID()); err != nil {
		return r, err
	}
	if r.RedisPeak, err = c.Redis.UsedMemoryPeak(ctx); err != nil {
		return r, err
	}
	for part, t := range c.cpuTimes() {
		r.Cores[part] = (t - cpu0[part]).Seconds() / r.Wall.Seconds()
		r.CoresBusy += r.Cores[part]
	}
	return r, nil
}

// cpuTimes adds up the CPU time used so far by each part of the cluster: the
// docparse processes, redis-server, and this process, which serves the
// simulator (it decodes and hashes every page image, as vLLM's CPU side would).
func (c *Cluster) cpuTimes() map[string]time.Duration {
	out := map[string]time.Duration{}
	add := func(part string, pid int) {
		if t, err := CPUTime(pid); err == nil {
			out[part] += t
		}
	}
	add("redis", c.Redis.PID())
	add("sim", os.Getpid())
	for _, p := range c.Procs {
		add("docparse", p.PID())
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
