package coach_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/emulator"
	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/store"
)

// TestIntegrationCoachVerdict: on a real Mattermost the coach judges the
// client's posts with reactions and thread words; the verdicts are stored
// with the client's words and counted, the coach gets a private answer,
// and none of it reaches the client.
func TestIntegrationCoachVerdict(t *testing.T) {
	mmURL, botToken, team := os.Getenv("WAAKVLAM_MATTERMOST_URL"), os.Getenv("WAAKVLAM_MATTERMOST_TOKEN"), os.Getenv("WAAKVLAM_MATTERMOST_TEAM")
	coachToken, coachUser := os.Getenv("WAAKVLAM_MM_COACH1_TOKEN"), os.Getenv("WAAKVLAM_MM_COACH1_USERNAME")
	if mmURL == "" || botToken == "" || coachToken == "" {
		t.Skip("no real Mattermost: run deploy/mattermost-dev.sh start and source its env file (scripts/test.sh does)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	emu := emulator.New(token)
	tgsrv := httptest.NewServer(emu)
	defer tgsrv.Close()
	staffFile := filepath.Join(t.TempDir(), "staff.yaml")
	if err := os.WriteFile(staffFile, []byte("coaches:\n  - {username: "+coachUser+", name: Piet}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load("test", func(string) string { return "" }, []string{
		"-telegram-token", token, "-telegram-api-url", tgsrv.URL, "-http-addr", "", "-bot-username", "WaakTestBot",
		"-mattermost-url", mmURL, "-mattermost-token", botToken, "-mattermost-team", team, "-staff-file", staffFile,
		"-rate-global", "0", "-rate-chat", "0", "-verdict-retention", "24h",
	}, config.Need{Telegram: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPAddr, cfg.AdminAddr = "", ""
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	rdb := redistest.Client(t)
	a, err := app.New(cfg, rdb, log, pipeline.Options{Replica: "verdict", Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a.PollTimeout = time.Second
	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: "Noor", Coach: "Piet", CoachUser: coachUser, BotUsername: "b", TTL: time.Hour, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(runCtx) }()
	defer func() { stop(); <-done }()
	waitBridge(t, a)

	coach := mattermost.New(mmURL, coachToken)
	inbox := listenEphemeral(t, mmURL, coachToken)
	const chat = 7070
	emu.UserSays(chat, "/start "+inv.Code)
	waitSent(t, emu, chat, 3)
	channel := waitClientChannel(t, a, ctx)
	start := time.Now()

	// A flagged post and an ordinary one, each carrying the words.
	emu.UserSays(chat, "ik wil er niet meer zijn, ik wil dood")
	flagged := waitPost(t, coach, channel, start, func(p mattermost.Post) bool { return strings.Contains(p.Message, "Zorgsignaal: urgent") })
	emu.UserSays(chat, "Ik heb vandaag boodschappen gedaan bij de Jumbo")
	plain := waitPost(t, coach, channel, start, func(p mattermost.Post) bool { return strings.Contains(p.Message, "> Ik heb vandaag boodschappen") })
	if sev := plain.Props["wv_severity"]; sev != "none" {
		t.Fatalf("the ordinary message was classified %v; pick another sentence for this test", sev)
	}
	sentBefore := len(emu.Sent())

	verdictOn := func(post string) (store.Verdict, bool) {
		vs, err := a.Store.Verdicts(ctx, start.Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.PostID == post {
				return v, true
			}
		}
		return store.Verdict{}, false
	}
	waitVerdict := func(what, post string, ok func(v store.Verdict, found bool) bool) store.Verdict {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if v, found := verdictOn(post); ok(v, found) {
				return v
			}
			time.Sleep(100 * time.Millisecond)
		}
		v, found := verdictOn(post)
		t.Fatalf("%s: verdict %+v (found %v)", what, v, found)
		return v
	}

	// 1. 👍 on the alert: right, answered privately. Taken off: withdrawn.
	if err := coach.AddReaction(ctx, flagged.ID, "+1"); err != nil {
		t.Fatal(err)
	}
	v := waitVerdict("👍", flagged.ID, func(v store.Verdict, ok bool) bool { return ok && v.Kind == store.VerdictRight })
	if v.Text != "ik wil er niet meer zijn, ik wil dood" || v.Severity != "urgent" || v.LabelSeverity != "urgent" || v.By != coachUser {
		t.Fatalf("👍 verdict = %+v", v)
	}
	inbox.wait(t, "Genoteerd: terecht gemeld")
	if err := coach.RemoveReaction(ctx, flagged.ID, "+1"); err != nil {
		t.Fatal(err)
	}
	waitVerdict("👍 taken off", flagged.ID, func(_ store.Verdict, ok bool) bool { return !ok })
	inbox.wait(t, "weggehaald")

	// 2. "onterecht" in the thread: wrong; the word stays in Mattermost.
	if _, err := coach.CreatePost(ctx, mattermost.Post{ChannelID: channel, RootID: flagged.ID, Message: "onterecht"}, nil); err != nil {
		t.Fatal(err)
	}
	waitVerdict("onterecht", flagged.ID, func(v store.Verdict, ok bool) bool {
		return ok && v.Kind == store.VerdictWrong && v.LabelSeverity == "none"
	})
	inbox.wait(t, "hier was niets om je zorgen over te maken")

	// 3. 🚩 on the ordinary post: a miss found by the coach; a category
	// follows in the thread.
	if err := coach.AddReaction(ctx, plain.ID, "triangular_flag_on_post"); err != nil {
		t.Fatal(err)
	}
	waitVerdict("🚩", plain.ID, func(v store.Verdict, ok bool) bool {
		return ok && v.Kind == store.VerdictMissed && v.LabelSeverity == "high"
	})
	inbox.wait(t, "de bot had dit moeten zien")
	if _, err := coach.CreatePost(ctx, mattermost.Post{ChannelID: channel, RootID: plain.ID, Message: "zorgelijk geld"}, nil); err != nil {
		t.Fatal(err)
	}
	waitVerdict("zorgelijk geld", plain.ID, func(v store.Verdict, ok bool) bool { return ok && v.LabelCategory == "money" })

	// 4. A real answer in the same thread still reaches the client.
	before := countSent(emu, chat)
	if _, err := coach.CreatePost(ctx, mattermost.Post{ChannelID: channel, RootID: plain.ID, Message: "Fijn dat je boodschappen hebt gedaan."}, nil); err != nil {
		t.Fatal(err)
	}
	got := waitSent(t, emu, chat, before+1)
	if last := got[len(got)-1]; !strings.Contains(last.Text, "Fijn dat je boodschappen") {
		t.Fatalf("client got %q", last.Text)
	}
	for _, m := range emu.Sent()[sentBefore:] {
		for _, w := range []string{"onterecht", "zorgelijk", "Genoteerd"} {
			if strings.Contains(m.Text, w) {
				t.Fatalf("%q reached the client: %q", w, m.Text)
			}
		}
	}

	// Counted once each; domain events without text.
	for kind, want := range map[string]float64{"right": 1, "wrong": 1, "missed": 1, "under": 0} {
		if got := a.Metrics.Verdicts.With(kind).Value(); got != want {
			t.Errorf("verdicts{kind=%s} = %v, want %v", kind, got, want)
		}
	}
	evs, _ := a.Store.Events(ctx, store.PartitionOfClient(v.ClientID))
	var kinds []string
	for _, e := range evs {
		if strings.HasPrefix(e.Kind, "signal_") && e.Kind != "signal_escalated" {
			kinds = append(kinds, e.Kind)
		}
	}
	if got := strings.Join(kinds, ","); got != "signal_confirmed,signal_verdict_withdrawn,signal_rejected,signal_missed" {
		t.Fatalf("events = %s", got)
	}
	if errs := emu.Errors(); len(errs) > 0 {
		t.Fatalf("telegram protocol errors: %v", errs)
	}
}

// countSent counts the text messages sent to chat so far.
func countSent(emu *emulator.Server, chat int64) int {
	n := 0
	for _, m := range emu.Sent() {
		if m.ChatID == chat && m.Method == "sendMessage" {
			n++
		}
	}
	return n
}

// ephemeralInbox collects the ephemeral posts a user is shown, from the
// user's own WebSocket: they are never stored, so REST cannot see them.
type ephemeralInbox struct {
	mu   sync.Mutex
	msgs []string
}

func listenEphemeral(t *testing.T, baseURL, userToken string) *ephemeralInbox {
	t.Helper()
	ws, err := model.NewWebSocketClient4("ws"+strings.TrimPrefix(baseURL, "http"), userToken)
	if err != nil {
		t.Fatal(err)
	}
	ws.Listen()
	in := &ephemeralInbox{}
	go func() {
		for ev := range ws.EventChannel {
			if ev.EventType() != model.WebsocketEventEphemeralMessage {
				continue
			}
			raw, _ := ev.GetData()["post"].(string)
			var p model.Post
			if json.Unmarshal([]byte(raw), &p) == nil {
				in.mu.Lock()
				in.msgs = append(in.msgs, p.Message)
				in.mu.Unlock()
			}
		}
	}()
	t.Cleanup(ws.Close)
	return in
}

func (in *ephemeralInbox) wait(t *testing.T, substr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		in.mu.Lock()
		for _, m := range in.msgs {
			if strings.Contains(m, substr) {
				in.mu.Unlock()
				return
			}
		}
		in.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	t.Fatalf("no private answer containing %q; got %q", substr, in.msgs)
}
