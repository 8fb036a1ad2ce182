package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ProgrammeYAML reads the shared programme settings ("" when none).
func (s *Store) ProgrammeYAML(ctx context.Context) (string, error) {
	v, err := s.rdb.Get(ctx, Programme).Result()
	if err == redis.Nil {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read programme: %w", err)
	}
	return v, nil
}

// InitProgramme stores settings only when none are stored yet.
func (s *Store) InitProgramme(ctx context.Context, yaml string) error {
	return s.rdb.SetNX(ctx, Programme, yaml, 0).Err()
}

// SetProgramme stores new settings and writes the change to the audit log.
func (s *Store) SetProgramme(ctx context.Context, yaml, who, what, before, after string, now time.Time) error {
	pipe := s.rdb.TxPipeline()
	pipe.Set(ctx, Programme, yaml, 0)
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: ProgrammeAudit, MinID: fmt.Sprint(now.Add(-s.auditRetention()).UnixMilli()), Approx: true,
		Values: []any{"who", who, "what", what, "before", before, "after", after}})
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store programme: %w", err)
	}
	return nil
}

// AuditProgramme writes a change that is not a settings file (a client's
// level) to the programme audit log.
func (s *Store) AuditProgramme(ctx context.Context, who, what, before, after string, now time.Time) error {
	return s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: ProgrammeAudit, MinID: fmt.Sprint(now.Add(-s.auditRetention()).UnixMilli()), Approx: true,
		Values: []any{"who", who, "what", what, "before", before, "after", after}}).Err()
}

func (s *Store) auditRetention() time.Duration {
	if s.AuditRetention > 0 {
		return s.AuditRetention
	}
	return DefaultRetention().Audit
}
