package store_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/store"
)

// The sweep removes what is past its retention period, per class, and
// keeps what is not.
func TestSweepRemovesWhatIsPastItsRetention(t *testing.T) {
	rdb := redistest.Client(t)
	s := store.New(rdb, store.NewSealer(rdb, seal.Ephemeral()))
	now := time.Now()
	const day = 24 * time.Hour
	r := store.DefaultRetention()
	old := func(d time.Duration) string { return strconv.FormatInt(now.Add(-d-day).UnixMilli(), 10) }
	oldID := func(d time.Duration) string { return old(d) + "-1" }
	young := strconv.FormatInt(now.Add(-time.Hour).UnixMilli(), 10) + "-1"

	// Old and young entries in queues, dead letters, events and audit logs.
	p := store.PartitionOfClient("old1")
	if err := s.EnsureGroups(ctx, p); err != nil {
		t.Fatal(err)
	}
	add := func(key, id string, vals ...any) {
		t.Helper()
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: id, Values: vals}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{p.Intake(), p.CoachQueue(), p.Outbox(store.LaneBulk), p.Dead()} {
		add(k, oldID(r.InFlight), "k", "x", "m", "oud")
		add(k, young, "k", "x", "m", "jong")
	}
	add(p.Events(), oldID(r.Events), "k", "client_wrote", "c", "x", "r", "1")
	add(p.Events(), young, "k", "client_wrote", "c", "x", "r", "2")
	add(p.Audit(), oldID(r.Audit), "who", "w", "what", "alert_raised", "alert", "a")
	add(p.Audit(), young, "who", "w", "what", "alert_raised", "alert", "b")
	add(store.ProgrammeAudit, oldID(r.Audit), "who", "w", "what", "x", "before", "", "after", "")
	// An old entry in the intake was read by a worker and never finished:
	// it is acknowledged too.
	if _, err := s.ReadIntake(ctx, p, 10, time.Millisecond, false); err != nil {
		t.Fatal(err)
	}

	// Clients: one stopped long ago, one stopped recently, one with an old
	// mood history and an old unfinished conversation, one active.
	for _, id := range []string{"old1", "new1", "moody", "busy"} {
		if err := s.CreateClient(ctx, store.Client{ID: id, FirstName: id, Coach: "Piet", Lang: "nl", Created: now}); err != nil {
			t.Fatal(err)
		}
	}
	set := func(id string, kv ...any) {
		t.Helper()
		if err := rdb.HSet(ctx, store.PartitionOfClient(id).Client(id), kv...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	set("old1", "stopped", "1", "stopped_at", old(r.Stopped))
	if _, err := s.StopClient(ctx, "new1"); err != nil {
		t.Fatal(err)
	}
	sealed := func(id, field, v string) string {
		t.Helper()
		b, err := s.SealAt(ctx, store.Where{Owner: id, Key: store.PartitionOfClient(id).Client(id), Field: field}, []byte(v))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	oldTime := now.Add(-r.Dialog - day).UTC().Format(time.RFC3339)
	for _, id := range []string{"moody", "busy"} {
		set(id, "chat", "55", "moods", sealed(id, "moods", "12"))
	}
	set("moody", "moods_at", old(r.Moods), "last_in", old(r.Dialog), "state", sealed("moody", "state", `{"s":"letter_pages","t":"`+oldTime+`"}`))
	set("busy", "moods_at", strconv.FormatInt(now.UnixMilli(), 10), "last_in", strconv.FormatInt(now.UnixMilli(), 10),
		"state", sealed("busy", "state", `{"s":"letter_pages","t":"`+oldTime+`"}`))

	// Verdicts: an old one in the index (its key expired long ago would
	// be gone; here it is still there) and a new one.
	for i, at := range []time.Time{now.Add(-r.Verdicts - day), now} {
		if _, err := s.RecordVerdict(ctx, store.Verdict{PostID: fmt.Sprintf("post%d", i), ClientID: "busy", Kind: store.VerdictRight, By: "c", Via: "+1",
			At: at, Text: "woorden", Severity: "high", Category: "x", LabelSeverity: "high", LabelCategory: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	// Alerts from before alerts expired: one old, one young; and a stale
	// timer.
	bp := store.PartitionOfClient("busy")
	rdb.HSet(ctx, bp.Alert("aold-busy"), "client", "busy", "created", old(r.Alerts))
	rdb.HSet(ctx, bp.Alert("anew-busy"), "client", "busy", "created", strconv.FormatInt(now.UnixMilli(), 10))
	rdb.ZAdd(ctx, bp.Alerts(), redis.Z{Score: 1, Member: "agone-busy"})

	rep, err := s.Sweep(ctx, r, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
	if rep.Queued != 3 || rep.Dead != 1 || rep.Events != 1 || rep.Audit != 2 || rep.Verdicts != 1 || rep.Alerts != 1 ||
		rep.Moods != 1 || rep.Dialogs != 1 || len(rep.Expired) != 1 || rep.Expired[0] != "old1" {
		t.Fatalf("sweep = %+v", rep)
	}
	for _, k := range []string{p.Intake(), p.CoachQueue(), p.Outbox(store.LaneBulk), p.Dead(), p.Events(), p.Audit()} {
		if n := rdb.XLen(ctx, k).Val(); n != 1 {
			t.Errorf("%s: %d entries left, want the young one", k, n)
		}
	}
	for _, e := range rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: p.Intake(), Group: "work", Start: "-", End: "+", Count: 10}).Val() {
		if e.ID != young {
			t.Errorf("the old intake entry %s is still pending", e.ID)
		}
	}
	c, _, err := s.LoadClient(ctx, "moody")
	if err != nil || c.Moods != "" || len(c.State) != 0 {
		t.Fatalf("old moods and conversation kept: %+v %v", c, err)
	}
	c, _, err = s.LoadClient(ctx, "busy")
	if err != nil || c.Moods != "12" || len(c.State) == 0 {
		t.Fatalf("active client's moods or conversation removed: %+v %v", c, err)
	}
	if rdb.Exists(ctx, bp.Alert("aold-busy")).Val() != 0 || rdb.PTTL(ctx, bp.Alert("anew-busy")).Val() <= 0 || rdb.ZCard(ctx, bp.Alerts()).Val() != 0 {
		t.Fatal("old alert kept, young alert without expiry, or a stale timer kept")
	}
	if rdb.Exists(ctx, bp.Verdict("post0")).Val() != 0 || rdb.Exists(ctx, bp.Verdict("post1")).Val() != 1 {
		t.Fatal("verdicts: the old one kept or the new one gone")
	}
	// The recently stopped client's clock runs; a stop without a time
	// (from before) is stamped now.
	if v := rdb.HGet(ctx, store.PartitionOfClient("new1").Client("new1"), "stopped_at").Val(); v == "" {
		t.Fatal("stopped client has no stop time")
	}
	// A new code restarts the clock; linking ends it.
	if err := s.CreateInvite(ctx, "NEWCODE1", "new1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if rdb.HExists(ctx, store.PartitionOfClient("new1").Client("new1"), "stopped_at").Val() {
		t.Fatal("a new code did not restart the retention of a stopped client")
	}
}

// Alerts raised now expire by themselves after Retention.Alerts, also when
// nobody picks them up.
func TestAlertsExpire(t *testing.T) {
	rdb := redistest.Client(t)
	s := store.New(rdb, nil)
	s.AlertRetention = 48 * time.Hour
	richClient(t, s, "alerty1", 5)
	p := store.PartitionOfClient("alerty1")
	for _, id := range []string{"aesc000001-alerty1", "aopen00001-alerty1"} {
		if ttl := rdb.PTTL(ctx, p.Alert(id)).Val(); ttl <= 47*time.Hour || ttl > 48*time.Hour {
			t.Errorf("alert %s expires in %v, want 48h", id, ttl)
		}
	}
}
