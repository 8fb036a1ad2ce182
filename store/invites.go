package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// An invite code links a Telegram chat to a client once. A client has at
// most one live code: the client record names it (field "inv", the code's
// key), and only that code links. Making a new code, linking, stopping and
// wiping the client end the old one, so an old paper code cannot take a
// client's conversation over. Wrong codes are limited per chat and for the
// whole bot; the counters are bounded and expire.

// Limits on wrong invite codes. Variables so tests can lower them.
var (
	// InviteTriesPerChat is how many wrong codes one chat may send in a
	// StrangerWindow; after that its codes are not checked (not even a
	// right one) until the window ends.
	InviteTriesPerChat int64 = 10
	// InviteFailLimit is how many wrong codes all chats together may send
	// in an InviteFailWindow; after that no code is checked until the
	// window ends, and project leaders hear of it once an hour.
	InviteFailLimit  int64 = 100
	InviteFailWindow       = 10 * time.Minute
	// StrangerWindow is the window of the stranger counters (messages and
	// wrong codes per chat).
	StrangerWindow = time.Hour
	// StrangerCap is how many unlinked chats one partition counts per
	// window; beyond it a new chat gets no ordinary answer (CountStranger
	// reports StrangerUncounted) and its codes are not checked, so a flood
	// of chats cannot grow Redis without bound.
	StrangerCap int64 = 4096
)

// StrangerUncounted is what CountStranger reports for a chat that could
// not be counted because the partition's window is full.
const StrangerUncounted int64 = -1

// inviteFloodNote is how long project leaders are not told again of a
// flood of wrong codes.
const inviteFloodNote = time.Hour

// redeemGrace keeps a used invite a little while, so that a crash between
// redeeming and linking can be retried with the same update.
const redeemGrace = time.Hour

// ServerSecret derives the server secret (SetSecret) from the Telegram bot
// token: every replica and the operator's tools have the token; Redis does
// not. serve, `client add` and the load test use it alike, so they agree
// on invite keys.
func ServerSecret(botToken string) []byte {
	sum := sha256.Sum256([]byte("waakvlam-stranger-key:" + botToken))
	return sum[:]
}

// strangerField is the HMAC of a chat id: the field of the chat in the
// stranger counters.
func (s *Store) strangerField(kind string, chatID int64) string {
	return kind + ":" + keyed(s.secret, "chat:"+strconv.FormatInt(chatID, 10))
}

func window(now time.Time, d time.Duration) int64 { return now.UnixMilli() / d.Milliseconds() }

// countCmd counts in a capped window hash. KEYS[1] hash. ARGV: 1 field, 2
// cap, 3 ttl ms. Returns the new count, or -1 when the hash is full.
var countCmd = redis.NewScript(`
if redis.call("HEXISTS", KEYS[1], ARGV[1]) == 0 and redis.call("HLEN", KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
local n = redis.call("HINCRBY", KEYS[1], ARGV[1], 1)
if redis.call("PTTL", KEYS[1]) < 0 then redis.call("PEXPIRE", KEYS[1], ARGV[3]) end
return n
`)

// CountStranger counts a message of an unlinked chat in the current
// window (about an hour); the keyed counter is all that is kept about a
// stranger. It returns StrangerUncounted when the window of the chat's
// partition is full (a flood of chats).
func (s *Store) CountStranger(ctx context.Context, chatID int64) (int64, error) {
	p := PartitionOfChat(chatID)
	k := p.Strangers(window(time.Now(), StrangerWindow))
	n, err := countCmd.Run(ctx, s.rdb, []string{k}, s.strangerField("m", chatID), StrangerCap, (2 * StrangerWindow).Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("count stranger: %w", err)
	}
	return n, nil
}

// createInviteCmd makes the invite KEYS[2] the client's live one. A new
// code for a stopped client restarts the retention of its data (Sweep
// stamps "stopped_at" again while the client is not linked).
// KEYS: 1 client, 2 the new invite (other slot: only its name is stored).
// Returns the key of the code it replaces ("" for none), or false when
// there is no such client.
var createInviteCmd = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 0 then return false end
local old = redis.call("HGET", KEYS[1], "inv") or ""
redis.call("HSET", KEYS[1], "inv", ARGV[1])
redis.call("HDEL", KEYS[1], "stopped_at")
return old
`)

// ErrNoClient means the client does not exist (any more).
var ErrNoClient = errors.New("no such client")

// CreateInvite stores an invite code for a client, valid for ttl, and
// makes it the client's only live code: an older one stops working.
func (s *Store) CreateInvite(ctx context.Context, code, clientID string, ttl time.Duration) error {
	p := PartitionOfCode(code)
	key := p.Invite(code, s.secret)
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, key, "client", clientID, "used_by", "")
	pipe.PExpire(ctx, key, ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("create invite for %s: %w", clientID, err)
	}
	cp := PartitionOfClient(clientID)
	old, err := createInviteCmd.Run(ctx, s.rdb, []string{cp.Client(clientID)}, key).Text()
	if err == redis.Nil {
		_ = s.rdb.Del(ctx, key).Err()
		return fmt.Errorf("create invite for %s: %w", clientID, ErrNoClient)
	}
	if err != nil {
		return fmt.Errorf("create invite for %s: %w", clientID, err)
	}
	if old != "" && old != key {
		// Already dead (the client names the new one); this only tidies.
		_ = s.rdb.Del(ctx, old).Err()
	}
	return nil
}

// EndInvite ends the client's live invite code, if any (stop, wipe).
func (s *Store) EndInvite(ctx context.Context, clientID string) error {
	k := PartitionOfClient(clientID).Client(clientID)
	old, err := s.rdb.HGet(ctx, k, "inv").Result()
	if err == redis.Nil || (err == nil && old == "") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("end invite of %s: %w", clientID, err)
	}
	if err := s.rdb.HDel(ctx, k, "inv").Err(); err != nil {
		return fmt.Errorf("end invite of %s: %w", clientID, err)
	}
	_ = s.rdb.Del(ctx, old).Err()
	return nil
}

// redeemCmd: KEYS[1] invite. ARGV[1] chat id, ARGV[2] grace ms.
var redeemCmd = redis.NewScript(`
local client = redis.call("HGET", KEYS[1], "client")
if not client then return false end
local used = redis.call("HGET", KEYS[1], "used_by")
if used == "" then
  redis.call("HSET", KEYS[1], "used_by", ARGV[1])
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return client
end
if used == ARGV[1] then return client end
return false
`)

// redeem marks a code as used by a chat and returns its client ("" when
// the code is unknown, expired or used by another chat), and the code's
// key. It does not say whether the code is still the client's live one.
func (s *Store) redeem(ctx context.Context, code string, chatID int64) (string, string, error) {
	if code == "" || len(code) > 64 {
		return "", "", nil
	}
	key := PartitionOfCode(code).Invite(code, s.secret)
	v, err := redeemCmd.Run(ctx, s.rdb, []string{key}, chatID, redeemGrace.Milliseconds()).Result()
	if err == redis.Nil {
		return "", key, nil
	}
	if err != nil {
		return "", key, fmt.Errorf("redeem invite: %w", err)
	}
	id, _ := v.(string)
	return id, key, nil
}

// RedeemInvite tells whether code links chatID now: it returns the client
// id, or "" when the code is unknown, expired, used by another chat or no
// longer the client's live code. Asking again from the same chat gives
// the same answer, so retries are safe. It links nothing (UseInvite does)
// and counts no wrong tries.
func (s *Store) RedeemInvite(ctx context.Context, code string, chatID int64) (string, error) {
	id, key, err := s.redeem(ctx, code, chatID)
	if err != nil || id == "" {
		return "", err
	}
	v, err := s.rdb.HMGet(ctx, PartitionOfClient(id).Client(id), "inv", "chat").Result()
	if err != nil {
		return "", fmt.Errorf("redeem invite: %w", err)
	}
	if live, _ := v[0].(string); live == key {
		return id, nil
	}
	if chat, _ := v[1].(string); chat == strconv.FormatInt(chatID, 10) {
		return id, nil
	}
	return "", nil
}

// InviteUse is what became of an invite code a chat sent.
type InviteUse struct {
	ClientID string // the client the chat is linked to now; "" when the code did not work
	Prev     int64  // the chat the client had before (0: none)
	// Limited: the code was not checked, the chat or the whole bot sent
	// too many wrong codes.
	Limited bool
	// Flood: this try crossed the bot-wide limit of wrong codes; the
	// caller tells the project leaders (once an hour at most).
	Flood bool
}

// Moved makes the notices for a client whose conversation moves from chat
// prev to another chat: a message for the old chat (a bot.Outgoing, JSON)
// and a post for the coach queue; either may be nil.
type Moved func(clientID string, prev int64) (oldChat, coach []byte, err error)

// linkInviteCmd links a chat with the client's live invite code.
// KEYS: 1 client, 2 normal outbox, 3 coach queue, 4 events (client's partition).
// ARGV: 1 chat, 2 update, 3 invite key, 4 chat expected before, 5 old chat
// notice ("" for none), 6 coach post ("" for none), 7 min event id, 8 client.
// Returns the previous chat, -1 no such client, -2 not the live code, -3
// the chat changed since it was read (read again).
var linkInviteCmd = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 0 then return -1 end
local prev = redis.call("HGET", KEYS[1], "chat") or "0"
if prev == "" then prev = "0" end
local live = redis.call("HGET", KEYS[1], "inv")
if prev == ARGV[1] then
  if live == ARGV[3] then redis.call("HDEL", KEYS[1], "inv") end
  return tonumber(prev)
end
if live ~= ARGV[3] then return -2 end
if prev ~= ARGV[4] then return -3 end
redis.call("HSET", KEYS[1], "chat", ARGV[1], "lupd", ARGV[2], "state", "", "stopped", "0")
redis.call("HDEL", KEYS[1], "inv", "stopped_at")
if prev ~= "0" then
  if ARGV[5] ~= "" then redis.call("XADD", KEYS[2], "*", "c", prev, "k", ARGV[8], "m", ARGV[5]) end
  if ARGV[6] ~= "" then redis.call("XADD", KEYS[3], "*", "k", ARGV[8], "m", ARGV[6]) end
  redis.call("XADD", KEYS[4], "MINID", "~", ARGV[7], "*", "k", "client_moved", "c", ARGV[8], "r", ARGV[2])
end
return tonumber(prev)
`)

// UseInvite tries a code from a chat (update updateID) and, when it is the
// client's live code, links the chat to the client and ends the code. A
// client that had another chat moves: moved (may be nil) makes a notice
// for the old chat and a post for the coach, written in the same step as
// the move. A wrong code counts against the chat and the whole bot; over
// either limit codes are not checked at all (Limited).
func (s *Store) UseInvite(ctx context.Context, code string, chatID, updateID int64, now time.Time, moved Moved) (InviteUse, error) {
	field := s.strangerField("f", chatID)
	win := PartitionOfChat(chatID).Strangers(window(now, StrangerWindow))
	fails := InviteFails(window(now, InviteFailWindow))
	pipe := s.rdb.Pipeline()
	global := pipe.Get(ctx, fails)
	mine := pipe.HGet(ctx, win, field)
	size := pipe.HLen(ctx, win)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return InviteUse{}, fmt.Errorf("invite limits: %w", err)
	}
	g, _ := global.Int64()
	m, _ := mine.Int64()
	full := m == 0 && size.Val() >= StrangerCap
	if g >= InviteFailLimit || m >= InviteTriesPerChat || full {
		return InviteUse{Limited: true}, nil
	}
	id, key, err := s.redeem(ctx, code, chatID)
	if err != nil {
		return InviteUse{}, err
	}
	if id != "" {
		prev, err := s.linkInvite(ctx, id, key, chatID, updateID, now, moved)
		if err != nil {
			return InviteUse{}, err
		}
		if prev >= 0 {
			return InviteUse{ClientID: id, Prev: prev}, nil
		}
	}
	return s.inviteFailed(ctx, win, field, fails, now)
}

// inviteFailed counts a wrong code for the chat and the bot.
func (s *Store) inviteFailed(ctx context.Context, win, field, fails string, now time.Time) (InviteUse, error) {
	if _, err := countCmd.Run(ctx, s.rdb, []string{win}, field, StrangerCap, (2 * StrangerWindow).Milliseconds()).Result(); err != nil {
		return InviteUse{}, fmt.Errorf("count wrong code: %w", err)
	}
	pipe := s.rdb.TxPipeline()
	n := pipe.Incr(ctx, fails)
	pipe.PExpire(ctx, fails, 2*InviteFailWindow)
	if _, err := pipe.Exec(ctx); err != nil {
		return InviteUse{}, fmt.Errorf("count wrong code: %w", err)
	}
	out := InviteUse{}
	if n.Val() == InviteFailLimit {
		first, err := s.rdb.SetNX(ctx, InviteFlood, strconv.FormatInt(now.Unix(), 10), inviteFloodNote).Result()
		if err != nil {
			return out, fmt.Errorf("mark invite flood: %w", err)
		}
		out.Flood = first
	}
	return out, nil
}

// linkInvite links chatID to the client of the live invite key. It
// returns the previous chat, or -1 when the code is not the live one (or
// the client is gone).
func (s *Store) linkInvite(ctx context.Context, clientID, key string, chatID, updateID int64, now time.Time, moved Moved) (int64, error) {
	p := PartitionOfClient(clientID)
	ck := p.Client(clientID)
	minID := strconv.FormatInt(now.Add(-s.EventRetention).UnixMilli(), 10)
	for attempt := 0; attempt < 5; attempt++ {
		chat, err := s.rdb.HGet(ctx, ck, "chat").Result()
		if err != nil && err != redis.Nil {
			return 0, fmt.Errorf("link invite of %s: %w", clientID, err)
		}
		before, _ := strconv.ParseInt(chat, 10, 64)
		var notice, post string
		if before != 0 && before != chatID && moved != nil {
			old, coach, err := moved(clientID, before)
			if err != nil {
				return 0, err
			}
			if old != nil {
				if notice, err = s.sealAt(ctx, clientID, p.Outbox(LaneNormal), "m", old); err != nil {
					return 0, err
				}
			}
			if coach != nil {
				if post, err = s.sealAt(ctx, clientID, p.CoachQueue(), "m", coach); err != nil {
					return 0, err
				}
			}
		}
		prev, err := linkInviteCmd.Run(ctx, s.rdb, []string{ck, p.Outbox(LaneNormal), p.CoachQueue(), p.Events()},
			chatID, updateID, key, before, notice, post, minID, clientID).Int64()
		if err != nil {
			return 0, fmt.Errorf("link invite of %s: %w", clientID, err)
		}
		switch prev {
		case -1, -2:
			return -1, nil
		case -3:
			continue
		}
		if err := s.rdb.Set(ctx, PartitionOfChat(chatID).Link(chatID), clientID, 0).Err(); err != nil {
			return 0, fmt.Errorf("write link for %s: %w", clientID, err)
		}
		if prev != 0 && prev != chatID {
			if err := s.DropLink(ctx, prev, clientID); err != nil {
				return 0, err
			}
		}
		// The link is written: a retry of this update finds it and never
		// needs the code again.
		_ = s.rdb.Del(ctx, key).Err()
		return prev, nil
	}
	return 0, fmt.Errorf("link invite of %s: the chat kept changing", clientID)
}
