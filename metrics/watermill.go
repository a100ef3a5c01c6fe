package metrics

import (
	"time"

	wmetrics "github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
)

// AddRouterMetrics adds Watermill's own router metrics to r, registered in
// Registry as docparse_watermill_*: handler execution time by handler and
// success, publish time, messages received by subscriber. Handler names are
// consumer names (host-pid-id~stage-i), so these series are per process.
// Call it before the router's other middleware: it then measures a message's
// whole handling, retries included.
func AddRouterMetrics(r *message.Router) {
	wmetrics.NewPrometheusMetricsBuilder(Registry, namespace, "watermill").AddPrometheusRouterMetrics(r)
}

// StageTimer is a handler middleware observing docparse_stage_handling_seconds
// for one stage. On a handler it sits inside the router's retry, so it
// measures each attempt.
func StageTimer(stage string) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			defer ObserveStage(stage, time.Now())
			return h(msg)
		}
	}
}
