package dialogs_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/locales"
	"github.com/waakvlam/waakvlam/signals"
)

var update = flag.Bool("update", false, "rewrite golden files")

func texts(t *testing.T) *locales.Texts {
	t.Helper()
	tx, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// Render writes effects the way a reviewer reads them: what the client
// sees, with buttons, and what goes to the coach.
func Render(effects []dialogs.Effect) string {
	var b strings.Builder
	for _, e := range effects {
		switch e := e.(type) {
		case dialogs.Reply:
			fmt.Fprintf(&b, "bot [%s] %s\n", e.Lane, strings.ReplaceAll(e.Text, "\n", "\n    "))
			if e.Report != "" {
				fmt.Fprintf(&b, "    (delivery reported on coach post %s)\n", e.Report)
			}
			switch e.Keyboard.Kind {
			case dialogs.MenuKeyboard, dialogs.InlineKeyboard:
				kind := "menu"
				if e.Keyboard.Kind == dialogs.InlineKeyboard {
					kind = "buttons"
				}
				for _, row := range e.Keyboard.Rows {
					var cells []string
					for _, btn := range row {
						c := "[" + btn.Text + "]"
						if btn.Data != "" {
							c += "(" + btn.Data + ")"
						}
						cells = append(cells, c)
					}
					fmt.Fprintf(&b, "    %s: %s\n", kind, strings.Join(cells, " "))
				}
			case dialogs.RemoveKeyboard:
				b.WriteString("    (menu removed)\n")
			}
		case dialogs.ToCoach:
			fmt.Fprintf(&b, "coach <- %s priority=%v text=%q info=%q", e.Kind, e.Priority, e.Text, e.Info)
			if e.About != "" {
				fmt.Fprintf(&b, " about=%s", e.About)
			}
			if e.Severity > 0 {
				fmt.Fprintf(&b, " severity=%s category=%s", e.Severity, e.Category)
			}
			for _, f := range e.Files {
				fmt.Fprintf(&b, " page=%s", f.FileID)
			}
			if e.Media != nil {
				fmt.Fprintf(&b, " media=%s:%s", e.Media.Type, e.Media.FileID)
			}
			b.WriteString("\n")
		case dialogs.SendFile:
			fmt.Fprintf(&b, "bot [%s] (file %s:%s %s) report=%s\n", e.Lane, e.File.Source, e.File.ID, e.File.Name, e.Report)
		case dialogs.AnswerButton:
			b.WriteString("(button answered)\n")
		case dialogs.ClearButtons:
			fmt.Fprintf(&b, "(buttons cleared on message %d)\n", e.MessageID)
		case dialogs.RaiseAlert:
			fmt.Fprintf(&b, "(alert raised: %s %s)\n", e.Severity, e.Category)
		case dialogs.Unlink:
			b.WriteString("(chat unlinked)\n")
		case dialogs.SetLang:
			fmt.Fprintf(&b, "(language %s)\n", e.Lang)
		case dialogs.Record:
			fmt.Fprintf(&b, "(event %s)\n", e.Kind)
		default:
			fmt.Fprintf(&b, "?? %T\n", e)
		}
	}
	return b.String()
}

type turn struct {
	say string // shown in the transcript
	ev  dialogs.Event
}

func text(s string) turn { return turn{say: s, ev: dialogs.Event{Kind: dialogs.KindText, Text: s}} }
func cmd(name, args string) turn {
	return turn{say: "/" + name + " " + args, ev: dialogs.Event{Kind: dialogs.KindCommand, Command: name, Args: args}}
}
func photo(id string) turn {
	return turn{say: "(photo " + id + ")", ev: dialogs.Event{Kind: dialogs.KindMedia, Media: &dialogs.Media{Type: "photo", FileID: id}}}
}

func press(data string) turn {
	return turn{say: "(press " + data + ")", ev: dialogs.Event{Kind: dialogs.KindButton, Data: data, CallbackID: "cb", MessageID: 7}}
}

// check is the real concern classifier, as the pipeline wires it.
func check(t *testing.T) func(string) dialogs.Concern {
	c, err := signals.Default()
	if err != nil {
		t.Fatal(err)
	}
	return func(text string) dialogs.Concern {
		r := c.Classify(text)
		con := dialogs.Concern{Severity: dialogs.Severity(r.Severity), Category: string(r.Category), AskBack: r.AskBack, Lang: r.Lang}
		for _, m := range r.Matches {
			con.Matched = append(con.Matched, m.Pattern)
		}
		return con
	}
}

func transcript(t *testing.T, lang string, turns []turn) string {
	// A Thursday morning, in coach hours.
	env := dialogs.Env{Texts: texts(t), Now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), Check: check(t), CoachHours: true}
	c := dialogs.Client{ID: "c1", FirstName: "Sanne", Coach: "Piet", Lang: lang, ChatID: 42, LinkedUpdate: 1}
	var st dialogs.State
	var b strings.Builder
	for i, tr := range turns {
		tr.ev.UpdateID = int64(i + 1)
		fmt.Fprintf(&b, "client: %s\n", tr.say)
		var eff []dialogs.Effect
		st, eff = dialogs.Step(env, c, st, tr.ev)
		for _, e := range eff {
			if l, ok := e.(dialogs.SetLang); ok {
				c.Lang = l.Lang
			}
		}
		b.WriteString(Render(eff))
		b.WriteString("\n")
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./dialogs -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden file; got:\n%s", path, got)
	}
}

func TestTranscripts(t *testing.T) {
	conversations := map[string][]turn{
		"onboarding": {cmd("start", "K7M2Q9"), text("❓ Help"), cmd("start", "")},
		"menu": {
			text("💬 Vraag aan mijn coach"), text("📅 Mijn dag"), text("✉️ Hulp met een brief"),
			text("😟 Het gaat niet goed"), text("help"),
		},
		"stop": {cmd("stop", ""), press("stop:no"), cmd("stop", ""), press("stop:yes")},
		"odd_input": {
			{say: "(sticker)", ev: dialogs.Event{Kind: dialogs.KindSticker}},
			{say: "(edit)", ev: dialogs.Event{Kind: dialogs.KindEdited, Text: "nieuw"}},
			{say: "(poll)", ev: dialogs.Event{Kind: dialogs.KindUnsupported}},
			press("stop:yes"),
			cmd("foo", ""),
			text(strings.Repeat("heel lang ", 120)),
			{say: "(photo)", ev: dialogs.Event{Kind: dialogs.KindMedia, Media: &dialogs.Media{Type: "photo", FileID: "f1"}, Text: "mijn brief"}},
		},
		"language": {cmd("taal", ""), press("lang:en"), text("❓ Help"), cmd("taal", ""), press("lang:nl")},
		"ask_coach": {
			text("💬 Vraag aan mijn coach"), text("Mag ik volgende week een uur later komen?"),
			text("💬 Vraag aan mijn coach"), press("cancel"),
			text("💬 Vraag aan mijn coach"), {say: "(voice note)", ev: dialogs.Event{Kind: dialogs.KindMedia, Media: &dialogs.Media{Type: "voice", FileID: "v1"}}},
		},
		"letter": {
			text("✉️ Hulp met een brief"), press("letter:done"), text("hier is hij"),
			photo("p1"), photo("p2"), press("letter:done"), text("gemeente"), press("letter:from:gemeente"),
			text("Moet ik dit betalen?"),
			text("✉️ Hulp met een brief"), photo("p3"), press("letter:done"), press("letter:from:woning"), press("letter:noq"),
		},
		"safety": {
			text("ik wil niet meer leven"),
			text("mn vriend wil mijn pinpas en pincode lenen"),
			text("ik voel me een beetje alleen vandaag"),
			text("ik ga dood van het lachen om die serie"),
			text("💬 Vraag aan mijn coach"), text("hij slaat me weer, ik ben bang"),
			{say: "(photo with caption)", ev: dialogs.Event{Kind: dialogs.KindMedia, Text: "de deurwaarder staat voor de deur", Media: &dialogs.Media{Type: "photo", FileID: "p9"}}},
		},
		"coach_reply": {
			{say: "(coach Piet posts text and a file)", ev: dialogs.Event{Kind: dialogs.KindCoachReply, Coach: &dialogs.CoachReply{PostID: "post1", Text: "Goed dat je het vraagt. Ja, dat mag.", Files: []dialogs.FileRef{{Source: "mm", ID: "f1", Name: "rooster.pdf", MIME: "application/pdf"}}}}},
		},
	}
	for name, turns := range conversations {
		t.Run(name, func(t *testing.T) {
			golden(t, name+".nl", transcript(t, "nl", turns))
			golden(t, name+".en", transcript(t, "en", turns))
		})
	}
}

func TestStrangerGetsOneKindRefusalAndNothingAfterTheFloodLimit(t *testing.T) {
	env := dialogs.Env{Texts: texts(t)}
	tests := []struct {
		name    string
		ev      dialogs.Event
		invite  dialogs.InviteResult
		seen    int64
		wantKey string
	}{
		{"no code", dialogs.Event{Kind: dialogs.KindText, Text: "hoi"}, dialogs.NoInvite, 1, "stranger.no_code"},
		{"bad code", dialogs.Event{Kind: dialogs.KindCommand, Command: "start", Args: "XXXX"}, dialogs.BadInvite, 1, "stranger.bad_code"},
		{"english app", dialogs.Event{Kind: dialogs.KindText, LangHint: "en"}, dialogs.NoInvite, 2, "stranger.no_code"},
		{"button", dialogs.Event{Kind: dialogs.KindButton, CallbackID: "x"}, dialogs.NoInvite, 3, "stranger.no_code"},
		{"flood", dialogs.Event{Kind: dialogs.KindText, Text: "hoi"}, dialogs.NoInvite, dialogs.FloodLimit + 1, ""},
		{"blocked", dialogs.Event{Kind: dialogs.KindBlocked}, dialogs.NoInvite, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eff := dialogs.Stranger(env, tt.ev, tt.invite, tt.seen)
			var keys []string
			for _, e := range eff {
				switch e := e.(type) {
				case dialogs.Reply:
					keys = append(keys, e.Key)
					if tt.ev.LangHint == "en" && !strings.Contains(e.Text, "Hello") {
						t.Errorf("english stranger got %q", e.Text)
					}
				case dialogs.AnswerButton:
				default:
					t.Errorf("stranger effect %T: strangers must cause nothing but a reply", e)
				}
			}
			got := strings.Join(keys, ",")
			if got != tt.wantKey {
				t.Errorf("keys = %q, want %q", got, tt.wantKey)
			}
		})
	}
}

func TestMenuButtonsAreRecognisedAsTyped(t *testing.T) {
	env := dialogs.Env{Texts: texts(t)}
	c := dialogs.Client{Coach: "Piet", Lang: "nl"}
	tests := []struct{ typed, wantKey string }{
		{"❓ Help", "help.text"},
		{"HELP", "help.text"},
		{"vraag aan mijn coach", "ask.prompt"},
		{"📅 mijn  dag!", "myday.empty"},
		{"Ask my coach", "ask.prompt"},
		{"het gaat niet goed", "not_ok.reply"},
		{"helpen", "message.saved"},
	}
	for _, tt := range tests {
		_, eff := dialogs.Step(env, c, dialogs.State{}, dialogs.Event{Kind: dialogs.KindText, Text: tt.typed})
		var first string
		for _, e := range eff {
			if r, ok := e.(dialogs.Reply); ok {
				first = r.Key
				break
			}
		}
		if first != tt.wantKey {
			t.Errorf("%q: first reply %q, want %q", tt.typed, first, tt.wantKey)
		}
	}
}

func TestNotOKGoesOutUrgentAndTellsTheCoach(t *testing.T) {
	env := dialogs.Env{Texts: texts(t)}
	_, eff := dialogs.Step(env, dialogs.Client{Coach: "Piet", Lang: "nl"}, dialogs.State{}, dialogs.Event{Kind: dialogs.KindText, Text: "😟 Het gaat niet goed"})
	var urgent, coach int
	for _, e := range eff {
		switch e := e.(type) {
		case dialogs.Reply:
			if e.Lane == dialogs.Urgent {
				urgent++
			}
			if strings.Contains(e.Text, "113") && e.Lane != dialogs.Urgent {
				t.Error("helpline reply not urgent")
			}
		case dialogs.ToCoach:
			if e.Priority {
				coach++
			}
		}
	}
	if urgent != 2 || coach != 1 {
		t.Errorf("urgent replies %d, priority coach posts %d", urgent, coach)
	}
}

func TestEveryReplyKeyExistsInEveryLanguage(t *testing.T) {
	tx := texts(t)
	for _, lang := range tx.Languages() {
		for _, k := range tx.Keys("nl") {
			if tx.Text(lang, k, map[string]any{"Name": "A", "Coach": "B"}) == k {
				t.Errorf("%s: key %s does not render", lang, k)
			}
		}
	}
}

// Every message that offers ❓ Ik snap het niet has a simpler version, and
// that version is shorter; pressing the button gives it after a kind word.
func TestSimplerVersions(t *testing.T) {
	tx := texts(t)
	env := dialogs.Env{Texts: tx, Now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), Check: check(t)}
	c := dialogs.Client{ID: "c1", FirstName: "Sanne", Coach: "Piet", Lang: "nl", ChatID: 42, LinkedUpdate: 1}
	events := []dialogs.Event{
		{Kind: dialogs.KindText, Text: "❓ Help"}, {Kind: dialogs.KindEdited, Text: "x"},
		{Kind: dialogs.KindText, Text: "ik wil niet meer leven"}, {Kind: dialogs.KindText, Text: "hij slaat me, ik ben bang"},
		{Kind: dialogs.KindText, Text: "mn vriend wil mijn pinpas lenen"}, {Kind: dialogs.KindText, Text: "de deurwaarder staat voor de deur"},
		{Kind: dialogs.KindText, Text: "✉️ Hulp met een brief"},
	}
	offered := 0
	for _, lang := range tx.Languages() {
		c.Lang = lang
		var st dialogs.State
		for _, ev := range events {
			var eff []dialogs.Effect
			st, eff = dialogs.Step(env, c, st, ev)
			for _, e := range eff {
				r, ok := e.(dialogs.Reply)
				if !ok {
					continue
				}
				for _, row := range r.Keyboard.Rows {
					for _, b := range row {
						key, ok := strings.CutPrefix(b.Data, "simple:")
						if !ok {
							continue
						}
						offered++
						if !tx.Has(lang, key+".simple") {
							t.Errorf("%s: %s offers a simpler version it does not have", lang, key)
						}
						if len(strings.Fields(tx.Text(lang, key+".simple", map[string]any{"Coach": "Piet"}))) >= len(strings.Fields(r.Text)) {
							t.Errorf("%s: %s.simple is not shorter", lang, key)
						}
						_, out := dialogs.Step(env, c, st, dialogs.Event{Kind: dialogs.KindButton, Data: b.Data, CallbackID: "q"})
						if len(out) != 3 || out[1].(dialogs.Reply).Key != "simple.ok" || out[2].(dialogs.Reply).Key != key+".simple" {
							t.Errorf("%s: pressing %s gave %v", lang, b.Data, out)
						}
					}
				}
			}
		}
	}
	if offered < 10 {
		t.Fatalf("only %d messages offered a simpler version", offered)
	}
	for _, lang := range tx.Languages() {
		for _, k := range tx.Keys(lang) {
			if base, ok := strings.CutSuffix(k, ".simple"); ok && !tx.Has(lang, base) {
				t.Errorf("%s: %s has no original", lang, k)
			}
		}
	}
}
