package pipeline

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/waakvlam/waakvlam/store"
)

// health is what the pipeline knows of its own ability to work, for
// readiness: whether its last round of leases reached Redis, whether a
// loop heals or fails to read.
type health struct {
	mu       sync.Mutex
	started  bool
	roundAt  time.Time // end of the last round of leases (real time)
	roundErr error     // what went wrong in it
	heals    int64     // heals counted so far
	seen     int64     // heals counted at the end of the last round
	healing  bool      // a heal happened and no clean round followed yet
	failing  map[string]error
}

// Healed counts a loop that found its consumer group or lease gone (Redis
// lost its data) and made it again. The store calls it (store.Store.Healed);
// readiness says not-ready until a round of leases passes without one.
func (p *Pipeline) Healed(what string) {
	p.log.Warn("redis lost data: recreated", "what", what)
	if m := p.opt.Metrics; m != nil && m.Healed != nil {
		m.Healed.With(what).Inc()
	}
	h := &p.health
	h.mu.Lock()
	h.heals++
	h.healing = true
	h.mu.Unlock()
}

// endRound records a round of leases; err is its first failure.
func (p *Pipeline) endRound(err error) {
	h := &p.health
	h.mu.Lock()
	defer h.mu.Unlock()
	h.started = true
	h.roundAt = time.Now()
	h.roundErr = err
	if err == nil && h.heals == h.seen {
		h.healing = false
	}
	h.seen = h.heals
}

// readFailed records that a loop of a partition cannot read its stream
// (err) or can again (nil).
func (p *Pipeline) readFailed(loop string, part store.Partition, err error) {
	h := &p.health
	key := fmt.Sprintf("%s %d", loop, part)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		delete(h.failing, key)
		return
	}
	if h.failing == nil {
		h.failing = map[string]error{}
	}
	h.failing[key] = err
}

// Ready reports why the pipeline cannot do its work now, or nil: its last
// round of leases failed or is overdue, a loop cannot read its stream, or
// it is healing from lost Redis data.
// Before the first round it has nothing against it.
func (p *Pipeline) Ready() error {
	h := &p.health
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case !h.started:
		// Nothing failed yet: intake (webhook) only needs Redis, and the
		// first round follows at once.
		return nil
	case h.roundErr != nil:
		return fmt.Errorf("partition leases: %w", h.roundErr)
	case time.Since(h.roundAt) > p.opt.LeaseTTL:
		return errors.New("partition leases overdue")
	case h.healing:
		return errors.New("recovering from lost redis data")
	}
	for k, err := range h.failing {
		return fmt.Errorf("%s: %w", k, err)
	}
	return nil
}
