package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
)

// corsMiddleware allows browsers on CORS_ORIGINS (comma-separated, "*" for
// any) to call the API; without origins no CORS headers are sent, so browsers
// keep to the same origin.
func corsMiddleware(origins string) fiber.Handler {
	list := splitComma(origins)
	if len(list) == 0 {
		return nil
	}
	return cors.New(cors.Config{
		AllowOrigins:  strings.Join(list, ","),
		AllowMethods:  "GET,POST,DELETE,OPTIONS",
		AllowHeaders:  "Content-Type,Authorization,X-API-Key,X-Request-ID",
		ExposeHeaders: "Retry-After,X-Request-ID,Content-Disposition,X-RateLimit-Limit,X-RateLimit-Remaining",
		MaxAge:        600,
	})
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
