// Package bench is docparse's benchmark harness (`docparse bench`, `make
// bench`): it builds its input PDFs, starts its own redis-server, simulated
// vLLM servers and docparse processes, runs the cases of issue 5 and prints
// one table. Every figure is a ratio of two things measured in the same run,
// so it holds on a noisy machine; nothing here asserts a time.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Case names, in the order they run.
const (
	CaseBig    = "big"    // 1000-page PDF against the batch-32 simulator
	CaseMany   = "many"   // 10 jobs of 100 pages at once
	CaseSmall  = "small"  // a 10-page PDF: time to completed
	CaseRender = "render" // 1000 pages, simulator answering at once, against raw MuPDF
	CaseMemory = "memory" // peak memory, 100 against 1000 pages
	CaseBorn   = "born"   // born-digital 1000 pages, fast mode and local mode
)

// AllCases in running order.
var AllCases = []string{CaseBig, CaseMany, CaseSmall, CaseRender, CaseMemory, CaseBorn}

// Options configure a harness run.
type Options struct {
	Bin        string            // the docparse binary the processes run
	Samples    string            // folder of sample PDFs (../shared/pdfs)
	Work       string            // folder for inputs, logs and Redis; a temporary one when empty
	Quick      bool              // a tiny version of every case, for CI
	Cases      []string          // default AllCases
	ProfileDir string            // when set, CPU profiles of every process are written here
	Env        map[string]string // settings for the docparse processes on top of the tuned defaults
	Latency    time.Duration     // simulator service time; default 1s (quick: 200ms)
	Batch      int               // simulator batch; default 32 (quick: 8)
	Workers    int               // worker processes beside the API; default 2
	Logger     *slog.Logger
}

// sizes are a run's document sizes: the issue's, or tiny ones for --quick.
type sizes struct {
	big, medium, jobs, small int
	profileSeconds           int
}

func (o Options) sizes() sizes {
	if o.Quick {
		return sizes{big: 40, medium: 12, jobs: 3, small: 10, profileSeconds: 2}
	}
	return sizes{big: 1000, medium: 100, jobs: 10, small: 10, profileSeconds: 15}
}

func (o Options) withDefaults() Options {
	if len(o.Cases) == 0 {
		o.Cases = AllCases
	}
	if o.Latency <= 0 {
		o.Latency = time.Second
		if o.Quick {
			o.Latency = 200 * time.Millisecond
		}
	}
	if o.Batch <= 0 {
		o.Batch = 32
		if o.Quick {
			o.Batch = 8
		}
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Env == nil {
		o.Env = map[string]string{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Report is the outcome of a run: one row per figure, and the setting it ran with.
type Report struct {
	Machine  Machine
	Settings map[string]string
	Rows     []Row
	Elapsed  time.Duration
}

// Row is one figure of the table.
type Row struct {
	Case   string
	Figure string
	Value  float64
	Unit   string // printed after the value ("", "p/s", "s")
	Bar    string // "≥ 0.95", "≤ 1.5", or "report"
	Pass   *bool  // nil when the figure has no bar
	Notes  string // what was measured beside it
}

// Run runs the selected cases and returns the table.
func Run(ctx context.Context, o Options) (Report, error) {
	o = o.withDefaults()
	for _, c := range o.Cases {
		if !slices.Contains(AllCases, c) {
			return Report{}, fmt.Errorf("unknown case %q (want some of %s)", c, strings.Join(AllCases, ","))
		}
	}
	if o.Work == "" {
		dir, err := os.MkdirTemp("", "docparse-bench")
		if err != nil {
			return Report{}, fmt.Errorf("work folder: %w", err)
		}
		defer os.RemoveAll(dir)
		o.Work = dir
	}
	if o.ProfileDir != "" {
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return Report{}, fmt.Errorf("profile folder: %w", err)
		}
	}
	h := &harness{o: o, sz: o.sizes(), in: Inputs{Dir: filepath.Join(o.Work, "inputs"), Samples: o.Samples}}
	start := time.Now()
	rep := Report{Machine: ReadMachine(), Settings: h.settings()}
	for _, c := range o.Cases {
		o.Logger.Info("bench case", slog.String("case", c))
		rows, err := h.run(ctx, c)
		if err != nil {
			return rep, fmt.Errorf("case %s: %w", c, err)
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// Print writes the report as Markdown.
func (r Report) Print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "machine: %d cores (%s), %.1f GiB memory, %s\n", m.Cores, m.CPU, float64(m.MemBytes)/(1<<30), m.Kernel)
	keys := make([]string, 0, len(r.Settings))
	for k := range r.Settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var kv []string
	for _, k := range keys {
		kv = append(kv, k+"="+r.Settings[k])
	}
	fmt.Fprintf(w, "settings: %s\n\n", strings.Join(kv, " "))
	fmt.Fprintln(w, "| case | figure | value | bar | ok | measured beside it |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	for _, row := range r.Rows {
		ok := "–"
		if row.Pass != nil {
			ok = map[bool]string{true: "yes", false: "**no**"}[*row.Pass]
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", row.Case, row.Figure, formatValue(row.Value, row.Unit), row.Bar, ok, row.Notes)
	}
	fmt.Fprintf(w, "\nharness run took %s\n", r.Elapsed.Round(time.Second))
}

func formatValue(v float64, unit string) string {
	s := fmt.Sprintf("%.2f", v)
	if v >= 100 {
		s = fmt.Sprintf("%.0f", v)
	}
	if unit != "" {
		s += " " + unit
	}
	return s
}
