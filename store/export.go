package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClientData is everything the store keeps about one client, opened: what
// an export for the client (AVG art. 15 and 20) is made of. Schedules are
// the scheduler's (package scheduler); the access log is package
// accesslog's.
type ClientData struct {
	Client Client
	Exists bool
	// Group is the client's group (sealed field "group"); MoodsAt when the
	// last mood came; StoppedAt when the client stopped (zero: linked, or
	// not stamped yet).
	Group     string
	MoodsAt   time.Time
	StoppedAt time.Time
	Alerts    []Alert
	Events    []EventRecord
	Audit     []AuditEntry // audit entries about the client's alerts
	Verdicts  []Verdict
	Queued    []QueuedEntry // intake, outbox, coach queue and dead letters naming the client
	Pending   []string      // sent reminders waiting for an answer (occurrence ids)
}

// QueuedEntry is a stream entry about the client on its way, opened.
type QueuedEntry struct {
	Stream string    // the Redis key
	ID     string    // stream entry id
	Time   time.Time // when it was queued
	Fields map[string]string
	// Content is the opened content ("" when there was none); Unreadable
	// says why it did not open.
	Content    []byte
	Unreadable string
}

// ExportClient reads everything the store keeps about a client, its
// sealed content opened. Like WipeClient it walks the keyspace once (for
// the client's alerts and verdicts); an operator's step.
func (s *Store) ExportClient(ctx context.Context, id string) (ClientData, error) {
	var d ClientData
	if !clientIDRe.MatchString(id) {
		return d, fmt.Errorf("export client: malformed client id")
	}
	p := PartitionOfClient(id)
	c, ok, err := s.LoadClient(ctx, id)
	if err != nil {
		return d, err
	}
	d.Client, d.Exists = c, ok
	if ok {
		if d.Group, err = s.ClientField(ctx, id, "group"); err != nil {
			return d, err
		}
		v, err := s.rdb.HMGet(ctx, p.Client(id), "moods_at", "stopped_at").Result()
		if err != nil {
			return d, fmt.Errorf("export client %s: %w", id, err)
		}
		d.MoodsAt, d.StoppedAt = msTime(v[0]), msTime(v[1])
	}
	// Alerts and verdicts of the client, found by walking the keyspace.
	var alertIDs, postIDs []string
	var mu sync.Mutex
	err = s.scanAll(ctx, "wv:"+p.Tag()+":*", func(ctx context.Context, keys []string) error {
		mu.Lock()
		defer mu.Unlock()
		for _, k := range keys {
			_, rest, ok := parseKey(k)
			if !ok {
				continue
			}
			family, ref, _ := strings.Cut(rest, ":")
			switch family {
			case "alert":
				alertIDs = append(alertIDs, ref)
			case "verdict":
				postIDs = append(postIDs, ref)
			}
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	for _, a := range alertIDs {
		al, ok, err := s.LoadAlert(ctx, id, a)
		if err != nil {
			return d, err
		}
		if ok {
			d.Alerts = append(d.Alerts, al)
		}
	}
	for _, post := range postIDs {
		m, err := s.rdb.HGetAll(ctx, p.Verdict(post)).Result()
		if err != nil {
			return d, fmt.Errorf("export verdict %s: %w", post, err)
		}
		if m["client"] != id {
			continue
		}
		text, err := s.openAt(ctx, id, p.Verdict(post), "text", m["text"])
		if err != nil {
			return d, fmt.Errorf("verdict %s: %w", post, err)
		}
		at, _ := strconv.ParseInt(m["at"], 10, 64)
		d.Verdicts = append(d.Verdicts, Verdict{PostID: post, ClientID: id, Kind: m["kind"], By: m["by"], Via: m["via"],
			At: time.UnixMilli(at), Text: string(text), Severity: m["sev"], Category: m["cat"],
			LabelSeverity: m["lsev"], LabelCategory: m["lcat"]})
	}
	sortVerdicts(d.Verdicts)
	events, err := s.Events(ctx, p)
	if err != nil {
		return d, err
	}
	for _, e := range events {
		if names(map[string]any{"c": e.ClientID, "r": e.Ref}, []string{"c", "r"}, id) {
			d.Events = append(d.Events, e)
		}
	}
	audit, err := s.Audit(ctx, p)
	if err != nil {
		return d, err
	}
	for _, a := range audit {
		if names(map[string]any{"alert": a.Alert}, []string{"alert"}, id) {
			d.Audit = append(d.Audit, a)
		}
	}
	if d.Queued, err = s.queuedOf(ctx, id); err != nil {
		return d, err
	}
	// ZSCAN pages: a client with many pending reminders spans several
	for cursor := uint64(0); ; {
		members, next, err := s.rdb.ZScan(ctx, p.Pending(), cursor, id+"|*", 1000).Result()
		if err != nil {
			return d, fmt.Errorf("export pending %s: %w", id, err)
		}
		for i := 0; i+1 < len(members); i += 2 {
			d.Pending = append(d.Pending, strings.TrimPrefix(members[i], id+"|"))
		}
		if cursor = next; cursor == 0 {
			return d, nil
		}
	}
}

func msTime(v any) time.Time {
	s, _ := v.(string)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms)
	}
	return time.Time{}
}

// queuedOf reads the entries about the client in every partition's intake,
// outbox, coach queue and dead letters, with their content opened.
func (s *Store) queuedOf(ctx context.Context, id string) ([]QueuedEntry, error) {
	var out []QueuedEntry
	for p := Partition(0); p < Partitions; p++ {
		type stream struct{ key, content string }
		streams := []stream{{p.Intake(), FieldBody}, {p.CoachQueue(), "m"}, {p.Dead(), FieldBody}}
		for _, l := range Lanes {
			streams = append(streams, stream{p.Outbox(l), "m"})
		}
		for _, st := range streams {
			start := "-"
			for {
				msgs, err := s.rdb.XRangeN(ctx, st.key, start, "+", 500).Result()
				if err != nil {
					return nil, fmt.Errorf("read %s: %w", st.key, err)
				}
				for _, m := range msgs {
					if !names(m.Values, []string{FieldClient, "x" + FieldClient}, id) {
						continue
					}
					out = append(out, s.queuedEntry(ctx, id, st.key, st.content, m))
				}
				if len(msgs) < 500 {
					break
				}
				start = "(" + msgs[len(msgs)-1].ID
			}
		}
	}
	return out, nil
}

func (s *Store) queuedEntry(ctx context.Context, id, stream, field string, m redis.XMessage) QueuedEntry {
	q := QueuedEntry{Stream: stream, ID: m.ID, Fields: map[string]string{}}
	ms, _ := strconv.ParseInt(m.ID[:indexDash(m.ID)], 10, 64)
	q.Time = time.UnixMilli(ms)
	for k, v := range m.Values {
		sv, _ := v.(string)
		if k == field || strings.HasPrefix(k, "x") && k[1:] == field {
			continue
		}
		q.Fields[k] = sv
	}
	raw, _ := m.Values[field].(string)
	if raw == "" {
		if _, set := m.Values["x"+field]; set {
			q.Unreadable = "set aside because it did not open"
		}
		return q
	}
	plain, err := s.openAt(ctx, id, stream, field, raw)
	if err != nil {
		q.Unreadable = err.Error()
		return q
	}
	q.Content = plain
	return q
}
