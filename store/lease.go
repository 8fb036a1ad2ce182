package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// leaseCmd takes or renews a lease. KEYS[1] lease. ARGV[1] token, ARGV[2] ttl ms.
var leaseCmd = redis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if cur == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
if not cur then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 1
end
return 0
`)

var releaseCmd = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
`)

// Lease takes or renews the lease at key for token. It reports whether
// token holds the lease now.
func (s *Store) Lease(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	n, err := leaseCmd.Run(ctx, s.rdb, []string{key}, token, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", key, err)
	}
	return n == 1, nil
}

// Release gives a lease up if token still holds it.
func (s *Store) Release(ctx context.Context, key, token string) error {
	if err := releaseCmd.Run(ctx, s.rdb, []string{key}, token).Err(); err != nil {
		return fmt.Errorf("release %s: %w", key, err)
	}
	return nil
}

// Heartbeat records a live replica and returns how many are alive.
func (s *Store) Heartbeat(ctx context.Context, replica string, now time.Time, ttl time.Duration) (int64, error) {
	pipe := s.rdb.TxPipeline()
	pipe.ZAdd(ctx, Replicas, redis.Z{Score: float64(now.UnixMilli()), Member: replica})
	pipe.ZRemRangeByScore(ctx, Replicas, "-inf", fmt.Sprint(now.Add(-ttl).UnixMilli()))
	n := pipe.ZCard(ctx, Replicas)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("heartbeat: %w", err)
	}
	return n.Val(), nil
}

// Leave removes a replica from the live set at shutdown.
func (s *Store) Leave(ctx context.Context, replica string) error {
	return s.rdb.ZRem(ctx, Replicas, replica).Err()
}
