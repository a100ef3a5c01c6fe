// Package stats keeps a small per-minute time series in Redis for the
// dashboard's charts: pages recorded and OCR seconds, per engine. Prometheus
// is the place for long history; these keys exist so a dashboard works with
// nothing but Redis, across every worker process, and expire after two hours.
//
//	docparse:stats:MINUTE  HASH  (MINUTE = Unix time / 60)
//	  pages:ENGINE          pages recorded by assemble, failed ones included
//	  failed                pages recorded with an error
//	  ocr_seconds:ENGINE    sum of the seconds the OCR stage took for those pages
//	  ocr_pages:ENGINE      pages in that sum (pages read by an OCR engine)
package stats

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/docparse/docparse/messages"
)

// TTL bounds the series: the dashboard shows the last hour.
const TTL = 2 * time.Hour

// Key names the hash of one minute.
func Key(minute int64) string { return "docparse:stats:" + strconv.FormatInt(minute, 10) }

func minuteOf(t time.Time) int64 { return t.Unix() / 60 }

// RecordPage counts one newly recorded page. Callers count a page once
// (assemble does so only when the page was new), so replays do not inflate it.
func RecordPage(ctx context.Context, rdb redis.UniversalClient, engine string, seconds float64, failed bool) error {
	key := Key(minuteOf(time.Now()))
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, key, "pages:"+engine, 1)
		if failed {
			p.HIncrBy(ctx, key, "failed", 1)
		}
		if engine != messages.EngineTextLayer {
			p.HIncrByFloat(ctx, key, "ocr_seconds:"+engine, seconds)
			p.HIncrBy(ctx, key, "ocr_pages:"+engine, 1)
		}
		p.Expire(ctx, key, TTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("record stats %s: %w", key, err)
	}
	return nil
}

// Point is one minute of the series.
type Point struct {
	Minute     int64              `json:"minute"` // Unix seconds of the minute's start
	Pages      map[string]int64   `json:"pages"`  // per engine
	Failed     int64              `json:"failed"`
	PagesPerS  float64            `json:"pages_per_second"`
	OCRSeconds map[string]float64 `json:"ocr_avg_seconds"` // mean seconds per OCR page, per engine
}

// Series returns the last n minutes, oldest first, the current one included
// (it is still filling). Minutes without pages are present with zeros, so a
// chart's x axis is regular.
func Series(ctx context.Context, rdb redis.UniversalClient, n int) ([]Point, error) {
	now := minuteOf(time.Now())
	cmds := make([]*redis.MapStringStringCmd, n)
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			cmds[i] = p.HGetAll(ctx, Key(now-int64(n-1-i)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read stats: %w", err)
	}
	out := make([]Point, n)
	for i, c := range cmds {
		out[i] = point(now-int64(n-1-i), c.Val())
	}
	return out, nil
}

func point(minute int64, h map[string]string) Point {
	p := Point{Minute: minute * 60, Pages: map[string]int64{}, OCRSeconds: map[string]float64{}}
	sums, counts := map[string]float64{}, map[string]float64{}
	var total int64
	for k, v := range h {
		f, _ := strconv.ParseFloat(v, 64)
		name, engine, _ := strings.Cut(k, ":")
		switch name {
		case "pages":
			p.Pages[engine] = int64(f)
			total += int64(f)
		case "failed":
			p.Failed = int64(f)
		case "ocr_seconds":
			sums[engine] = f
		case "ocr_pages":
			counts[engine] = f
		}
	}
	for e, c := range counts {
		if c > 0 {
			p.OCRSeconds[e] = sums[e] / c
		}
	}
	p.PagesPerS = float64(total) / 60
	return p
}
