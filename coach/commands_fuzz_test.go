package coach

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/programme"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

// fuzzUsers are who a slash command claims to come from: staff of
// accessStaff, and people who are not staff (no name, a stranger, a
// coach's first name, which gives no role).
var fuzzUsers = []struct {
	name  string
	staff bool
}{{"", false}, {"stranger", false}, {"piet", false}, {"Piet", false}, {"coach-piet", true}, {"coach-kees", true}, {"pl-anna", true}, {"oncall-jo", true}}

// The /waakvlam slash command never panics, whatever the text and
// whoever sends it: a forged token gets 401; otherwise the answer is an
// ephemeral JSON reply. Someone who is not staff gets a refusal (or, for
// text that is no command, the usage) and changes nothing in Redis.
// Runs on an in-process Redis (miniredis) so that each fuzz worker has
// its own.
func FuzzSlashCommand(f *testing.F) {
	for _, seed := range []struct {
		user  uint8
		token bool
		text  string
	}{
		{4, true, "client lijst"}, {4, true, "client status Noor"}, {4, true, "client nieuw Sam"}, {5, true, "client status cl1"},
		{1, true, "client lijst"}, {3, true, "client wissen cl1"}, {4, true, "herinnering nieuw Noor \"💊 Pillen\" elke dag om 8:00"},
		{6, true, "instellingen zet stilte 22:00-7:00"}, {7, true, "oppakken aXXXXXXXXXX-cl1"}, {4, true, "groep Noor start"},
		{4, false, "client lijst"}, {0, true, ""}, {4, true, "client overdragen Noor coach-kees"}, {4, true, "niveau Noor intensief"},
		{4, true, "herinnering pauze Noor 1"}, {2, true, "help"}, {6, true, "client code cl1"},
	} {
		f.Add(seed.user, seed.token, seed.text)
	}
	srv := miniredis.NewMiniRedis()
	if err := srv.Start(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	f.Cleanup(func() { _ = rdb.Close() })
	dir, err := staff.ParseDirectory([]byte(accessStaff))
	if err != nil {
		f.Fatal(err)
	}
	mm := httptest.NewServer(&fakeMM{usernames: map[string]string{"u-piet": "coach-piet", "u-kees": "coach-kees", "u-anna": "pl-anna", "u-jo": "oncall-jo"}})
	f.Cleanup(mm.Close)
	st := store.New(rdb, nil)
	st.SetSecret(store.ServerSecret("123456:FUZZFUZZFUZZ"))
	b := New(mattermost.New(mm.URL, "token"), st, nil, dir, Config{Location: time.UTC, BotUsername: "bot", InviteTTL: time.Hour},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.botID, b.cmdToken = "bot", "the-command-token"
	b.Access = accesslog.New(rdb, store.ServerSecret("123456:FUZZFUZZFUZZ"), nil)
	sch, err := scheduler.NewStore(rdb, scheduler.Options{Location: time.UTC})
	if err != nil {
		f.Fatal(err)
	}
	b.Structure = &Structure{Schedules: sch, Settings: programme.Default,
		ApplyLevel: func(context.Context, string, programme.Level) error { return nil },
		ApplyGroup: func(context.Context, string, string) error { return nil }}
	h := b.CommandHandler()
	ctx := context.Background()
	seed := func() {
		if _, ok, err := st.LoadClient(ctx, "cl1"); err == nil && ok {
			return
		}
		_ = st.CreateClient(ctx, store.Client{ID: "cl1", FirstName: "Noor", Coach: "Piet", Lang: "nl", CoachUser: "coach-piet", BackupUser: "coach-sanne"})
	}
	// The rig works: a coach sees the client, with its access logged.
	seed()
	form := url.Values{"token": {"the-command-token"}, "user_name": {"coach-piet"}, "text": {"client status Noor"}}
	req := httptest.NewRequest(http.MethodPost, "/mattermost/command", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), "Noor") || rdb.XLen(ctx, store.PartitionOfClient("cl1").Access()).Val() != 1 {
		f.Fatalf("client status on miniredis: %s", rec.Body.String())
	}
	f.Fuzz(func(t *testing.T, user uint8, token bool, text string) {
		if rdb.DBSize(ctx).Val() > 400 {
			rdb.FlushAll(ctx) // keep each command's work small
		}
		seed()
		u := fuzzUsers[int(user)%len(fuzzUsers)]
		form := url.Values{"token": {"forged"}, "user_name": {u.name}, "user_id": {"id-" + u.name}, "text": {text}}
		if token {
			form.Set("token", "the-command-token")
		}
		before := rdb.DBSize(ctx).Val()
		req := httptest.NewRequest(http.MethodPost, "/mattermost/command", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !token {
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("forged token: %d", rec.Code)
			}
			return
		}
		var body map[string]string
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body["response_type"] != "ephemeral" || body["text"] == "" {
			t.Fatalf("%q from %q: %d %q", text, u.name, rec.Code, rec.Body.String())
		}
		if u.staff {
			return
		}
		reply := body["text"]
		if !strings.HasPrefix(reply, "Sorry, alleen") && !strings.HasPrefix(reply, "🤔") {
			t.Fatalf("%q from non-staff %q answered %q", text, u.name, reply)
		}
		if after := rdb.DBSize(ctx).Val(); after != before {
			t.Fatalf("%q from non-staff %q changed Redis: %d keys, were %d", text, u.name, after, before)
		}
	})
}
