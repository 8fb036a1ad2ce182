package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// leaseCmd takes or renews a lease. KEYS[1] lease. ARGV[1] token, ARGV[2] ttl ms.
// It answers 1 for a renewal, 2 when the key was missing and is taken now
// (for a holder that means the lease was lost meanwhile: expired, or Redis
// lost its data), 0 when another token holds it.
var leaseCmd = redis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if cur == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
if not cur then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 2
end
return 0
`)

// LeaseResult says what a call to Hold found.
type LeaseResult int

// Outcomes of Hold.
const (
	LeaseHeld    LeaseResult = iota // another token holds the lease
	LeaseRenewed                    // token held it and still does, for ttl more
	LeaseTaken                      // the key was missing and token holds it now
)

// Hold takes or renews the lease at key for token and says which. A
// holder that gets LeaseTaken lost the lease in between (it expired, or
// Redis lost its data) and must treat what it did under it as suspect: it
// is not a renewal.
func (s *Store) Hold(ctx context.Context, key, token string, ttl time.Duration) (LeaseResult, error) {
	n, err := leaseCmd.Run(ctx, s.rdb, []string{key}, token, ttl.Milliseconds()).Int()
	if err != nil {
		return LeaseHeld, fmt.Errorf("lease %s: %w", key, err)
	}
	return LeaseResult(n), nil
}

var releaseCmd = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
`)

// Lease takes or renews the lease at key for token. It reports whether
// token holds the lease now.
func (s *Store) Lease(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	r, err := s.Hold(ctx, key, token, ttl)
	return r != LeaseHeld, err
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

// HoldLease is Hold for package bot: held says token holds the lease now,
// fresh that the key was missing (a holder lost it in between).
func (s *Store) HoldLease(ctx context.Context, key, token string, ttl time.Duration) (held, fresh bool, err error) {
	r, err := s.Hold(ctx, key, token, ttl)
	return r != LeaseHeld, r == LeaseTaken, err
}
