package httpapi

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openapiDoc is the OpenAPI 3.1 description of every route the app serves;
// TestOpenAPIMatchesRoutes keeps the two in step.
//
//go:embed openapi.json
var openapiDoc []byte

func (a *App) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openapiDoc)
}
