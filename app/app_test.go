package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/bot"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/emulator"
	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/store"
)

func TestMain(m *testing.M) { redistest.Main(m) }

const token = "123456:TESTTOKENTESTTOKENTESTTOKEN"

type rig struct {
	t   *testing.T
	emu *emulator.Server
	rdb *redis.Client
	cfg config.Config
}

func newRig(t *testing.T) *rig {
	emu := emulator.New(token)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	cfg, _, err := config.Load("test", func(string) string { return "" }, []string{
		"-telegram-token", token, "-telegram-api-url", srv.URL, "-redis-url", "redis://unused", "-http-addr", "",
		// Functional tests: Telegram's limits are tested in ratelimit and loadtest.
		"-rate-global", "0", "-rate-chat", "0",
	}, config.Need{Telegram: true, Redis: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPAddr, cfg.AdminAddr = "", ""
	return &rig{t: t, emu: emu, rdb: redistest.Client(t), cfg: cfg}
}

func quiet() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// start runs one replica until the test ends; stop ends it early.
func (r *rig) start(replica string) (a *app.App, stop func()) {
	return runApp(r.t, r.cfg, r.rdb, pipeline.Options{Replica: replica, Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second})
}

// runApp assembles and runs one replica until stop (also at the end of
// the test); stop may be called more than once.
func runApp(t *testing.T, cfg config.Config, rdb redis.UniversalClient, opt pipeline.Options, more ...app.Option) (*app.App, func()) {
	t.Helper()
	a, err := app.New(cfg, rdb, quiet(), opt, more...)
	if err != nil {
		t.Fatal(err)
	}
	a.PollTimeout = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return a, stop
}

func (r *rig) invite(name, code string) string {
	st := store.New(r.rdb, nil)
	st.SetSecret(store.ServerSecret(token)) // as serve keys invite codes
	inv, err := invite.Create(context.Background(), st, invite.Request{FirstName: name, Coach: "Piet", BotUsername: "bot", TTL: time.Hour, Code: code, Now: time.Now()})
	if err != nil {
		r.t.Fatal(err)
	}
	return inv.ClientID
}

func texts(ms []emulator.Message) []string {
	var out []string
	for _, m := range ms {
		if m.Method == "sendMessage" {
			out = append(out, m.Text)
		}
	}
	return out
}

// waitTexts waits for n sendMessage calls to chat and returns their texts.
func (r *rig) waitTexts(chat int64, n int) []string {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []emulator.Message
		for _, m := range r.emu.Sent() {
			if m.ChatID == chat && m.Method == "sendMessage" {
				got = append(got, m)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) < n {
				r.t.Fatalf("chat %d got %d messages, want %d: %q", chat, len(got), n, texts(got))
			}
			return texts(got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) lastWithButtons(chat int64) emulator.Message {
	var last emulator.Message
	for _, m := range r.emu.Sent() {
		if m.ChatID == chat && (len(m.Inline) > 0 || len(m.Menu) > 0) {
			last = m
		}
	}
	return last
}

func TestOnboardingMenuAndStopOverPolling(t *testing.T) {
	r := newRig(t)
	r.invite("Sanne", "WELKOM22")
	r.start("a")
	const chat = 1001
	r.emu.UserSays(chat, "/start WELKOM22")
	got := r.waitTexts(chat, 3)
	if !strings.Contains(got[0], "Hallo Sanne") || !strings.Contains(got[1], "Piet is je coach") {
		t.Fatalf("welcome = %q", got[:2])
	}
	menu := r.lastWithButtons(chat).Menu
	if len(menu) != 4 || menu[0][0] != "💬 Vraag aan mijn coach" || menu[3][0] != "❓ Help" {
		t.Fatalf("menu = %v", menu)
	}
	r.emu.UserSays(chat, "📅 Mijn dag")
	got = r.waitTexts(chat, 4)
	if !strings.Contains(got[3], "niets op je lijst") {
		t.Fatalf("coming-soon reply = %q", got[2])
	}
	r.emu.UserSays(chat, "/stop")
	r.waitTexts(chat, 5)
	confirm := r.lastWithButtons(chat)
	if len(confirm.Inline) != 1 || confirm.Inline[0][0].Data != "stop:yes" {
		t.Fatalf("stop confirm buttons = %v", confirm.Inline)
	}
	r.emu.UserPresses(chat, confirm.MessageID, "stop:yes")
	got = r.waitTexts(chat, 6)
	if !strings.Contains(got[5], "gestopt") {
		t.Fatalf("stop reply = %q", got[5])
	}
	// Unlinked now: the chat is a stranger again and the old code is spent
	// for a new phone.
	r.emu.UserSays(chat, "hallo?")
	got = r.waitTexts(chat, 7)
	if !strings.Contains(got[6], "voor mensen met een coach") {
		t.Fatalf("after stop = %q", got[6])
	}
	r.emu.UserSays(2002, "/start WELKOM22")
	if got := r.waitTexts(2002, 1); !strings.Contains(got[0], "code werkt niet") {
		t.Fatalf("spent code = %q", got[0])
	}
	if errs := r.emu.Errors(); len(errs) > 0 {
		t.Fatalf("protocol errors: %v", errs)
	}
	if r.emu.Calls("answerCallbackQuery") != 1 {
		t.Fatalf("button press not answered")
	}
	for _, lang := range []string{"", "nl", "en"} {
		if len(r.emu.Commands(lang)) != 4 {
			t.Errorf("command menu %q = %v", lang, r.emu.Commands(lang))
		}
	}
}

func TestStrangerGetsAKindNoAndNothingIsKept(t *testing.T) {
	r := newRig(t)
	r.start("a")
	const chat = 555123
	r.emu.UserSays(chat, "Hoi, mijn naam is Kees en mijn nummer is 0612345678")
	got := r.waitTexts(chat, 1)
	if !strings.Contains(got[0], "voor mensen met een coach") {
		t.Fatalf("refusal = %q", got[0])
	}
	for i := 0; i < 6; i++ {
		r.emu.UserSays(chat, "hallo")
	}
	r.emu.UserSays(chat, "/start FOUT")
	time.Sleep(500 * time.Millisecond)
	if n := len(r.waitTexts(chat, 1)); n > 1+2 {
		t.Fatalf("flooding stranger got %d answers", n)
	}
	ctx := context.Background()
	keys, _ := r.rdb.Keys(ctx, "*").Result()
	for _, k := range keys {
		if strings.Contains(k, "555123") {
			t.Errorf("key names the stranger: %s", k)
		}
		if typ := r.rdb.Type(ctx, k).Val(); typ == "stream" {
			entries, _ := r.rdb.XRange(ctx, k, "-", "+").Result()
			for _, e := range entries {
				for _, v := range e.Values {
					if s, _ := v.(string); strings.Contains(s, "Kees") || strings.Contains(s, "0612345678") {
						t.Errorf("stream %s keeps the stranger's words", k)
					}
				}
			}
		}
		if strings.Contains(k, ":cl:") || strings.Contains(k, ":link:") {
			t.Errorf("stranger got a record: %s", k)
		}
	}
}

func TestOddInputGetsCalmAnswers(t *testing.T) {
	r := newRig(t)
	r.invite("Ali", "ODD12345")
	r.start("a")
	const chat = 77
	r.emu.UserSays(chat, "/start ODD12345")
	r.waitTexts(chat, 3)
	r.emu.UserSends(chat, map[string]any{"sticker": map[string]any{"file_id": "s1", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1, "is_animated": false, "is_video": false}})
	r.emu.UserSends(chat, map[string]any{"animation": map[string]any{"file_id": "g1", "file_unique_id": "u", "width": 1, "height": 1, "duration": 1}})
	r.emu.UserEdits(chat, "veranderd")
	r.emu.UserPresses(chat, 9999, "oud:knopje")
	r.emu.UserSays(chat, strings.Repeat("lang verhaal ", 400))
	got := r.waitTexts(chat, 8)
	for i, want := range []string{"Plaatjes kan ik niet lezen", "Plaatjes kan ik niet lezen", "bericht veranderd", "knop werkt niet meer", "lang bericht"} {
		if !strings.Contains(got[3+i], want) {
			t.Errorf("reply %d = %q, want %q", i, got[3+i], want)
		}
	}
	if errs := r.emu.Errors(); len(errs) > 0 {
		t.Fatalf("protocol errors: %v", errs)
	}
}

func TestAnUpdateDeliveredTwiceIsAnsweredOnce(t *testing.T) {
	r := newRig(t)
	a, _ := r.start("a")
	raw := []byte(`{"update_id":900,"message":{"message_id":1,"date":1,"chat":{"id":31,"type":"private"},"from":{"id":31,"is_bot":false,"first_name":"x"},"text":"hoi"}}`)
	u, err := bot.ParseUpdate(raw)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := a.Pipeline.Intake(context.Background(), []bot.Update{u}); err != nil {
			t.Fatal(err)
		}
	}
	r.waitTexts(31, 1)
	time.Sleep(300 * time.Millisecond)
	if n := len(r.waitTexts(31, 1)); n != 1 {
		t.Fatalf("answered %d times", n)
	}
}

func TestWebhookRefusesForgedRequestsAndStoresRealOnes(t *testing.T) {
	r := newRig(t)
	r.cfg.Mode = "webhook"
	r.cfg.WebhookURL = "https://example.invalid/hook/telegram"
	r.cfg.WebhookSecret = "s3cret-s3cret-s3cret"
	a, err := app.New(r.cfg, r.rdb, quiet(), pipeline.Options{Replica: "w"})
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	body := `{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":8,"type":"private"},"text":"hoi"}}`
	post := func(secret, b string) int {
		req := httptest.NewRequest(http.MethodPost, "/hook/telegram", bytes.NewBufferString(b))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if c := post("", body); c != http.StatusUnauthorized {
		t.Fatalf("no secret: %d", c)
	}
	if c := post("wrong-wrong-wrong-wrong", body); c != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", c)
	}
	if c := post(r.cfg.WebhookSecret, "{not json"); c != http.StatusBadRequest {
		t.Fatalf("bad body: %d", c)
	}
	if n := intakeLen(t, r.rdb); n != 0 {
		t.Fatalf("forged requests stored %d entries", n)
	}
	if c := post(r.cfg.WebhookSecret, body); c != http.StatusOK {
		t.Fatalf("real update: %d", c)
	}
	if c := post(r.cfg.WebhookSecret, body); c != http.StatusOK {
		t.Fatalf("redelivered update: %d", c)
	}
	if n := intakeLen(t, r.rdb); n != 1 {
		t.Fatalf("stored %d entries for one update delivered twice", n)
	}
	// The probes answer on both listeners; /metrics only on the admin one.
	admin := a.AdminHandler()
	for _, c := range []struct {
		h    http.Handler
		path string
		want int
	}{
		{h, "/healthz", 200}, {h, "/readyz", 200}, {h, "/metrics", 404},
		{admin, "/healthz", 200}, {admin, "/readyz", 200}, {admin, "/metrics", 200}, {admin, "/hook/telegram", 404},
	} {
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		if rec.Code != c.want {
			t.Errorf("%s = %d, want %d", c.path, rec.Code, c.want)
		}
		if c.want == 200 && c.path == "/metrics" && !strings.Contains(rec.Body.String(), "waakvlam_outbox_depth{lane=") {
			t.Errorf("metrics lack queue depths:\n%s", rec.Body.String())
		}
	}
}

func intakeLen(t *testing.T, rdb *redis.Client) int64 {
	var n int64
	for p := store.Partition(0); p < store.Partitions; p++ {
		n += rdb.XLen(context.Background(), p.Intake()).Val()
	}
	return n
}

// A worker that read an update and died before committing leaves it
// pending; the next owner of the partition answers it exactly once.
func TestWorkReadByADeadReplicaIsFinishedOnce(t *testing.T) {
	r := newRig(t)
	r.invite("Bo", "CRASH123")
	ctx := context.Background()
	st := store.New(r.rdb, nil)
	for i := 0; i < 20; i++ {
		r.emu.UserSays(int64(3000+i), "/start CRASH123")
	}
	// Replica "dead" stores the updates, reads them and dies.
	a, _ := app.New(r.cfg, r.rdb, quiet(), pipeline.Options{Replica: "dead"})
	p := &bot.Poller{APIURL: r.cfg.TelegramAPIURL, Token: token, LeaseKey: store.PollLease, Replica: "dead", Leases: st, Sink: a.Pipeline, Log: quiet(), Timeout: time.Second}
	pctx, cancel := context.WithCancel(ctx)
	go func() { _ = p.Run(pctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for intakeLen(t, r.rdb) < 20 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if n := intakeLen(t, r.rdb); n != 20 {
		t.Fatalf("stored %d of 20", n)
	}
	for part := store.Partition(0); part < store.Partitions; part++ {
		_ = st.EnsureGroups(ctx, part)
		if _, err := st.ReadIntake(ctx, part, 100, time.Millisecond, false); err != nil {
			t.Fatal(err)
		}
	}
	r.start("next")
	for i := 0; i < 20; i++ {
		r.waitTexts(int64(3000+i), 1)
	}
	time.Sleep(300 * time.Millisecond)
	total := 0
	for i := 0; i < 20; i++ {
		total += len(r.waitTexts(int64(3000+i), 1))
	}
	// One chat wins the code (welcome, coach, menu), nineteen get the refusal.
	if total != 3+19 {
		t.Fatalf("sent %d messages, want 22", total)
	}
}

// Messages committed to the outbox survive a crash before sending and go
// out once; a Telegram 429 and 500 delay them but lose nothing.
func TestOutboxSurvivesRestartAndTelegramErrors(t *testing.T) {
	r := newRig(t)
	r.invite("Noor", "RETRY234")
	r.emu.Fail("sendMessage", emulator.Failure{Code: 429, RetryAfter: 1, Times: 1})
	_, stop := r.start("a")
	r.emu.UserSays(42, "/start RETRY234")
	r.waitTexts(42, 3)
	r.emu.Fail("sendMessage", emulator.Failure{Code: 500, Times: 2})
	r.emu.UserSays(42, "❓ Help")
	time.Sleep(150 * time.Millisecond)
	stop()
	r.start("b")
	got := r.waitTexts(42, 5)
	time.Sleep(300 * time.Millisecond)
	if got = r.waitTexts(42, 5); len(got) != 5 {
		t.Fatalf("got %d messages: %q", len(got), got)
	}
}

func TestTwoReplicasShareTheWorkAndAnswerOnce(t *testing.T) {
	r := newRig(t)
	r.start("a")
	r.start("b")
	for i := 0; i < 40; i++ {
		r.emu.UserSays(int64(7000+i), "hoi")
	}
	for i := 0; i < 40; i++ {
		r.waitTexts(int64(7000+i), 1)
	}
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 40; i++ {
		if n := len(r.waitTexts(int64(7000+i), 1)); n != 1 {
			t.Fatalf("chat %d answered %d times", 7000+i, n)
		}
	}
	owners := map[string]int{}
	for p := store.Partition(0); p < store.Partitions; p++ {
		owners[r.rdb.Get(context.Background(), p.Lease()).Val()]++
	}
	if owners["a"] == 0 || owners["b"] == 0 {
		t.Logf("partition owners: %v (spreading takes a lease period)", owners)
	}
}

// A client who blocked the bot: Telegram's 403 is not retried, and the
// coach is told once, not for every message.
func TestBlockedClientIsReportedToTheCoachOnce(t *testing.T) {
	r := newRig(t)
	id := r.invite("Kim", "BLOCK234")
	a, _ := r.start("a")
	r.emu.UserSays(55, "/start BLOCK234")
	r.waitTexts(55, 3)
	r.emu.Fail("sendMessage", emulator.Failure{Code: 403, Times: 2})
	r.emu.UserSays(55, "hoi")
	r.emu.UserSays(55, "hallo")
	deadline := time.Now().Add(10 * time.Second)
	var notices []pipeline.CoachPost
	for time.Now().Before(deadline) {
		notices = nil
		for _, cp := range coachPosts(t, a, id) {
			if cp.Kind == pipeline.KindDelivery && cp.Report == "" {
				notices = append(notices, cp)
			}
		}
		if len(notices) > 0 && r.emu.Calls("sendMessage") >= 5 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if len(notices) != 1 || notices[0].Reason != pipeline.ReasonBlocked {
		t.Fatalf("notices = %+v", notices)
	}
	if n := r.emu.Calls("sendMessage"); n != 5 {
		t.Fatalf("sendMessage called %d times: a 403 must not be retried", n)
	}
}

// xorCodec stands in for encryption at rest: nothing readable may reach
// Redis when it is set.
type xorCodec struct{}

func (xorCodec) Seal(b []byte) ([]byte, error) {
	out := append([]byte("x:"), b...)
	for i := 2; i < len(out); i++ {
		out[i] ^= 0x5a
	}
	return out, nil
}

func (xorCodec) Open(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte("x:")) {
		return nil, fmt.Errorf("not sealed")
	}
	out := append([]byte(nil), b[2:]...)
	for i := range out {
		out[i] ^= 0x5a
	}
	return out, nil
}

// All client content passes one codec: with a sealing codec the whole
// conversation works and Redis holds none of the client's words or name.
func TestOneCodecSealsAllClientContent(t *testing.T) {
	r := newRig(t)
	a, stop := runApp(t, r.cfg, r.rdb, pipeline.Options{Replica: "c", Block: 50 * time.Millisecond}, app.WithCodec(xorCodec{}))
	defer stop()
	ctx := context.Background()
	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: "Zuleika", Coach: "Piet", BotUsername: "b", TTL: time.Hour, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Schedules.Add(ctx, scheduler.Schedule{ClientID: inv.ClientID, Kind: scheduler.KindReminder, Spec: "elke dag om 8:00", Text: "Geheimpil", Emoji: "💊"}); err != nil {
		t.Fatal(err)
	}
	const chat = 4321
	r.emu.UserSays(chat, "/start "+inv.Code)
	r.waitTexts(chat, 3)
	r.emu.UserSays(chat, "mijn geheime schuld")
	r.waitTexts(chat, 4)
	r.emu.UserSays(chat, "✉️ Hulp met een brief")
	r.waitTexts(chat, 5)
	r.emu.AddFile("f", "geheimbrief.pdf", []byte("x"))
	r.emu.UserSends(chat, map[string]any{"document": map[string]any{"file_id": "f", "file_unique_id": "u", "file_name": "geheimbrief.pdf"}})
	got := r.waitTexts(chat, 6)
	if posts := coachPostsSealed(t, a, inv.ClientID); posts < 2 {
		t.Fatalf("%d coach posts: the test needs the client's words in Redis", posts)
	}
	if !strings.Contains(got[0], "Zuleika") {
		t.Fatalf("welcome = %q", got[0])
	}
	time.Sleep(300 * time.Millisecond)
	keys, _ := r.rdb.Keys(ctx, "*").Result()
	for _, k := range keys {
		var vals []string
		switch r.rdb.Type(ctx, k).Val() {
		case "string":
			vals = append(vals, r.rdb.Get(ctx, k).Val())
		case "hash":
			for f, v := range r.rdb.HGetAll(ctx, k).Val() {
				vals = append(vals, f+"="+v)
			}
		case "stream":
			for _, m := range r.rdb.XRange(ctx, k, "-", "+").Val() {
				for f, v := range m.Values {
					vals = append(vals, f+"="+fmt.Sprint(v))
				}
			}
		}
		for _, v := range vals {
			for _, secret := range []string{"Zuleika", "geheim", "Geheim", "schuld"} {
				if strings.Contains(v, secret) {
					t.Errorf("%s holds %q unsealed: %.80s", k, secret, v)
				}
			}
		}
	}
}

func coachPostsSealed(t *testing.T, a *app.App, clientID string) int {
	n, err := a.Store.CoachBacklog(context.Background(), store.PartitionOfClient(clientID))
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}
