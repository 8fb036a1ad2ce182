package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/store"
)

// Tick claims up to max occurrences of partition p that are due at now:
// each goes into the partition's intake stream (type store.EntryDue, body
// the Occurrence as JSON through the codec) and its schedule moves on to
// the next occurrence, in one compare-and-set script, so any number of
// replicas may tick the same partition and each occurrence enters the
// intake exactly once. Occurrences overdue by more than the grace window
// are skipped (logged by schedule id); when now is in quiet hours, due
// occurrences wait for the end of them. It returns how many entries it
// added to the intake stream.
func (s *Store) Tick(ctx context.Context, p store.Partition, now time.Time, max int) (int, error) {
	claimed, _, err := s.tick(ctx, p, now, max)
	return claimed, err
}

type claim struct {
	keys []string
	args []any
	emit bool
}

// tick returns the entries added and how many due members it read (when
// that equals max there may be more).
func (s *Store) tick(ctx context.Context, p store.Partition, now time.Time, max int) (claimed, read int, err error) {
	if max <= 0 {
		max = 100
	}
	now = now.In(s.loc)
	due, err := s.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{
		Key: p.Due(), Start: "-inf", Stop: strconv.FormatInt(ms(now), 10), ByScore: true, Count: int64(max),
	}).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("scheduler: read due: %w", err)
	}
	if len(due) == 0 {
		return 0, 0, nil
	}
	pipe := s.rdb.Pipeline()
	hs := make([]*redis.MapStringStringCmd, len(due))
	for i, z := range due {
		hs[i] = pipe.HGetAll(ctx, p.Schedule(z.Member.(string)))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, len(due), fmt.Errorf("scheduler: read schedules: %w", err)
	}
	claims := make([]claim, 0, len(due))
	for i, z := range due {
		id := z.Member.(string)
		c, err := s.prepare(ctx, p, id, int64(z.Score), hs[i].Val(), now)
		if err != nil {
			// A schedule that cannot be read is never guessed at (client
			// content); after a few tries it is set aside (poison.go).
			s.unreadable(ctx, p, id, int64(z.Score), hs[i].Val()[fClient], err)
			continue
		}
		s.readable(p, id)
		claims = append(claims, c)
	}
	claimed, err = s.run(ctx, p, claims)
	return claimed, len(due), err
}

// prepare computes what claiming one due member does.
func (s *Store) prepare(ctx context.Context, p store.Partition, id string, score int64, h map[string]string, now time.Time) (claim, error) {
	base := []any{id, score}
	keys := []string{p.Due(), p.Schedule(id), p.Intake(), ClientSchedules(p, h[fClient])}
	if len(h) == 0 {
		// Removed between the two reads, or a stray member: the script
		// drops the member when the hash is really gone.
		return claim{keys: keys, args: append(base, "", "done", "", "", "", "0", "", "", "", "", "", "")}, nil
	}
	version := h[fVersion]
	sc, st, err := s.decode(ctx, id, h)
	if err != nil {
		return claim{}, err
	}
	if sc.Paused || st.pending.due.IsZero() {
		// Paused schedules have no member; this one is stale.
		return claim{keys: keys, args: append(base, version, "done", "", "", "", "0", "", "", "", "", "", "")}, nil
	}
	cur := st.pending
	cur.due = time.UnixMilli(score).In(s.loc)

	// After downtime: occurrences overdue by more than the grace window are
	// skipped (logged by schedule id only); the first one within it is sent.
	skipped := 0
	for now.Sub(cur.due) > s.grace && skipped < maxSteps {
		skipped++
		n, ok := st.plan.after(cur)
		if !ok {
			s.logSkipped(p, id, skipped, now.Sub(cur.due))
			return claim{keys: keys, args: append(base, version, "done", "", "", "", "0", "", "", "", "", "", "")}, nil
		}
		cur = n
	}
	if skipped > 0 {
		s.logSkipped(p, id, skipped, now.Sub(st.pending.due))
	}
	if cur.due.After(now) {
		return claim{keys: keys, args: append(base, version, "next", ms(cur.due), ms(cur.event), cur.idx, "0", "", "", "", "", "", "")}, nil
	}
	overdue := now.Sub(cur.due)
	// Quiet hours now (a late send after downtime, or a clock edge): the
	// occurrence waits for their end, merged with the one planned there.
	if q := s.Quiet(); q.Contains(now) {
		wait := q.Shift(now)
		if next, ok := st.plan.after(cur); ok && next.due.Equal(wait) {
			cur = next
		}
		return claim{keys: keys, args: append(base, version, "next", ms(wait), ms(cur.event), cur.idx, "0", "", "", "", "", "", "")}, nil
	}
	next, ok := st.plan.after(cur)
	args := append(base, version)
	if ok {
		args = append(args, "next", ms(next.due), ms(next.event), next.idx)
	} else {
		args = append(args, "done", "", "", "")
	}
	lead := st.plan.leads[cur.idx]
	occ := Occurrence{
		ID:         id + ":" + strconv.FormatInt(ms(cur.event), 10) + ":" + strconv.Itoa(cur.idx),
		ScheduleID: id,
		ClientID:   sc.ClientID,
		Kind:       sc.Kind,
		Due:        cur.due,
		Nominal:    cur.nominal,
		Event:      cur.event,
		Before:     lead,
		Late:       overdue > s.late,
		Text:       sc.Text,
		Emoji:      sc.Emoji,
	}
	body, err := json.Marshal(occ)
	if err != nil {
		return claim{}, err
	}
	enc, err := s.encode(ctx, store.Where{Owner: sc.ClientID, Key: p.Intake(), Field: store.FieldBody}, body)
	if err != nil {
		return claim{}, fmt.Errorf("encode occurrence: %w", err)
	}
	args = append(args, "1", store.FieldType, store.EntryDue, store.FieldClient, sc.ClientID, store.FieldBody, string(enc))
	return claim{keys: keys, args: args, emit: true}, nil
}

func (s *Store) logSkipped(p store.Partition, id string, skipped int, overdue time.Duration) {
	s.log.Warn("scheduler: occurrences skipped, overdue beyond grace", "schedule", id, "partition", int(p),
		"skipped", skipped, "overdue", overdue.Round(time.Second).String())
}

// run executes the claim scripts in one pipeline (EVALSHA; the scripts are
// loaded once and again after NOSCRIPT, for example after a failover).
func (s *Store) run(ctx context.Context, p store.Partition, claims []claim) (int, error) {
	if len(claims) == 0 {
		return 0, nil
	}
	claimed := 0
	for attempt := 0; ; attempt++ {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(claims))
		for i, c := range claims {
			cmds[i] = claimScript.EvalSha(ctx, pipe, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx)
		var again []claim
		var firstErr error
		for i, cmd := range cmds {
			n, err := cmd.Int()
			if err != nil {
				if strings.HasPrefix(err.Error(), "NOSCRIPT") {
					again = append(again, claims[i])
				} else if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if n == 1 && claims[i].emit {
				claimed++
			}
		}
		if len(again) > 0 && attempt == 0 {
			if err := claimScript.Load(ctx, s.rdb).Err(); err != nil {
				return claimed, fmt.Errorf("scheduler: load claim script: %w", err)
			}
			claims = again
			continue
		}
		if firstErr == nil && len(again) > 0 {
			firstErr = fmt.Errorf("script not loaded")
		}
		if firstErr != nil {
			return claimed, fmt.Errorf("scheduler: claim: %w", firstErr)
		}
		return claimed, nil
	}
}
