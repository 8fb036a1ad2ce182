package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Fields of an intake stream entry. Every unit of work a worker does enters
// the partition's intake stream as one entry with these fields.
const (
	FieldType   = "t" // one of the Entry* values
	FieldBody   = "b" // payload, passed through the content codec
	FieldChat   = "c" // Telegram chat id, decimal, when known
	FieldUpdate = "u" // Telegram update id, decimal, for EntryTelegram
	FieldClient = "k" // client id, when known
)

// Entry types.
const (
	EntryTelegram = "tg"    // body: the Telegram update JSON
	EntryDue      = "due"   // body: a scheduler occurrence JSON
	EntryCoach    = "coach" // body: a coach reply from Mattermost
)

// Incoming is one unit of work on its way into a partition.
type Incoming struct {
	Partition Partition
	Type      string
	UpdateID  int64 // Telegram update id, for dedupe; 0 when not from Telegram
	ChatID    int64
	ClientID  string
	Body      []byte
	Forwarded bool   // moved here from another partition: dedupe apart
	DedupeID  string // dedupe on this id instead of the update id (e.g. a Mattermost post id)
}

// Entry is one unit of work read from an intake stream.
type Entry struct {
	ID       string // stream entry id
	Type     string
	UpdateID int64
	ChatID   int64
	ClientID string
	Body     []byte
}

// seenTTL outlives Telegram's own 24 hour redelivery window.
const seenTTL = 48 * time.Hour

// intakeCmd appends entries whose dedupe key was not set before.
// KEYS[1] intake stream, KEYS[1+i] the dedupe key of entry i.
// ARGV[1] dedupe ttl ms; then 6 values per entry: check ("1" to dedupe),
// type, update, chat, client, body.
var intakeCmd = redis.NewScript(`
local added = 0
local n = #KEYS - 1
for i = 1, n do
  local b = 1 + (i - 1) * 6
  local fresh = true
  if ARGV[b + 1] == "1" then
    fresh = redis.call("SET", KEYS[i + 1], "1", "NX", "PX", ARGV[1])
  end
  if fresh then
    redis.call("XADD", KEYS[1], "*", "t", ARGV[b + 2], "u", ARGV[b + 3], "c", ARGV[b + 4], "k", ARGV[b + 5], "b", ARGV[b + 6])
    added = added + 1
  end
end
return added
`)

// Intake stores work durably, one script per partition, all in one round
// trip. Telegram updates seen before are dropped. It returns how many
// entries were new.
func (s *Store) Intake(ctx context.Context, items []Incoming) (int, error) {
	byPart := map[Partition][]Incoming{}
	var order []Partition
	for _, it := range items {
		if _, ok := byPart[it.Partition]; !ok {
			order = append(order, it.Partition)
		}
		byPart[it.Partition] = append(byPart[it.Partition], it)
	}
	if sl := s.Sealer(); sl != nil {
		owners := make([]string, 0, len(items))
		for _, it := range items {
			owners = append(owners, it.ClientID)
		}
		sl.Warm(ctx, owners)
	}
	calls := make([]scriptCall, 0, len(order))
	for _, p := range order {
		keys := []string{p.Intake()}
		args := []any{seenTTL.Milliseconds()}
		for _, it := range byPart[p] {
			check := "1"
			switch {
			case it.Forwarded:
				keys = append(keys, p.Forwarded(it.UpdateID))
			case it.DedupeID != "":
				keys = append(keys, p.SeenID(it.DedupeID))
			case it.UpdateID != 0:
				keys = append(keys, p.Seen(it.UpdateID))
			default:
				keys = append(keys, p.Intake()) // not checked
				check = "0"
			}
			body, err := s.sealAt(ctx, it.ClientID, p.Intake(), FieldBody, it.Body)
			if errors.Is(err, ErrNoDataKey) {
				// The chat's client was wiped a moment ago: the message is
				// a stranger's now, sealed under the system key.
				it.ClientID = ""
				body, err = s.sealAt(ctx, "", p.Intake(), FieldBody, it.Body)
			}
			if err != nil {
				return 0, err
			}
			args = append(args, check, it.Type, strconv.FormatInt(it.UpdateID, 10), strconv.FormatInt(it.ChatID, 10), it.ClientID, body)
		}
		calls = append(calls, scriptCall{intakeCmd, keys, args})
	}
	res, err := s.runBatch(ctx, calls)
	if err != nil {
		return 0, fmt.Errorf("store intake: %w", err)
	}
	added := 0
	for _, r := range res {
		if n, ok := r.(int64); ok {
			added += int(n)
		}
	}
	return added, nil
}

// ReadIntake returns up to count entries of the partition. pending=true
// returns entries read before but not finished (after a crash or a lease
// takeover); otherwise it waits up to block for new ones.
func (s *Store) ReadIntake(ctx context.Context, p Partition, count int, block time.Duration, pending bool) ([]Entry, error) {
	id := ">"
	if pending {
		id = "0"
		block = -1
	}
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: groupWork, Consumer: consumer, Streams: []string{p.Intake(), id},
		Count: int64(count), Block: block,
	}).Result()
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		s.healGroups(ctx, p, "intake", err)
		return nil, fmt.Errorf("read intake %s: %w", p.Tag(), err)
	}
	var out []Entry
	for _, st := range res {
		for _, m := range st.Messages {
			e, err := s.decodeEntry(ctx, st.Stream, m)
			if err != nil {
				if err := s.unopened(ctx, p, st.Stream, groupWork, m, err); err != nil {
					return nil, fmt.Errorf("entry %s: %w", m.ID, err)
				}
				continue
			}
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *Store) decodeEntry(ctx context.Context, stream string, m redis.XMessage) (Entry, error) {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	e := Entry{ID: m.ID, Type: str(FieldType), ClientID: str(FieldClient)}
	e.UpdateID, _ = strconv.ParseInt(str(FieldUpdate), 10, 64)
	e.ChatID, _ = strconv.ParseInt(str(FieldChat), 10, 64)
	if m.Values[FieldBody] == nil {
		// A deleted entry still pending: nothing left to do but finish it.
		return e, nil
	}
	body, err := s.openAt(ctx, e.ClientID, stream, FieldBody, str(FieldBody))
	if err != nil {
		return Entry{}, err
	}
	e.Body = body
	return e, nil
}

// ackCmd finishes an intake entry: acknowledge and delete, so the content
// does not stay in Redis after it was handled.
var ackCmd = redis.NewScript(`
redis.call("XACK", KEYS[1], "work", ARGV[1])
return redis.call("XDEL", KEYS[1], ARGV[1])
`)

// AckIntake finishes an entry that needed no commit.
func (s *Store) AckIntake(ctx context.Context, p Partition, id string) error {
	if err := ackCmd.Run(ctx, s.rdb, []string{p.Intake()}, id).Err(); err != nil {
		return fmt.Errorf("ack intake %s %s: %w", p.Tag(), id, err)
	}
	return nil
}

// Forward moves an entry to another partition (its client's) and finishes
// it here. The target dedupes on the update id, so a crash between the two
// steps forwards it once.
func (s *Store) Forward(ctx context.Context, from Partition, e Entry, to Partition, clientID string) error {
	if _, err := s.Intake(ctx, []Incoming{{Partition: to, Type: e.Type, UpdateID: e.UpdateID, ChatID: e.ChatID, ClientID: clientID, Body: e.Body, Forwarded: true}}); err != nil {
		return fmt.Errorf("forward %s: %w", e.ID, err)
	}
	return s.AckIntake(ctx, from, e.ID)
}

// IntakeBacklog counts entries waiting or in progress in a partition.
func (s *Store) IntakeBacklog(ctx context.Context, p Partition) (int64, error) {
	n, err := s.rdb.XLen(ctx, p.Intake()).Result()
	if err != nil {
		return 0, fmt.Errorf("intake backlog %s: %w", p.Tag(), err)
	}
	return n, nil
}

// deadCmd sets an entry aside: copied to the dead-letter stream (content
// still sealed) and finished in the intake. KEYS 1 intake, 2 dead, 3 coach.
// ARGV 1 id, 2 type, 3 update, 4 chat, 5 client, 6 body, 7 reason, 8 coach post.
var deadCmd = redis.NewScript(`
if redis.call("XACK", KEYS[1], "work", ARGV[1]) == 0 then return 0 end
redis.call("XDEL", KEYS[1], ARGV[1])
redis.call("XADD", KEYS[2], "MAXLEN", "~", "10000", "*", "id", ARGV[1], "t", ARGV[2], "u", ARGV[3], "c", ARGV[4], "k", ARGV[5], "b", ARGV[6], "why", ARGV[7])
if ARGV[8] ~= "" then redis.call("XADD", KEYS[3], "*", "k", ARGV[5], "m", ARGV[8]) end
return 1
`)

// deadMax caps each partition's dead-letter stream.
const deadMax = 10000

// DeadLetter sets an entry that keeps failing aside for an operator
// (wv:{pNN}:dead, content sealed) and, when it belongs to a client, tells
// the coach. An entry of a client wiped meanwhile is set aside without its
// content and client id (nothing of the client can be sealed any more).
func (s *Store) DeadLetter(ctx context.Context, p Partition, e Entry, reason string) error {
	body, err := s.sealAt(ctx, e.ClientID, p.Dead(), FieldBody, e.Body)
	post := ""
	switch {
	case errors.Is(err, ErrNoDataKey):
		// Wiped: nothing of the client is kept, not even its id.
		body, e.ClientID = "", ""
	case err != nil:
		return err
	case e.ClientID != "":
		b, _ := json.Marshal(map[string]any{"client": e.ClientID, "kind": "info", "info": "entry_set_aside", "time": time.Now()})
		if post, err = s.sealAt(ctx, e.ClientID, p.CoachQueue(), "m", b); err != nil {
			return err
		}
	}
	if len(reason) > 200 {
		reason = reason[:200]
	}
	err = deadCmd.Run(ctx, s.rdb, []string{p.Intake(), p.Dead(), p.CoachQueue()}, e.ID, e.Type,
		strconv.FormatInt(e.UpdateID, 10), strconv.FormatInt(e.ChatID, 10), e.ClientID, body, reason, post).Err()
	if err != nil {
		return fmt.Errorf("set entry %s aside: %w", e.ID, err)
	}
	return nil
}
