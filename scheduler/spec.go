package scheduler

import (
	"errors"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Spec is a parsed schedule: either recurring (one or more 5-field cron
// schedules, evaluated on the wall clock of the location) or one-off (a
// single instant). The zero Spec has no times.
type Spec struct {
	loc   *time.Location
	parts []cronPart // recurring; empty for one-off
	at    time.Time  // one-off instant; zero for recurring
	ref   time.Time  // the "now" the spec was parsed with (for wording only)
}

type cronPart struct {
	expr  string             // canonical 5-field expression
	sched *cron.SpecSchedule // evaluated on wall-clock times expressed in UTC
}

// partSep separates the cron expressions of a recurring Spec in its
// canonical form, for example "0 8 * * * | 30 19 * * *".
const partSep = " | "

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// parseCron parses one standard 5-field expression (or a descriptor such
// as @daily) into a wall-clock schedule.
func parseCron(expr string) (cronPart, error) {
	expr = strings.Join(strings.Fields(expr), " ")
	if expr == "" {
		return cronPart{}, errors.New("empty")
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return cronPart{}, errors.New("time zone prefix not allowed")
	}
	if strings.HasPrefix(expr, "@every") {
		return cronPart{}, errors.New("@every is not supported")
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		return cronPart{}, err
	}
	ss, ok := s.(*cron.SpecSchedule)
	if !ok {
		return cronPart{}, errors.New("unsupported schedule")
	}
	cp := *ss
	cp.Location = time.UTC // wall-clock arithmetic: no DST in UTC
	return cronPart{expr: expr, sched: &cp}, nil
}

// IsOnce reports whether the spec is a one-off time.
func (s Spec) IsOnce() bool { return !s.at.IsZero() }

// IsZero reports whether the spec is empty.
func (s Spec) IsZero() bool { return s.at.IsZero() && len(s.parts) == 0 }

// Location returns the time zone the spec is evaluated in.
func (s Spec) Location() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

// At returns the time of a one-off spec (zero for recurring specs).
func (s Spec) At() time.Time { return s.at }

// String returns the canonical storable form that Parse reads back: the
// cron expressions joined by " | " for recurring specs, RFC 3339 with the
// offset for a one-off.
func (s Spec) String() string {
	if s.IsOnce() {
		return s.at.In(s.Location()).Format(time.RFC3339)
	}
	exprs := make([]string, len(s.parts))
	for i, p := range s.parts {
		exprs[i] = p.expr
	}
	return strings.Join(exprs, partSep)
}

// Next returns the first time of the spec strictly after after, in the
// spec's location, or the zero time when there is none.
//
// Recurring specs are evaluated on the wall clock (see the package doc for
// the daylight-saving rule): a wall time that does not exist fires at the
// moment the clocks jump forward, a wall time that exists twice fires at
// its first instance only.
func (s Spec) Next(after time.Time) time.Time {
	if s.IsOnce() {
		if s.at.After(after) {
			return s.at
		}
		return time.Time{}
	}
	var best time.Time
	for _, p := range s.parts {
		t := p.next(after, s.Location())
		if !t.IsZero() && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	return best
}

func (p cronPart) next(after time.Time, loc *time.Location) time.Time {
	w := wallOf(after, loc)
	// fromWall is monotone (non-decreasing), so the first wall time whose
	// instant lies after "after" is the answer. Only wall times in a repeated
	// hour map to instants not after "after"; the loop is short.
	for i := 0; i < 10000; i++ {
		w = p.sched.Next(w)
		if w.IsZero() {
			return time.Time{}
		}
		if t := fromWall(w, loc); t.After(after) {
			return t
		}
	}
	return time.Time{}
}

// wallOf returns the wall clock reading of t in loc, expressed as the same
// reading in UTC.
func wallOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// fromWall returns the instant at which the clocks in loc show the wall
// reading w (given in UTC). When the reading occurs twice (clocks set back)
// it returns the first instance; when it does not occur (clocks set
// forward) it returns the moment of the jump. The mapping is monotone.
func fromWall(w time.Time, loc *time.Location) time.Time {
	var best time.Time
	minOff := 1 << 30
	for _, probe := range []time.Duration{-26 * time.Hour, -2 * time.Hour, 0, 2 * time.Hour, 26 * time.Hour} {
		_, off := w.Add(probe).In(loc).Zone()
		if off < minOff {
			minOff = off
		}
		c := w.Add(-time.Duration(off) * time.Second)
		if wallOf(c, loc).Equal(w) && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	if !best.IsZero() {
		return best.In(loc)
	}
	// In the gap: with the smaller (earlier) offset the instant lies just
	// past the jump; the zone it falls in starts at the jump.
	c := w.Add(-time.Duration(minOff) * time.Second).In(loc)
	start, _ := c.ZoneBounds()
	if start.IsZero() || start.After(c) {
		return c
	}
	return start.In(loc)
}

// dateAt returns the instant of the given date and clock time in loc,
// with the same rule as fromWall.
func dateAt(y int, m time.Month, d, hh, mm int, loc *time.Location) time.Time {
	return fromWall(time.Date(y, m, d, hh, mm, 0, 0, time.UTC), loc)
}

// newRecurring builds a recurring spec from cron expressions.
func newRecurring(exprs []string, now time.Time, loc *time.Location) (Spec, error) {
	s := Spec{loc: loc, ref: now}
	seen := map[string]bool{}
	for _, e := range exprs {
		p, err := parseCron(e)
		if err != nil {
			return Spec{}, err
		}
		if seen[p.expr] {
			continue
		}
		seen[p.expr] = true
		s.parts = append(s.parts, p)
	}
	if len(s.parts) == 0 {
		return Spec{}, errors.New("empty")
	}
	return s, nil
}
