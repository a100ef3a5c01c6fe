package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/metrics"
	"github.com/docparse/docparse/stages/render"
	"github.com/docparse/docparse/stages/route"
)

// windowWait is how long split waits for room in a job's window of rendered
// pages before it hands the rest of its range back to the stream.
const windowWait = 5 * time.Second

// split opens a job's PDF. For a whole job it counts the pages, starts the job
// and fans out page ranges; for a range it renders each page and sends it on.
func (w *Worker) split(msg *message.Message) error {
	m, err := messages.Decode[messages.JobSubmitted](msg.Payload)
	if err != nil {
		return permanent(err)
	}
	ctx := msg.Context()
	log := w.p.Logger.With(slog.String("stage", StageSplit), slog.String("job_id", m.JobID))
	job, err := w.p.Store.Get(ctx, m.JobID)
	if errors.Is(err, jobstore.ErrNotFound) {
		log.Info("job gone, message dropped")
		return nil
	}
	if err != nil {
		return err
	}
	if jobstore.Final(job.Status) {
		return nil
	}
	doc, err := w.openDoc(ctx, job)
	if inputError(err) {
		return w.failJob(ctx, log, job.ID, err)
	}
	if err != nil {
		return err
	}
	defer w.docs.put(job.ID, doc)
	if m.FromPage == 0 {
		return w.startJob(ctx, log, job, doc)
	}
	return w.renderRange(ctx, log, job, doc, m.FromPage, m.ToPage)
}

func (w *Worker) openDoc(ctx context.Context, job jobstore.Job) (*render.Doc, error) {
	return w.docs.get(job.ID, w.p.Render, func() (*render.Source, error) {
		start := time.Now()
		defer func() {
			w.p.Logger.Debug("upload loaded", slog.String("job_id", job.ID), slog.Duration("took", time.Since(start)))
		}()
		if job.Password != "" {
			return w.loadEncrypted(ctx, job)
		}
		return w.loadToFile(ctx, job)
	})
}

// loadToFile writes the upload to a file of the process's own, which MuPDF
// then reads as it renders: held in memory instead, a 16 MB upload and the
// garbage collector's headroom for it were a third of a worker's growth from
// a 100- to a 1000-page PDF. The annotation pre-check reads it on the way.
func (w *Worker) loadToFile(ctx context.Context, job jobstore.Job) (*render.Source, error) {
	f, err := w.uploads.Create("*.pdf")
	if err != nil {
		return nil, err
	}
	var scan render.AnnotScan
	_, err = w.p.Store.PDFTo(ctx, job.ID, io.MultiWriter(f, &scan))
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write upload file: %w", cerr)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return nil, fmt.Errorf("read upload: %w", err)
	}
	return render.LoadFile(f.Name(), &scan)
}

// loadEncrypted keeps a password-protected upload in memory: pdfcpu
// decrypts from bytes, and such uploads are small documents in practice.
func (w *Worker) loadEncrypted(ctx context.Context, job jobstore.Job) (*render.Source, error) {
	pdf, err := w.p.Store.PDF(ctx, job.ID)
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if !render.IsImage(pdf) { // an image has no password to remove
		if pdf, err = render.Decrypt(pdf, job.Password); err != nil {
			return nil, err
		}
	}
	return render.Load(pdf)
}

// startJob records the page count and publishes the ranges.
func (w *Worker) startJob(ctx context.Context, log *slog.Logger, job jobstore.Job, doc *render.Doc) error {
	total := doc.Pages()
	if w.p.MaxPages > 0 && total > w.p.MaxPages {
		return w.failJob(ctx, log, job.ID, fmt.Errorf("the PDF has %d pages, more than the limit of %d", total, w.p.MaxPages))
	}
	pages, err := selectedPages(job, total) // pagerange.go: page_range, or every page
	if err != nil {
		return w.failJob(ctx, log, job.ID, err)
	}
	// total_pages counts the selected pages, so progress and completion do.
	ok, err := w.p.Store.Start(ctx, job.ID, len(pages))
	if err != nil || !ok {
		return err
	}
	if err := w.p.Store.SetDocumentPages(ctx, job.ID, total); err != nil {
		return err
	}
	if err := w.forgetPassword(ctx, job); err != nil {
		return err
	}
	log.Info("job started", slog.Int("pages", len(pages)), slog.Int("document_pages", total))
	for _, r := range render.Runs(pages, w.rangeSize(ctx, len(pages))) {
		m := messages.JobSubmitted{V: messages.Version, JobID: job.ID, FromPage: r[0], ToPage: r[1]}
		if err := Publish(w.pub, messages.StreamJobs, m); err != nil {
			return err
		}
	}
	return nil
}

// renderRange renders pages from..to. When the job's window of rendered but
// unread pages stays full, the rest of the range goes back on the stream, so
// no handler blocks for long and memory stays bounded by the window. So does
// it when the handler's deadline is nearer than a page's budget: the
// deadline would stop the page being drawn and the whole range would be
// tried again, where a document of slow pages should move on.
func (w *Worker) renderRange(ctx context.Context, log *slog.Logger, job jobstore.Job, doc *render.Doc, from, to int) error {
	handBack := func(why string, n int) error {
		log.Debug(why+", range handed back", slog.Int("from_page", n), slog.Int("to_page", to))
		return Publish(w.pub, messages.StreamJobs, messages.JobSubmitted{V: messages.Version, JobID: job.ID, FromPage: n, ToPage: to})
	}
	for n := from; n <= to; n++ {
		if deadline, ok := ctx.Deadline(); ok && n > from && time.Until(deadline) < render.PageBudget(w.p.Render) {
			return handBack("handler time nearly spent", n)
		}
		room, err := w.waitForRoom(ctx, job.ID)
		if err != nil {
			return err
		}
		if !room {
			return handBack("window full", n)
		}
		if err := w.renderPage(ctx, job, doc, n); err != nil {
			if errors.Is(err, jobstore.ErrJobOver) {
				log.Debug("job over, rest of range dropped", slog.Int("from_page", n), slog.Int("to_page", to))
				return nil
			}
			if errors.Is(err, render.ErrPageRender) {
				return w.failJob(ctx, log, job.ID, err)
			}
			return err
		}
	}
	return nil
}

func (w *Worker) waitForRoom(ctx context.Context, jobID string) (bool, error) {
	deadline := time.Now().Add(windowWait)
	for {
		n, err := w.p.Store.InFlight(ctx, jobID)
		if err != nil {
			return false, err
		}
		if n < int64(w.p.Window) {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (w *Worker) renderPage(ctx context.Context, job jobstore.Job, doc *render.Doc, n int) error {
	page, err := doc.Measure(ctx, n)
	if err != nil {
		return err
	}
	out := messages.PageRendered{V: messages.Version, JobID: job.ID, Page: n, Mode: job.Mode, Features: page.Features}
	if !route.NeedsImage(route.Decide(job.Mode, page.Features), page.Features, w.p.Local) {
		out.TextLayer = page.TextLayer
		return Publish(w.pub, messages.StreamPages, out)
	}
	// A page read from its image goes without its text layer: no reader
	// looks at it then, and it would sit in two streams for STREAM_RETENTION
	// (a few KB a page: megabytes of Redis for a big document).
	if err := doc.Render(ctx, &page); err != nil {
		return err
	}
	key, err := w.p.Store.StoreImage(ctx, job.ID, n, page.Image, w.p.ImageTTL)
	if err != nil {
		return err
	}
	out.ImageKey, out.MIME = key, page.MIME
	return Publish(w.pub, messages.StreamPages, out)
}

// rangeSize spreads a small document over every split consumer a page at a
// time instead of in one range per consumer: a 10-page PDF in one 8-page
// range renders page after page while the other consumers idle, and even in
// ranges of three a page queued behind a photograph (half a second to
// measure, count and encode) reached the GPU that much later. Large
// documents keep SPLIT_RANGE_PAGES.
func (w *Worker) rangeSize(ctx context.Context, pages int) int {
	consumers, err := w.p.Redis.XInfoConsumers(ctx, messages.StreamJobs, StageSplit).Result()
	if err != nil || len(consumers) == 0 {
		return w.p.RangePages
	}
	if pages <= len(consumers)*w.p.RangePages {
		return 1
	}
	return w.p.RangePages
}

// forgetPassword stores the decrypted upload in place of the encrypted one
// before any range is published, so later opens need no password and the
// password leaves Redis.
func (w *Worker) forgetPassword(ctx context.Context, job jobstore.Job) error {
	if job.Password == "" {
		return nil
	}
	pdf, err := w.p.Store.PDF(ctx, job.ID)
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	if !render.IsPDF(pdf) {
		return nil
	}
	plain, err := render.Decrypt(pdf, job.Password)
	if err != nil {
		return err
	}
	return w.p.Store.ForgetPassword(ctx, job.ID, plain)
}

// inputError tells a problem of the upload itself, which fails its job, from
// a passing one (Redis away, shutdown), which is retried.
func inputError(err error) bool {
	for _, e := range []error{render.ErrBadPDF, render.ErrEncrypted, render.ErrNoPages, render.ErrTruncated, render.ErrWrongPassword, render.ErrPageRender, render.ErrBadImage, render.ErrPageRange} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// failJob ends a job whose input cannot be processed. The message is
// acknowledged: the failure belongs to the job, not to the worker.
func (w *Worker) failJob(ctx context.Context, log *slog.Logger, jobID string, cause error) error {
	log.Warn("job failed", slog.String("error", cause.Error()))
	moved, err := w.p.Store.Finish(ctx, jobID, jobstore.StatusFailed, cause.Error(), nil)
	if err != nil || !moved {
		return err
	}
	metrics.JobsTotal.WithLabelValues(metrics.OutcomeFailed).Inc()
	return Publish(w.pub, messages.StreamFinished, messages.JobFinished{V: messages.Version, JobID: jobID, Status: jobstore.StatusFailed, Error: cause.Error()})
}
