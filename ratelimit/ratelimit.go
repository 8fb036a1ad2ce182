// Package ratelimit owns Telegram's send limits as seen by all replicas at
// once: a bot-wide bucket (about 30 messages a second) and one bucket per
// chat (about 1 a second with small bursts), both kept in Redis so that any
// number of replicas together stay within them, and the back-off a 429
// answer asks for (for one chat, or for the whole bot).
//
// Each bucket is a GCRA cell ("theoretical arrival time", TAT): one integer
// of microseconds per key. A send is allowed when TAT - now <= tolerance;
// it then moves TAT one emission interval (1/rate) on. A 429 with
// retry_after d moves TAT to now + d + tolerance, so nothing is allowed
// before now + d.
//
// Keys (all under the one global hash tag {rate}, so that one script checks
// and counts the bot bucket and the chat bucket atomically, in one round
// trip, on a single node and on Cluster alike; every send touches the bot
// bucket anyway, so keeping the chat buckets in the same slot adds no
// load to another node):
//
//	wv:{rate}:g              string  TAT of the bot-wide bucket, TTL until it is back to full
//	wv:{rate}:c:<hash(chat)> string  TAT of one chat's bucket, TTL until it is back to full
//	wv:{rate}:429            string  429s seen in the last second (escalation to a bot-wide hold), TTL 1 s
//
// Chat ids are hashed: a stranger's chat id is not kept, not even for a
// second.
//
// Priorities: urgent and normal sends may use the whole burst of both
// buckets; bulk sends only BulkBurst of the bot's and BulkChatBurst of a
// chat's. While a bulk drains at the full rate the rest of the burst stays
// free, so an urgent reply finds a token at once instead of queueing
// behind reminders.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keys of the limiter; see the package documentation.
const (
	GlobalKey  = "wv:{rate}:g"
	CounterKey = "wv:{rate}:429"
	chatPrefix = "wv:{rate}:c:"
)

// ChatKey returns the key of one chat's bucket.
func ChatKey(chatID int64) string {
	sum := sha256.Sum256([]byte("waakvlam:rate:" + strconv.FormatInt(chatID, 10)))
	return chatPrefix + hex.EncodeToString(sum[:10])
}

// Priority says how much of the bot-wide burst a send may use.
type Priority int

// Priorities, most urgent first.
const (
	Urgent Priority = iota
	Normal
	Bulk
)

// Options configure a limiter; zero values take the defaults.
type Options struct {
	// Global is the bot-wide rate in messages per second (default 30;
	// negative: no bot-wide limit).
	Global float64
	// GlobalBurst is how many messages may go at once when the bot bucket
	// is full (default 10).
	GlobalBurst int
	// BulkBurst is the part of GlobalBurst bulk sends may use (default 2).
	// The rest is kept for urgent and normal sends.
	BulkBurst int
	// PerChat is the rate per chat in messages per second (default 1;
	// negative: no chat limit).
	PerChat float64
	// ChatBurst is how many messages may go to one chat at once (default 3).
	ChatBurst int
	// BulkChatBurst is the part of ChatBurst bulk sends may use (default
	// 1): a chat that gets reminders still has room for an urgent reply.
	BulkChatBurst int
	// GlobalAfter is how many 429s within one second make a chat's back-off
	// a bot-wide one (default 3; negative: never).
	GlobalAfter int
	// Now, when set, is the clock (tests). By default the limiter uses the
	// Redis server's clock, so replicas with skewed clocks agree.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Global == 0 {
		o.Global = 30
	}
	if o.GlobalBurst <= 0 {
		o.GlobalBurst = 10
	}
	if o.BulkBurst <= 0 {
		o.BulkBurst = 2
	}
	if o.BulkBurst > o.GlobalBurst {
		o.BulkBurst = o.GlobalBurst
	}
	if o.PerChat == 0 {
		o.PerChat = 1
	}
	if o.ChatBurst <= 0 {
		o.ChatBurst = 3
	}
	if o.BulkChatBurst <= 0 {
		o.BulkChatBurst = 1
	}
	if o.BulkChatBurst > o.ChatBurst {
		o.BulkChatBurst = o.ChatBurst
	}
	if o.GlobalAfter == 0 {
		o.GlobalAfter = 3
	}
	return o
}

// Limiter checks and counts sends against the shared buckets.
type Limiter struct {
	rdb redis.UniversalClient
	o   Options
	// Cell parameters in microseconds; interval 0 means no limit.
	gInterval, cInterval                       int64
	gTolUrgent, gTolBulk, cTolerance, cTolBulk int64
}

// New returns a limiter on rdb.
func New(rdb redis.UniversalClient, o Options) *Limiter {
	o = o.withDefaults()
	l := &Limiter{rdb: rdb, o: o}
	if o.Global > 0 {
		l.gInterval = int64(math.Round(1e6 / o.Global))
		l.gTolUrgent = int64(o.GlobalBurst-1) * l.gInterval
		l.gTolBulk = int64(o.BulkBurst-1) * l.gInterval
	}
	if o.PerChat > 0 {
		l.cInterval = int64(math.Round(1e6 / o.PerChat))
		l.cTolerance = int64(o.ChatBurst-1) * l.cInterval
		l.cTolBulk = int64(o.BulkChatBurst-1) * l.cInterval
	}
	return l
}

// Options returns the options in effect, defaults filled in.
func (l *Limiter) Options() Options { return l.o }

// takeCmd checks both buckets and counts the send in both, or in neither.
// KEYS: 1 bot bucket, 2 chat bucket.
// ARGV: 1 now in µs ("" = the server clock), 2 bot interval, 3 bot
// tolerance, 4 chat interval, 5 chat tolerance (interval 0: no limit).
// Returns 0 when allowed, else the wait in µs.
var takeCmd = redis.NewScript(`
local now
if ARGV[1] == "" then
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local gi, gtol, ci, ctol = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local function tat(key, interval)
  if interval == 0 then return now end
  local v = tonumber(redis.call("GET", key))
  if v == nil or v < now then return now end
  return v
end
local gt = tat(KEYS[1], gi)
local ct = tat(KEYS[2], ci)
local gw, cw = gt - gtol - now, ct - ctol - now
if gw > 0 or cw > 0 then
  if gw >= cw then return {math.ceil(gw), 1} end
  return {math.ceil(cw), 0}
end
if gi > 0 then
  redis.call("SET", KEYS[1], string.format("%d", gt + gi), "PX", math.ceil((gt + gi - now) / 1000) + 1)
end
if ci > 0 then
  redis.call("SET", KEYS[2], string.format("%d", ct + ci), "PX", math.ceil((ct + ci - now) / 1000) + 1)
end
return {0, 0}
`)

func (l *Limiter) now() string {
	if l.o.Now == nil {
		return ""
	}
	return strconv.FormatInt(l.o.Now().UnixMicro(), 10)
}

// Take asks for one send to chatID. A zero wait means the send is allowed
// and counted in both buckets; otherwise nothing is counted, wait says how
// long until a token would be there and global whether it is the bot-wide
// bucket that is empty (then no other chat can go either at this
// priority). One Redis round trip.
func (l *Limiter) Take(ctx context.Context, chatID int64, p Priority) (wait time.Duration, global bool, err error) {
	if l.gInterval == 0 && l.cInterval == 0 {
		return 0, false, nil // no limits: no round trip
	}
	gtol, ctol := l.gTolUrgent, l.cTolerance
	if p == Bulk {
		gtol, ctol = l.gTolBulk, l.cTolBulk
	}
	keys := []string{GlobalKey, ChatKey(chatID)}
	args := []any{l.now(), l.gInterval, gtol, l.cInterval, ctol}
	v, err := takeCmd.EvalSha(ctx, l.rdb, keys, args...).Int64Slice()
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		v, err = takeCmd.Eval(ctx, l.rdb, keys, args...).Int64Slice()
	}
	if err != nil {
		return 0, false, fmt.Errorf("rate limit: %w", err)
	}
	if len(v) != 2 {
		return 0, false, fmt.Errorf("rate limit: unexpected answer %v", v)
	}
	return time.Duration(v[0]) * time.Microsecond, v[1] == 1, nil
}

// Wait blocks until Take allows a send to chatID or ctx ends. It returns
// how long it waited.
func (l *Limiter) Wait(ctx context.Context, chatID int64, p Priority) (time.Duration, error) {
	var waited time.Duration
	for {
		d, _, err := l.Take(ctx, chatID, p)
		if err != nil || d == 0 {
			return waited, err
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return waited, ctx.Err()
		case <-t.C:
		}
		waited += d
	}
}

// backoffCmd holds a chat (or the whole bot) for a while after a 429.
// KEYS: 1 bot bucket, 2 chat bucket, 3 429 counter.
// ARGV: 1 now µs or "", 2 hold µs, 3 global (1/0), 4 bot tolerance,
// 5 chat tolerance, 6 escalation threshold (0: never).
// Returns 1 when the whole bot holds now, else 0.
var backoffCmd = redis.NewScript(`
local now
if ARGV[1] == "" then
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local hold, gtol, ctol, after = tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function push(key, tol)
  local want = now + hold + tol
  local v = tonumber(redis.call("GET", key))
  if v == nil or v < want then
    redis.call("SET", key, string.format("%d", want), "PX", math.ceil((want - now) / 1000) + 1)
  end
end
local global = ARGV[3] == "1"
if not global then
  push(KEYS[2], ctol)
  if after > 0 then
    local n = redis.call("INCR", KEYS[3])
    if n == 1 then redis.call("PEXPIRE", KEYS[3], 1000) end
    if n >= after then global = true end
  end
end
if global then
  push(KEYS[1], gtol)
  return 1
end
return 0
`)

// Backoff honours a 429's retry_after d: nothing goes to chatID (global:
// to any chat) before d has passed. When GlobalAfter 429s arrive within one
// second, Telegram is limiting the bot, not a chat, and the hold becomes
// bot-wide; held reports that the whole bot holds.
func (l *Limiter) Backoff(ctx context.Context, chatID int64, global bool, d time.Duration) (held bool, err error) {
	g := "0"
	if global {
		g = "1"
	}
	after := max(l.o.GlobalAfter, 0)
	v, err := l.run(ctx, backoffCmd, []string{GlobalKey, ChatKey(chatID), CounterKey},
		l.now(), d.Microseconds(), g, l.gTolUrgent, l.cTolerance, after)
	if err != nil {
		return false, fmt.Errorf("rate limit back-off: %w", err)
	}
	return v == 1, nil
}

// run calls a script with EVALSHA, loading it when the server does not
// know it yet.
func (l *Limiter) run(ctx context.Context, s *redis.Script, keys []string, args ...any) (int64, error) {
	v, err := s.EvalSha(ctx, l.rdb, keys, args...).Int64()
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		v, err = s.Eval(ctx, l.rdb, keys, args...).Int64()
	}
	return v, err
}
