package bot

import (
	"context"
	"time"
)

// DefaultPollLeaseTTL is how long the poll lease outlives a poller that
// stopped renewing it (README, "Leases and takeover"). It is renewed every
// fifth of it while a long poll runs, and a poller that could not renew it
// for half of it aborts its poll: at least three tenths of it (1.5 s) pass
// between that abort and the moment another replica may take the lease,
// so two replicas never poll at once even on a loaded machine. (A 3 s lease
// renewed every second left well under a second, and a loaded CI machine
// saw two getUpdates at once.)
const DefaultPollLeaseTTL = 5 * time.Second

// LeaseHolder is a Leaser that tells a renewal from a fresh take: a holder
// whose lease key was gone (it expired, or Redis lost its data) lost it in
// between, and that is not a renewal.
type LeaseHolder interface {
	HoldLease(ctx context.Context, key, token string, ttl time.Duration) (held, fresh bool, err error)
}

// keep renews the poll lease every fifth of ttl while the poll runs, from
// the lease taken at start. It cancels the poll when another replica holds
// the lease, when the key was gone (lost, not renewed), or when no renewal
// reached Redis for half of ttl: the poll is aborted well before the lease
// can run out and another replica start polling. Each renewal may take at
// most a fifth of ttl, so a hanging Redis call cannot delay the abort.
func (p *Poller) keep(ctx context.Context, cancel context.CancelFunc, ttl time.Duration, start time.Time) {
	defer cancel()
	t := time.NewTicker(ttl / 5)
	defer t.Stop()
	last := start // when the last confirmed renewal was sent
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if time.Since(last) > ttl/2 {
			p.Log.Warn("poll stopped: lease not renewed in time")
			return
		}
		sent := time.Now()
		held, fresh := false, false
		var err error
		rctx, rcancel := context.WithTimeout(ctx, ttl/5)
		if h, ok := p.Leases.(LeaseHolder); ok {
			held, fresh, err = h.HoldLease(rctx, p.LeaseKey, p.Replica, ttl)
		} else {
			held, err = p.Leases.Lease(rctx, p.LeaseKey, p.Replica, ttl)
		}
		rcancel()
		switch {
		case err == nil && held && !fresh:
			last = sent
		case err == nil && fresh:
			p.Log.Warn("poll lease was lost (expired or redis lost its data): polling again")
			if p.Healed != nil {
				p.Healed("poll lease")
			}
			return
		case err == nil:
			p.Log.Info("poll lease lost")
			return
		case ctx.Err() != nil:
			return
		default:
			p.Log.Warn("renew poll lease", "err", err)
			if time.Since(last) > ttl/2 {
				p.Log.Warn("poll stopped: lease not renewed in time")
				return
			}
		}
	}
}
