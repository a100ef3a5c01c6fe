package bench

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/ocrsim"
	"github.com/docparse/docparse/stages/render"
)

// harness runs the cases of one Run.
type harness struct {
	o      Options
	sz     sizes
	in     Inputs
	bigRun *RunResult // the 1000-page run at the simulator's latency, reused by the memory case
}

// caseLimit bounds one batch of jobs: far above any plausible time, so a
// stuck pipeline fails the run instead of hanging it.
const caseLimit = 15 * time.Minute

func (h *harness) run(ctx context.Context, name string) ([]Row, error) {
	switch name {
	case CaseBig:
		return h.big(ctx)
	case CaseMany:
		return h.many(ctx)
	case CaseSmall:
		return h.small(ctx)
	case CaseRender:
		return h.render(ctx)
	case CaseMemory:
		return h.memory(ctx)
	case CaseBorn:
		return h.born(ctx)
	}
	return nil, fmt.Errorf("unknown case %q", name)
}

// settings are what the table states the run used.
func (h *harness) settings() map[string]string {
	s := map[string]string{
		"sim_latency": h.o.Latency.String(), "sim_batch": strconv.Itoa(h.o.Batch),
		"worker_processes": strconv.Itoa(h.o.Workers), "quick": strconv.FormatBool(h.o.Quick),
	}
	for k, v := range h.o.Env {
		s[k] = v
	}
	return s
}

// ceiling is the simulator's throughput limit, batch ÷ latency pages/s.
func (h *harness) ceiling() float64 { return float64(h.o.Batch) / h.o.Latency.Seconds() }

func (h *harness) sim() ocrsim.Options {
	return ocrsim.Options{Batch: h.o.Batch, Latency: h.o.Latency}
}

// cluster starts a fresh deployment for one run, so peak memory and the
// simulator's counters belong to that run alone.
func (h *harness) cluster(ctx context.Context, name string, sim ocrsim.Options, local bool) (*Cluster, error) {
	dir := filepath.Join(h.o.Work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("case folder: %w", err)
	}
	env := maps.Clone(h.o.Env)
	if h.o.ProfileDir != "" {
		env["PPROF_ADDR"] = "auto" // each process gets a free port
	}
	return startCluster(ctx, h.o.Bin, dir, sim, Topology{Workers: h.o.Workers, Env: env, Local: local})
}

// jobs runs files as jobs at once on a fresh cluster and stops it.
func (h *harness) jobs(ctx context.Context, name string, sim ocrsim.Options, local bool, files []string, mode string) (RunResult, error) {
	c, err := h.cluster(ctx, name, sim, local)
	if err != nil {
		return RunResult{}, err
	}
	defer c.Stop()
	r, err := c.runJobs(ctx, files, map[string]string{"accuracy_mode": mode}, caseLimit, h.profiler(c, name))
	h.o.Logger.Info("bench run", slog.String("run", name), slog.Int("pages", r.Pages), slog.Duration("wall", r.Wall),
		slog.Int64("peak_concurrency", r.PeakConc), slog.Float64("cores_busy", r.CoresBusy))
	return r, err
}

// profiler takes CPU profiles of the docparse processes and of this process
// (the simulator) beside a run, when --profile is set.
func (h *harness) profiler(c *Cluster, name string) func(context.Context) {
	if h.o.ProfileDir == "" {
		return nil
	}
	return func(ctx context.Context) {
		f, err := os.Create(filepath.Join(h.o.ProfileDir, name+"-bench.pprof"))
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
		until := time.Now().Add(time.Duration(h.sz.profileSeconds) * time.Second)
		if err := c.Profile(ctx, h.o.ProfileDir, name, h.sz.profileSeconds); err != nil {
			h.o.Logger.Warn("profile", slog.String("error", err.Error()))
		}
		time.Sleep(time.Until(until)) // this process's own profile lasts as long
	}
}

func (h *harness) big(ctx context.Context) ([]Row, error) {
	pdf, err := h.in.Mixed(h.sz.big)
	if err != nil {
		return nil, err
	}
	r, err := h.jobs(ctx, CaseBig, h.sim(), false, []string{pdf}, messages.ModeBalanced)
	if err != nil {
		return nil, err
	}
	h.bigRun = &r
	return []Row{h.ceilingRow(CaseBig, fmt.Sprintf("%d-page PDF: pages/s ÷ ceiling", h.sz.big), r)}, nil
}

func (h *harness) ceilingRow(name, figure string, r RunResult) Row {
	v := r.PagesPerSec() / h.ceiling()
	return Row{Case: name, Figure: figure, Value: v, Bar: "≥ 0.95", Pass: ptr(v >= 0.95),
		Notes: fmt.Sprintf("%.1f p/s of %.0f; %d pages in %.1f s; sim peak concurrency %d of %d; %s",
			r.PagesPerSec(), h.ceiling(), r.Pages, r.Wall.Seconds(), r.PeakConc, h.o.Batch, coresNote(r))}
}

func (h *harness) many(ctx context.Context) ([]Row, error) {
	pdf, err := h.in.Mixed(h.sz.medium)
	if err != nil {
		return nil, err
	}
	files := slices.Repeat([]string{pdf}, h.sz.jobs)
	r, err := h.jobs(ctx, CaseMany, h.sim(), false, files, messages.ModeBalanced)
	if err != nil {
		return nil, err
	}
	secs := make([]float64, len(r.Jobs))
	for i, j := range r.Jobs {
		secs[i] = j.Seconds()
	}
	sort.Float64s(secs)
	spread := r.Spread().Seconds()
	return []Row{
		h.ceilingRow(CaseMany, fmt.Sprintf("%d jobs × %d pages: pages/s ÷ ceiling", h.sz.jobs, h.sz.medium), r),
		{Case: CaseMany, Figure: "spread of finish times ÷ wall time", Value: spread / r.Wall.Seconds(), Bar: "report",
			Notes: fmt.Sprintf("first job done after %.1f s, last after %.1f s (spread %.1f s)", secs[0], secs[len(secs)-1], spread)},
	}, nil
}

// smallRuns is how many times the small PDF runs; the median is reported,
// since one run of a second is at the mercy of a scheduler hiccup.
const smallRuns = 3

func (h *harness) small(ctx context.Context) ([]Row, error) {
	pdf, err := h.in.Mixed(h.sz.small)
	if err != nil {
		return nil, err
	}
	c, err := h.cluster(ctx, CaseSmall, h.sim(), false)
	if err != nil {
		return nil, err
	}
	defer c.Stop()
	var secs []float64
	for range smallRuns {
		r, err := c.runJobs(ctx, []string{pdf}, map[string]string{"accuracy_mode": messages.ModeBalanced}, caseLimit, nil)
		if err != nil {
			return nil, err
		}
		secs = append(secs, r.Jobs[0].Seconds())
	}
	sort.Float64s(secs)
	ideal := h.o.Latency.Seconds() * math.Ceil(float64(h.sz.small)/float64(h.o.Batch))
	v := secs[len(secs)/2] / ideal
	return []Row{{Case: CaseSmall, Figure: fmt.Sprintf("%d-page PDF: time to completed ÷ (latency × ⌈%d ÷ batch⌉)", h.sz.small, h.sz.small),
		Value: v, Bar: "≤ 1.5", Pass: ptr(v <= 1.5),
		Notes: fmt.Sprintf("median of %d runs %.2f s (runs %s), ideal %.2f s", smallRuns, secs[len(secs)/2], joinSeconds(secs), ideal)}}, nil
}

// instantBatch is the simulator's batch when it answers at once: large
// enough that it never queues, so only the pipeline limits the run.
const instantBatch = 512

func (h *harness) render(ctx context.Context) ([]Row, error) {
	pdf, err := h.in.Mixed(h.sz.big)
	if err != nil {
		return nil, err
	}
	r, err := h.jobs(ctx, CaseRender, ocrsim.Options{Batch: instantBatch}, false, []string{pdf}, messages.ModeBalanced)
	if err != nil {
		return nil, err
	}
	// The raw loop runs after the cluster has stopped, alone on the same cores.
	raw, err := RawRender(ctx, pdf, h.renderOptions())
	if err != nil {
		return nil, err
	}
	v := r.PagesPerSec() / raw.PagesPerSec()
	return []Row{{Case: CaseRender, Figure: fmt.Sprintf("%d pages, sim answering at once: pipeline p/s ÷ raw MuPDF loop p/s", h.sz.big),
		Value: v, Bar: "≥ 0.8", Pass: ptr(v >= 0.8),
		Notes: fmt.Sprintf("pipeline %.1f p/s (%s), one Go loop %.1f p/s (measure + render + encode, %s, %.0f KB/page)",
			r.PagesPerSec(), coresNote(r), raw.PagesPerSec(), cmp.Or(h.renderOptions().Format, render.FormatAuto), float64(raw.Bytes)/float64(raw.Pages)/1024)}}, nil
}

// renderOptions are the processes' render settings, for the raw loop.
func (h *harness) renderOptions() render.Options {
	o := render.Options{Format: h.o.Env["IMAGE_FORMAT"]}
	if v, err := strconv.ParseFloat(h.o.Env["RENDER_DPI"], 64); err == nil {
		o.DPI = v
	}
	if v, err := strconv.Atoi(h.o.Env["RENDER_MAX_PIXELS"]); err == nil {
		o.MaxPixels = v
	}
	return o
}

func (h *harness) memory(ctx context.Context) ([]Row, error) {
	if h.bigRun == nil {
		if _, err := h.big(ctx); err != nil {
			return nil, err
		}
	}
	pdf, err := h.in.Mixed(h.sz.medium)
	if err != nil {
		return nil, err
	}
	small, err := h.jobs(ctx, CaseMemory, h.sim(), false, []string{pdf}, messages.ModeBalanced)
	if err != nil {
		return nil, err
	}
	return memoryRows(h.sz, small, *h.bigRun), nil
}

// memoryRows compare the peak memory of the small and the big run: the
// largest ratio over the docparse roles, and Redis's used_memory_peak. A
// role's peak is the largest of its replicas': the two workers are the same
// process, and which of them renders a run's heaviest pages is chance (in
// the 100-page run one worker's peak moved between 122 and 161 MB).
func memoryRows(sz sizes, small, big RunResult) []Row {
	names := slices.Sorted(maps.Keys(big.PeakRSS))
	smallRole, bigRole := rolePeaks(small.PeakRSS), rolePeaks(big.PeakRSS)
	worst, notes := 0.0, []string{}
	for _, role := range slices.Sorted(maps.Keys(bigRole)) {
		if role != "redis-server" {
			worst = max(worst, float64(bigRole[role])/float64(smallRole[role]))
		}
	}
	for _, n := range names {
		notes = append(notes, fmt.Sprintf("%s %.0f→%.0f MB", n, mb(small.PeakRSS[n]), mb(big.PeakRSS[n])))
	}
	redis := float64(big.RedisPeak) / float64(small.RedisPeak)
	figure := fmt.Sprintf("%d vs %d pages", sz.medium, sz.big)
	return []Row{
		{Case: CaseMemory, Figure: figure + ": peak RSS, worst docparse role (largest replica), big ÷ small", Value: worst, Bar: "≤ 1.3", Pass: ptr(worst <= 1.3),
			Notes: "VmHWM " + strings.Join(notes, ", ")},
		{Case: CaseMemory, Figure: figure + ": Redis used_memory_peak, big ÷ small", Value: redis, Bar: "≤ 1.3", Pass: ptr(redis <= 1.3),
			Notes: fmt.Sprintf("%.1f→%.1f MB", mb(small.RedisPeak), mb(big.RedisPeak))},
	}
}

// rolePeaks is the largest peak of each role's processes, a role being a
// process name without its replica number (worker-2 is a worker).
func rolePeaks(peaks map[string]int64) map[string]int64 {
	roles := map[string]int64{}
	for name, rss := range peaks {
		role := name
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				role = name[:i]
			}
		}
		roles[role] = max(roles[role], rss)
	}
	return roles
}

func (h *harness) born(ctx context.Context) ([]Row, error) {
	pdf, err := h.in.BornDigital(h.sz.big)
	if err != nil {
		return nil, err
	}
	fast, err := h.jobs(ctx, CaseBorn+"-fast", h.sim(), false, []string{pdf}, messages.ModeFast)
	if err != nil {
		return nil, err
	}
	local, err := h.jobs(ctx, CaseBorn+"-local", h.sim(), true, []string{pdf}, messages.ModeFast)
	if err != nil {
		return nil, err
	}
	figure := fmt.Sprintf("born-digital %d pages", h.sz.big)
	return []Row{
		{Case: CaseBorn, Figure: figure + ", accuracy_mode=fast, vLLM sim", Value: fast.PagesPerSec(), Unit: "p/s", Bar: "report",
			Notes: fmt.Sprintf("%.1f s; %d pages sent to the sim; %s", fast.Wall.Seconds(), fast.Served, coresNote(fast))},
		{Case: CaseBorn, Figure: figure + ", INFERENCE_MODE=local", Value: local.PagesPerSec(), Unit: "p/s", Bar: "report",
			Notes: fmt.Sprintf("%.1f s; %s", local.Wall.Seconds(), coresNote(local))},
	}, nil
}

func ptr(b bool) *bool { return &b }

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func joinSeconds(s []float64) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprintf("%.2f", v)
	}
	return strings.Join(parts, ", ")
}

// coresNote says how many cores each part kept busy on average.
func coresNote(r RunResult) string {
	return fmt.Sprintf("cores busy %.2f (docparse %.2f, sim %.2f, redis %.2f)",
		r.CoresBusy, r.Cores["docparse"], r.Cores["sim"], r.Cores["redis"])
}
