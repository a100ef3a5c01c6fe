package handlers

import (
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/stages/route"
)

// classify routes a rendered page: to an OCR stage, or straight to assemble
// when its text layer answers it.
func (w *Worker) classify(msg *message.Message) error {
	m, err := messages.Decode[messages.PageRendered](msg.Payload)
	if err != nil {
		return permanent(err)
	}
	ctx := msg.Context()
	if live, err := w.jobLive(ctx, m.JobID); err != nil || !live {
		return err
	}
	d := route.Decide(m.Mode, m.Features)
	w.p.Logger.Debug("page routed", slog.String("stage", StageClassify), slog.String("job_id", m.JobID),
		slog.Int("page", m.Page), slog.String("engine", d.Engine), slog.String("reason", d.Reason))
	if d.Engine == messages.EngineTextLayer {
		start := time.Now()
		return Publish(w.pub, messages.StreamDone, messages.PageDone{V: messages.Version, JobID: m.JobID, Page: m.Page,
			Engine: messages.EngineTextLayer, Reader: "textlayer", Markdown: m.TextLayer, Seconds: time.Since(start).Seconds()})
	}
	stream := messages.StreamDeepSeek
	if d.Engine == messages.EngineNanonets {
		stream = messages.StreamNanonets
	}
	return Publish(w.pub, stream, messages.PageRouted{V: messages.Version, JobID: m.JobID, Page: m.Page, Engine: d.Engine,
		Reason: d.Reason, ImageKey: m.ImageKey, MIME: m.MIME, TextLayer: m.TextLayer})
}
