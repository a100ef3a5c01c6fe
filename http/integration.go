package httpapi

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/stages/render"
)

// integrationRoutes are the routes of the integration API: job control,
// webhooks, live progress, and the OpenAPI document with its docs page.
func (a *App) integrationRoutes(v1 fiber.Router) {
	v1.Post("/jobs/:id/cancel", a.cancelJob)
	v1.Post("/jobs/:id/retry", a.retryJob)
	v1.Get("/jobs/:id/webhooks", a.jobWebhooks)
	v1.Get("/jobs/:id/events", a.jobEvents) // events.go
	a.app.Get("/openapi.json", a.openAPI)   // openapi.go
	a.app.Get("/docs", a.docsPage)
}

// uploadExtras are the integration options of an upload.
type uploadExtras struct {
	pageRange     render.PageRange
	callbackURL   string
	noCache       bool
	includeImages bool
}

func (x *uploadExtras) read(get func(string) string) error {
	var err error
	if x.pageRange, err = render.ParsePageRange(get("page_range")); err != nil {
		return newError(fiber.StatusBadRequest, "invalid_page_range", err.Error())
	}
	x.callbackURL = get("callback_url")
	if x.noCache, err = formBool("no_cache", get("no_cache")); err != nil {
		return err
	}
	x.includeImages, err = formBool("include_images", get("include_images"))
	return err
}

func formBool(name, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, newError(fiber.StatusBadRequest, "bad_request", fmt.Sprintf("%s %q: want true or false", name, v))
	}
	return b, nil
}

// applyExtras checks the options that need the document or the network and
// copies them onto the job: a page range beyond the document is a 400 when
// the page count can be read (an encrypted PDF is checked by split), and the
// callback URL must pass the webhook policy.
func (a *App) applyExtras(c *fiber.Ctx, j *jobstore.Job, u upload) error {
	x := u.extras
	if !x.pageRange.All() {
		if n, err := u.file.pageCount(); err == nil {
			if _, err := x.pageRange.Pages(n); err != nil {
				return newError(fiber.StatusBadRequest, "invalid_page_range", err.Error())
			}
		}
	}
	url := strOr(x.callbackURL, a.p.DefaultCallbackURL)
	if url != "" {
		if err := a.webhooks.Check(c.UserContext(), url); err != nil {
			return newError(fiber.StatusBadRequest, "invalid_callback_url", err.Error())
		}
	}
	j.PageRange, j.CallbackURL, j.IncludeImages = x.pageRange.String(), url, x.includeImages
	return nil
}

func submitMessage(j jobstore.Job) string {
	if j.Cached {
		return "served from the result cache"
	}
	return "job queued"
}

// deleteJob cancels a job that is still running, so workers drop its pages,
// then deletes all its data. A job deleted while running sends no webhook:
// use POST /v1/jobs/{id}/cancel to cancel and keep it.
func (a *App) deleteJob(c *fiber.Ctx) error {
	j, err := a.getJob(c)
	if err != nil {
		return err
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	if !jobstore.Final(j.Status) {
		moved, err := a.cancelRunning(ctx, j.ID, "cancelled and deleted by request", false)
		if err != nil {
			return err
		}
		if moved {
			j.Status = jobstore.StatusCancelled
		}
	}
	if err := a.p.Store.Delete(ctx, j.ID); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"job_id": j.ID, "deleted": true, "status": j.Status})
}

// retryJob reads a finished job's failed pages again: they are reset in one
// Lua step and sent to split as page ranges, which renders them again (their
// images were deleted when the job ended).
func (a *App) retryJob(c *fiber.Ctx) error {
	j, err := a.getJob(c)
	if err != nil {
		return err
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	pages, err := a.p.Store.RetryFailed(ctx, j.ID)
	switch {
	case errors.Is(err, jobstore.ErrNotRetryable):
		return newError(fiber.StatusConflict, "not_retryable", "the job is "+j.Status+": only a completed or failed job can be retried")
	case err != nil:
		return err
	case len(pages) == 0:
		return newError(fiber.StatusConflict, "no_failed_pages", "the job has no failed pages to retry")
	}
	for _, r := range render.Runs(pages, cmp.Or(a.p.RangePages, 8)) {
		m := messages.JobSubmitted{V: messages.Version, JobID: j.ID, FromPage: r[0], ToPage: r[1]}
		if err := publishJSON(a.p.Publisher, messages.StreamJobs, m); err != nil {
			return err
		}
	}
	if j, err = a.p.Store.Get(ctx, j.ID); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"job_id": j.ID, "retried_pages": pages, "status": StatusOf(j)})
}

// jobWebhooks lists the job's webhook delivery attempts, oldest first.
func (a *App) jobWebhooks(c *fiber.Ctx) error {
	j, err := a.getJob(c)
	if err != nil {
		return err
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	attempts, err := a.p.Store.WebhookAttempts(ctx, j.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"job_id": j.ID, "callback_url": j.CallbackURL, "attempts": attempts})
}

// PageView is a page of GET /v1/jobs/{id}/pages: its result once recorded,
// and its status, done, failed or pending.
type PageView struct {
	jobstore.PageResult
	Status string `json:"status"`
}

// Page statuses.
const (
	PageDone    = "done"
	PageFailed  = "failed"
	PagePending = "pending"
)

// selectedPages are the pages a job reads, once split has counted them; nil
// before.
func selectedPages(j jobstore.Job) []int {
	if j.DocumentPages == 0 {
		return nil
	}
	r, err := render.ParsePageRange(j.PageRange)
	if err != nil {
		return nil
	}
	pages, _ := r.Pages(j.DocumentPages)
	return pages
}

// pageViews merges recorded results with the pages still to come.
func pageViews(j jobstore.Job, recorded []jobstore.PageResult) []PageView {
	byPage := map[int]jobstore.PageResult{}
	for _, p := range recorded {
		byPage[p.Page] = p
	}
	pages := selectedPages(j)
	for _, p := range recorded {
		if !containsInt(pages, p.Page) {
			pages = append(pages, p.Page) // recorded before document_pages was known
		}
	}
	out := make([]PageView, 0, len(pages))
	for _, n := range pages {
		out = append(out, viewOf(n, byPage))
	}
	return out
}

func viewOf(n int, byPage map[int]jobstore.PageResult) PageView {
	p, ok := byPage[n]
	switch {
	case !ok:
		return PageView{PageResult: jobstore.PageResult{Page: n}, Status: PagePending}
	case p.Error != "":
		return PageView{PageResult: p, Status: PageFailed}
	}
	return PageView{PageResult: p, Status: PageDone}
}

func containsInt(s []int, n int) bool {
	for _, v := range s {
		if v == n {
			return true
		}
	}
	return false
}

// pageOf answers /pages/{n}: a recorded page, a pending one of the
// selection, or 404 for a page the job does not read.
func pageOf(j jobstore.Job, n int, recorded *jobstore.PageResult) (PageView, bool) {
	if recorded != nil {
		return viewOf(n, map[int]jobstore.PageResult{n: *recorded}), true
	}
	if containsInt(selectedPages(j), n) {
		return PageView{PageResult: jobstore.PageResult{Page: n}, Status: PagePending}, true
	}
	return PageView{}, false
}

// parseCursor validates a listing cursor: the score of the last job seen.
func parseCursor(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return "", newError(fiber.StatusBadRequest, "bad_request", "cursor must be the next_cursor of a previous page")
	}
	return s, nil
}
