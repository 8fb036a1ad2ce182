package programme

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/waakvlam/waakvlam/scheduler"
)

// Load reads a settings file. See Parse.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("instellingen lezen: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse reads the content of a settings file (see example.yaml). It is
// strict: an unknown field, a wrong value or a schedule that does not
// parse is an error naming the line ("regel 12: ..."). What the file
// leaves out keeps its value from Default; a level that is named but only
// partly filled in keeps the default for the rest. An empty file gives
// Default().
func Parse(b []byte) (Config, error) {
	var raw rawConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, yamlErr(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("instellingen: zet alles in één YAML-document (geen ---)")
	}
	var doc yaml.Node
	_ = yaml.Unmarshal(b, &doc) // decoded above, so this works
	c := Default()
	if raw.QuietHours != nil {
		c.Quiet = raw.QuietHours.q
	}
	if s := raw.Snooze; s != nil {
		if s.After != nil {
			c.SnoozeAfter = s.After.d
		}
		if s.Max != nil {
			c.MaxSnoozes = *s.Max
		}
	}
	if m := raw.Missed; m != nil {
		if m.Grace != nil {
			c.Grace = m.Grace.d
		}
		if m.InARow != nil {
			c.MissedInARow = *m.InARow
		}
	}
	if lm := raw.LowMood; lm != nil {
		if lm.Count != nil {
			c.LowMood.Count = *lm.Count
		}
		if lm.OfLast != nil {
			c.LowMood.Window = *lm.OfLast
		}
		if lm.AtMost != nil {
			c.LowMood.AtMost = *lm.AtMost
		}
	}
	if raw.DefaultLevel != nil {
		c.DefaultLevel = raw.DefaultLevel.l
	}
	for name, rl := range raw.Levels {
		l, err := ParseLevel(name)
		if err != nil {
			return Config{}, lineErr(&doc, err, "levels", name)
		}
		d := c.Levels[l]
		if rl.Checkin != nil {
			d.Checkin = rl.Checkin.s
		}
		if rl.Silence != nil {
			d.Silence = rl.Silence.d
		}
		c.Levels[l] = d
	}
	for name, rg := range raw.Groups {
		key := strings.ToLower(strings.TrimSpace(name))
		if !validGroupName(key) {
			return Config{}, lineErr(&doc, fmt.Errorf("%q is geen goede groepsnaam (letters, cijfers, - of _)", name), "groups", name)
		}
		if _, dup := c.Groups[key]; dup {
			return Config{}, lineErr(&doc, fmt.Errorf("groep %q staat er twee keer", key), "groups", name)
		}
		g := Group{}
		if rg.Level != nil {
			g.Level = rg.Level.l
		}
		for _, rs := range rg.Schedules {
			g.Schedules = append(g.Schedules, ScheduleDef{Text: strings.TrimSpace(rs.Text.s), Emoji: strings.TrimSpace(rs.Emoji), Spec: rs.Spec.s})
		}
		c.Groups[key] = g
	}
	if err := c.Check(); err != nil {
		return Config{}, fmt.Errorf("instellingen: %w", err)
	}
	return c, nil
}

type rawConfig struct {
	QuietHours *quietValue `yaml:"quiet_hours"`
	Snooze     *struct {
		After *durationValue `yaml:"after"`
		Max   *int           `yaml:"max"`
	} `yaml:"snooze"`
	Missed *struct {
		Grace  *durationValue `yaml:"grace"`
		InARow *int           `yaml:"in_a_row"`
	} `yaml:"missed"`
	LowMood *struct {
		Count  *int `yaml:"count"`
		OfLast *int `yaml:"of_last"`
		AtMost *int `yaml:"at_most"`
	} `yaml:"low_mood"`
	DefaultLevel *levelValue         `yaml:"default_level"`
	Levels       map[string]rawLevel `yaml:"levels"`
	Groups       map[string]rawGroup `yaml:"groups"`
}

type rawLevel struct {
	Checkin *specValue     `yaml:"checkin"`
	Silence *durationValue `yaml:"silence"`
}

type rawGroup struct {
	Level     *levelValue `yaml:"level"`
	Schedules []struct {
		Text  textValue `yaml:"text"`
		Emoji string    `yaml:"emoji"`
		Spec  specValue `yaml:"spec"`
	} `yaml:"schedules"`
}

// Scalar values that check themselves, so that a wrong one names its line.

type durationValue struct{ d time.Duration }

func (v *durationValue) UnmarshalYAML(n *yaml.Node) error {
	d, err := ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("regel %d: %q is geen tijdsduur; schrijf bijvoorbeeld 30 minuten, 2 uur of 7 dagen", n.Line, n.Value)
	}
	v.d = d
	return nil
}

type quietValue struct{ q scheduler.QuietHours }

func (v *quietValue) UnmarshalYAML(n *yaml.Node) error {
	q, err := ParseQuiet(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("regel %d: %q: schrijf de stille uren als 21:00-08:00, of geen", n.Line, n.Value)
	}
	v.q = q
	return nil
}

type levelValue struct{ l Level }

func (v *levelValue) UnmarshalYAML(n *yaml.Node) error {
	l, err := ParseLevel(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("regel %d: %q: kies licht, normaal of intensief", n.Line, n.Value)
	}
	v.l = l
	return nil
}

type specValue struct{ s string }

func (v *specValue) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("regel %d: een schema is één regel tekst, zoals \"elke dag om 8:00\"", n.Line)
	}
	if _, err := ParseSpec(n.Value, time.UTC); err != nil {
		return fmt.Errorf("regel %d: %v", n.Line, err)
	}
	v.s = strings.TrimSpace(n.Value)
	return nil
}

type textValue struct{ s string }

func (v *textValue) UnmarshalYAML(n *yaml.Node) error {
	t := strings.TrimSpace(n.Value)
	if n.Kind != yaml.ScalarNode || t == "" || len([]rune(t)) > 80 {
		return fmt.Errorf("regel %d: een tekst heeft 1 tot 80 tekens", n.Line)
	}
	v.s = t
	return nil
}

var (
	reYAMLLine    = regexp.MustCompile(`\bline (\d+): `)
	reYAMLUnknown = regexp.MustCompile(`field (\S+) not found in type \S+`)
	reYAMLType    = regexp.MustCompile("cannot unmarshal !!\\w+ `([^`]*)` into (\\w+)")
)

// yamlErr puts yaml.v3's errors in Dutch words for a project leader.
func yamlErr(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		msg := reYAMLLine.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "regel $1: ")
		return fmt.Errorf("instellingen: %s", msg)
	}
	lines := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		e = reYAMLLine.ReplaceAllString(e, "regel $1: ")
		e = reYAMLUnknown.ReplaceAllString(e, "onbekend veld \"$1\"")
		e = reYAMLType.ReplaceAllStringFunc(e, func(m string) string {
			sub := reYAMLType.FindStringSubmatch(m)
			if strings.HasPrefix(sub[2], "int") {
				return fmt.Sprintf("%q is geen heel getal", sub[1])
			}
			return fmt.Sprintf("%q past hier niet", sub[1])
		})
		lines[i] = e
	}
	return fmt.Errorf("instellingen: %s", strings.Join(lines, "; "))
}

// lineErr adds the line of the map key at path to err.
func lineErr(doc *yaml.Node, err error, path ...string) error {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, p := range path {
		found := false
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == p {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			break
		}
	}
	if line == 0 {
		return fmt.Errorf("instellingen: %v", err)
	}
	return fmt.Errorf("instellingen: regel %d: %v", line, err)
}

var (
	reDurPart = regexp.MustCompile(`(\d+)\s*([a-z]+)\s*`)
	durUnits  = map[string]time.Duration{
		"m": time.Minute, "min": time.Minute, "minuut": time.Minute, "minuten": time.Minute,
		"h": time.Hour, "u": time.Hour, "uur": time.Hour, "uren": time.Hour,
		"d": 24 * time.Hour, "dag": 24 * time.Hour, "dagen": 24 * time.Hour,
		"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weken": 7 * 24 * time.Hour,
	}
)

// ParseDuration reads a duration as a project leader writes it: "30
// minuten", "2 uur", "7 dagen", "1 week", or short "30m", "2h", "1d12h".
// Only whole minutes count; "en" between parts is allowed ("1 uur en 30
// minuten").
func ParseDuration(s string) (time.Duration, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.ReplaceAll(strings.ReplaceAll(t, " en ", " "), ",", " ")
	if t == "" {
		return 0, fmt.Errorf("geen tijdsduur")
	}
	var total time.Duration
	pos := 0
	for _, m := range reDurPart.FindAllStringSubmatchIndex(t, -1) {
		if m[0] != pos {
			return 0, fmt.Errorf("%q is geen tijdsduur", s)
		}
		n, err := strconv.Atoi(t[m[2]:m[3]])
		unit, ok := durUnits[t[m[4]:m[5]]]
		if err != nil || !ok || n > 100000 {
			return 0, fmt.Errorf("%q is geen tijdsduur", s)
		}
		total += time.Duration(n) * unit
		pos = m[1]
	}
	if pos != len(t) || total <= 0 {
		return 0, fmt.Errorf("%q is geen tijdsduur", s)
	}
	return total, nil
}

// FormatDuration writes a duration the way ParseDuration reads it, in
// Dutch: "30 minuten", "2 uur", "7 dagen", "1 uur en 30 minuten".
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0 minuten"
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	hours := d / time.Hour
	d -= hours * time.Hour
	mins := d / time.Minute
	var parts []string
	if days > 0 {
		parts = append(parts, plural(int(days), "dag", "dagen"))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf("%d uur", hours))
	}
	if mins > 0 || len(parts) == 0 {
		parts = append(parts, plural(int(mins), "minuut", "minuten"))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " en " + parts[len(parts)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// ParseQuiet reads quiet hours: "21:00-08:00" (over midnight), "22.30 -
// 7.00", or "geen"/"none" for none.
func ParseQuiet(s string) (scheduler.QuietHours, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "geen" || t == "none" || t == "" {
		return scheduler.QuietHours{}, nil
	}
	a, b, ok := strings.Cut(t, "-")
	if !ok {
		return scheduler.QuietHours{}, fmt.Errorf("stille uren %q: schrijf 21:00-08:00", s)
	}
	start, ok1 := parseClock(a)
	end, ok2 := parseClock(b)
	if !ok1 || !ok2 {
		return scheduler.QuietHours{}, fmt.Errorf("stille uren %q: schrijf 21:00-08:00", s)
	}
	return scheduler.QuietHours{Start: start, End: end}, nil
}

var reClock = regexp.MustCompile(`^(\d{1,2})(?:[:.](\d{2}))?$`)

// parseClock reads "8:00", "08.30" or "21". (scheduler.ParseTimeOfDay
// reads "08:00" as 0:00: fmt.Sscan takes the leading 0 for octal.)
func parseClock(s string) (scheduler.TimeOfDay, bool) {
	m := reClock.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mi := 0
	if m[2] != "" {
		mi, _ = strconv.Atoi(m[2])
	}
	if h > 23 || mi > 59 {
		return 0, false
	}
	return scheduler.At(h, mi), true
}

// FormatQuiet writes quiet hours the way ParseQuiet reads them.
func FormatQuiet(q scheduler.QuietHours) string {
	if !q.Enabled() {
		return "geen"
	}
	return q.Start.String() + "-" + q.End.String()
}

// YAML writes c as a settings file that Parse reads back to the same
// Config (without comments; for the audit log and for `instellingen`).
func (c Config) YAML() string {
	type outSched struct {
		Text  string `yaml:"text"`
		Emoji string `yaml:"emoji,omitempty"`
		Spec  string `yaml:"spec"`
	}
	type outGroup struct {
		Level     string     `yaml:"level,omitempty"`
		Schedules []outSched `yaml:"schedules,omitempty"`
	}
	type outLevel struct {
		Checkin string `yaml:"checkin"`
		Silence string `yaml:"silence"`
	}
	type kv struct {
		key string
		val any
	}
	// yaml.v3 writes maps sorted by key; levels go in their own order.
	levels := &yaml.Node{Kind: yaml.MappingNode}
	for _, l := range Levels {
		d := c.Level(l)
		var v yaml.Node
		_ = v.Encode(outLevel{Checkin: d.Checkin, Silence: FormatDuration(d.Silence)})
		levels.Content = append(levels.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: string(l)}, &v)
	}
	groups := map[string]outGroup{}
	for name, g := range c.Groups {
		og := outGroup{Level: string(g.Level)}
		for _, s := range g.Schedules {
			og.Schedules = append(og.Schedules, outSched(s))
		}
		groups[name] = og
	}
	fields := []kv{
		{"quiet_hours", FormatQuiet(c.Quiet)},
		{"snooze", map[string]any{"after": FormatDuration(c.SnoozeAfter), "max": c.MaxSnoozes}},
		{"missed", map[string]any{"grace": FormatDuration(c.Grace), "in_a_row": c.MissedInARow}},
		{"low_mood", map[string]any{"count": c.LowMood.Count, "of_last": c.LowMood.Window, "at_most": c.LowMood.AtMost}},
		{"default_level", string(c.DefaultLevel)},
		{"levels", levels},
		{"groups", groups},
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range fields {
		var v *yaml.Node
		if n, ok := f.val.(*yaml.Node); ok {
			v = n
		} else {
			v = &yaml.Node{}
			_ = v.Encode(f.val)
		}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f.key}, v)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(root)
	_ = enc.Close()
	return b.String()
}
