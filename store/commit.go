package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Outgoing is a message for the Telegram sender.
type Outgoing struct {
	Lane    Lane
	ChatID  int64
	Client  string // whose message: sealed under the client's data key (PushOutgoing; a commit uses its ClientID)
	Payload []byte
}

// Event is a domain event: what happened, to whom, when. Never text.
type Event struct {
	Kind     string
	ClientID string
	Ref      string // an id that ties it to other events, e.g. the update id
}

// Commit is everything one unit of work changes, written at once.
type Commit struct {
	Partition  Partition
	EntryID    string
	LeaseToken string
	ClientID   string // "" for work without a client (strangers)
	State      []byte // new dialog state; nil leaves it
	Lang       string // new language; "" leaves it
	Unlink     bool
	Outgoing   []Outgoing
	Coach      [][]byte // posts for the coach queue
	Events     []Event
	Alert      *Alert // a safety alert to open
	// Structure: client fields to set, a reminder to wait for (or one
	// answered), and when the client's silence becomes a signal.
	Fields      map[string]string
	WaitFor     string    // pending member to add ("client|occurrence")
	WaitUntil   time.Time // its deadline
	Answered    string    // pending member to remove
	SilentAfter time.Time // zero: leave as it is
}

// Alert is a safety alert as stored. Steps are the usernames it escalates
// to, in order; Level is how many steps were taken.
type Alert struct {
	ID        string
	ClientID  string
	Severity  string
	Category  string
	Created   time.Time
	Steps     []string
	Level     int
	Due       time.Time // next escalation; zero: none
	AckedBy   string
	AckedAt   time.Time
	CoachUser string
}

// commitCmd applies a unit of work exactly once: only while the lease is
// held, and only if the intake entry was still pending.
// KEYS: 1 intake, 2 lease, 3 client, 4 out:u, 5 out:n, 6 out:b, 7 coach,
// 8 events, 9 alerts, 10 the alert, 11 audit, 12 pending, 13 silence.
// The last ARGV is the client id, also written beside sealed stream
// content ("k"): the reader needs it to open the content.
var commitCmd = redis.NewScript(`
if redis.call("GET", KEYS[2]) ~= ARGV[2] then return -1 end
if redis.call("XACK", KEYS[1], "work", ARGV[1]) == 0 then return 0 end
redis.call("XDEL", KEYS[1], ARGV[1])
if ARGV[3] == "1" then redis.call("HSET", KEYS[3], "state", ARGV[4]) end
if ARGV[5] ~= "" then redis.call("HSET", KEYS[3], "lang", ARGV[5]) end
if ARGV[6] == "1" then redis.call("HSET", KEYS[3], "chat", "0", "state", "") end
local i = 8
local n = tonumber(ARGV[i])
for j = 1, n do
  redis.call("XADD", KEYS[3 + tonumber(ARGV[i + 1])], "*", "c", ARGV[i + 2], "k", ARGV[#ARGV], "m", ARGV[i + 3])
  i = i + 3
end
i = i + 1
n = tonumber(ARGV[i])
for j = 1, n do
  redis.call("XADD", KEYS[7], "*", "k", ARGV[#ARGV], "m", ARGV[i + 1])
  i = i + 1
end
i = i + 1
n = tonumber(ARGV[i])
for j = 1, n do
  redis.call("XADD", KEYS[8], "MINID", "~", ARGV[7], "*", "k", ARGV[i + 1], "c", ARGV[i + 2], "r", ARGV[i + 3])
  i = i + 3
end
i = i + 1
n = tonumber(ARGV[i])
if n > 0 then
  local due = ARGV[i + 1]
  local fields = {}
  for j = 1, n do
    table.insert(fields, ARGV[i + 1 + 2 * j - 1])
    table.insert(fields, ARGV[i + 1 + 2 * j])
  end
  redis.call("HSET", KEYS[10], unpack(fields))
  redis.call("PEXPIRE", KEYS[10], ARGV[i + 3 + 2 * n])
  redis.call("HSET", KEYS[3], "open_alert", ARGV[i + 2 + 2 * n])
  if due ~= "0" then redis.call("ZADD", KEYS[9], due, ARGV[i + 2 + 2 * n]) end
  redis.call("XADD", KEYS[11], "*", "who", "waakvlam", "what", "alert_raised", "alert", ARGV[i + 2 + 2 * n])
  i = i + 4 + 2 * n
else
  i = i + 1
end
n = tonumber(ARGV[i])
for j = 1, n do
  redis.call("HSET", KEYS[3], ARGV[i + 2 * j - 1], ARGV[i + 2 * j])
end
i = i + 2 * n + 1
if ARGV[i] ~= "" then redis.call("ZADD", KEYS[12], ARGV[i + 1], ARGV[i]) end
if ARGV[i + 2] ~= "" then redis.call("ZREM", KEYS[12], ARGV[i + 2]) end
if ARGV[i + 3] ~= "" then redis.call("ZADD", KEYS[13], ARGV[i + 3], ARGV[i + 4]) end
return 1
`)

func laneIndex(l Lane) int {
	switch l {
	case LaneUrgent:
		return 1
	case LaneBulk:
		return 3
	default:
		return 2
	}
}

// Commit writes a unit of work. It returns ErrLeaseLost when another
// replica owns the partition now; committed is false when the entry had
// been finished before (a redelivery), in which case nothing was written.
func (s *Store) Commit(ctx context.Context, c Commit, now time.Time) (committed bool, err error) {
	p := c.Partition
	client := c.ClientID
	if client == "" {
		client = "-"
	}
	alertID := "-"
	if c.Alert != nil {
		alertID = c.Alert.ID
	}
	keys := []string{p.Intake(), p.Lease(), p.Client(client),
		p.Outbox(LaneUrgent), p.Outbox(LaneNormal), p.Outbox(LaneBulk), p.CoachQueue(), p.Events(),
		p.Alerts(), p.Alert(alertID), p.Audit(), p.Pending(), p.Silence()}
	setState := "0"
	if c.State != nil {
		setState = "1"
	}
	unlink := "0"
	if c.Unlink {
		unlink = "1"
	}
	minID := strconv.FormatInt(now.Add(-s.EventRetention).UnixMilli(), 10)
	state := ""
	if c.State != nil {
		var err error
		if state, err = s.sealAt(ctx, c.ClientID, p.Client(client), "state", c.State); err != nil {
			return false, err
		}
	}
	args := []any{c.EntryID, c.LeaseToken, setState, state, c.Lang, unlink, minID, len(c.Outgoing)}
	for _, o := range c.Outgoing {
		payload, err := s.sealAt(ctx, c.ClientID, p.Outbox(o.Lane), "m", o.Payload)
		if err != nil {
			return false, err
		}
		args = append(args, laneIndex(o.Lane), o.ChatID, payload)
	}
	args = append(args, len(c.Coach))
	for _, m := range c.Coach {
		payload, err := s.sealAt(ctx, c.ClientID, p.CoachQueue(), "m", m)
		if err != nil {
			return false, err
		}
		args = append(args, payload)
	}
	args = append(args, len(c.Events))
	for _, e := range c.Events {
		args = append(args, e.Kind, e.ClientID, e.Ref)
	}
	if a := c.Alert; a != nil {
		fields, err := s.alertFields(ctx, a, p.Alert(a.ID))
		if err != nil {
			return false, err
		}
		args = append(args, len(fields)/2, dueScore(a.Due))
		for _, f := range fields {
			args = append(args, f)
		}
		// An alert, open or not, is kept AlertRetention after it was raised
		// (picking it up starts that time again).
		args = append(args, a.ID, s.alertRetention().Milliseconds())
	} else {
		args = append(args, 0)
	}
	fields := c.Fields
	if _, ok := fields["moods"]; ok {
		// When the last mood came: the mood history is kept
		// Retention.Moods after it (Sweep).
		fields = make(map[string]string, len(c.Fields)+1)
		for k, v := range c.Fields {
			fields[k] = v
		}
		fields["moods_at"] = strconv.FormatInt(now.UnixMilli(), 10)
	}
	args = append(args, len(fields))
	for k, v := range fields {
		v, err := s.sealField(ctx, c.ClientID, k, v)
		if err != nil {
			return false, err
		}
		args = append(args, k, v)
	}
	silent := ""
	if !c.SilentAfter.IsZero() {
		silent = strconv.FormatInt(c.SilentAfter.UnixMilli(), 10)
	}
	args = append(args, c.WaitFor, c.WaitUntil.UnixMilli(), c.Answered, silent, c.ClientID)
	res, err := s.runBatch(ctx, []scriptCall{{commitCmd, keys, args}})
	if err != nil {
		return false, fmt.Errorf("commit %s %s: %w", p.Tag(), c.EntryID, err)
	}
	switch res[0].(int64) {
	case -1:
		return false, ErrLeaseLost
	case 0:
		return false, nil
	}
	return true, nil
}

func dueScore(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// alertFields are the hash fields of a new alert; how worrying it is and
// what about (severity, category: health data) are sealed.
func (s *Store) alertFields(ctx context.Context, a *Alert, key string) ([]string, error) {
	sev, err := s.sealAt(ctx, a.ClientID, key, "severity", []byte(a.Severity))
	if err != nil {
		return nil, err
	}
	cat, err := s.sealAt(ctx, a.ClientID, key, "category", []byte(a.Category))
	if err != nil {
		return nil, err
	}
	return []string{"client", a.ClientID, "severity", sev, "category", cat,
		"created", strconv.FormatInt(a.Created.UnixMilli(), 10), "steps", strings.Join(a.Steps, ","),
		"level", strconv.Itoa(a.Level), "acked_by", a.AckedBy, "coach_user", a.CoachUser}, nil
}
