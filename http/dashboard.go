package httpapi

import (
	"embed"
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"
)

// dashboardFS holds the dashboard: plain HTML, CSS and JavaScript with no
// build step and nothing loaded from elsewhere, so it works offline and ships
// inside the binary. It reads the public /v1 API and /v1/admin.
//
//go:embed dashboard
var dashboardFS embed.FS

func (a *App) dashboardRoutes() {
	a.app.Get("/dashboard", func(c *fiber.Ctx) error { return serveAsset(c, "index.html") })
	a.app.Get("/dashboard/:file", func(c *fiber.Ctx) error { return serveAsset(c, c.Params("file")) })
}

func serveAsset(c *fiber.Ctx, name string) error {
	b, err := dashboardFS.ReadFile(path.Join("dashboard", path.Base(name)))
	if err != nil {
		return newError(fiber.StatusNotFound, "not_found", "no such dashboard file")
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = fiber.MIMEOctetStream
	}
	c.Set(fiber.HeaderContentType, ct)
	// The assets change with the binary only; revalidating costs little and
	// spares operators a stale dashboard after an upgrade.
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'")
	return c.Send(b)
}
