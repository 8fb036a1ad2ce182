// Package programme holds the project leader's knobs for the structure
// part of Waakvlam (reminders, check-ins, signals): quiet hours, snooze and
// grace times, when a run of missed reminders or low moods is a signal,
// what the intensity levels licht, normaal and intensief mean, and the
// default schedules per client group.
//
// A Config is read from a YAML file (Load, Parse; see example.yaml) at
// start and on `instellingen herladen`, and can be changed one setting at a
// time with Set. The signal rules (MissedRun, LowMoodRun, Silent) are plain
// functions of a client's history and a Config. Every change is described
// in Dutch by Diff and kept as an AuditEntry. Nothing here talks to Redis or
// the network.
package programme

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/scheduler"
)

// Level is an intensity level: how often a client gets a check-in and how
// long a silence may last before the coach gets a signal.
type Level string

// The levels, from light to intensive.
const (
	Licht     Level = "licht"
	Normaal   Level = "normaal"
	Intensief Level = "intensief"
)

// Levels lists the levels from light to intensive.
var Levels = []Level{Licht, Normaal, Intensief}

// ParseLevel reads a level name as a coach types it ("Licht", "intensief").
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToLower(strings.TrimSpace(s)))
	for _, v := range Levels {
		if l == v {
			return l, nil
		}
	}
	return "", fmt.Errorf("ik ken niveau %q niet: kies licht, normaal of intensief", s)
}

// LevelDef says what one level means.
type LevelDef struct {
	// Checkin is when the client gets "Hoe gaat het vandaag?", as typed
	// (Dutch phrasing or cron, see scheduler.Parse); always recurring.
	Checkin string
	// Silence is how long a client may react to nothing before the coach
	// gets a quiet signal ("stil signaal").
	Silence time.Duration
}

// ScheduleDef is a default reminder of a client group.
type ScheduleDef struct {
	Text  string // without emoji, e.g. "Pillen"
	Emoji string // e.g. "💊"
	Spec  string // as typed; always recurring
}

// Group is a client group (for example jongeren, senioren).
type Group struct {
	Level     Level         // level of a new client in the group; "" means Config.DefaultLevel
	Schedules []ScheduleDef // reminders a new client in the group starts with
}

// LowMoodRule says when check-in answers are a run of low moods: at least
// Count of the last Window answers are AtMost or lower (1 is 😢, 5 is 😀).
type LowMoodRule struct {
	Count  int
	Window int
	AtMost int
}

// Config is the whole set of knobs. Use Default, Parse or Load; a Config
// from those is valid (see Check).
type Config struct {
	Quiet        scheduler.QuietHours // nothing scheduled is sent in these hours
	SnoozeAfter  time.Duration        // ⏰ Straks: remind again after this long
	MaxSnoozes   int                  // how often one reminder may be put off
	Grace        time.Duration        // no ✅ Gedaan within this time: missed
	MissedInARow int                  // this many missed in a row: signal to the coach
	LowMood      LowMoodRule          // run of low moods: signal to the coach
	DefaultLevel Level                // level of a new client
	Levels       map[Level]LevelDef   // always all three levels
	Groups       map[string]Group     // by lower-case name
}

// Default returns the settings used when there is no file, and the values
// a file leaves out.
func Default() Config {
	return Config{
		Quiet:        scheduler.DefaultQuietHours,
		SnoozeAfter:  30 * time.Minute,
		MaxSnoozes:   2,
		Grace:        2 * time.Hour,
		MissedInARow: 3,
		LowMood:      LowMoodRule{Count: 2, Window: 3, AtMost: 2},
		DefaultLevel: Normaal,
		Levels: map[Level]LevelDef{
			Licht:     {Checkin: "elke maandag om 10:00", Silence: 7 * 24 * time.Hour},
			Normaal:   {Checkin: "elke maandag en donderdag om 10:00", Silence: 3 * 24 * time.Hour},
			Intensief: {Checkin: "elke dag om 10:00", Silence: 24 * time.Hour},
		},
		Groups: map[string]Group{},
	}
}

// Level returns the definition of a level; an unknown level gets the
// definition of the default level.
func (c Config) Level(l Level) LevelDef {
	if d, ok := c.Levels[l]; ok {
		return d
	}
	return c.Levels[c.DefaultLevel]
}

// GroupNames lists the groups, sorted.
func (c Config) GroupNames() []string {
	names := make([]string, 0, len(c.Groups))
	for n := range c.Groups {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// specRef is the reference time schedules in a Config are checked with;
// only recurring schedules are allowed, so its value does not matter.
var specRef = time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)

// ParseSpec parses a schedule of the config (a level's check-in or a
// group's reminder) in loc. It must be recurring.
func ParseSpec(spec string, loc *time.Location) (scheduler.Spec, error) {
	s, err := scheduler.Parse(spec, specRef, loc)
	if err != nil {
		return scheduler.Spec{}, err
	}
	if s.IsOnce() {
		return scheduler.Spec{}, fmt.Errorf("%q is één keer; kies een schema dat terugkomt, zoals \"elke dag om 10:00\"", spec)
	}
	return s, nil
}

// Check reports the first thing wrong with c, in Dutch.
func (c Config) Check() error {
	switch {
	case c.SnoozeAfter < time.Minute || c.SnoozeAfter > 12*time.Hour:
		return fmt.Errorf("snooze.after: kies tussen 1 minuut en 12 uur")
	case c.MaxSnoozes < 0 || c.MaxSnoozes > 5:
		return fmt.Errorf("snooze.max: kies 0 tot en met 5")
	case c.Grace < 5*time.Minute || c.Grace > 48*time.Hour:
		return fmt.Errorf("missed.grace: kies tussen 5 minuten en 48 uur")
	case c.MissedInARow < 1 || c.MissedInARow > 50:
		return fmt.Errorf("missed.in_a_row: kies 1 tot en met 50")
	case c.LowMood.Window < 1 || c.LowMood.Window > 50:
		return fmt.Errorf("low_mood.of_last: kies 1 tot en met 50")
	case c.LowMood.Count < 1 || c.LowMood.Count > c.LowMood.Window:
		return fmt.Errorf("low_mood.count: kies 1 tot en met low_mood.of_last (%d)", c.LowMood.Window)
	case c.LowMood.AtMost < 1 || c.LowMood.AtMost > 4:
		return fmt.Errorf("low_mood.at_most: kies 1 (😢) tot en met 4 (🙂)")
	}
	if _, err := ParseLevel(string(c.DefaultLevel)); err != nil {
		return fmt.Errorf("default_level: %v", err)
	}
	for _, l := range Levels {
		d, ok := c.Levels[l]
		if !ok {
			return fmt.Errorf("levels.%s ontbreekt", l)
		}
		if err := checkLevel(l, d); err != nil {
			return err
		}
	}
	for l := range c.Levels {
		if _, err := ParseLevel(string(l)); err != nil {
			return fmt.Errorf("levels: %v", err)
		}
	}
	for _, name := range c.GroupNames() {
		if err := checkGroup(name, c.Groups[name]); err != nil {
			return err
		}
	}
	return nil
}

func checkLevel(l Level, d LevelDef) error {
	if _, err := ParseSpec(d.Checkin, time.UTC); err != nil {
		return fmt.Errorf("levels.%s.checkin: %v", l, err)
	}
	if d.Silence < time.Hour || d.Silence > 90*24*time.Hour {
		return fmt.Errorf("levels.%s.silence: kies tussen 1 uur en 90 dagen", l)
	}
	return nil
}

func checkGroup(name string, g Group) error {
	if !validGroupName(name) {
		return fmt.Errorf("groups: %q is geen goede naam (letters, cijfers, - of _)", name)
	}
	if g.Level != "" {
		if _, err := ParseLevel(string(g.Level)); err != nil {
			return fmt.Errorf("groups.%s.level: %v", name, err)
		}
	}
	for i, s := range g.Schedules {
		if strings.TrimSpace(s.Text) == "" {
			return fmt.Errorf("groups.%s.schedules[%d].text: er staat niets", name, i+1)
		}
		if len([]rune(s.Text)) > 80 {
			return fmt.Errorf("groups.%s.schedules[%d].text: maximaal 80 tekens", name, i+1)
		}
		if _, err := ParseSpec(s.Spec, time.UTC); err != nil {
			return fmt.Errorf("groups.%s.schedules[%d].spec: %v", name, i+1, err)
		}
	}
	return nil
}

func validGroupName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Clone returns a deep copy of c.
func (c Config) Clone() Config {
	out := c
	out.Levels = make(map[Level]LevelDef, len(c.Levels))
	for k, v := range c.Levels {
		out.Levels[k] = v
	}
	out.Groups = make(map[string]Group, len(c.Groups))
	for k, v := range c.Groups {
		v.Schedules = append([]ScheduleDef(nil), v.Schedules...)
		out.Groups[k] = v
	}
	return out
}
