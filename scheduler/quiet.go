package scheduler

import (
	"fmt"
	"strconv"
	"time"
)

// TimeOfDay is a wall-clock time, in minutes after midnight (0..1439).
type TimeOfDay int

// At returns the time of day h:m.
func At(h, m int) TimeOfDay { return TimeOfDay(h*60 + m) }

// Hour returns the hour, 0..23.
func (c TimeOfDay) Hour() int { return int(c) / 60 }

// Minute returns the minute, 0..59.
func (c TimeOfDay) Minute() int { return int(c) % 60 }

func (c TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", c.Hour(), c.Minute()) }

// ParseTimeOfDay reads "21:00" or "8.30".
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	m := reClock.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("scheduler: time of day %q: want hh:mm", s)
	}
	// Atoi, not Sscan: Sscan reads "08" as octal.
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if h > 23 || mi > 59 {
		return 0, fmt.Errorf("scheduler: time of day %q out of range", s)
	}
	return At(h, mi), nil
}

// QuietHours is the part of each day in which nothing scheduled is sent.
// Start is included, End is not; Start after End spans midnight. Start
// equal to End means no quiet hours.
type QuietHours struct{ Start, End TimeOfDay }

// DefaultQuietHours is 21:00-08:00.
var DefaultQuietHours = QuietHours{Start: At(21, 0), End: At(8, 0)}

// Enabled reports whether there are quiet hours at all.
func (q QuietHours) Enabled() bool { return q.Start != q.End }

func (q QuietHours) String() string {
	if !q.Enabled() {
		return "none"
	}
	return q.Start.String() + "-" + q.End.String()
}

// Contains reports whether t falls in quiet hours, on the wall clock of
// t's location.
func (q QuietHours) Contains(t time.Time) bool {
	if !q.Enabled() {
		return false
	}
	m := TimeOfDay(t.Hour()*60 + t.Minute())
	if q.Start < q.End {
		return m >= q.Start && m < q.End
	}
	return m >= q.Start || m < q.End
}

// Shift returns t when it is outside quiet hours, and otherwise the end of
// the quiet hours it is in, on the wall clock of t's location (pass t in
// the local time zone). On a daylight-saving day the end is the wall time
// End of that morning, so a quiet night is an hour shorter or longer.
func (q QuietHours) Shift(t time.Time) time.Time {
	if !q.Contains(t) {
		return t
	}
	y, mo, d := t.Date()
	if q.Start > q.End && TimeOfDay(t.Hour()*60+t.Minute()) >= q.Start {
		d++ // time.Date normalises the 32nd to the 1st
	}
	return dateAt(y, mo, d, q.End.Hour(), q.End.Minute(), t.Location())
}
