package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func coachPosts(t *testing.T, a *app.App, clientID string) []pipeline.CoachPost {
	t.Helper()
	p := store.PartitionOfClient(clientID)
	msgs, err := a.Store.Redis().XRange(context.Background(), p.CoachQueue(), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []pipeline.CoachPost
	for _, m := range msgs {
		var cp pipeline.CoachPost
		if err := json.Unmarshal([]byte(m.Values["m"].(string)), &cp); err != nil {
			t.Fatal(err)
		}
		out = append(out, cp)
	}
	return out
}

func waitPosts(t *testing.T, a *app.App, clientID string, kind string, n int) []pipeline.CoachPost {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []pipeline.CoachPost
		for _, cp := range coachPosts(t, a, clientID) {
			if string(cp.Kind) == kind {
				got = append(got, cp)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) < n {
				t.Fatalf("%d %s posts, want %d", len(got), kind, n)
			}
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An urgent message gets the safety reply at once and the coach an alert;
// an alert nobody picks up goes to the backup coach and then the on-call
// project leader on time; an alert that was picked up goes nowhere.
func TestUrgentMessageAlertsAndEscalatesUntilPickedUp(t *testing.T) {
	r := newRig(t)
	dir, err := staff.ParseDirectory([]byte("coaches:\n  - {username: coach-piet, name: Piet, backup: coach-sanne}\n  - {username: coach-sanne, name: Sanne}\nproject_leaders: [pl-anna]\non_call: pl-anna\n"))
	if err != nil {
		t.Fatal(err)
	}
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	dir.Location = ams
	clk := &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, ams)} // a Monday, in coach hours
	a, stop := runApp(t, r.cfg, r.rdb, pipeline.Options{Replica: "s", Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second,
		Now: clk.Now, Escalation: app.Escalation(dir)})
	defer stop()
	ctx := context.Background()

	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: "Noor", Coach: "Piet", CoachUser: "coach-piet", BackupUser: "coach-sanne",
		BotUsername: "b", TTL: time.Hour, Now: clk.Now()})
	if err != nil {
		t.Fatal(err)
	}
	const chat = 606
	r.emu.UserSays(chat, "/start "+inv.Code)
	r.waitTexts(chat, 3)

	r.emu.UserSays(chat, "ik wil niet meer leven")
	got := r.waitTexts(chat, 6)
	// In coach hours: the coach by name, today; then 113; then "Ben je nu veilig?".
	if !strings.Contains(got[3], "Piet neemt vandaag contact met je op") || !strings.Contains(got[4], "0800 0113") || !strings.Contains(got[5], "Ben je nu veilig?") {
		t.Fatalf("safety reply = %q", got[3:])
	}
	sig := waitPosts(t, a, inv.ClientID, "signal", 1)[0]
	if sig.Severity != "urgent" || sig.Category != "suicide" || sig.Text != "ik wil niet meer leven" || sig.AlertID == "" || !sig.Priority {
		t.Fatalf("coach alert = %+v", sig)
	}

	clk.Add(14 * time.Minute)
	time.Sleep(1500 * time.Millisecond)
	if n := len(waitPosts(t, a, inv.ClientID, "escalation", 0)); n != 0 {
		t.Fatalf("escalated after 14 minutes")
	}
	clk.Add(2 * time.Minute)
	esc := waitPosts(t, a, inv.ClientID, "escalation", 1)
	if esc[0].Target != "coach-sanne" || esc[0].AlertID != sig.AlertID {
		t.Fatalf("first escalation = %+v", esc[0])
	}
	clk.Add(16 * time.Minute)
	esc = waitPosts(t, a, inv.ClientID, "escalation", 2)
	if esc[1].Target != "pl-anna" {
		t.Fatalf("second escalation = %+v", esc[1])
	}
	clk.Add(time.Hour)
	time.Sleep(1500 * time.Millisecond)
	if n := len(waitPosts(t, a, inv.ClientID, "escalation", 2)); n != 2 {
		t.Fatalf("%d escalations, want 2 (backup, on-call)", n)
	}

	// A second alert, picked up in time, stops there.
	r.emu.UserSays(chat, "ik ga mezelf wat aandoen")
	r.waitTexts(chat, 9)
	sigs := waitPosts(t, a, inv.ClientID, "signal", 2)
	second := sigs[1].AlertID
	if second == "" || second == sig.AlertID {
		t.Fatalf("second alert id %q", second)
	}
	res, _, err := a.Store.AckAlert(ctx, inv.ClientID, second, "coach-piet", clk.Now(), nil)
	if err != nil || res != store.AckDone {
		t.Fatalf("ack: %v %v", res, err)
	}
	clk.Add(2 * time.Hour)
	time.Sleep(1500 * time.Millisecond)
	for _, e := range waitPosts(t, a, inv.ClientID, "escalation", 2) {
		if e.AlertID == second {
			t.Fatal("a picked-up alert escalated")
		}
	}
	audit, err := a.Store.Audit(ctx, store.PartitionOfClient(inv.ClientID))
	if err != nil {
		t.Fatal(err)
	}
	var whats []string
	for _, e := range audit {
		whats = append(whats, e.What+":"+e.Who+">"+e.To)
	}
	want := "alert_raised:waakvlam>,alert_escalated:waakvlam>coach-sanne,alert_escalated:waakvlam>pl-anna,alert_raised:waakvlam>,alert_acknowledged:coach-piet>"
	if strings.Join(whats, ",") != want {
		t.Fatalf("audit = %v", whats)
	}
}

// pressInline presses the inline button with data prefix on the last
// message to chat that has one.
func (r *rig) pressInline(chat int64, prefix string) {
	r.t.Helper()
	m := r.lastWithButtons(chat)
	for _, row := range m.Inline {
		for _, b := range row {
			if strings.HasPrefix(b.Data, prefix) {
				r.emu.UserPresses(chat, m.MessageID, b.Data)
				return
			}
		}
	}
	r.t.Fatalf("no button %s* in %+v", prefix, m.Inline)
}

// Every chat is safe: a stranger in crisis gets 113 at once, also past
// the flood limit, and "Ben je nu veilig?"; Nee gets 112. Nothing more
// is kept about the stranger than a hashed counter.
func TestStrangerInCrisisGets113AndNothingIsKept(t *testing.T) {
	r := newRig(t)
	r.start("a")
	const chat = 880123
	r.emu.UserSays(chat, "ik wil niet meer leven")
	got := r.waitTexts(chat, 3)
	if !strings.Contains(got[0], "Ik ben een computer") || !strings.Contains(got[1], "0800 0113") || !strings.Contains(got[2], "Ben je nu veilig?") {
		t.Fatalf("crisis replies = %q", got)
	}
	r.pressInline(chat, "safe:n:")
	got = r.waitTexts(chat, 4)
	if !strings.Contains(got[3], "Bel nu 112") {
		t.Fatalf("not safe = %q", got[3])
	}
	for i := 0; i < 4; i++ {
		r.emu.UserSays(chat, "hallo")
	}
	// The sixth message this hour and past the flood limit: help all the same.
	time.Sleep(300 * time.Millisecond)
	r.emu.UserSays(chat, "ik wil niet meer leven")
	got = r.waitTexts(chat, 8)
	if !strings.Contains(got[4], "voor mensen met een coach") || !strings.Contains(got[6], "0800 0113") || len(got) != 8 {
		t.Fatalf("after the flood limit = %q", got[4:])
	}
	if errs := r.emu.Errors(); len(errs) > 0 {
		t.Fatalf("protocol errors: %v", errs)
	}
	time.Sleep(200 * time.Millisecond)
	ctx := context.Background()
	keys, _ := r.rdb.Keys(ctx, "*").Result()
	for _, k := range keys {
		if strings.Contains(k, "880123") || strings.Contains(k, ":cl:") || strings.Contains(k, ":link:") || strings.Contains(k, ":alert") {
			t.Errorf("key kept for the stranger: %s", k)
		}
		if r.rdb.Type(ctx, k).Val() == "stream" {
			for _, e := range r.rdb.XRange(ctx, k, "-", "+").Val() {
				for _, v := range e.Values {
					if s, _ := v.(string); strings.Contains(s, "leven") || strings.Contains(s, "880123") {
						t.Errorf("stream %s keeps the stranger's words", k)
					}
				}
			}
		}
	}
}

// A client who stopped is a stranger again, and still gets the helplines.
func TestStoppedClientInCrisisGets113(t *testing.T) {
	r := newRig(t)
	id := r.invite("Lot", "STOP2345")
	a, _ := r.start("a")
	const chat = 4455
	r.emu.UserSays(chat, "/start STOP2345")
	r.waitTexts(chat, 3)
	r.emu.UserSays(chat, "/stop")
	r.waitTexts(chat, 4)
	r.pressInline(chat, "stop:yes")
	r.waitTexts(chat, 5)
	r.emu.UserSays(chat, "ik wil niet meer leven")
	got := r.waitTexts(chat, 8)
	if !strings.Contains(got[5], "Ik ben een computer") || !strings.Contains(got[6], "0800 0113") || !strings.Contains(got[7], "Ben je nu veilig?") {
		t.Fatalf("stopped client in crisis = %q", got[5:])
	}
	for _, cp := range coachPosts(t, a, id) {
		if cp.Kind == "signal" {
			t.Errorf("a stopped client's words reached the coach queue: %+v", cp.Kind)
		}
	}
	if errs := r.emu.Errors(); len(errs) > 0 {
		t.Fatalf("protocol errors: %v", errs)
	}
}
