package store

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Verdict kinds: what a coach said about how the recogniser handled one
// client post.
const (
	VerdictRight  = "right"  // flagged, and rightly so
	VerdictWrong  = "wrong"  // flagged, but nothing to worry about
	VerdictUnder  = "under"  // flagged "attention", but more worrying than that
	VerdictMissed = "missed" // not flagged, but worrying: a miss found by a coach
)

// VerdictKinds lists the kinds, for metrics.
var VerdictKinds = []string{VerdictRight, VerdictWrong, VerdictUnder, VerdictMissed}

// Domain events of verdicts (client id and Mattermost post id, no text).
const (
	EventSignalConfirmed  = "signal_confirmed"
	EventSignalRejected   = "signal_rejected"
	EventSignalUnderrated = "signal_underrated"
	EventSignalMissed     = "signal_missed"
	EventVerdictWithdrawn = "signal_verdict_withdrawn"
)

// VerdictEvent is the domain event kind of a verdict kind.
func VerdictEvent(kind string) string {
	switch kind {
	case VerdictRight:
		return EventSignalConfirmed
	case VerdictWrong:
		return EventSignalRejected
	case VerdictUnder:
		return EventSignalUnderrated
	}
	return EventSignalMissed
}

// DefaultVerdictRetention is how long a verdict with the client's words is
// kept when nothing else is configured.
const DefaultVerdictRetention = 90 * 24 * time.Hour

// Verdict is a coach's judgement of one client post, with what is needed
// to learn from it.
type Verdict struct {
	PostID        string // the bot's Mattermost post with the client's words
	ClientID      string
	Kind          string // VerdictRight, ...
	By            string // staff username
	Via           string // the emoji name, or "word" for a reply in the thread
	At            time.Time
	Text          string // the client's words; sealed by the codec in Redis
	Severity      string // what the recogniser said: none, attention, high, urgent
	Category      string // "" for none
	LabelSeverity string // what it should have said
	LabelCategory string // "" for none or not known
}

// VerdictResult says what RecordVerdict changed.
type VerdictResult int

// Results of RecordVerdict.
const (
	VerdictSame    VerdictResult = iota // this verdict was there already: nothing changed
	VerdictNew                          // the post's first verdict
	VerdictChanged                      // another kind than before (e.g. 👍 then 👎)
	VerdictRefined                      // the same kind with another label (a category added)
)

// recordVerdictCmd stores a verdict; the domain event goes with a new or
// changed kind only, so a verdict seen by every replica counts once.
// KEYS: 1 verdict, 2 verdicts, 3 events.
// ARGV: 1 post, 2 client, 3 kind, 4 by, 5 via, 6 at ms, 7 sealed text,
// 8 severity, 9 category, 10 label severity, 11 label category,
// 12 keep ms, 13 oldest score kept, 14 event kind, 15 min event id.
var recordVerdictCmd = redis.NewScript(`
local old = redis.call("HMGET", KEYS[1], "kind", "lsev", "lcat")
local res = 1
if old[1] == ARGV[3] then
  if old[2] == ARGV[10] and old[3] == ARGV[11] then return 0 end
  res = 3
elseif old[1] then
  res = 2
end
redis.call("HSET", KEYS[1], "client", ARGV[2], "kind", ARGV[3], "by", ARGV[4], "via", ARGV[5], "at", ARGV[6],
  "text", ARGV[7], "sev", ARGV[8], "cat", ARGV[9], "lsev", ARGV[10], "lcat", ARGV[11])
redis.call("PEXPIRE", KEYS[1], ARGV[12])
redis.call("ZADD", KEYS[2], ARGV[6], ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", "(" .. ARGV[13])
if res ~= 3 then
  redis.call("XADD", KEYS[3], "MINID", "~", ARGV[15], "*", "k", ARGV[14], "c", ARGV[2], "r", ARGV[1])
end
return res
`)

// postIDRe is what a Mattermost id looks like (26 of a-z0-9); tests use
// shorter ones. Ids become part of a key, so nothing else is accepted.
var postIDRe = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)

// RecordVerdict stores a coach's verdict on a client post, replacing an
// earlier one, for VerdictRetention. The client's words pass the codec. A
// new or changed kind appends a domain event in the same step.
func (s *Store) RecordVerdict(ctx context.Context, v Verdict) (VerdictResult, error) {
	if !postIDRe.MatchString(v.PostID) {
		return 0, fmt.Errorf("record verdict: bad post id")
	}
	p := PartitionOfClient(v.ClientID)
	// Sealed under the client's data key: wiping the client makes any
	// copy of its words unreadable.
	text, err := s.sealAt(ctx, v.ClientID, p.Verdict(v.PostID), "text", []byte(v.Text))
	if err != nil {
		return 0, err
	}
	keep := s.verdictRetention()
	n, err := recordVerdictCmd.Run(ctx, s.rdb, []string{p.Verdict(v.PostID), p.Verdicts(), p.Events()},
		v.PostID, v.ClientID, v.Kind, v.By, v.Via, v.At.UnixMilli(), text, v.Severity, v.Category,
		v.LabelSeverity, v.LabelCategory, keep.Milliseconds(), v.At.Add(-keep).UnixMilli(),
		VerdictEvent(v.Kind), v.At.Add(-s.EventRetention).UnixMilli()).Int()
	if err != nil {
		return 0, fmt.Errorf("record verdict on %s: %w", v.PostID, err)
	}
	return VerdictResult(n), nil
}

// withdrawVerdictCmd drops a verdict when it is still the one given by
// this user this way. KEYS: 1 verdict, 2 verdicts, 3 events.
// ARGV: 1 post, 2 by, 3 via, 4 client, 5 event kind, 6 min event id.
var withdrawVerdictCmd = redis.NewScript(`
local cur = redis.call("HMGET", KEYS[1], "by", "via")
if cur[1] ~= ARGV[2] or cur[2] ~= ARGV[3] then return 0 end
redis.call("DEL", KEYS[1])
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("XADD", KEYS[3], "MINID", "~", ARGV[6], "*", "k", ARGV[5], "c", ARGV[4], "r", ARGV[1])
return 1
`)

// WithdrawVerdict drops the verdict on a post when by gave it via this
// emoji (a reaction taken off again). It reports whether it did.
func (s *Store) WithdrawVerdict(ctx context.Context, clientID, postID, by, via string, now time.Time) (bool, error) {
	if !postIDRe.MatchString(postID) {
		return false, nil
	}
	p := PartitionOfClient(clientID)
	n, err := withdrawVerdictCmd.Run(ctx, s.rdb, []string{p.Verdict(postID), p.Verdicts(), p.Events()},
		postID, by, via, clientID, EventVerdictWithdrawn, now.Add(-s.EventRetention).UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("withdraw verdict on %s: %w", postID, err)
	}
	return n == 1, nil
}

func (s *Store) verdictRetention() time.Duration {
	if s.VerdictRetention > 0 {
		return s.VerdictRetention
	}
	return DefaultVerdictRetention
}

// Verdicts returns the verdicts given at or after since, over all
// partitions, oldest first, with the client's words opened.
func (s *Store) Verdicts(ctx context.Context, since time.Time) ([]Verdict, error) {
	var out []Verdict
	for p := Partition(0); p < Partitions; p++ {
		ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: p.Verdicts(), ByScore: true,
			Start: strconv.FormatInt(since.UnixMilli(), 10), Stop: "+inf"}).Result()
		if err != nil {
			return nil, fmt.Errorf("list verdicts %s: %w", p.Tag(), err)
		}
		if len(ids) == 0 {
			continue
		}
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(ids))
		for i, id := range ids {
			cmds[i] = pipe.HGetAll(ctx, p.Verdict(id))
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return nil, fmt.Errorf("read verdicts %s: %w", p.Tag(), err)
		}
		for i, id := range ids {
			m := cmds[i].Val()
			if len(m) == 0 {
				continue // expired; the index is trimmed on the next verdict
			}
			text, err := s.openAt(ctx, m["client"], p.Verdict(id), "text", m["text"])
			if err != nil {
				return nil, fmt.Errorf("verdict %s: %w", id, err)
			}
			at, _ := strconv.ParseInt(m["at"], 10, 64)
			out = append(out, Verdict{PostID: id, ClientID: m["client"], Kind: m["kind"], By: m["by"], Via: m["via"],
				At: time.UnixMilli(at), Text: string(text), Severity: m["sev"], Category: m["cat"],
				LabelSeverity: m["lsev"], LabelCategory: m["lcat"]})
		}
	}
	sortVerdicts(out)
	return out, nil
}

func sortVerdicts(v []Verdict) {
	sort.Slice(v, func(i, j int) bool {
		if !v[i].At.Equal(v[j].At) {
			return v[i].At.Before(v[j].At)
		}
		return v[i].PostID < v[j].PostID
	})
}
