package dialogs_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/easytext"
	"github.com/waakvlam/waakvlam/staff"
)

// concerns is what the fake concern check finds: the tests here do not
// depend on how package signals judges a message, only on the contract.
var concerns = map[string]dialogs.Concern{
	"ik zie het niet meer zitten":                     {Severity: dialogs.SevHigh, Category: "suicide", AskBack: true},
	"er staat iemand bij mijn deur die blijft bellen": {Severity: dialogs.SevHigh, Category: "danger", AskBack: true},
	"misschien ga ik weer krassen":                    {Severity: dialogs.SevHigh, Category: "selfharm", AskBack: true},
	"hij doet soms eng tegen me":                      {Severity: dialogs.SevHigh, Category: "violence", AskBack: true},
	"ik wil dood":                                     {Severity: dialogs.SevUrgent, Category: "suicide"},
	"hij heeft een mes en ik ben bang":                {Severity: dialogs.SevUrgent, Category: "danger"},
	"hij slaat me elke dag":                           {Severity: dialogs.SevUrgent, Category: "violence"},
	"ik wil niet meer, echt niet":                     {Severity: dialogs.SevUrgent, Category: "suicide", Lang: "nl"},
	"ik snijd mezelf, echt waar":                      {Severity: dialogs.SevUrgent, Category: "selfharm", AskBack: true},
	"I want to end my life":                           {Severity: dialogs.SevUrgent, Category: "suicide", Lang: "en"},
	"I don't see the point anymore":                   {Severity: dialogs.SevHigh, Category: "suicide", AskBack: true, Lang: "en"},
	"mijn huur is te hoog":                            {Severity: dialogs.SevAttention, Category: "money"},
}

func fakeCheck(text string) dialogs.Concern { return concerns[text] }

var ams = func() *time.Location {
	l, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return l
}()

// thursday10 is in coach hours (Monday to Friday 8:30-17:00).
var thursday10 = time.Date(2026, 11, 26, 10, 0, 0, 0, ams)

// hoursEnv is an Env at now with the default coach hours of the staff file.
func hoursEnv(t *testing.T, now time.Time) dialogs.Env {
	t.Helper()
	d, err := staff.ParseDirectory([]byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	d.Location = ams
	env := dialogs.Env{Texts: texts(t), Now: now, Check: fakeCheck}
	if env.CoachHours = d.InCoachHours(now); !env.CoachHours {
		env.CoachBack = d.NextCoachHours(now)
	}
	return env
}

// cturn is one thing a client or stranger does at a time.
type cturn struct {
	say      string
	ev       dialogs.Event
	at       time.Time // zero: the time of the turn before
	stranger bool      // answered by Stranger, as the seen-th message of the hour
	seen     int64
}

func say(s string) cturn { return cturn{say: s, ev: dialogs.Event{Kind: dialogs.KindText, Text: s}} }
func sayAt(at time.Time, s string) cturn {
	tr := say(s)
	tr.at = at
	return tr
}
func tap(data string) cturn {
	return cturn{say: "(press " + data + ")", ev: dialogs.Event{Kind: dialogs.KindButton, Data: data, CallbackID: "cb", MessageID: 9}}
}
func asStranger(seen int64, tr cturn) cturn {
	tr.stranger, tr.seen = true, seen
	return tr
}

// crisisTranscript plays turns for client Sanne (coach Piet) in lang, or
// for a stranger whose app speaks lang.
func crisisTranscript(t *testing.T, lang string, turns []cturn) string {
	c := dialogs.Client{ID: "c1", FirstName: "Sanne", Coach: "Piet", Lang: lang, ChatID: 42, LinkedUpdate: 1}
	var st dialogs.State
	var b strings.Builder
	at := thursday10
	for i, tr := range turns {
		if !tr.at.IsZero() {
			at = tr.at
			fmt.Fprintf(&b, "-- %s\n", at.Format("Monday 2 January 15:04"))
		}
		env := hoursEnv(t, at)
		tr.ev.UpdateID = int64(i + 1)
		var eff []dialogs.Effect
		if tr.stranger {
			tr.ev.LangHint = lang
			fmt.Fprintf(&b, "stranger (message %d this hour): %s\n", tr.seen, tr.say)
			eff = dialogs.Stranger(env, tr.ev, dialogs.NoInvite, tr.seen)
		} else {
			fmt.Fprintf(&b, "client: %s\n", tr.say)
			st, eff = dialogs.Step(env, c, st, tr.ev)
		}
		b.WriteString(Render(eff))
		b.WriteString("\n")
	}
	return b.String()
}

func TestCrisisTranscripts(t *testing.T) {
	conversations := map[string]func(lang string) []cturn{
		// Ask back when unsure: all three answers, a double tap, an old
		// and an unreadable button, and a question in the middle of a dialog.
		"askback": func(l string) []cturn {
			return []cturn{
				say("ik zie het niet meer zitten"), tap("ask:y:suicide:" + l), tap("ask:y:suicide:" + l),
				say("er staat iemand bij mijn deur die blijft bellen"), tap("ask:n:danger:" + l),
				say("misschien ga ik weer krassen"), tap("ask:d:selfharm:" + l),
				tap("ask:n:violence:" + l), tap("ask:q:suicide:" + l),
				say("💬 Vraag aan mijn coach"), say("hij doet soms eng tegen me"), tap("ask:n:violence:" + l),
				say("ik snijd mezelf, echt waar"),
			}
		},
		// Kinder crisis replies: they vary, say who reads the message and
		// when (in coach hours, at night, before the weekend, early in the
		// morning) and ask "Ben je nu veilig?".
		"crisis": func(l string) []cturn {
			return []cturn{
				say("ik wil dood"), tap("safe:n:suicide:" + l),
				sayAt(time.Date(2026, 11, 26, 23, 0, 0, 0, ams), "ik wil dood"), tap("safe:y:suicide:" + l),
				sayAt(time.Date(2026, 12, 4, 18, 0, 0, 0, ams), "hij heeft een mes en ik ben bang"), tap("safe:n:danger:" + l),
				sayAt(time.Date(2026, 12, 1, 3, 0, 0, 0, ams), "hij slaat me elke dag"),
			}
		},
		// Safety replies in the language the message is written in.
		"crisis_language": func(l string) []cturn {
			return []cturn{
				say("I want to end my life"), tap("safe:n:suicide:en"),
				say("I don't see the point anymore"), tap("ask:n:suicide:en"),
				say("ik wil niet meer, echt niet"), tap("safe:y:suicide:nl"),
			}
		},
		// A stranger in crisis gets the helplines, past the flood limit too,
		// but not without end; a grey zone gets the question.
		"stranger_crisis": func(l string) []cturn {
			return []cturn{
				asStranger(1, say("ik wil dood")), asStranger(2, tap("safe:n:suicide:"+l)),
				asStranger(3, say("ik zie het niet meer zitten")), asStranger(4, tap("ask:y:suicide:"+l)),
				asStranger(5, tap("safe:y:suicide:"+l)),
				asStranger(6, say("hoi")), asStranger(7, say("hij slaat me elke dag")),
				asStranger(8, say("ik zie het niet meer zitten")),
				asStranger(dialogs.CrisisFloodLimit+1, say("ik wil dood")),
				asStranger(1, say("er staat iemand bij mijn deur die blijft bellen")), asStranger(2, tap("ask:n:danger:"+l)),
			}
		},
		// Many clients type instead of pressing a button: a typed answer to
		// the open question counts as the button. "weet niet" to "Ben je nu
		// veilig?" counts as not safe; a "nee" with no open question, or an
		// hour after "Ben je nu veilig?", is an ordinary message.
		"typed_answers": func(l string) []cturn {
			return []cturn{
				say("ik wil dood"), say("Nee!"), say("nee"),
				say("hij slaat me elke dag"), say("ja hoor"),
				say("ik wil dood"), say("weet niet"),
				say("ik zie het niet meer zitten"), say("weet ik niet"),
				say("er staat iemand bij mijn deur die blijft bellen"), say("nee"),
				say("misschien ga ik weer krassen"), say("help"),
				sayAt(time.Date(2026, 11, 26, 13, 0, 0, 0, ams), "ik wil dood"),
				sayAt(time.Date(2026, 11, 26, 14, 30, 0, 0, ams), "nee"),
			}
		},
		// A client who stopped is a stranger again, and safe as one.
		"stopped_crisis": func(l string) []cturn {
			return []cturn{
				{say: "/stop", ev: dialogs.Event{Kind: dialogs.KindCommand, Command: "stop"}}, tap("stop:yes"),
				asStranger(1, say("ik wil dood")), asStranger(2, tap("safe:n:suicide:"+l)),
				asStranger(3, say("hoi")),
			}
		},
	}
	for name, turns := range conversations {
		t.Run(name, func(t *testing.T) {
			for _, lang := range []string{"nl", "en"} {
				golden(t, name+"."+lang, crisisTranscript(t, lang, turns(lang)))
			}
		})
	}
}

// keys lists the locale keys of the replies in effects.
func keys(eff []dialogs.Effect) []string {
	var out []string
	for _, e := range eff {
		if r, ok := e.(dialogs.Reply); ok {
			out = append(out, r.Key)
		}
	}
	return out
}

func find[T dialogs.Effect](eff []dialogs.Effect) (T, bool) {
	for _, e := range eff {
		if x, ok := e.(T); ok {
			return x, true
		}
	}
	var zero T
	return zero, false
}

func TestAskBackAnswers(t *testing.T) {
	env := hoursEnv(t, thursday10)
	c := dialogs.Client{ID: "c1", FirstName: "Sanne", Coach: "Piet", Lang: "nl"}
	open := func(answer string) dialogs.State {
		return dialogs.State{Ask: &dialogs.AskBack{Category: "suicide", At: thursday10.Add(-time.Hour), Answer: answer}}
	}
	tests := []struct {
		name      string
		st        dialogs.State
		data      string
		wantKeys  string
		wantInfo  string // the coach post; "" for none
		wantAlert dialogs.Severity
	}{
		{"yes", open(""), "ask:y:suicide:nl", "safety.open_2,safety.113,safety.safe_question", dialogs.InfoAskYes, dialogs.SevUrgent},
		{"unsure", open(""), "ask:d:suicide:nl", "safety.open_2,safety.113,safety.safe_question", dialogs.InfoAskUnsure, dialogs.SevUrgent},
		{"no", open(""), "ask:n:suicide:nl", "safety.ask_no", dialogs.InfoAskNo, dialogs.SevNone},
		{"yes twice", open("y"), "ask:y:suicide:nl", "safety.113", "", dialogs.SevNone},
		{"unsure after yes", open("y"), "ask:d:suicide:nl", "safety.113", "", dialogs.SevNone},
		{"no twice", open("n"), "ask:n:suicide:nl", "safety.ask_no", "", dialogs.SevNone},
		{"yes after no", open("n"), "ask:y:suicide:nl", "safety.open_2,safety.113,safety.safe_question", dialogs.InfoAskYes, dialogs.SevUrgent},
		{"no after yes", open("y"), "ask:n:suicide:nl", "safety.ask_no", dialogs.InfoAskNo, dialogs.SevNone},
		{"old question, yes", dialogs.State{}, "ask:y:danger:nl", "safety.open_2,safety.112,safety.safe_question", dialogs.InfoAskYes, dialogs.SevUrgent},
		{"old question, no", dialogs.State{}, "ask:n:danger:nl", "safety.ask_stale", "", dialogs.SevNone},
		{"expired question, no", dialogs.State{Ask: &dialogs.AskBack{Category: "suicide", At: thursday10.Add(-25 * time.Hour)}}, "ask:n:suicide:nl", "safety.ask_stale", "", dialogs.SevNone},
		{"other category, no", open(""), "ask:n:danger:nl", "safety.ask_stale", "", dialogs.SevNone},
		{"unreadable", open(""), "ask:x:suicide:nl", "unknown.button", "", dialogs.SevNone},
		{"unknown category", open(""), "ask:y:weather:nl", "unknown.button", "", dialogs.SevNone},
		{"unknown language", open(""), "ask:n:suicide:xx", "safety.ask_no", dialogs.InfoAskNo, dialogs.SevNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, eff := dialogs.Step(env, c, tt.st, dialogs.Event{Kind: dialogs.KindButton, UpdateID: 7, Data: tt.data, CallbackID: "cb", MessageID: 3})
			if got := strings.Join(keys(eff), ","); got != tt.wantKeys {
				t.Errorf("replies %s, want %s", got, tt.wantKeys)
			}
			if _, ok := find[dialogs.AnswerButton](eff); !ok {
				t.Error("button not answered")
			}
			post, posted := find[dialogs.ToCoach](eff)
			if posted != (tt.wantInfo != "") || post.Info != tt.wantInfo {
				t.Errorf("coach post %+v, want info %q", post, tt.wantInfo)
			}
			if posted && post.Priority != (tt.wantAlert == dialogs.SevUrgent) {
				t.Errorf("coach post priority %v", post.Priority)
			}
			alert, raised := find[dialogs.RaiseAlert](eff)
			if raised != (tt.wantAlert != dialogs.SevNone) || (raised && alert.Severity != tt.wantAlert) {
				t.Errorf("alert %+v, want %v", alert, tt.wantAlert)
			}
			for _, r := range eff {
				if r, ok := r.(dialogs.Reply); ok && tt.wantAlert == dialogs.SevUrgent && r.Lane != dialogs.Urgent {
					t.Errorf("%s not on the urgent lane", r.Key)
				}
			}
			if tt.wantInfo != "" && (next.Ask == nil || next.Ask.Answer == "") {
				t.Errorf("answer not kept: %+v", next.Ask)
			}
		})
	}
}

// A grey-zone message: the coach gets it at once as a High signal, the
// client one question (no helplines yet), and the question stays open
// while the client does other things.
func TestAskBackQuestionTellsTheCoachAtOnce(t *testing.T) {
	env := hoursEnv(t, thursday10)
	c := dialogs.Client{ID: "c1", FirstName: "Sanne", Coach: "Piet", Lang: "nl"}
	for _, text := range []string{"ik zie het niet meer zitten", "er staat iemand bij mijn deur die blijft bellen", "misschien ga ik weer krassen", "hij doet soms eng tegen me"} {
		st, eff := dialogs.Step(env, c, dialogs.State{}, dialogs.Event{Kind: dialogs.KindText, Text: text, UpdateID: 5})
		post, _ := find[dialogs.ToCoach](eff)
		alert, _ := find[dialogs.RaiseAlert](eff)
		if !post.Priority || post.Severity != dialogs.SevHigh || post.Text != text || post.Info != dialogs.InfoAskedBack || alert.Severity != dialogs.SevHigh {
			t.Errorf("%q: post %+v alert %+v", text, post, alert)
		}
		ks := keys(eff)
		if len(ks) != 1 || !strings.HasPrefix(ks[0], "safety.ask_") {
			t.Errorf("%q: replies %v, want one question", text, ks)
		}
		r, _ := find[dialogs.Reply](eff)
		if n := len(r.Keyboard.Rows[0]) + len(r.Keyboard.Rows[1]); n != 3 || r.Lane != dialogs.Urgent {
			t.Errorf("%q: %d buttons on lane %s", text, n, r.Lane)
		}
		if st.Ask == nil || st.Ask.Category != concerns[text].Category {
			t.Fatalf("%q: question not kept: %+v", text, st.Ask)
		}
		st, _ = dialogs.Step(env, c, st, dialogs.Event{Kind: dialogs.KindText, Text: "❓ Help"})
		if st.Ask == nil {
			t.Errorf("%q: the open question was lost on the next message", text)
		}
	}
}

// A clearly urgent message gets help first, never a question first, even
// when the check was unsure.
func TestUrgentGetsHelpFirstNeverAQuestion(t *testing.T) {
	env := hoursEnv(t, thursday10)
	c := dialogs.Client{ID: "c1", FirstName: "Sanne", Coach: "Piet", Lang: "nl"}
	for _, st := range []dialogs.State{{}, {Step: dialogs.StepLetterPages}, {Step: dialogs.StepAskCoach}} {
		next, eff := dialogs.Step(env, c, st, dialogs.Event{Kind: dialogs.KindText, Text: "ik snijd mezelf, echt waar", UpdateID: 4})
		ks := keys(eff)
		if len(ks) != 3 || !strings.HasPrefix(ks[0], "safety.open_") || ks[1] != "safety.113" || ks[2] != "safety.safe_question" {
			t.Errorf("from %q: replies %v", st.Step, ks)
		}
		if alert, _ := find[dialogs.RaiseAlert](eff); alert.Severity != dialogs.SevUrgent {
			t.Errorf("alert %+v", alert)
		}
		if next.Step != dialogs.StepIdle || next.Ask != nil {
			t.Errorf("state after a crisis %+v", next)
		}
	}
}

// The opening varies with the update; who reads the message and when
// follows the coach hours, and the coach is never promised "nu" outside them.
func TestCrisisRepliesVaryAndSayWhoReadsWhen(t *testing.T) {
	c := dialogs.Client{ID: "c1", FirstName: "Sanne", Coach: "Piet", Lang: "nl"}
	first := func(env dialogs.Env, update int64) dialogs.Reply {
		_, eff := dialogs.Step(env, c, dialogs.State{}, dialogs.Event{Kind: dialogs.KindText, Text: "ik wil dood", UpdateID: update})
		r, _ := find[dialogs.Reply](eff)
		return r
	}
	seen := map[string]bool{}
	for u := int64(1); u <= 3; u++ {
		seen[first(hoursEnv(t, thursday10), u).Key] = true
	}
	if len(seen) != 3 {
		t.Errorf("openings %v, want 3 different", seen)
	}
	tests := []struct {
		name string
		env  dialogs.Env
		want string
	}{
		{"coach hours", hoursEnv(t, thursday10), "Ik stuur je bericht nu naar Piet. Piet neemt vandaag contact met je op."},
		{"evening", hoursEnv(t, time.Date(2026, 11, 26, 21, 0, 0, 0, ams)), "Ik stuur je bericht naar Piet. Piet leest het morgen vanaf 8:30."},
		{"night", hoursEnv(t, time.Date(2026, 11, 27, 2, 0, 0, 0, ams)), "Piet leest het vandaag vanaf 8:30."},
		{"weekend", hoursEnv(t, time.Date(2026, 11, 28, 14, 0, 0, 0, ams)), "Piet leest het maandag vanaf 8:30."},
		{"hours not known", dialogs.Env{Texts: texts(t), Now: thursday10, Check: fakeCheck}, "Piet leest het op de eerste werkdag."},
	}
	for _, tt := range tests {
		r := first(tt.env, 1)
		if !strings.Contains(r.Text, tt.want) {
			t.Errorf("%s: %q lacks %q", tt.name, r.Text, tt.want)
		}
		if !tt.env.CoachHours && strings.Contains(r.Text, " nu ") {
			t.Errorf("%s: %q promises the coach now", tt.name, r.Text)
		}
	}
}

// Every crisis message, as composed for the client, passes the
// easy-language rules, in every coach-hours case and every opening.
func TestCrisisRepliesAreEasyDutch(t *testing.T) {
	c := dialogs.Client{ID: "c1", FirstName: "Sanne", Coach: "Piet", Lang: "nl"}
	times := []time.Time{thursday10, time.Date(2026, 11, 26, 21, 0, 0, 0, ams), time.Date(2026, 11, 27, 2, 0, 0, 0, ams), time.Date(2026, 11, 28, 14, 0, 0, 0, ams)}
	checked := 0
	for _, at := range times {
		env := hoursEnv(t, at)
		for u := int64(1); u <= 3; u++ {
			for _, text := range []string{"ik wil dood", "hij heeft een mes en ik ben bang", "hij slaat me elke dag", "ik zie het niet meer zitten"} {
				ev := dialogs.Event{Kind: dialogs.KindText, Text: text, UpdateID: u}
				_, eff := dialogs.Step(env, c, dialogs.State{}, ev)
				eff = append(eff, dialogs.Stranger(env, ev, dialogs.NoInvite, 1)...)
				for _, e := range eff {
					r, ok := e.(dialogs.Reply)
					if !ok {
						continue
					}
					checked++
					if rep := easytext.CheckMessage(r.Key, r.Text); rep.Errors() > 0 {
						t.Errorf("%s: %s", r.Key, rep)
					}
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d messages", checked)
	}
}

// Safety replies go out in the language the message is written in when
// the texts have it, else in the client's.
func TestSafetyRepliesFollowTheMessageLanguage(t *testing.T) {
	env := hoursEnv(t, thursday10)
	tests := []struct {
		client, text, lang, want string
	}{
		{"nl", "I want to end my life", "en", "113 is there for you now"},
		{"en", "ik wil niet meer, echt niet", "nl", "113 is er nu voor je"},
		{"nl", "ik wil niet meer, echt niet", "nl", "113 is er nu voor je"},
		{"en", "ik wil dood", "", "113 is there for you now"},
		{"en", "I don't see the point anymore", "en", "Do you mean that you want to hurt yourself?"},
		{"nl", "I don't see the point anymore", "en", "Do you mean that you want to hurt yourself?"},
		{"en", "ik zie het niet meer zitten", "", "Do you mean that you want to hurt yourself?"},
	}
	for _, tt := range tests {
		c := dialogs.Client{ID: "c1", FirstName: "Sanne", Coach: "Piet", Lang: tt.client}
		_, eff := dialogs.Step(env, c, dialogs.State{}, dialogs.Event{Kind: dialogs.KindText, Text: tt.text, UpdateID: 1})
		var all []string
		for _, e := range eff {
			if r, ok := e.(dialogs.Reply); ok {
				all = append(all, r.Text)
				for _, row := range r.Keyboard.Rows {
					for _, b := range row {
						if strings.HasPrefix(b.Data, "ask:") || strings.HasPrefix(b.Data, "safe:") {
							want := tt.lang
							if want == "" {
								want = tt.client
							}
							if !strings.HasSuffix(b.Data, ":"+want) {
								t.Errorf("%s client, %q: button %s does not carry %s", tt.client, tt.text, b.Data, want)
							}
						}
					}
				}
			}
		}
		if got := strings.Join(all, "\n"); !strings.Contains(got, tt.want) {
			t.Errorf("%s client, %q:\n%s\nlacks %q", tt.client, tt.text, got, tt.want)
		}
	}
	// A stranger's crisis follows the message too, not the app's language.
	eff := dialogs.Stranger(env, dialogs.Event{Kind: dialogs.KindText, Text: "I want to end my life", LangHint: "nl"}, dialogs.NoInvite, 1)
	if r, _ := find[dialogs.Reply](eff); !strings.Contains(r.Text, "I am a computer") {
		t.Errorf("stranger reply %q", r.Text)
	}
}

func TestStrangerInCrisisGetsTheHelplinesAndNothingIsKept(t *testing.T) {
	env := hoursEnv(t, thursday10)
	tests := []struct {
		name string
		ev   dialogs.Event
		seen int64
		want string
	}{
		{"suicide", dialogs.Event{Kind: dialogs.KindText, Text: "ik wil dood"}, 1, "safety.open_1,safety.113,safety.safe_question"},
		{"danger", dialogs.Event{Kind: dialogs.KindText, Text: "hij heeft een mes en ik ben bang"}, 1, "safety.open_1,safety.112,safety.safe_question"},
		{"violence", dialogs.Event{Kind: dialogs.KindText, Text: "hij slaat me elke dag"}, 1, "safety.open_1,safety.veiligthuis,safety.safe_question"},
		{"caption", dialogs.Event{Kind: dialogs.KindMedia, Text: "ik wil dood", Media: &dialogs.Media{Type: "photo"}}, 1, "safety.open_1,safety.113,safety.safe_question"},
		{"past the flood limit", dialogs.Event{Kind: dialogs.KindText, Text: "ik wil dood"}, dialogs.FloodLimit + 1, "safety.open_1,safety.113,safety.safe_question"},
		{"at the crisis cap", dialogs.Event{Kind: dialogs.KindText, Text: "ik wil dood"}, dialogs.CrisisFloodLimit, "safety.open_1,safety.113,safety.safe_question"},
		{"past the crisis cap", dialogs.Event{Kind: dialogs.KindText, Text: "ik wil dood"}, dialogs.CrisisFloodLimit + 1, ""},
		{"grey zone", dialogs.Event{Kind: dialogs.KindText, Text: "ik zie het niet meer zitten"}, 1, "stranger.no_code,safety.ask_self"},
		{"grey zone past the flood limit", dialogs.Event{Kind: dialogs.KindText, Text: "ik zie het niet meer zitten"}, dialogs.FloodLimit + 1, ""},
		{"attention", dialogs.Event{Kind: dialogs.KindText, Text: "mijn huur is te hoog"}, 1, "stranger.no_code"},
		{"not safe", dialogs.Event{Kind: dialogs.KindButton, Data: "safe:n:suicide:nl", CallbackID: "q"}, 9, "safety.not_safe_stranger"},
		{"safe", dialogs.Event{Kind: dialogs.KindButton, Data: "safe:y:suicide:nl", CallbackID: "q"}, 2, "safety.is_safe_stranger"},
		{"asked back, yes", dialogs.Event{Kind: dialogs.KindButton, Data: "ask:y:selfharm:nl", CallbackID: "q"}, 2, "safety.open_1,safety.113,safety.safe_question"},
		{"asked back, no", dialogs.Event{Kind: dialogs.KindButton, Data: "ask:n:selfharm:nl", CallbackID: "q"}, 2, "safety.ask_no_stranger"},
		{"unreadable safety button", dialogs.Event{Kind: dialogs.KindButton, Data: "safe:x:suicide", CallbackID: "q"}, 2, "stranger.no_code"},
		{"command", dialogs.Event{Kind: dialogs.KindCommand, Command: "start", Args: "ikwildood", Text: "ik wil dood"}, 1, "stranger.no_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ev.UpdateID = 3
			eff := dialogs.Stranger(env, tt.ev, dialogs.NoInvite, tt.seen)
			if got := strings.Join(keys(eff), ","); got != tt.want {
				t.Errorf("replies %q, want %q", got, tt.want)
			}
			for _, e := range eff {
				switch e := e.(type) {
				case dialogs.Reply:
					if strings.Contains(e.Text, "Piet") || strings.Contains(e.Text, "<no value>") {
						t.Errorf("stranger reply %q speaks of a coach", e.Text)
					}
					for _, row := range e.Keyboard.Rows {
						for _, b := range row {
							if strings.HasPrefix(b.Data, "simple:") {
								t.Errorf("%s offers %s: a stranger's press reaches no dialog", e.Key, b.Data)
							}
						}
					}
					if strings.HasPrefix(e.Key, "safety.") && e.Lane != dialogs.Urgent {
						t.Errorf("%s not on the urgent lane", e.Key)
					}
				case dialogs.AnswerButton, dialogs.ClearButtons:
				default:
					t.Errorf("stranger effect %T: a stranger must leave nothing but replies", e)
				}
			}
		})
	}
}
