package dialogs_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Amsterdam on any machine

	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/locales"
)

func amsterdam(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// renderStructure is Render with the structure effects.
func renderStructure(effects []dialogs.Effect) string {
	var b strings.Builder
	for _, e := range effects {
		switch e := e.(type) {
		case dialogs.Snooze:
			fmt.Fprintf(&b, "(snooze schedule=%s occurrence=%s after=%s at=%s count=%d)\n", e.ScheduleID, e.OccurrenceID, e.After, e.At.Format("Mon 15:04"), e.Count)
		case dialogs.ReminderDone:
			fmt.Fprintf(&b, "(done schedule=%s occurrence=%s)\n", e.ScheduleID, e.OccurrenceID)
		case dialogs.MoodRecorded:
			fmt.Fprintf(&b, "(mood %d schedule=%s occurrence=%s)\n", e.Mood, e.ScheduleID, e.OccurrenceID)
		default:
			b.WriteString(Render([]dialogs.Effect{e}))
		}
	}
	return b.String()
}

// sturn is one moment of a structure transcript: a due occurrence, a
// pressed button (by its label on the last message with buttons, or raw
// data), or 📅 Mijn dag.
type sturn struct {
	at    time.Time
	due   *dialogs.Due
	press string // button label
	data  string // raw button data (stale and forged presses)
	myDay []dialogs.DayItem
}

const sched = "3f9a0c1d2e3f4a5b6c7d8e9f"

func occID(schedule string, event time.Time, idx int) string {
	return fmt.Sprintf("%s:%d:%d", schedule, event.UnixMilli(), idx)
}

func structureTranscript(t *testing.T, lang string, turns []sturn) string {
	t.Helper()
	tx := texts(t)
	c := dialogs.Client{ID: "c1", FirstName: "Sanne", Coach: "Piet", Lang: lang, ChatID: 42}
	var st dialogs.State
	var last []dialogs.Button
	var b strings.Builder
	for i, tr := range turns {
		env := dialogs.Env{Texts: tx, Now: tr.at}
		var eff []dialogs.Effect
		stamp := tr.at.Format("Mon 02 Jan 15:04")
		switch {
		case tr.due != nil:
			fmt.Fprintf(&b, "%s scheduler: %s %q due (snoozed %d)\n", stamp, tr.due.Kind, tr.due.Text, tr.due.Snoozed)
			st, eff = dialogs.Remind(env, c, st, *tr.due)
		case tr.myDay != nil || tr.press == "" && tr.data == "":
			fmt.Fprintf(&b, "%s client: 📅 Mijn dag\n", stamp)
			eff = dialogs.MyDay(env, c, tr.myDay, tr.at)
		default:
			data := tr.data
			if tr.press != "" {
				for _, btn := range last {
					if btn.Text == tr.press {
						data = btn.Data
					}
				}
				if data == "" {
					t.Fatalf("turn %d: no button %q on the last message", i, tr.press)
				}
				fmt.Fprintf(&b, "%s client: (press %s)\n", stamp, tr.press)
			} else {
				fmt.Fprintf(&b, "%s client: (press data %q)\n", stamp, data)
			}
			var ok bool
			st, eff, ok = dialogs.StructureButton(env, c, st, dialogs.Event{Kind: dialogs.KindButton, Data: data, CallbackID: "cb", MessageID: 7 + i})
			if !ok {
				t.Fatalf("turn %d: %q is not a structure button", i, data)
			}
		}
		for _, e := range eff {
			if r, ok := e.(dialogs.Reply); ok && r.Keyboard.Kind == dialogs.InlineKeyboard {
				last = nil
				for _, row := range r.Keyboard.Rows {
					for _, btn := range row {
						if len(btn.Data) > 64 {
							t.Errorf("button data %q is %d bytes", btn.Data, len(btn.Data))
						}
						last = append(last, btn)
					}
				}
			}
		}
		b.WriteString(renderStructure(eff))
		if st.Step != "" {
			fmt.Fprintf(&b, "(state %s)\n", st.Step)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func structureConversations(t *testing.T) map[string]func(lang string) []sturn {
	loc := amsterdam(t)
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, loc) } // 26 November 2026 is a Thursday
	pills := func(day, h, m, snoozed int) *dialogs.Due {
		id := sched
		if snoozed > 0 {
			id = dialogs.SnoozeScheduleID(sched, snoozed)
		}
		return &dialogs.Due{OccurrenceID: occID(id, at(day, h, m), 0), ScheduleID: id, Kind: dialogs.DueReminder,
			Text: "Pillen", Emoji: "💊", Due: at(day, h, m), Event: at(day, h, m), Snoozed: snoozed,
			QuietStart: 21 * 60, QuietEnd: 8 * 60}
	}
	dentist := at(28, 14, 30)
	appt := func(before time.Duration, now time.Time) *dialogs.Due {
		return &dialogs.Due{OccurrenceID: occID("a1b2c3", dentist, map[bool]int{true: 0, false: 1}[before > time.Hour]), ScheduleID: "a1b2c3",
			Kind: dialogs.DueAppointment, Text: "Tandarts", Emoji: "🦷", Due: now, Event: dentist, Before: before}
	}
	checkin := func(day int) *dialogs.Due {
		return &dialogs.Due{OccurrenceID: occID("ck01", at(day, 10, 0), 0), ScheduleID: "ck01", Kind: dialogs.DueCheckin, Due: at(day, 10, 0), Event: at(day, 10, 0)}
	}
	return map[string]func(string) []sturn{
		"reminder": func(lang string) []sturn {
			later, done := "⏰ Straks", "✅ Gedaan"
			if lang == "en" {
				later, done = "⏰ Later", "✅ Done"
			}
			return []sturn{
				{at: at(26, 8, 0), due: pills(26, 8, 0, 0)},
				{at: at(26, 8, 4), press: later},
				{at: at(26, 8, 34), due: pills(26, 8, 34, 1)},
				{at: at(26, 8, 40), press: later},
				{at: at(26, 9, 10), due: pills(26, 9, 10, 2)},
				{at: at(26, 9, 12), press: later},
				{at: at(26, 11, 0), due: &dialogs.Due{OccurrenceID: occID("a7", at(30, 11, 0), 0), ScheduleID: "a7", Kind: dialogs.DueAppointment, Text: "Gesprek bij de gemeente", Emoji: "🏛️", Event: at(30, 11, 0), Before: 4 * 24 * time.Hour}},
				{at: at(27, 8, 0), due: pills(27, 8, 0, 0)},
				{at: at(27, 8, 2), press: done},
				{at: at(27, 11, 0), due: &dialogs.Due{OccurrenceID: "eigen-id", ScheduleID: "x", Kind: dialogs.DueReminder, Text: "Water drinken", MaxSnoozes: -1}},
				{at: at(27, 11, 5), press: done},
				{at: at(27, 20, 45), due: &dialogs.Due{OccurrenceID: occID("b9", at(27, 20, 45), 0), ScheduleID: "b9", Kind: dialogs.DueReminder,
					Text: "Afval buiten zetten", Emoji: "🗑️", Due: at(27, 20, 45), Event: at(27, 20, 45), SnoozeAfter: 20 * time.Minute, QuietStart: 21 * 60, QuietEnd: 8 * 60}},
				{at: at(27, 20, 50), press: later},
				{at: at(27, 14, 30), due: appt(24*time.Hour, at(27, 14, 30))},
				{at: at(27, 15, 0), press: "👍 " + map[string]string{"nl": "Oké", "en": "OK"}[lang]},
				{at: at(28, 13, 30), due: appt(time.Hour, at(28, 13, 30))},
				{at: at(28, 15, 0), due: appt(time.Hour, at(28, 15, 0))}, // past: nothing
				{at: at(28, 15, 1), data: "rem:done:"},
				{at: at(28, 15, 2), data: "rem:later:zzzz:" + sched + "!1!0"},
			}
		},
		"checkin": func(lang string) []sturn {
			labels := map[string][]string{
				"nl": {"😀 Heel goed", "😐 Gaat wel", "😢 Slecht", "🙂 Nee, dank je", "🙁 Niet zo goed", "💬 Ja, aan Piet"},
				"en": {"😀 Very good", "😐 Okay", "😢 Bad", "🙂 No, thanks", "🙁 Not so good", "💬 Yes, to Piet"},
			}[lang]
			return []sturn{
				{at: at(26, 10, 0), due: checkin(26)},
				{at: at(26, 10, 3), press: labels[0]},
				{at: at(27, 10, 0), due: checkin(27)},
				{at: at(27, 12, 0), press: labels[1]},
				{at: at(28, 10, 0), due: checkin(28)},
				{at: at(28, 10, 1), press: labels[2]},
				{at: at(28, 10, 2), press: labels[3]},
				{at: at(29, 10, 0), due: checkin(29)},
				{at: at(29, 10, 1), press: labels[4]},
				{at: at(29, 10, 2), press: labels[5]},
				{at: at(29, 10, 3), data: "mood:7:ck01!1!0"},
			}
		},
		"myday": func(string) []sturn {
			return []sturn{
				{at: at(26, 12, 0), myDay: []dialogs.DayItem{
					{At: at(26, 19, 0), Emoji: "🗑️", Text: "Afval buiten zetten"},
					{At: at(26, 8, 0), Emoji: "💊", Text: "Pillen", Done: true},
					{At: at(27, 8, 0), Emoji: "💊", Text: "Pillen"},
					{At: at(26, 14, 30), Emoji: "🦷", Text: "Tandarts"},
					{At: at(26, 20, 0).UTC(), Text: "Bellen met mama"},
				}},
				{at: at(29, 12, 0), myDay: []dialogs.DayItem{}},
			}
		},
	}
}

func TestStructureTranscripts(t *testing.T) {
	for name, turns := range structureConversations(t) {
		t.Run(name, func(t *testing.T) {
			golden(t, name+".nl", structureTranscript(t, "nl", turns("nl")))
			golden(t, name+".en", structureTranscript(t, "en", turns("en")))
		})
	}
}

func TestButtonDataFitsAndNamesTheOccurrence(t *testing.T) {
	env := dialogs.Env{Texts: texts(t), Now: time.Date(2026, 11, 26, 8, 0, 0, 0, amsterdam(t))}
	c := dialogs.Client{Coach: "Piet", Lang: "nl"}
	long := strings.Repeat("a", 64)
	ids := []struct{ occ, wantSched string }{
		{sched + ":1795676400000:0", sched},
		{dialogs.SnoozeScheduleID(long, 2) + ":1795676400000:1", dialogs.SnoozeScheduleID(long, 2)},
		{"o1", ""},
		{"with!bang", ""},
		{long + ":1795676400000:1", ""}, // too long: hashed
		{strings.Repeat("ü", 40), ""},
		{"", ""},
	}
	for _, id := range ids {
		for _, kind := range []string{dialogs.DueReminder, dialogs.DueCheckin, dialogs.DueAppointment} {
			occ := dialogs.Due{OccurrenceID: id.occ, Kind: kind, Text: "x", Event: env.Now.Add(time.Hour), Snoozed: 1, SnoozeAfter: 720 * time.Minute, MaxSnoozes: 5, QuietStart: 1439, QuietEnd: 1438}
			_, eff := dialogs.Remind(env, c, dialogs.State{}, occ)
			n := 0
			for _, e := range eff {
				r, ok := e.(dialogs.Reply)
				if !ok {
					continue
				}
				if r.Lane != dialogs.Bulk {
					t.Errorf("%s: lane %s", kind, r.Lane)
				}
				for _, row := range r.Keyboard.Rows {
					for _, btn := range row {
						n++
						if len(btn.Data) > 64 {
							t.Errorf("%q: %d bytes: %q", id.occ, len(btn.Data), btn.Data)
						}
						_, out, ok := dialogs.StructureButton(env, c, dialogs.State{}, dialogs.Event{Kind: dialogs.KindButton, Data: btn.Data})
						if !ok {
							t.Fatalf("%q not a structure button", btn.Data)
						}
						for _, e := range out {
							var gotOcc, gotSched string
							switch e := e.(type) {
							case dialogs.Snooze:
								gotOcc, gotSched = e.OccurrenceID, e.ScheduleID
							case dialogs.ReminderDone:
								gotOcc, gotSched = e.OccurrenceID, e.ScheduleID
							case dialogs.MoodRecorded:
								gotOcc, gotSched = e.OccurrenceID, e.ScheduleID
							case dialogs.Reply:
								if e.Key == "structure.stale" {
									t.Errorf("%q: own button answered as stale", btn.Data)
								}
								continue
							default:
								continue
							}
							want := id.occ
							if strings.HasPrefix(gotOcc, "#") {
								want = dialogs.HashedOccurrenceID(id.occ)
							}
							if gotOcc != want || gotSched != id.wantSched {
								t.Errorf("%q → occurrence %q schedule %q, want %q %q", btn.Data, gotOcc, gotSched, want, id.wantSched)
							}
						}
					}
				}
			}
			if n == 0 {
				t.Errorf("%s %q: no buttons", kind, id.occ)
			}
		}
	}
}

func TestStructureButtonLeavesOtherButtonsToStep(t *testing.T) {
	env := dialogs.Env{Texts: texts(t), Now: time.Now()}
	for _, data := range []string{"stop:yes", "stop:no", "lang:nl", "cancel", "letter:done", "letter:from:zorg", "letter:noq", "", "remember"} {
		if _, eff, ok := dialogs.StructureButton(env, dialogs.Client{Lang: "nl"}, dialogs.State{}, dialogs.Event{Kind: dialogs.KindButton, Data: data}); ok || eff != nil {
			t.Errorf("%q taken: %v", data, eff)
		}
	}
	if _, _, ok := dialogs.StructureButton(env, dialogs.Client{}, dialogs.State{}, dialogs.Event{Kind: dialogs.KindText, Data: "rem:done:x"}); ok {
		t.Error("text taken as a button")
	}
}

func TestStaleStructureButtonsGetAKindAnswer(t *testing.T) {
	env := dialogs.Env{Texts: texts(t), Now: time.Now()}
	for _, data := range []string{"rem:done:", "rem:later:1.2.u.0.0", "rem:later:0.2.u.0.0:x", "rem:later:1.2.0.0.0:x", "rem:later:1.2.u.141.0:x",
		"rem:seen:#short", "mood:0:x", "mood:6:x", "mood:x:y", "mood:3:", "mood:33:x", "rem:what:x", "chk:maybe", "rem:done:a!zz!0!1", "rem:done:a!-1!0"} {
		st, eff, ok := dialogs.StructureButton(env, dialogs.Client{Lang: "nl"}, dialogs.State{Step: dialogs.StepLetterPages}, dialogs.Event{Kind: dialogs.KindButton, Data: data, CallbackID: "cb"})
		if !ok || st.Step != dialogs.StepLetterPages {
			t.Errorf("%q: ok=%v state %q", data, ok, st.Step)
		}
		var keys []string
		for _, e := range eff {
			switch e := e.(type) {
			case dialogs.Reply:
				keys = append(keys, e.Key)
			case dialogs.AnswerButton, dialogs.ClearButtons:
			default:
				t.Errorf("%q: stale press caused %T", data, e)
			}
		}
		if strings.Join(keys, ",") != "structure.stale" {
			t.Errorf("%q: replies %v", data, keys)
		}
	}
}

func TestTellTheCoachAfterALowMoodOpensAskCoach(t *testing.T) {
	env := dialogs.Env{Texts: texts(t), Now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	c := dialogs.Client{Coach: "Piet", Lang: "nl"}
	st, eff, ok := dialogs.StructureButton(env, c, dialogs.State{}, dialogs.Event{Kind: dialogs.KindButton, Data: "chk:tell", CallbackID: "cb"})
	if !ok || st.Step != dialogs.StepAskCoach || !st.Since.Equal(env.Now) {
		t.Fatalf("state %+v ok %v", st, ok)
	}
	var cancel string
	for _, e := range eff {
		if r, ok := e.(dialogs.Reply); ok && r.Key == "checkin.tell_prompt" {
			cancel = r.Keyboard.Rows[0][0].Data
		}
	}
	// The cancel button and what the client types next belong to Step.
	if _, _, ok := dialogs.StructureButton(env, c, st, dialogs.Event{Kind: dialogs.KindButton, Data: cancel}); ok || cancel == "" {
		t.Errorf("cancel %q taken by StructureButton", cancel)
	}
	_, eff = dialogs.Step(env, c, st, dialogs.Event{Kind: dialogs.KindText, Text: "Ik slaap slecht"})
	var toCoach bool
	for _, e := range eff {
		if p, ok := e.(dialogs.ToCoach); ok && p.Text == "Ik slaap slecht" {
			toCoach = true
		}
	}
	if !toCoach {
		t.Errorf("the told text did not reach the coach: %v", eff)
	}
}

func TestRemindSkipsWhatIsNotForTheClient(t *testing.T) {
	env := dialogs.Env{Texts: texts(t), Now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	for _, occ := range []dialogs.Due{
		{Kind: "silence"}, {Kind: "deadline"}, {Kind: ""},
		{Kind: dialogs.DueAppointment, Event: env.Now},
		{Kind: dialogs.DueAppointment, Due: env.Now.Add(-2 * time.Hour), Before: time.Hour},
	} {
		st, eff := dialogs.Remind(env, dialogs.Client{Lang: "nl"}, dialogs.State{Step: dialogs.StepAskCoach}, occ)
		if eff != nil || st.Step != dialogs.StepAskCoach {
			t.Errorf("%+v: %v", occ, eff)
		}
	}
	// A reminder keeps the dialog the client is in.
	st, eff := dialogs.Remind(env, dialogs.Client{Lang: "nl"}, dialogs.State{Step: dialogs.StepLetterPages}, dialogs.Due{Kind: dialogs.DueReminder, OccurrenceID: "o", Text: "Pillen"})
	if st.Step != dialogs.StepLetterPages || len(eff) != 2 {
		t.Errorf("state %q effects %v", st.Step, eff)
	}
	// No snoozing: no ⏰ button.
	_, eff = dialogs.Remind(env, dialogs.Client{Lang: "nl"}, dialogs.State{}, dialogs.Due{Kind: dialogs.DueReminder, OccurrenceID: "o", Text: "Pillen", MaxSnoozes: -1})
	if r := eff[1].(dialogs.Reply); len(r.Keyboard.Rows[0]) != 1 {
		t.Errorf("buttons %v", r.Keyboard.Rows)
	}
}

func TestSnoozeIDs(t *testing.T) {
	for _, tt := range []struct {
		id    string
		count int
		want  string
	}{
		{sched, 1, sched + ".z1"},
		{sched + ".z1", 2, sched + ".z2"},
		{strings.Repeat("b", 64), 1, strings.Repeat("b", 24) + ".z1"},
	} {
		got := dialogs.SnoozeScheduleID(tt.id, tt.count)
		if got != tt.want || dialogs.SnoozeCount(got) != tt.count {
			t.Errorf("SnoozeScheduleID(%q, %d) = %q (count %d)", tt.id, tt.count, got, dialogs.SnoozeCount(got))
		}
	}
	if dialogs.SnoozeCount(sched) != 0 || dialogs.SnoozeCount("a.z") != 0 {
		t.Error("SnoozeCount of a plain id")
	}
}

func FuzzStructureButton(f *testing.F) {
	for _, s := range []string{"rem:done:" + sched + "!mwx7d5s0!0", "rem:later:1.2.u.z0.dc:b9!mwze4t40!0", "mood:1:ck01!1!0", "chk:tell", "chk:no", "rem:seen:#abcdefghijkl", "stop:yes", ""} {
		f.Add(s)
	}
	tx, err := locales.Load()
	if err != nil {
		f.Fatal(err)
	}
	env := dialogs.Env{Texts: tx, Now: time.Date(2026, 11, 26, 20, 50, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, data string) {
		st, eff, ok := dialogs.StructureButton(env, dialogs.Client{Lang: "nl", Coach: "Piet"}, dialogs.State{}, dialogs.Event{Kind: dialogs.KindButton, Data: data, CallbackID: "cb"})
		if !ok {
			if eff != nil || st.Step != "" {
				t.Fatalf("%q: not taken but effects %v", data, eff)
			}
			return
		}
		if len(eff) == 0 || eff[0] != (dialogs.AnswerButton{CallbackID: "cb"}) {
			t.Fatalf("%q: spinner not stopped: %v", data, eff)
		}
		for _, e := range eff {
			if s, ok := e.(dialogs.Snooze); ok && (s.After <= 0 || s.Count < 1 || !s.At.Equal(env.Now.Add(s.After))) {
				t.Fatalf("%q: snooze %+v", data, s)
			}
			if m, ok := e.(dialogs.MoodRecorded); ok && (m.Mood < 1 || m.Mood > 5) {
				t.Fatalf("%q: mood %d", data, m.Mood)
			}
		}
	})
}
