package accesslog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/store"
)

func TestMain(m *testing.M) { redistest.Main(m) }

var secret = store.ServerSecret("123456:ACCESSLOGTESTTOKEN")

// clientIn returns a client id in partition p.
func clientIn(p store.Partition, n int) string {
	for i := 0; ; i++ {
		id := fmt.Sprintf("c%d-%d", n, i)
		if store.PartitionOfClient(id) == p {
			return id
		}
	}
}

func entry(client, action string) Entry {
	return Entry{Client: client, Actor: "coach-piet", Action: action, Op: Read, Outcome: OK, Source: SourceDM}
}

// fill writes n entries about one client and returns its chain.
func fill(t *testing.T, l *Log, client string, n int) string {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := l.Record(context.Background(), entry(client, fmt.Sprintf("client.status.%d", i+1))); err != nil {
			t.Fatal(err)
		}
	}
	return chainOf(client)
}

func verify(t *testing.T, l *Log, chains ...string) Report {
	t.Helper()
	rep, err := l.Verify(context.Background(), chains...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// An untouched log verifies clean; entries hold the pseudonym, never the
// client id, and nothing but the fields of an entry.
func TestEntriesChainAndHoldOnlyAPseudonym(t *testing.T) {
	rdb := redistest.Client(t)
	l := New(rdb, secret, nil)
	ctx := context.Background()
	a, b := clientIn(3, 1), clientIn(7, 2)
	if err := l.Record(ctx, entry(a, "client.status"), entry(b, "client.list"), entry(a, "client.list"),
		Entry{Actor: "operator:root", Action: "keys.rewrap", Op: Change, Outcome: OK, Source: SourceCLI}); err != nil {
		t.Fatal(err)
	}
	fill(t, l, a, 5)
	rep := verify(t, l)
	if rep.Tampered() {
		t.Fatalf("clean log: %v", rep.Findings)
	}
	got := map[string]int64{}
	for _, c := range rep.Chains {
		got[c.Chain] = c.Entries
	}
	if got["p03"] != 7 || got["p07"] != 1 || got["sys"] != 1 {
		t.Fatalf("entries per chain = %v", got)
	}
	msgs := rdb.XRange(ctx, store.Partition(3).Access(), "-", "+").Val()
	for _, m := range msgs {
		v := m.Values["v"].(string)
		if strings.Contains(v, a) {
			t.Fatalf("entry holds the client id: %s", v)
		}
		if !strings.Contains(v, `"s":"`+l.Pseudonym(a)+`"`) {
			t.Fatalf("entry without the pseudonym: %s", v)
		}
	}
	// A client's own entries can be listed with the secret.
	es, err := l.Entries(ctx, a)
	if err != nil || len(es) != 7 || es[0].Action != "client.status" || es[0].Client != a || es[1].Action != "client.list" {
		t.Fatalf("entries of a = %+v, %v", es, err)
	}
}

// Replicas and the CLI write the same chains at once: the append script
// keeps each chain one line, every entry once.
func TestManyWritersKeepTheChainLinear(t *testing.T) {
	rdb := redistest.Client(t)
	logs := []*Log{New(rdb, secret, nil), New(rdb, secret, nil), New(rdb, secret, nil)}
	client := clientIn(5, 1)
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := logs[w%len(logs)]
			for i := 0; i < 50; i++ {
				if err := l.Record(context.Background(), entry(client, "x"), entry(clientIn(6, w), "y")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	rep := verify(t, logs[0])
	if rep.Tampered() {
		t.Fatalf("findings: %v", rep.Findings[:min(5, len(rep.Findings))])
	}
	for _, c := range rep.Chains {
		if (c.Chain == "p05" || c.Chain == "p06") && (c.Entries != 300 || c.Last != 300) {
			t.Fatalf("%s: %+v", c.Chain, c)
		}
	}
}

type msg = redis.XMessage

// rewrite replaces a chain's stream by what change makes of its entries
// (as someone with write access to Redis could), with fresh ids in order.
func rewrite(t *testing.T, rdb *redis.Client, stream string, change func([]msg) []msg) {
	t.Helper()
	ctx := context.Background()
	ms := change(rdb.XRange(ctx, stream, "-", "+").Val())
	rdb.Del(ctx, stream)
	for i, m := range ms {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, ID: fmt.Sprintf("1-%d", i+1), Values: []any{"v", m.Values["v"], "m", m.Values["m"]}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func setField(m msg, field string, val any) msg {
	var r map[string]any
	_ = json.Unmarshal([]byte(m.Values["v"].(string)), &r)
	r[field] = val
	b, _ := json.Marshal(r)
	return msg{ID: m.ID, Values: map[string]any{"v": string(b), "m": m.Values["m"]}}
}

// Each kind of tampering is found, with its position.
func TestVerifyFindsEachKindOfTampering(t *testing.T) {
	const n = 10
	part := store.Partition(4)
	stream := part.Access()
	type want struct {
		kind     string
		position int64
		seq      int64
	}
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, rdb *redis.Client, l *Log)
		want   []want
	}{
		{"deleted in the middle", func(t *testing.T, rdb *redis.Client, l *Log) {
			rewrite(t, rdb, stream, func(ms []msg) []msg { return append(ms[:4:4], ms[5:]...) })
		}, []want{{Deleted, 5, 5}}},
		{"deleted first", func(t *testing.T, rdb *redis.Client, l *Log) {
			rewrite(t, rdb, stream, func(ms []msg) []msg { return ms[1:] })
		}, []want{{Deleted, 1, 1}}},
		{"deleted last", func(t *testing.T, rdb *redis.Client, l *Log) {
			rewrite(t, rdb, stream, func(ms []msg) []msg { return ms[:n-1] })
		}, []want{{Deleted, n, n}}},
		{"deleted with XDEL", func(t *testing.T, rdb *redis.Client, l *Log) {
			ms := rdb.XRange(context.Background(), stream, "-", "+").Val()
			rdb.XDel(context.Background(), stream, ms[2].ID, ms[3].ID)
		}, []want{{Deleted, 3, 3}, {Deleted, 3, 4}}},
		{"changed actor", func(t *testing.T, rdb *redis.Client, l *Log) {
			rewrite(t, rdb, stream, func(ms []msg) []msg { ms[3] = setField(ms[3], "a", "coach-kees"); return ms })
		}, []want{{Changed, 4, 4}}},
		{"changed time and MAC", func(t *testing.T, rdb *redis.Client, l *Log) {
			rewrite(t, rdb, stream, func(ms []msg) []msg {
				ms[6] = setField(ms[6], "t", 1)
				ms[6].Values["m"] = strings.Repeat("0", 32)
				return ms
			})
		}, []want{{Changed, 7, 7}}},
		{"inserted forged entry", func(t *testing.T, rdb *redis.Client, l *Log) {
			rewrite(t, rdb, stream, func(ms []msg) []msg {
				forged := setField(ms[2], "a", "mallory")
				return append(ms[:3:3], append([]msg{forged}, ms[3:]...)...)
			})
		}, []want{{Inserted, 4, 0}}},
		{"inserted forged entry at the end", func(t *testing.T, rdb *redis.Client, l *Log) {
			rewrite(t, rdb, stream, func(ms []msg) []msg { return append(ms, setField(ms[n-1], "n", n+1)) })
		}, []want{{Inserted, n + 1, 0}}},
		{"inserted repeat", func(t *testing.T, rdb *redis.Client, l *Log) {
			rewrite(t, rdb, stream, func(ms []msg) []msg { return append(ms[:6:6], append([]msg{ms[1]}, ms[6:]...)...) })
		}, []want{{Inserted, 7, 2}}},
		{"inserted from another chain", func(t *testing.T, rdb *redis.Client, l *Log) {
			fill(t, l, clientIn(9, 1), 1)
			other := rdb.XRange(context.Background(), store.Partition(9).Access(), "-", "+").Val()
			rewrite(t, rdb, stream, func(ms []msg) []msg { return append(ms[:5:5], append([]msg{other[0]}, ms[5:]...)...) })
		}, []want{{Inserted, 6, 1}}},
		{"reordered", func(t *testing.T, rdb *redis.Client, l *Log) {
			rewrite(t, rdb, stream, func(ms []msg) []msg { ms[5], ms[6] = ms[6], ms[5]; return ms })
		}, []want{{Reordered, 7, 6}}},
		{"moved to the end", func(t *testing.T, rdb *redis.Client, l *Log) {
			rewrite(t, rdb, stream, func(ms []msg) []msg { return append(append(ms[:1:1], ms[2:]...), ms[1]) })
		}, []want{{Reordered, n, 2}}},
		{"head removed", func(t *testing.T, rdb *redis.Client, l *Log) {
			rdb.Del(context.Background(), part.AccessHead())
			fill(t, New(rdb, secret, nil), clientIn(part, 1), 2)
		}, []want{{Restarted, n + 1, 1}}},
		{"head moved back", func(t *testing.T, rdb *redis.Client, l *Log) {
			rdb.Set(context.Background(), part.AccessHead(), "3:"+strings.Repeat("a", 32), 0)
		}, []want{{Changed, n, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb := redistest.Client(t)
			l := New(rdb, secret, nil)
			fill(t, l, clientIn(part, 1), n)
			if rep := verify(t, l); rep.Tampered() {
				t.Fatalf("before: %v", rep.Findings)
			}
			tc.tamper(t, rdb, l)
			rep := verify(t, l, "p04")
			if len(rep.Findings) != len(tc.want) {
				t.Fatalf("findings = %v, want %v", rep.Findings, tc.want)
			}
			for i, w := range tc.want {
				f := rep.Findings[i]
				if f.Kind != w.kind || f.Position != w.position || (w.seq != 0 && f.Seq != w.seq) {
					t.Errorf("finding %d = %v, want %+v", i, f, w)
				}
			}
		})
	}
}

// Entries written under another key (an earlier bot token) are reported
// as unchecked, and check with that key given.
func TestEntriesUnderAnotherKeyAreUnchecked(t *testing.T) {
	rdb := redistest.Client(t)
	old := store.ServerSecret("123456:OLDTOKENOLDTOKENOLDTOKEN")
	client := clientIn(2, 1)
	fill(t, New(rdb, old, nil), client, 3)
	l := New(rdb, secret, nil)
	fill(t, l, client, 2) // the chain goes on under the new key
	rep := verify(t, l, "p02")
	if len(rep.Findings) != 3 || rep.Findings[0].Kind != Unchecked {
		t.Fatalf("findings = %v", rep.Findings)
	}
	if rep := verify(t, New(rdb, secret, nil, old), "p02"); rep.Tampered() {
		t.Fatalf("with the old key: %v", rep.Findings)
	}
	if es, err := New(rdb, secret, nil, old).Entries(context.Background(), client); err != nil || len(es) != 5 {
		t.Fatalf("entries over both keys: %d, %v", len(es), err)
	}
}

// The sweeper removes entries past the retention behind a trim entry: the
// chain still verifies, and a deletion beyond what was trimmed is found.
func TestTrimKeepsTheChainVerifiable(t *testing.T) {
	rdb := redistest.Client(t)
	l := New(rdb, secret, nil)
	client := clientIn(1, 1)
	fill(t, l, client, 4)
	time.Sleep(30 * time.Millisecond)
	boundary := time.Now()
	time.Sleep(30 * time.Millisecond)
	fill(t, l, client, 3)
	l.Now = func() time.Time { return boundary.Add(time.Hour) }
	n, err := l.Trim(context.Background(), time.Hour)
	if err != nil || n != 4 {
		t.Fatalf("trimmed %d, %v", n, err)
	}
	rep := verify(t, l, "p01")
	if rep.Tampered() || rep.Chains[0].Entries != 4 || rep.Chains[0].First != 5 {
		t.Fatalf("after trim: %+v %v", rep.Chains, rep.Findings)
	}
	if n, _ := l.Trim(context.Background(), time.Hour); n != 0 {
		t.Fatalf("second trim removed %d", n)
	}
	// Someone removes the first entry kept: that is no trim.
	first := rdb.XRangeN(context.Background(), store.Partition(1).Access(), "-", "+", 1).Val()
	rdb.XDel(context.Background(), store.Partition(1).Access(), first[0].ID)
	if rep := verify(t, l, "p01"); len(rep.Findings) != 1 || rep.Findings[0].Kind != Deleted || rep.Findings[0].Seq != 5 {
		t.Fatalf("after a deletion past the trim: %v", rep.Findings)
	}
	// Everything old: the trim entry alone stays.
	rdb2 := redistest.Client(t)
	l2 := New(rdb2, secret, nil)
	fill(t, l2, client, 3)
	l2.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if n, err := l2.Trim(context.Background(), time.Hour); err != nil || n != 3 {
		t.Fatalf("trim all: %d %v", n, err)
	}
	if rep := verify(t, l2, "p01"); rep.Tampered() || rep.Chains[0].Entries != 1 || rep.Chains[0].First != 4 {
		t.Fatalf("after trimming all: %+v %v", rep.Chains, rep.Findings)
	}
}

// The cost of an entry: one round trip (EVALSHA) when this process wrote
// the chain last.
func BenchmarkRecord(b *testing.B) {
	rdb := redistest.Client(b)
	l := New(rdb, secret, nil)
	client := clientIn(0, 1)
	ctx := context.Background()
	for b.Loop() {
		if err := l.Record(ctx, entry(client, "client.status")); err != nil {
			b.Fatal(err)
		}
	}
	stream := store.PartitionOfClient(client).Access()
	if n := rdb.XLen(ctx, stream).Val(); n > 0 {
		mem, _ := rdb.MemoryUsage(ctx, stream, 0).Result()
		b.ReportMetric(float64(mem)/float64(n), "redis-B/entry")
	}
}
