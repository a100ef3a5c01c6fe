package jobstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keys of the integration API: webhook attempts, image crops and the result
// cache. The job's keys keep its {ID} hash tag; the cache key does not belong
// to one job.
func webhooksKey(id string) string { return jobKey(id) + ":webhooks" }

// CropKey names the K-th image region cut out of page N.
func CropKey(id string, n, k int) string { return fmt.Sprintf("%s:crop:%d:%d", jobKey(id), n, k) }

// CacheKey names the result cache entry of an upload's sha256 and the hash of
// the options that change the output.
func CacheKey(sha, optsHash string) string { return "docparse:cache:" + sha + ":" + optsHash }

// cropRef finds the image files a page's Markdown references.
var cropRef = regexp.MustCompile(`\(images/page-(\d+)-(\d+)\.png\)`)

// CropRefs lists the (page, k) crops referenced by Markdown, in order, once each.
func CropRefs(markdown string) [][2]int {
	var out [][2]int
	for _, m := range cropRef.FindAllStringSubmatch(markdown, -1) {
		n, _ := strconv.Atoi(m[1])
		k, _ := strconv.Atoi(m[2])
		if !slices.Contains(out, [2]int{n, k}) {
			out = append(out, [2]int{n, k})
		}
	}
	return out
}

// CropName is the file name of a crop inside a result zip and in Markdown.
func CropName(n, k int) string { return fmt.Sprintf("images/page-%d-%d.png", n, k) }

// integrationKeys lists the keys of a job beyond the core ones, for Delete.
func (s *Store) integrationKeys(ctx context.Context, id string) []string {
	keys := []string{webhooksKey(id)}
	pages, _ := s.Pages(ctx, id)
	for _, p := range pages {
		for _, ref := range CropRefs(p.Markdown) {
			keys = append(keys, CropKey(id, ref[0], ref[1]))
		}
	}
	return keys
}

// SetDocumentPages records how many pages the upload has, when a page range
// makes total_pages count fewer.
func (s *Store) SetDocumentPages(ctx context.Context, id string, n int) error {
	if err := s.rdb.HSet(ctx, jobKey(id), "document_pages", n).Err(); err != nil {
		return fmt.Errorf("job %s document pages: %w", id, err)
	}
	return nil
}

// StoreCrop keeps an image region cut out of a page for the job's lifetime.
func (s *Store) StoreCrop(ctx context.Context, id string, n, k int, png []byte) error {
	if err := s.rdb.Set(ctx, CropKey(id, n, k), png, s.ttl).Err(); err != nil {
		return fmt.Errorf("store crop %d:%d of %s: %w", n, k, id, err)
	}
	return nil
}

// Crop reads one stored crop.
func (s *Store) Crop(ctx context.Context, id string, n, k int) ([]byte, error) {
	b, err := s.rdb.Get(ctx, CropKey(id, n, k)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("crop %d:%d of %s: %w", n, k, id, err)
	}
	return b, nil
}

// WebhookAttempt is one delivery attempt of a job's webhook, kept in the
// job's webhooks list for users and operators to see.
type WebhookAttempt struct {
	Delivery   string  `json:"delivery"` // X-Docparse-Delivery: one announcement
	Event      string  `json:"event"`    // job.completed, job.failed, job.cancelled
	Attempt    int     `json:"attempt"`
	URL        string  `json:"url"`
	At         string  `json:"at"`
	StatusCode int     `json:"status_code,omitempty"`
	Error      string  `json:"error,omitempty"`
	Seconds    float64 `json:"seconds"`
	Delivered  bool    `json:"delivered"`
}

// AddWebhookAttempt appends an attempt to the job's list.
func (s *Store) AddWebhookAttempt(ctx context.Context, id string, a WebhookAttempt) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode webhook attempt: %w", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, webhooksKey(id), b)
		p.Expire(ctx, webhooksKey(id), s.ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("job %s webhook attempt: %w", id, err)
	}
	return nil
}

// WebhookAttempts lists a job's delivery attempts, oldest first.
func (s *Store) WebhookAttempts(ctx context.Context, id string) ([]WebhookAttempt, error) {
	raw, err := s.rdb.LRange(ctx, webhooksKey(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("job %s webhook attempts: %w", id, err)
	}
	out := make([]WebhookAttempt, 0, len(raw))
	for _, r := range raw {
		var a WebhookAttempt
		if err := json.Unmarshal([]byte(r), &a); err != nil {
			return nil, fmt.Errorf("job %s webhook attempt: %w", id, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// retryScript puts a finished job's failed pages back to unread, in one step
// so assemble never sees half-reset counters: their results are removed, the
// counters lowered, the result dropped and the job set processing again. It
// returns the pages, or -1 (gone), -2 (not completed or failed).
var retryScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {-1} end
if st ~= 'completed' and st ~= 'failed' then return {-2} end
local failed = {}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local ok, r = pcall(cjson.decode, all[i+1])
  if ok and type(r) == 'table' and type(r.error) == 'string' and r.error ~= '' then
    table.insert(failed, tonumber(all[i]))
  end
end
if #failed == 0 then return failed end
for _, n in ipairs(failed) do redis.call('HDEL', KEYS[2], tostring(n)) end
redis.call('HINCRBY', KEYS[1], 'done_pages', -#failed)
redis.call('HINCRBY', KEYS[1], 'failed_pages', -#failed)
redis.call('HSET', KEYS[1], 'status', 'processing', 'completed_at', '', 'error', '')
redis.call('DEL', KEYS[3])
return failed`)

// ErrNotRetryable means the job is still running or was cancelled.
var ErrNotRetryable = errors.New("only a completed or failed job can be retried")

// RetryFailed resets a finished job's failed pages and returns them in
// order; the caller sends them to split. No failed pages: nothing changes.
func (s *Store) RetryFailed(ctx context.Context, id string) ([]int, error) {
	res, err := retryScript.Run(ctx, s.rdb, []string{jobKey(id), pagesKey(id), resultKey(id)}).Int64Slice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("retry job %s: %w", id, err)
	}
	if len(res) == 1 && res[0] == -1 {
		return nil, ErrNotFound
	}
	if len(res) == 1 && res[0] == -2 {
		return nil, ErrNotRetryable
	}
	pages := make([]int, len(res))
	for i, n := range res {
		pages[i] = int(n)
	}
	slices.Sort(pages)
	return pages, nil
}

// ListQuery selects a page of jobs, newest first.
type ListQuery struct {
	Limit  int
	Status string // "": any
	Owner  string // "": any
	Cursor string // score of the last job of the previous page; "": from the newest
}

// JobPage is one page of a listing. Next is the cursor of the following
// page, "" at the end. Total counts the jobs the query matches.
type JobPage struct {
	Jobs  []Job
	Next  string
	Total int64
}

// ListPage returns jobs older than the cursor, newest first. The cursor is
// the creation time score of the index: stable while jobs are added.
func (s *Store) ListPage(ctx context.Context, q ListQuery) (JobPage, error) {
	var out JobPage
	maxScore := "+inf"
	if q.Cursor != "" {
		if _, err := strconv.ParseFloat(q.Cursor, 64); err != nil {
			return out, fmt.Errorf("cursor %q: %w", q.Cursor, err)
		}
		maxScore = "(" + q.Cursor
	}
	const batch = 200
	for len(out.Jobs) < q.Limit {
		zs, err := s.rdb.ZRevRangeByScoreWithScores(ctx, JobsIndex, &redis.ZRangeBy{Max: maxScore, Min: "-inf", Count: batch}).Result()
		if err != nil {
			return out, fmt.Errorf("list jobs: %w", err)
		}
		if len(zs) == 0 {
			break
		}
		for _, z := range zs {
			maxScore = "(" + scoreString(z.Score)
			j, err := s.Get(ctx, z.Member.(string))
			if errors.Is(err, ErrNotFound) {
				s.rdb.ZRem(ctx, JobsIndex, z.Member)
				continue
			}
			if err != nil {
				return out, err
			}
			if (q.Status == "" || j.Status == q.Status) && (q.Owner == "" || j.Owner == q.Owner) {
				out.Jobs = append(out.Jobs, j)
				if len(out.Jobs) == q.Limit {
					out.Next = scoreString(z.Score)
					break
				}
			}
		}
	}
	total, err := s.countMatching(ctx, q.Status, q.Owner)
	out.Total = total
	return out, err
}

func scoreString(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// countMatching counts the jobs of a status and owner. Without filters it is
// ZCARD; with them it reads two fields per job in pipelined batches.
func (s *Store) countMatching(ctx context.Context, status, owner string) (int64, error) {
	if status == "" && owner == "" {
		n, err := s.rdb.ZCard(ctx, JobsIndex).Result()
		if err != nil {
			return 0, fmt.Errorf("count jobs: %w", err)
		}
		return n, nil
	}
	var total int64
	const batch = 500
	for off := int64(0); ; off += batch {
		ids, err := s.rdb.ZRange(ctx, JobsIndex, off, off+batch-1).Result()
		if err != nil {
			return 0, fmt.Errorf("count jobs: %w", err)
		}
		cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, id := range ids {
				p.HMGet(ctx, jobKey(id), "status", "owner")
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return 0, fmt.Errorf("count jobs: %w", err)
		}
		for _, c := range cmds {
			v := c.(*redis.SliceCmd).Val()
			st, _ := v[0].(string)
			ow, _ := v[1].(string)
			if st != "" && (status == "" || st == status) && (owner == "" || ow == owner) {
				total++
			}
		}
		if len(ids) < batch {
			return total, nil
		}
	}
}

// CacheLookup returns the job id a cache key points at, "" when none.
func (s *Store) CacheLookup(ctx context.Context, key string) (string, error) {
	id, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cache lookup: %w", err)
	}
	return id, nil
}

// CacheClaim points a cache key at a new job for ttl. Once that job
// completes, later identical uploads are answered from it.
func (s *Store) CacheClaim(ctx context.Context, key, id string, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, key, id, ttl).Err(); err != nil {
		return fmt.Errorf("cache claim: %w", err)
	}
	return nil
}

// CreateCached stores j as a completed job carrying src's pages, result and
// counters, without any stage touching it. Every write is on j's keys: the
// upload first, in slices, then the rest as one transaction in j's slot.
func (s *Store) CreateCached(ctx context.Context, j Job, src Job, upload []byte) error {
	return s.CreateCachedFrom(ctx, j, src, bytes.NewReader(upload))
}

// CreateCachedFrom is CreateCached for an upload read from r; the upload is
// stored first, as in CreateFrom.
func (s *Store) CreateCachedFrom(ctx context.Context, j Job, src Job, upload io.Reader) error {
	pages, err := s.rdb.HGetAll(ctx, pagesKey(src.ID)).Result()
	if err != nil {
		return fmt.Errorf("cached pages of %s: %w", src.ID, err)
	}
	result, err := s.Result(ctx, src.ID)
	if err != nil {
		return fmt.Errorf("cached result of %s: %w", src.ID, err)
	}
	crops := map[string][]byte{}
	for _, v := range pages {
		for _, ref := range CropRefs(v) {
			if b, err := s.Crop(ctx, src.ID, ref[0], ref[1]); err == nil {
				crops[CropKey(j.ID, ref[0], ref[1])] = b
			}
		}
	}
	now := Now()
	j.Status, j.CreatedAt, j.StartedAt, j.CompletedAt = StatusCompleted, now, now, now
	j.Cached, j.CachedFrom, j.Error = true, src.ID, src.Error
	if j.UploadBytes, err = s.putUpload(ctx, j.ID, upload); err != nil {
		return err
	}
	j.TotalPages, j.DonePages, j.FailedPages, j.DocumentPages = src.TotalPages, src.DonePages, src.FailedPages, src.DocumentPages
	j.DeepSeek, j.Nanonets, j.TextLayer = src.DeepSeek, src.Nanonets, src.TextLayer
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, jobKey(j.ID), j)
		p.Expire(ctx, jobKey(j.ID), s.ttl)
		p.Set(ctx, resultKey(j.ID), result, s.ttl)
		if len(pages) > 0 {
			p.HSet(ctx, pagesKey(j.ID), pages)
			p.Expire(ctx, pagesKey(j.ID), s.ttl)
		}
		for k, b := range crops {
			p.Set(ctx, k, b, s.ttl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create cached job %s: %w", j.ID, err)
	}
	return s.index(ctx, j)
}
