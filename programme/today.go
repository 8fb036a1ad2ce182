package programme

import (
	"sort"
	"time"

	"github.com/waakvlam/waakvlam/scheduler"
)

// TodayItem is one thing on a client's list of today (for 📅 Mijn dag).
type TodayItem struct {
	At          time.Time // reminders: when it is sent (quiet hours applied); appointments: the appointment itself
	Emoji, Text string
	ScheduleID  string
	Kind        scheduler.Kind
}

// Today lists the reminders and appointments of a client on now's
// calendar day (in loc), in time order. Paused schedules, check-ins and
// other kinds are left out, and so are schedules whose spec does not parse.
func Today(schedules []scheduler.Schedule, now time.Time, loc *time.Location, quiet scheduler.QuietHours) []TodayItem {
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	end := start.AddDate(0, 0, 1)
	var out []TodayItem
	for _, sc := range schedules {
		if sc.Paused || sc.Kind != scheduler.KindReminder && sc.Kind != scheduler.KindAppointment {
			continue
		}
		spec, err := scheduler.Parse(sc.Spec, start, loc)
		if err != nil {
			continue
		}
		var last time.Time
		t := start.Add(-time.Nanosecond)
		for i := 0; i < 100; i++ {
			t = spec.Next(t)
			if t.IsZero() || !t.Before(end) {
				break
			}
			at := t
			if sc.Kind == scheduler.KindReminder {
				at = quiet.Shift(t.In(loc))
				if !at.Before(end) || !last.IsZero() && !at.After(last) {
					continue
				}
				last = at
			}
			out = append(out, TodayItem{At: at, Emoji: sc.Emoji, Text: sc.Text, ScheduleID: sc.ID, Kind: sc.Kind})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
