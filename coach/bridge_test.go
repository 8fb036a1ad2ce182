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

	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

func testBridge(t *testing.T) *Bridge {
	dir, err := staff.ParseDirectory([]byte("coaches:\n  - {username: coach-piet, name: Piet, backup: coach-sanne}\n  - {username: coach-sanne, name: Sanne}\n"))
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Amsterdam")
	b := New(mattermost.New("http://127.0.0.1:1", "x"), nil, nil, dir, Config{Location: loc}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.Now = func() time.Time { return time.Date(2026, 11, 26, 14, 0, 0, 0, loc) }
	return b
}

func TestSlashCommandRefusesForgedCalls(t *testing.T) {
	b := testBridge(t)
	b.cmdToken = "the-real-token"
	post := func(form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/mattermost/command", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		b.CommandHandler().ServeHTTP(rec, req)
		return rec
	}
	if rec := post(url.Values{"token": {"forged"}, "user_name": {"coach-piet"}, "text": {"client lijst"}}); rec.Code != http.StatusUnauthorized {
		t.Fatalf("forged token: %d", rec.Code)
	}
	rec := post(url.Values{"token": {"the-real-token"}, "user_name": {"someone"}, "text": {"client lijst"}})
	var body map[string]string
	_ = json.NewDecoder(rec.Body).Decode(&body)
	if rec.Code != http.StatusOK || body["response_type"] != "ephemeral" || !strings.Contains(body["text"], "alleen coaches") {
		t.Fatalf("non-staff: %d %v", rec.Code, body)
	}
	rec = post(url.Values{"token": {"the-real-token"}, "user_name": {"coach-piet"}, "text": {"client vlieg"}})
	_ = json.NewDecoder(rec.Body).Decode(&body)
	if !strings.Contains(body["text"], "Zo gebruik je /waakvlam") {
		t.Fatalf("bad command gets no usage: %v", body)
	}
}

func TestFormatSaysWhatAndWhenAndKeepsTheWords(t *testing.T) {
	b := testBridge(t)
	c := store.Client{ID: "k3", FirstName: "Noor", CoachUser: "coach-piet", BackupUser: "coach-sanne"}
	at := time.Date(2026, 11, 26, 13, 5, 0, 0, time.UTC)
	tests := []struct {
		cp   pipeline.CoachPost
		want []string
	}{
		{pipeline.CoachPost{Kind: dialogs.CoachMessage, Text: "hoi\nhoe gaat het", Time: at}, []string{"💬 **Bericht** · 14:05", "> hoi\n> hoe gaat het"}},
		{pipeline.CoachPost{Kind: dialogs.CoachQuestion, Text: "mag ik bellen?", Time: at}, []string{"💬 **Vraag**", "> mag ik bellen?"}},
		{pipeline.CoachPost{Kind: dialogs.CoachLetter, About: "belasting", Files: []dialogs.Media{{}, {}}, Time: at}, []string{"✉️ **Brief** van Belastingdienst (2 bladzijden)"}},
		{pipeline.CoachPost{Kind: dialogs.CoachSignal, Priority: true, Info: "not_ok", Time: at}, []string{"😟 **Zorgsignaal**", "@coach-piet", "@coach-sanne", "112 en 113"}},
		{pipeline.CoachPost{Kind: dialogs.CoachMedia, Media: &dialogs.Media{Type: "voice"}, Time: at.Add(-48 * time.Hour)}, []string{"🎤", "Spraakbericht", "24-11 14:05"}},
		{pipeline.CoachPost{Kind: dialogs.CoachMedia, Location: &dialogs.Location{Lat: 52.37, Lon: 4.89}, Time: at}, []string{"📍 Locatie: https://www.openstreetmap.org/?mlat=52.37000&mlon=4.89000"}},
		{pipeline.CoachPost{Kind: dialogs.CoachMedia, Contact: &dialogs.Contact{Name: "Oom Kees", Phone: "0612"}, Time: at}, []string{"👤 Contact: Oom Kees, 0612"}},
		{pipeline.CoachPost{Kind: dialogs.CoachInfo, Info: dialogs.EventLinked, Time: at}, []string{"🔗 Noor is gestart met de bot · 14:05"}},
	}
	for _, tt := range tests {
		got := b.format(tt.cp, c, nil)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("format(%s) = %q, lacks %q", tt.cp.Kind, got, w)
			}
		}
	}
}

func TestHintNamesLongSentencesAndHardWords(t *testing.T) {
	hard := "Indien u de brief heeft ontvangen, dient u deze zo spoedig mogelijk te retourneren aan de gemeente zodat wij uw aanvraag kunnen verwerken."
	tip := Hint(hard)
	for _, want := range []string{"wel verstuurd", "Lange zin", "Moeilijk woord", `"indien" → "als"`, "Schrijf je, niet u", "tips uit"} {
		if !strings.Contains(tip, want) {
			t.Errorf("tip lacks %q:\n%s", want, tip)
		}
	}
	if tip := Hint("Hoi Sanne. Ik bel je morgen om 10 uur."); tip != "" {
		t.Errorf("easy reply got a tip: %s", tip)
	}
}

type fakeReplies struct{ got []pipeline.CoachInbound }

func (f *fakeReplies) EnqueueCoachReply(_ context.Context, in pipeline.CoachInbound) (bool, error) {
	f.got = append(f.got, in)
	return true, nil
}

// A coach's hard reply still goes to the client, and the coach gets a
// private tip; after `tips uit` no more tips.
func TestHardCoachReplyGetsAPrivateTip(t *testing.T) {
	var ephemeral []string
	mm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v4/posts/ephemeral" {
			var body struct {
				UserID string `json:"user_id"`
				Post   struct {
					Message string `json:"message"`
				} `json:"post"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			ephemeral = append(ephemeral, body.UserID+": "+body.Post.Message)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"e1"}`))
			return
		}
		http.NotFound(w, r)
	}))
	defer mm.Close()
	b := testBridge(t)
	b.mm = mattermost.New(mm.URL, "token")
	b.st = store.New(redistest.Client(t), nil)
	replies := &fakeReplies{}
	b.Replies = replies
	ctx := context.Background()
	if err := b.st.CreateClient(ctx, store.Client{ID: "cl1", FirstName: "Noor", Coach: "Piet", Lang: "nl", CoachUser: "coach-piet"}); err != nil {
		t.Fatal(err)
	}
	if err := b.st.SetChannel(ctx, "cl1", "chan1"); err != nil {
		t.Fatal(err)
	}
	b.users["coach1"] = "coach-piet" // only the client's own people reach the client
	hard := mattermost.Post{ID: "p1", ChannelID: "chan1", UserID: "coach1", CreateAt: time.Now(),
		Message: "Indien u de brief heeft ontvangen, dient u deze zo spoedig mogelijk te retourneren aan de gemeente zodat wij uw aanvraag kunnen verwerken."}
	b.onPost(ctx, hard)
	if len(replies.got) != 1 || replies.got[0].Reply.Text != hard.Message {
		t.Fatalf("reply not passed on unchanged: %+v", replies.got)
	}
	if len(ephemeral) != 1 || !strings.HasPrefix(ephemeral[0], "coach1: 💡") || !strings.Contains(ephemeral[0], `"ontvangen" → "krijgen"`) {
		t.Fatalf("tips = %q", ephemeral)
	}
	b.onPost(ctx, mattermost.Post{ID: "p2", ChannelID: "chan1", UserID: "coach1", CreateAt: time.Now(), Message: "Ik bel je morgen om 10 uur."})
	if len(ephemeral) != 1 {
		t.Fatalf("an easy reply got a tip")
	}
	b.setHints(ctx, "coach1", false)
	hard.ID = "p3"
	b.onPost(ctx, hard)
	if len(ephemeral) != 1 || len(replies.got) != 3 {
		t.Fatalf("tips after turning them off: %d, replies %d", len(ephemeral), len(replies.got))
	}
}
