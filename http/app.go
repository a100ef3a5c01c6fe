// Package httpapi is docparse's Fiber application: uploads become jobs on the
// docparse.jobs stream, and job state is read back from Redis.
package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/uploaddir"
	"github.com/docparse/docparse/webhook"
)

// Params build the app.
type Params struct {
	Store         *jobstore.Store
	Publisher     message.Publisher
	Logger        *slog.Logger
	DefaultMode   string
	DefaultFormat string
	MaxUploadMB   int
	SyncTimeout   time.Duration
	// Ready reports whether the engines behind the OCR stages answer; nil means
	// this process does not know (API-only), which /readyz does not hold against it.
	Ready func(ctx context.Context) map[string]error
	// MaxPages rejects an upload with more pages with 422 (0: no limit).
	MaxPages int
	// RangePages is SPLIT_RANGE_PAGES: retried pages go back to split in
	// ranges of this many, as a new job's do (0: 8).
	RangePages int
	// APIKeys, when set, are required on /v1 and each key sees only its own jobs.
	APIKeys []string
	// RateLimit is requests per minute per API key (or IP without keys), 0: off.
	RateLimit int
	// CORSOrigins lists the origins browsers may call from (comma-separated).
	CORSOrigins string
	// Integration API (integration.go): webhook policy, the callback_url used
	// when an upload names none, the result cache's lifetime (0: off) and the
	// inference mode, which is part of the cache key.
	Webhooks           webhook.Options
	DefaultCallbackURL string
	CacheTTL           time.Duration
	InferenceMode      string
}

// App is the HTTP API.
type App struct {
	p        Params
	app      *fiber.App
	keys     keyRing
	webhooks *webhook.Sender
	uploads  uploaddir.Dir // uploads spooled as they arrive: spool.go
}

// New builds the app and its routes.
func New(p Params) *App {
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	a := &App{p: p, keys: newKeyRing(p.APIKeys), webhooks: webhook.New(p.Webhooks)}
	a.app = fiber.New(fiber.Config{
		AppName:   "docparse",
		BodyLimit: (p.MaxUploadMB + 1) << 20,
		// Bodies are read as they arrive: uploads are spooled to disk by
		// parseUpload, any other body is read within the limit by readBody.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		DisableStartupMessage:        true,
		ErrorHandler:                 a.errorHandler,
		ReadTimeout:                  5 * time.Minute,
		IdleTimeout:                  2 * time.Minute,
	})
	a.app.Use(requestid.New(), a.logRequests, a.readBody)
	if h := corsMiddleware(p.CORSOrigins); h != nil {
		a.app.Use(h)
	}
	a.app.Use("/v1", a.authenticate, a.rateLimit) // auth.go, ratelimit.go
	a.routes()
	a.opsRoutes() // /metrics, /dashboard, /v1/admin: admin.go, dashboard.go
	return a
}

func (a *App) routes() {
	a.app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	a.app.Get("/readyz", a.readyz)
	v1 := a.app.Group("/v1")
	v1.Post("/process/async", a.processAsync)
	v1.Post("/process/sync", a.processSync)
	v1.Get("/jobs", a.listJobs)
	v1.Get("/jobs/:id/status", a.jobStatus)
	v1.Get("/jobs/:id/result", a.jobResult)
	v1.Get("/jobs/:id/pages", a.jobPages)
	v1.Get("/jobs/:id/pages/:n", a.jobPage)
	v1.Delete("/jobs/:id", a.deleteJob) // integration.go: cancel, then delete
	a.integrationRoutes(v1)
}

// Fiber exposes the underlying app, for tests and for mounting more routes.
func (a *App) Fiber() *fiber.App { return a.app }

// Close removes the directory of spooled uploads; Listen does it on its way
// out, and a caller serving through Fiber() directly does it itself.
func (a *App) Close() { a.uploads.Remove() }

// Listen serves on addr until ctx ends, then shuts down within timeout.
func (a *App) Listen(ctx context.Context, addr string, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- a.app.Listen(addr) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	defer a.Close()
	if err := a.app.ShutdownWithTimeout(timeout); err != nil {
		return err
	}
	return <-errc
}

// apiError is the body of every error response: {"error":{"code","message"}}.
type apiError struct {
	status  int
	Code    string `json:"code"`
	Message string `json:"message"`
	JobID   string `json:"job_id,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func newError(status int, code, msg string) *apiError {
	return &apiError{status: status, Code: code, Message: msg}
}

func (a *App) errorHandler(c *fiber.Ctx, err error) error {
	var ae *apiError
	var fe *fiber.Error
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &fe):
		ae = newError(fe.Code, codeFor(fe.Code), fe.Message)
	case isRedisDown(err):
		ae = newError(fiber.StatusServiceUnavailable, "unavailable", "job store unavailable, try again shortly")
	default:
		a.p.Logger.Error("request failed", slog.String("path", c.Path()), slog.String("request_id", requestID(c)), slog.String("error", err.Error()))
		ae = newError(fiber.StatusInternalServerError, "internal", "internal error")
	}
	if ae.status == fiber.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "5")
	}
	if c.Request().IsBodyStream() {
		// The rest of a refused body may still be on its way: read as the
		// next request it would be answered with a stray 431, so the
		// connection closes. Closed with bytes unread, the client would get
		// a reset while still writing instead of the 413: up to refusedDrain
		// of an oversized body is read first.
		if ae.status == fiber.StatusRequestEntityTooLarge {
			_, _ = io.Copy(io.Discard, io.LimitReader(c.Request().BodyStream(), refusedDrain))
		}
		c.Context().SetConnectionClose()
	}
	return c.Status(ae.status).JSON(fiber.Map{"error": ae})
}

// refusedDrain bounds what is read of a body refused as too large.
const refusedDrain = 64 << 20

func codeFor(status int) string {
	switch status {
	case fiber.StatusRequestEntityTooLarge:
		return "too_large"
	case fiber.StatusNotFound:
		return "not_found"
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed"
	}
	return "bad_request"
}

func requestID(c *fiber.Ctx) string {
	if v, ok := c.Locals(requestid.ConfigDefault.ContextKey).(string); ok {
		return v
	}
	return ""
}
