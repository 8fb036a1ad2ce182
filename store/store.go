package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Codec is the one step all client content passes on its way into Redis.
// serve uses the Sealer (encryption at rest, sealer.go), which also binds
// content to where it is stored (BoundCodec); tests may use simpler ones.
// The store passes everything through SealAt and OpenAt.
type Codec interface {
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// Plain stores content as it is.
type Plain struct{}

// Seal returns p unchanged.
func (Plain) Seal(p []byte) ([]byte, error) { return p, nil }

// Open returns s unchanged.
func (Plain) Open(s []byte) ([]byte, error) { return s, nil }

// Store is the Redis-backed state of Waakvlam.
type Store struct {
	rdb   redis.UniversalClient
	codec Codec
	// EventRetention is how long domain events are kept.
	EventRetention time.Duration
	// VerdictRetention is how long a coach's verdict with the client's
	// words is kept; 0 means DefaultVerdictRetention (90 days).
	VerdictRetention time.Duration
	// AlertRetention is how long an alert is kept after it was raised or
	// picked up; 0 means the package's AlertRetention (90 days).
	AlertRetention time.Duration
	// AuditRetention is how long the programme audit log is kept; 0 means
	// DefaultRetention().Audit. (The partitions' audit logs are trimmed by
	// Sweep.)
	AuditRetention time.Duration
	secret         []byte
	// Unreadable, when set, hears of each stream entry that was taken out
	// of the way because its sealed content did not open (ids only).
	Unreadable func(stream, id string, err error)
	// Healed, when set, hears of each time a loop found a stream's
	// consumer group missing (Redis lost its data) and made it again.
	Healed func(what string)
}

// SetSecret sets the key that hashes identifiers kept about strangers. All
// replicas must use the same one; it is never stored in Redis.
func (s *Store) SetSecret(k []byte) { s.secret = k }

// New returns a store on rdb; a nil codec stores content as it is.
func New(rdb redis.UniversalClient, codec Codec) *Store {
	if codec == nil {
		codec = Plain{}
	}
	return &Store{rdb: rdb, codec: codec, EventRetention: 400 * 24 * time.Hour}
}

// Codec returns the content codec, for the packages that write client
// content themselves (the scheduler).
func (s *Store) Codec() Codec { return s.codec }

// Redis returns the underlying client, for readiness checks.
func (s *Store) Redis() redis.UniversalClient { return s.rdb }

// Consumer group names.
const (
	groupWork  = "work"
	groupSend  = "send"
	groupCoach = "coach"
	// The lease makes one replica the only reader of a partition, so all
	// replicas use one consumer name: the next lease holder finds the
	// pending entries of a dead one under the same name.
	consumer = "owner"
)

// ErrLeaseLost means another replica took the partition over.
var ErrLeaseLost = errors.New("partition lease lost")

// SealAt passes content on its way into Redis through the codec, bound to
// where it will be stored (when the codec binds: see BoundCodec).
func (s *Store) SealAt(ctx context.Context, at Where, plain []byte) ([]byte, error) {
	if bc, ok := s.codec.(BoundCodec); ok {
		out, err := bc.SealAt(ctx, at, plain)
		if err != nil {
			return nil, fmt.Errorf("seal content: %w", err)
		}
		return out, nil
	}
	out, err := s.codec.Seal(plain)
	if err != nil {
		return nil, fmt.Errorf("seal content: %w", err)
	}
	return out, nil
}

// OpenAt opens content read from at. Content that does not open (changed,
// moved, its client wiped) is an error, never garbage.
func (s *Store) OpenAt(ctx context.Context, at Where, sealed []byte) ([]byte, error) {
	if bc, ok := s.codec.(BoundCodec); ok {
		out, err := bc.OpenAt(ctx, at, sealed)
		if err != nil {
			return nil, fmt.Errorf("open content of %s %s: %w", at.Key, at.Field, err)
		}
		return out, nil
	}
	out, err := s.codec.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("open content: %w", err)
	}
	return out, nil
}

func (s *Store) sealAt(ctx context.Context, owner, key, field string, b []byte) (string, error) {
	out, err := s.SealAt(ctx, Where{Owner: owner, Key: key, Field: field}, b)
	return string(out), err
}

func (s *Store) openAt(ctx context.Context, owner, key, field, v string) ([]byte, error) {
	return s.OpenAt(ctx, Where{Owner: owner, Key: key, Field: field}, []byte(v))
}

// Sealer returns the sealing codec, nil when content is stored as it is.
func (s *Store) Sealer() *Sealer {
	sl, _ := s.codec.(*Sealer)
	return sl
}

// ensureGroup creates a consumer group reading the stream from its start.
func (s *Store) ensureGroup(ctx context.Context, stream, group string) error {
	err := s.rdb.XGroupCreateMkStream(ctx, stream, group, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create group %s on %s: %w", group, stream, err)
	}
	return nil
}

// healGroups makes a partition's consumer groups again when err says a
// group or its stream is gone (NOGROUP after a FLUSHALL, a restart
// without persistence or a failover to an empty replica; UNBLOCKED when
// the key vanished under a blocked read). It reports whether it healed;
// the caller reads again.
func (s *Store) healGroups(ctx context.Context, p Partition, what string, err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "NOGROUP") && !strings.HasPrefix(msg, "UNBLOCKED") {
		return false
	}
	if s.EnsureGroups(ctx, p) != nil {
		return false
	}
	if s.Healed != nil {
		s.Healed(what)
	}
	return true
}

// EnsureGroups creates the consumer groups of a partition's streams.
func (s *Store) EnsureGroups(ctx context.Context, p Partition) error {
	if err := s.ensureGroup(ctx, p.Intake(), groupWork); err != nil {
		return err
	}
	for _, l := range Lanes {
		if err := s.ensureGroup(ctx, p.Outbox(l), groupSend); err != nil {
			return err
		}
	}
	return s.ensureGroup(ctx, p.CoachQueue(), groupCoach)
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}

// runBatch runs several scripts in one round trip. It sends EVALSHA and
// falls back to EVAL for the calls whose script the server does not know
// yet (first use, or after a Redis restart).
func (s *Store) runBatch(ctx context.Context, calls []scriptCall) ([]any, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(calls))
	for i, c := range calls {
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	out := make([]any, len(calls))
	var retry []int
	for i, cmd := range cmds {
		v, err := cmd.Result()
		switch {
		case isNoScript(err):
			retry = append(retry, i)
		case err != nil && err != redis.Nil:
			return nil, err
		default:
			out[i] = v
		}
	}
	for _, i := range retry {
		v, err := calls[i].script.Run(ctx, s.rdb, calls[i].keys, calls[i].args...).Result()
		if err != nil && err != redis.Nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

type scriptCall struct {
	script *redis.Script
	keys   []string
	args   []any
}
