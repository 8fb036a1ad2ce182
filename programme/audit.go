package programme

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/scheduler"
)

// AuditEntry is one change of settings or of a client's structure, for
// the audit log: who changed what, when, and the value before and after
// (for settings: Config.YAML(); for a client's level: the level names).
type AuditEntry struct {
	Who    string    `json:"who"`  // Mattermost username
	What   string    `json:"what"` // e.g. "instellingen herladen", "niveau c1", "herinnering nieuw c1"
	At     time.Time `json:"at"`
	Before string    `json:"before,omitempty"`
	After  string    `json:"after,omitempty"`
}

// String is one line for a log or a coach post: "2026-11-26 10:00 pl-anna
// instellingen herladen".
func (e AuditEntry) String() string {
	return e.At.Format("2006-01-02 15:04") + " " + e.Who + " " + e.What
}

var moodWords = map[int]string{1: "😢", 2: "🙁", 3: "😐", 4: "🙂", 5: "😀"}

func describeLowMood(r LowMoodRule) string {
	return fmt.Sprintf("%d van de laatste %d antwoorden %s of lager", r.Count, r.Window, moodWords[r.AtMost])
}

// Diff lists in Dutch what changed from before to after, one line per
// change, in a fixed order; nil when nothing changed.
func Diff(before, after Config) []string {
	var out []string
	add := func(label, a, b string) {
		if a != b {
			out = append(out, label+": "+a+" → "+b)
		}
	}
	add("stille uren", FormatQuiet(before.Quiet), FormatQuiet(after.Quiet))
	add("⏰ Straks herinnert opnieuw na", FormatDuration(before.SnoozeAfter), FormatDuration(after.SnoozeAfter))
	add("⏰ Straks mag hoogstens", timesWord(before.MaxSnoozes), timesWord(after.MaxSnoozes))
	add("gemist als niet gedaan binnen", FormatDuration(before.Grace), FormatDuration(after.Grace))
	add("signaal na gemist op rij", timesWord(before.MissedInARow), timesWord(after.MissedInARow))
	add("signaal bij lage stemming", describeLowMood(before.LowMood), describeLowMood(after.LowMood))
	add("standaardniveau", string(before.DefaultLevel), string(after.DefaultLevel))
	for _, l := range Levels {
		b, a := before.Level(l), after.Level(l)
		add("niveau "+string(l)+", check-in", strconv.Quote(b.Checkin), strconv.Quote(a.Checkin))
		add("niveau "+string(l)+", stil signaal na", FormatDuration(b.Silence), FormatDuration(a.Silence))
	}
	names := map[string]bool{}
	for n := range before.Groups {
		names[n] = true
	}
	for n := range after.Groups {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		b, inB := before.Groups[n]
		a, inA := after.Groups[n]
		switch {
		case !inB:
			out = append(out, fmt.Sprintf("groep %s: nieuw (%s, %s)", n, levelWord(a.Level), remindersWord(len(a.Schedules))))
			continue
		case !inA:
			out = append(out, fmt.Sprintf("groep %s: weg", n))
			continue
		}
		add("groep "+n+", niveau", levelWord(b.Level), levelWord(a.Level))
		gone, added := scheduleDiff(b.Schedules, a.Schedules)
		for _, s := range gone {
			out = append(out, "groep "+n+", herinnering weg: "+s)
		}
		for _, s := range added {
			out = append(out, "groep "+n+", herinnering erbij: "+s)
		}
	}
	return out
}

func timesWord(n int) string {
	if n == 1 {
		return "1 keer"
	}
	return strconv.Itoa(n) + " keer"
}

func levelWord(l Level) string {
	if l == "" {
		return "standaardniveau"
	}
	return "niveau " + string(l)
}

func remindersWord(n int) string {
	if n == 1 {
		return "1 herinnering"
	}
	return strconv.Itoa(n) + " herinneringen"
}

// ScheduleLine is how a default schedule is shown: `💊 Pillen, "elke dag om 8:00"`.
func ScheduleLine(s ScheduleDef) string {
	t := s.Text
	if s.Emoji != "" {
		t = s.Emoji + " " + t
	}
	return t + ", " + strconv.Quote(s.Spec)
}

// scheduleDiff compares two lists as multisets.
func scheduleDiff(before, after []ScheduleDef) (gone, added []string) {
	count := map[string]int{}
	for _, s := range before {
		count[ScheduleLine(s)]++
	}
	for _, s := range after {
		count[ScheduleLine(s)]--
	}
	for _, s := range before {
		if l := ScheduleLine(s); count[l] > 0 {
			gone = append(gone, l)
			count[l]--
		}
	}
	for _, s := range after {
		if l := ScheduleLine(s); count[l] < 0 {
			added = append(added, l)
			count[l]++
		}
	}
	return gone, added
}

// SetKeys are the settings Set changes, as in the settings file.
var SetKeys = []string{
	"quiet_hours", "snooze.after", "snooze.max", "missed.grace", "missed.in_a_row",
	"low_mood.count", "low_mood.of_last", "low_mood.at_most", "default_level",
	"levels.<niveau>.checkin", "levels.<niveau>.silence", "groups.<groep>.level",
}

// Set returns a copy of c with one setting changed, as a project leader
// types it (`instellingen zet snooze.after 20 minuten`). key is a path of
// the settings file (see SetKeys); value is what the file would hold. The
// result is checked; c is not changed.
func (c Config) Set(key, value string) (Config, error) {
	n := c.Clone()
	key = strings.ToLower(strings.TrimSpace(key))
	value = strings.TrimSpace(value)
	num := func() (int, error) {
		v, err := strconv.Atoi(value)
		if err != nil {
			return 0, fmt.Errorf("%s: %q is geen heel getal", key, value)
		}
		return v, nil
	}
	dur := func() (time.Duration, error) {
		d, err := ParseDuration(value)
		if err != nil {
			return 0, fmt.Errorf("%s: %q is geen tijdsduur; schrijf bijvoorbeeld 30 minuten, 2 uur of 7 dagen", key, value)
		}
		return d, nil
	}
	var err error
	parts := strings.Split(key, ".")
	switch {
	case key == "quiet_hours":
		n.Quiet, err = ParseQuiet(value)
	case key == "snooze.after":
		n.SnoozeAfter, err = dur()
	case key == "snooze.max":
		n.MaxSnoozes, err = num()
	case key == "missed.grace":
		n.Grace, err = dur()
	case key == "missed.in_a_row":
		n.MissedInARow, err = num()
	case key == "low_mood.count":
		n.LowMood.Count, err = num()
	case key == "low_mood.of_last":
		n.LowMood.Window, err = num()
	case key == "low_mood.at_most":
		n.LowMood.AtMost, err = num()
	case key == "default_level":
		n.DefaultLevel, err = ParseLevel(value)
	case len(parts) == 3 && parts[0] == "levels":
		l, lerr := ParseLevel(parts[1])
		if lerr != nil {
			return c, lerr
		}
		d := n.Levels[l]
		switch parts[2] {
		case "checkin":
			if _, err = ParseSpec(value, time.UTC); err == nil {
				d.Checkin = value
			}
		case "silence":
			d.Silence, err = dur()
		default:
			return c, fmt.Errorf("ik ken %q niet: kies levels.%s.checkin of levels.%s.silence", key, l, l)
		}
		n.Levels[l] = d
	case len(parts) == 3 && parts[0] == "groups" && parts[2] == "level":
		g, ok := n.Groups[parts[1]]
		if !ok {
			return c, fmt.Errorf("ik ken groep %q niet; nieuwe groepen maak je in het bestand", parts[1])
		}
		if value == "" || value == "-" {
			g.Level = ""
		} else if g.Level, err = ParseLevel(value); err != nil {
			return c, err
		}
		n.Groups[parts[1]] = g
	default:
		return c, fmt.Errorf("ik ken %q niet; kies uit: %s", key, strings.Join(SetKeys, ", "))
	}
	if err != nil {
		return c, err
	}
	if err := n.Check(); err != nil {
		return c, err
	}
	return n, nil
}

// Upcoming returns the next n send times of spec after from, with quiet
// hours applied the way the scheduler applies them (a time in quiet hours
// moves to their end; times that land on the same moment become one).
// Times are in the spec's location.
func Upcoming(spec scheduler.Spec, from time.Time, n int, quiet scheduler.QuietHours) []time.Time {
	var out []time.Time
	t := from
	for i := 0; len(out) < n && i < 10*n+10; i++ {
		t = spec.Next(t)
		if t.IsZero() {
			break
		}
		s := quiet.Shift(t.In(spec.Location()))
		if len(out) > 0 && !s.After(out[len(out)-1]) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// Summary is what `instellingen` shows a project leader: every setting in
// Dutch, with the next n times of each schedule after from in loc.
func (c Config) Summary(from time.Time, loc *time.Location, n int) []string {
	lines := []string{
		"Stille uren: " + FormatQuiet(c.Quiet),
		fmt.Sprintf("⏰ Straks: opnieuw na %s, hoogstens %s", FormatDuration(c.SnoozeAfter), timesWord(c.MaxSnoozes)),
		fmt.Sprintf("Gemist: niet gedaan binnen %s; signaal na %s op rij", FormatDuration(c.Grace), timesWord(c.MissedInARow)),
		"Signaal bij lage stemming: " + describeLowMood(c.LowMood),
		"Standaardniveau: " + string(c.DefaultLevel),
	}
	for _, l := range Levels {
		d := c.Level(l)
		lines = append(lines, fmt.Sprintf("Niveau %s: check-in %s; stil signaal na %s", l, c.describe(d.Checkin, from, loc, n), FormatDuration(d.Silence)))
	}
	for _, name := range c.GroupNames() {
		g := c.Groups[name]
		lines = append(lines, fmt.Sprintf("Groep %s (%s):", name, levelWord(g.Level)))
		for _, s := range g.Schedules {
			t := s.Text
			if s.Emoji != "" {
				t = s.Emoji + " " + t
			}
			lines = append(lines, "- "+t+": "+c.describe(s.Spec, from, loc, n))
		}
	}
	return lines
}

func (c Config) describe(spec string, from time.Time, loc *time.Location, n int) string {
	s, err := ParseSpec(spec, loc)
	if err != nil {
		return strconv.Quote(spec) + " (" + err.Error() + ")"
	}
	var times []string
	for _, t := range Upcoming(s, from, n, c.Quiet) {
		times = append(times, scheduler.FormatTime(t, "nl"))
	}
	if len(times) == 0 {
		return s.Describe("nl")
	}
	return s.Describe("nl") + " (volgende: " + strings.Join(times, ", ") + ")"
}
