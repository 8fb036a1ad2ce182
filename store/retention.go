package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Retention is how long each class of data is kept. The settings are in
// package config (WAAKVLAM_*_RETENTION), the processing register prints
// them (waakvlam privacy register), and Sweep removes what is older. A
// zero period leaves that class alone.
type Retention struct {
	// InFlight: queue entries (intake, outbox, coach queue) that were not
	// handled in this time, and entries set aside as dead letters.
	// Handled entries are deleted at once.
	InFlight time.Duration
	// Dialog: an unfinished conversation (the dialog state: the step, the
	// pages of a letter, an open question) of a client who did nothing
	// since.
	Dialog time.Duration
	// Moods: the mood history (the last ten check-in answers), counted
	// from the last answer.
	Moods time.Duration
	// Events: domain events (kind, client id, time, ids; no text).
	Events time.Duration
	// Alerts: safety alerts, counted from when they were raised or picked
	// up (also when nobody picked them up).
	Alerts time.Duration
	// Verdicts: the coaches' verdicts on client posts with the client's
	// words.
	Verdicts time.Duration
	// Audit: the audit logs of alerts (raised, escalated, picked up) and
	// of settings and level changes.
	Audit time.Duration
	// Stopped: everything of a client who is not linked to a chat (stopped
	// by staff, stopped with /stop, or never started), counted from the
	// stop; a new code starts the time again. Then the client is wiped
	// (WipeClient), its Mattermost channel too.
	Stopped time.Duration
}

// DefaultRetention is the retention when nothing is configured; the
// defaults of the settings in package config are the same (a test checks).
func DefaultRetention() Retention {
	const day = 24 * time.Hour
	return Retention{
		InFlight: 30 * day,
		Dialog:   30 * day,
		Moods:    90 * day,
		Events:   400 * day,
		Alerts:   90 * day,
		Verdicts: DefaultVerdictRetention,
		Audit:    43830 * time.Hour, // five years
		Stopped:  90 * day,
	}
}

// SweepReport says what a Sweep removed.
type SweepReport struct {
	Queued   int // queue entries not handled within Retention.InFlight
	Dead     int // dead letters
	Dialogs  int // unfinished conversations cleared
	Moods    int // mood histories removed
	Events   int // domain events
	Alerts   int // alerts
	Verdicts int // verdicts
	Audit    int // audit entries
	// Cleared names the clients whose dialog state or mood history went,
	// for the access log.
	Cleared []string
	// Expired are the clients not linked for longer than
	// Retention.Stopped: the caller wipes them (WipeClient, and their
	// Mattermost channel).
	Expired []string
}

// Sweep removes what is older than its retention. One replica runs it at a
// time (the caller holds SweepLease). It reads every client record once
// and walks the keyspace once (for alerts and verdicts, which have no
// index by time): not for hot paths.
func (s *Store) Sweep(ctx context.Context, r Retention, now time.Time) (SweepReport, error) {
	var rep SweepReport
	before := func(d time.Duration) string { return strconv.FormatInt(now.Add(-d).UnixMilli(), 10) }
	for p := Partition(0); p < Partitions; p++ {
		if r.InFlight > 0 {
			cut := "(" + before(r.InFlight)
			for _, q := range []struct{ key, group string }{
				{p.Intake(), groupWork}, {p.CoachQueue(), groupCoach},
				{p.Outbox(LaneUrgent), groupSend}, {p.Outbox(LaneNormal), groupSend}, {p.Outbox(LaneBulk), groupSend},
			} {
				n, err := s.dropEntries(ctx, q.key, q.group, cut, func(redis.XMessage) bool { return true })
				rep.Queued += n
				if err != nil {
					return rep, err
				}
			}
			n, err := s.rdb.XTrimMinID(ctx, p.Dead(), before(r.InFlight)).Result()
			if err != nil {
				return rep, fmt.Errorf("sweep %s: %w", p.Dead(), err)
			}
			rep.Dead += int(n)
		}
		for _, t := range []struct {
			key  string
			keep time.Duration
			n    *int
		}{{p.Events(), r.Events, &rep.Events}, {p.Audit(), r.Audit, &rep.Audit}} {
			if t.keep <= 0 {
				continue
			}
			n, err := s.rdb.XTrimMinID(ctx, t.key, before(t.keep)).Result()
			if err != nil {
				return rep, fmt.Errorf("sweep %s: %w", t.key, err)
			}
			*t.n += int(n)
		}
		if r.Verdicts > 0 {
			n, err := s.sweepVerdicts(ctx, p, before(r.Verdicts))
			rep.Verdicts += n
			if err != nil {
				return rep, err
			}
		}
		if err := s.sweepClients(ctx, p, r, now, &rep); err != nil {
			return rep, err
		}
	}
	if r.Audit > 0 {
		n, err := s.rdb.XTrimMinID(ctx, ProgrammeAudit, before(r.Audit)).Result()
		if err != nil {
			return rep, fmt.Errorf("sweep %s: %w", ProgrammeAudit, err)
		}
		rep.Audit += int(n)
	}
	if err := s.sweepKeys(ctx, r, now, &rep); err != nil {
		return rep, err
	}
	return rep, nil
}

// sweepVerdicts removes verdicts older than cutoff (they expire by
// themselves; this also trims the index).
func (s *Store) sweepVerdicts(ctx context.Context, p Partition, cutoff string) (int, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: p.Verdicts(), ByScore: true, Start: "-inf", Stop: "(" + cutoff}).Result()
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	pipe := s.rdb.TxPipeline()
	dels := make([]*redis.IntCmd, len(ids))
	for i, id := range ids {
		dels[i] = pipe.Del(ctx, p.Verdict(id))
	}
	pipe.ZRem(ctx, p.Verdicts(), anys(ids)...)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("sweep verdicts %s: %w", p.Tag(), err)
	}
	n := 0
	for _, d := range dels {
		n += int(d.Val())
	}
	return n, nil
}

// sweepKeys walks the keyspace once for the keys without an index by time:
// alerts whose time is over (alerts get an expiry when they are raised
// and again when picked up; this catches alerts from before that) and
// verdicts older than their retention (by when they were given; their
// expiry counts from when they were stored). It also takes stale ids off
// the escalation timers.
func (s *Store) sweepKeys(ctx context.Context, r Retention, now time.Time, rep *SweepReport) error {
	var mu sync.Mutex
	err := s.scanAll(ctx, "wv:{p*", func(ctx context.Context, keys []string) error {
		type item struct {
			key, family, ref string
			p                Partition
			ttl              *redis.DurationCmd
			times            *redis.SliceCmd
		}
		var items []*item
		pipe := s.rdb.Pipeline()
		for _, k := range keys {
			p, rest, ok := parseKey(k)
			if !ok {
				continue
			}
			family, ref, _ := strings.Cut(rest, ":")
			switch {
			case family == "alert" && r.Alerts > 0:
				items = append(items, &item{key: k, family: family, ref: ref, p: p, ttl: pipe.PTTL(ctx, k), times: pipe.HMGet(ctx, k, "created", "acked_at")})
			case family == "verdict" && r.Verdicts > 0:
				items = append(items, &item{key: k, family: family, ref: ref, p: p, times: pipe.HMGet(ctx, k, "at")})
			}
		}
		if len(items) == 0 {
			return nil
		}
		if _, err := pipe.Exec(ctx); err != nil && !isWrongType(err) {
			return fmt.Errorf("sweep: %w", err)
		}
		pipe = s.rdb.Pipeline()
		type del struct {
			family string
			cmd    *redis.IntCmd
		}
		var dels []del
		for _, it := range items {
			var last int64
			for _, v := range it.times.Val() {
				if sv, ok := v.(string); ok {
					if ms, err := strconv.ParseInt(sv, 10, 64); err == nil && ms > last {
						last = ms
					}
				}
			}
			keep := r.Verdicts
			if it.family == "alert" {
				if it.ttl.Val() != -1 { // it expires by itself (or is gone)
					continue
				}
				keep = r.Alerts
			}
			until := time.UnixMilli(last).Add(keep)
			switch {
			case last == 0 || !until.After(now):
				dels = append(dels, del{it.family, pipe.Del(ctx, it.key)})
				if it.family == "verdict" {
					pipe.ZRem(ctx, it.p.Verdicts(), it.ref)
				}
			case it.family == "alert":
				pipe.PExpireAt(ctx, it.key, until)
			}
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return fmt.Errorf("sweep: %w", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, d := range dels {
			if d.family == "alert" {
				rep.Alerts += int(d.cmd.Val())
			} else {
				rep.Verdicts += int(d.cmd.Val())
			}
		}
		return nil
	})
	if err != nil || r.Alerts <= 0 {
		return err
	}
	// Timers of alerts that are gone.
	for p := Partition(0); p < Partitions; p++ {
		ids, err := s.rdb.ZRange(ctx, p.Alerts(), 0, -1).Result()
		if err != nil || len(ids) == 0 {
			if err != nil {
				return fmt.Errorf("sweep alert timers %s: %w", p.Tag(), err)
			}
			continue
		}
		pipe := s.rdb.Pipeline()
		ex := make([]*redis.IntCmd, len(ids))
		for i, id := range ids {
			ex[i] = pipe.Exists(ctx, p.Alert(id))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("sweep alert timers %s: %w", p.Tag(), err)
		}
		var stale []any
		for i, id := range ids {
			if ex[i].Val() == 0 {
				stale = append(stale, id)
			}
		}
		if len(stale) > 0 {
			if err := s.rdb.ZRem(ctx, p.Alerts(), stale...).Err(); err != nil {
				return fmt.Errorf("sweep alert timers %s: %w", p.Tag(), err)
			}
		}
	}
	return nil
}

// stampCmd starts a retention clock: it sets field ARGV[1] to ARGV[2] when
// it is not set and, for ARGV[3] "chat", only while the client is not
// linked. KEYS[1] the client record. Returns 1 when it set the field.
var stampCmd = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
if ARGV[3] == "chat" then
  local chat = redis.call("HGET", KEYS[1], "chat")
  if chat and chat ~= "" and chat ~= "0" then return 0 end
end
return redis.call("HSETNX", KEYS[1], ARGV[1], ARGV[2])
`)

// clearCmd removes fields of a client record only when field ARGV[1] is
// still ARGV[2] (nothing changed since it was read). KEYS[1] the record.
// ARGV[3] "state": empty the dialog state; else delete the fields from
// ARGV[3] on.
var clearCmd = redis.NewScript(`
if redis.call("HGET", KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[3] == "state" then
  redis.call("HSET", KEYS[1], "state", "")
  return 1
end
for i = 3, #ARGV do redis.call("HDEL", KEYS[1], ARGV[i]) end
return 1
`)

// sweepClients applies the retention of what lives in client records:
// the dialog state, the mood history, and stopped clients.
func (s *Store) sweepClients(ctx context.Context, p Partition, r Retention, now time.Time, rep *SweepReport) error {
	if r.Dialog <= 0 && r.Moods <= 0 && r.Stopped <= 0 {
		return nil
	}
	ids, err := s.rdb.SMembers(ctx, p.Clients()).Result()
	if err != nil {
		return fmt.Errorf("sweep clients %s: %w", p.Tag(), err)
	}
	fields := []string{"chat", "stopped_at", "state", "last_in", "moods", "moods_at"}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 200)]
		ids = ids[len(batch):]
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.SliceCmd, len(batch))
		for i, id := range batch {
			cmds[i] = pipe.HMGet(ctx, p.Client(id), fields...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("sweep clients %s: %w", p.Tag(), err)
		}
		nowMS := strconv.FormatInt(now.UnixMilli(), 10)
		for i, id := range batch {
			v := map[string]string{}
			for j, f := range fields {
				v[f], _ = cmds[i].Val()[j].(string)
			}
			key := p.Client(id)
			older := func(ms string, keep time.Duration) bool {
				t, err := strconv.ParseInt(ms, 10, 64)
				return err == nil && t > 0 && time.UnixMilli(t).Add(keep).Before(now)
			}
			if r.Stopped > 0 && (v["chat"] == "" || v["chat"] == "0") {
				if v["stopped_at"] == "" {
					if err := stampCmd.Run(ctx, s.rdb, []string{key}, "stopped_at", nowMS, "chat").Err(); err != nil {
						return fmt.Errorf("sweep client %s: %w", id, err)
					}
				} else if older(v["stopped_at"], r.Stopped) {
					rep.Expired = append(rep.Expired, id)
					continue
				}
			}
			cleared := false
			if r.Moods > 0 && v["moods"] != "" {
				switch {
				case v["moods_at"] == "":
					// A history from before its time was kept: from now.
					if err := stampCmd.Run(ctx, s.rdb, []string{key}, "moods_at", nowMS, "").Err(); err != nil {
						return fmt.Errorf("sweep client %s: %w", id, err)
					}
				case older(v["moods_at"], r.Moods):
					n, err := clearCmd.Run(ctx, s.rdb, []string{key}, "moods_at", v["moods_at"], "moods", "moods_at").Int()
					if err != nil {
						return fmt.Errorf("sweep client %s: %w", id, err)
					}
					rep.Moods += n
					cleared = cleared || n == 1
				}
			}
			if r.Dialog > 0 && v["state"] != "" {
				last := s.dialogTime(ctx, id, key, v["state"], v["last_in"])
				if !last.IsZero() && last.Add(r.Dialog).Before(now) {
					n, err := clearCmd.Run(ctx, s.rdb, []string{key}, "state", v["state"], "state").Int()
					if err != nil {
						return fmt.Errorf("sweep client %s: %w", id, err)
					}
					rep.Dialogs += n
					cleared = cleared || n == 1
				}
			}
			if cleared {
				rep.Cleared = append(rep.Cleared, id)
			}
		}
	}
	return nil
}

// dialogTime is when a client's conversation last moved: the latest of its
// last message and the times in the dialog state (the step's start, an
// open question). Zero when the state does not open or holds no time.
func (s *Store) dialogTime(ctx context.Context, id, key, sealed, lastIn string) time.Time {
	var last time.Time
	if ms, err := strconv.ParseInt(lastIn, 10, 64); err == nil && ms > 0 {
		last = time.UnixMilli(ms)
	}
	plain, err := s.openAt(ctx, id, key, "state", sealed)
	if err != nil {
		return time.Time{}
	}
	var st struct {
		Since time.Time `json:"t"`
		Ask   *struct {
			At time.Time `json:"t"`
		} `json:"k"`
	}
	if json.Unmarshal(plain, &st) != nil {
		return time.Time{}
	}
	if st.Since.After(last) {
		last = st.Since
	}
	if st.Ask != nil && st.Ask.At.After(last) {
		last = st.Ask.At
	}
	return last
}
