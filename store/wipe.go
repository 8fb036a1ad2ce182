package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// WipeReport says what WipeClient removed.
type WipeReport struct {
	Keys    int // keys deleted (record, schedules, alerts, invites, verdicts, links, notices)
	Entries int // stream entries deleted (queues, dead letters, events, audit entries)
	Members int // entries of indexes and other shared keys (index sets, timers, the data key)
}

// clientIDRe is what a client id may look like where it becomes part of a
// key pattern: no glob characters, no hash tag, no separators.
var clientIDRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// WipeClient removes everything Waakvlam keeps about a client, in every key
// family (store/keys.go):
//
//   - the record (name, coach, dialog state, moods, level) with its index
//     entry, its data key (so sealed content of the client left anywhere,
//     also in an older snapshot once its KEK is retired, no longer opens),
//     the chat and channel links, the live and any used invite;
//   - its schedules (reminders, appointments, check-ins) with their timers,
//     sent reminders waiting for an answer, the silence timer;
//   - its safety alerts, open ones included, with their timers;
//   - the coaches' verdicts on its posts (they hold its words);
//   - the once-a-day notice markers about it;
//   - entries naming it in every partition's intake, outbox and coach
//     queue and dead letters (scheduled occurrences among them), and in its
//     partition's domain events and audit log (by client id or alert id);
//   - the programme audit entries naming it (its level and group).
//
// Kept: the access log (NEN 7513), whose entries name the client only by
// a keyed pseudonym and must stay complete; and what names no client
// (update dedupe markers, keyed stranger counters), which expires.
//
// WipeClient does not need the record: run again after a crash, it
// finishes what a first run left. It walks the keyspace once (SCAN on
// every master): an operator's step, not for hot paths.
func (s *Store) WipeClient(ctx context.Context, id string) (WipeReport, error) {
	var rep WipeReport
	if !clientIDRe.MatchString(id) {
		return rep, fmt.Errorf("wipe client: malformed client id")
	}
	p := PartitionOfClient(id)
	rec, err := s.rdb.HGetAll(ctx, p.Client(id)).Result()
	if err != nil {
		return rep, fmt.Errorf("wipe client %s: %w", id, err)
	}
	if err := s.EndInvite(ctx, id); err != nil {
		return rep, err
	}
	// The record and the data key first, in one step: from here on no
	// sealed content of the client opens and none can be made.
	if err := s.wipeRecord(ctx, id, &rep); err != nil {
		return rep, err
	}
	if sl := s.Sealer(); sl != nil {
		sl.Forget(id)
	}
	if chat := rec["chat"]; chat != "" && chat != "0" {
		var n int64
		if _, err := fmt.Sscan(chat, &n); err == nil {
			if err := s.DropLink(ctx, n, id); err != nil {
				return rep, err
			}
		}
	}
	found, err := s.wipeKeys(ctx, id, &rep)
	if err != nil {
		return rep, err
	}
	if err := s.wipeIndexes(ctx, id, found, &rep); err != nil {
		return rep, err
	}
	if err := s.wipeEntries(ctx, id, &rep); err != nil {
		return rep, err
	}
	// Again, in case a step of the client's that was under way when the
	// wipe began wrote a field of the record meanwhile.
	if err := s.wipeRecord(ctx, id, &rep); err != nil {
		return rep, err
	}
	return rep, nil
}

func (s *Store) wipeRecord(ctx context.Context, id string, rep *WipeReport) error {
	p := PartitionOfClient(id)
	pipe := s.rdb.TxPipeline()
	rec := pipe.Del(ctx, p.Client(id))
	dk := pipe.HDel(ctx, p.DataKeys(), id)
	idx := pipe.SRem(ctx, p.Clients(), id)
	sil := pipe.ZRem(ctx, p.Silence(), id)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("wipe client %s: %w", id, err)
	}
	rep.Keys += int(rec.Val())
	rep.Members += int(dk.Val() + idx.Val() + sil.Val())
	return nil
}

// wiped are the keys of a client WipeClient found by walking the keyspace,
// by partition, for the index entries that name them.
type wiped struct {
	mu        sync.Mutex
	schedules map[Partition][]string // schedule ids
	verdicts  map[Partition][]string // post ids
	alerts    map[Partition][]string // alert ids
}

func (w *wiped) add(m map[Partition][]string, p Partition, id string) {
	w.mu.Lock()
	m[p] = append(m[p], id)
	w.mu.Unlock()
}

// parseKey splits "wv:{tag}:rest" into the partition (ok false for keys
// outside the partitions) and rest.
func parseKey(k string) (Partition, string, bool) {
	if len(k) < 10 || !strings.HasPrefix(k, "wv:{p") || k[7] != '}' || k[8] != ':' {
		return 0, "", false
	}
	n := int(k[5]-'0')*10 + int(k[6]-'0')
	if k[5] < '0' || k[5] > '9' || k[6] < '0' || k[6] > '9' || n >= Partitions {
		return 0, "", false
	}
	return Partition(n), k[9:], true
}

// wipeKeys walks the keyspace once and deletes every key of the client:
// those that name it (record, schedule set, alerts, notices) and those
// whose content names it (invites, schedules, verdicts, links).
func (s *Store) wipeKeys(ctx context.Context, id string, rep *WipeReport) (*wiped, error) {
	w := &wiped{schedules: map[Partition][]string{}, verdicts: map[Partition][]string{}, alerts: map[Partition][]string{}}
	var mu sync.Mutex
	err := s.scanAll(ctx, "wv:{p*", func(ctx context.Context, keys []string) error {
		type check struct {
			key, family, ref string
			p                Partition
			cmd              *redis.StringCmd
		}
		var del []string
		var checks []*check
		pipe := s.rdb.Pipeline()
		for _, k := range keys {
			p, rest, ok := parseKey(k)
			if !ok {
				continue
			}
			family, ref, _ := strings.Cut(rest, ":")
			switch {
			case rest == "cl:"+id, rest == "scl:"+id:
				del = append(del, k)
			case family == "notice" && strings.HasSuffix(rest, ":"+id):
				del = append(del, k)
			case family == "alert" && strings.HasSuffix(ref, "-"+id):
				del = append(del, k)
				w.add(w.alerts, p, ref)
			case family == "alert", family == "inv", family == "verdict":
				checks = append(checks, &check{key: k, family: family, ref: ref, p: p, cmd: pipe.HGet(ctx, k, "client")})
			case family == "sched":
				checks = append(checks, &check{key: k, family: family, ref: ref, p: p, cmd: pipe.HGet(ctx, k, "k")})
			case family == "link", family == "mmch":
				checks = append(checks, &check{key: k, family: family, ref: ref, p: p, cmd: pipe.Get(ctx, k)})
			}
		}
		if len(checks) > 0 {
			if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil && !isWrongType(err) {
				return fmt.Errorf("wipe client %s: %w", id, err)
			}
		}
		for _, c := range checks {
			if c.cmd.Val() != id {
				continue
			}
			del = append(del, c.key)
			switch c.family {
			case "sched":
				w.add(w.schedules, c.p, c.ref)
			case "verdict":
				w.add(w.verdicts, c.p, c.ref)
			case "alert":
				w.add(w.alerts, c.p, c.ref)
			}
		}
		if len(del) == 0 {
			return nil
		}
		n, err := s.delKeys(ctx, del)
		mu.Lock()
		rep.Keys += n
		mu.Unlock()
		return err
	})
	return w, err
}

func isWrongType(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE") }

// delKeys deletes keys one command each (they may live in different
// slots), in one round trip.
func (s *Store) delKeys(ctx context.Context, keys []string) (int, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Del(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("delete keys: %w", err)
	}
	n := 0
	for _, c := range cmds {
		n += int(c.Val())
	}
	return n, nil
}

// wipeIndexes takes the client and the keys wipeKeys deleted out of the
// indexes and timers that name them.
func (s *Store) wipeIndexes(ctx context.Context, id string, w *wiped, rep *WipeReport) error {
	pipe := s.rdb.Pipeline()
	var cmds []*redis.IntCmd
	for p := Partition(0); p < Partitions; p++ {
		cmds = append(cmds, pipe.SRem(ctx, p.Clients(), id), pipe.ZRem(ctx, p.Silence(), id))
		if ids := w.schedules[p]; len(ids) > 0 {
			cmds = append(cmds, pipe.ZRem(ctx, p.Due(), anys(ids)...))
		}
		if ids := w.verdicts[p]; len(ids) > 0 {
			cmds = append(cmds, pipe.ZRem(ctx, p.Verdicts(), anys(ids)...))
		}
		if ids := w.alerts[p]; len(ids) > 0 {
			cmds = append(cmds, pipe.ZRem(ctx, p.Alerts(), anys(ids)...))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("wipe client %s: indexes: %w", id, err)
	}
	for _, c := range cmds {
		rep.Members += int(c.Val())
	}
	// Sent reminders waiting for an answer: "client|occurrence".
	for p := Partition(0); p < Partitions; p++ {
		var cursor uint64
		for {
			members, next, err := s.rdb.ZScan(ctx, p.Pending(), cursor, id+"|*", 500).Result()
			if err != nil {
				return fmt.Errorf("wipe client %s: pending: %w", id, err)
			}
			var drop []any
			for i := 0; i+1 < len(members); i += 2 { // member, score
				drop = append(drop, members[i])
			}
			if len(drop) > 0 {
				n, err := s.rdb.ZRem(ctx, p.Pending(), drop...).Result()
				if err != nil {
					return fmt.Errorf("wipe client %s: pending: %w", id, err)
				}
				rep.Members += int(n)
			}
			if next == 0 {
				break
			}
			cursor = next
		}
	}
	return nil
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// names reports whether a stream entry is about the client: one of the
// fields that hold ids is its id, one of its alert ids ("a…-<id>"), one of
// its reminders waiting for an answer ("<id>|occurrence"), or a programme
// audit line about it ("niveau <id>").
func names(values map[string]any, fields []string, id string) bool {
	for _, f := range fields {
		s, _ := values[f].(string)
		if s != "" && (s == id || strings.HasSuffix(s, "-"+id) || strings.HasPrefix(s, id+"|") || strings.HasSuffix(s, " "+id)) {
			return true
		}
	}
	return false
}

// wipeEntries deletes the stream entries about the client: in every
// partition's queues and dead letters, in its partition's events and
// audit log, and in the programme audit log.
func (s *Store) wipeEntries(ctx context.Context, id string, rep *WipeReport) error {
	type stream struct {
		key, group string
		fields     []string // the fields that hold ids
	}
	queue := []string{FieldClient, "x" + FieldClient} // "x…": an entry set aside because it did not open
	var streams []stream
	for p := Partition(0); p < Partitions; p++ {
		streams = append(streams, stream{p.Intake(), groupWork, queue}, stream{p.CoachQueue(), groupCoach, queue}, stream{p.Dead(), "", queue})
		for _, l := range Lanes {
			streams = append(streams, stream{p.Outbox(l), groupSend, queue})
		}
	}
	// Events and audit entries are written in the client's own partition
	// only; the other partitions' are not read.
	p := PartitionOfClient(id)
	streams = append(streams, stream{p.Events(), "", []string{"c", "r"}}, stream{p.Audit(), "", []string{"alert"}},
		stream{ProgrammeAudit, "", []string{"what"}})
	for _, st := range streams {
		n, err := s.dropEntries(ctx, st.key, st.group, "+", func(m redis.XMessage) bool { return names(m.Values, st.fields, id) })
		rep.Entries += n
		if err != nil {
			return fmt.Errorf("wipe client %s: %w", id, err)
		}
	}
	return nil
}

// dropEntries deletes the entries of a stream up to end ("+" for all, or
// an exclusive "(id") for which drop says so, acknowledging them for the
// group first (a worker that has one in hand then finds it finished).
func (s *Store) dropEntries(ctx context.Context, key, group, end string, drop func(redis.XMessage) bool) (int, error) {
	n := 0
	start := "-"
	for {
		msgs, err := s.rdb.XRangeN(ctx, key, start, end, 500).Result()
		if err != nil {
			return n, fmt.Errorf("read %s: %w", key, err)
		}
		var ids []string
		for _, m := range msgs {
			if drop(m) {
				ids = append(ids, m.ID)
			}
		}
		if len(ids) > 0 {
			pipe := s.rdb.TxPipeline()
			if group != "" {
				pipe.XAck(ctx, key, group, ids...)
			}
			d := pipe.XDel(ctx, key, ids...)
			if _, err := pipe.Exec(ctx); err != nil && !strings.HasPrefix(err.Error(), "NOGROUP") {
				return n, fmt.Errorf("delete entries of %s: %w", key, err)
			}
			n += int(d.Val())
		}
		if len(msgs) < 500 {
			return n, nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// scanAll calls fn with the keys matching pattern on every master (one
// server, or each master of a Cluster, concurrently). It walks the whole
// keyspace: for operators' steps and the daily sweep, never hot paths.
func (s *Store) scanAll(ctx context.Context, pattern string, fn func(ctx context.Context, keys []string) error) error {
	do := func(ctx context.Context, c *redis.Client) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, pattern, 1000).Result()
			if err != nil {
				return fmt.Errorf("scan: %w", err)
			}
			if len(keys) > 0 {
				if err := fn(ctx, keys); err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, do)
	case *redis.Client:
		return do(ctx, c)
	}
	return fmt.Errorf("scan: unsupported client %T", s.rdb)
}
