package httpapi

import "github.com/gofiber/fiber/v2"

func (a *App) docsPage(c *fiber.Ctx) error { return nil }
