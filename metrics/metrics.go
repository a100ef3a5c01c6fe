// Package metrics holds docparse's Prometheus collectors. The process-wide
// ones live in Registry; the stream collector reads Redis on every scrape and
// is built per Redis client, so one process can serve several test
// deployments without their numbers mixing.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/docparse/docparse/messages"
)

const namespace = "docparse"

// Registry holds every process-wide docparse collector, Watermill's router
// metrics and the Go runtime and process collectors. A private registry (not
// the global default) keeps libraries from adding series we did not choose.
var Registry = prometheus.NewRegistry()

// Job and page outcomes.
const (
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"
	OutcomeCancelled = "cancelled"
	OutcomeOK        = "ok"
)

var (
	// JobsTotal counts jobs that reached a final status, by that status.
	// Only the call that moved the job counts it, so a job counts once.
	JobsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "jobs_total",
		Help: "Jobs that ended, by outcome (completed, failed, cancelled).",
	}, []string{"outcome"})

	// PagesTotal counts pages recorded by assemble (duplicates excluded).
	PagesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "pages_total",
		Help: "Pages recorded, by engine (deepseek, nanonets, textlayer) and outcome (ok, failed).",
	}, []string{"engine", "outcome"})

	// OCRRequestSeconds is the time one OCR stage spends reading one page,
	// retries inside the engine included. Buckets reach OCR_TIMEOUT's default.
	OCRRequestSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "ocr_request_seconds",
		Help:    "Seconds to read one page with an OCR engine, retries included.",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120},
	}, []string{"engine"})

	// OCRErrorsTotal counts page reads that ended in an error.
	OCRErrorsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "ocr_errors_total",
		Help: "Page reads that failed after the engine's own retries, by engine.",
	}, []string{"engine"})

	// OCRInFlight is the number of page reads running now: with vLLM it should
	// sit near OCR_CONCURRENCY while there is a backlog.
	OCRInFlight = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "ocr_in_flight",
		Help: "Page reads in progress in this process, by engine.",
	}, []string{"engine"})

	// StageHandlingSeconds is one handler run of a stage, whatever its outcome.
	StageHandlingSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "stage_handling_seconds",
		Help:    "Seconds one stage handler took for one message (one attempt).",
		Buckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
	}, []string{"stage"})

	// UploadBytesTotal counts accepted upload bytes.
	UploadBytesTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "upload_bytes_total",
		Help: "Bytes of PDF uploads accepted by the API.",
	})
)

func init() {
	Registry.MustRegister(JobsTotal, PagesTotal, OCRRequestSeconds, OCRErrorsTotal, OCRInFlight,
		StageHandlingSeconds, UploadBytesTotal,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	initSeries()
}

// initSeries creates every known label combination at zero, so that rate()
// and absent() work from the first scrape instead of from the first event.
func initSeries() {
	for _, o := range []string{OutcomeCompleted, OutcomeFailed, OutcomeCancelled} {
		JobsTotal.WithLabelValues(o)
	}
	for _, e := range []string{messages.EngineDeepSeek, messages.EngineNanonets, messages.EngineTextLayer} {
		PagesTotal.WithLabelValues(e, OutcomeOK)
		PagesTotal.WithLabelValues(e, OutcomeFailed)
	}
	for _, e := range []string{messages.EngineDeepSeek, messages.EngineNanonets} {
		OCRRequestSeconds.WithLabelValues(e)
		OCRErrorsTotal.WithLabelValues(e)
		OCRInFlight.WithLabelValues(e)
	}
}

// Handler serves Registry plus extra collectors (the stream collector of
// this process's Redis) in the Prometheus text format.
func Handler(extra ...prometheus.Collector) http.Handler {
	local := prometheus.NewRegistry()
	for _, c := range extra {
		local.MustRegister(c)
	}
	return promhttp.HandlerFor(prometheus.Gatherers{Registry, local}, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError, // a failed XINFO must not hide the other series
		Timeout:       10 * time.Second,
	})
}

// ObserveStage records one handler run; used as `defer ObserveStage(stage, time.Now())`.
func ObserveStage(stage string, start time.Time) {
	StageHandlingSeconds.WithLabelValues(stage).Observe(time.Since(start).Seconds())
}
