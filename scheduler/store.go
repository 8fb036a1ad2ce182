package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/store"
)

// Kind says what an occurrence is for; the dialogs choose the words.
type Kind string

// Kinds of schedules.
const (
	KindReminder    Kind = "reminder"    // a reminder set by the coach ("pillen 💊")
	KindCheckin     Kind = "checkin"     // a check-in question ("hoe gaat het?")
	KindAppointment Kind = "appointment" // a one-off appointment; reminders before it
	KindSilence     Kind = "silence"     // a silence check
	KindDeadline    Kind = "deadline"    // an escalation deadline
)

// DefaultAppointmentBefore are the reminders of an appointment when the
// schedule names none: the day before and one hour before.
var DefaultAppointmentBefore = []time.Duration{24 * time.Hour, time.Hour}

// Schedule is one schedule of one client.
type Schedule struct {
	ID       string // empty on Add: a random id is made
	ClientID string
	Kind     Kind
	Spec     string // Dutch phrasing, cron or canonical form; stored canonical
	Text     string // client content: stored through the codec
	Emoji    string // client content: stored through the codec
	// Before lists how long before each time of the spec an occurrence is
	// due, for reminders ahead of an appointment. Empty means at the time
	// itself (for KindAppointment: DefaultAppointmentBefore). A multiple of
	// 24h counts calendar days on the wall clock (same clock time).
	Before []time.Duration

	Paused bool      // read only: use Pause and Resume
	Next   time.Time // read only: when the next occurrence is due (after quiet hours); zero when paused or none
}

// Occurrence is the body of an intake entry of type store.EntryDue (JSON,
// then the codec).
type Occurrence struct {
	ID         string        `json:"id"`       // unique per occurrence: dedupe key for handlers
	ScheduleID string        `json:"schedule"` // the schedule
	ClientID   string        `json:"client"`
	Kind       Kind          `json:"kind"`
	Due        time.Time     `json:"due"`              // when it was due to be sent (quiet hours applied)
	Nominal    time.Time     `json:"nominal"`          // the time from the schedule, before quiet hours
	Event      time.Time     `json:"event"`            // the time of the spec (the appointment); Nominal = Event - Before
	Before     time.Duration `json:"before,omitempty"` // lead time ahead of Event
	Late       bool          `json:"late"`             // sent more than Options.LateAfter after Due
	Text       string        `json:"text,omitempty"`
	Emoji      string        `json:"emoji,omitempty"`
}

// Codec encodes client content on its way into Redis and decodes it on the
// way out (for encryption at rest later). The schedule text and emoji and
// the occurrence bodies pass it.
type Codec interface {
	Encode([]byte) ([]byte, error)
	Decode([]byte) ([]byte, error)
}

// BoundCodec is a Codec that binds content to where it is stored: whose
// it is and the Redis key and field (see store.Where). The store uses
// EncodeAt and DecodeAt when its codec has them.
type BoundCodec interface {
	EncodeAt(ctx context.Context, at store.Where, b []byte) ([]byte, error)
	DecodeAt(ctx context.Context, at store.Where, b []byte) ([]byte, error)
}

func (s *Store) encode(ctx context.Context, at store.Where, b []byte) ([]byte, error) {
	if bc, ok := s.codec.(BoundCodec); ok {
		return bc.EncodeAt(ctx, at, b)
	}
	return s.codec.Encode(b)
}

func (s *Store) decodeBytes(ctx context.Context, at store.Where, b []byte) ([]byte, error) {
	if bc, ok := s.codec.(BoundCodec); ok {
		return bc.DecodeAt(ctx, at, b)
	}
	return s.codec.Decode(b)
}

// IdentityCodec leaves content as it is.
type IdentityCodec struct{}

// Encode returns b.
func (IdentityCodec) Encode(b []byte) ([]byte, error) { return b, nil }

// Decode returns b.
func (IdentityCodec) Decode(b []byte) ([]byte, error) { return b, nil }

// Clock tells the time; tests inject a simulated one.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Options configure a Store. Zero values take the defaults.
type Options struct {
	Location  *time.Location // default Europe/Amsterdam
	Quiet     *QuietHours    // nil: DefaultQuietHours; &QuietHours{} for none
	Grace     time.Duration  // overdue longer than this: skipped; default 1h
	LateAfter time.Duration  // overdue longer than this: marked late; default 1m
	Codec     Codec          // default IdentityCodec
	Clock     Clock          // default SystemClock
	Logger    *slog.Logger   // default slog.Default()
}

// Store keeps schedules and their due occurrences in Redis and claims due
// occurrences into the intake streams.
type Store struct {
	rdb   redis.UniversalClient
	loc   *time.Location
	quiet QuietHours
	grace time.Duration
	late  time.Duration
	codec Codec
	clock Clock
	log   *slog.Logger

	mu    sync.Mutex
	specs map[string]Spec // parsed stored recurring specs; few distinct ones

	// SetAside is called once a due schedule could not be read PoisonTries
	// times in a row on this replica (a poison schedule); when it returns
	// nil the schedule leaves the due set (poison.go). It should record,
	// count and tell, once across replicas (store.SetAside). nil: poison
	// schedules are only logged and tried again on every tick.
	SetAside func(ctx context.Context, p store.Partition, scheduleID, clientID string, tries int, reason string) error
	// PoisonTries is how often a due schedule may fail to read before it
	// is set aside; 0 means 3.
	PoisonTries int
	poison      map[string]int // partition/schedule id -> failed reads
}

// parseStored parses a canonical spec read from Redis, with a small cache:
// most schedules share a handful of recurring specs.
func (s *Store) parseStored(text string) (Spec, error) {
	s.mu.Lock()
	spec, ok := s.specs[text]
	s.mu.Unlock()
	if ok {
		return spec, nil
	}
	spec, err := Parse(text, s.clock.Now(), s.loc)
	if err != nil || spec.IsOnce() {
		return spec, err
	}
	s.mu.Lock()
	if s.specs == nil || len(s.specs) >= 4096 {
		s.specs = map[string]Spec{}
	}
	s.specs[text] = spec
	s.mu.Unlock()
	return spec, nil
}

// Errors.
var (
	ErrNotFound     = errors.New("scheduler: schedule not found")
	ErrNoNextTime   = errors.New("scheduler: schedule has no next time")
	ErrInvalidID    = errors.New("scheduler: invalid id")
	ErrOtherClient  = errors.New("scheduler: schedule id belongs to another client")
	errConflict     = errors.New("scheduler: concurrent change")
	validScheduleID = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// NewStore returns a store on rdb.
func NewStore(rdb redis.UniversalClient, opt Options) (*Store, error) {
	s := &Store{rdb: rdb, loc: opt.Location, grace: opt.Grace, late: opt.LateAfter, codec: opt.Codec, clock: opt.Clock, log: opt.Logger}
	if s.loc == nil {
		loc, err := time.LoadLocation("Europe/Amsterdam")
		if err != nil {
			return nil, fmt.Errorf("scheduler: load time zone: %w", err)
		}
		s.loc = loc
	}
	s.quiet = DefaultQuietHours
	if opt.Quiet != nil {
		s.quiet = *opt.Quiet
	}
	if s.grace <= 0 {
		s.grace = time.Hour
	}
	if s.late <= 0 {
		s.late = time.Minute
	}
	if s.codec == nil {
		s.codec = IdentityCodec{}
	}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// Quiet returns the quiet hours in force.
func (s *Store) Quiet() QuietHours {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quiet
}

// SetQuiet changes the quiet hours, for example when a project leader
// changes them. Occurrences already planned keep their time; the next ones
// follow the new hours.
func (s *Store) SetQuiet(q QuietHours) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quiet = q
}

// Location returns the time zone schedules are evaluated in.
func (s *Store) Location() *time.Location { return s.loc }

// ClientSchedules is the set of schedule ids of one client.
func ClientSchedules(p store.Partition, clientID string) string {
	return p.ClientSchedules(clientID)
}

func checkClientID(id string) error {
	if id == "" || len(id) > 128 || strings.IndexFunc(id, func(r rune) bool {
		return r == '{' || r == '}' || unicode.IsSpace(r) || !unicode.IsPrint(r)
	}) >= 0 {
		return fmt.Errorf("%w: client id", ErrInvalidID)
	}
	return nil
}

type keys struct {
	p                  store.Partition
	due, sched, clsets string
}

func keysFor(clientID, id string) keys {
	p := store.PartitionOfClient(clientID)
	return keys{p: p, due: p.Due(), sched: p.Schedule(id), clsets: ClientSchedules(p, clientID)}
}

// Hash fields of a schedule.
const (
	fClient  = "k"    // client id
	fKind    = "kind" // Kind
	fSpec    = "s"    // canonical spec
	fBefore  = "b"    // lead times in seconds, comma separated
	fContent = "c"    // codec(JSON content)
	fPaused  = "p"    // "1" when paused
	fEvent   = "n"    // pending occurrence: event time, unix ms
	fIndex   = "i"    // pending occurrence: index into the lead times
	fDue     = "d"    // pending occurrence: due time (the score), unix ms
	fVersion = "v"    // bumped by every change, for compare-and-set
)

type content struct {
	Text  string `json:"t,omitempty"`
	Emoji string `json:"e,omitempty"`
}

var upsertScript = redis.NewScript(`
local k = redis.call('HGET', KEYS[2], 'k')
if k and k ~= ARGV[2] then return redis.error_reply('OTHERCLIENT') end
redis.call('HINCRBY', KEYS[2], 'v', 1)
redis.call('HSET', KEYS[2], 'k', ARGV[2], 'kind', ARGV[3], 's', ARGV[4], 'b', ARGV[5], 'c', ARGV[6], 'p', '0', 'n', ARGV[7], 'i', ARGV[8], 'd', ARGV[9])
redis.call('ZADD', KEYS[1], ARGV[9], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 1`)

// removeScript, pauseScript and resumeScript act only on a schedule of
// the client in ARGV (removeScript, pauseScript: ARGV[2]; resumeScript:
// ARGV[6]): a schedule id of another client in the same partition counts
// as not found.
var removeScript = redis.NewScript(`
if redis.call('HGET', KEYS[2], 'k') ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
return redis.call('DEL', KEYS[2])`)

var pauseScript = redis.NewScript(`
if redis.call('HGET', KEYS[2], 'k') ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'p', '1', 'd', '')
redis.call('HINCRBY', KEYS[2], 'v', 1)
return 1`)

// resumeScript: compare-and-set on the version; ARGV[5] empty: no next
// time, the schedule is removed.
var resumeScript = redis.NewScript(`
if redis.call('HGET', KEYS[2], 'k') ~= ARGV[6] then return 3 end
if redis.call('HGET', KEYS[2], 'v') ~= ARGV[2] then return 0 end
if ARGV[5] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('DEL', KEYS[2])
  return 2
end
redis.call('HSET', KEYS[2], 'p', '0', 'n', ARGV[3], 'i', ARGV[4], 'd', ARGV[5])
redis.call('HINCRBY', KEYS[2], 'v', 1)
redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
return 1`)

// claimScript moves one due occurrence: compare-and-set on the score read
// and on the schedule's version, then in one step the intake entry (when
// ARGV[8] is "1") and the next occurrence (or the end of the schedule).
//
// KEYS: 1 due zset, 2 schedule hash, 3 intake stream, 4 client's schedule set.
// ARGV: 1 id, 2 score read, 3 version read ("" when the hash was missing),
// 4 "next" or "done", 5 next score, 6 next event ms, 7 next index,
// 8 emit, 9..14 stream field/value pairs.
var claimScript = redis.NewScript(`
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s or tonumber(s) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then
  if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('ZREM', KEYS[1], ARGV[1]) end
  return 0
end
if redis.call('HGET', KEYS[2], 'v') ~= ARGV[3] then return 0 end
if ARGV[8] == '1' then
  redis.call('XADD', KEYS[3], '*', ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14])
end
if ARGV[4] == 'done' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[4], ARGV[1])
  redis.call('DEL', KEYS[2])
else
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
  redis.call('HSET', KEYS[2], 'n', ARGV[6], 'i', ARGV[7], 'd', ARGV[5])
  redis.call('HINCRBY', KEYS[2], 'v', 1)
end
return 1`)

// Scripts lists every Lua script with the keys it is called with for one
// client, so a test can check that they share one hash slot.
func scriptKeys(clientID, id string) [][]string {
	k := keysFor(clientID, id)
	return [][]string{
		{k.due, k.sched, k.clsets},               // upsert, remove, pause, resume
		{k.due, k.sched, k.p.Intake(), k.clsets}, // claim
	}
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Add stores a schedule (or replaces the one with the same id) and plans
// its first occurrence after now. It returns the schedule as stored: id,
// canonical spec and next due time filled in. Spec errors are
// *ParseError, with Dutch words for the coach.
func (s *Store) Add(ctx context.Context, sc Schedule) (Schedule, error) {
	if err := checkClientID(sc.ClientID); err != nil {
		return Schedule{}, err
	}
	if sc.ID == "" {
		sc.ID = newID()
	}
	if !validScheduleID.MatchString(sc.ID) {
		return Schedule{}, fmt.Errorf("%w: schedule id", ErrInvalidID)
	}
	if sc.Kind == "" {
		sc.Kind = KindReminder
	}
	if len(sc.Before) == 0 && sc.Kind == KindAppointment {
		sc.Before = append([]time.Duration(nil), DefaultAppointmentBefore...)
	}
	for _, b := range sc.Before {
		if b < 0 || b > 366*24*time.Hour {
			return Schedule{}, fmt.Errorf("scheduler: lead time %v out of range", b)
		}
	}
	now := s.clock.Now()
	spec, err := Parse(sc.Spec, now, s.loc)
	if err != nil {
		return Schedule{}, err
	}
	sc.Spec = spec.String()
	pl := s.plan(spec, sc.Before)
	o, ok := pl.first(now)
	if !ok {
		return Schedule{}, ErrNoNextTime
	}
	c, err := s.encodeContent(ctx, contentAt(sc.ClientID, sc.ID), content{Text: sc.Text, Emoji: sc.Emoji})
	if err != nil {
		return Schedule{}, err
	}
	k := keysFor(sc.ClientID, sc.ID)
	err = upsertScript.Run(ctx, s.rdb, []string{k.due, k.sched, k.clsets},
		sc.ID, sc.ClientID, string(sc.Kind), sc.Spec, formatBefore(sc.Before), c,
		ms(o.event), o.idx, ms(o.due)).Err()
	if err != nil {
		if strings.Contains(err.Error(), "OTHERCLIENT") {
			return Schedule{}, ErrOtherClient
		}
		return Schedule{}, fmt.Errorf("scheduler: add: %w", err)
	}
	sc.Paused = false
	sc.Next = o.due
	return sc, nil
}

// Remove deletes a schedule of the client and its pending occurrence. A
// schedule of another client is ErrNotFound and stays as it is.
func (s *Store) Remove(ctx context.Context, clientID, id string) error {
	if err := checkClientID(clientID); err != nil {
		return err
	}
	k := keysFor(clientID, id)
	n, err := removeScript.Run(ctx, s.rdb, []string{k.due, k.sched, k.clsets}, id, clientID).Int()
	if err != nil {
		return fmt.Errorf("scheduler: remove: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Pause stops a schedule of the client: its pending occurrence is
// dropped. A schedule of another client is ErrNotFound.
func (s *Store) Pause(ctx context.Context, clientID, id string) error {
	if err := checkClientID(clientID); err != nil {
		return err
	}
	k := keysFor(clientID, id)
	n, err := pauseScript.Run(ctx, s.rdb, []string{k.due, k.sched}, id, clientID).Int()
	if err != nil {
		return fmt.Errorf("scheduler: pause: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Resume restarts a paused schedule of the client (another client's is
// ErrNotFound) from now: times missed while paused
// are not sent. A one-off schedule whose time has passed is removed and
// ErrNoNextTime returned.
func (s *Store) Resume(ctx context.Context, clientID, id string) (Schedule, error) {
	if err := checkClientID(clientID); err != nil {
		return Schedule{}, err
	}
	k := keysFor(clientID, id)
	for attempt := 0; attempt < 10; attempt++ {
		h, err := s.rdb.HGetAll(ctx, k.sched).Result()
		if err != nil {
			return Schedule{}, fmt.Errorf("scheduler: resume: %w", err)
		}
		if len(h) == 0 || h[fClient] != clientID {
			return Schedule{}, ErrNotFound
		}
		sc, st, err := s.decode(ctx, id, h)
		if err != nil {
			return Schedule{}, err
		}
		now := s.clock.Now()
		o, ok := st.plan.first(now)
		args := []any{id, h[fVersion], "", "", "", clientID}
		if ok {
			args = []any{id, h[fVersion], ms(o.event), o.idx, ms(o.due), clientID}
		}
		n, err := resumeScript.Run(ctx, s.rdb, []string{k.due, k.sched, k.clsets}, args...).Int()
		if err != nil {
			return Schedule{}, fmt.Errorf("scheduler: resume: %w", err)
		}
		switch n {
		case 1:
			sc.Paused, sc.Next = false, o.due
			return sc, nil
		case 2:
			return Schedule{}, ErrNoNextTime
		case 3:
			return Schedule{}, ErrNotFound
		}
	}
	return Schedule{}, errConflict
}

// Get returns one schedule.
func (s *Store) Get(ctx context.Context, clientID, id string) (Schedule, error) {
	if err := checkClientID(clientID); err != nil {
		return Schedule{}, err
	}
	h, err := s.rdb.HGetAll(ctx, keysFor(clientID, id).sched).Result()
	if err != nil {
		return Schedule{}, fmt.Errorf("scheduler: get: %w", err)
	}
	if len(h) == 0 || h[fClient] != clientID {
		return Schedule{}, ErrNotFound
	}
	sc, _, err := s.decode(ctx, id, h)
	return sc, err
}

// List returns the schedules of a client, the next due first (paused
// ones last).
func (s *Store) List(ctx context.Context, clientID string) ([]Schedule, error) {
	if err := checkClientID(clientID); err != nil {
		return nil, err
	}
	p := store.PartitionOfClient(clientID)
	ids, err := s.rdb.SMembers(ctx, ClientSchedules(p, clientID)).Result()
	if err != nil {
		return nil, fmt.Errorf("scheduler: list: %w", err)
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, p.Schedule(id))
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("scheduler: list: %w", err)
		}
	}
	out := make([]Schedule, 0, len(ids))
	for i, id := range ids {
		h := cmds[i].Val()
		if len(h) == 0 || h[fClient] != clientID {
			continue
		}
		sc, _, err := s.decode(ctx, id, h)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Next.IsZero() != b.Next.IsZero() {
			return !a.Next.IsZero()
		}
		if !a.Next.Equal(b.Next) {
			return a.Next.Before(b.Next)
		}
		return a.ID < b.ID
	})
	return out, nil
}

// state is the decoded pending occurrence of a schedule.
type state struct {
	plan    plan
	pending occurrence
}

// contentAt is where a schedule's text and emoji are stored.
func contentAt(clientID, id string) store.Where {
	return store.Where{Owner: clientID, Key: keysFor(clientID, id).sched, Field: fContent}
}

func (s *Store) decode(ctx context.Context, id string, h map[string]string) (Schedule, state, error) {
	sc := Schedule{ID: id, ClientID: h[fClient], Kind: Kind(h[fKind]), Spec: h[fSpec], Paused: h[fPaused] == "1"}
	before, err := parseBefore(h[fBefore])
	if err != nil {
		return Schedule{}, state{}, fmt.Errorf("scheduler: schedule %s: %w", id, err)
	}
	sc.Before = before
	if raw := h[fContent]; raw != "" {
		b, err := s.decodeBytes(ctx, contentAt(sc.ClientID, id), []byte(raw))
		if err != nil {
			return Schedule{}, state{}, fmt.Errorf("scheduler: schedule %s: decode content: %w", id, err)
		}
		var c content
		if err := json.Unmarshal(b, &c); err != nil {
			return Schedule{}, state{}, fmt.Errorf("scheduler: schedule %s: content: %w", id, err)
		}
		sc.Text, sc.Emoji = c.Text, c.Emoji
	}
	spec, err := s.parseStored(sc.Spec)
	if err != nil {
		return Schedule{}, state{}, fmt.Errorf("scheduler: schedule %s: stored spec: %w", id, err)
	}
	st := state{plan: s.plan(spec, before)}
	if !sc.Paused && h[fDue] != "" {
		ev, err1 := strconv.ParseInt(h[fEvent], 10, 64)
		idx, err2 := strconv.Atoi(h[fIndex])
		due, err3 := strconv.ParseInt(h[fDue], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil || idx < 0 || idx >= len(st.plan.leads) {
			return Schedule{}, state{}, fmt.Errorf("scheduler: schedule %s: bad pending occurrence", id)
		}
		st.pending = st.plan.at(time.UnixMilli(ev).In(s.loc), idx)
		st.pending.due = time.UnixMilli(due).In(s.loc)
		sc.Next = st.pending.due
	}
	return sc, st, nil
}

func (s *Store) encodeContent(ctx context.Context, at store.Where, c content) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	e, err := s.encode(ctx, at, b)
	if err != nil {
		return "", fmt.Errorf("scheduler: encode content: %w", err)
	}
	return string(e), nil
}

func formatBefore(b []time.Duration) string {
	s := make([]string, len(b))
	for i, d := range b {
		s[i] = strconv.FormatInt(int64(d/time.Second), 10)
	}
	return strings.Join(s, ",")
}

func parseBefore(s string) ([]time.Duration, error) {
	if s == "" {
		return nil, nil
	}
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("lead times %q", s)
		}
		out = append(out, time.Duration(n)*time.Second)
	}
	return out, nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }
