package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/docparse/docparse/client"
	httpapi "github.com/docparse/docparse/http"
	"github.com/docparse/docparse/stages/assemble"
)

type parseOpts struct {
	outDir, format, mode, server, apiKey, password string
	parallel                                       int
}

func parseCmd() *cobra.Command {
	var o parseOpts
	cmd := &cobra.Command{
		Use:   "parse FILE...",
		Short: "Upload files to a running docparse, show live progress, and write each result",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			return runParse(cmd.Context(), cmd.OutOrStdout(), o, files)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.outDir, "output", "o", "", "directory for results (default: next to each input)")
	f.StringVar(&o.format, "format", "markdown", "output format: markdown, json, html or text")
	f.StringVar(&o.mode, "mode", "", "accuracy mode: fast, balanced or accurate (default: the server's)")
	f.StringVar(&o.server, "server", envOr("DOCPARSE_SERVER", "http://127.0.0.1:1233"), "docparse API base URL")
	f.StringVar(&o.apiKey, "api-key", os.Getenv("DOCPARSE_API_KEY"), "API key, when the server requires one")
	f.StringVar(&o.password, "password", "", "password for encrypted PDFs")
	f.IntVar(&o.parallel, "parallel", 4, "files in flight at once")
	return cmd
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// progressView shows each file's pages done of total, per engine.
type progressView interface {
	update(file string, s httpapi.Status)
	wait()
}

func runParse(ctx context.Context, out io.Writer, o parseOpts, files []string) error {
	if _, ok := assemble.Formats[o.format]; !ok {
		return fmt.Errorf("--format %q: want one of %s", o.format, strings.Join(assemble.FormatNames, ", "))
	}
	c := client.New(o.server, o.apiKey)
	view := newProgressView(out)
	sem := make(chan struct{}, max(o.parallel, 1))
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for _, file := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := parseOne(ctx, c, view, o, file); err != nil {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("%s: %v", file, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	view.wait()
	for _, f := range failures {
		fmt.Fprintln(out, "FAILED", f)
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d of %d files failed", len(failures), len(files))
	}
	return nil
}

func parseOne(ctx context.Context, c *client.Client, view progressView, o parseOpts, file string) error {
	sub, err := c.Submit(ctx, file, map[string]string{"output_format": o.format, "accuracy_mode": o.mode, "password": o.password})
	if err != nil {
		return err
	}
	st, err := waitJob(ctx, c, sub.JobID, func(s httpapi.Status) { view.update(file, s) })
	if err != nil {
		return err
	}
	if st.Status != "completed" {
		reason := st.Status
		if st.Error != nil {
			reason += ": " + *st.Error
		}
		return errors.New(reason)
	}
	body, err := c.Download(ctx, sub.JobID)
	if err != nil {
		return err
	}
	dir := o.outDir
	if dir == "" {
		dir = filepath.Dir(file)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)) + assemble.Formats[o.format].Ext
	return os.WriteFile(filepath.Join(dir, name), body, 0o644)
}

// waitJob polls a job until it ends, reporting each status.
func waitJob(ctx context.Context, c *client.Client, id string, report func(httpapi.Status)) (httpapi.Status, error) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		st, err := c.Status(ctx, id)
		if err != nil {
			return st, err
		}
		report(st)
		switch st.Status {
		case "completed", "failed", "cancelled":
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-t.C:
		}
	}
}

func newProgressView(out io.Writer) progressView {
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barView{p: mpb.New(mpb.WithOutput(out)), bars: map[string]*mpb.Bar{}, last: map[string]httpapi.Status{}}
	}
	return &lineView{out: out, last: map[string]string{}}
}

// barView draws a live bar per file on a terminal.
type barView struct {
	mu   sync.Mutex
	p    *mpb.Progress
	bars map[string]*mpb.Bar
	last map[string]httpapi.Status
}

func (v *barView) update(file string, s httpapi.Status) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.last[file] = s
	b, ok := v.bars[file]
	if !ok {
		b = v.p.AddBar(0,
			mpb.PrependDecorators(decor.Name(filepath.Base(file), decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d pages")),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
				v.mu.Lock()
				defer v.mu.Unlock()
				return engines(v.last[file])
			})))
		v.bars[file] = b
	}
	if s.Progress.TotalPages > 0 {
		b.SetTotal(int64(s.Progress.TotalPages), false)
	}
	b.SetCurrent(int64(s.Progress.CurrentPage))
	switch s.Status {
	case "completed", "failed", "cancelled":
		b.SetTotal(int64(max(s.Progress.TotalPages, s.Progress.CurrentPage)), true)
	}
}

func (v *barView) wait() { v.p.Wait() }

// lineView prints a line whenever a file's progress changes, for logs and pipes.
type lineView struct {
	mu   sync.Mutex
	out  io.Writer
	last map[string]string
}

func (v *lineView) update(file string, s httpapi.Status) {
	line := fmt.Sprintf("%s: %s %d/%d pages (%s)", filepath.Base(file), s.Status, s.Progress.CurrentPage, s.Progress.TotalPages, engines(s))
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.last[file] != line {
		v.last[file] = line
		fmt.Fprintln(v.out, line)
	}
}

func (v *lineView) wait() {}

func engines(s httpapi.Status) string {
	p := s.Progress
	return fmt.Sprintf("deepseek %d, nanonets %d, textlayer %d", p.DeepSeekPages, p.NanonetsPages, p.TextLayer)
}
