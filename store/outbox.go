package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// OutEntry is one outbox message read for sending.
type OutEntry struct {
	ID      string
	Lane    Lane
	ChatID  int64
	Client  string // whose message it is ("" for a stranger)
	Payload []byte
}

// ReadOutbox reads up to count messages per lane of a partition in one
// call, most urgent lane first. pending=true re-reads messages taken before
// but not acknowledged.
func (s *Store) ReadOutbox(ctx context.Context, p Partition, count int, block time.Duration, pending bool) ([]OutEntry, error) {
	from := map[Lane]string{}
	for _, l := range Lanes {
		from[l] = ">"
		if pending {
			from[l] = "0"
		}
	}
	if pending {
		block = -1
	}
	return s.ReadOutboxLanes(ctx, p, from, count, block)
}

// ReadOutboxLanes reads up to count messages from each lane in from, in
// one call, most urgent lane first. from gives per lane where to read: ">"
// for new messages, or an id to re-read this sender's unacknowledged
// messages after that id ("0" from the start). block < 0 does not wait; it
// only applies when every lane reads new messages. A sender that holds
// enough bulk in hand leaves the bulk lane out, so that its wait is cut
// short by a new urgent or normal message only.
func (s *Store) ReadOutboxLanes(ctx context.Context, p Partition, from map[Lane]string, count int, block time.Duration) ([]OutEntry, error) {
	streams := make([]string, 0, 2*len(from))
	var ids []string
	for _, l := range Lanes {
		if id, ok := from[l]; ok {
			streams = append(streams, p.Outbox(l))
			ids = append(ids, id)
			if id != ">" {
				block = -1
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	streams = append(streams, ids...)
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: groupSend, Consumer: consumer, Streams: streams, Count: int64(count), Block: block,
	}).Result()
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		s.healGroups(ctx, p, "outbox", err)
		return nil, fmt.Errorf("read outbox %s: %w", p.Tag(), err)
	}
	byLane := map[Lane][]OutEntry{}
	for _, st := range res {
		lane := laneOfKey(p, st.Stream)
		for _, m := range st.Messages {
			e := OutEntry{ID: m.ID, Lane: lane}
			c, _ := m.Values["c"].(string)
			e.ChatID, _ = strconv.ParseInt(c, 10, 64)
			e.Client, _ = m.Values["k"].(string)
			if v, ok := m.Values["m"].(string); ok {
				if e.Payload, err = s.openAt(ctx, e.Client, st.Stream, "m", v); err != nil {
					if err := s.unopened(ctx, p, st.Stream, groupSend, m, err); err != nil {
						return nil, fmt.Errorf("outbox %s: %w", m.ID, err)
					}
					continue
				}
			}
			byLane[lane] = append(byLane[lane], e)
		}
	}
	var out []OutEntry
	for _, l := range Lanes {
		out = append(out, byLane[l]...)
	}
	return out, nil
}

func laneOfKey(p Partition, key string) Lane {
	for _, l := range Lanes {
		if p.Outbox(l) == key {
			return l
		}
	}
	return LaneNormal
}

// AckOutbox finishes sent (or given up) messages and deletes their content.
func (s *Store) AckOutbox(ctx context.Context, p Partition, done []OutEntry) error {
	if len(done) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	for _, e := range done {
		pipe.XAck(ctx, p.Outbox(e.Lane), groupSend, e.ID)
		pipe.XDel(ctx, p.Outbox(e.Lane), e.ID)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("ack outbox %s: %w", p.Tag(), err)
	}
	return nil
}

// OutboxBacklog counts messages waiting or in progress per lane.
func (s *Store) OutboxBacklog(ctx context.Context, p Partition) (map[Lane]int64, error) {
	pipe := s.rdb.Pipeline()
	cmds := map[Lane]*redis.IntCmd{}
	for _, l := range Lanes {
		cmds[l] = pipe.XLen(ctx, p.Outbox(l))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("outbox backlog %s: %w", p.Tag(), err)
	}
	out := map[Lane]int64{}
	for l, c := range cmds {
		out[l] = c.Val()
	}
	return out, nil
}

// QueueDepths counts, over all partitions in one round trip, the outbox
// messages per lane, the intake entries and the coach posts waiting or in
// progress (XLEN; handled entries are deleted). For /metrics.
func (s *Store) QueueDepths(ctx context.Context) (outbox map[Lane]int64, intake, coach int64, err error) {
	pipe := s.rdb.Pipeline()
	type lens struct {
		out       map[Lane]*redis.IntCmd
		in, coach *redis.IntCmd
	}
	all := make([]lens, Partitions)
	for p := Partition(0); p < Partitions; p++ {
		l := lens{out: map[Lane]*redis.IntCmd{}, in: pipe.XLen(ctx, p.Intake()), coach: pipe.XLen(ctx, p.CoachQueue())}
		for _, ln := range Lanes {
			l.out[ln] = pipe.XLen(ctx, p.Outbox(ln))
		}
		all[p] = l
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, 0, 0, fmt.Errorf("queue depths: %w", err)
	}
	outbox = map[Lane]int64{}
	for _, l := range all {
		intake += l.in.Val()
		coach += l.coach.Val()
		for ln, c := range l.out {
			outbox[ln] += c.Val()
		}
	}
	return outbox, intake, coach, nil
}

// CoachPost is a post waiting for the coach bridge.
type CoachPost struct {
	ID      string
	Client  string // whose post it is
	Payload []byte
}

// ReadCoach reads posts waiting for the coach bridge of a partition.
func (s *Store) ReadCoach(ctx context.Context, p Partition, count int, block time.Duration, pending bool) ([]CoachPost, error) {
	id := ">"
	if pending {
		id = "0"
		block = -1
	}
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: groupCoach, Consumer: consumer, Streams: []string{p.CoachQueue(), id}, Count: int64(count), Block: block,
	}).Result()
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		s.healGroups(ctx, p, "coach", err)
		return nil, fmt.Errorf("read coach queue %s: %w", p.Tag(), err)
	}
	var out []CoachPost
	for _, st := range res {
		for _, m := range st.Messages {
			cp := CoachPost{ID: m.ID}
			cp.Client, _ = m.Values["k"].(string)
			if v, ok := m.Values["m"].(string); ok {
				if cp.Payload, err = s.openAt(ctx, cp.Client, st.Stream, "m", v); err != nil {
					if err := s.unopened(ctx, p, st.Stream, groupCoach, m, err); err != nil {
						return nil, fmt.Errorf("coach post %s: %w", m.ID, err)
					}
					continue
				}
			}
			out = append(out, cp)
		}
	}
	return out, nil
}

// AckCoach finishes a post delivered to the coach.
func (s *Store) AckCoach(ctx context.Context, p Partition, id string) error {
	pipe := s.rdb.Pipeline()
	pipe.XAck(ctx, p.CoachQueue(), groupCoach, id)
	pipe.XDel(ctx, p.CoachQueue(), id)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("ack coach post %s: %w", id, err)
	}
	return nil
}

// CoachBacklog counts posts waiting for the coach bridge.
func (s *Store) CoachBacklog(ctx context.Context, p Partition) (int64, error) {
	return s.rdb.XLen(ctx, p.CoachQueue()).Result()
}

// Events reads the domain events of a partition, oldest first.
func (s *Store) Events(ctx context.Context, p Partition) ([]EventRecord, error) {
	msgs, err := s.rdb.XRange(ctx, p.Events(), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("read events %s: %w", p.Tag(), err)
	}
	out := make([]EventRecord, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		ms, _ := strconv.ParseInt(m.ID[:indexDash(m.ID)], 10, 64)
		out = append(out, EventRecord{Event: Event{Kind: str("k"), ClientID: str("c"), Ref: str("r")}, Time: time.UnixMilli(ms)})
	}
	return out, nil
}

// EventRecord is a stored domain event.
type EventRecord struct {
	Event
	Time time.Time
}

func indexDash(id string) int {
	for i := range id {
		if id[i] == '-' {
			return i
		}
	}
	return len(id)
}

// PushCoach puts a post in the coach queue outside a commit (delivery
// reports from the sender, staff notices); it is sealed under the system
// data key. Use PushCoachFor for a post about a client.
func (s *Store) PushCoach(ctx context.Context, p Partition, payload []byte) error {
	return s.PushCoachFor(ctx, p, "", payload)
}

// PushCoachFor puts a post about clientID in the coach queue outside a
// commit, sealed under the client's data key.
func (s *Store) PushCoachFor(ctx context.Context, p Partition, clientID string, payload []byte) error {
	m, err := s.sealAt(ctx, clientID, p.CoachQueue(), "m", payload)
	if err != nil {
		return err
	}
	if err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: p.CoachQueue(), Values: []any{"k", clientID, "m", m}}).Err(); err != nil {
		return fmt.Errorf("push coach post %s: %w", p.Tag(), err)
	}
	return nil
}

// PushOutgoing puts a message in an outbox lane outside a commit (staff
// notices to a client), sealed under o.Client's data key.
func (s *Store) PushOutgoing(ctx context.Context, p Partition, o Outgoing) error {
	m, err := s.sealAt(ctx, o.Client, p.Outbox(o.Lane), "m", o.Payload)
	if err != nil {
		return err
	}
	if err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: p.Outbox(o.Lane), Values: []any{"c", o.ChatID, "k", o.Client, "m", m}}).Err(); err != nil {
		return fmt.Errorf("push outgoing %s: %w", p.Tag(), err)
	}
	return nil
}
