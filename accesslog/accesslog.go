// Package accesslog keeps the access log of NEN 7513: one entry for every
// read or change of a client's data, by a person or by the system. An entry
// says when, about which client (a pseudonym), who (a staff username,
// "operator:<login>" or "system:<component>"), on whose behalf, what
// (action and kind of access), with what outcome and from where (source).
// It never holds message text, names or phone numbers.
//
// Entries form HMAC hash chains, one per partition (wv:{pNN}:access) and
// one for entries about no single client (wv:{sys}:access). An entry's MAC
// covers the entry, its sequence number, its chain and the MAC of the entry
// before it, under a key derived from the server secret (the bot token),
// which never reaches Redis. A Lua script appends an entry only when the
// chain's head (wv:{…}:access:head, "seq:mac") is still the one the MAC was
// computed over, so the chain stays linear however many replicas write.
// Verify walks the chains and names each entry that was deleted, changed,
// inserted or moved, by position.
package accesslog

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/store"
)

// Op is the kind of access.
type Op string

// Kinds of access.
const (
	Read   Op = "read"
	Create Op = "create"
	Change Op = "change"
	Delete Op = "delete"
	// Disclose: the data is given to someone else (posted for the
	// coaches in Mattermost, exported).
	Disclose Op = "disclose"
)

// Outcome says whether the access happened.
type Outcome string

// Outcomes.
const (
	OK     Outcome = "ok"
	Denied Outcome = "denied" // the person may not see or change this client
	Failed Outcome = "failed" // tried, did not succeed (Redis, Mattermost)
)

// Source is where an access came from.
type Source string

// Sources.
const (
	SourceDM       Source = "mattermost-dm"      // a staff command in a direct message with the bot
	SourceChannel  Source = "mattermost-channel" // a post or reaction in a client's channel
	SourceSlash    Source = "slash-command"      // /waakvlam
	SourceButton   Source = "button"             // "Ik pak het op"
	SourceCLI      Source = "cli"                // a waakvlam command on a server
	SourcePipeline Source = "pipeline"           // the bot handling a message, reminder or signal
	SourceSweeper  Source = "sweeper"            // retention
)

// Who is the person or component behind the accesses in a context.
type Who struct {
	Actor    string // staff username, "operator:<login>" or "system:<component>"
	OnBehalf string // whose request it serves ("" is the actor's own)
	Source   Source
}

type whoKey struct{}

// With returns ctx carrying who acts, so that call sites deeper down name
// only what they do.
func With(ctx context.Context, w Who) context.Context { return context.WithValue(ctx, whoKey{}, w) }

// From returns who acts in ctx (zero when nobody was set).
func From(ctx context.Context) Who {
	w, _ := ctx.Value(whoKey{}).(Who)
	return w
}

// Entry is one access.
type Entry struct {
	Time     time.Time // zero: now
	Client   string    // client id, stored only as its pseudonym; "" for no single client
	Actor    string
	OnBehalf string
	Action   string // what was done, e.g. "client.status", "reminder.add"
	Op       Op
	Outcome  Outcome
	Source   Source
}

// For fills actor, on-behalf and source from ctx (With).
func For(ctx context.Context, clientID, action string, op Op, outcome Outcome) Entry {
	w := From(ctx)
	return Entry{Client: clientID, Actor: w.Actor, OnBehalf: w.OnBehalf, Source: w.Source, Action: action, Op: op, Outcome: outcome}
}

// record is an entry as stored: its JSON (in this field order) is what the
// MAC covers.
type record struct {
	Seq      int64   `json:"n"`
	Chain    string  `json:"ch"`
	Prev     string  `json:"p"`
	Key      string  `json:"k"`
	Time     int64   `json:"t"` // unix milliseconds
	Subject  string  `json:"s,omitempty"`
	Actor    string  `json:"a"`
	OnBehalf string  `json:"b,omitempty"`
	Action   string  `json:"x"`
	Op       Op      `json:"op"`
	Outcome  Outcome `json:"o"`
	Source   Source  `json:"src"`
	// From is set on a trim entry only: the first sequence number kept.
	From int64 `json:"from,omitempty"`
}

// TrimAction is the action of the entry the sweeper writes before it
// removes entries older than the retention.
const TrimAction = "accesslog.trim"

// Chains are the names of all chains: "p00".."p15" and "sys".
func Chains() []string {
	out := make([]string, 0, store.Partitions+1)
	for p := 0; p < store.Partitions; p++ {
		out = append(out, fmt.Sprintf("p%02d", p))
	}
	return append(out, "sys")
}

// chainKeys returns the stream and head key of a chain.
func chainKeys(chain string) (stream, head string, err error) {
	if chain == "sys" {
		return store.SystemAccess, store.SystemAccessHead, nil
	}
	if len(chain) == 3 && chain[0] == 'p' {
		if n, err := strconv.Atoi(chain[1:]); err == nil && n >= 0 && n < store.Partitions {
			p := store.Partition(n)
			return p.Access(), p.AccessHead(), nil
		}
	}
	return "", "", fmt.Errorf("no access log chain %q", chain)
}

func chainOf(clientID string) string {
	if clientID == "" {
		return "sys"
	}
	return fmt.Sprintf("p%02d", int(store.PartitionOfClient(clientID)))
}

// Log writes and checks the access log.
type Log struct {
	rdb    redis.UniversalClient
	mac    []byte            // current MAC key
	keyID  string            // its id, in every entry
	keys   map[string][]byte // key id -> MAC key, for checking (current and older)
	pseud  []byte            // key of pseudonyms
	older  [][]byte          // pseudonym keys of earlier secrets
	log    *slog.Logger
	Now    func() time.Time
	mu     sync.Mutex
	heads  map[string]head // last head this process saw per chain
	chains map[string]*sync.Mutex
}

type head struct {
	seq int64
	mac string
}

func (h head) String() string {
	if h.seq == 0 {
		return ""
	}
	return strconv.FormatInt(h.seq, 10) + ":" + h.mac
}

func parseHead(s string) (head, error) {
	if s == "" {
		return head{}, nil
	}
	n, mac, ok := strings.Cut(s, ":")
	seq, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || seq < 1 {
		return head{}, fmt.Errorf("malformed access log head %q", s)
	}
	return head{seq, mac}, nil
}

// New returns the access log on rdb, keyed with secret (store.ServerSecret
// of the bot token: all replicas and the CLI have it, Redis does not).
// older are the secrets of earlier bot tokens, for checking entries
// written under them. log hears of entries that could not be written.
func New(rdb redis.UniversalClient, secret []byte, log *slog.Logger, older ...[]byte) *Log {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Log{rdb: rdb, keys: map[string][]byte{}, log: log, Now: time.Now, heads: map[string]head{}, chains: map[string]*sync.Mutex{}}
	for i, s := range append([][]byte{secret}, older...) {
		k := derive(s, "access-log-mac")
		id := hex.EncodeToString(derive(k, "key-id"))[:8]
		l.keys[id] = k
		if i == 0 {
			l.mac, l.keyID, l.pseud = k, id, derive(s, "access-log-pseudonym")
		} else {
			l.older = append(l.older, derive(s, "access-log-pseudonym"))
		}
	}
	for _, c := range Chains() {
		l.chains[c] = &sync.Mutex{}
	}
	return l
}

func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// Pseudonym is what the log keeps of a client id: an HMAC under a key
// derived from the server secret. Client ids are linkable to a person
// (channel names wv-<id>, QR file names, log lines, the coach's memory)
// and short enough to try all of them; without the secret the pseudonym
// says nothing, with it (the CLI on a server) a client's entries are found
// for a request of the client (Entries).
func (l *Log) Pseudonym(clientID string) string { return pseudonym(l.pseud, clientID) }

func pseudonym(key []byte, clientID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("client:" + clientID))
	return hex.EncodeToString(m.Sum(nil)[:10])
}

func macOf(key []byte, v string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// appendCmd appends entries to a chain if its head is still the expected
// one. KEYS: 1 stream, 2 head. ARGV: 1 expected head ("" for an empty
// chain), 2 new head, then pairs of entry and MAC. Returns {1, last id} or
// {0, actual head}.
var appendCmd = redis.NewScript(`
local h = redis.call('GET', KEYS[2]) or ''
if h ~= ARGV[1] then return {0, h} end
local id
for i = 3, #ARGV, 2 do
  id = redis.call('XADD', KEYS[1], '*', 'v', ARGV[i], 'm', ARGV[i+1])
end
redis.call('SET', KEYS[2], ARGV[2])
return {1, id}
`)

// maxTries bounds how often an append is tried again after another writer
// moved the head.
const maxTries = 50

// ErrNotWritten means an entry could not be written.
var ErrNotWritten = errors.New("access log entry not written")

// Record writes entries, in order, each to its client's chain. A failure
// is logged here (ids only) and returned; callers go on, so that Redis
// trouble with the log never keeps a crisis reply from a client.
func (l *Log) Record(ctx context.Context, entries ...Entry) error {
	if l == nil || len(entries) == 0 {
		return nil
	}
	now := l.Now()
	byChain := map[string][]record{}
	var order []string
	for _, e := range entries {
		t := e.Time
		if t.IsZero() {
			t = now
		}
		r := record{Time: t.UnixMilli(), Actor: e.Actor, OnBehalf: e.OnBehalf, Action: e.Action, Op: e.Op, Outcome: e.Outcome, Source: e.Source}
		if r.Actor == "" {
			r.Actor = "unknown" // a call site without accesslog.With: still one entry
		}
		if e.Client != "" {
			r.Subject = l.Pseudonym(e.Client)
		}
		c := chainOf(e.Client)
		if _, ok := byChain[c]; !ok {
			order = append(order, c)
		}
		byChain[c] = append(byChain[c], r)
	}
	_, err := l.appendChains(ctx, order, byChain)
	if err != nil {
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		l.log.Error("access log entry not written", "actions", strings.Join(actions, ","), "err", err)
		return fmt.Errorf("%w: %v", ErrNotWritten, err)
	}
	return nil
}

// appendRecords appends records to one chain and returns the stream id
// of the last.
func (l *Log) appendRecords(ctx context.Context, chain string, rs ...record) (string, error) {
	if l.Now != nil {
		for i := range rs {
			if rs[i].Time == 0 {
				rs[i].Time = l.Now().UnixMilli()
			}
		}
	}
	ids, err := l.appendChains(ctx, []string{chain}, map[string][]record{chain: rs})
	return ids[chain], err
}

// appendChains appends to several chains, the first try of all of them in
// one round trip (pipelined; each chain is one hash tag). It returns the
// stream id of the last entry appended to each chain.
func (l *Log) appendChains(ctx context.Context, order []string, byChain map[string][]record) (map[string]string, error) {
	ids := map[string]string{}
	sort.Strings(order) // lock order
	for _, c := range order {
		mu := l.chains[c]
		mu.Lock()
		defer mu.Unlock()
	}
	pending := order
	for try := 0; len(pending) > 0; try++ {
		if try == maxTries {
			return nil, fmt.Errorf("chains %v: the head kept moving", pending)
		}
		if try > 1 {
			// Writers that keep meeting each other step apart.
			time.Sleep(time.Duration(rand.Int64N(int64(try) * int64(time.Millisecond))))
		}
		type call struct {
			chain      string
			next       head
			keys       []string
			args       []any
			cmd        *redis.Cmd
			unknownRun bool
		}
		calls := make([]*call, 0, len(pending))
		for _, c := range pending {
			h, known := l.head(c)
			if !known {
				var err error
				if h, err = l.readHead(ctx, c); err != nil {
					return nil, err
				}
			}
			stream, hk, _ := chainKeys(c)
			cl := &call{chain: c, keys: []string{stream, hk}, args: []any{h.String(), ""}}
			prev := h
			for _, r := range byChain[c] {
				r.Seq, r.Chain, r.Prev, r.Key = prev.seq+1, c, prev.mac, l.keyID
				v, err := json.Marshal(r)
				if err != nil {
					return nil, err
				}
				m := macOf(l.mac, string(v))
				cl.args = append(cl.args, string(v), m)
				prev = head{r.Seq, m}
			}
			cl.next = prev
			cl.args[1] = prev.String()
			calls = append(calls, cl)
		}
		pipe := l.rdb.Pipeline()
		for _, cl := range calls {
			cl.cmd = appendCmd.EvalSha(ctx, pipe, cl.keys, cl.args...)
		}
		_, _ = pipe.Exec(ctx)
		pending = pending[:0:0]
		for _, cl := range calls {
			res, err := cl.cmd.Slice()
			if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
				res, err = appendCmd.Run(ctx, l.rdb, cl.keys, cl.args...).Slice()
			}
			if err != nil {
				return nil, fmt.Errorf("append to %s: %w", cl.chain, err)
			}
			if len(res) == 2 && res[0] == int64(1) {
				l.setHead(cl.chain, cl.next)
				ids[cl.chain], _ = res[1].(string)
				continue
			}
			// Another writer (replica, CLI) appended meanwhile: again from
			// the head it left.
			actual, _ := res[1].(string)
			h, err := parseHead(actual)
			if err != nil {
				return nil, err
			}
			l.setHead(cl.chain, h)
			pending = append(pending, cl.chain)
		}
	}
	return ids, nil
}

func (l *Log) head(chain string) (head, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.heads[chain]
	return h, ok
}

func (l *Log) setHead(chain string, h head) {
	l.mu.Lock()
	l.heads[chain] = h
	l.mu.Unlock()
}

func (l *Log) readHead(ctx context.Context, chain string) (head, error) {
	_, hk, err := chainKeys(chain)
	if err != nil {
		return head{}, err
	}
	s, err := l.rdb.Get(ctx, hk).Result()
	if err != nil && err != redis.Nil {
		return head{}, fmt.Errorf("access log head of %s: %w", chain, err)
	}
	return parseHead(s)
}
