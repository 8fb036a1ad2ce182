package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/seal"
)

// Where says where sealed content lives: whose it is (Owner: the client
// id, "" for system data) and the Redis key and field it is stored under.
// A sealing codec binds the content to it.
type Where = seal.Binding

// BoundCodec is a Codec that binds content to where it is stored. The
// store uses SealAt and OpenAt when its codec has them.
type BoundCodec interface {
	SealAt(ctx context.Context, at Where, plain []byte) ([]byte, error)
	OpenAt(ctx context.Context, at Where, sealed []byte) ([]byte, error)
}

// ErrNoDataKey means content was sealed for a client whose data key is
// gone (the client was wiped) or was never made.
var ErrNoDataKey = errors.New("no data key: the client's data was wiped")

// Sealer is the codec for encryption at rest: AES-256-GCM envelopes
// (package seal) under a data key per client, made at random when the
// client is created and stored wrapped by the current key-encryption key
// (KEK) in wv:{pNN}:dk. Content that belongs to no client (a stranger's
// message on its way through, system data) is sealed under the system data
// key in wv:{sys}:dk. Unwrapped data keys are kept in memory for a few
// minutes. Deleting a client's data key (DeleteClient) leaves whatever
// sealed content of the client is left anywhere unreadable.
type Sealer struct {
	rdb redis.UniversalClient
	// TTL is how long an unwrapped data key stays in memory (default 10 min).
	TTL time.Duration
	// Max is how many unwrapped data keys are kept at most (default 8192).
	Max int

	mu       sync.Mutex
	ring     *seal.Ring
	keys     map[string]cachedKey // by owner, "" for the system key
	reload   func() (*seal.Ring, error)
	reloaded time.Time
}

type cachedKey struct {
	k     *seal.Key
	until time.Time
}

// NewSealer returns a sealing codec whose data keys live in rdb, wrapped by
// the KEKs of ring.
func NewSealer(rdb redis.UniversalClient, ring *seal.Ring) *Sealer {
	return &Sealer{rdb: rdb, ring: ring, keys: map[string]cachedKey{}, TTL: 10 * time.Minute, Max: 8192}
}

// SetReload gives the sealer a way to read the KEKs again (the key file)
// when it meets a data key wrapped under a KEK it does not know: after a
// rotation on another machine this replica picks up the new key file
// without a restart.
func (s *Sealer) SetReload(f func() (*seal.Ring, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reload = f
}

// Ring returns the KEKs in use.
func (s *Sealer) Ring() *seal.Ring {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ring
}

// dataKeyOf returns the hash, field and wrapping scope of an owner's data key.
func dataKeyOf(owner string) (hash, field, scope string) {
	if owner == "" {
		return SystemDataKeys, "sys", "system"
	}
	return PartitionOfClient(owner).DataKeys(), owner, "client:" + owner
}

type keyMode int

const (
	keyExisting keyMode = iota // open: never make one
	keyIfClient                // seal: make one when the client record exists (the system key always)
	keyAlways                  // a new client
)

// getOrMakeCmd returns the wrapped data key, storing the new one when there
// is none yet and (with ARGV[3] "1") the client record exists.
// KEYS: 1 data key hash, 2 client record. ARGV: 1 field, 2 new wrapped key, 3 check.
var getOrMakeCmd = redis.NewScript(`
local cur = redis.call("HGET", KEYS[1], ARGV[1])
if cur then return cur end
if ARGV[3] == "1" and redis.call("EXISTS", KEYS[2]) == 0 then return false end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
return ARGV[2]
`)

func (s *Sealer) cached(owner string, now time.Time) *seal.Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.keys[owner]; ok && now.Before(c.until) {
		return c.k
	}
	return nil
}

func (s *Sealer) remember(owner string, k *seal.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) >= s.Max {
		now := time.Now()
		for o, c := range s.keys {
			if now.After(c.until) || len(s.keys) >= s.Max {
				delete(s.keys, o)
			}
		}
	}
	s.keys[owner] = cachedKey{k: k, until: time.Now().Add(s.TTL)}
}

// Forget drops an owner's data key from memory.
func (s *Sealer) Forget(owner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, owner)
}

// unwrap opens a wrapped key, reading the KEKs again (at most every 5 s)
// when it names one this process does not know.
func (s *Sealer) unwrap(scope string, w []byte) (*seal.Key, error) {
	ring := s.Ring()
	k, err := ring.Unwrap(scope, w)
	if !errors.Is(err, seal.ErrUnknownKEK) {
		return k, err
	}
	s.mu.Lock()
	reload := s.reload
	if reload == nil || time.Since(s.reloaded) < 5*time.Second {
		s.mu.Unlock()
		return nil, err
	}
	s.reloaded = time.Now()
	s.mu.Unlock()
	next, rerr := reload()
	if rerr != nil {
		return nil, fmt.Errorf("%w (reading the keys again: %v)", err, rerr)
	}
	s.mu.Lock()
	s.ring = next
	s.mu.Unlock()
	return next.Unwrap(scope, w)
}

func (s *Sealer) key(ctx context.Context, owner string, mode keyMode) (*seal.Key, error) {
	if k := s.cached(owner, time.Now()); k != nil {
		return k, nil
	}
	hash, field, scope := dataKeyOf(owner)
	w, err := s.rdb.HGet(ctx, hash, field).Bytes()
	switch {
	case err == redis.Nil && mode == keyExisting:
		return nil, ErrNoDataKey
	case err == redis.Nil:
		nk, raw, err := seal.NewKey()
		if err != nil {
			return nil, err
		}
		nw, err := s.Ring().Wrap(scope, nk.ID(), raw)
		if err != nil {
			return nil, err
		}
		check, record := "1", PartitionOfClient(owner).Client(owner)
		if owner == "" || mode == keyAlways {
			check, record = "0", hash
		}
		v, err := getOrMakeCmd.Run(ctx, s.rdb, []string{hash, record}, field, nw, check).Text()
		if err == redis.Nil {
			return nil, ErrNoDataKey
		}
		if err != nil {
			return nil, fmt.Errorf("make data key: %w", err)
		}
		w = []byte(v)
	case err != nil:
		return nil, fmt.Errorf("read data key: %w", err)
	}
	k, err := s.unwrap(scope, w)
	if err != nil {
		return nil, err
	}
	s.remember(owner, k)
	return k, nil
}

// Warm loads the data keys of several owners in one round trip, so that a
// batch for many clients does not wait for one read per client.
func (s *Sealer) Warm(ctx context.Context, owners []string) {
	now := time.Now()
	pipe := s.rdb.Pipeline()
	type want struct {
		owner, scope string
		cmd          *redis.StringCmd
	}
	var ws []want
	seen := map[string]bool{}
	for _, o := range owners {
		if seen[o] || s.cached(o, now) != nil {
			continue
		}
		seen[o] = true
		hash, field, scope := dataKeyOf(o)
		ws = append(ws, want{o, scope, pipe.HGet(ctx, hash, field)})
	}
	if len(ws) == 0 {
		return
	}
	_, _ = pipe.Exec(ctx)
	for _, w := range ws {
		b, err := w.cmd.Bytes()
		if err != nil {
			continue
		}
		if k, err := s.unwrap(w.scope, b); err == nil {
			s.remember(w.owner, k)
		}
	}
}

// SealAt seals plain for at.Owner, bound to at.
func (s *Sealer) SealAt(ctx context.Context, at Where, plain []byte) ([]byte, error) {
	k, err := s.key(ctx, at.Owner, keyIfClient)
	if err != nil {
		return nil, err
	}
	return k.Seal(at, plain)
}

// OpenAt opens content sealed by SealAt with the same at.
func (s *Sealer) OpenAt(ctx context.Context, at Where, sealed []byte) ([]byte, error) {
	if _, err := seal.Parse(sealed); err != nil {
		return nil, err
	}
	k, err := s.key(ctx, at.Owner, keyExisting)
	if err != nil {
		return nil, err
	}
	return k.Open(at, sealed)
}

// Seal seals system content bound to nowhere in particular (for callers
// that do not say where content lives).
func (s *Sealer) Seal(plain []byte) ([]byte, error) {
	return s.SealAt(context.Background(), Where{}, plain)
}

// Open opens what Seal sealed.
func (s *Sealer) Open(sealed []byte) ([]byte, error) {
	return s.OpenAt(context.Background(), Where{}, sealed)
}

// newClientKey makes a client's data key before its record is written.
func (s *Sealer) newClientKey(ctx context.Context, id string) error {
	_, err := s.key(ctx, id, keyAlways)
	return err
}

// Check makes sure the configured KEKs open the data keys in Redis: the
// system data key is made when there is none, and must unwrap otherwise.
// serve runs it at start, so a wrong key stops the process at once.
func (s *Sealer) Check(ctx context.Context) error {
	s.Forget("")
	_, err := s.key(ctx, "", keyIfClient)
	return err
}

// rewrapCmd replaces a wrapped key only when it is still the one read.
// KEYS: 1 hash. ARGV: 1 field, 2 old, 3 new.
var rewrapCmd = redis.NewScript(`
if redis.call("HGET", KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[3])
return 1
`)

// RewrapResult says what Rewrap did.
type RewrapResult struct {
	Current   string         // the KEK everything should be wrapped under
	Rewrapped int            // data keys wrapped again under Current
	Unchanged int            // already under Current
	Failed    map[string]int // by the KEK id named: data keys that could not be unwrapped
	InUse     map[string]int // afterwards: data keys per KEK id named
}

func dataKeyHashes() []string {
	hs := []string{SystemDataKeys}
	for p := Partition(0); p < Partitions; p++ {
		hs = append(hs, p.DataKeys())
	}
	return hs
}

func scopeOf(hash, field string) string {
	if hash == SystemDataKeys {
		return "system"
	}
	return "client:" + field
}

// Rewrap wraps every data key again under the current KEK. Data keys stay
// the same, so no sealed content changes. Afterwards InUse says which KEK
// ids the stored data keys name: only Current when nothing failed, and
// then the other KEKs can be removed from the configuration.
func (s *Sealer) Rewrap(ctx context.Context) (RewrapResult, error) {
	ring := s.Ring()
	res := RewrapResult{Current: ring.Current(), Failed: map[string]int{}}
	for _, h := range dataKeyHashes() {
		all, err := s.rdb.HGetAll(ctx, h).Result()
		if err != nil {
			return res, fmt.Errorf("read data keys %s: %w", h, err)
		}
		for field, w := range all {
			kek, err := seal.WrappedKEK([]byte(w))
			switch {
			case err != nil:
				res.Failed["?"]++
				continue
			case kek == res.Current:
				res.Unchanged++
				continue
			}
			nw, err := ring.Rewrap(scopeOf(h, field), []byte(w))
			if err != nil {
				res.Failed[kek]++
				continue
			}
			n, err := rewrapCmd.Run(ctx, s.rdb, []string{h}, field, w, nw).Int()
			if err != nil {
				return res, fmt.Errorf("store rewrapped data key: %w", err)
			}
			res.Rewrapped += n // 0: deleted or changed meanwhile
		}
	}
	var err error
	res.InUse, err = s.KEKsInUse(ctx)
	return res, err
}

// KEKsInUse counts the stored data keys by the KEK id they are wrapped under.
func (s *Sealer) KEKsInUse(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, h := range dataKeyHashes() {
		vals, err := s.rdb.HVals(ctx, h).Result()
		if err != nil {
			return nil, fmt.Errorf("read data keys %s: %w", h, err)
		}
		for _, w := range vals {
			kek, err := seal.WrappedKEK([]byte(w))
			if err != nil {
				kek = "?"
			}
			out[kek]++
		}
	}
	return out, nil
}

// unopened takes a stream entry whose sealed content does not open out of
// the way, so that one bad entry cannot hold up a partition: an entry of a
// wiped client (its data key is gone) is deleted; a changed or moved one is
// set aside, still sealed, in the partition's dead-letter stream. Other
// errors (Redis away, a KEK this replica does not know yet) are returned:
// the entry stays and is tried again.
func (s *Store) unopened(ctx context.Context, p Partition, stream, group string, m redis.XMessage, cause error) error {
	wiped := errors.Is(cause, ErrNoDataKey)
	if !wiped && !errors.Is(cause, seal.ErrOpen) && !errors.Is(cause, seal.ErrMalformed) {
		return cause
	}
	pipe := s.rdb.TxPipeline()
	pipe.XAck(ctx, stream, group, m.ID)
	pipe.XDel(ctx, stream, m.ID)
	if !wiped {
		vals := []any{"id", m.ID, "from", stream, "why", "sealed content does not open"}
		for k, v := range m.Values {
			vals = append(vals, "x"+k, v)
		}
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: p.Dead(), MaxLen: deadMax, Approx: true, Values: vals})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("set unreadable entry %s aside: %w (it did not open: %v)", m.ID, err, cause)
	}
	if s.Unreadable != nil {
		s.Unreadable(stream, m.ID, cause)
	}
	return nil
}

// SchedulerCodec hands the store's codec to the scheduler (it fits
// scheduler.Codec and scheduler.BoundCodec): one codec for all client
// content, bound to where it lives.
type SchedulerCodec struct{ Store *Store }

// Encode seals b unbound (the scheduler uses EncodeAt).
func (c SchedulerCodec) Encode(b []byte) ([]byte, error) { return c.Store.codec.Seal(b) }

// Decode opens what Encode sealed.
func (c SchedulerCodec) Decode(b []byte) ([]byte, error) { return c.Store.codec.Open(b) }

// EncodeAt seals b for at.
func (c SchedulerCodec) EncodeAt(ctx context.Context, at Where, b []byte) ([]byte, error) {
	return c.Store.SealAt(ctx, at, b)
}

// DecodeAt opens b read from at.
func (c SchedulerCodec) DecodeAt(ctx context.Context, at Where, b []byte) ([]byte, error) {
	return c.Store.OpenAt(ctx, at, b)
}
