package stats_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/redistest"
	"github.com/docparse/docparse/stats"
)

func TestSeries(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := context.Background()
	require.NoError(t, stats.RecordPage(ctx, rdb, "deepseek", 2, false))
	require.NoError(t, stats.RecordPage(ctx, rdb, "deepseek", 4, true))
	require.NoError(t, stats.RecordPage(ctx, rdb, "textlayer", 0.01, false))

	pts, err := stats.Series(ctx, rdb, 60)
	require.NoError(t, err)
	require.Len(t, pts, 60)
	for _, p := range pts[:58] {
		require.Empty(t, p.Pages, "older minutes are empty")
	}
	last := pts[59]
	if len(last.Pages) == 0 { // the minute turned between writing and reading
		last = pts[58]
	}
	require.Equal(t, map[string]int64{"deepseek": 2, "textlayer": 1}, last.Pages)
	require.EqualValues(t, 1, last.Failed)
	require.InDelta(t, 3.0, last.OCRSeconds["deepseek"], 1e-9, "mean of the OCR pages")
	require.NotContains(t, last.OCRSeconds, "textlayer", "no OCR latency for text-layer pages")
	require.InDelta(t, 3.0/60, last.PagesPerS, 1e-9)
	ttl := rdb.TTL(ctx, stats.Key(last.Minute/60)).Val()
	require.Greater(t, ttl, stats.TTL-10e9)
}
