package app

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
)

// accessSweepEvery is how often a replica trims the access log and notes
// its heads in the log.
const accessSweepEvery = 24 * time.Hour

// sweepAccessLog removes access log entries older than the retention
// (WAAKVLAM_ACCESS_LOG_RETENTION, default five years), soon after start
// and then daily, and writes each chain's head to the process log: a copy
// outside Redis that shows whether entries were later removed from a
// chain's end. Replicas may trim at the same time; each trim is recorded
// in the chain, and trimming twice removes nothing more.
func (a *App) sweepAccessLog(ctx context.Context) {
	keep := a.cfg.AccessLogRetention
	if keep <= 0 {
		keep = accesslog.DefaultRetention
	}
	t := time.NewTimer(time.Minute + rand.N(time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := a.Access.Trim(ctx, keep)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("access log retention", "err", err)
		case n > 0:
			a.log.Info("access log entries past the retention removed", "entries", n, "retention", keep.String())
		}
		if heads, err := a.Access.Heads(ctx); err == nil {
			for chain, h := range heads {
				a.log.Info("access log head", "chain", chain, "head", h)
			}
		}
		t.Reset(accessSweepEvery)
	}
}
