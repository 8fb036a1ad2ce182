package store

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// RewriteAOF asks every Redis master that keeps an append-only file to
// rewrite it (BGREWRITEAOF), so that deleted entries (handled messages,
// wiped clients) leave the disk, not only memory. It does so at most once
// per every over all replicas: only the caller that takes the lease
// (wv:{sys}:aof, TTL every) asks. It returns how many servers it asked; 0
// when another replica holds the lease or no server has AOF on.
func (s *Store) RewriteAOF(ctx context.Context, replica string, every time.Duration) (int, error) {
	ok, err := s.rdb.SetNX(ctx, AOFLease, replica, every).Result()
	if err != nil {
		return 0, fmt.Errorf("aof lease: %w", err)
	}
	if !ok {
		return 0, nil
	}
	var asked atomic.Int32
	do := func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "persistence").Result()
		switch {
		case err != nil && strings.HasPrefix(err.Error(), "NOPERM"):
			// The shipped ACL user may not read INFO: ask without looking
			// (Redis says so when a rewrite is under way). On a Redis
			// without AOF that writes an AOF snapshot: set
			// WAAKVLAM_AOF_REWRITE=0 there.
		case err != nil:
			return fmt.Errorf("aof state: %w", err)
		case !strings.Contains(info, "aof_enabled:1"):
			return nil // RDB only: a new snapshot holds only live data anyway
		case strings.Contains(info, "aof_rewrite_in_progress:1"), strings.Contains(info, "aof_rewrite_scheduled:1"):
			asked.Add(1)
			return nil
		}
		if err := c.BgRewriteAOF(ctx).Err(); err != nil && !strings.Contains(err.Error(), "in progress") {
			return fmt.Errorf("bgrewriteaof: %w", err)
		}
		asked.Add(1)
		return nil
	}
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, do)
	case *redis.Client:
		err = do(ctx, c)
	default:
		err = fmt.Errorf("aof rewrite: unsupported client %T", s.rdb)
	}
	return int(asked.Load()), err
}
