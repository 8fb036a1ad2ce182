package scheduler

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

type words struct {
	days, daysShort, months, monthsShort                                                          []string
	every, everyDay, everyWorkday, everyMonth, everyYear, everyHour, at, and, on, in, byCron, nth string
	none                                                                                          string
}

var wordsNL = words{
	days:         []string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"},
	daysShort:    []string{"zo", "ma", "di", "wo", "do", "vr", "za"},
	months:       []string{"", "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
	monthsShort:  []string{"", "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"},
	every:        "elke",
	everyDay:     "elke dag",
	everyWorkday: "elke werkdag",
	everyMonth:   "elke maand op de",
	everyYear:    "elk jaar op",
	everyHour:    "elk uur",
	at:           "om",
	and:          "en",
	on:           "op",
	in:           "alleen in",
	byCron:       "volgens cron",
	nth:          "e",
	none:         "(geen volgende keer)",
}

var wordsEN = words{
	days:         []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	daysShort:    []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
	months:       []string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	monthsShort:  []string{"", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	every:        "every",
	everyDay:     "every day",
	everyWorkday: "every weekday",
	everyMonth:   "every month on the",
	everyYear:    "every year on",
	everyHour:    "every hour",
	at:           "at",
	and:          "and",
	on:           "on",
	in:           "only in",
	byCron:       "by cron",
	nth:          "th",
	none:         "(no next time)",
}

func wordsFor(lang string) words {
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		return wordsEN
	}
	return wordsNL
}

// Describe says the spec in plain words, in Dutch ("nl", the default) or
// English ("en"): "elke dag om 8:00", "elke maandag en donderdag om 19:00",
// "op zaterdag 12 december om 14:30". Schedules that have no simple words
// are shown as their cron expression.
func (s Spec) Describe(lang string) string {
	w := wordsFor(lang)
	if s.IsOnce() {
		return w.on + " " + s.describeDate(w) + " " + w.at + " " + clockOf(s.at.In(s.Location()))
	}
	if len(s.parts) == 0 {
		return w.none
	}
	type described struct {
		days  string
		times []clock
		every string // "elk uur ..." instead of times
	}
	var ds []described
	ok := true
	for _, p := range s.parts {
		days, dok := describeDays(p.sched, w)
		times, every, tok := describeTimes(p.sched, w)
		if !dok || !tok {
			ok = false
			break
		}
		ds = append(ds, described{days, times, every})
	}
	if !ok {
		exprs := make([]string, len(s.parts))
		for i, p := range s.parts {
			exprs[i] = p.expr
		}
		return w.byCron + " \"" + strings.Join(exprs, partSep) + "\""
	}
	// Merge parts that share their days: "elke dag om 8:00 en 19:30".
	var out []string
	for i := 0; i < len(ds); i++ {
		if ds[i].every != "" {
			if ds[i].days == w.everyDay {
				out = append(out, ds[i].every)
			} else {
				out = append(out, ds[i].days+", "+ds[i].every)
			}
			continue
		}
		times := append([]clock(nil), ds[i].times...)
		for j := i + 1; j < len(ds); j++ {
			if ds[j].days == ds[i].days && ds[j].every == "" {
				times = append(times, ds[j].times...)
				ds = append(ds[:j], ds[j+1:]...)
				j--
			}
		}
		sort.Slice(times, func(a, b int) bool {
			return times[a].h*60+times[a].m < times[b].h*60+times[b].m
		})
		ts := make([]string, len(times))
		for k, c := range times {
			ts[k] = c.String()
		}
		out = append(out, ds[i].days+" "+w.at+" "+list(ts, w.and))
	}
	return strings.Join(out, "; ")
}

func (s Spec) describeDate(w words) string {
	t := s.at.In(s.Location())
	d := fmt.Sprintf("%s %d %s", w.days[t.Weekday()], t.Day(), w.months[t.Month()])
	ref := s.ref
	if ref.IsZero() || t.Year() != ref.Year() && t.Sub(ref) > 180*24*time.Hour || t.Before(ref) {
		d += fmt.Sprintf(" %d", t.Year())
	}
	return d
}

func clockOf(t time.Time) string { return clock{t.Hour(), t.Minute()}.String() }

const starBit = 1 << 63

func bitsOf(x uint64, lo, hi int) []int {
	var out []int
	for i := lo; i <= hi; i++ {
		if x&(1<<uint(i)) != 0 {
			out = append(out, i)
		}
	}
	return out
}

func isAll(x uint64, lo, hi int) bool { return len(bitsOf(x, lo, hi)) == hi-lo+1 }

func describeDays(s *cron.SpecSchedule, w words) (string, bool) {
	domAll, dowAll := isAll(s.Dom, 1, 31), isAll(s.Dow, 0, 6)
	star := s.Dom&starBit != 0 || s.Dow&starBit != 0
	var days string
	switch {
	case domAll && dowAll:
		days = w.everyDay
	case domAll && star:
		dow := bitsOf(s.Dow, 0, 6)
		if len(dow) == 5 && s.Dow&(1<<0|1<<6) == 0 {
			days = w.everyWorkday
		} else {
			var names []string
			for _, d := range []int{1, 2, 3, 4, 5, 6, 0} { // Monday first
				if s.Dow&(1<<uint(d)) != 0 {
					names = append(names, w.days[d])
				}
			}
			days = w.every + " " + list(names, w.and)
		}
	case dowAll && star:
		dom := bitsOf(s.Dom, 1, 31)
		months := bitsOf(s.Month, 1, 12)
		if len(dom) == 1 && len(months) == 1 {
			return fmt.Sprintf("%s %d %s", w.everyYear, dom[0], w.months[months[0]]), true
		}
		ns := make([]string, len(dom))
		for i, d := range dom {
			ns[i] = fmt.Sprintf("%d%s", d, w.nth)
		}
		days = w.everyMonth + " " + list(ns, w.and)
	default:
		return "", false
	}
	if !isAll(s.Month, 1, 12) {
		months := bitsOf(s.Month, 1, 12)
		ns := make([]string, len(months))
		for i, m := range months {
			ns[i] = w.months[m]
		}
		days += " (" + w.in + " " + list(ns, w.and) + ")"
	}
	return days, true
}

func describeTimes(s *cron.SpecSchedule, w words) ([]clock, string, bool) {
	hours, minutes := bitsOf(s.Hour, 0, 23), bitsOf(s.Minute, 0, 59)
	if s.Second != 1 {
		return nil, "", false
	}
	if len(hours) == 24 && len(minutes) == 1 {
		if minutes[0] == 0 {
			return nil, w.everyHour, true
		}
		return nil, fmt.Sprintf("%s %s :%02d", w.everyHour, w.at, minutes[0]), true
	}
	if len(hours)*len(minutes) > 8 {
		return nil, "", false
	}
	var out []clock
	for _, h := range hours {
		for _, m := range minutes {
			out = append(out, clock{h, m})
		}
	}
	return out, "", true
}

func list(items []string, and string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + and + " " + items[len(items)-1]
}

// FormatTime formats a time for coaches: "ma 30 mrt 2026 08:00 CEST".
func FormatTime(t time.Time, lang string) string {
	w := wordsFor(lang)
	return fmt.Sprintf("%s %d %s %d %s", w.daysShort[t.Weekday()], t.Day(), w.monthsShort[t.Month()], t.Year(), t.Format("15:04 MST"))
}

// PreviewLines is what `waakvlam schedule preview` prints: the spec in
// plain Dutch words, then its next n times after from, in loc, formatted
// like "ma 30 mrt 2026 08:00 CEST". Quiet hours are not applied here.
func PreviewLines(spec string, n int, from time.Time, loc *time.Location) ([]string, error) {
	if loc == nil {
		loc = time.UTC
	}
	s, err := Parse(spec, from, loc)
	if err != nil {
		return nil, err
	}
	lines := []string{s.Describe("nl")}
	t := from
	for i := 0; i < n; i++ {
		t = s.Next(t)
		if t.IsZero() {
			if i == 0 {
				lines = append(lines, wordsNL.none)
			}
			break
		}
		lines = append(lines, FormatTime(t.In(loc), "nl"))
	}
	return lines, nil
}
