// Package handlers wires the stages to Redis Streams: each handler takes a
// message, calls its stage, updates job state and publishes what follows.
// One Watermill router per process; one consumer group per stage.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/metrics"
	"github.com/docparse/docparse/stages/read"
	"github.com/docparse/docparse/stages/render"
	"github.com/docparse/docparse/uploaddir"
	"github.com/docparse/docparse/webhook"
)

// Stage names, which are also the consumer group names.
const (
	StageSplit       = "split"
	StageClassify    = "classify"
	StageOCRDeepSeek = "ocr-deepseek"
	StageOCRNanonets = "ocr-nanonets"
	StageAssemble    = "assemble"
)

// AllStages in pipeline order. The webhook stage (webhook.go) comes last: it
// reads docparse.finished, which no other stage consumes.
var AllStages = []string{StageSplit, StageClassify, StageOCRDeepSeek, StageOCRNanonets, StageAssemble, StageWebhook}

// StageStream is the stream each stage consumes.
var StageStream = map[string]string{
	StageSplit:       messages.StreamJobs,
	StageClassify:    messages.StreamPages,
	StageOCRDeepSeek: messages.StreamDeepSeek,
	StageOCRNanonets: messages.StreamNanonets,
	StageAssemble:    messages.StreamDone,
	StageWebhook:     messages.StreamFinished,
}

// Params build a Worker.
type Params struct {
	Redis  redis.UniversalClient
	Store  *jobstore.Store
	Logger *slog.Logger

	Stages         []string
	Consumers      int // consumers per split, classify and assemble stage
	OCRConsumers   int // consumers per OCR stage: requests in flight per engine
	Engines        map[string]read.Engine
	Local          bool // engines read the text layer themselves
	Render         render.Options
	RangePages     int
	Window         int
	ImageTTL       time.Duration
	ClaimIdle      time.Duration
	AllowPartial   bool
	MaxPages       int
	StreamMaxLen   int64
	CloseTimeout   time.Duration
	HandlerTimeout time.Duration   // bound on one non-OCR handler run
	HeartbeatTTL   time.Duration   // a dead process's messages are claimed 1.5 TTL after its last beat; default 10s
	StreamKeep     time.Duration   // acknowledged stream entries older than this are trimmed; 0 keeps them
	Webhooks       webhook.Options // the webhook stage's delivery policy (webhook.go)
}

// Worker runs the stage consumers of one process.
type Worker struct {
	p         Params
	router    *message.Router
	pub       message.Publisher
	heartbeat *Heartbeat
	trimmer   *Trimmer
	prefix    string
	docs      *docCache
	uploads   uploaddir.Dir // uploads being rendered, as files
	webhooks  *webhook.Sender
}

// NewWorker builds the router with a handler per consumer.
func NewWorker(p Params) (*Worker, error) {
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	wlog := newWatermillLogger(p.Logger)
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: p.CloseTimeout}, wlog)
	if err != nil {
		return nil, fmt.Errorf("new router: %w", err)
	}
	pub, err := NewPublisher(p.Redis, p.StreamMaxLen, wlog)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	w := &Worker{p: p, router: router, pub: pub, docs: newDocCache(4), webhooks: webhook.New(p.Webhooks),
		prefix: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), uuid.NewString()[:4])}
	if w.p.HeartbeatTTL <= 0 {
		w.p.HeartbeatTTL = DefaultHeartbeatTTL
	}
	w.heartbeat = &Heartbeat{rdb: p.Redis, prefix: w.prefix, ttl: w.p.HeartbeatTTL, logger: p.Logger}
	w.trimmer = &Trimmer{rdb: p.Redis, keep: p.StreamKeep, every: trimEvery(p.StreamKeep), logger: p.Logger}
	if err := w.addMiddleware(); err != nil {
		return nil, err
	}
	for _, stage := range p.Stages {
		if err := w.addStage(stage, wlog); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (w *Worker) addMiddleware() error {
	// A passing failure (Redis away, shutdown, OCR server down) is handed
	// back, never poisoned: poisoning acknowledges the message, and a page
	// poisoned because Redis blinked would leave its job waiting forever.
	poison, err := middleware.PoisonQueueWithFilter(detachedPublisher{w.pub}, messages.StreamPoison, func(err error) bool {
		return !transient(err)
	})
	if err != nil {
		return fmt.Errorf("poison queue: %w", err)
	}
	retry := middleware.Retry{
		MaxRetries:      3,
		InitialInterval: 200 * time.Millisecond,
		MaxInterval:     5 * time.Second,
		Multiplier:      2,
		// The stage's Timeout middleware sits inside Retry and cancels the
		// message context when an attempt returns: without the reset every
		// retry ran with a cancelled context and failed at once.
		ResetContextOnRetry: true,
		// No Logger: logAttempt logs each failed attempt with its job and page.
		ShouldRetry: func(rp middleware.RetryParams) bool {
			var perm errPermanent
			return !errors.As(rp.Err, &perm) && !errors.Is(rp.Err, errWait) && !errors.Is(rp.Err, context.Canceled)
		},
	}
	metrics.AddRouterMetrics(w.router) // first, so it measures whole handlings, retries included
	w.router.AddMiddleware(middleware.Recoverer, poison, w.logPoisoned, retry.Middleware, w.logAttempt, rejectUndecodable)
	return nil
}

// rejectUndecodable sends entries the unmarshaller flagged straight to poison.
func rejectUndecodable(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		if reason := msg.Metadata.Get(undecodableKey); reason != "" {
			return nil, permanent(fmt.Errorf("undecodable stream entry: %s", reason))
		}
		return h(msg)
	}
}

func (w *Worker) addStage(stage string, wlog watermill.LoggerAdapter) error {
	fn, n, timeout, err := w.stageHandler(stage)
	if err != nil {
		return err
	}
	idle, dead := w.p.ClaimIdle, deadAfter(w.p.HeartbeatTTL)
	for i := range n {
		consumer := fmt.Sprintf("%s~%s-%d", w.prefix, stage, i)
		// redisstream only looks at (and XCLAIMs with MinIdle) messages idle
		// past MaxIdleTime, so it must be the short dead-process threshold;
		// claimPolicy keeps messages of live processes until the long limit.
		cfg := subscriberConfig(w.p.Redis, stage, consumer, min(dead, idle), claimPolicy(w.p.Redis, idle, dead))
		sub, err := redisstream.NewSubscriber(cfg, wlog)
		if err != nil {
			return fmt.Errorf("subscriber %s: %w", consumer, err)
		}
		h := w.router.AddConsumerHandler(consumer, StageStream[stage], sub, fn)
		h.AddMiddleware(metrics.StageTimer(stage), middleware.Timeout(timeout))
	}
	return nil
}

func (w *Worker) stageHandler(stage string) (message.NoPublishHandlerFunc, int, time.Duration, error) {
	t := w.p.HandlerTimeout
	switch stage {
	case StageSplit:
		return w.split, w.p.Consumers, t, nil
	case StageClassify:
		return w.classify, w.p.Consumers, t, nil
	case StageAssemble:
		return w.assemble, w.p.Consumers, t, nil
	case StageWebhook:
		return w.deliver, webhookConsumers, w.webhookTimeout(), nil
	case StageOCRDeepSeek, StageOCRNanonets:
		engine := engineOf(stage)
		e, ok := w.p.Engines[engine]
		if !ok {
			return nil, 0, 0, fmt.Errorf("stage %s: no %s engine configured", stage, engine)
		}
		return w.ocr(engine, e), w.p.OCRConsumers, w.p.ClaimIdle - 10*time.Second, nil
	}
	return nil, 0, 0, fmt.Errorf("unknown stage %q (want one of %v)", stage, AllStages)
}

func engineOf(stage string) string {
	if stage == StageOCRNanonets {
		return messages.EngineNanonets
	}
	return messages.EngineDeepSeek
}

// Run consumes until ctx ends, then stops taking messages and waits up to
// CloseTimeout for handlers in flight; unacknowledged messages are claimed by
// another consumer later.
func (w *Worker) Run(ctx context.Context) error {
	bgCtx, stopBG := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	bg.Go(func() { w.heartbeat.Run(bgCtx) })
	bg.Go(func() { w.trimmer.Run(bgCtx) })
	defer func() { stopBG(); bg.Wait(); w.docs.closeAll(); w.uploads.Remove() }()
	if err := w.router.Run(ctx); err != nil {
		return fmt.Errorf("router: %w", err)
	}
	return nil
}

// Running is closed once every consumer is subscribed.
func (w *Worker) Running() chan struct{} { return w.router.Running() }
