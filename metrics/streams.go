package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/docparse/docparse/streams"
)

// StreamCollector reads XINFO GROUPS on every scrape. The numbers live in
// Redis, not in any process, so every process that serves them reports the
// same values: aggregate with max(), not sum().
type StreamCollector struct {
	rdb     redis.UniversalClient
	logger  *slog.Logger
	length  *prometheus.Desc
	lag     *prometheus.Desc
	pending *prometheus.Desc
	up      *prometheus.Desc
}

// NewStreamCollector builds the collector for one Redis.
func NewStreamCollector(rdb redis.UniversalClient, logger *slog.Logger) *StreamCollector {
	if logger == nil {
		logger = slog.Default()
	}
	return &StreamCollector{
		rdb: rdb, logger: logger,
		length: prometheus.NewDesc(namespace+"_stream_length", "Entries in the stream (XLEN).", []string{"stream"}, nil),
		lag: prometheus.NewDesc(namespace+"_stream_lag",
			"Entries not yet delivered to the consumer group (XINFO GROUPS lag); -1 when Redis cannot tell.", []string{"stream", "group"}, nil),
		pending: prometheus.NewDesc(namespace+"_stream_pending",
			"Entries delivered to the group and not yet acknowledged (XINFO GROUPS pending).", []string{"stream", "group"}, nil),
		up: prometheus.NewDesc(namespace+"_stream_scrape_ok", "1 when the last XINFO scrape of Redis succeeded.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *StreamCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.length
	ch <- c.lag
	ch <- c.pending
	ch <- c.up
}

// Collect implements prometheus.Collector. A Redis error yields scrape_ok 0
// rather than a failed scrape, so the process's own metrics still arrive.
func (c *StreamCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	all, err := streams.Inspect(ctx, c.rdb, false)
	if err != nil {
		c.logger.Warn("stream metrics unavailable", slog.String("error", err.Error()))
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for _, s := range all {
		ch <- prometheus.MustNewConstMetric(c.length, prometheus.GaugeValue, float64(s.Length), s.Name)
		for _, g := range s.Groups {
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(g.Lag), s.Name, g.Name)
			ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(g.Pending), s.Name, g.Name)
		}
	}
}
