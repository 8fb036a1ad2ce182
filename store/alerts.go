package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// AlertClient returns the client of an alert in partition p ("" for none).
func (s *Store) AlertClient(ctx context.Context, p Partition, id string) string {
	return s.rdb.HGet(ctx, p.Alert(id), "client").Val()
}

// LoadAlert reads an alert; ok is false when there is none.
func (s *Store) LoadAlert(ctx context.Context, clientID, id string) (Alert, bool, error) {
	p := PartitionOfClient(clientID)
	pipe := s.rdb.Pipeline()
	h := pipe.HGetAll(ctx, p.Alert(id))
	z := pipe.ZScore(ctx, p.Alerts(), id)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return Alert{}, false, fmt.Errorf("load alert %s: %w", id, err)
	}
	m := h.Val()
	if len(m) == 0 {
		return Alert{}, false, nil
	}
	a := Alert{ID: id, ClientID: m["client"], AckedBy: m["acked_by"], CoachUser: m["coach_user"]}
	if a.ClientID != clientID {
		return Alert{}, false, nil // another client's alert: not this client's to see
	}
	sev, err := s.openAt(ctx, clientID, p.Alert(id), "severity", m["severity"])
	if err != nil {
		return Alert{}, false, err
	}
	cat, err := s.openAt(ctx, clientID, p.Alert(id), "category", m["category"])
	if err != nil {
		return Alert{}, false, err
	}
	a.Severity, a.Category = string(sev), string(cat)
	if m["steps"] != "" {
		a.Steps = strings.Split(m["steps"], ",")
	}
	a.Level, _ = strconv.Atoi(m["level"])
	created, _ := strconv.ParseInt(m["created"], 10, 64)
	a.Created = time.UnixMilli(created)
	if at, _ := strconv.ParseInt(m["acked_at"], 10, 64); at > 0 {
		a.AckedAt = time.UnixMilli(at)
	}
	if z.Err() == nil {
		a.Due = time.UnixMilli(int64(z.Val()))
	}
	return a, true, nil
}

// DueAlerts lists alerts of a partition whose next escalation is due.
func (s *Store) DueAlerts(ctx context.Context, p Partition, now time.Time, max int) ([]string, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: p.Alerts(), ByScore: true, Start: "-inf",
		Stop: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(max)}).Result()
	if err != nil {
		return nil, fmt.Errorf("due alerts %s: %w", p.Tag(), err)
	}
	return ids, nil
}

// escalateCmd takes one escalation step exactly once: only if the alert is
// still open and at the expected level.
// KEYS: 1 alerts, 2 alert, 3 coach queue, 4 audit, 5 events.
// ARGV: 1 id, 2 expected level, 3 next due ms ("0": last step), 4 coach
// post, 5 target, 6 min id for trimming, 7 client.
var escalateCmd = redis.NewScript(`
if redis.call("HGET", KEYS[2], "acked_by") ~= "" then
  redis.call("ZREM", KEYS[1], ARGV[1])
  return 0
end
if redis.call("HGET", KEYS[2], "level") ~= ARGV[2] then return 0 end
redis.call("HINCRBY", KEYS[2], "level", 1)
if ARGV[3] == "0" then
  redis.call("ZREM", KEYS[1], ARGV[1])
else
  redis.call("ZADD", KEYS[1], ARGV[3], ARGV[1])
end
redis.call("XADD", KEYS[3], "*", "k", ARGV[7], "m", ARGV[4])
redis.call("XADD", KEYS[4], "*", "who", "waakvlam", "what", "alert_escalated", "alert", ARGV[1], "to", ARGV[5])
redis.call("XADD", KEYS[5], "MINID", "~", ARGV[6], "*", "k", "signal_escalated", "c", ARGV[7], "r", ARGV[1])
return 1
`)

// Escalate takes the alert's next step: the post for the coach queue goes
// out with it. It reports false when someone acknowledged the alert or
// another replica took the step first.
func (s *Store) Escalate(ctx context.Context, a Alert, next time.Time, post []byte, target string, now time.Time) (bool, error) {
	p := PartitionOfClient(a.ClientID)
	m, err := s.sealAt(ctx, a.ClientID, p.CoachQueue(), "m", post)
	if err != nil {
		return false, err
	}
	n, err := escalateCmd.Run(ctx, s.rdb, []string{p.Alerts(), p.Alert(a.ID), p.CoachQueue(), p.Audit(), p.Events()},
		a.ID, a.Level, dueScore(next), m, target, now.Add(-s.EventRetention).UnixMilli(), a.ClientID).Int()
	if err != nil {
		return false, fmt.Errorf("escalate alert %s: %w", a.ID, err)
	}
	return n == 1, nil
}

// ackCmd: KEYS 1 alerts, 2 alert, 3 audit, 4 events, 5 coach queue.
// ARGV 1 id, 2 who, 3 now ms, 4 min id, 5 client, 6 coach post, 7 keep ms.
var ackAlertCmd = redis.NewScript(`
if redis.call("EXISTS", KEYS[2]) == 0 then return {-1, ""} end
local by = redis.call("HGET", KEYS[2], "acked_by")
if by ~= "" then return {0, by} end
redis.call("HSET", KEYS[2], "acked_by", ARGV[2], "acked_at", ARGV[3])
redis.call("PEXPIRE", KEYS[2], ARGV[7])
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("XADD", KEYS[3], "*", "who", ARGV[2], "what", "alert_acknowledged", "alert", ARGV[1])
redis.call("XADD", KEYS[4], "MINID", "~", ARGV[4], "*", "k", "signal_acknowledged", "c", ARGV[5], "r", ARGV[1])
if ARGV[6] ~= "" then redis.call("XADD", KEYS[5], "*", "k", ARGV[5], "m", ARGV[6]) end
return {1, ARGV[2]}
`)

// AlertRetention is how long an alert is kept after it was raised or
// picked up (for client status and questions afterwards) when
// Store.AlertRetention is not set; the audit log keeps who did what for
// longer (Retention.Audit, trimmed by Sweep).
var AlertRetention = 90 * 24 * time.Hour

func (s *Store) alertRetention() time.Duration {
	if s.AlertRetention > 0 {
		return s.AlertRetention
	}
	return AlertRetention
}

// AckResult says what became of an acknowledgement.
type AckResult int

// Acknowledgement results.
const (
	AckDone    AckResult = iota // this user picked it up
	AckAlready                  // someone had picked it up before
	AckUnknown                  // no such alert
)

// AckAlert records that who picks the alert up; it stops escalating. post
// (optional) goes to the coach queue in the same step. For AckAlready it
// returns who picked it up.
func (s *Store) AckAlert(ctx context.Context, clientID, id, who string, now time.Time, post []byte) (AckResult, string, error) {
	p := PartitionOfClient(clientID)
	m := ""
	if post != nil {
		sealed, err := s.sealAt(ctx, clientID, p.CoachQueue(), "m", post)
		if err != nil {
			return 0, "", err
		}
		m = sealed
	}
	res, err := ackAlertCmd.Run(ctx, s.rdb, []string{p.Alerts(), p.Alert(id), p.Audit(), p.Events(), p.CoachQueue()},
		id, who, now.UnixMilli(), now.Add(-s.EventRetention).UnixMilli(), clientID, m, s.alertRetention().Milliseconds()).Slice()
	if err != nil {
		return 0, "", fmt.Errorf("acknowledge alert %s: %w", id, err)
	}
	code, _ := res[0].(int64)
	by, _ := res[1].(string)
	switch code {
	case -1:
		return AckUnknown, "", nil
	case 0:
		return AckAlready, by, nil
	}
	return AckDone, by, nil
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	At    time.Time
	Who   string
	What  string
	Alert string
	To    string
}

// Audit reads a partition's audit log, oldest first.
func (s *Store) Audit(ctx context.Context, p Partition) ([]AuditEntry, error) {
	msgs, err := s.rdb.XRange(ctx, p.Audit(), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("read audit %s: %w", p.Tag(), err)
	}
	out := make([]AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		ms, _ := strconv.ParseInt(m.ID[:indexDash(m.ID)], 10, 64)
		out = append(out, AuditEntry{At: time.UnixMilli(ms), Who: str("who"), What: str("what"), Alert: str("alert"), To: str("to")})
	}
	return out, nil
}

// DropAlertTimer takes an alert off the escalation timer.
func (s *Store) DropAlertTimer(ctx context.Context, p Partition, id string) error {
	return s.rdb.ZRem(ctx, p.Alerts(), id).Err()
}
