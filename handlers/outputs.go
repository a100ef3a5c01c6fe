package handlers

import (
	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/stages/assemble"
)

// metaOf is the document metadata of the json output, from the job's hash.
func metaOf(j jobstore.Job) assemble.Meta {
	return assemble.Meta{Filename: j.Filename, JobID: j.ID, AccuracyMode: j.Mode, PageRange: j.PageRange,
		DocumentPages: j.DocumentPages, CreatedAt: j.CreatedAt, StartedAt: j.StartedAt}
}
