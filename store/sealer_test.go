package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/store"
)

func ring(t testing.TB, keks ...seal.KEK) *seal.Ring {
	t.Helper()
	r, err := seal.NewRing(keks...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func kek(t testing.TB) seal.KEK {
	t.Helper()
	k, err := seal.NewKEK(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sealedClient creates a client with a state, a mood, a queued coach post,
// an outgoing message and an open alert, all through a sealing store.
func sealedClient(t *testing.T, s *store.Store, id string, chat int64) {
	t.Helper()
	if err := s.CreateClient(ctx, store.Client{ID: id, FirstName: "Zuleika-" + id, Coach: "Piet", Lang: "nl", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	p := store.PartitionOfClient(id)
	if err := s.EnsureGroups(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Intake(ctx, []store.Incoming{{Partition: p, Type: store.EntryTelegram, UpdateID: chat, ChatID: chat, ClientID: id, Body: []byte("mijn geheime schuld")}}); err != nil {
		t.Fatal(err)
	}
	es, err := s.ReadIntake(ctx, p, 10, time.Millisecond, false)
	if err != nil || len(es) != 1 || string(es[0].Body) != "mijn geheime schuld" {
		t.Fatalf("intake = %+v, %v", es, err)
	}
	if ok, err := s.Lease(ctx, p.Lease(), "me", time.Minute); !ok || err != nil {
		t.Fatalf("lease: %v %v", ok, err)
	}
	c := store.Commit{Partition: p, EntryID: es[0].ID, LeaseToken: "me", ClientID: id, State: []byte(`{"step":"ask_coach"}`),
		Outgoing: []store.Outgoing{{Lane: store.LaneUrgent, ChatID: chat, Payload: []byte("bel 113")}},
		Coach:    [][]byte{[]byte("post: mijn geheime schuld")},
		Alert:    &store.Alert{ID: "a1-" + id, ClientID: id, Severity: "urgent", Category: "suicide", Created: time.Now()},
		Fields:   map[string]string{"moods": "15", "level": "intensief"}}
	if ok, err := s.Commit(ctx, c, time.Now()); !ok || err != nil {
		t.Fatalf("commit: %v %v", ok, err)
	}
}

func TestSealedStoreReadsBackAndKeepsNothingReadable(t *testing.T) {
	rdb := redistest.Client(t)
	s := store.New(rdb, store.NewSealer(rdb, seal.Ephemeral()))
	sealedClient(t, s, "c1", 501)
	p := store.PartitionOfClient("c1")
	c, ok, err := s.LoadClient(ctx, "c1")
	if err != nil || !ok || c.FirstName != "Zuleika-c1" || c.Coach != "Piet" || string(c.State) != `{"step":"ask_coach"}` || c.Moods != "15" || c.Level != "intensief" {
		t.Fatalf("client = %+v %v", c, err)
	}
	if lvl, err := s.ClientField(ctx, "c1", "level"); err != nil || lvl != "intensief" {
		t.Fatalf("level field = %q %v", lvl, err)
	}
	a, ok, err := s.LoadAlert(ctx, "c1", "a1-c1")
	if err != nil || !ok || a.Severity != "urgent" || a.Category != "suicide" {
		t.Fatalf("alert = %+v %v", a, err)
	}
	out, err := s.ReadOutbox(ctx, p, 10, time.Millisecond, false)
	if err != nil || len(out) != 1 || string(out[0].Payload) != "bel 113" || out[0].Client != "c1" {
		t.Fatalf("outbox = %+v %v", out, err)
	}
	posts, err := s.ReadCoach(ctx, p, 10, time.Millisecond, false)
	if err != nil || len(posts) != 1 || string(posts[0].Payload) != "post: mijn geheime schuld" {
		t.Fatalf("coach = %+v %v", posts, err)
	}
	for _, v := range allValues(t, rdb) {
		for _, secret := range []string{"Zuleika", "Piet", "geheim", "ask_coach", "bel 113", "urgent", "suicide", "intensief"} {
			if strings.Contains(v, secret) {
				t.Errorf("Redis holds %q readable: %.100q", secret, v)
			}
		}
	}
}

// allValues reads every key and value of every type (SCAN, then per type).
func allValues(t *testing.T, rdb *redis.Client) []string {
	t.Helper()
	var out []string
	iter := rdb.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		out = append(out, k)
		switch rdb.Type(ctx, k).Val() {
		case "string":
			out = append(out, rdb.Get(ctx, k).Val())
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				out = append(out, f, v)
			}
		case "stream":
			for _, m := range rdb.XRange(ctx, k, "-", "+").Val() {
				for f, v := range m.Values {
					out = append(out, f, v.(string))
				}
			}
		case "set":
			out = append(out, rdb.SMembers(ctx, k).Val()...)
		case "zset":
			out = append(out, rdb.ZRange(ctx, k, 0, -1).Val()...)
		case "list":
			out = append(out, rdb.LRange(ctx, k, 0, -1).Val()...)
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Content changed, cut short or moved to another client or field does not
// open: an error, never garbage.
func TestTamperedOrMovedContentFailsClosed(t *testing.T) {
	rdb := redistest.Client(t)
	s := store.New(rdb, store.NewSealer(rdb, seal.Ephemeral()))
	sealedClient(t, s, "c1", 601)
	sealedClient(t, s, "c2", 602)
	k1 := store.PartitionOfClient("c1").Client("c1")
	k2 := store.PartitionOfClient("c2").Client("c2")
	name1 := rdb.HGet(ctx, k1, "name").Val()
	state1 := rdb.HGet(ctx, k1, "state").Val()
	restore := func() {
		t.Helper()
		rdb.HSet(ctx, k1, "name", name1, "state", state1)
		rdb.HSet(ctx, k2, "name", rdb.HGet(ctx, k2, "name").Val())
		if _, _, err := s.LoadClient(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
	}
	flipped := []byte(state1)
	flipped[len(flipped)-3] ^= 1
	cases := []struct {
		name string
		key  string
		set  []any
		load string
	}{
		{"flipped byte", k1, []any{"state", string(flipped)}, "c1"},
		{"truncated", k1, []any{"state", state1[:len(state1)-1]}, "c1"},
		{"header only", k1, []any{"state", state1[:seal.Overhead-16]}, "c1"},
		{"plain text", k1, []any{"state", `{"step":"menu"}`}, "c1"},
		{"moved to another field", k1, []any{"state", name1}, "c1"},
		{"moved to another client", k2, []any{"name", name1}, "c2"},
	}
	for _, tc := range cases {
		rdb.HSet(ctx, tc.key, tc.set...)
		c, ok, err := s.LoadClient(ctx, tc.load)
		if err == nil || ok || c.FirstName != "" || c.State != nil {
			t.Errorf("%s: load = %+v %v %v, want an error", tc.name, c, ok, err)
		}
		restore()
	}
	// The same for the alert's health fields.
	ak := store.PartitionOfClient("c1").Alert("a1-c1")
	sev := rdb.HGet(ctx, ak, "severity").Val()
	rdb.HSet(ctx, ak, "severity", rdb.HGet(ctx, ak, "category").Val())
	if a, _, err := s.LoadAlert(ctx, "c1", "a1-c1"); err == nil {
		t.Errorf("category moved into severity opened: %+v", a)
	}
	rdb.HSet(ctx, ak, "severity", sev)

	// A queued post moved to another client's entry is taken out of the
	// queue (set aside, still sealed), never delivered, and the queue goes on.
	var heard []string
	s.Unreadable = func(stream, id string, err error) { heard = append(heard, stream+" "+id+" "+err.Error()) }
	p := store.PartitionOfClient("c1")
	other := ""
	for i := 0; other == ""; i++ {
		if id := "m" + string(rune('a'+i%26)) + strings.Repeat("x", i/26); store.PartitionOfClient(id) == p {
			other = id
		}
	}
	if err := s.CreateClient(ctx, store.Client{ID: other, FirstName: "Ali", Coach: "Piet"}); err != nil {
		t.Fatal(err)
	}
	rdb.Del(ctx, p.CoachQueue())
	if err := s.EnsureGroups(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.PushCoachFor(ctx, p, "c1", []byte("post of c1")); err != nil {
		t.Fatal(err)
	}
	sealedPost := rdb.XRange(ctx, p.CoachQueue(), "-", "+").Val()[0].Values["m"].(string)
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: p.CoachQueue(), Values: []any{"k", other, "m", sealedPost}})
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: p.CoachQueue(), Values: []any{"k", "c1", "m", sealedPost[:len(sealedPost)-1]}})
	if err := s.PushCoachFor(ctx, p, "c1", []byte("after")); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadCoach(ctx, p, 10, time.Millisecond, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].Payload) != "post of c1" || string(got[1].Payload) != "after" {
		t.Fatalf("queue after a moved and a cut post = %+v", got)
	}
	if len(heard) != 2 || !strings.Contains(heard[0], "does not open") {
		t.Fatalf("unreadable entries heard: %q", heard)
	}
	dead := rdb.XRange(ctx, p.Dead(), "-", "+").Val()
	if len(dead) != 2 || dead[0].Values["xm"] != sealedPost || dead[0].Values["from"] != p.CoachQueue() {
		t.Fatalf("dead letters = %+v", dead)
	}
}

// client wissen deletes the client's data key: whatever sealed content of
// the client is left anywhere no longer opens, also in a new process.
func TestWipedClientsDataKeyIsDeleted(t *testing.T) {
	rdb := redistest.Client(t)
	r := ring(t, kek(t))
	s := store.New(rdb, store.NewSealer(rdb, r))
	sealedClient(t, s, "gone", 801)
	p := store.PartitionOfClient("gone")
	ck := p.Client("gone")
	leftName := rdb.HGet(ctx, ck, "name").Val()
	wrapped := rdb.HGet(ctx, p.DataKeys(), "gone").Val()
	if wrapped == "" {
		t.Fatal("no data key stored")
	}
	if err := s.DeleteClient(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if rdb.HExists(ctx, p.DataKeys(), "gone").Val() {
		t.Fatal("data key kept")
	}
	// Content of the client left behind (here: written back as an old copy
	// would be) does not open, in this process or a fresh one.
	rdb.HSet(ctx, ck, "name", leftName, "coach", leftName)
	for name, st := range map[string]*store.Store{"same": s, "fresh": store.New(rdb, store.NewSealer(rdb, r))} {
		if _, _, err := st.LoadClient(ctx, "gone"); !errors.Is(err, store.ErrNoDataKey) {
			t.Errorf("%s process: %v, want ErrNoDataKey", name, err)
		}
		if rdb.HExists(ctx, p.DataKeys(), "gone").Val() {
			t.Errorf("%s process made a new data key for a wiped client", name)
		}
	}
	rdb.Del(ctx, ck)
	// Entries of the wiped client still queued are dropped, not stuck.
	posts, err := s.ReadCoach(ctx, p, 10, time.Millisecond, false)
	if err != nil || len(posts) != 0 {
		t.Fatalf("queued posts of a wiped client: %+v %v", posts, err)
	}
	if n := rdb.XLen(ctx, p.CoachQueue()).Val(); n != 0 {
		t.Fatalf("%d posts of a wiped client left in the queue", n)
	}
	// A message from the wiped client's chat arriving now is a stranger's.
	if _, err := s.Intake(ctx, []store.Incoming{{Partition: p, Type: store.EntryTelegram, UpdateID: 9, ChatID: 801, ClientID: "gone", Body: []byte("hoi")}}); err != nil {
		t.Fatal(err)
	}
	es, err := s.ReadIntake(ctx, p, 10, time.Millisecond, false)
	if err != nil || len(es) != 1 || es[0].ClientID != "" || string(es[0].Body) != "hoi" {
		t.Fatalf("late message = %+v %v", es, err)
	}

	// An older snapshot still holds the wrapped key; it stops opening once
	// the KEK it names is retired (keys rotate, keys rewrap, old key out).
	next := kek(t)
	rotated := store.NewSealer(rdb, ring(t, next, r.KEKs()[0]))
	if _, err := rotated.Rewrap(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ring(t, next).Unwrap("client:gone", []byte(wrapped)); !errors.Is(err, seal.ErrUnknownKEK) {
		t.Fatalf("snapshot's data key after the old KEK left: %v", err)
	}
}

// After keys rotate and keys rewrap, with the old KEK gone from the
// configuration, all data still reads and no data key names the old KEK.
func TestRotateAndRewrapKeepAllDataReadable(t *testing.T) {
	rdb := redistest.Client(t)
	old, next := kek(t), kek(t)
	s := store.New(rdb, store.NewSealer(rdb, ring(t, old)))
	ids := []string{"r1", "r2", "r3", "r4"}
	for i, id := range ids {
		sealedClient(t, s, id, int64(900+i))
	}
	// A stranger's message waits under the system key.
	sp := store.PartitionOfChat(12345)
	if err := s.EnsureGroups(ctx, sp); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Intake(ctx, []store.Incoming{{Partition: sp, Type: store.EntryTelegram, UpdateID: 77, ChatID: 12345, Body: []byte("wie ben jij")}}); err != nil {
		t.Fatal(err)
	}
	both := store.NewSealer(rdb, ring(t, next, old))
	res, err := both.Rewrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rewrapped != len(ids)+1 || len(res.Failed) != 0 || len(res.InUse) != 1 || res.InUse[next.ID] != len(ids)+1 {
		t.Fatalf("rewrap = %+v", res)
	}
	if again, _ := both.Rewrap(ctx); again.Rewrapped != 0 || again.Unchanged != len(ids)+1 {
		t.Fatalf("second rewrap = %+v", again)
	}
	after := store.New(rdb, store.NewSealer(rdb, ring(t, next)))
	read := map[store.Partition]bool{}
	for _, id := range ids {
		c, ok, err := after.LoadClient(ctx, id)
		if err != nil || !ok || c.FirstName != "Zuleika-"+id || c.Moods != "15" {
			t.Fatalf("client %s after rotation: %+v %v", id, c, err)
		}
		if a, ok, err := after.LoadAlert(ctx, id, "a1-"+id); err != nil || !ok || a.Category != "suicide" {
			t.Fatalf("alert of %s after rotation: %+v %v", id, a, err)
		}
		p := store.PartitionOfClient(id)
		if read[p] {
			continue
		}
		read[p] = true
		if posts, err := after.ReadCoach(ctx, p, 10, time.Millisecond, false); err != nil || len(posts) == 0 {
			t.Fatalf("posts of %s after rotation: %v %v", id, posts, err)
		}
	}
	es, err := after.ReadIntake(ctx, sp, 10, time.Millisecond, false)
	if err != nil || len(es) != 1 || string(es[0].Body) != "wie ben jij" {
		t.Fatalf("stranger's message after rotation: %+v %v", es, err)
	}
	if err := after.Sealer().Check(ctx); err != nil {
		t.Fatalf("check with the new key: %v", err)
	}
	// The retired key alone opens nothing any more.
	if err := store.NewSealer(rdb, ring(t, old)).Check(ctx); !errors.Is(err, seal.ErrUnknownKEK) {
		t.Fatalf("check with the retired key: %v", err)
	}
}

// A replica that meets a data key wrapped under a KEK it does not know
// reads its key file again (a rotation done elsewhere).
func TestSealerReadsTheKeyFileAgainAfterARotationElsewhere(t *testing.T) {
	rdb := redistest.Client(t)
	old, next := kek(t), kek(t)
	running := store.NewSealer(rdb, ring(t, old))
	reloads := 0
	running.SetReload(func() (*seal.Ring, error) { reloads++; return seal.NewRing(next, old) })
	st := store.New(rdb, running)
	if err := st.CreateClient(ctx, store.Client{ID: "x1", FirstName: "Bo", Coach: "Piet"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.NewSealer(rdb, ring(t, next, old)).Rewrap(ctx); err != nil {
		t.Fatal(err)
	}
	running.Forget("x1")
	if c, _, err := st.LoadClient(ctx, "x1"); err != nil || c.FirstName != "Bo" || reloads != 1 {
		t.Fatalf("load after rotation elsewhere: %+v %v (reloads %d)", c, err, reloads)
	}
}

// The scheduled AOF rewrite takes deleted data off the disk: a value that
// was written and deleted is in the append-only file until the rewrite
// and gone after it. One replica asks per interval.
func TestAOFRewriteTakesDeletedDataOffTheDisk(t *testing.T) {
	rdb := redistest.Client(t)
	waitRewrite := func() {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			info := rdb.Info(ctx, "persistence").Val()
			if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("rewrite did not finish:\n%s", info)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := rdb.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.ConfigSet(ctx, "appendonly", "no") })
	waitRewrite()
	dir := rdb.ConfigGet(ctx, "dir").Val()["dir"]
	aofDir := filepath.Join(dir, rdb.ConfigGet(ctx, "appenddirname").Val()["appenddirname"])
	onDisk := func(s string) bool {
		t.Helper()
		files, err := os.ReadDir(aofDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(aofDir, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(s)) {
				return true
			}
		}
		return false
	}
	s := store.New(rdb, nil) // plain, so that the words can be seen on disk
	if err := s.CreateClient(ctx, store.Client{ID: "aof1", FirstName: "Aofkanarie", Coach: "Piet"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteClient(ctx, "aof1"); err != nil {
		t.Fatal(err)
	}
	if !onDisk("Aofkanarie") {
		t.Fatal("test broken: the name never reached the append-only file")
	}
	n, err := s.RewriteAOF(ctx, "r1", time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("rewrite asked of %d servers: %v", n, err)
	}
	waitRewrite()
	if onDisk("Aofkanarie") {
		t.Fatal("a wiped client's name is still on disk after the rewrite")
	}
	if n, err := s.RewriteAOF(ctx, "r2", time.Hour); err != nil || n != 0 {
		t.Fatalf("a second replica asked again within the interval: %d %v", n, err)
	}
	// The shipped ACL user may not read INFO: it asks all the same.
	if err := rdb.Do(ctx, "ACL", "SETUSER", "noinfo", "on", ">pw", "~wv:*", "+@all", "-info").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Do(ctx, "ACL", "DELUSER", "noinfo") })
	limited := redis.NewClient(&redis.Options{Addr: redistest.Addr(t), Username: "noinfo", Password: "pw"})
	defer limited.Close()
	if err := limited.Info(ctx, "persistence").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Fatalf("INFO as the limited user: %v", err)
	}
	rdb.Del(ctx, store.AOFLease)
	if n, err := store.New(limited, nil).RewriteAOF(ctx, "r3", time.Hour); err != nil || n != 1 {
		t.Fatalf("rewrite without INFO: %d %v", n, err)
	}
	waitRewrite()
}

func BenchmarkSealerSealOpen(b *testing.B) {
	rdb := redistest.Client(b)
	sl := store.NewSealer(rdb, seal.Ephemeral())
	s := store.New(rdb, sl)
	if err := s.CreateClient(ctx, store.Client{ID: "b1", FirstName: "Bo", Coach: "Piet"}); err != nil {
		b.Fatal(err)
	}
	at := store.Where{Owner: "b1", Key: store.PartitionOfClient("b1").CoachQueue(), Field: "m"}
	msg := bytes.Repeat([]byte("x"), 300)
	b.ReportAllocs()
	for b.Loop() {
		env, err := sl.SealAt(ctx, at, msg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sl.OpenAt(ctx, at, env); err != nil {
			b.Fatal(err)
		}
	}
}
