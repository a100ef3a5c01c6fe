package httpapi

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/stages/assemble"
)

// zipResult answers ?download=1 of an include_images job: a zip with the
// document and the images its Markdown references under images/.
func (a *App) zipResult(c *fiber.Ctx, j jobstore.Job, format string, body []byte) error {
	ctx, cancel := storeCtx(c)
	defer cancel()
	pages, err := a.p.Store.Pages(ctx, j.ID)
	if err != nil {
		return err
	}
	files := map[string][]byte{}
	for _, p := range pages {
		for _, ref := range jobstore.CropRefs(p.Markdown) {
			b, err := a.p.Store.Crop(ctx, j.ID, ref[0], ref[1])
			if errors.Is(err, jobstore.ErrNotFound) {
				continue // expired with its job: the link stays, the file is gone
			}
			if err != nil {
				return err
			}
			files[jobstore.CropName(ref[0], ref[1])] = b
		}
	}
	f := assemble.Formats[format]
	zip, err := assemble.Zip(resultName(j.Filename, f.Ext), body, files)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, contentDisposition(strings.TrimSuffix(resultName(j.Filename, f.Ext), f.Ext)+".zip"))
	return c.Send(zip)
}
