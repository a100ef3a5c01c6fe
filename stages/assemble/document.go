package assemble

import (
	"time"
)

// Meta describes the document in the json output: where it came from, what
// was read and how long it took.
type Meta struct {
	Filename      string         `json:"filename"`
	JobID         string         `json:"job_id,omitempty"`
	AccuracyMode  string         `json:"accuracy_mode,omitempty"`
	PageRange     string         `json:"page_range,omitempty"`
	DocumentPages int            `json:"document_pages,omitempty"` // pages in the upload
	PageCount     int            `json:"page_count"`               // pages in this output
	FailedPages   int            `json:"failed_pages"`
	Engines       map[string]int `json:"engines"` // pages per engine
	CreatedAt     string         `json:"created_at,omitempty"`
	StartedAt     string         `json:"started_at,omitempty"`
	CompletedAt   string         `json:"completed_at,omitempty"`
	Timings       Timings        `json:"timings"`
}

// Timings are the job's durations in seconds. OCRSeconds sums the pages'
// reading times, which overlap, so it exceeds the wall clock on busy servers.
type Timings struct {
	QueuedSeconds     float64 `json:"queued_seconds"`
	ProcessingSeconds float64 `json:"processing_seconds"`
	TotalSeconds      float64 `json:"total_seconds"`
	OCRSeconds        float64 `json:"ocr_seconds"`
	MeanPageSeconds   float64 `json:"mean_page_seconds"`
}

// complete fills what the pages tell and the durations the timestamps give.
// A document rendered before the job is marked completed takes now as its end.
func (m Meta) complete(pages []Page) *Meta {
	m.PageCount, m.Engines = len(pages), map[string]int{}
	for _, p := range pages {
		if p.Error != "" {
			m.FailedPages++
			continue
		}
		m.Engines[p.Engine]++
		m.Timings.OCRSeconds += p.Seconds
	}
	if n := len(pages) - m.FailedPages; n > 0 {
		m.Timings.MeanPageSeconds = m.Timings.OCRSeconds / float64(n)
	}
	if m.CompletedAt == "" {
		m.CompletedAt = time.Now().UTC().Format(time.RFC3339Nano)
	}
	created, okC := parseTime(m.CreatedAt)
	started, okS := parseTime(m.StartedAt)
	done, okD := parseTime(m.CompletedAt)
	if okC && okS {
		m.Timings.QueuedSeconds = started.Sub(created).Seconds()
	}
	if okS && okD {
		m.Timings.ProcessingSeconds = done.Sub(started).Seconds()
	}
	if okC && okD {
		m.Timings.TotalSeconds = done.Sub(created).Seconds()
	}
	return &m
}

func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
