package scheduler

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/store"
)

// dropDue removes a due member only while its score is the one read, so a
// schedule set again meanwhile (a new due time) stays. KEYS 1 due set; ARGV
// 1 member, 2 score.
var dropDue = redis.NewScript(`
local s = redis.call("ZSCORE", KEYS[1], ARGV[1])
if s and tonumber(s) == tonumber(ARGV[2]) then return redis.call("ZREM", KEYS[1], ARGV[1]) end
return 0
`)

// unreadable handles a due schedule that could not be read (its sealed
// content does not open, its spec does not parse, ...). It is tried on the
// next ticks, since a passing fault (a key not loaded yet) may be the
// cause; after PoisonTries failed reads in a row it is set aside: SetAside
// records it and tells someone once across replicas, and it leaves the due
// set, so that it is not tried every second on every replica and a batch of
// them cannot fill every tick of the partition (Tick reads the earliest due
// members first). The schedule itself stays for an operator.
func (s *Store) unreadable(ctx context.Context, p store.Partition, id string, score int64, clientID string, cause error) {
	tries := s.PoisonTries
	if tries <= 0 {
		tries = 3
	}
	key := strconv.Itoa(int(p)) + "/" + id
	s.mu.Lock()
	if s.poison == nil {
		s.poison = map[string]int{}
	}
	s.poison[key]++
	n := s.poison[key]
	s.mu.Unlock()
	if n < tries || s.SetAside == nil {
		s.log.Error("scheduler: schedule unreadable", "schedule", id, "partition", int(p), "try", n, "err", cause)
		return
	}
	if err := s.SetAside(ctx, p, id, clientID, n, cause.Error()); err != nil {
		s.log.Error("scheduler: set unreadable schedule aside", "schedule", id, "partition", int(p), "err", err)
		return
	}
	if err := dropDue.Run(ctx, s.rdb, []string{p.Due()}, id, score).Err(); err != nil {
		s.log.Error("scheduler: take unreadable schedule out of the due set", "schedule", id, "partition", int(p), "err", err)
		return
	}
	s.log.Error("scheduler: unreadable schedule set aside", "schedule", id, "partition", int(p), "tries", n)
	s.readable(p, id)
}

// readable forgets failed reads of a schedule that was read.
func (s *Store) readable(p store.Partition, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.poison) > 0 {
		delete(s.poison, strconv.Itoa(int(p))+"/"+id)
	}
}

// Now is the time by the store's clock.
func (s *Store) Now() time.Time { return s.clock.Now() }
