package httpapi

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// logRequests logs one line per request with its request id (the
// X-Request-ID header that requestid sets), so a client's report can be
// matched to the server's lines. Polling and scraping paths log at debug:
// a dashboard left open would otherwise fill the log.
func (a *App) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		// The error handler has not run yet; report what it will answer.
		status = fiber.StatusInternalServerError
		if fe, ok := err.(*fiber.Error); ok {
			status = fe.Code
		} else if ae, ok := err.(*apiError); ok {
			status = ae.status
		}
	}
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelWarn
	case quietPath(c.Path(), c.Method()):
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{
		slog.String("request_id", requestID(c)), slog.String("method", c.Method()), slog.String("path", c.Path()),
		slog.Int("status", status), slog.Duration("duration", time.Since(start)), slog.String("remote", c.IP()),
	}
	if id := c.Params("id"); id != "" {
		attrs = append(attrs, slog.String("job_id", id))
	}
	a.p.Logger.LogAttrs(c.UserContext(), level, "request", attrs...)
	return err
}

// quietPath tells read-only paths polled by dashboards, probes and Prometheus.
func quietPath(path, method string) bool {
	if method != fiber.MethodGet {
		return false
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/dashboard", "/v1/admin/", "/v1/jobs"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}
