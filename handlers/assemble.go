package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/metrics"
	"github.com/docparse/docparse/stages/assemble"
	"github.com/docparse/docparse/stats"
)

// assemble records a page once and, when the last page lands, writes the
// document and ends the job. Redelivered pages change nothing; a crash between
// the last page and the result is repaired by the redelivery, because
// finishing is tried whenever every page is in.
func (w *Worker) assemble(msg *message.Message) error {
	m, err := messages.Decode[messages.PageDone](msg.Payload)
	if err != nil {
		return permanent(err)
	}
	ctx := msg.Context()
	log := w.p.Logger.With(slog.String("stage", StageAssemble), slog.String("job_id", m.JobID), slog.Int("page", m.Page))
	prog, err := w.p.Store.RecordPage(ctx, m.JobID, jobstore.PageResult{Page: m.Page, Engine: m.Engine, Reader: m.Reader,
		Markdown: m.Markdown, Seconds: m.Seconds, Error: m.Error})
	if errors.Is(err, jobstore.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !prog.New {
		log.Debug("duplicate page ignored")
	} else {
		w.countPage(ctx, log, m)
	}
	if jobstore.Final(prog.Status) || prog.Total == 0 || prog.Done < prog.Total {
		return nil
	}
	return w.finishJob(ctx, log, m.JobID)
}

func (w *Worker) finishJob(ctx context.Context, log *slog.Logger, id string) error {
	job, err := w.p.Store.Get(ctx, id)
	if err != nil {
		return err
	}
	stored, err := w.p.Store.Pages(ctx, id)
	if err != nil {
		return err
	}
	pages := make([]assemble.Page, len(stored))
	var failed []string
	for i, p := range stored {
		pages[i] = assemble.Page(p)
		if p.Error != "" {
			failed = append(failed, fmt.Sprintf("page %d: %s", p.Page, p.Error))
		}
	}
	status, errMsg, result := jobstore.StatusCompleted, "", []byte(nil)
	if len(failed) > 0 {
		errMsg = fmt.Sprintf("%d of %d pages failed: %s", len(failed), len(pages), strings.Join(failed, "; "))
	}
	if len(failed) > 0 && !w.p.AllowPartial {
		status = jobstore.StatusFailed
	} else if result, err = assemble.RenderDoc(job.Format, metaOf(job), pages); err != nil { // outputs.go
		return permanent(err)
	}
	moved, err := w.p.Store.Finish(ctx, id, status, errMsg, result)
	if err != nil || !moved {
		return err
	}
	metrics.JobsTotal.WithLabelValues(status).Inc()
	log.Info("job finished", slog.String("status", status), slog.Int("pages", len(pages)), slog.Int("failed_pages", len(failed)))
	return Publish(w.pub, messages.StreamFinished, messages.JobFinished{V: messages.Version, JobID: id, Status: status, Error: errMsg})
}

// countPage feeds a newly recorded page to Prometheus and to the dashboard's
// per-minute series. A lost stats write costs a chart point, not the page.
func (w *Worker) countPage(ctx context.Context, log *slog.Logger, m messages.PageDone) {
	outcome := metrics.OutcomeOK
	if m.Error != "" {
		outcome = metrics.OutcomeFailed
	}
	metrics.PagesTotal.WithLabelValues(m.Engine, outcome).Inc()
	if err := stats.RecordPage(ctx, w.p.Redis, m.Engine, m.Seconds, m.Error != ""); err != nil {
		log.Warn("page stats not recorded", slog.String("error", err.Error()))
	}
}
