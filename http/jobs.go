package httpapi

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/metrics"
	"github.com/docparse/docparse/stages/assemble"
)

// storeTimeout bounds each request's Redis work, so a request fails with 503
// while Redis is away instead of hanging.
const storeTimeout = 3 * time.Second

func storeCtx(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), storeTimeout)
}

// Progress is the progress block of a status document.
type Progress struct {
	CurrentPage   int `json:"current_page"`
	TotalPages    int `json:"total_pages"`
	DeepSeekPages int `json:"deepseek_pages"`
	NanonetsPages int `json:"nanonets_pages"`
	TextLayer     int `json:"textlayer_pages"`
	FailedPages   int `json:"failed_pages"`
}

// Status is the status document of a job.
type Status struct {
	JobID        string   `json:"job_id"`
	Status       string   `json:"status"`
	Filename     string   `json:"filename"`
	AccuracyMode string   `json:"accuracy_mode"`
	OutputFormat string   `json:"output_format"`
	Progress     Progress `json:"progress"`
	CreatedAt    *string  `json:"created_at"`
	StartedAt    *string  `json:"started_at"`
	CompletedAt  *string  `json:"completed_at"`
	Error        *string  `json:"error"`
	// Integration API: the page selection, the upload's page count, whether
	// the result came from the cache, and where the webhook goes.
	PageRange     string `json:"page_range,omitempty"`
	DocumentPages int    `json:"document_pages,omitempty"`
	Cached        bool   `json:"cached"`
	CallbackURL   string `json:"callback_url,omitempty"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// rfc3339 trims stored timestamps to whole seconds for users.
func rfc3339(s string) *string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return optional(s)
	}
	return optional(t.UTC().Format(time.RFC3339))
}

// StatusOf turns a stored job into its status document.
func StatusOf(j jobstore.Job) Status {
	return Status{
		JobID: j.ID, Status: j.Status, Filename: j.Filename, AccuracyMode: j.Mode, OutputFormat: j.Format,
		Progress: Progress{CurrentPage: j.DonePages, TotalPages: j.TotalPages, DeepSeekPages: j.DeepSeek,
			NanonetsPages: j.Nanonets, TextLayer: j.TextLayer, FailedPages: j.FailedPages},
		CreatedAt: rfc3339(j.CreatedAt), StartedAt: rfc3339(j.StartedAt), CompletedAt: rfc3339(j.CompletedAt),
		Error:     optional(j.Error),
		PageRange: j.PageRange, DocumentPages: j.DocumentPages, Cached: j.Cached, CallbackURL: j.CallbackURL,
	}
}

func (a *App) getJob(c *fiber.Ctx) (jobstore.Job, error) {
	ctx, cancel := storeCtx(c)
	defer cancel()
	j, err := a.p.Store.Get(ctx, c.Params("id"))
	// Another key's job answers exactly like a missing one, so ids cannot be probed.
	if errors.Is(err, jobstore.ErrNotFound) || (err == nil && j.Owner != owner(c)) {
		return jobstore.Job{}, newError(fiber.StatusNotFound, "not_found", "no job with this id")
	}
	return j, err
}

func (a *App) jobStatus(c *fiber.Ctx) error {
	j, err := a.getJob(c)
	if err != nil {
		return err
	}
	if wait := c.QueryInt("wait"); wait > 0 {
		return a.waitStatus(c, j, time.Duration(wait)*time.Second) // events.go: long-poll
	}
	return c.JSON(StatusOf(j))
}

func (a *App) jobResult(c *fiber.Ctx) error {
	j, err := a.getJob(c)
	if err != nil {
		return err
	}
	return a.resultOf(c, j)
}

// resultOf answers with a job's result: JSON by default, the file itself with ?download=1.
func (a *App) resultOf(c *fiber.Ctx, j jobstore.Job) error {
	if j.Status != jobstore.StatusCompleted {
		e := newError(fiber.StatusConflict, "not_completed", "the job is "+j.Status+", not completed")
		e.JobID = j.ID
		return c.Status(fiber.StatusConflict).JSON(fiber.Map{"error": e, "status": StatusOf(j)})
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	body, err := a.p.Store.Result(ctx, j.ID)
	if errors.Is(err, jobstore.ErrNotFound) {
		return newError(fiber.StatusNotFound, "not_found", "the result has expired")
	}
	if err != nil {
		return err
	}
	format := j.Format
	if format == "" {
		format = "markdown"
	}
	if c.Query("download") != "" && c.Query("download") != "0" {
		if j.IncludeImages {
			return a.zipResult(c, j, format, body) // results.go: the document and its images
		}
		f := assemble.Formats[format]
		c.Set(fiber.HeaderContentType, f.ContentType)
		c.Set(fiber.HeaderContentDisposition, contentDisposition(resultName(j.Filename, f.Ext)))
		return c.Send(body)
	}
	if format == "markdown" {
		return c.JSON(fiber.Map{"markdown": string(body), "filename": j.Filename, "format": format})
	}
	pages, err := a.p.Store.Pages(ctx, j.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"markdown": assemble.Markdown(toAssemble(pages)), "filename": j.Filename, "format": format, "content": string(body)})
}

func toAssemble(pages []jobstore.PageResult) []assemble.Page {
	out := make([]assemble.Page, len(pages))
	for i, p := range pages {
		out[i] = assemble.Page(p)
	}
	return out
}

func (a *App) listJobs(c *fiber.Ctx) error {
	limit := c.QueryInt("limit", 50)
	if limit < 1 || limit > 1000 {
		return newError(fiber.StatusBadRequest, "bad_request", "limit must be between 1 and 1000")
	}
	status := c.Query("status")
	if status != "" && !slices.Contains(statuses, status) {
		return newError(fiber.StatusBadRequest, "bad_request", "status must be one of "+strings.Join(statuses, ", "))
	}
	cursor, err := parseCursor(c.Query("cursor"))
	if err != nil {
		return err
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	page, err := a.p.Store.ListPage(ctx, jobstore.ListQuery{Limit: limit, Status: status, Owner: owner(c), Cursor: cursor})
	if err != nil {
		return err
	}
	out := make([]Status, len(page.Jobs))
	for i, j := range page.Jobs {
		out[i] = StatusOf(j)
	}
	// next_cursor: pass as ?cursor= for the following page; null at the end.
	return c.JSON(fiber.Map{"jobs": out, "count": len(out), "total": page.Total, "next_cursor": optional(page.Next)})
}

var statuses = []string{jobstore.StatusQueued, jobstore.StatusProcessing, jobstore.StatusCompleted, jobstore.StatusFailed, jobstore.StatusCancelled}

func (a *App) jobPages(c *fiber.Ctx) error {
	j, err := a.getJob(c)
	if err != nil {
		return err
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	pages, err := a.p.Store.Pages(ctx, j.ID)
	if err != nil {
		return err
	}
	// integration.go: every selected page with its status, pending ones too.
	return c.JSON(fiber.Map{"job_id": j.ID, "status": j.Status, "total_pages": j.TotalPages, "done_pages": j.DonePages, "pages": pageViews(j, pages)})
}

func (a *App) jobPage(c *fiber.Ctx) error {
	j, err := a.getJob(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 {
		return newError(fiber.StatusBadRequest, "bad_request", "page must be a positive number")
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	p, err := a.p.Store.Page(ctx, j.ID, n)
	var recorded *jobstore.PageResult
	if err == nil {
		recorded = &p
	} else if !errors.Is(err, jobstore.ErrNotFound) {
		return err
	}
	v, ok := pageOf(j, n, recorded) // integration.go: done, failed or pending
	if !ok {
		return newError(fiber.StatusNotFound, "not_found", "the job does not read this page")
	}
	return c.JSON(v)
}

// cancelRunning moves a job that is not final to cancelled and counts it.
// With announce it also tells docparse.finished, so webhooks report it; a job
// about to be deleted is not announced, its data would be gone.
func (a *App) cancelRunning(ctx context.Context, id, reason string, announce bool) (bool, error) {
	moved, err := a.p.Store.Finish(ctx, id, jobstore.StatusCancelled, reason, nil)
	if err != nil || !moved {
		return false, err
	}
	metrics.JobsTotal.WithLabelValues(metrics.OutcomeCancelled).Inc()
	if announce {
		_ = publishJSON(a.p.Publisher, messages.StreamFinished, messages.JobFinished{V: messages.Version, JobID: id, Status: jobstore.StatusCancelled})
	}
	return true, nil
}

func (a *App) cancelJob(c *fiber.Ctx) error {
	j, err := a.getJob(c)
	if err != nil {
		return err
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	if !jobstore.Final(j.Status) {
		if _, err := a.cancelRunning(ctx, j.ID, "cancelled by request", true); err != nil {
			return err
		}
	}
	j, err = a.p.Store.Get(ctx, j.ID)
	if err != nil {
		return err
	}
	return c.JSON(StatusOf(j))
}

func (a *App) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), time.Second)
	defer cancel()
	checks := fiber.Map{}
	ready := true
	if err := a.p.Store.Client().Ping(ctx).Err(); err != nil {
		checks["redis"], ready = err.Error(), false
	} else {
		checks["redis"] = "ok"
	}
	if a.p.Ready != nil {
		for name, err := range a.p.Ready(ctx) {
			if err != nil {
				checks[name], ready = err.Error(), false
			} else {
				checks[name] = "ok"
			}
		}
	}
	status := fiber.StatusOK
	if !ready {
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(fiber.Map{"ready": ready, "checks": checks})
}

// isRedisDown recognises errors of an unreachable store.
func isRedisDown(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, context.DeadlineExceeded) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "EOF")
}
