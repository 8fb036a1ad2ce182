package scheduler

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/waakvlam/waakvlam/store"
)

// SchedulerOptions configure a Scheduler. Zero values take the defaults.
type SchedulerOptions struct {
	Interval   time.Duration     // between rounds; default 1s
	Batch      int               // due members read per Tick; default 100
	Clock      Clock             // default the store's clock
	Partitions []store.Partition // default all
	Logger     *slog.Logger      // default the store's logger
}

// Scheduler runs Tick over all partitions on an interval. Any number of
// Schedulers (in any number of replicas) may run on one Redis.
type Scheduler struct {
	st       *Store
	clock    Clock
	interval time.Duration
	batch    int
	parts    []store.Partition
	log      *slog.Logger
}

// NewScheduler returns a scheduler over st.
func NewScheduler(st *Store, opt SchedulerOptions) *Scheduler {
	s := &Scheduler{st: st, clock: opt.Clock, interval: opt.Interval, batch: opt.Batch, parts: opt.Partitions, log: opt.Logger}
	if s.clock == nil {
		s.clock = st.clock
	}
	if s.interval <= 0 {
		s.interval = time.Second
	}
	if s.batch <= 0 {
		s.batch = 100
	}
	if len(s.parts) == 0 {
		for p := 0; p < store.Partitions; p++ {
			s.parts = append(s.parts, store.Partition(p))
		}
	}
	if s.log == nil {
		s.log = st.log
	}
	return s
}

// Run ticks every interval until ctx ends; it then returns nil. Errors
// (Redis away) are logged and the next round tries again.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("scheduler: round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce claims everything due now in all partitions, starting at a
// random partition so replicas spread out. It returns the entries added.
func (s *Scheduler) RunOnce(ctx context.Context) (int, error) {
	total := 0
	var firstErr error
	off := rand.IntN(len(s.parts))
	for i := range s.parts {
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
		p := s.parts[(i+off)%len(s.parts)]
		for round := 0; round < 1000; round++ {
			n, read, err := s.st.tick(ctx, p, s.clock.Now(), s.batch)
			total += n
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				break
			}
			if read < s.batch {
				break
			}
		}
	}
	return total, firstErr
}
