package scheduler

import "time"

// plan computes the occurrences of one schedule: the times of its spec,
// each minus each lead time, in order, with quiet hours applied. It is pure
// (no Redis), so the Tick path and the tests share it.
type plan struct {
	spec  Spec
	leads []time.Duration // never empty: {0} means at the time itself
	quiet QuietHours
	loc   *time.Location
}

// occurrence is one planned sending. Its position in the sequence is
// (nominal, idx); event and idx are what is stored in Redis.
type occurrence struct {
	event   time.Time // a time of the spec
	idx     int       // index into plan.leads
	nominal time.Time // event minus the lead time
	due     time.Time // nominal moved out of quiet hours
}

const maxSteps = 100000

func (s *Store) plan(spec Spec, before []time.Duration) plan {
	leads := before
	if len(leads) == 0 {
		leads = []time.Duration{0}
	}
	return plan{spec: spec, leads: leads, quiet: s.Quiet(), loc: s.loc}
}

// at rebuilds the occurrence of an event time and lead index.
func (p plan) at(event time.Time, idx int) occurrence {
	o := occurrence{event: event, idx: idx, nominal: p.sub(event, p.leads[idx])}
	o.due = p.shift(o.nominal)
	return o
}

// first is the first occurrence whose nominal time is after now.
func (p plan) first(now time.Time) (occurrence, bool) {
	return p.settle(p.rawAfter(now, len(p.leads)))
}

// after is the occurrence that follows o.
func (p plan) after(o occurrence) (occurrence, bool) {
	return p.settle(p.rawAfter(o.nominal, o.idx))
}

func (p plan) shift(t time.Time) time.Time { return p.quiet.Shift(t.In(p.loc)) }

// skipped says whether a reminder ahead of an event would, after quiet
// hours, arrive at or after the event itself; such reminders are dropped.
func (p plan) skipped(o occurrence) bool {
	return p.leads[o.idx] > 0 && !o.due.Before(o.event)
}

// settle applies quiet hours: it drops reminders pushed past their event,
// and merges the occurrences that quiet hours move to the same time into
// the last of them, so a client gets one message when quiet hours end.
func (p plan) settle(o occurrence, ok bool) (occurrence, bool) {
	for guard := 0; ok && guard < maxSteps; guard++ {
		o.due = p.shift(o.nominal)
		if p.skipped(o) {
			o, ok = p.rawAfter(o.nominal, o.idx)
			continue
		}
		if !o.due.Equal(o.nominal) {
			cur := o
			for g := 0; g < maxSteps; g++ {
				n, ok2 := p.rawAfter(cur.nominal, cur.idx)
				if !ok2 {
					break
				}
				n.due = p.shift(n.nominal)
				if !n.due.Equal(o.due) {
					break
				}
				cur = n
				if !p.skipped(n) {
					o = n
				}
			}
		}
		return o, true
	}
	return occurrence{}, false
}

// rawAfter is the first occurrence, quiet hours not applied, whose
// position (nominal, idx) comes after (n, i).
func (p plan) rawAfter(n time.Time, i int) (occurrence, bool) {
	var best occurrence
	found := false
	for j, l := range p.leads {
		start := n.Add(-time.Nanosecond)
		if l > 0 {
			start = n.Add(l).Add(-3 * time.Hour) // slack for calendar-day leads over DST
		}
		t := p.spec.Next(start)
		for g := 0; !t.IsZero() && g < maxSteps; g++ {
			nom := p.sub(t, l)
			if nom.After(n) || (nom.Equal(n) && j > i) {
				if !found || nom.Before(best.nominal) {
					best = occurrence{event: t, idx: j, nominal: nom}
					found = true
				}
				break
			}
			t = p.spec.Next(t)
		}
	}
	return best, found
}

// sub subtracts a lead time: whole days on the wall clock (the day before
// at the same clock time), anything else as a duration.
func (p plan) sub(t time.Time, l time.Duration) time.Time {
	if l == 0 {
		return t
	}
	if l%(24*time.Hour) == 0 {
		return fromWall(wallOf(t, p.loc).AddDate(0, 0, -int(l/(24*time.Hour))), p.loc)
	}
	return t.Add(-l).In(p.loc)
}
