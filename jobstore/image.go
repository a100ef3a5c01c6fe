package jobstore

import (
	"errors"

	"github.com/redis/go-redis/v9"
)

// ErrJobOver means the job is completed, failed, cancelled or gone, so work
// for it is dropped.
var ErrJobOver = errors.New("job is over")

// storeImageScript stores a page image and adds the page to the job's
// in-flight set only while the job is not final, in one step, so a cancel
// between a check and the write cannot leave an image behind.
var storeImageScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'completed' or st == 'failed' or st == 'cancelled' then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return 1`)
