package httpapi

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
)

// checkPages rejects at upload time a PDF with more pages than MAX_PAGES,
// rather than queue a job that can only fail. MuPDF counts pages from the
// page tree without rendering anything. A PDF that does not open here
// (encrypted, damaged) is left to the job, which reports why it failed.
func (a *App) checkPages(f *spooled) error {
	if a.p.MaxPages <= 0 {
		return nil
	}
	n, err := f.pageCount()
	if err != nil {
		return nil
	}
	if n > a.p.MaxPages {
		return newError(fiber.StatusUnprocessableEntity, "too_many_pages",
			fmt.Sprintf("the PDF has %d pages, more than MAX_PAGES (%d)", n, a.p.MaxPages))
	}
	return nil
}
