package app

import (
	"context"
	"math/rand/v2"
	"time"
)

// rewriteAOF asks Redis to rewrite its append-only file once every
// cfg.AOFRewrite (default a day). Handled intake entries, sent messages and
// wiped clients are deleted at once in memory, but an append-only file
// keeps every command until it is rewritten; Redis rewrites it on its own
// only when it has grown (auto-aof-rewrite-percentage), which a small
// Waakvlam may take months to do. One replica asks per interval: the first
// to take the lease (wv:{sys}:aof, TTL the interval). Every replica looks
// every ten minutes (or a quarter of the interval), so a dead replica
// delays the rewrite by that at most.
func (a *App) rewriteAOF(ctx context.Context) {
	every := a.cfg.AOFRewrite
	if every <= 0 {
		return
	}
	look := min(every/4, 10*time.Minute)
	// Replicas that start together do not all look at once.
	t := time.NewTimer(time.Duration(rand.Int64N(int64(look/10) + 1)))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		asked, err := a.Store.RewriteAOF(ctx, a.replica, every)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("aof rewrite", "err", err)
		case asked > 0:
			a.log.Info("asked redis to rewrite its append-only file", "servers", asked)
		}
		t.Reset(look)
	}
}
