package staff

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/waakvlam/waakvlam/programme"
	"github.com/waakvlam/waakvlam/scheduler"
)

func TestParseScheduleCommand(t *testing.T) {
	tests := []struct {
		in   string
		want ScheduleCommand
	}{
		{`herinnering nieuw Sanne "💊 Pillen" elke dag om 8:00`,
			ScheduleCommand{Verb: VerbReminderNew, Client: "Sanne", Emoji: "💊", Text: "Pillen", Schedule: "elke dag om 8:00"}},
		{`/waakvlam herinnering nieuw Sanne “🗑️ Afval buiten zetten”   elke maandag en donderdag om 19:00 `,
			ScheduleCommand{Verb: VerbReminderNew, Client: "Sanne", Emoji: "🗑️", Text: "Afval buiten zetten", Schedule: "elke maandag en donderdag om 19:00"}},
		{`Herinnering Nieuw c-12 "Boodschappen 🛒" 0 10 * * 6`,
			ScheduleCommand{Verb: VerbReminderNew, Client: "c-12", Emoji: "🛒", Text: "Boodschappen", Schedule: "0 10 * * 6"}},
		{`herinnering nieuw Sanne "Water drinken" "elke werkdag om 10.30"`,
			ScheduleCommand{Verb: VerbReminderNew, Client: "Sanne", Text: "Water drinken", Schedule: "elke werkdag om 10.30"}},
		{`herinnering nieuw Sanne "👩🏽‍⚕️ Huisarts bellen" morgen om 9 uur`,
			ScheduleCommand{Verb: VerbReminderNew, Client: "Sanne", Emoji: "👩🏽‍⚕️", Text: "Huisarts bellen", Schedule: "morgen om 9 uur"}},
		{`afspraak nieuw Sanne "🦷 Tandarts" op 12 december om 14:30`,
			ScheduleCommand{Verb: VerbAppointmentNew, Client: "Sanne", Emoji: "🦷", Text: "Tandarts", Schedule: "op 12 december om 14:30"}},
		{`herinnering lijst Sanne`, ScheduleCommand{Verb: VerbReminderList, Client: "Sanne"}},
		{`afspraak lijst Sanne`, ScheduleCommand{Verb: VerbReminderList, Client: "Sanne"}},
		{`herinnering pauze Sanne 2`, ScheduleCommand{Verb: VerbReminderPause, Client: "Sanne", Ref: "2", Number: 2}},
		{`herinnering hervat Sanne #2`, ScheduleCommand{Verb: VerbReminderResume, Client: "Sanne", Ref: "2", Number: 2}},
		{`herinnering weg Sanne 3f9a0c1d2e3f4a5b6c7d8e9f`, ScheduleCommand{Verb: VerbReminderRemove, Client: "Sanne", Ref: "3f9a0c1d2e3f4a5b6c7d8e9f"}},
		{`afspraak verwijder Sanne 1`, ScheduleCommand{Verb: VerbReminderRemove, Client: "Sanne", Ref: "1", Number: 1}},
		{`client status Sanne`, ScheduleCommand{Verb: VerbClientStatus, Client: "Sanne"}},
		{`/waakvlam cliënt status Sanne`, ScheduleCommand{Verb: VerbClientStatus, Client: "Sanne"}},
		{`niveau Sanne Intensief`, ScheduleCommand{Verb: VerbLevel, Client: "Sanne", Level: programme.Intensief}},
		{`client niveau Sanne licht`, ScheduleCommand{Verb: VerbLevel, Client: "Sanne", Level: programme.Licht}},
		{`instellingen`, ScheduleCommand{Verb: VerbSettings}},
		{`instellingen herladen`, ScheduleCommand{Verb: VerbSettingsReload}},
		{`instellingen zet snooze.after 20 minuten`, ScheduleCommand{Verb: VerbSettingsSet, Key: "snooze.after", Value: "20 minuten"}},
		{`instellingen zet levels.licht.checkin "elke maandag om 9:00"`, ScheduleCommand{Verb: VerbSettingsSet, Key: "levels.licht.checkin", Value: "elke maandag om 9:00"}},
		{`herinnering`, ScheduleCommand{Verb: VerbScheduleHelp}},
		{`herinnering help`, ScheduleCommand{Verb: VerbScheduleHelp}},
	}
	for _, tt := range tests {
		got, err := ParseScheduleCommand(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseScheduleCommandErrors(t *testing.T) {
	tests := []struct {
		in, want string
		notMine  bool
	}{
		{`client nieuw Sanne`, "", true},
		{`lijst`, "", true},
		{``, "", true},
		{`herinnering nieuw Sanne Pillen elke dag om 8:00`, "aanhalingstekens", false},
		{`herinnering nieuw Sanne "💊" elke dag om 8:00`, "woorden bij de emoji", false},
		{`herinnering nieuw Sanne "💊 Pillen"`, "zeg ook wanneer", false},
		{`herinnering nieuw "Sanne" "💊 Pillen" elke dag`, "geen cliënt", false},
		{`herinnering nieuw Sanne "` + strings.Repeat("a", 81) + `" elke dag om 8:00`, "te lang", false},
		{`herinnering nieuw`, "gebruik", false},
		{`herinnering lijst`, "gebruik", false},
		{`herinnering pauze Sanne`, "het nummer staat bij herinnering lijst", false},
		{`herinnering weg Sanne 0`, "bestaat niet", false},
		{`herinnering weg Sanne x/y`, "geen nummer", false},
		{`herinnering verzet Sanne 1`, "kies nieuw, lijst", false},
		{`niveau Sanne zwaar`, "ik ken niveau", false},
		{`niveau Sanne`, "gebruik: niveau", false},
		{`client status`, "gebruik: client status", false},
		{`instellingen wissen`, "gebruik: instellingen", false},
		{`instellingen zet snooze.after`, "gebruik: instellingen zet", false},
	}
	for _, tt := range tests {
		_, err := ParseScheduleCommand(tt.in)
		if err == nil {
			t.Errorf("%q accepted", tt.in)
			continue
		}
		if errors.Is(err, ErrNotScheduleCommand) != tt.notMine {
			t.Errorf("%q: ErrNotScheduleCommand = %v (%v)", tt.in, !tt.notMine, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %q lacks %q", tt.in, err, tt.want)
		}
	}
}

func TestExistingCommandsAreNotScheduleCommands(t *testing.T) {
	for _, in := range []string{"client nieuw Sanne", "client lijst", "client code Sanne", "client overdragen Sanne Piet", "client stop Sanne", "help"} {
		if _, err := ParseCommand(in); err != nil {
			t.Errorf("ParseCommand(%q): %v", in, err)
		}
		if _, err := ParseScheduleCommand(in); !errors.Is(err, ErrNotScheduleCommand) {
			t.Errorf("ParseScheduleCommand(%q): %v", in, err)
		}
	}
	if _, err := ParseCommand("client status Sanne"); err == nil {
		t.Error("ParseCommand took client status: the lead tries ParseScheduleCommand only when ParseCommand fails")
	}
}

func TestLeaderOnly(t *testing.T) {
	for v, want := range map[ScheduleVerb]bool{
		VerbSettings: true, VerbSettingsReload: true, VerbSettingsSet: true,
		VerbReminderNew: false, VerbLevel: false, VerbClientStatus: false,
	} {
		if (ScheduleCommand{Verb: v}).LeaderOnly() != want {
			t.Errorf("%s leader only: %v", v, !want)
		}
	}
}

func TestSplitEmoji(t *testing.T) {
	tests := []struct{ in, emoji, text string }{
		{"💊 Pillen", "💊", "Pillen"},
		{"💊Pillen", "💊", "Pillen"},
		{"🗑️ Afval", "🗑️", "Afval"},
		{"Afval 🗑️", "🗑️", "Afval"},
		{"⏰ Opstaan", "⏰", "Opstaan"},
		{"🇳🇱 Koningsdag", "🇳🇱", "Koningsdag"},
		{"👨‍👩‍👧 Bezoek", "👨‍👩‍👧", "Bezoek"},
		{"Pillen", "", "Pillen"},
		{"3 pillen", "", "3 pillen"},
		{"💊", "💊", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		e, x := SplitEmoji(tt.in)
		if e != tt.emoji || x != tt.text {
			t.Errorf("SplitEmoji(%q) = %q, %q", tt.in, e, x)
		}
	}
}

func amsterdam(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skip(err)
	}
	return loc
}

func TestDescribeSchedule(t *testing.T) {
	loc := amsterdam(t)
	from := time.Date(2026, 11, 26, 10, 0, 0, 0, loc) // Thursday
	tests := []struct{ spec, want string }{
		{"elke dag om 8:00", "elke dag om 8:00\nVolgende 3 keer:\n- vr 27 nov 2026 08:00 CET\n- za 28 nov 2026 08:00 CET\n- zo 29 nov 2026 08:00 CET"},
		{"elke maandag en donderdag om 19:00", "elke maandag en donderdag om 19:00\nVolgende 3 keer:\n- do 26 nov 2026 19:00 CET\n- ma 30 nov 2026 19:00 CET\n- do 3 dec 2026 19:00 CET"},
		{"0 8 * * 1-5", "elke werkdag om 8:00\nVolgende 3 keer:\n- vr 27 nov 2026 08:00 CET\n- ma 30 nov 2026 08:00 CET\n- di 1 dec 2026 08:00 CET"},
		{"op 12 december om 14.30", "op zaterdag 12 december om 14:30\nVolgende keer:\n- za 12 dec 2026 14:30 CET"},
	}
	for _, tt := range tests {
		s, err := scheduler.Parse(tt.spec, from, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := DescribeSchedule(s, from, 3); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.spec, got, tt.want)
		}
	}
	s, _ := scheduler.Parse("elke dag om 22:00", from, loc)
	want := "elke dag om 22:00\nVolgende 2 keer:\n- vr 27 nov 2026 08:00 CET (gepland 22:00: stille uren)\n- za 28 nov 2026 08:00 CET (gepland 22:00: stille uren)"
	if got := DescribeScheduleQuiet(s, from, 2, scheduler.DefaultQuietHours); got != want {
		t.Errorf("quiet:\n%s", got)
	}
	// 22:00 and 23:00 both land at 08:00: one message, as the scheduler sends it.
	s, _ = scheduler.Parse("elke dag om 22:00 en 23:00", from, loc)
	if got := DescribeScheduleQuiet(s, from, 2, scheduler.DefaultQuietHours); strings.Count(got, "vr 27 nov") != 1 {
		t.Errorf("merge:\n%s", got)
	}
}

func TestDescribeAppointment(t *testing.T) {
	loc := amsterdam(t)
	from := time.Date(2026, 11, 26, 10, 0, 0, 0, loc)
	s, err := scheduler.Parse("op 12 december om 14.30", from, loc)
	if err != nil {
		t.Fatal(err)
	}
	want := "op zaterdag 12 december om 14:30\nHerinneringen:\n- vr 11 dec 2026 14:30 CET (de dag ervoor)\n- za 12 dec 2026 13:30 CET (1 uur ervoor)"
	if got := DescribeAppointment(s, nil, from, scheduler.DefaultQuietHours); got != want {
		t.Errorf("got\n%s", got)
	}
	s, _ = scheduler.Parse("morgen om 8:00", from, loc)
	want = "op vrijdag 27 november om 8:00\nHerinneringen:\n- de dag ervoor: is al voorbij\n- 1 uur ervoor: valt weg door de stille uren"
	if got := DescribeAppointment(s, nil, from, scheduler.DefaultQuietHours); got != want {
		t.Errorf("got\n%s", got)
	}
	s, _ = scheduler.Parse("morgen om 8:30", from, loc)
	want = "op vrijdag 27 november om 8:30\nHerinneringen:\n- de dag ervoor: is al voorbij\n- vr 27 nov 2026 08:00 CET (1 uur ervoor, gepland 07:30: stille uren)"
	if got := DescribeAppointment(s, []time.Duration{24 * time.Hour, time.Hour}, from, scheduler.DefaultQuietHours); got != want {
		t.Errorf("got\n%s", got)
	}
}

func FuzzParseScheduleCommand(f *testing.F) {
	for _, s := range []string{
		`herinnering nieuw Sanne "💊 Pillen" elke dag om 8:00`,
		`afspraak nieuw Sanne "🦷 Tandarts" op 12 december om 14:30`,
		`herinnering weg Sanne 2`, `niveau Sanne licht`, `client status Sanne`,
		`instellingen zet snooze.after "20 minuten"`, `herinnering nieuw Sanne "`, `"""`, `/waakvlam`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseScheduleCommand(in)
		if err != nil {
			if c != (ScheduleCommand{}) {
				t.Errorf("error %v with a command %+v", err, c)
			}
			return
		}
		if c.Verb == "" {
			t.Fatal("no verb")
		}
		if c.Client != "" && !validRef(c.Client) {
			t.Errorf("client %q", c.Client)
		}
		if c.Verb == VerbReminderNew || c.Verb == VerbAppointmentNew {
			if c.Text == "" || c.Schedule == "" || utf8.RuneCountInString(c.Text) > MaxReminderText {
				t.Errorf("new without text or schedule: %+v", c)
			}
			if !utf8.ValidString(c.Text) && utf8.ValidString(in) {
				t.Errorf("text %q", c.Text)
			}
		}
		if c.Number < 0 || c.Number > 999 {
			t.Errorf("number %d", c.Number)
		}
	})
}
