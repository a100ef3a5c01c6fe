package httpapi

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"
)

// rateWindow is the fixed window of RATE_LIMIT.
const rateWindow = time.Minute

// rateScript counts a request in the caller's current window and returns the
// count and the window's remaining milliseconds. The counter lives in Redis,
// so every API replica enforces one shared limit.
var rateScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`)

// rateLimit answers 429 with Retry-After once a caller (its API key, or its
// IP without keys) has made RATE_LIMIT requests in the current minute.
func (a *App) rateLimit(c *fiber.Ctx) error {
	if a.p.RateLimit <= 0 || c.Method() == fiber.MethodOptions {
		return c.Next()
	}
	who := owner(c)
	if who == "" {
		who = "ip:" + c.IP()
	}
	window := time.Now().UnixMilli() / rateWindow.Milliseconds()
	key := "docparse:ratelimit:" + who + ":" + strconv.FormatInt(window, 10)
	ctx, cancel := context.WithTimeout(c.UserContext(), time.Second)
	defer cancel()
	res, err := rateScript.Run(ctx, a.p.Store.Client(), []string{key}, rateWindow.Milliseconds()).Int64Slice()
	if err != nil {
		// Redis away: the request itself will answer 503; do not block on the counter.
		a.p.Logger.Warn("rate limit unavailable", slog.String("error", err.Error()))
		return c.Next()
	}
	c.Set("X-RateLimit-Limit", strconv.Itoa(a.p.RateLimit))
	c.Set("X-RateLimit-Remaining", strconv.FormatInt(max(0, int64(a.p.RateLimit)-res[0]), 10))
	if res[0] > int64(a.p.RateLimit) {
		c.Set(fiber.HeaderRetryAfter, strconv.FormatInt((res[1]+999)/1000, 10))
		return newError(fiber.StatusTooManyRequests, "rate_limited", "too many requests: "+strconv.Itoa(a.p.RateLimit)+" per minute allowed")
	}
	return c.Next()
}
