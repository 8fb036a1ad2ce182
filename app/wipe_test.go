package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/store"
)

// driveClient takes a new client through every flow the pipeline has
// without Mattermost: linking, a message, a letter, a check-in with a low
// mood told to the coach, a reminder, a coach's reply and a crisis with
// its alert; then a coach's verdict, picking the alert up and a level
// change in the audit log. It returns the client id.
func driveClient(t *testing.T, r *rig, a *app.App, name string, chat int64) string {
	t.Helper()
	ctx := context.Background()
	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: name, Coach: "Piet", BotUsername: "b", TTL: time.Hour, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	id := inv.ClientID
	sc, err := a.Schedules.Add(ctx, scheduler.Schedule{ClientID: id, Kind: scheduler.KindReminder, Spec: "elke dag om 8:00", Text: "Pillen", Emoji: "💊"})
	if err != nil {
		t.Fatal(err)
	}
	do := func(act func()) {
		t.Helper()
		n := len(sentTo(r, chat))
		act()
		deadline := time.Now().Add(10 * time.Second)
		for len(sentTo(r, chat)) <= n {
			if time.Now().After(deadline) {
				t.Fatalf("no answer to the client: %q", texts(sentTo(r, chat)))
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
	}
	due := func(kind scheduler.Kind, occID, text string) {
		occ := scheduler.Occurrence{ID: occID, ScheduleID: sc.ID, ClientID: id, Kind: kind, Due: time.Now(), Nominal: time.Now(), Event: time.Now(), Text: text, Emoji: "💊"}
		body, _ := json.Marshal(occ)
		if _, err := a.Store.Intake(ctx, []store.Incoming{{Partition: store.PartitionOfClient(id), Type: store.EntryDue, ClientID: id, Body: body}}); err != nil {
			t.Fatal(err)
		}
	}
	press := func(prefix string) {
		t.Helper()
		do(func() { r.pressInline(chat, prefix) })
	}
	do(func() { r.emu.UserSays(chat, "/start "+inv.Code) })
	do(func() { r.emu.UserSays(chat, "mag ik morgen later komen?") })
	do(func() { r.emu.UserSays(chat, "✉️ Hulp met een brief") })
	do(func() {
		r.emu.UserSends(chat, map[string]any{"caption": "brief van de gemeente", "photo": []map[string]any{{"file_id": "ph1", "file_unique_id": "p", "width": 800, "height": 600, "file_size": 1234}}})
	})
	do(func() { due(scheduler.KindCheckin, sc.ID+":1:0", "") })
	press("mood:1:")
	press("chk:tell")
	do(func() { r.emu.UserSays(chat, "ik slaap slecht") })
	do(func() { due(scheduler.KindReminder, sc.ID+":2:0", "Pillen") })
	do(func() {
		if _, err := a.Pipeline.EnqueueCoachReply(ctx, pipeline.CoachInbound{ClientID: id, Reply: dialogs.CoachReply{PostID: "post" + id, Text: "tot morgen"}}); err != nil {
			t.Fatal(err)
		}
	})
	do(func() { r.emu.UserSays(chat, "ik wil niet meer leven") })
	c, _, err := a.Store.LoadClient(ctx, id)
	if err != nil || c.OpenAlert == "" || c.Moods == "" {
		t.Fatalf("after the flows: %+v %v", c, err)
	}
	if _, err := a.Store.RecordVerdict(ctx, store.Verdict{PostID: "verdict" + id, ClientID: id, Kind: store.VerdictRight, By: "piet", Via: "+1",
		At: time.Now(), Text: "ik wil niet meer leven", Severity: "urgent", Category: "suicide", LabelSeverity: "urgent", LabelCategory: "suicide"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Store.AckAlert(ctx, id, c.OpenAlert, "piet", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.AuditProgramme(ctx, "piet", "niveau "+id, "normaal", "intensief", time.Now()); err != nil {
		t.Fatal(err)
	}
	return id
}

// everything calls f with every key of the keyspace and each of its
// values, fields and members.
func everything(t *testing.T, rdb *redis.Client, f func(key, where, v string)) {
	t.Helper()
	ctx := context.Background()
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

// client wissen, end to end: after two clients went through every flow,
// wiping one (as the staff command does: stop, then wipe, while serve
// runs) leaves nothing of it in the whole keyspace: no key naming its
// id, no value holding it, nothing sealed under its data key. The access
// log keeps its entries, which name the client by a keyed pseudonym only.
// The other client keeps all its data.
func TestClientWissenLeavesNothingOfTheClient(t *testing.T) {
	r := newRig(t)
	r.cfg.Keys = seal.Ephemeral()
	a, stop := runApp(t, r.cfg, r.rdb, pipeline.Options{Replica: "wipe", Block: 50 * time.Millisecond})
	ctx := context.Background()
	gone := driveClient(t, r, a, "Sanne", 6101)
	kept := driveClient(t, r, a, "Ahmed", 6102)
	p := store.PartitionOfClient(gone)
	env, err := seal.Parse([]byte(r.rdb.HGet(ctx, p.Client(gone), "name").Val()))
	if err != nil {
		t.Fatal(err)
	}
	places := 0
	everything(t, r.rdb, func(k, where, v string) {
		if strings.Contains(v, gone) {
			places++
		}
	})
	t.Logf("before the wipe the client is in %d places", places)
	if _, err := a.Store.StopClient(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.WipeClient(ctx, gone); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // whatever was under way settles
	stop()
	everything(t, r.rdb, func(k, where, v string) {
		if strings.Contains(v, gone) {
			t.Errorf("%s %s holds the wiped client's id: %.100q", k, where, v)
		}
		if e, err := seal.Parse([]byte(v)); err == nil && e.KeyID == env.KeyID {
			t.Errorf("%s %s is sealed under the wiped client's data key", k, where)
		}
	})
	if es, err := a.Access.Entries(ctx, gone); err != nil || len(es) == 0 {
		t.Errorf("access log entries of the wiped client: %d %v (they are kept)", len(es), err)
	}
	c, ok, err := a.Store.LoadClient(ctx, kept)
	if err != nil || !ok || c.FirstName != "Ahmed" || c.ChatID != 6102 || c.Moods == "" {
		t.Fatalf("the other client: %+v %v %v", c, ok, err)
	}
	d, err := a.Store.ExportClient(ctx, kept)
	if err != nil || len(d.Alerts) != 1 || len(d.Verdicts) != 1 || len(d.Events) == 0 || len(d.Audit) == 0 {
		t.Fatalf("the other client's data: %d alerts, %d verdicts, %d events, %d audit entries, %v", len(d.Alerts), len(d.Verdicts), len(d.Events), len(d.Audit), err)
	}
}
