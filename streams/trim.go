package streams

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// TrimAcked removes a stream's entries that every consumer group has been
// given and has acknowledged, and that are older than keep (so `docparse
// replay` still finds recent history). Unlike XADD MAXLEN it never drops an
// entry a group has yet to read or to acknowledge, however long the backlog.
// A stream without groups is left alone: nobody has read it. It returns the
// number of entries removed.
func TrimAcked(ctx context.Context, rdb redis.UniversalClient, stream string, keep time.Duration) (int64, error) {
	groups, err := rdb.XInfoGroups(ctx, stream).Result()
	if isNoSuchKey(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("groups of %s: %w", stream, err)
	}
	if len(groups) == 0 {
		return 0, nil
	}
	cut := strconv.FormatInt(time.Now().Add(-keep).UnixMilli(), 10) + "-0"
	for _, g := range groups {
		safe := g.LastDeliveredID
		if g.Pending > 0 {
			p, err := rdb.XPending(ctx, stream, g.Name).Result()
			if err != nil {
				return 0, fmt.Errorf("pending of %s on %s: %w", g.Name, stream, err)
			}
			if p.Count > 0 {
				safe = p.Lower
			}
		}
		if compareIDs(safe, cut) < 0 {
			cut = safe
		}
	}
	// Exact, not "~": with "~" Redis removes only whole macro nodes (100
	// entries by default), which on a quiet stream can be never.
	n, err := rdb.XTrimMinID(ctx, stream, cut).Result()
	if err != nil {
		return 0, fmt.Errorf("trim %s below %s: %w", stream, cut, err)
	}
	return n, nil
}
