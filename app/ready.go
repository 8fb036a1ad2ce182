package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/waakvlam/waakvlam/bot"
	"github.com/waakvlam/waakvlam/store"
)

// ReadyEvery is how often the readiness watch looks at Mattermost and the
// poll lease.
var ReadyEvery = time.Second

// readiness is what the watch found; /readyz reads it.
type readiness struct {
	mu          sync.Mutex
	started     time.Time
	bridgeOK    time.Time // last time Mattermost answered
	bridgeErr   error     // the bridge stopped for good
	pollMissing time.Time // since when no replica holds the poll lease (zero: one does)
}

// Ready reports why this replica cannot do its work now, or nil. It is
// not ready while Redis does not answer, while the pipeline cannot read
// or renew its leases or heals from lost Redis data, while Mattermost has
// been unreachable for longer than WAAKVLAM_MATTERMOST_DOWN_READY (or the
// bridge stopped), and in polling mode while no replica in the cluster
// has polled Telegram for two poll lease times. /healthz says only that
// the process runs.
func (a *App) Ready(ctx context.Context) error {
	if err := a.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis unreachable: %w", err)
	}
	if err := a.Pipeline.Ready(); err != nil {
		return err
	}
	r := &a.ready
	r.mu.Lock()
	defer r.mu.Unlock()
	if a.Bridge != nil {
		if r.bridgeErr != nil {
			return fmt.Errorf("coach bridge stopped: %w", r.bridgeErr)
		}
		down := a.cfg.MattermostDown
		if down <= 0 {
			down = time.Minute
		}
		if since := time.Since(r.bridgeOK); !r.started.IsZero() && since > down {
			return fmt.Errorf("mattermost unreachable for %s", since.Round(time.Second))
		}
	}
	if a.cfg.Mode == "polling" && !r.pollMissing.IsZero() && time.Since(r.pollMissing) > 2*bot.DefaultPollLeaseTTL {
		return errors.New("no replica polls telegram")
	}
	return nil
}

// watchReady looks at Mattermost and the poll lease every ReadyEvery
// until ctx ends.
func (a *App) watchReady(ctx context.Context) {
	r := &a.ready
	r.mu.Lock()
	r.started, r.bridgeOK = time.Now(), time.Now()
	r.mu.Unlock()
	t := time.NewTicker(ReadyEvery)
	defer t.Stop()
	for {
		if a.mm != nil {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, _, err := a.mm.Me(cctx)
			cancel()
			if err == nil {
				r.mu.Lock()
				r.bridgeOK = time.Now()
				r.mu.Unlock()
			}
		}
		if a.cfg.Mode == "polling" {
			n, err := a.rdb.Exists(ctx, store.PollLease).Result()
			r.mu.Lock()
			switch {
			case err == nil && n == 0 && r.pollMissing.IsZero():
				r.pollMissing = time.Now()
			case err == nil && n > 0:
				r.pollMissing = time.Time{}
			}
			r.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// bridgeStopped records that the coach bridge gave up (a setup error that
// retrying does not cure).
func (a *App) bridgeStopped(err error) {
	a.ready.mu.Lock()
	a.ready.bridgeErr = err
	a.ready.mu.Unlock()
}
