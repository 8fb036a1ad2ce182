package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Kinds of items set aside by SetAside.
const (
	AsideUpdate   = "update"   // a Telegram update that does not parse
	AsideSchedule = "schedule" // a schedule that cannot be read
)

// Aside is the hash of items set aside in a partition, "kind:id" -> when
// (ms), so that each is set aside, counted and told about once however many
// replicas meet it.
func (p Partition) Aside() string { return p.key("aside") }

// asideCmd: KEYS 1 aside hash, 2 dead stream, 3 coach queue. ARGV 1
// "kind:id", 2 time ms, 3 kind, 4 id, 5 reason, 6 client, 7 sealed notice
// ("" for none). Returns 1 the first time, 0 after.
var asideCmd = redis.NewScript(`
if redis.call("HSETNX", KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call("XADD", KEYS[2], "MAXLEN", "~", "10000", "*", "aside", ARGV[3], "id", ARGV[4], "k", ARGV[6], "why", ARGV[5])
if ARGV[7] ~= "" then redis.call("XADD", KEYS[3], "*", "k", ARGV[6], "m", ARGV[7]) end
return 1
`)

// SetAside records, once, that an item that kept failing is set aside: a
// line in the partition's dead-letter stream (kind, id, client, reason; no
// content) and notice, a coach post about clientID ("" for one for the
// project leaders), in its coach queue. It reports whether this call was the
// first for kind and id: only the first adds the line and the notice.
// Forget removes the mark (when the item is repaired or removed).
func (s *Store) SetAside(ctx context.Context, p Partition, kind, id, clientID, reason string, notice []byte, now time.Time) (bool, error) {
	m := ""
	if len(notice) > 0 {
		var err error
		if m, err = s.sealAt(ctx, clientID, p.CoachQueue(), "m", notice); err != nil {
			return false, err
		}
	}
	if len(reason) > 200 {
		reason = reason[:200]
	}
	n, err := asideCmd.Run(ctx, s.rdb, []string{p.Aside(), p.Dead(), p.CoachQueue()},
		kind+":"+id, now.UnixMilli(), kind, id, reason, clientID, m).Int()
	if err != nil {
		return false, fmt.Errorf("set %s %s aside: %w", kind, id, err)
	}
	return n == 1, nil
}

// IsAside reports whether kind and id are set aside in p.
func (s *Store) IsAside(ctx context.Context, p Partition, kind, id string) (bool, error) {
	ok, err := s.rdb.HExists(ctx, p.Aside(), kind+":"+id).Result()
	if err != nil {
		return false, fmt.Errorf("read %s: %w", p.Aside(), err)
	}
	return ok, nil
}

// ForgetAside removes the mark of kind and id, so that a repaired item that
// fails again is told about again.
func (s *Store) ForgetAside(ctx context.Context, p Partition, kind, id string) error {
	return s.rdb.HDel(ctx, p.Aside(), kind+":"+id).Err()
}
