package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"

	"github.com/docparse/docparse/jobstore"
	"github.com/docparse/docparse/messages"
)

// The result cache answers an upload whose bytes and output-affecting
// options match an earlier completed job, within CACHE_TTL of that job's
// upload, with a new job id marked cached and completed at once. The key is
// docparse:cache:{sha256 of the file}:{hash of the options}; it points at
// the job that claimed it. The owner (API key) is part of the options, so
// one key never learns what another uploaded.

// cacheKey computes the job's cache key from the upload.
func (a *App) cacheKey(j jobstore.Job, file [32]byte) string {
	opts := sha256.Sum256([]byte(j.Mode + "\x00" + j.Format + "\x00" + j.PageRange + "\x00" + a.p.InferenceMode +
		"\x00" + boolStr(j.IncludeImages) + "\x00" + j.Owner))
	return jobstore.CacheKey(hex.EncodeToString(file[:]), hex.EncodeToString(opts[:8]))
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// fromCache creates the job from an earlier result when there is one. ok
// false means the job must run; j then carries its cache key, unless the
// cache is off or bypassed.
func (a *App) fromCache(ctx context.Context, jp *jobstore.Job, u upload) (jobstore.Job, bool, error) {
	if a.p.CacheTTL <= 0 || u.extras.noCache {
		return *jp, false, nil
	}
	sum, err := u.file.digest()
	if err != nil {
		return *jp, false, err
	}
	jp.CacheKey = a.cacheKey(*jp, sum) // hashed once: claimCache uses it too
	j := *jp
	srcID, err := a.p.Store.CacheLookup(ctx, j.CacheKey)
	if err != nil || srcID == "" {
		return j, false, err
	}
	src, err := a.p.Store.Get(ctx, srcID)
	if errors.Is(err, jobstore.ErrNotFound) || (err == nil && src.Status != jobstore.StatusCompleted) {
		return j, false, nil
	}
	if err != nil {
		return j, false, err
	}
	f, err := u.file.open()
	if err != nil {
		return j, false, err
	}
	defer f.Close()
	if err := a.p.Store.CreateCachedFrom(ctx, j, src, f); errors.Is(err, jobstore.ErrNotFound) {
		return j, false, nil // the result expired before the job hash
	} else if err != nil {
		return j, false, err
	}
	a.p.Logger.Info("job served from cache", slog.String("job_id", j.ID), slog.String("cached_from", src.ID))
	// Announced like any finished job, so its webhook is sent.
	if err := publishJSON(a.p.Publisher, messages.StreamFinished, messages.JobFinished{V: messages.Version, JobID: j.ID, Status: jobstore.StatusCompleted}); err != nil {
		a.p.Logger.Warn("cached job not announced", slog.String("job_id", j.ID), slog.String("error", err.Error()))
	}
	out, err := a.p.Store.Get(ctx, j.ID)
	return out, true, err
}

// claimCache points the cache key at a job that runs, unless a job that is
// still running or completed holds it: then that one answers later uploads.
func (a *App) claimCache(ctx context.Context, j jobstore.Job) {
	key := j.CacheKey
	if key == "" {
		return // cache off or bypassed
	}
	if id, err := a.p.Store.CacheLookup(ctx, key); err == nil && id != "" {
		if st, err := a.p.Store.Status(ctx, id); err == nil && st != jobstore.StatusFailed && st != jobstore.StatusCancelled {
			return
		}
	}
	if err := a.p.Store.CacheClaim(ctx, key, j.ID, a.p.CacheTTL); err != nil {
		a.p.Logger.Warn("cache key not set", slog.String("job_id", j.ID), slog.String("error", err.Error()))
	}
}
