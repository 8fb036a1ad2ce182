package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client is a client record as stored.
type Client struct {
	ID           string
	FirstName    string
	Coach        string
	Lang         string
	ChatID       int64 // 0 when not linked
	LinkedUpdate int64
	Created      time.Time
	State        []byte // dialog state, JSON
	CoachUser    string // the coach's Mattermost username
	BackupUser   string // the backup coach's Mattermost username
	Channel      string // the client's Mattermost channel id
	Stopped      bool   // staff stopped the bot for this client
	OpenAlert    string // the client's latest safety alert
	Level        string // intensity: licht, normaal, intensief ("" = default)
	LastIn       time.Time
	Moods        string // last moods, oldest first, one digit each
	MissRun      int    // reminders missed in a row
}

// CreateClient stores a new client and indexes it in its partition.
func (s *Store) CreateClient(ctx context.Context, c Client) error {
	p := PartitionOfClient(c.ID)
	if sl := s.Sealer(); sl != nil {
		// The client's own data key comes first: everything of the client
		// is sealed under it, and wiping the client deletes it.
		if err := sl.newClientKey(ctx, c.ID); err != nil {
			return fmt.Errorf("create client %s: %w", c.ID, err)
		}
	}
	name, err := s.sealAt(ctx, c.ID, p.Client(c.ID), "name", []byte(c.FirstName))
	if err != nil {
		return err
	}
	coach, err := s.sealAt(ctx, c.ID, p.Client(c.ID), "coach", []byte(c.Coach))
	if err != nil {
		return err
	}
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, p.Client(c.ID), map[string]any{
		"name": name, "coach": coach, "lang": c.Lang, "chat": 0, "lupd": 0,
		"created": c.Created.Unix(), "coach_user": c.CoachUser, "backup_user": c.BackupUser,
	})
	pipe.SAdd(ctx, p.Clients(), c.ID)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("create client %s: %w", c.ID, err)
	}
	return nil
}

// LoadClient reads a client; ok is false when there is none.
func (s *Store) LoadClient(ctx context.Context, id string) (Client, bool, error) {
	p := PartitionOfClient(id)
	m, err := s.rdb.HGetAll(ctx, p.Client(id)).Result()
	if err != nil {
		return Client{}, false, fmt.Errorf("load client %s: %w", id, err)
	}
	if len(m) == 0 {
		return Client{}, false, nil
	}
	c := Client{ID: id, Lang: m["lang"]}
	key := p.Client(id)
	name, err := s.openAt(ctx, id, key, "name", m["name"])
	if err != nil {
		return Client{}, false, err
	}
	coach, err := s.openAt(ctx, id, key, "coach", m["coach"])
	if err != nil {
		return Client{}, false, err
	}
	c.FirstName, c.Coach = string(name), string(coach)
	c.ChatID, _ = strconv.ParseInt(m["chat"], 10, 64)
	c.LinkedUpdate, _ = strconv.ParseInt(m["lupd"], 10, 64)
	created, _ := strconv.ParseInt(m["created"], 10, 64)
	c.Created = time.Unix(created, 0)
	if m["state"] != "" {
		if c.State, err = s.openAt(ctx, id, key, "state", m["state"]); err != nil {
			return Client{}, false, err
		}
	}
	c.CoachUser, c.BackupUser, c.Channel = m["coach_user"], m["backup_user"], m["mmch"]
	c.Stopped = m["stopped"] == "1"
	c.OpenAlert = m["open_alert"]
	if m["level"] != "" {
		level, err := s.openAt(ctx, id, key, "level", m["level"])
		if err != nil {
			return Client{}, false, err
		}
		c.Level = string(level)
	}
	if m["moods"] != "" {
		moods, err := s.openAt(ctx, id, key, "moods", m["moods"])
		if err != nil {
			return Client{}, false, err
		}
		c.Moods = string(moods)
	}
	if v, _ := strconv.ParseInt(m["last_in"], 10, 64); v > 0 {
		c.LastIn = time.UnixMilli(v)
	}
	c.MissRun, _ = strconv.Atoi(m["miss_run"])
	return c, true, nil
}

// ClientIDs lists the clients of every partition, from the index sets.
func (s *Store) ClientIDs(ctx context.Context) ([]string, error) {
	var out []string
	for p := Partition(0); p < Partitions; p++ {
		ids, err := s.rdb.SMembers(ctx, p.Clients()).Result()
		if err != nil {
			return nil, fmt.Errorf("list clients %s: %w", p.Tag(), err)
		}
		out = append(out, ids...)
	}
	return out, nil
}

// linkCmd attaches a chat to a client. KEYS[1] client. ARGV[1] chat,
// ARGV[2] update. Linking the same chat again keeps the first update, so a
// repeated /start is not welcomed twice. Returns the previous chat id.
var linkCmd = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 0 then return -1 end
local prev = redis.call("HGET", KEYS[1], "chat")
if prev ~= ARGV[1] then
  redis.call("HSET", KEYS[1], "chat", ARGV[1], "lupd", ARGV[2], "state", "", "stopped", "0")
  redis.call("HDEL", KEYS[1], "stopped_at")
end
return tonumber(prev) or 0
`)

// LinkChat attaches a chat to a client and writes the chat -> client link.
// It returns the chat the client had before (0 for none), whose link the
// caller removes.
func (s *Store) LinkChat(ctx context.Context, clientID string, chatID, updateID int64) (int64, error) {
	cp := PartitionOfClient(clientID)
	prev, err := linkCmd.Run(ctx, s.rdb, []string{cp.Client(clientID)}, chatID, updateID).Int64()
	if err != nil {
		return 0, fmt.Errorf("link client %s: %w", clientID, err)
	}
	if prev < 0 {
		return 0, fmt.Errorf("link client %s: no such client", clientID)
	}
	if err := s.rdb.Set(ctx, PartitionOfChat(chatID).Link(chatID), clientID, 0).Err(); err != nil {
		return 0, fmt.Errorf("write link for %s: %w", clientID, err)
	}
	if prev != 0 && prev != chatID {
		if err := s.DropLink(ctx, prev, clientID); err != nil {
			return 0, err
		}
	}
	return prev, nil
}

var dropLinkCmd = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
`)

// DropLink removes a chat's link if it still points at clientID.
func (s *Store) DropLink(ctx context.Context, chatID int64, clientID string) error {
	if err := dropLinkCmd.Run(ctx, s.rdb, []string{PartitionOfChat(chatID).Link(chatID)}, clientID).Err(); err != nil {
		return fmt.Errorf("drop link for %s: %w", clientID, err)
	}
	return nil
}

// Links looks up the clients of several chats in one round trip.
func (s *Store) Links(ctx context.Context, chatIDs []int64) (map[int64]string, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(chatIDs))
	for i, c := range chatIDs {
		cmds[i] = pipe.Get(ctx, PartitionOfChat(c).Link(c))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("look up links: %w", err)
	}
	out := make(map[int64]string, len(chatIDs))
	for i, cmd := range cmds {
		if v, err := cmd.Result(); err == nil {
			out[chatIDs[i]] = v
		}
	}
	return out, nil
}

// SetCoach gives a client another coach (a transfer).
func (s *Store) SetCoach(ctx context.Context, id, coachName, coachUser, backupUser string) error {
	coach, err := s.sealAt(ctx, id, PartitionOfClient(id).Client(id), "coach", []byte(coachName))
	if err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, PartitionOfClient(id).Client(id), "coach", coach, "coach_user", coachUser, "backup_user", backupUser).Err(); err != nil {
		return fmt.Errorf("set coach of %s: %w", id, err)
	}
	return nil
}

// SetChannel records the client's Mattermost channel, both ways.
func (s *Store) SetChannel(ctx context.Context, id, channelID string) error {
	if err := s.rdb.HSet(ctx, PartitionOfClient(id).Client(id), "mmch", channelID).Err(); err != nil {
		return fmt.Errorf("set channel of %s: %w", id, err)
	}
	if err := s.rdb.Set(ctx, PartitionOfChannel(channelID).Channel(channelID), id, 0).Err(); err != nil {
		return fmt.Errorf("map channel of %s: %w", id, err)
	}
	return nil
}

// ClientOfChannel returns the client of a Mattermost channel, "" for none.
func (s *Store) ClientOfChannel(ctx context.Context, channelID string) (string, error) {
	v, err := s.rdb.Get(ctx, PartitionOfChannel(channelID).Channel(channelID)).Result()
	if err == redis.Nil {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up channel: %w", err)
	}
	return v, nil
}

// CoachCursor is where catching up in the client's channel starts: the
// create time of the last coach post taken, or earlier when a post could
// not be taken (HoldCoachCursor). hold reports the latter.
func (s *Store) CoachCursor(ctx context.Context, id string) (since time.Time, hold bool, err error) {
	v, err := s.rdb.HMGet(ctx, PartitionOfClient(id).Client(id), "mmlast", "mmhold").Result()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read coach cursor of %s: %w", id, err)
	}
	last, _ := strconv.ParseInt(fmt.Sprint(v[0]), 10, 64)
	if h, err := strconv.ParseInt(fmt.Sprint(v[1]), 10, 64); err == nil && h > 0 {
		return time.UnixMilli(h), true, nil
	}
	if last == 0 {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(last), false, nil
}

var holdCmd = redis.NewScript(`
local cur = tonumber(redis.call("HGET", KEYS[1], "mmhold") or "0")
if cur == 0 or tonumber(ARGV[1]) < cur then redis.call("HSET", KEYS[1], "mmhold", ARGV[1]) end
return 1
`)

// HoldCoachCursor makes the next catch-up start at t at the latest: a post
// from then could not be taken and must be tried again.
func (s *Store) HoldCoachCursor(ctx context.Context, id string, t time.Time) error {
	if err := holdCmd.Run(ctx, s.rdb, []string{PartitionOfClient(id).Client(id)}, t.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("hold coach cursor of %s: %w", id, err)
	}
	return nil
}

// ReleaseCoachCursor ends a hold once a catch-up took every post after it.
func (s *Store) ReleaseCoachCursor(ctx context.Context, id string) error {
	return s.rdb.HDel(ctx, PartitionOfClient(id).Client(id), "mmhold").Err()
}

var cursorCmd = redis.NewScript(`
local cur = tonumber(redis.call("HGET", KEYS[1], "mmlast") or "0")
if tonumber(ARGV[1]) > cur then redis.call("HSET", KEYS[1], "mmlast", ARGV[1]) end
return 1
`)

// AdvanceCoachCursor moves the cursor forward (never back).
func (s *Store) AdvanceCoachCursor(ctx context.Context, id string, t time.Time) error {
	if err := cursorCmd.Run(ctx, s.rdb, []string{PartitionOfClient(id).Client(id)}, t.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("advance coach cursor of %s: %w", id, err)
	}
	return nil
}

// StopClient unlinks the client's chat on staff request and ends its open
// invite code; the record stays for the coach. It returns the chat that was linked (0 for none).
func (s *Store) StopClient(ctx context.Context, id string) (int64, error) {
	c, ok, err := s.LoadClient(ctx, id)
	if err != nil || !ok {
		return 0, err
	}
	if err := s.EndInvite(ctx, id); err != nil {
		return 0, err
	}
	// stopped_at starts the retention of a stopped client's data (Sweep).
	if err := s.rdb.HSet(ctx, PartitionOfClient(id).Client(id), "chat", 0, "state", "", "stopped", "1",
		"stopped_at", time.Now().UnixMilli()).Err(); err != nil {
		return 0, fmt.Errorf("stop client %s: %w", id, err)
	}
	if c.ChatID != 0 {
		if err := s.DropLink(ctx, c.ChatID, id); err != nil {
			return 0, err
		}
	}
	return c.ChatID, nil
}

// DeleteClient removes everything Waakvlam keeps about a client
// (WipeClient), its data key included.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	_, err := s.WipeClient(ctx, id)
	return err
}
