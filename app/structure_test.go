package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/emulator"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/programme"
	"github.com/waakvlam/waakvlam/scheduler"
)

func lastInline(r *rig, chat int64) emulator.Message {
	var last emulator.Message
	for _, m := range r.emu.Sent() {
		if m.ChatID == chat && len(m.Inline) > 0 {
			last = m
		}
	}
	return last
}

// A daily reminder reaches the client with buttons; ✅ Gedaan gets praise,
// ⏰ Straks brings it back later; three missed in a row is a quiet signal
// for the coach; two low moods are a signal; a client who stays silent for
// the level's time is a signal ("stil signaal").
func TestRemindersCheckinsAndQuietSignals(t *testing.T) {
	r := newRig(t)
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	clk := &clock{t: time.Date(2026, 12, 1, 7, 0, 0, 0, ams)} // Tuesday
	a, stop := runApp(t, r.cfg, r.rdb, pipeline.Options{Replica: "s", Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second, Now: clk.Now})
	defer stop()
	ctx := context.Background()

	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: "Noor", Coach: "Piet", BotUsername: "b", TTL: time.Hour, Now: clk.Now()})
	if err != nil {
		t.Fatal(err)
	}
	const chat = 707
	r.emu.UserSays(chat, "/start "+inv.Code)
	r.waitTexts(chat, 3)
	if err := a.Pipeline.ApplyLevel(ctx, inv.ClientID, programme.Licht); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Schedules.Add(ctx, scheduler.Schedule{ID: "pil", ClientID: inv.ClientID, Kind: scheduler.KindReminder, Spec: "elke dag om 8:00", Text: "Pillen", Emoji: "💊"}); err != nil {
		t.Fatal(err)
	}

	// Day 1, 08:00: the reminder; Gedaan.
	clk.Add(time.Hour)
	got := r.waitTexts(chat, 4)
	if !strings.Contains(got[3], "💊") || !strings.Contains(got[3], "Pillen") {
		t.Fatalf("reminder = %q", got[3])
	}
	rem := lastInline(r, chat)
	if len(rem.Inline) == 0 || !strings.HasPrefix(rem.Inline[0][0].Data, "rem:done:") {
		t.Fatalf("reminder buttons = %v", rem.Inline)
	}
	r.emu.UserPresses(chat, rem.MessageID, rem.Inline[0][0].Data)
	got = r.waitTexts(chat, 5)
	r.emu.UserSays(chat, "📅 Mijn dag")
	got = r.waitTexts(chat, 6)
	if !strings.Contains(got[5], "08:00 💊 Pillen") {
		t.Fatalf("my day = %q", got[5])
	}

	// Three days not answered: one quiet signal, no reproach to the client.
	for day := 0; day < 3; day++ {
		clk.Add(24 * time.Hour)
		got = r.waitTexts(chat, 7+day)
		clk.Add(3 * time.Hour) // past the grace time
		time.Sleep(1200 * time.Millisecond)
		clk.Add(-3 * time.Hour)
	}
	missed := waitPosts(t, a, inv.ClientID, "signal", 1)
	if missed[0].Info != pipeline.InfoMissed {
		t.Fatalf("signal = %+v", missed[0])
	}
	for _, s := range got {
		if strings.Contains(strings.ToLower(s), "vergeten") || strings.Contains(strings.ToLower(s), "gemist") {
			t.Fatalf("client reproached: %q", s)
		}
	}

	// Check-in (intensief: every day at 10:00): two low moods are a signal.
	if err := a.Pipeline.ApplyLevel(ctx, inv.ClientID, programme.Intensief); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		before := len(r.emu.Sent())
		clk.Add(2 * time.Hour) // 10:00 (then 12:00 the next round... moves on a day below)
		deadline := time.Now().Add(5 * time.Second)
		var ci emulator.Message
		for time.Now().Before(deadline) {
			if m := lastInline(r, chat); len(m.Inline) > 0 && strings.HasPrefix(m.Inline[0][0].Data, "mood:") && len(r.emu.Sent()) > before {
				ci = m
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if ci.MessageID == 0 || len(ci.Inline) == 0 {
			t.Fatalf("no check-in on round %d", i)
		}
		var sad string
		for _, row := range ci.Inline {
			for _, b := range row {
				if strings.HasPrefix(b.Data, "mood:1:") {
					sad = b.Data
				}
			}
		}
		r.emu.UserPresses(chat, ci.MessageID, sad)
		time.Sleep(500 * time.Millisecond)
		clk.Add(22 * time.Hour)
		// A word now and then keeps the silence clock from running out.
		r.emu.UserSays(chat, "hoi")
		time.Sleep(300 * time.Millisecond)
	}
	signals := waitPosts(t, a, inv.ClientID, "signal", 2)
	if signals[1].Info != pipeline.InfoLowMood {
		t.Fatalf("low mood signal = %+v", signals[1])
	}

	// Silence: intensief means one day without any reaction.
	clk.Add(30 * time.Hour)
	signals = waitPosts(t, a, inv.ClientID, "signal", 3)
	found := false
	for _, s := range signals {
		found = found || s.Info == pipeline.InfoSilent
	}
	if !found {
		t.Fatalf("no silence signal: %+v", signals)
	}
	if errs := r.emu.Errors(); len(errs) > 0 {
		t.Fatalf("protocol errors: %v", errs)
	}
}

func TestGroupGivesLevelAndDefaultReminders(t *testing.T) {
	r := newRig(t)
	r.cfg.ProgrammeFile = "../programme/example.yaml"
	a, err := app.New(r.cfg, r.rdb, quiet(), pipeline.Options{Replica: "g"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id := r.invite("Ravi", "GROEP234")
	for i := 0; i < 2; i++ { // twice: the same schedules, not more
		if err := a.Pipeline.ApplyGroup(ctx, id, "Jongeren"); err != nil {
			t.Fatal(err)
		}
	}
	list, err := a.Schedules.List(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range list {
		kinds = append(kinds, string(s.Kind)+":"+s.Emoji+s.Text)
	}
	got := strings.Join(kinds, ",")
	if len(list) != 3 || !strings.Contains(got, "reminder:⏰Opstaan") || !strings.Contains(got, "checkin:") {
		t.Fatalf("schedules = %s", got)
	}
	c, _, _ := a.Store.LoadClient(ctx, id)
	if c.Level != string(programme.Normaal) {
		t.Fatalf("level %q", c.Level)
	}
	if err := a.Pipeline.ApplyGroup(ctx, id, "astronauten"); !errors.Is(err, pipeline.ErrNoGroup) {
		t.Fatalf("unknown group: %v", err)
	}
}

// ⏰ Straks brings the reminder back half an hour later, and counts as an
// answer: it is not missed.
func TestSnoozeBringsTheReminderBack(t *testing.T) {
	r := newRig(t)
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	clk := &clock{t: time.Date(2026, 12, 1, 7, 59, 0, 0, ams)}
	a, stop := runApp(t, r.cfg, r.rdb, pipeline.Options{Replica: "z", Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second, Now: clk.Now})
	defer stop()
	ctx := context.Background()
	inv, _ := invite.Create(ctx, a.Store, invite.Request{FirstName: "Noor", Coach: "Piet", BotUsername: "b", TTL: time.Hour, Now: clk.Now()})
	const chat = 909
	r.emu.UserSays(chat, "/start "+inv.Code)
	r.waitTexts(chat, 3)
	if _, err := a.Schedules.Add(ctx, scheduler.Schedule{ID: "afval", ClientID: inv.ClientID, Kind: scheduler.KindReminder, Spec: "elke dag om 8:00", Text: "Afval buiten", Emoji: "🗑️"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	got := r.waitTexts(chat, 4)
	if !strings.Contains(got[3], "🗑️ Afval buiten") {
		t.Fatalf("reminder = %q", got[3])
	}
	rem := lastInline(r, chat)
	later := rem.Inline[0][1].Data
	if !strings.HasPrefix(later, "rem:later:") {
		t.Fatalf("no ⏰ Straks button: %v", rem.Inline)
	}
	r.emu.UserPresses(chat, rem.MessageID, later)
	got = r.waitTexts(chat, 5)
	if !strings.Contains(got[4], "8:30") {
		t.Fatalf("snooze answer = %q", got[4])
	}
	time.Sleep(500 * time.Millisecond)
	clk.Add(31 * time.Minute)
	got = r.waitTexts(chat, 6)
	if !strings.Contains(got[5], "🗑️ Afval buiten") {
		t.Fatalf("snoozed reminder = %q", got[5])
	}
	clk.Add(3 * time.Hour) // past the grace time of the first one: it was answered
	time.Sleep(1500 * time.Millisecond)
	c, _, _ := a.Store.LoadClient(ctx, inv.ClientID)
	if c.MissRun > 1 {
		t.Fatalf("a snoozed reminder counted as missed: run %d", c.MissRun)
	}
}
