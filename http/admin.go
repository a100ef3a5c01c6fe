package httpapi

import (
	"errors"
	"log/slog"
	"regexp"
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
	"github.com/docparse/docparse/metrics"
	"github.com/docparse/docparse/stats"
	"github.com/docparse/docparse/streams"
)

// opsRoutes mounts what operators use: Prometheus metrics, the dashboard and
// the JSON endpoints the dashboard reads, under /v1/admin. They sit behind
// whatever guards the rest of /v1 (nginx keeps /metrics to localhost).
func (a *App) opsRoutes() {
	a.app.Get("/metrics", adaptor.HTTPHandler(metrics.Handler(metrics.NewStreamCollector(a.p.Store.Client(), a.p.Logger))))
	a.dashboardRoutes()
	adm := a.app.Group("/v1/admin")
	adm.Get("/info", a.adminInfo)
	adm.Get("/streams", a.adminStreams)
	adm.Get("/poison", a.adminPoison)
	adm.Post("/poison/:entry/replay", a.adminReplayPoison)
	adm.Post("/replay", a.adminReplay)
	adm.Get("/stats", a.adminStats)
	adm.Post("/jobs/:id/rerun", a.adminRerun)
}

// adminInfo tells the dashboard which optional actions this build has.
func (a *App) adminInfo(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{
		"retry": a.hasRoute(fiber.MethodPost, "/v1/jobs/:id/retry"),
		"modes": messages.Modes,
	})
}

func (a *App) hasRoute(method, path string) bool {
	return slices.ContainsFunc(a.app.GetRoutes(true), func(r fiber.Route) bool {
		return r.Method == method && r.Path == path
	})
}

func (a *App) adminStreams(c *fiber.Ctx) error {
	ctx, cancel := storeCtx(c)
	defer cancel()
	all, err := streams.Inspect(ctx, a.p.Store.Client(), true)
	if err != nil {
		return err
	}
	procs, err := streams.Heartbeats(ctx, a.p.Store.Client())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"streams": all, "processes": procs})
}

func (a *App) adminPoison(c *fiber.Ctx) error {
	limit := c.QueryInt("limit", 50)
	if limit < 1 || limit > 1000 {
		return newError(fiber.StatusBadRequest, "bad_request", "limit must be between 1 and 1000")
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	entries, err := streams.Poison(ctx, a.p.Store.Client(), int64(limit))
	if err != nil {
		return err
	}
	n, err := a.p.Store.Client().XLen(ctx, messages.StreamPoison).Result()
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"entries": entries, "count": len(entries), "total": n})
}

var streamID = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

func (a *App) adminReplayPoison(c *fiber.Ctx) error {
	id := c.Params("entry")
	if !streamID.MatchString(id) {
		return newError(fiber.StatusBadRequest, "bad_request", "entry must be a stream id such as 1700000000000-0")
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	p, err := streams.ReplayPoison(ctx, a.p.Store.Client(), id)
	if errors.Is(err, streams.ErrNotFound) {
		return newError(fiber.StatusNotFound, "not_found", "no poisoned message with this id")
	}
	if err != nil {
		return err
	}
	a.p.Logger.Info("poisoned message replayed", adminAttrs(c, "entry", id, "stream", p.Topic, "job_id", p.JobID)...)
	return c.JSON(fiber.Map{"replayed": p})
}

// replayRequest is the body of POST /v1/admin/replay.
type replayRequest struct {
	Stream string `json:"stream"`
	Group  string `json:"group"`
	From   string `json:"from"`
	To     string `json:"to"`
}

func (a *App) adminReplay(c *fiber.Ctx) error {
	var r replayRequest
	if err := c.BodyParser(&r); err != nil {
		return newError(fiber.StatusBadRequest, "bad_request", "expected JSON {stream, group, from, to}")
	}
	if !slices.Contains(streams.All, r.Stream) || r.Group == "" || !validBound(r.From) || (r.To != "" && !validBound(r.To)) {
		return newError(fiber.StatusBadRequest, "bad_request", "stream must be a docparse stream, group set, from/to stream ids, - or +")
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	res, err := streams.Replay(ctx, a.p.Store.Client(), r.Stream, r.Group, r.From, r.To)
	if errors.Is(err, streams.ErrNoGroup) {
		return newError(fiber.StatusNotFound, "not_found", err.Error())
	}
	if err != nil {
		return err
	}
	a.p.Logger.Info("stream range replayed", adminAttrs(c, "stream", r.Stream, "group", r.Group, "from", r.From, "to", r.To)...)
	return c.JSON(res)
}

func validBound(s string) bool { return s == "-" || s == "+" || streamID.MatchString(s) }

func (a *App) adminStats(c *fiber.Ctx) error {
	minutes := c.QueryInt("minutes", 60)
	if minutes < 1 || minutes > 120 {
		return newError(fiber.StatusBadRequest, "bad_request", "minutes must be between 1 and 120")
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	points, err := stats.Series(ctx, a.p.Store.Client(), minutes)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"points": points})
}

// adminRerun runs a job again from its stored upload under a new id.
func (a *App) adminRerun(c *fiber.Ctx) error {
	ctx, cancel := storeCtx(c)
	defer cancel()
	j, err := a.p.Store.Rerun(ctx, c.Params("id"))
	if errors.Is(err, jobstore.ErrNotFound) {
		return newError(fiber.StatusNotFound, "not_found", "no job with this id, or its upload has expired")
	}
	if err != nil {
		return err
	}
	if err := publishJSON(a.p.Publisher, messages.StreamJobs, messages.JobSubmitted{V: messages.Version, JobID: j.ID}); err != nil {
		return err
	}
	a.p.Logger.Info("job rerun", adminAttrs(c, "job_id", j.ID, "rerun_of", c.Params("id"))...)
	return c.Status(fiber.StatusAccepted).JSON(StatusOf(j))
}

// adminAttrs are the attributes of an operator action's log line.
func adminAttrs(c *fiber.Ctx, kv ...string) []any {
	out := []any{slog.String("request_id", requestID(c))}
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, slog.String(kv[i], kv[i+1]))
	}
	return out
}
