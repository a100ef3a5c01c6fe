package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	httpapi "github.com/docparse/docparse/http"
	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/webhook"
)

// StageWebhook consumes docparse.finished and POSTs each job's status
// document to its callback_url. It is a stage of its own (consumer group
// "webhook") so that slow or dead receivers never hold up the pipeline, and
// so it can run on the machines that may reach the receivers.
const StageWebhook = "webhook"

// webhookConsumers are the deliveries in flight per process: a receiver that
// is down holds one consumer for up to WEBHOOK_RETRY_FOR.
const webhookConsumers = 4

// deliver sends the notification of one finished job, retrying with backoff
// within the sender's bounded time, and records every attempt on the job.
// Redelivery of the message (a crash) continues the count and never sends a
// notification that was delivered already.
func (w *Worker) deliver(msg *message.Message) error {
	m, err := messages.Decode[messages.JobFinished](msg.Payload)
	if err != nil {
		return permanent(err)
	}
	ctx := msg.Context()
	log := w.p.Logger.With(slog.String("stage", StageWebhook), slog.String("job_id", m.JobID))
	job, err := w.p.Store.Get(ctx, m.JobID)
	if errors.Is(err, jobstore.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// A job retried since this message was written is announced again when
	// it ends; a stale announcement is dropped.
	if job.CallbackURL == "" || !jobstore.Final(job.Status) || job.Status != m.Status {
		return nil
	}
	body, err := json.Marshal(httpapi.StatusOf(job))
	if err != nil {
		return permanent(err)
	}
	d := webhook.Delivery{URL: job.CallbackURL, ID: deliveryID(job), Event: "job." + job.Status, Body: body}
	return w.attemptDelivery(ctx, log, job.ID, d)
}

func (w *Worker) attemptDelivery(ctx context.Context, log *slog.Logger, jobID string, d webhook.Delivery) error {
	s := w.webhooks
	prior, err := w.p.Store.WebhookAttempts(ctx, jobID)
	if err != nil {
		return err
	}
	n := 0
	for _, a := range prior {
		if a.Delivery == d.ID {
			if a.Delivered {
				return nil
			}
			n++
		}
	}
	deadline := time.Now().Add(s.Options().RetryFor)
	for {
		n++
		start := time.Now()
		code, err := s.Post(ctx, d)
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: another consumer takes it over
		}
		a := jobstore.WebhookAttempt{Delivery: d.ID, Event: d.Event, Attempt: n, URL: d.URL, At: jobstore.Now(),
			StatusCode: code, Seconds: time.Since(start).Seconds(), Delivered: err == nil}
		if err != nil {
			a.Error = err.Error()
		}
		if rerr := w.p.Store.AddWebhookAttempt(ctx, jobID, a); rerr != nil {
			return rerr
		}
		if err == nil {
			log.Info("webhook delivered", slog.Int("attempt", n), slog.Int("status_code", code))
			return nil
		}
		wait := s.Backoff(n)
		if errors.Is(err, webhook.ErrRefused) || time.Now().Add(wait).After(deadline) {
			log.Warn("webhook given up", slog.Int("attempts", n), slog.String("error", err.Error()))
			return nil
		}
		log.Info("webhook attempt failed", slog.Int("attempt", n), slog.Duration("retry_in", wait), slog.String("error", err.Error()))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// deliveryID names one announcement of one job: a job completed again after
// a retry of its failed pages is a new delivery.
func deliveryID(j jobstore.Job) string {
	sum := sha256.Sum256([]byte(j.ID + "|" + j.Status + "|" + j.CompletedAt))
	return j.ID + "-" + hex.EncodeToString(sum[:6])
}

// webhookTimeout bounds one handler run: every attempt and wait, within the
// time after which another consumer would claim the message.
func (w *Worker) webhookTimeout() time.Duration {
	o := w.webhooks.Options()
	t := o.RetryFor + o.Timeout + 10*time.Second
	if w.p.ClaimIdle > 20*time.Second {
		t = min(t, w.p.ClaimIdle-10*time.Second)
	}
	return t
}
