package handlers

import (
	"encoding/json"
	"log/slog"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
)

// pageRef is what every message says about its job and page.
type pageRef struct {
	JobID string `json:"job_id"`
	Page  int    `json:"page"`
}

// msgAttrs names a message's stage, job and page in log lines. Watermill's
// own retry and poison logs know only message uuids; these lines let an
// operator grep one job or one page.
func msgAttrs(msg *message.Message) []any {
	var ref pageRef
	_ = json.Unmarshal(msg.Payload, &ref)
	attrs := []any{slog.String("stage", stageOfHandler(message.HandlerNameFromCtx(msg.Context()))),
		slog.String("job_id", ref.JobID), slog.String("message_uuid", msg.UUID)}
	if ref.Page > 0 {
		attrs = append(attrs, slog.Int("page", ref.Page))
	}
	return attrs
}

// stageOfHandler reads the stage out of a consumer name "<prefix>~<stage>-<i>".
func stageOfHandler(name string) string {
	name = name[strings.LastIndex(name, "~")+1:]
	if i := strings.LastIndex(name, "-"); i > 0 {
		return name[:i]
	}
	return name
}

// logAttempt logs each failed handler attempt (inside the retry middleware)
// with the message's stage, job and page. A message handed back for a passing
// reason (OCR server down, shutdown, Redis away) is routine and logged at debug.
func (w *Worker) logAttempt(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if err != nil {
			level := slog.LevelWarn
			if transient(err) {
				level = slog.LevelDebug
			}
			w.p.Logger.Log(msg.Context(), level, "handler attempt failed", append(msgAttrs(msg), slog.String("error", err.Error()))...)
		}
		return out, err
	}
}

// logPoisoned logs a message that failed every retry (outside the retry
// middleware, inside the poison queue), which therefore goes to docparse.poison.
func (w *Worker) logPoisoned(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if err != nil && !transient(err) { // the poison queue's own filter
			w.p.Logger.Error("message poisoned", append(msgAttrs(msg), slog.String("error", err.Error()))...)
		}
		return out, err
	}
}
