package jobstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound means the job does not exist or has expired.
var ErrNotFound = errors.New("job not found")

// Store is job state in Redis.
type Store struct {
	rdb redis.UniversalClient
	ttl time.Duration
}

// New returns a Store whose job keys live for ttl.
func New(rdb redis.UniversalClient, ttl time.Duration) *Store {
	return &Store{rdb: rdb, ttl: ttl}
}

// Client exposes the Redis client for components that share the store's connection.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Job is the state of one job as kept in its hash.
type Job struct {
	ID          string `redis:"-"`
	Status      string `redis:"status"`
	Filename    string `redis:"filename"`
	Mode        string `redis:"mode"`
	Format      string `redis:"format"`
	Password    string `redis:"password"`
	PageRange   string `redis:"page_range"`
	Owner       string `redis:"owner"`
	CreatedAt   string `redis:"created_at"`
	StartedAt   string `redis:"started_at"`
	CompletedAt string `redis:"completed_at"`
	Error       string `redis:"error"`
	UploadBytes int64  `redis:"upload_bytes"`
	TotalPages  int    `redis:"total_pages"`
	DonePages   int    `redis:"done_pages"`
	FailedPages int    `redis:"failed_pages"`
	DeepSeek    int    `redis:"deepseek_pages"`
	Nanonets    int    `redis:"nanonets_pages"`
	TextLayer   int    `redis:"textlayer_pages"`
	// Fields of the integration API (jobstore/api.go).
	DocumentPages int    `redis:"document_pages"` // pages in the upload; TotalPages counts the selected ones
	CallbackURL   string `redis:"callback_url"`
	IncludeImages bool   `redis:"include_images"`
	Cached        bool   `redis:"cached"` // completed from an earlier job's result
	CachedFrom    string `redis:"cached_from"`
	CacheKey      string `redis:"cache_key"` // docparse:cache:... this job answers for once completed
}

// PageResult is one page as stored in the job's pages hash.
type PageResult struct {
	Page     int     `json:"page"`
	Engine   string  `json:"engine"`
	Reader   string  `json:"reader,omitempty"`
	Markdown string  `json:"markdown"`
	Seconds  float64 `json:"seconds"`
	Error    string  `json:"error,omitempty"`
}

// Now is the time format of every timestamp in a job hash: RFC 3339, UTC.
func Now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// Create stores a new queued job with its upload and indexes it.
func (s *Store) Create(ctx context.Context, j Job, pdf []byte) error {
	return s.CreateFrom(ctx, j, bytes.NewReader(pdf))
}

// CreateFrom is Create for an upload read from r, which is written to Redis a
// slice at a time: the API then never holds an upload whole. The upload is
// stored before the job hash, so a job never lacks its upload; an upload
// left by a failure between the two expires with the job TTL.
func (s *Store) CreateFrom(ctx context.Context, j Job, pdf io.Reader) error {
	j.Status = StatusQueued
	if j.CreatedAt == "" {
		j.CreatedAt = Now()
	}
	n, err := s.putUpload(ctx, j.ID, pdf)
	if err != nil {
		return err
	}
	j.UploadBytes = n
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, jobKey(j.ID), j)
		p.Expire(ctx, jobKey(j.ID), s.ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	return s.index(ctx, j)
}

// putUpload writes an upload in pdfReadChunk slices: SET, then APPENDs,
// which keep the TTL.
func (s *Store) putUpload(ctx context.Context, id string, r io.Reader) (int64, error) {
	buf := make([]byte, pdfReadChunk)
	var n int64
	for first := true; ; first = false {
		k, err := io.ReadFull(r, buf)
		if k > 0 || first {
			var werr error
			if first {
				werr = s.rdb.Set(ctx, pdfKey(id), buf[:k], s.ttl).Err()
			} else {
				werr = s.rdb.Append(ctx, pdfKey(id), string(buf[:k])).Err()
			}
			if werr != nil {
				return 0, fmt.Errorf("store upload of %s: %w", id, werr)
			}
			n += int64(k)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read upload of %s: %w", id, err)
		}
	}
}

func (s *Store) index(ctx context.Context, j Job) error {
	created, _ := time.Parse(time.RFC3339Nano, j.CreatedAt)
	if err := s.rdb.ZAdd(ctx, JobsIndex, redis.Z{Score: float64(created.UnixMicro()), Member: j.ID}).Err(); err != nil {
		return fmt.Errorf("index job %s: %w", j.ID, err)
	}
	return nil
}

// Get reads one job.
func (s *Store) Get(ctx context.Context, id string) (Job, error) {
	if !ValidID(id) {
		return Job{}, ErrNotFound
	}
	res := s.rdb.HGetAll(ctx, jobKey(id))
	if err := res.Err(); err != nil {
		return Job{}, fmt.Errorf("get job %s: %w", id, err)
	}
	if len(res.Val()) == 0 {
		return Job{}, ErrNotFound
	}
	var j Job
	if err := res.Scan(&j); err != nil {
		return Job{}, fmt.Errorf("scan job %s: %w", id, err)
	}
	j.ID = id
	return j, nil
}

// Status reads only a job's status: handlers call it before costly work.
func (s *Store) Status(ctx context.Context, id string) (string, error) {
	st, err := s.rdb.HGet(ctx, jobKey(id), "status").Result()
	if errors.Is(err, redis.Nil) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("job %s status: %w", id, err)
	}
	return st, nil
}

// List returns up to limit jobs, newest first, optionally only those with status.
// Ids whose hash has expired are dropped from the index on the way.
func (s *Store) List(ctx context.Context, limit int, status string) ([]Job, error) {
	return s.ListOwned(ctx, limit, status, "")
}

// ListOwned is List restricted to one owner's jobs when owner is not empty.
func (s *Store) ListOwned(ctx context.Context, limit int, status, owner string) ([]Job, error) {
	var out []Job
	var offset int64
	const batch = 200
	for len(out) < limit {
		ids, err := s.rdb.ZRevRange(ctx, JobsIndex, offset, offset+batch-1).Result()
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		offset += int64(len(ids))
		for _, id := range ids {
			j, err := s.Get(ctx, id)
			if errors.Is(err, ErrNotFound) {
				s.rdb.ZRem(ctx, JobsIndex, id)
				offset--
				continue
			}
			if err != nil {
				return nil, err
			}
			if (status == "" || j.Status == status) && (owner == "" || j.Owner == owner) {
				out = append(out, j)
			}
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// PDF returns a job's upload.
func (s *Store) PDF(ctx context.Context, id string) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := s.PDFTo(ctx, id, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PDFTo writes a job's upload to w and returns its size. It reads in slices:
// a GET of a large upload sits whole in Redis's output buffer for each reader
// at once, which made Redis's peak memory a multiple of the upload when
// several split consumers opened it together.
func (s *Store) PDFTo(ctx context.Context, id string, w io.Writer) (int64, error) {
	n, err := s.rdb.StrLen(ctx, pdfKey(id)).Result()
	if err != nil {
		return 0, fmt.Errorf("job %s upload size: %w", id, err)
	}
	if n == 0 {
		return 0, ErrNotFound
	}
	if b, ok := w.(*bytes.Buffer); ok {
		b.Grow(int(n))
	}
	var done int64
	for off := int64(0); off < n; off += pdfReadChunk {
		b, err := s.rdb.GetRange(ctx, pdfKey(id), off, min(off+pdfReadChunk, n)-1).Bytes()
		if err != nil {
			return 0, fmt.Errorf("job %s upload at byte %d: %w", id, off, err)
		}
		if len(b) == 0 {
			return 0, ErrNotFound // deleted while being read
		}
		if _, err := w.Write(b); err != nil {
			return 0, fmt.Errorf("job %s upload: %w", id, err)
		}
		done += int64(len(b))
	}
	if done != n {
		return 0, fmt.Errorf("job %s upload changed while being read (%d of %d bytes)", id, done, n)
	}
	return n, nil
}

// pdfReadChunk is the slice of an upload one GETRANGE reads.
const pdfReadChunk = 1 << 20

var startScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 0 end
if st ~= 'queued' and st ~= 'processing' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'processing', 'total_pages', ARGV[1])
local started = redis.call('HGET', KEYS[1], 'started_at')
if not started or started == '' then redis.call('HSET', KEYS[1], 'started_at', ARGV[2]) end
return 1`)

// Start moves a queued job to processing with its page count. It reports
// false when the job is gone or already final, so split stops there.
func (s *Store) Start(ctx context.Context, id string, totalPages int) (bool, error) {
	n, err := startScript.Run(ctx, s.rdb, []string{jobKey(id)}, totalPages, Now()).Int()
	if err != nil {
		return false, fmt.Errorf("start job %s: %w", id, err)
	}
	return n == 1, nil
}

// StoreImage keeps page n's image for the OCR stages and counts it in the
// job's window of pages rendered but not yet read. It stores nothing and
// returns ErrJobOver once the job is final: Finish has already deleted the
// job's images, and one stored after it would outlive the job.
func (s *Store) StoreImage(ctx context.Context, id string, n int, img []byte, ttl time.Duration) (string, error) {
	key := ImageKey(id, n)
	keys := []string{jobKey(id), key, inflightKey(id)}
	stored, err := storeImageScript.Run(ctx, s.rdb, keys, img, ttl.Milliseconds(), n, s.ttl.Milliseconds()).Int()
	if err != nil {
		return "", fmt.Errorf("store image %s: %w", key, err)
	}
	if stored == 0 {
		return "", fmt.Errorf("store image %s: %w", key, ErrJobOver)
	}
	return key, nil
}

// Image reads a page image.
func (s *Store) Image(ctx context.Context, key string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("image %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", key, err)
	}
	return b, nil
}

// InFlight counts a job's pages rendered and not yet recorded.
func (s *Store) InFlight(ctx context.Context, id string) (int64, error) {
	n, err := s.rdb.SCard(ctx, inflightKey(id)).Result()
	if err != nil {
		return 0, fmt.Errorf("job %s in flight: %w", id, err)
	}
	return n, nil
}

// Progress is what recording a page tells assemble.
type Progress struct {
	New    bool // the page was not recorded before
	Done   int
	Total  int
	Status string
}

var recordScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {-1, 0, 0, ''} end
if st == 'cancelled' or st == 'failed' or st == 'completed' then
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('DEL', KEYS[4])
  return {0, 0, 0, st}
end
local new = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
if new == 1 then
  redis.call('HINCRBY', KEYS[1], 'done_pages', 1)
  if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[1], ARGV[3], 1) end
  if ARGV[4] == '1' then redis.call('HINCRBY', KEYS[1], 'failed_pages', 1) end
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4])
local done = tonumber(redis.call('HGET', KEYS[1], 'done_pages') or '0')
local total = tonumber(redis.call('HGET', KEYS[1], 'total_pages') or '0')
return {new, done, total, st}`)

// RecordPage stores a page result once. A duplicate delivery changes nothing
// and reports New false; counters move only for a new page. The page's image
// is deleted, since nothing reads it after this.
func (s *Store) RecordPage(ctx context.Context, id string, r PageResult) (Progress, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return Progress{}, fmt.Errorf("encode page %d: %w", r.Page, err)
	}
	counter, failed := r.Engine+"_pages", "0"
	if r.Error != "" {
		counter, failed = "", "1"
	}
	keys := []string{jobKey(id), pagesKey(id), inflightKey(id), ImageKey(id, r.Page)}
	res, err := recordScript.Run(ctx, s.rdb, keys, r.Page, body, counter, failed, int(s.ttl.Seconds())).Slice()
	if err != nil {
		return Progress{}, fmt.Errorf("record page %d of %s: %w", r.Page, id, err)
	}
	code := res[0].(int64)
	if code == -1 {
		return Progress{}, ErrNotFound
	}
	return Progress{New: code == 1, Done: int(res[1].(int64)), Total: int(res[2].(int64)), Status: res[3].(string)}, nil
}

// Pages returns a job's recorded pages in page order.
func (s *Store) Pages(ctx context.Context, id string) ([]PageResult, error) {
	m, err := s.rdb.HGetAll(ctx, pagesKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("pages of %s: %w", id, err)
	}
	out := make([]PageResult, 0, len(m))
	for k, v := range m {
		var r PageResult
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("page %s of %s: %w", k, id, err)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Page < out[j].Page })
	return out, nil
}

// Page returns one recorded page.
func (s *Store) Page(ctx context.Context, id string, n int) (PageResult, error) {
	v, err := s.rdb.HGet(ctx, pagesKey(id), strconv.Itoa(n)).Result()
	if errors.Is(err, redis.Nil) {
		return PageResult{}, ErrNotFound
	}
	if err != nil {
		return PageResult{}, fmt.Errorf("page %d of %s: %w", n, id, err)
	}
	var r PageResult
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return PageResult{}, fmt.Errorf("page %d of %s: %w", n, id, err)
	}
	return r, nil
}

var finishScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'completed' or st == 'failed' or st == 'cancelled' then return 0 end
if ARGV[4] == '1' then redis.call('SET', KEYS[2], ARGV[5], 'EX', ARGV[6]) end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'completed_at', ARGV[2], 'error', ARGV[3])
for _, n in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  redis.call('DEL', KEYS[1] .. ':img:' .. n)
end
redis.call('DEL', KEYS[3])
return 1`)

// Finish moves a job to a final status once, storing its result when it has
// one, and deletes the images of pages still in flight (a failed or cancelled
// job reads none of them). The upload stays so the job can be rerun. It reports whether this call made the move, so only one caller
// announces the job's end.
func (s *Store) Finish(ctx context.Context, id, status, errMsg string, result []byte) (bool, error) {
	hasResult := "0"
	if result != nil {
		hasResult = "1"
	}
	keys := []string{jobKey(id), resultKey(id), inflightKey(id)}
	n, err := finishScript.Run(ctx, s.rdb, keys, status, Now(), errMsg, hasResult, result, int(s.ttl.Seconds())).Int()
	if err != nil {
		return false, fmt.Errorf("finish job %s: %w", id, err)
	}
	return n == 1, nil
}

// Result reads a completed job's stored output.
func (s *Store) Result(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, resultKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("result of %s: %w", id, err)
	}
	return b, nil
}

// Cleanup deletes every job created before cutoff, with all its keys, and
// returns how many it deleted.
func (s *Store) Cleanup(ctx context.Context, cutoff time.Time) (int, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, JobsIndex, &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(cutoff.UnixMicro(), 10)}).Result()
	if err != nil {
		return 0, fmt.Errorf("cleanup: %w", err)
	}
	for _, id := range ids {
		if err := s.Delete(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// Delete removes a job and all its keys.
func (s *Store) Delete(ctx context.Context, id string) error {
	pages, _ := s.rdb.HKeys(ctx, pagesKey(id)).Result()
	inflight, _ := s.rdb.SMembers(ctx, inflightKey(id)).Result()
	pages = append(pages, inflight...)
	keys := []string{jobKey(id), pagesKey(id), pdfKey(id), resultKey(id), inflightKey(id)}
	keys = append(keys, s.integrationKeys(ctx, id)...) // api.go: webhook attempts, image crops
	for _, p := range pages {
		n, _ := strconv.Atoi(p)
		keys = append(keys, ImageKey(id, n))
	}
	if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	return s.rdb.ZRem(ctx, JobsIndex, id).Err()
}

// ForgetPassword replaces an encrypted upload with its decrypted copy and
// drops the password, so the secret does not sit in Redis for the job's TTL.
func (s *Store) ForgetPassword(ctx context.Context, id string, decrypted []byte) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SetArgs(ctx, pdfKey(id), decrypted, redis.SetArgs{KeepTTL: true})
		p.HDel(ctx, jobKey(id), "password")
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget password of %s: %w", id, err)
	}
	return nil
}
