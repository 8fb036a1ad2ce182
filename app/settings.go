package app

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/waakvlam/waakvlam/programme"
	"github.com/waakvlam/waakvlam/store"
)

// Settings is the programme configuration every replica uses: stored in
// Redis, so a change made through one replica reaches all of them.
type Settings struct {
	st  *store.Store
	log *slog.Logger
	// onChange is told about new settings (quiet hours for the scheduler).
	onChange func(programme.Config)
	cur      atomic.Pointer[programme.Config]
	yaml     atomic.Value // string
}

func newSettings(st *store.Store, log *slog.Logger, initial programme.Config) *Settings {
	s := &Settings{st: st, log: log}
	s.cur.Store(&initial)
	s.yaml.Store(initial.YAML())
	return s
}

// Get returns the current settings.
func (s *Settings) Get() programme.Config { return *s.cur.Load() }

// refresh reads the shared settings; a broken stored file keeps the last
// good settings.
func (s *Settings) refresh(ctx context.Context) {
	y, err := s.st.ProgrammeYAML(ctx)
	if err != nil || y == "" || y == s.yaml.Load().(string) {
		return
	}
	c, err := programme.Parse([]byte(y))
	if err != nil {
		s.log.Error("stored programme settings unreadable; keeping the last good ones", "err", err)
		return
	}
	s.cur.Store(&c)
	s.yaml.Store(y)
	if s.onChange != nil {
		s.onChange(c)
	}
}

// run keeps the settings fresh until ctx ends.
func (s *Settings) run(ctx context.Context) {
	if err := s.st.InitProgramme(ctx, s.yaml.Load().(string)); err != nil {
		s.log.Warn("store programme settings", "err", err)
	}
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		s.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
