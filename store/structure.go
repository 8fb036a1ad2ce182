package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// missedCmd settles one reminder nobody answered in time: exactly once,
// because only the caller whose ZREM succeeds goes on. It counts the run of
// missed reminders and, when the run reaches the threshold, queues the
// quiet signal for the coach.
// KEYS: 1 pending, 2 client, 3 coach queue, 4 events.
// ARGV: 1 member, 2 threshold, 3 coach post, 4 client, 5 min id.
var missedCmd = redis.NewScript(`
if redis.call("ZREM", KEYS[1], ARGV[1]) == 0 then return -1 end
if redis.call("EXISTS", KEYS[2]) == 0 then return -1 end
local run = redis.call("HINCRBY", KEYS[2], "miss_run", 1)
redis.call("XADD", KEYS[4], "MINID", "~", ARGV[5], "*", "k", "reminder_missed", "c", ARGV[4], "r", ARGV[1])
if run == tonumber(ARGV[2]) then
  redis.call("XADD", KEYS[3], "*", "k", ARGV[4], "m", ARGV[3])
end
return run
`)

// DuePending lists reminders whose answer time is over.
func (s *Store) DuePending(ctx context.Context, p Partition, now time.Time, max int) ([]string, error) {
	return s.dueMembers(ctx, p.Pending(), now, max)
}

// Missed settles a reminder nobody answered; post goes to the coach when
// this miss makes the run reach threshold. It returns the run length, or
// -1 when another replica settled it first.
func (s *Store) Missed(ctx context.Context, p Partition, member, clientID string, threshold int, post []byte, now time.Time) (int, error) {
	m, err := s.sealAt(ctx, clientID, p.CoachQueue(), "m", post)
	if err != nil {
		return 0, err
	}
	n, err := missedCmd.Run(ctx, s.rdb, []string{p.Pending(), p.Client(clientID), p.CoachQueue(), p.Events()},
		member, threshold, m, clientID, now.Add(-s.EventRetention).UnixMilli()).Int()
	if err != nil {
		return 0, fmt.Errorf("settle missed reminder: %w", err)
	}
	return n, nil
}

// silentCmd raises the silence signal once per silence.
// KEYS: 1 silence, 2 coach queue, 3 events. ARGV: 1 client, 2 post, 3 min id.
var silentCmd = redis.NewScript(`
if redis.call("ZREM", KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call("XADD", KEYS[2], "*", "k", ARGV[1], "m", ARGV[2])
redis.call("XADD", KEYS[3], "MINID", "~", ARGV[3], "*", "k", "client_silent", "c", ARGV[1], "r", "")
return 1
`)

// DueSilent lists clients whose silence is now a signal.
func (s *Store) DueSilent(ctx context.Context, p Partition, now time.Time, max int) ([]string, error) {
	return s.dueMembers(ctx, p.Silence(), now, max)
}

// Silent queues the silence signal for a client, once per silence.
func (s *Store) Silent(ctx context.Context, p Partition, clientID string, post []byte, now time.Time) (bool, error) {
	m, err := s.sealAt(ctx, clientID, p.CoachQueue(), "m", post)
	if err != nil {
		return false, err
	}
	n, err := silentCmd.Run(ctx, s.rdb, []string{p.Silence(), p.CoachQueue(), p.Events()}, clientID, m, now.Add(-s.EventRetention).UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("silence signal: %w", err)
	}
	return n == 1, nil
}

func (s *Store) dueMembers(ctx context.Context, key string, now time.Time, max int) ([]string, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: key, ByScore: true, Start: "-inf",
		Stop: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(max)}).Result()
	if err != nil {
		return nil, fmt.Errorf("due members of %s: %w", key, err)
	}
	return ids, nil
}

// SetClientFields sets fields of a client record (level, group).
func (s *Store) SetClientFields(ctx context.Context, id string, fields map[string]string) error {
	sealed := make(map[string]any, len(fields))
	for k, v := range fields {
		sv, err := s.sealField(ctx, id, k, v)
		if err != nil {
			return err
		}
		sealed[k] = sv
	}
	if err := s.rdb.HSet(ctx, PartitionOfClient(id).Client(id), sealed).Err(); err != nil {
		return fmt.Errorf("set fields of %s: %w", id, err)
	}
	return nil
}

// ClientField reads one field of a client record, opened when it is
// sealed.
func (s *Store) ClientField(ctx context.Context, id, field string) (string, error) {
	key := PartitionOfClient(id).Client(id)
	v, err := s.rdb.HGet(ctx, key, field).Result()
	if err == redis.Nil {
		return "", nil
	}
	if err != nil || !contentFields[field] || v == "" {
		return v, err
	}
	b, err := s.openAt(ctx, id, key, field, v)
	return string(b), err
}

// FirstNotice reports whether this is the first notice of its kind about
// a client within ttl, so coaches are told once, not for every message.
func (s *Store) FirstNotice(ctx context.Context, clientID, kind string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, PartitionOfClient(clientID).key("notice:"+kind+":"+clientID), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("notice for %s: %w", clientID, err)
	}
	return ok, nil
}

// Claim reports whether this caller is the first to take id within ttl:
// work that every replica sees (a staff command in Mattermost) is done by
// the one that claims it.
func (s *Store) Claim(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, PartitionOfChannel(id).SeenID("claim:"+id), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", id, err)
	}
	return ok, nil
}

// contentFields are client record fields that hold client content or
// say something about the client's care (dialog state with file names,
// the mood history, the intensity level and group): they pass the codec.
// name and coach are sealed by CreateClient and SetCoach.
var contentFields = map[string]bool{"state": true, "moods": true, "level": true, "group": true}

func (s *Store) sealField(ctx context.Context, id, k, v string) (string, error) {
	if !contentFields[k] || v == "" {
		return v, nil
	}
	return s.sealAt(ctx, id, PartitionOfClient(id).Client(id), k, []byte(v))
}
