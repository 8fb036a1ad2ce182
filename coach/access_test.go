package coach

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

// fakeMM answers the few Mattermost calls the access checks make and
// records what the bot did.
type fakeMM struct {
	mu         sync.Mutex
	usernames  map[string]string // user id -> username
	ephemeral  []string          // "user: message"
	reactions  []string          // "post:emoji"
	removed    []string          // "channel:user"
	posts      []string          // messages posted
	channels   []string          // and where
	failRemove bool              // when set, removing a channel member fails (500)
}

func (f *fakeMM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v4")
	body, _ := io.ReadAll(r.Body)
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case path == "/users/me":
		reply(200, map[string]string{"id": "bot", "username": "waakvlam-bot"})
	case strings.HasPrefix(path, "/users/") && !strings.HasPrefix(path, "/users/username/") && r.Method == http.MethodGet:
		id := strings.TrimPrefix(path, "/users/")
		if name, ok := f.usernames[id]; ok {
			reply(200, map[string]string{"id": id, "username": name})
			return
		}
		reply(404, map[string]string{"id": "app.user.missing_account.const"})
	case path == "/posts/ephemeral":
		var e struct {
			UserID string `json:"user_id"`
			Post   struct {
				Message string `json:"message"`
			} `json:"post"`
		}
		_ = json.Unmarshal(body, &e)
		f.ephemeral = append(f.ephemeral, e.UserID+": "+e.Post.Message)
		reply(201, map[string]string{"id": "e" + strconv.Itoa(len(f.ephemeral))})
	case path == "/reactions":
		var rc struct {
			PostID string `json:"post_id"`
			Emoji  string `json:"emoji_name"`
		}
		_ = json.Unmarshal(body, &rc)
		f.reactions = append(f.reactions, rc.PostID+":"+rc.Emoji)
		reply(201, map[string]string{"post_id": rc.PostID})
	case strings.HasSuffix(path, "/members/ids"):
		var ids []string
		_ = json.Unmarshal(body, &ids)
		ch := strings.Split(path, "/")[2]
		var out []map[string]string
		for _, id := range ids {
			out = append(out, map[string]string{"channel_id": ch, "user_id": id})
		}
		reply(200, out)
	case strings.Contains(path, "/members/") && r.Method == http.MethodDelete && f.failRemove:
		reply(500, map[string]string{"id": "app.channel.remove_member.app_error"})
	case strings.Contains(path, "/members/") && r.Method == http.MethodDelete:
		parts := strings.Split(path, "/") // "", channels, ch, members, user
		f.removed = append(f.removed, parts[2]+":"+parts[4])
		reply(200, map[string]string{"status": "OK"})
	case strings.HasPrefix(path, "/users/username/"):
		name := strings.TrimPrefix(path, "/users/username/")
		for id, n := range f.usernames {
			if n == name {
				reply(200, map[string]string{"id": id, "username": n})
				return
			}
		}
		reply(404, map[string]string{"id": "app.user.missing_account.const"})
	case path == "/channels/direct":
		var ids []string
		_ = json.Unmarshal(body, &ids)
		reply(201, map[string]string{"id": "dm-" + strings.Join(ids, "-")})
	case path == "/posts" && r.Method == http.MethodPost:
		var p struct {
			ChannelID string `json:"channel_id"`
			Message   string `json:"message"`
		}
		_ = json.Unmarshal(body, &p)
		f.posts = append(f.posts, p.Message)
		f.channels = append(f.channels, p.ChannelID)
		reply(201, map[string]string{"id": "p" + strconv.Itoa(len(f.posts))})
	default:
		reply(404, map[string]string{"id": "not.found"})
	}
}

const accessStaff = `
coaches:
  - {username: coach-piet, name: Piet, backup: coach-sanne}
  - {username: coach-sanne, name: Sanne}
  - {username: coach-kees, name: Kees}
project_leaders: [pl-anna]
on_call: oncall-jo
`

func accessBridge(t *testing.T) (*Bridge, *fakeMM, *fakeReplies) {
	t.Helper()
	dir, err := staff.ParseDirectory([]byte(accessStaff))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeMM{usernames: map[string]string{"u-piet": "coach-piet", "u-sanne": "coach-sanne", "u-kees": "coach-kees",
		"u-anna": "pl-anna", "u-jo": "oncall-jo", "u-admin": "mm-admin", "u-piet2": "piet"}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	b := New(mattermost.New(srv.URL, "token"), store.New(redistest.Client(t), nil), nil, dir, Config{Location: time.UTC},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.botID = "bot"
	replies := &fakeReplies{}
	b.Replies = replies
	ctx := context.Background()
	if err := b.st.CreateClient(ctx, store.Client{ID: "cl1", FirstName: "Noor", Coach: "Piet", Lang: "nl", CoachUser: "coach-piet", BackupUser: "coach-sanne"}); err != nil {
		t.Fatal(err)
	}
	if err := b.st.SetChannel(ctx, "cl1", "chan1"); err != nil {
		t.Fatal(err)
	}
	return b, f, replies
}

// Only the client's coach, backup, on-call and project leaders reach the
// client; anyone else in the channel gets a private "niet verstuurd" once
// and the post a 🚫.
func TestOnlyResponsiblePeopleReachTheClient(t *testing.T) {
	b, f, replies := accessBridge(t)
	ctx := context.Background()
	n := 0
	post := func(user, msg string) mattermost.Post {
		n++
		p := mattermost.Post{ID: "post" + strconv.Itoa(n), ChannelID: "chan1", UserID: user, CreateAt: time.Now(), Message: msg}
		b.onPost(ctx, p)
		return p
	}
	for _, u := range []string{"u-piet", "u-sanne", "u-jo", "u-anna"} {
		post(u, "Hoi Noor, van "+u)
	}
	if len(replies.got) != 4 {
		t.Fatalf("responsible people reached the client %d times, want 4", len(replies.got))
	}
	for _, u := range []string{"u-kees", "u-admin", "u-piet2", "u-unknown"} {
		p := post(u, "Hoi Noor, van "+u)
		b.onPost(ctx, p) // another replica sees the same post
	}
	if len(replies.got) != 4 {
		t.Fatalf("a post of someone not responsible reached the client: %+v", replies.got[4:])
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ephemeral) != 4 {
		t.Fatalf("notes = %q, want one each for u-kees, u-admin, u-piet2, u-unknown", f.ephemeral)
	}
	for i, u := range []string{"u-kees", "u-admin", "u-piet2"} {
		if !strings.HasPrefix(f.ephemeral[i], u+": 🚫 **Niet verstuurd** naar Noor") {
			t.Errorf("note %d = %q", i, f.ephemeral[i])
		}
	}
	if len(f.reactions) != 4 || !strings.HasSuffix(f.reactions[0], ":no_entry_sign") {
		t.Errorf("reactions = %q", f.reactions)
	}
	// A note (//) of a colleague stays in Mattermost without a word.
	f.mu.Unlock()
	post("u-kees", "// notitie van Kees")
	f.mu.Lock()
	if len(f.ephemeral) != 4 || len(replies.got) != 4 {
		t.Errorf("a colleague's note: notes %d, replies %d", len(f.ephemeral), len(replies.got))
	}
}

// Someone added to a client's channel who may not act for the client is
// removed, and the coach is told once; the coach's own people stay.
func TestChannelMembersWhoMayNotActAreRemoved(t *testing.T) {
	b, f, _ := accessBridge(t)
	ctx := context.Background()
	for _, u := range []string{"bot", "u-piet", "u-sanne", "u-jo", "u-anna"} {
		b.onMemberAdded(ctx, "chan1", u)
	}
	b.onMemberAdded(ctx, "other-channel", "u-kees") // not a client channel
	f.mu.Lock()
	if len(f.removed) != 0 || len(f.posts) != 0 {
		t.Fatalf("removed %q, posted %q", f.removed, f.posts)
	}
	f.mu.Unlock()
	b.onMemberAdded(ctx, "chan1", "u-kees")
	b.onMemberAdded(ctx, "chan1", "u-kees") // another replica
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.removed) != 2 || f.removed[0] != "chan1:u-kees" {
		t.Fatalf("removed = %q", f.removed)
	}
	if len(f.posts) != 1 || !strings.Contains(f.posts[0], "@coach-kees is uit dit kanaal gehaald") || !strings.Contains(f.posts[0], "@coach-piet") {
		t.Fatalf("notes in the channel = %q", f.posts)
	}
}

// The button's key is shared: a button signed by one replica works on
// another; a forged or changed button gets 401; an old one or a press by
// someone not on it picks nothing up.
func TestAckButtonIsSignedForItsUsersAndExpires(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	b1, _, _ := accessBridge(t)
	b2, _, _ := accessBridge(t)
	b1.actionKey, b2.actionKey = key, key
	b1.cfg.CommandURL = "https://waakvlam.example/mattermost/command"
	now := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
	b1.Now = func() time.Time { return now }
	b2.Now = b1.Now
	c, _, _ := b1.st.LoadClient(context.Background(), "cl1")
	p := b1.withAckButton(mattermost.Post{ChannelID: "chan1"}, pipeline.CoachPost{AlertID: "aXYZ-cl1", ClientID: "cl1"}, c)
	ctxMap := p.Props["attachments"].([]any)[0].(map[string]any)["actions"].([]any)[0].(map[string]any)["integration"].(map[string]any)["context"].(map[string]any)
	if ctxMap["users"] != "coach-piet,coach-sanne,oncall-jo,pl-anna" {
		t.Fatalf("button users = %v", ctxMap["users"])
	}
	press := func(b *Bridge, user string, change func(map[string]string)) (int, string) {
		m := map[string]string{}
		for k, v := range ctxMap {
			m[k] = v.(string)
		}
		if change != nil {
			change(m)
		}
		body, _ := json.Marshal(map[string]any{"user_id": user, "context": m})
		rec := httptest.NewRecorder()
		b.ActionHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mattermost/action", bytes.NewReader(body)))
		var out map[string]string
		_ = json.NewDecoder(rec.Body).Decode(&out)
		return rec.Code, out["ephemeral_text"]
	}
	// On the other replica, by the coach: the signature holds (the alert
	// itself is not stored in this test).
	if code, text := press(b2, "u-piet", nil); code != 200 || !strings.Contains(text, "Ik ken zorgsignaal") {
		t.Fatalf("coach on another replica: %d %q", code, text)
	}
	if code, _ := press(b2, "u-piet", func(m map[string]string) { m["users"] += ",coach-kees" }); code != http.StatusUnauthorized {
		t.Errorf("added user: %d", code)
	}
	if code, _ := press(b2, "u-piet", func(m map[string]string) { m["exp"] = "9999999999" }); code != http.StatusUnauthorized {
		t.Errorf("longer expiry: %d", code)
	}
	if code, _ := press(b2, "u-piet", func(m map[string]string) { m["alert"] = "aOTHER-cl1" }); code != http.StatusUnauthorized {
		t.Errorf("other alert: %d", code)
	}
	if code, text := press(b2, "u-kees", nil); code != 200 || text != notResponsible {
		t.Errorf("colleague pressed: %d %q", code, text)
	}
	now = now.Add(ackButtonTTL + time.Minute)
	if code, text := press(b2, "u-piet", nil); code != 200 || !strings.Contains(text, "werkt niet meer") {
		t.Errorf("old button: %d %q", code, text)
	}
	other, _, _ := accessBridge(t) // its own random key: a restart without the shared key
	other.Now = b1.Now
	if code, _ := press(other, "u-piet", nil); code != http.StatusUnauthorized {
		t.Errorf("another key accepted the button: %d", code)
	}
}

// Picking up: the coach, backup, on-call, project leaders and whoever the
// alert was escalated to; not a colleague.
func TestWhoMayPickUpAnAlert(t *testing.T) {
	b, _, _ := accessBridge(t)
	ctx := context.Background()
	a := store.Alert{ID: "aXYZ-cl1", ClientID: "cl1", Steps: []string{"coach-sanne", "oncall-old"}, Level: 2}
	for user, want := range map[string]bool{"coach-piet": true, "coach-sanne": true, "oncall-jo": true, "pl-anna": true,
		"oncall-old": true, "coach-kees": false, "piet": false, "": false} {
		if got, err := b.mayPickUp(ctx, user, a); err != nil || got != want {
			t.Errorf("%q may pick up: %v %v, want %v", user, got, err, want)
		}
	}
	a.Level = 1 // not yet escalated to oncall-old
	if got, _ := b.mayPickUp(ctx, "oncall-old", a); got {
		t.Error("someone the alert has not reached picks it up")
	}
}

// A flood of wrong invite codes reaches the project leaders in a direct
// message; a move to another phone is a post in the client's channel.
func TestInviteFloodAndMoveNotices(t *testing.T) {
	b, f, _ := accessBridge(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
	b.Now = func() time.Time { return at }
	if err := b.post(ctx, pipeline.CoachPost{Kind: pipeline.KindInviteFlood, Time: at, Level: 100, Report: "10m0s"}, 1); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	if len(f.posts) != 1 || !strings.HasPrefix(f.channels[0], "dm-") || !strings.Contains(f.channels[0], "u-anna") ||
		!strings.Contains(f.posts[0], "Meer dan 100 verkeerde codes in 10 minuten") {
		t.Fatalf("flood notice %q in %q", f.posts, f.channels)
	}
	f.mu.Unlock()
	c, _, _ := b.st.LoadClient(ctx, "cl1")
	got := b.format(pipeline.CoachPost{Kind: "info", Info: pipeline.InfoChatMoved, Time: at}, c, nil)
	if !strings.Contains(got, "Noor gebruikt de bot nu op een ander Telegram-account") || !strings.Contains(got, "client stop cl1") {
		t.Fatalf("move post = %q", got)
	}
}
