package coach

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/metrics"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

func TestParseVerdict(t *testing.T) {
	tests := []struct {
		in   string
		want verdictCmd
		ok   bool
	}{
		{"terecht", verdictCmd{act: actRight}, true},
		{" Onterecht! ", verdictCmd{act: actWrong}, true},
		{"zorgelijk", verdictCmd{act: actWorrying}, true},
		{"Zorgelijk geweld", verdictCmd{act: actWorrying, category: "violence"}, true},
		{"zorgelijk urgent zelfmoord", verdictCmd{act: actWorrying, severity: "urgent", category: "suicide"}, true},
		{"zorgelijk hoog", verdictCmd{act: actWorrying, severity: "high"}, true},
		{"terecht geweld", verdictCmd{}, false},
		{"zorgelijk dat je dat zegt", verdictCmd{}, false},
		{"Terecht dat je het zegt", verdictCmd{}, false},
		{"zorgelijk geweld geld", verdictCmd{}, false},
		{"", verdictCmd{}, false},
	}
	for _, tt := range tests {
		got, ok := parseVerdict(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseVerdict(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestJudgeLabelsWhatTheCoachSaid(t *testing.T) {
	tests := []struct {
		sev, cat string
		v        verdictCmd
		want     judged
		ok       bool
	}{
		{"urgent", "suicide", verdictCmd{act: actRight}, judged{store.VerdictRight, "urgent", "suicide"}, true},
		{"high", "money", verdictCmd{act: actWrong}, judged{store.VerdictWrong, "none", ""}, true},
		{"high", "money", verdictCmd{act: actWorrying}, judged{store.VerdictRight, "high", "money"}, true},
		{"attention", "money", verdictCmd{act: actWorrying}, judged{store.VerdictUnder, "high", "money"}, true},
		{"attention", "money", verdictCmd{act: actWorrying, category: "violence"}, judged{store.VerdictUnder, "high", "violence"}, true},
		{"high", "violence", verdictCmd{act: actWorrying, severity: "urgent"}, judged{store.VerdictUnder, "urgent", "violence"}, true},
		{"none", "", verdictCmd{act: actWorrying}, judged{store.VerdictMissed, "high", ""}, true},
		{"none", "", verdictCmd{act: actWorrying, severity: "urgent", category: "suicide"}, judged{store.VerdictMissed, "urgent", "suicide"}, true},
		{"none", "", verdictCmd{act: actRight}, judged{}, false},
		{"none", "", verdictCmd{act: actWrong}, judged{}, false},
	}
	for _, tt := range tests {
		got, ok := judge(tt.sev, tt.cat, tt.v)
		if ok != tt.ok || got != tt.want {
			t.Errorf("judge(%s, %s, %+v) = %+v, %v; want %+v, %v", tt.sev, tt.cat, tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestVerdictPropsOnlyOnPostsWithTheClientsWords(t *testing.T) {
	button := map[string]any{"attachments": []any{"x"}}
	tests := []struct {
		cp      pipeline.CoachPost
		wantSev string // "" for no props
	}{
		{pipeline.CoachPost{Kind: dialogs.CoachMessage, Text: "hoi"}, "none"},
		{pipeline.CoachPost{Kind: dialogs.CoachSignal, Text: "ik wil dood", Severity: "urgent", Category: "suicide"}, "urgent"},
		{pipeline.CoachPost{Kind: dialogs.CoachMedia, Text: "mijn kamer", Media: &dialogs.Media{Type: "photo"}}, "none"},
		{pipeline.CoachPost{Kind: dialogs.CoachMedia, Media: &dialogs.Media{Type: "photo"}}, ""},
		{pipeline.CoachPost{Kind: dialogs.CoachSignal, Info: "not_ok"}, ""},
		{pipeline.CoachPost{Kind: dialogs.CoachInfo, Info: dialogs.EventLinked, Text: "x"}, ""},
	}
	for _, tt := range tests {
		p := verdictProps(mattermost.Post{Props: button}, tt.cp)
		sev, _ := p.Props[propSeverity].(string)
		if sev != tt.wantSev {
			t.Errorf("%s %q: severity prop %q, want %q", tt.cp.Kind, tt.cp.Text, sev, tt.wantSev)
		}
		if p.Props["attachments"] == nil {
			t.Errorf("%s: the button props were lost", tt.cp.Kind)
		}
		if tt.wantSev != "" && (p.Props[propText] != tt.cp.Text || p.Props[propCategory] != tt.cp.Category) {
			t.Errorf("%s: props %v", tt.cp.Kind, p.Props)
		}
	}
}

// fakeVerdictMM serves the posts the bridge reads and records the
// ephemeral answers.
type fakeVerdictMM struct {
	mu        sync.Mutex
	posts     map[string]map[string]any
	ephemeral []string // "user: message"
}

func (f *fakeVerdictMM) handler(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v4/posts/ephemeral":
			var body struct {
				UserID string `json:"user_id"`
				Post   struct {
					Message string `json:"message"`
				} `json:"post"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			f.ephemeral = append(f.ephemeral, body.UserID+": "+body.Post.Message)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"e1"}`))
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v4/posts/"):
			p, ok := f.posts[strings.TrimPrefix(r.URL.Path, "/api/v4/posts/")]
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"id":"app.post.get.app_error","status_code":404}`))
				return
			}
			_ = json.NewEncoder(w).Encode(p)
		default:
			t.Errorf("unexpected call %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
		}
	})
}

func (f *fakeVerdictMM) answers() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ephemeral...)
}

type verdictRig struct {
	b       *Bridge
	mm      *fakeVerdictMM
	replies *fakeReplies
	m       *metrics.Waakvlam
}

// newVerdictRig: client cl1 in channel chan1, coached by coach-piet (user
// u-piet) with backup coach-sanne (u-sanne); coach-kees (u-kees) coaches
// others; pl-anna (u-anna) is a project leader; u-bot is the bot. Post
// pflag is a high signal, pmsg an ordinary message, pphoto a photo
// without words, pcoach a coach's own post.
func newVerdictRig(t *testing.T) *verdictRig {
	dir, err := staff.ParseDirectory([]byte("coaches:\n  - {username: coach-piet, name: Piet, backup: coach-sanne}\n  - {username: coach-sanne, name: Sanne}\n  - {username: coach-kees, name: Kees}\nproject_leaders: [pl-anna]\n"))
	if err != nil {
		t.Fatal(err)
	}
	fm := &fakeVerdictMM{posts: map[string]map[string]any{
		"pflag":  {"id": "pflag", "user_id": "u-bot", "channel_id": "chan1", "props": map[string]any{propSeverity: "high", propCategory: "violence", propText: "hij slaat me"}},
		"pmsg":   {"id": "pmsg", "user_id": "u-bot", "channel_id": "chan1", "props": map[string]any{propSeverity: "none", propCategory: "", propText: "ik geef mijn spullen weg"}},
		"pphoto": {"id": "pphoto", "user_id": "u-bot", "channel_id": "chan1"},
		"pcoach": {"id": "pcoach", "user_id": "u-piet", "channel_id": "chan1", "props": map[string]any{propSeverity: "none", propText: "vals"}},
	}}
	srv := httptest.NewServer(fm.handler(t))
	t.Cleanup(srv.Close)
	m := metrics.New(nil)
	b := New(mattermost.New(srv.URL, "token"), store.New(redistest.Client(t), nil), nil, dir, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.botID = "u-bot"
	b.users = map[string]string{"u-piet": "coach-piet", "u-sanne": "coach-sanne", "u-kees": "coach-kees", "u-anna": "pl-anna"}
	b.Verdicts = m.Verdicts
	replies := &fakeReplies{}
	b.Replies = replies
	ctx := context.Background()
	if err := b.st.CreateClient(ctx, store.Client{ID: "cl1", FirstName: "Noor", Coach: "Piet", CoachUser: "coach-piet", BackupUser: "coach-sanne", Lang: "nl"}); err != nil {
		t.Fatal(err)
	}
	if err := b.st.SetChannel(ctx, "cl1", "chan1"); err != nil {
		t.Fatal(err)
	}
	return &verdictRig{b: b, mm: fm, replies: replies, m: m}
}

func (r *verdictRig) verdict(t *testing.T, post string) (store.Verdict, bool) {
	t.Helper()
	vs, err := r.b.st.Verdicts(context.Background(), time.Time{})
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

func (r *verdictRig) count(kind string) float64 { return r.m.Verdicts.With(kind).Value() }

// Verdict words in a client's channel are answered privately, stored with
// the client's words, and never sent to the client; a sentence that only
// starts with such a word is a message like any other.
func TestVerdictWordsAreStoredAndNeverReachTheClient(t *testing.T) {
	r := newVerdictRig(t)
	ctx := context.Background()
	n := 0
	say := func(user, root, msg string) string {
		t.Helper()
		n++
		r.b.onPost(ctx, mattermost.Post{ID: "c" + string(rune('a'+n)), ChannelID: "chan1", RootID: root, UserID: user, Message: msg, CreateAt: time.Now()})
		a := r.mm.answers()
		if len(a) == 0 {
			return ""
		}
		return a[len(a)-1]
	}
	if got := say("u-piet", "pflag", "Terecht"); !strings.HasPrefix(got, "u-piet: 👍 Genoteerd: terecht") || !strings.Contains(got, "niet naar de cliënt") {
		t.Fatalf("terecht answered %q", got)
	}
	if v, ok := r.verdict(t, "pflag"); !ok || v.Kind != store.VerdictRight || v.Text != "hij slaat me" || v.By != "coach-piet" ||
		v.Severity != "high" || v.LabelSeverity != "high" || v.LabelCategory != "violence" || v.Via != "word" {
		t.Fatalf("verdict = %+v", v)
	}
	if got := say("u-sanne", "pflag", "onterecht"); !strings.Contains(got, "👎 Genoteerd") {
		t.Fatalf("backup's onterecht answered %q", got)
	}
	if v, _ := r.verdict(t, "pflag"); v.Kind != store.VerdictWrong || v.LabelSeverity != "none" || v.By != "coach-sanne" {
		t.Fatalf("changed verdict = %+v", v)
	}
	if got := say("u-anna", "pmsg", "zorgelijk"); !strings.Contains(got, "de bot had dit moeten zien") || !strings.Contains(got, "zorgelijk geweld") {
		t.Fatalf("project leader's zorgelijk answered %q", got)
	}
	if got := say("u-anna", "pmsg", "zorgelijk urgent zelfmoord"); !strings.Contains(got, "(urgent, zelfmoord)") {
		t.Fatalf("category added: %q", got)
	}
	if v, _ := r.verdict(t, "pmsg"); v.Kind != store.VerdictMissed || v.LabelSeverity != "urgent" || v.LabelCategory != "suicide" || v.Severity != "none" {
		t.Fatalf("miss = %+v", v)
	}
	if got := say("u-piet", "pmsg", "terecht"); !strings.Contains(got, "geen zorgsignaal") {
		t.Fatalf("terecht on an unflagged post: %q", got)
	}
	if got := say("u-piet", "", "zorgelijk"); !strings.Contains(got, "Over welk bericht") {
		t.Fatalf("top-level verdict word: %q", got)
	}
	if got := say("u-piet", "pphoto", "zorgelijk"); !strings.Contains(got, "alleen een bericht met woorden") {
		t.Fatalf("verdict on a photo: %q", got)
	}
	if got := say("u-piet", "pcoach", "onterecht"); !strings.Contains(got, "alleen een bericht met woorden") {
		t.Fatalf("verdict on a coach's post: %q", got)
	}
	if got := say("u-kees", "pflag", "terecht"); !strings.Contains(got, "alleen de coach") {
		t.Fatalf("another coach: %q", got)
	}
	if got := say("u-stranger", "pflag", "terecht"); !strings.Contains(got, "alleen de coach") {
		t.Fatalf("non-staff: %q", got)
	}
	if len(r.replies.got) != 0 {
		t.Fatalf("a verdict word went to the client: %+v", r.replies.got)
	}
	say("u-piet", "pflag", "Terecht dat je het zegt, Noor.")
	if len(r.replies.got) != 1 {
		t.Fatalf("a real reply was not passed on: %+v", r.replies.got)
	}
	// The same post again (another replica, a catch-up) is answered once.
	before := len(r.mm.answers())
	r.b.onPost(ctx, mattermost.Post{ID: "cb", ChannelID: "chan1", RootID: "pflag", UserID: "u-piet", Message: "terecht", CreateAt: time.Now()})
	if len(r.mm.answers()) != before {
		t.Fatal("a verdict post seen twice was answered twice")
	}
	if r.count("right") != 1 || r.count("wrong") != 1 || r.count("missed") != 1 {
		t.Fatalf("counted right %v wrong %v missed %v", r.count("right"), r.count("wrong"), r.count("missed"))
	}
	evs, _ := r.b.st.Events(ctx, store.PartitionOfClient("cl1"))
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "signal_confirmed,signal_rejected,signal_missed" {
		t.Fatalf("events = %s", got)
	}
}

// Reactions are verdicts: 👍 👎 on a flagged post, 🚩 on any; counted once
// however many replicas see them; taking one off withdraws it; other
// emoji, other people and the bot itself change nothing.
func TestReactionsAreVerdicts(t *testing.T) {
	r := newVerdictRig(t)
	ctx := context.Background()
	at := time.UnixMilli(1_800_000_000_000)
	react := func(user, post, emoji string, removed bool) {
		at = at.Add(time.Second)
		re := mattermost.Reaction{PostID: post, ChannelID: "chan1", UserID: user, EmojiName: emoji, Removed: removed}
		if !removed {
			re.CreateAt = at
		}
		r.b.onReaction(ctx, re)
	}
	react("u-piet", "pflag", "+1", false)
	if v, ok := r.verdict(t, "pflag"); !ok || v.Kind != store.VerdictRight || v.Via != "+1" {
		t.Fatalf("👍: %+v", v)
	}
	// every replica gets the same event
	r.b.onReaction(ctx, mattermost.Reaction{PostID: "pflag", ChannelID: "chan1", UserID: "u-piet", EmojiName: "+1", CreateAt: at})
	if a := r.mm.answers(); len(a) != 1 || !strings.HasPrefix(a[0], "u-piet: 👍 Genoteerd") {
		t.Fatalf("answers = %q", a)
	}
	react("u-piet", "pflag", "-1", false)
	if v, _ := r.verdict(t, "pflag"); v.Kind != store.VerdictWrong {
		t.Fatalf("👎: %+v", v)
	}
	react("u-piet", "pflag", "+1", true) // the 👍 taken off: the 👎 stands
	if v, ok := r.verdict(t, "pflag"); !ok || v.Kind != store.VerdictWrong {
		t.Fatalf("after taking 👍 off: %+v %v", v, ok)
	}
	react("u-piet", "pflag", "-1", true)
	if _, ok := r.verdict(t, "pflag"); ok {
		t.Fatal("verdict kept after its reaction was taken off")
	}
	if a := r.mm.answers(); !strings.Contains(a[len(a)-1], "weggehaald") {
		t.Fatalf("withdrawal answered %q", a[len(a)-1])
	}
	n := len(r.mm.answers())
	react("u-piet", "pmsg", "+1", false)                      // a like on an ordinary message
	react("u-piet", "pmsg", "heart", false)                   // not a verdict emoji
	react("u-kees", "pmsg", "triangular_flag_on_post", false) // not this client's coach
	react("u-stranger", "pmsg", "triangular_flag_on_post", false)
	react("u-bot", "pmsg", "triangular_flag_on_post", false)
	react("u-piet", "pphoto", "triangular_flag_on_post", false) // no words to learn from
	if _, ok := r.verdict(t, "pmsg"); ok || len(r.mm.answers()) != n {
		t.Fatalf("a non-verdict changed something: %q", r.mm.answers()[n:])
	}
	react("u-sanne", "pmsg", "triangular_flag_on_post", false)
	if v, ok := r.verdict(t, "pmsg"); !ok || v.Kind != store.VerdictMissed || v.LabelSeverity != "high" || v.Text != "ik geef mijn spullen weg" {
		t.Fatalf("🚩: %+v", v)
	}
	if r.count("missed") != 1 || r.count("right") != 1 || r.count("wrong") != 1 {
		t.Fatalf("counted missed %v right %v wrong %v", r.count("missed"), r.count("right"), r.count("wrong"))
	}
	if len(r.replies.got) != 0 {
		t.Fatal("a reaction reached the client")
	}
}
