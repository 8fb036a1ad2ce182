package programme

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/scheduler"
)

func TestExampleFileIsTheDefaultPlusGroups(t *testing.T) {
	c, err := Load("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	if c.Quiet != d.Quiet || c.SnoozeAfter != d.SnoozeAfter || c.MaxSnoozes != d.MaxSnoozes ||
		c.Grace != d.Grace || c.MissedInARow != d.MissedInARow || c.LowMood != d.LowMood ||
		!reflect.DeepEqual(c.Levels, d.Levels) || c.DefaultLevel != d.DefaultLevel {
		t.Errorf("example.yaml differs from Default() outside groups:\n%s", strings.Join(Diff(d, c), "\n"))
	}
	if got := c.GroupNames(); !reflect.DeepEqual(got, []string{"jongeren", "senioren"}) {
		t.Errorf("groups %v", got)
	}
	if g := c.Groups["senioren"]; g.Level != Licht || len(g.Schedules) != 1 || g.Schedules[0].Emoji != "💊" {
		t.Errorf("senioren %+v", g)
	}
}

func TestDefaultIsValidAndEmptyFileIsDefault(t *testing.T) {
	if err := Default().Check(); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"", "# niets\n"} {
		c, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if d := Diff(Default(), c); d != nil {
			t.Errorf("%q: %v", in, d)
		}
	}
}

func TestPartialFileKeepsDefaults(t *testing.T) {
	c, err := Parse([]byte("snooze:\n  after: 20m\nlevels:\n  licht:\n    silence: 5 dagen\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.SnoozeAfter != 20*time.Minute || c.MaxSnoozes != 2 {
		t.Errorf("snooze %v %d", c.SnoozeAfter, c.MaxSnoozes)
	}
	if l := c.Level(Licht); l.Silence != 5*24*time.Hour || l.Checkin != "elke maandag om 10:00" {
		t.Errorf("licht %+v", l)
	}
	want := []string{"⏰ Straks herinnert opnieuw na: 30 minuten → 20 minuten", "niveau licht, stil signaal na: 7 dagen → 5 dagen"}
	if got := Diff(Default(), c); !reflect.DeepEqual(got, want) {
		t.Errorf("diff %q", got)
	}
}

func TestBadFilesNameTheLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"snooze:\n  aftr: 20m\n", `regel 2: onbekend veld "aftr"`},
		{"quiet_hours: 21-8.0\n", "regel 1:"},
		{"quiet_hours: 25:00-08:00\n", "regel 1:"},
		{"missed:\n  grace: twee uur\n", `regel 2: "twee uur" is geen tijdsduur`},
		{"missed:\n  in_a_row: veel\n", `regel 2: "veel" is geen heel getal`},
		{"levels:\n  zwaar:\n    silence: 1d\n", `regel 2: ik ken niveau "zwaar" niet`},
		{"levels:\n  licht:\n    checkin: elke dag om 25:00\n", "regel 3:"},
		{"levels:\n  licht:\n    checkin: morgen om 10:00\n", "regel 3:"},
		{"groups:\n  jongeren:\n    schedules:\n      - text: Pillen\n        spec: elke dag\n", "regel 5:"},
		{"groups:\n  jongeren:\n    schedules:\n      - text: \"\"\n        spec: elke dag om 8:00\n", "regel 4:"},
		{"groups:\n  jongeren:\n    schedules:\n      - text: x\n        spec: elke dag om 8:00\n        kind: checkin\n", `regel 6: onbekend veld "kind"`},
		{"groups:\n  Jon geren: {}\n", "regel 2:"},
		{"default_level: zwaar\n", "regel 1:"},
		{"snooze:\n  max: 9\n", "snooze.max"},
		{"low_mood:\n  count: 4\n", "low_mood.count"},
		{"snooze: {max: 1}\n---\nsnooze: {max: 2}\n", "één YAML-document"},
		{"snooze: [1\n", "instellingen:"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	c, err := Load("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Quiet = scheduler.QuietHours{Start: scheduler.At(22, 30), End: scheduler.At(7, 15)}
	c.Grace = 90 * time.Minute
	back, err := Parse([]byte(c.YAML()))
	if err != nil {
		t.Fatalf("%v\n%s", err, c.YAML())
	}
	if !reflect.DeepEqual(c, back) {
		t.Errorf("round trip differs: %v\n%s", Diff(c, back), c.YAML())
	}
	none := Default()
	none.Quiet = scheduler.QuietHours{}
	back, err = Parse([]byte(none.YAML()))
	if err != nil || back.Quiet.Enabled() {
		t.Errorf("no quiet hours: %v %v", back.Quiet, err)
	}
}

func TestDurations(t *testing.T) {
	good := map[string]time.Duration{
		"30m": 30 * time.Minute, "30 minuten": 30 * time.Minute, "1 minuut": time.Minute, "2h": 2 * time.Hour,
		"2 uur": 2 * time.Hour, "7d": 7 * 24 * time.Hour, "1 dag": 24 * time.Hour, "1 week": 7 * 24 * time.Hour,
		"1d12h": 36 * time.Hour, "1 uur en 30 minuten": 90 * time.Minute, "1 Uur, 30 min": 90 * time.Minute,
	}
	for in, want := range good {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
		if back, err := ParseDuration(FormatDuration(got)); err != nil || back != got {
			t.Errorf("%q: format %q reads back as %v %v", in, FormatDuration(got), back, err)
		}
	}
	for _, in := range []string{"", "0m", "twee uur", "5", "5 jaar", "m5", "1.5h", "30 minuten later"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("%q accepted as %v", in, d)
		}
	}
	if got := FormatDuration(25*time.Hour + 30*time.Minute); got != "1 dag, 1 uur en 30 minuten" {
		t.Errorf("format %q", got)
	}
}

func TestMissedRun(t *testing.T) {
	tests := []struct {
		history   []bool
		threshold int
		want      bool
	}{
		{nil, 3, false},
		{[]bool{true, true}, 3, false},
		{[]bool{true, true, true}, 3, true},
		{[]bool{false, true, true, true}, 3, true},
		{[]bool{true, true, true, false}, 3, false},
		{[]bool{true, false, true, true}, 3, false},
		{[]bool{true}, 1, true},
		{[]bool{true, true, true}, 0, false},
	}
	for _, tt := range tests {
		if got := MissedRun(tt.history, tt.threshold); got != tt.want {
			t.Errorf("MissedRun(%v, %d) = %v", tt.history, tt.threshold, got)
		}
	}
}

func TestLowMoodRun(t *testing.T) {
	cfg := Default() // 2 of the last 3 at 2 or lower
	tests := []struct {
		moods []int
		want  bool
	}{
		{nil, false},
		{[]int{1}, false},
		{[]int{1, 2}, true},
		{[]int{2, 5, 1}, true},
		{[]int{1, 1, 5, 5, 2}, false},
		{[]int{1, 1, 5, 5}, false},
		{[]int{5, 3, 3}, false},
		{[]int{1, 0, 9, 2}, true}, // out of range ignored
		{[]int{3, 3, 3}, false},
	}
	for _, tt := range tests {
		if got := LowMoodRun(tt.moods, cfg); got != tt.want {
			t.Errorf("LowMoodRun(%v) = %v", tt.moods, got)
		}
	}
	cfg.LowMood = LowMoodRule{Count: 1, Window: 1, AtMost: 3}
	if !LowMoodRun([]int{5, 3}, cfg) || LowMoodRun([]int{3, 4}, cfg) {
		t.Error("custom rule")
	}
	if !IsLowMood(2, Default()) || IsLowMood(3, Default()) || IsLowMood(0, Default()) {
		t.Error("IsLowMood")
	}
}

func TestSilentAndMissed(t *testing.T) {
	cfg := Default()
	last := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		level Level
		after time.Duration
		want  bool
	}{
		{Licht, 6 * 24 * time.Hour, false},
		{Licht, 7 * 24 * time.Hour, true},
		{Normaal, 71 * time.Hour, false},
		{Normaal, 72 * time.Hour, true},
		{Intensief, 23 * time.Hour, false},
		{Intensief, 25 * time.Hour, true},
		{"onbekend", 72 * time.Hour, true}, // the default level
	}
	for _, tt := range tests {
		if got := Silent(last, last.Add(tt.after), tt.level, cfg); got != tt.want {
			t.Errorf("Silent(%s, %v) = %v", tt.level, tt.after, got)
		}
	}
	if Silent(time.Time{}, last, Intensief, cfg) {
		t.Error("unknown last contact counts as silent")
	}
	due := last
	if Missed(due, due.Add(119*time.Minute), false, cfg) || !Missed(due, due.Add(2*time.Hour), false, cfg) || Missed(due, due.Add(5*time.Hour), true, cfg) {
		t.Error("Missed")
	}
}

func TestSetChangesOneThingAndChecks(t *testing.T) {
	c, err := Load("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, value string
		diff       string // "" means an error is expected
	}{
		{"snooze.after", "20 minuten", "⏰ Straks herinnert opnieuw na: 30 minuten → 20 minuten"},
		{"Snooze.Max", "3", "⏰ Straks mag hoogstens: 2 keer → 3 keer"},
		{"quiet_hours", "22:00-07:00", "stille uren: 21:00-08:00 → 22:00-07:00"},
		{"missed.grace", "3h", "gemist als niet gedaan binnen: 2 uur → 3 uur"},
		{"missed.in_a_row", "4", "signaal na gemist op rij: 3 keer → 4 keer"},
		{"low_mood.at_most", "1", "signaal bij lage stemming: 2 van de laatste 3 antwoorden 🙁 of lager → 2 van de laatste 3 antwoorden 😢 of lager"},
		{"default_level", "Licht", "standaardniveau: normaal → licht"},
		{"levels.intensief.checkin", "elke dag om 9:00 en 19:00", `niveau intensief, check-in: "elke dag om 10:00" → "elke dag om 9:00 en 19:00"`},
		{"levels.licht.silence", "10 dagen", "niveau licht, stil signaal na: 7 dagen → 10 dagen"},
		{"groups.jongeren.level", "intensief", "groep jongeren, niveau: niveau normaal → niveau intensief"},
		{"groups.jongeren.level", "-", "groep jongeren, niveau: niveau normaal → standaardniveau"},
		{"snooze.after", "lang", ""},
		{"snooze.max", "99", ""},
		{"levels.zwaar.silence", "1d", ""},
		{"levels.licht.kleur", "rood", ""},
		{"levels.licht.checkin", "morgen om 10:00", ""},
		{"groups.kinderen.level", "licht", ""},
		{"onzin", "1", ""},
	}
	for _, tt := range tests {
		n, err := c.Set(tt.key, tt.value)
		if tt.diff == "" {
			if err == nil {
				t.Errorf("%s=%s accepted", tt.key, tt.value)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s=%s: %v", tt.key, tt.value, err)
			continue
		}
		if got := Diff(c, n); len(got) != 1 || got[0] != tt.diff {
			t.Errorf("%s=%s: diff %q", tt.key, tt.value, got)
		}
	}
	if d := Diff(Default(), Default()); d != nil {
		t.Errorf("c itself changed: %v", d)
	}
}

func TestDiffGroups(t *testing.T) {
	a, err := Load("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b := a.Clone()
	delete(b.Groups, "senioren")
	g := b.Groups["jongeren"]
	g.Schedules = append(g.Schedules[1:], ScheduleDef{Text: "Sporten", Emoji: "🏃", Spec: "elke zaterdag om 10:00"})
	b.Groups["jongeren"] = g
	b.Groups["werkers"] = Group{Schedules: []ScheduleDef{{Text: "Werk", Spec: "elke werkdag om 7:00"}}}
	want := []string{
		`groep jongeren, herinnering weg: ⏰ Opstaan, "elke werkdag om 8:00"`,
		`groep jongeren, herinnering erbij: 🏃 Sporten, "elke zaterdag om 10:00"`,
		"groep senioren: weg",
		"groep werkers: nieuw (standaardniveau, 1 herinnering)",
	}
	if got := Diff(a, b); !reflect.DeepEqual(got, want) {
		t.Errorf("diff:\n%s", strings.Join(got, "\n"))
	}
	if len(a.Groups["jongeren"].Schedules) != 2 || a.Groups["senioren"].Schedules == nil {
		t.Error("Clone shares groups")
	}
}

func TestSummaryShowsNextTimesAfterQuietHours(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skip(err)
	}
	c, err := Load("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Levels[Intensief] = LevelDef{Checkin: "elke dag om 22:00", Silence: 24 * time.Hour}
	from := time.Date(2026, 11, 26, 10, 30, 0, 0, loc) // a Thursday
	got := strings.Join(c.Summary(from, loc, 3), "\n")
	for _, want := range []string{
		"Stille uren: 21:00-08:00",
		"Niveau licht: check-in elke maandag om 10:00 (volgende: ma 30 nov 2026 10:00 CET, ma 7 dec 2026 10:00 CET, ma 14 dec 2026 10:00 CET); stil signaal na 7 dagen",
		"Niveau intensief: check-in elke dag om 22:00 (volgende: vr 27 nov 2026 08:00 CET, za 28 nov 2026 08:00 CET, zo 29 nov 2026 08:00 CET)",
		"Groep senioren (niveau licht):\n- 💊 Pillen: elke dag om 8:00 en 20:00 (volgende: do 26 nov 2026 20:00 CET, vr 27 nov 2026 08:00 CET, vr 27 nov 2026 20:00 CET)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
}

func TestAuditEntry(t *testing.T) {
	e := AuditEntry{Who: "pl-anna", What: "instellingen herladen", At: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), Before: Default().YAML(), After: Default().YAML()}
	if e.String() != "2026-11-26 10:00 pl-anna instellingen herladen" {
		t.Error(e.String())
	}
	if _, err := os.Stat("example.yaml"); err != nil {
		t.Fatal(err)
	}
}

func TestParseLevel(t *testing.T) {
	for _, in := range []string{"licht", " Normaal ", "INTENSIEF"} {
		if _, err := ParseLevel(in); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
	if _, err := ParseLevel("zwaar"); err == nil {
		t.Error("zwaar accepted")
	}
}

func TestToday(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skip(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, loc) // Thursday
	scs := []scheduler.Schedule{
		{ID: "a", Kind: scheduler.KindReminder, Spec: "0 19 * * 1,4", Text: "Afval", Emoji: "🗑️"},
		{ID: "b", Kind: scheduler.KindReminder, Spec: "0 8 * * * | 0 22 * * *", Text: "Pillen", Emoji: "💊"},
		{ID: "c", Kind: scheduler.KindAppointment, Spec: "2026-11-26T14:30:00+01:00", Text: "Tandarts"},
		{ID: "d", Kind: scheduler.KindAppointment, Spec: "2026-11-27T14:30:00+01:00", Text: "Morgen"},
		{ID: "e", Kind: scheduler.KindReminder, Spec: "0 9 * * *", Text: "Gepauzeerd", Paused: true},
		{ID: "f", Kind: scheduler.KindCheckin, Spec: "0 10 * * *"},
		{ID: "g", Kind: scheduler.KindReminder, Spec: "onzin"},
	}
	var got []string
	for _, it := range Today(scs, now, loc, scheduler.DefaultQuietHours) {
		got = append(got, it.At.Format("15:04")+" "+it.Text)
	}
	want := []string{"08:00 Pillen", "14:30 Tandarts", "19:00 Afval"} // 22:00 moves to tomorrow 08:00
	if !reflect.DeepEqual(got, want) {
		t.Errorf("today %q", got)
	}
}
