package scheduler

import (
	"strings"
	"testing"
	"time"
)

func TestQuietShift(t *testing.T) {
	loc := amsterdam(t)
	d := func(mo time.Month, day, h, m int) time.Time { return time.Date(2026, mo, day, h, m, 0, 0, loc) }
	q := DefaultQuietHours
	cases := []struct {
		in   time.Time
		want string
	}{
		{d(3, 27, 20, 59), "2026-03-27 20:59 CET"},
		{d(3, 27, 21, 0), "2026-03-28 08:00 CET"},
		{d(3, 27, 23, 59), "2026-03-28 08:00 CET"},
		{d(3, 28, 0, 0), "2026-03-28 08:00 CET"},
		{d(3, 28, 7, 59), "2026-03-28 08:00 CET"},
		{d(3, 28, 8, 0), "2026-03-28 08:00 CET"},
		{d(3, 28, 22, 0), "2026-03-29 08:00 CEST"}, // spring-forward night
		{d(3, 29, 3, 30), "2026-03-29 08:00 CEST"},
		{d(10, 24, 23, 0), "2026-10-25 08:00 CET"},                               // fall-back night
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "2026-10-25 08:00 CET"}, // 02:30 CEST, then the second 02:30
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "2026-10-25 08:00 CET"},
		{d(12, 31, 22, 0), "2027-01-01 08:00 CET"},
	}
	for _, c := range cases {
		if got := fmtT(q.Shift(c.in.In(loc))); got != c.want {
			t.Errorf("Shift(%s) = %s, want %s", fmtT(c.in), got, c.want)
		}
	}
	// Quiet hours within one day (13:00-14:00) and none at all.
	day := QuietHours{Start: At(13, 0), End: At(14, 0)}
	if got := fmtT(day.Shift(d(5, 1, 13, 30))); got != "2026-05-01 14:00 CEST" {
		t.Errorf("day span: %s", got)
	}
	if got := fmtT(day.Shift(d(5, 1, 12, 30))); got != "2026-05-01 12:30 CEST" {
		t.Errorf("day span outside: %s", got)
	}
	if (QuietHours{}).Contains(d(5, 1, 23, 0)) {
		t.Error("zero quiet hours contain a time")
	}
	if tod, err := ParseTimeOfDay("21:00"); err != nil || tod != At(21, 0) || tod.String() != "21:00" {
		t.Errorf("ParseTimeOfDay: %v %v", tod, err)
	}
	if _, err := ParseTimeOfDay("25:00"); err == nil {
		t.Error("25:00 accepted")
	}
}

// Every ten minutes with quiet hours: one message at 08:00 for the whole
// night, then every ten minutes until 20:50.
func TestPlanQuietMerges(t *testing.T) {
	loc := amsterdam(t)
	spec, err := Parse("*/10 * * * *", time.Date(2026, 3, 27, 12, 0, 0, 0, loc), loc)
	if err != nil {
		t.Fatal(err)
	}
	p := plan{spec: spec, leads: []time.Duration{0}, quiet: DefaultQuietHours, loc: loc}
	o, ok := p.first(time.Date(2026, 3, 27, 20, 30, 0, 0, loc))
	var got []string
	for i := 0; ok && i < 5; i++ {
		got = append(got, fmtT(o.due)+"/"+o.nominal.In(loc).Format("15:04"))
		o, ok = p.after(o)
	}
	want := "2026-03-27 20:40 CET/20:40 2026-03-27 20:50 CET/20:50 2026-03-28 08:00 CET/08:00 2026-03-28 08:10 CET/08:10 2026-03-28 08:20 CET/08:20"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestParseTimeOfDayReadsLeadingZerosAsDecimal(t *testing.T) {
	for in, want := range map[string]TimeOfDay{"08:00": At(8, 0), "21:09": At(21, 9), "09:08": At(9, 8)} {
		got, err := ParseTimeOfDay(in)
		if err != nil || got != want {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}
