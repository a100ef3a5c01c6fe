package handlers

import (
	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/stages/render"
)

// selectedPages applies the job's page_range to a document of total pages.
// The API validated the range already; a page beyond the document, which the
// API could not see (an encrypted upload), fails the job here.
func selectedPages(job jobstore.Job, total int) ([]int, error) {
	r, err := render.ParsePageRange(job.PageRange)
	if err != nil {
		return nil, err
	}
	return r.Pages(total)
}
