package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/store"
)

// richClient gives a client data in every key family: record with state,
// moods, level and group; chat and channel links; a live invite; a
// reminder; an alert that escalated and one still open; a verdict; a
// notice marker; a reminder waiting for an answer; messages waiting in
// the outbox, the coach queue and the intake of another partition; a dead
// letter; events; audit entries and a programme audit line.
func richClient(t *testing.T, s *store.Store, id string, chat int64) {
	t.Helper()
	now := time.Now()
	if err := s.CreateClient(ctx, store.Client{ID: id, FirstName: "Naam-" + id, Coach: "Piet", Lang: "nl", Created: now}); err != nil {
		t.Fatal(err)
	}
	p := store.PartitionOfClient(id)
	if _, err := s.LinkChat(ctx, id, chat, chat); err != nil {
		t.Fatal(err)
	}
	if err := s.SetChannel(ctx, id, "chan"+id); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateInvite(ctx, "CODE"+strings.ToUpper(id), id, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureGroups(ctx, p); err != nil {
		t.Fatal(err)
	}
	commit := func(c store.Commit) {
		t.Helper()
		if _, err := s.Intake(ctx, []store.Incoming{{Partition: p, Type: store.EntryTelegram, ChatID: chat, ClientID: id, Body: []byte("tekst van " + id)}}); err != nil {
			t.Fatal(err)
		}
		es, err := s.ReadIntake(ctx, p, 1, time.Millisecond, false)
		if err != nil || len(es) != 1 {
			t.Fatalf("intake: %+v %v", es, err)
		}
		if ok, err := s.Lease(ctx, p.Lease(), "me", time.Minute); !ok || err != nil {
			t.Fatalf("lease: %v %v", ok, err)
		}
		c.Partition, c.EntryID, c.LeaseToken, c.ClientID = p, es[0].ID, "me", id
		if ok, err := s.Commit(ctx, c, now); !ok || err != nil {
			t.Fatalf("commit: %v %v", ok, err)
		}
	}
	escalated, open := "aesc000001-"+id, "aopen00001-"+id
	commit(store.Commit{State: []byte(`{"s":"ask_coach"}`), Fields: map[string]string{"moods": "25", "level": "intensief", "group": "noord"},
		Outgoing: []store.Outgoing{{Lane: store.LaneNormal, ChatID: chat, Payload: []byte("antwoord aan " + id)}},
		Coach:    [][]byte{[]byte("post over " + id)},
		Events:   []store.Event{{Kind: "client_wrote", ClientID: id, Ref: "1"}},
		Alert:    &store.Alert{ID: escalated, ClientID: id, Severity: "urgent", Category: "suicide", Created: now, Steps: []string{"coach"}, Due: now},
		WaitFor:  id + "|occ1", WaitUntil: now.Add(time.Hour)})
	a, ok, err := s.LoadAlert(ctx, id, escalated)
	if err != nil || !ok {
		t.Fatalf("alert: %v %v", ok, err)
	}
	if ok, err := s.Escalate(ctx, a, time.Time{}, []byte("escalatie"), "backup", now); !ok || err != nil {
		t.Fatalf("escalate: %v %v", ok, err)
	}
	if _, _, err := s.AckAlert(ctx, id, escalated, "coach", now, []byte("opgepakt")); err != nil {
		t.Fatal(err)
	}
	commit(store.Commit{Alert: &store.Alert{ID: open, ClientID: id, Severity: "high", Category: "violence", Created: now}})
	sched, err := scheduler.NewStore(s.Redis(), scheduler.Options{Codec: store.SchedulerCodec{Store: s}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sched.Add(ctx, scheduler.Schedule{ClientID: id, Spec: "elke dag om 8:00", Text: "pillen van " + id, Emoji: "💊"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordVerdict(ctx, store.Verdict{PostID: "post" + id, ClientID: id, Kind: store.VerdictMissed, By: "coach", Via: "red_flag",
		At: now, Text: "woorden van " + id, Severity: "none", LabelSeverity: "high"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FirstNotice(ctx, id, "blocked", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.AuditProgramme(ctx, "coach", "niveau "+id, "normaal", "intensief", now); err != nil {
		t.Fatal(err)
	}
	// Waiting: an outgoing message, a coach post, and an update in the
	// intake of the chat's partition.
	if err := s.PushOutgoing(ctx, p, store.Outgoing{Lane: store.LaneBulk, ChatID: chat, Client: id, Payload: []byte("herinnering voor " + id)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PushCoachFor(ctx, p, id, []byte("nog een post over "+id)); err != nil {
		t.Fatal(err)
	}
	q := store.PartitionOfChat(chat + 1000)
	if _, err := s.Intake(ctx, []store.Incoming{{Partition: q, Type: store.EntryTelegram, UpdateID: chat + 1000, ChatID: chat, ClientID: id, Body: []byte("onderweg van " + id)}}); err != nil {
		t.Fatal(err)
	}
	// A dead letter.
	if _, err := s.Intake(ctx, []store.Incoming{{Partition: p, Type: store.EntryTelegram, ChatID: chat, ClientID: id, Body: []byte("mislukt van " + id)}}); err != nil {
		t.Fatal(err)
	}
	es, err := s.ReadIntake(ctx, p, 1, time.Millisecond, false)
	if err != nil || len(es) != 1 {
		t.Fatalf("intake: %+v %v", es, err)
	}
	if err := s.DeadLetter(ctx, p, es[0], "test"); err != nil {
		t.Fatal(err)
	}
}

// everything reads every key and value of the keyspace (SCAN, then per
// type), calling f with the key and each value, field and member.
func everything(t *testing.T, rdb *redis.Client, f func(key, where, v string)) {
	t.Helper()
	iter := rdb.Scan(ctx, 0, "*", 500).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		f(k, "key", k)
		switch rdb.Type(ctx, k).Val() {
		case "string":
			f(k, "value", rdb.Get(ctx, k).Val())
		case "hash":
			for fl, v := range rdb.HGetAll(ctx, k).Val() {
				f(k, "field", fl)
				f(k, "field "+fl, v)
			}
		case "stream":
			for _, m := range rdb.XRange(ctx, k, "-", "+").Val() {
				for fl, v := range m.Values {
					f(k, "entry "+m.ID+" "+fl, v.(string))
				}
			}
		case "set":
			for _, v := range rdb.SMembers(ctx, k).Val() {
				f(k, "member", v)
			}
		case "zset":
			for _, v := range rdb.ZRange(ctx, k, 0, -1).Val() {
				f(k, "member", v)
			}
		case "list":
			for _, v := range rdb.LRange(ctx, k, 0, -1).Val() {
				f(k, "item", v)
			}
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
}

// After WipeClient a SCAN over the whole keyspace finds nothing of the
// client: no key names it, no value holds its id, no envelope is sealed
// under its data key (which is gone). Another client's data is all there.
func TestWipeClientLeavesNothingOfTheClient(t *testing.T) {
	rdb := redistest.Client(t)
	s := store.New(rdb, store.NewSealer(rdb, seal.Ephemeral()))
	const gone, kept = "wipeme42", "keepme77"
	richClient(t, s, gone, 4242)
	richClient(t, s, kept, 7777)
	p := store.PartitionOfClient(gone)
	env, err := seal.Parse([]byte(rdb.HGet(ctx, p.Client(gone), "name").Val()))
	if err != nil {
		t.Fatal(err)
	}
	goneKey := env.KeyID
	// Before: the client is in many places.
	places := 0
	everything(t, rdb, func(k, where, v string) {
		if strings.Contains(v, gone) {
			places++
		}
	})
	if places < 20 {
		t.Fatalf("the client is in only %d places before the wipe: the set-up is broken", places)
	}
	if _, err := s.StopClient(ctx, gone); err != nil {
		t.Fatal(err)
	}
	rep, err := s.WipeClient(ctx, gone)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wiped: %+v", rep)
	everything(t, rdb, func(k, where, v string) {
		if strings.Contains(v, gone) {
			t.Errorf("%s %s holds the wiped client's id: %.80q", k, where, v)
		}
		if e, err := seal.Parse([]byte(v)); err == nil && e.KeyID == goneKey {
			t.Errorf("%s %s is sealed under the wiped client's data key", k, where)
		}
	})
	// Again: nothing more to do, no error.
	if rep, err := s.WipeClient(ctx, gone); err != nil || rep.Keys+rep.Entries != 0 {
		t.Fatalf("second wipe: %+v %v", rep, err)
	}
	// The other client keeps everything.
	c, ok, err := s.LoadClient(ctx, kept)
	if err != nil || !ok || c.FirstName != "Naam-"+kept || c.Moods != "25" || c.ChatID != 7777 || c.Channel != "chan"+kept {
		t.Fatalf("other client: %+v %v %v", c, ok, err)
	}
	d, err := s.ExportClient(ctx, kept)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Alerts) != 2 || len(d.Verdicts) != 1 || len(d.Events) < 3 || len(d.Audit) < 3 || len(d.Queued) < 4 || len(d.Pending) != 1 {
		t.Fatalf("other client's data after the wipe: %d alerts, %d verdicts, %d events, %d audit, %d queued, %d pending",
			len(d.Alerts), len(d.Verdicts), len(d.Events), len(d.Audit), len(d.Queued), len(d.Pending))
	}
	sched, _ := scheduler.NewStore(rdb, scheduler.Options{Codec: store.SchedulerCodec{Store: s}})
	if l, err := sched.List(ctx, kept); err != nil || len(l) != 1 || l[0].Text != "pillen van "+kept {
		t.Fatalf("other client's schedules: %+v %v", l, err)
	}
	if id, _ := s.ClientOfChannel(ctx, "chan"+kept); id != kept {
		t.Fatalf("other client's channel link: %q", id)
	}
}

// A wipe that stopped half way (here: only the record and data key went)
// is finished by running it again.
func TestWipeClientFinishesAnEarlierWipe(t *testing.T) {
	rdb := redistest.Client(t)
	s := store.New(rdb, store.NewSealer(rdb, seal.Ephemeral()))
	const gone = "halfway9"
	richClient(t, s, gone, 99)
	p := store.PartitionOfClient(gone)
	rdb.Del(context.Background(), p.Client(gone))
	rdb.HDel(context.Background(), p.DataKeys(), gone)
	if _, err := s.WipeClient(ctx, gone); err != nil {
		t.Fatal(err)
	}
	everything(t, rdb, func(k, where, v string) {
		if strings.Contains(v, gone) {
			t.Errorf("%s %s holds the wiped client's id", k, where)
		}
	})
}
