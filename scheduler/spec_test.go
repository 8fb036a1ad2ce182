package scheduler

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func amsterdam(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatalf("load Europe/Amsterdam: %v", err)
	}
	return loc
}

func TestParseTable(t *testing.T) {
	loc := amsterdam(t)
	now := time.Date(2026, 3, 27, 12, 0, 0, 0, loc) // Friday
	cases := []struct {
		in, canon, words, next string
	}{
		{"elke dag om 8:00", "0 8 * * *", "elke dag om 8:00", "za 28 mrt 2026 08:00 CET"},
		{"Elke dag om 8 uur.", "0 8 * * *", "elke dag om 8:00", "za 28 mrt 2026 08:00 CET"},
		{"iedere dag 08:00", "0 8 * * *", "elke dag om 8:00", "za 28 mrt 2026 08:00 CET"},
		{"dagelijks om 8u30", "30 8 * * *", "elke dag om 8:30", "za 28 mrt 2026 08:30 CET"},
		{"om 8 uur", "0 8 * * *", "elke dag om 8:00", "za 28 mrt 2026 08:00 CET"},
		{"8:00", "0 8 * * *", "elke dag om 8:00", "za 28 mrt 2026 08:00 CET"},
		{"19.30", "30 19 * * *", "elke dag om 19:30", "vr 27 mrt 2026 19:30 CET"},
		{"om acht uur", "0 8 * * *", "elke dag om 8:00", "za 28 mrt 2026 08:00 CET"},
		{"half 9", "30 8 * * *", "elke dag om 8:30", "za 28 mrt 2026 08:30 CET"},
		{"kwart voor 7 's avonds", "45 18 * * *", "elke dag om 18:45", "vr 27 mrt 2026 18:45 CET"},
		{"kwart over 8", "15 8 * * *", "elke dag om 8:15", "za 28 mrt 2026 08:15 CET"},
		{"om 7 uur 's avonds", "0 19 * * *", "elke dag om 19:00", "vr 27 mrt 2026 19:00 CET"},
		{"'s avonds om 7 uur", "0 19 * * *", "elke dag om 19:00", "vr 27 mrt 2026 19:00 CET"},
		{"elke dag om 12 uur 's middags", "0 12 * * *", "elke dag om 12:00", "za 28 mrt 2026 12:00 CET"},
		{"om middernacht", "0 0 * * *", "elke dag om 0:00", "za 28 mrt 2026 00:00 CET"},
		{"elke dag om 8:00 en 20:00", "0 8,20 * * *", "elke dag om 8:00 en 20:00", "vr 27 mrt 2026 20:00 CET"},
		{"elke dag om 8:00 en 19:30", "0 8 * * * | 30 19 * * *", "elke dag om 8:00 en 19:30", "vr 27 mrt 2026 19:30 CET"},
		{"om 8 en 20 uur", "0 8,20 * * *", "elke dag om 8:00 en 20:00", "vr 27 mrt 2026 20:00 CET"},
		{"elke werkdag om 7.30", "30 7 * * 1,2,3,4,5", "elke werkdag om 7:30", "ma 30 mrt 2026 07:30 CEST"},
		{"doordeweeks om 7:30", "30 7 * * 1,2,3,4,5", "elke werkdag om 7:30", "ma 30 mrt 2026 07:30 CEST"},
		{"ma t/m vr om 8 uur", "0 8 * * 1,2,3,4,5", "elke werkdag om 8:00", "ma 30 mrt 2026 08:00 CEST"},
		{"maandag tot en met vrijdag om 8:15", "15 8 * * 1,2,3,4,5", "elke werkdag om 8:15", "ma 30 mrt 2026 08:15 CEST"},
		{"maandag-woensdag 9:00", "0 9 * * 1,2,3", "elke maandag, dinsdag en woensdag om 9:00", "ma 30 mrt 2026 09:00 CEST"},
		{"elke maandag en donderdag om 19:00", "0 19 * * 1,4", "elke maandag en donderdag om 19:00", "ma 30 mrt 2026 19:00 CEST"},
		{"elke maandag, woensdag en vrijdag om 9 uur", "0 9 * * 1,3,5", "elke maandag, woensdag en vrijdag om 9:00", "ma 30 mrt 2026 09:00 CEST"},
		{"di en do 10:00", "0 10 * * 2,4", "elke dinsdag en donderdag om 10:00", "di 31 mrt 2026 10:00 CEST"},
		{"maandags om 9:00", "0 9 * * 1", "elke maandag om 9:00", "ma 30 mrt 2026 09:00 CEST"},
		{"elk weekend om 10:00", "0 10 * * 0,6", "elke zaterdag en zondag om 10:00", "za 28 mrt 2026 10:00 CET"},
		{"zondag en zaterdag om 11:00", "0 11 * * 0,6", "elke zaterdag en zondag om 11:00", "za 28 mrt 2026 11:00 CET"},
		{"elke maand op de 1e om 9:00", "0 9 1 * *", "elke maand op de 1e om 9:00", "wo 1 apr 2026 09:00 CEST"},
		{"elke maand op de 1 en 15 om 9:00", "0 9 1,15 * *", "elke maand op de 1e en 15e om 9:00", "wo 1 apr 2026 09:00 CEST"},
		{"elk uur", "0 * * * *", "elk uur", "vr 27 mrt 2026 13:00 CET"},
		{"morgen om 10:00", "2026-03-28T10:00:00+01:00", "op zaterdag 28 maart om 10:00", "za 28 mrt 2026 10:00 CET"},
		{"overmorgen om 9 uur", "2026-03-29T09:00:00+02:00", "op zondag 29 maart om 9:00", "zo 29 mrt 2026 09:00 CEST"},
		{"vandaag om 15:00", "2026-03-27T15:00:00+01:00", "op vrijdag 27 maart om 15:00", "vr 27 mrt 2026 15:00 CET"},
		{"op 12 december om 14.30", "2026-12-12T14:30:00+01:00", "op zaterdag 12 december om 14:30", "za 12 dec 2026 14:30 CET"},
		{"12 dec 14:30", "2026-12-12T14:30:00+01:00", "op zaterdag 12 december om 14:30", "za 12 dec 2026 14:30 CET"},
		{"op 3 januari om 9:00", "2027-01-03T09:00:00+01:00", "op zondag 3 januari 2027 om 9:00", "zo 3 jan 2027 09:00 CET"},
		{"op 1 maart om 9:00", "2027-03-01T09:00:00+01:00", "op maandag 1 maart 2027 om 9:00", "ma 1 mrt 2027 09:00 CET"},
		{"12-12-2026 14:30", "2026-12-12T14:30:00+01:00", "op zaterdag 12 december om 14:30", "za 12 dec 2026 14:30 CET"},
		{"12/4 om 10:00", "2026-04-12T10:00:00+02:00", "op zondag 12 april om 10:00", "zo 12 apr 2026 10:00 CEST"},
		{"2026-12-12 14:30", "2026-12-12T14:30:00+01:00", "op zaterdag 12 december om 14:30", "za 12 dec 2026 14:30 CET"},
		{"2026-12-12T14:30:00+01:00", "2026-12-12T14:30:00+01:00", "op zaterdag 12 december om 14:30", "za 12 dec 2026 14:30 CET"},
		{"volgende dinsdag om 9:00", "2026-03-31T09:00:00+02:00", "op dinsdag 31 maart om 9:00", "di 31 mrt 2026 09:00 CEST"},
		{"aanstaande vrijdag om 16:00", "2026-04-03T16:00:00+02:00", "op vrijdag 3 april om 16:00", "vr 3 apr 2026 16:00 CEST"},
		// Raw cron.
		{"0 8 * * 1-5", "0 8 * * 1-5", "elke werkdag om 8:00", "ma 30 mrt 2026 08:00 CEST"},
		{"0  19 * * mon,thu", "0 19 * * mon,thu", "elke maandag en donderdag om 19:00", "ma 30 mrt 2026 19:00 CEST"},
		{"30 2 * * *", "30 2 * * *", "elke dag om 2:30", "za 28 mrt 2026 02:30 CET"},
		{"0 9 1 1 *", "0 9 1 1 *", "elk jaar op 1 januari om 9:00", "vr 1 jan 2027 09:00 CET"},
		{"*/15 9-17 * * *", "*/15 9-17 * * *", `volgens cron "*/15 9-17 * * *"`, "vr 27 mrt 2026 12:15 CET"},
		{"@daily", "@daily", "elke dag om 0:00", "za 28 mrt 2026 00:00 CET"},
		{"0 8 * * * | 30 19 * * *", "0 8 * * * | 30 19 * * *", "elke dag om 8:00 en 19:30", "vr 27 mrt 2026 19:30 CET"},
		{"0 9 * 7 1", "0 9 * 7 1", "elke maandag (alleen in juli) om 9:00", "ma 6 jul 2026 09:00 CEST"},
	}
	for _, c := range cases {
		s, err := Parse(c.in, now, loc)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := s.String(); got != c.canon {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.canon)
		}
		if got := s.Describe("nl"); got != c.words {
			t.Errorf("Parse(%q).Describe = %q, want %q", c.in, got, c.words)
		}
		if got := FormatTime(s.Next(now).In(loc), "nl"); got != c.next {
			t.Errorf("Parse(%q).Next = %q, want %q", c.in, got, c.next)
		}
		// The canonical form reads back to the same spec.
		back, err := Parse(s.String(), now, loc)
		if err != nil || back.String() != s.String() || !back.Next(now).Equal(s.Next(now)) {
			t.Errorf("round trip of %q via %q: %v %q", c.in, s.String(), err, back.String())
		}
	}
}

func TestDescribeEnglish(t *testing.T) {
	loc := amsterdam(t)
	now := time.Date(2026, 3, 27, 12, 0, 0, 0, loc)
	for in, want := range map[string]string{
		"elke maandag en donderdag om 19:00": "every Monday and Thursday at 19:00",
		"op 12 december om 14.30":            "on Saturday 12 December at 14:30",
		"elke werkdag om 8:00":               "every weekday at 8:00",
	} {
		s, err := Parse(in, now, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Describe("en"); got != want {
			t.Errorf("Describe(en) of %q = %q, want %q", in, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	loc := amsterdam(t)
	now := time.Date(2026, 3, 27, 12, 0, 0, 0, loc)
	cases := []struct{ in, want string }{
		{"elke dinsdagg", `ik snap "elke dinsdagg" niet. Probeer: elke dinsdag om 9:00`},
		{"elke woensdg om 10:00", `ik snap "elke woensdg om 10:00" niet. Probeer: elke woensdag om 10:00`},
		{"elke dag", `ik snap "elke dag" niet: zeg ook hoe laat. Probeer: elke dag om 9:00`},
		{"morgen", `ik snap "morgen" niet: zeg ook hoe laat. Probeer: morgen om 10:00`},
		{"op 12 december", `ik snap "op 12 december" niet: zeg ook hoe laat. Probeer: op 12 december om 10:00`},
		{"vandaag om 8:00", `ik snap "vandaag om 8:00" niet: die tijd is al voorbij. Probeer: morgen om 8:00`},
		{"elke dag om 25:00", `ik snap "elke dag om 25:00" niet: een tijd gaat van 0:00 tot 23:59. Probeer: elke dag om 8:00`},
		{"op 31 april om 10:00", `ik snap "op 31 april om 10:00" niet: die datum bestaat niet. Probeer: op 12 december om 14:30`},
		{"0 0 30 2 *", `ik snap "0 0 30 2 *" niet: die tijd komt nooit. Probeer: 0 8 * * 1-5`},
		{"61 8 * * *", `ik snap "61 8 * * *" niet: dat is geen goed cron-schema (minuut uur dag maand weekdag). Probeer: 0 8 * * 1-5`},
		{"@every 5m", `ik snap "@every 5m" niet: dat is geen goed cron-schema (minuut uur dag maand weekdag). Probeer: 0 8 * * 1-5`},
		{"xyz", `ik snap "xyz" niet. Probeer: elke dag om 8:00`},
		{"", `ik snap "" niet: er staat niets. Probeer: elke dag om 8:00`},
		{"elke dag morgen om 9:00", `ik snap "elke dag morgen om 9:00" niet: kies één keer of elke keer. Probeer: morgen om 10:00`},
	}
	for _, c := range cases {
		_, err := Parse(c.in, now, loc)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error", c.in)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("Parse(%q) error\n got %s\nwant %s", c.in, err, c.want)
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q): error is %T, want *ParseError", c.in, err)
			continue
		}
		// Every example in an error works.
		if _, err := Parse(pe.Example, now, loc); err != nil {
			t.Errorf("example %q of %q does not parse: %v", pe.Example, c.in, err)
		}
	}
}

// A daily 02:30 item fires exactly once on every day around both changes of
// 2026: at 03:00 CEST on 29 March (02:30 does not exist), at 02:30 CEST
// (the first of the two) on 25 October.
func TestDSTDailyOncePerDay(t *testing.T) {
	loc := amsterdam(t)
	for _, c := range []struct {
		from    time.Time
		special string // the change day, wall clock and zone
	}{
		{time.Date(2026, 3, 26, 12, 0, 0, 0, loc), "2026-03-29 03:00 CEST"},
		{time.Date(2026, 10, 22, 12, 0, 0, 0, loc), "2026-10-25 02:30 CEST"},
	} {
		s, err := Parse("elke dag om 2:30", c.from, loc)
		if err != nil {
			t.Fatal(err)
		}
		perDay := map[string]int{}
		var got []string
		at := c.from
		for i := 0; i < 7; i++ {
			next := s.Next(at)
			if !next.After(at) {
				t.Fatalf("Next(%v) = %v, not after", at, next)
			}
			at = next
			l := at.In(loc)
			perDay[l.Format("2006-01-02")]++
			got = append(got, l.Format("2006-01-02 15:04 MST"))
		}
		if len(perDay) != 7 {
			t.Errorf("from %v: %d distinct days in 7 firings, want 7: %v", c.from, len(perDay), got)
		}
		found := false
		for _, g := range got {
			if g == c.special {
				found = true
			}
			if strings.HasSuffix(g, "CET") && strings.HasPrefix(g, "2026-10-25") {
				t.Errorf("second 02:30 on the fall-back day fired: %v", got)
			}
		}
		if !found {
			t.Errorf("want %s among %v", c.special, got)
		}
	}
}

// The bare robfig/cron behaviour this package corrects, kept as a test so a
// library upgrade that changes it is noticed.
func TestDSTRobfigInLocation(t *testing.T) {
	loc := amsterdam(t)
	p, err := cronParser.Parse("30 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	count := func(day time.Time) int {
		n := 0
		for at := day.Add(-time.Second); ; {
			at = p.Next(at)
			if at.In(loc).Day() != day.Day() {
				return n
			}
			n++
		}
	}
	if n := count(time.Date(2026, 3, 29, 0, 0, 0, 0, loc)); n != 0 {
		t.Errorf("robfig in-zone: %d firings on 2026-03-29, expected 0 (skipped)", n)
	}
	if n := count(time.Date(2026, 10, 25, 0, 0, 0, 0, loc)); n != 2 {
		t.Errorf("robfig in-zone: %d firings on 2026-10-25, expected 2 (double)", n)
	}
}

func TestDSTHourlyAndFallBack(t *testing.T) {
	loc := amsterdam(t)
	// Every half hour over the fall-back night: the repeated hour 02:00-03:00
	// fires once (at CEST), and time always moves forward.
	s, err := Parse("*/30 * * * *", time.Date(2026, 10, 24, 12, 0, 0, 0, loc), loc)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	at := time.Date(2026, 10, 25, 1, 15, 0, 0, loc)
	for i := 0; i < 6; i++ {
		n := s.Next(at)
		if !n.After(at) {
			t.Fatalf("not after: %v -> %v", at, n)
		}
		at = n
		got = append(got, at.In(loc).Format("15:04 MST"))
	}
	want := "01:30 CEST,02:00 CEST,02:30 CEST,03:00 CET,03:30 CET,04:00 CET"
	if strings.Join(got, ",") != want {
		t.Errorf("fall back: got %s, want %s", strings.Join(got, ","), want)
	}
	// Spring forward: 02:00 and 02:30 do not exist and merge into 03:00.
	got = nil
	at = time.Date(2026, 3, 29, 1, 15, 0, 0, loc)
	for i := 0; i < 4; i++ {
		at = s.Next(at)
		got = append(got, at.In(loc).Format("15:04 MST"))
	}
	want = "01:30 CET,03:00 CEST,03:30 CEST,04:00 CEST"
	if strings.Join(got, ",") != want {
		t.Errorf("spring forward: got %s, want %s", strings.Join(got, ","), want)
	}
	// Next from inside the repeated hour (second instance) never goes back.
	s2, _ := Parse("30 2 * * *", at, loc)
	second := time.Date(2026, 10, 25, 1, 10, 0, 0, time.UTC) // 02:10 CET
	if n := s2.Next(second); n.In(loc).Format("2006-01-02 15:04 MST") != "2026-10-26 02:30 CET" {
		t.Errorf("Next from 02:10 CET = %v", n.In(loc))
	}
}

func TestPreviewLines(t *testing.T) {
	loc := amsterdam(t)
	from := time.Date(2026, 3, 28, 12, 0, 0, 0, loc)
	got, err := PreviewLines("elke dag om 8:00", 3, from, loc)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"elke dag om 8:00", "zo 29 mrt 2026 08:00 CEST", "ma 30 mrt 2026 08:00 CEST", "di 31 mrt 2026 08:00 CEST"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
	got, err = PreviewLines("0 19 * * 1,4", 2, from, loc)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "elke maandag en donderdag om 19:00|ma 30 mrt 2026 19:00 CEST|do 2 apr 2026 19:00 CEST" {
		t.Errorf("cron preview: %q", got)
	}
	got, err = PreviewLines("morgen om 10:00", 5, from, loc)
	if err != nil || len(got) != 2 || got[1] != "zo 29 mrt 2026 10:00 CEST" {
		t.Errorf("one-off preview: %q %v", got, err)
	}
	if _, err := PreviewLines("elke dinsdagg", 3, from, loc); err == nil {
		t.Error("want error")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"elke dag om 8:00", "morgen om 10:00", "op 12 december om 14.30", "0 8 * * 1-5",
		"half 9", "kwart voor 7 's avonds", "ma t/m vr 8u", "elke maand op de 31e om 9:00", "@daily", "12-12-2026 14:30",
		"0 8 * * * | 30 19 * * *", "*/0 * * * *", "1-0 * * * *", "volgende dinsdag om 9:00", "29 februari 10:00"} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 3, 27, 12, 0, 0, 0, loc)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in, now, loc)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Example == "" {
				t.Fatalf("Parse(%q): error %v is not a ParseError with an example", in, err)
			}
			return
		}
		_ = s.Describe("nl")
		next := s.Next(now)
		if next.IsZero() {
			t.Fatalf("Parse(%q) accepted a spec with no next time", in)
		}
		back, err := Parse(s.String(), now, loc)
		if err != nil || !back.Next(now).Equal(next) {
			t.Fatalf("round trip %q -> %q: %v", in, s.String(), err)
		}
	})
}
