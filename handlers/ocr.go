package handlers

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/metrics"
	"github.com/docparse/docparse/stages/read"
)

// readyWait bounds how long one handler waits for a down OCR server before it
// hands its message back.
const readyWait = 10 * time.Second

// ocr returns the handler of one OCR stage: it reads the page with the
// stage's engine and sends the result, or the final error, to assemble.
func (w *Worker) ocr(engine string, e read.Engine) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		m, err := messages.Decode[messages.PageRouted](msg.Payload)
		if err != nil {
			return permanent(err)
		}
		ctx := msg.Context()
		if live, err := w.jobLive(ctx, m.JobID); err != nil || !live {
			return err
		}
		if err := waitReady(ctx, e); err != nil {
			return err
		}
		done := w.readPage(ctx, engine, e, m)
		if done.Error != "" && ctx.Err() != nil {
			// Shutting down or timed out: hand the page back rather than record a failure.
			return ctx.Err()
		}
		if done.Error != "" && serverDown(ctx, e) {
			// The server went away during the read: the page waits for it
			// like pages that had not started, rather than fail its job.
			return errWait
		}
		return Publish(w.pub, messages.StreamDone, done)
	}
}

func (w *Worker) readPage(ctx context.Context, engine string, e read.Engine, m messages.PageRouted) messages.PageDone {
	log := w.p.Logger.With(slog.String("stage", "ocr-"+engine), slog.String("job_id", m.JobID), slog.Int("page", m.Page))
	done := messages.PageDone{V: messages.Version, JobID: m.JobID, Page: m.Page, Engine: engine}
	start := time.Now()
	page := read.Page{JobID: m.JobID, Page: m.Page, MIME: m.MIME, TextLayer: m.TextLayer}
	if m.ImageKey != "" {
		img, err := w.p.Store.Image(ctx, m.ImageKey)
		if err != nil {
			done.Error = "page image unavailable: " + err.Error()
			log.Warn("page image unavailable", slog.String("error", err.Error()))
			return done
		}
		page.Image = img
	}
	inFlight := metrics.OCRInFlight.WithLabelValues(engine)
	inFlight.Inc()
	res, err := e.Read(ctx, page)
	inFlight.Dec()
	done.Seconds = time.Since(start).Seconds()
	metrics.OCRRequestSeconds.WithLabelValues(engine).Observe(done.Seconds)
	if err != nil {
		metrics.OCRErrorsTotal.WithLabelValues(engine).Inc()
		done.Error = err.Error()
		log.Warn("page read failed", slog.String("error", err.Error()))
		return done
	}
	done.Markdown, done.Reader = res.Markdown, res.Reader
	done.Markdown = w.placeImages(ctx, log, m.JobID, m.Page, page.Image, done.Markdown) // images.go
	log.Debug("page read", slog.Float64("seconds", done.Seconds), slog.String("reader", res.Reader))
	return done
}

// readiness is implemented by engines behind a server that can be down.
type readiness interface {
	Ready(ctx context.Context) error
}

// serverDown reports whether the engine's server does not answer now.
func serverDown(ctx context.Context, e read.Engine) bool {
	r, ok := e.(readiness)
	return ok && r.Ready(ctx) != nil
}

// waitReady holds a page while its OCR server is unreachable, then hands the
// message back (errWait) without counting a failure against the page.
func waitReady(ctx context.Context, e read.Engine) error {
	r, ok := e.(readiness)
	if !ok {
		return nil
	}
	deadline := time.Now().Add(readyWait)
	for {
		if err := r.Ready(ctx); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return errWait
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// jobLive reports whether a job still wants work. Messages of cancelled,
// failed, completed or expired jobs are acknowledged and dropped.
func (w *Worker) jobLive(ctx context.Context, id string) (bool, error) {
	st, err := w.p.Store.Status(ctx, id)
	if errors.Is(err, jobstore.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !jobstore.Final(st), nil
}
