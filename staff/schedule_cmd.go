package staff

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/waakvlam/waakvlam/programme"
	"github.com/waakvlam/waakvlam/scheduler"
)

// ScheduleVerb is a staff command about a client's structure (reminders,
// appointments, level, status) or about the settings.
type ScheduleVerb string

// Schedule verbs.
const (
	VerbReminderNew    ScheduleVerb = "herinnering nieuw"
	VerbReminderList   ScheduleVerb = "herinnering lijst"
	VerbReminderPause  ScheduleVerb = "herinnering pauze"
	VerbReminderResume ScheduleVerb = "herinnering hervat"
	VerbReminderRemove ScheduleVerb = "herinnering weg"
	VerbAppointmentNew ScheduleVerb = "afspraak nieuw"
	VerbClientStatus   ScheduleVerb = "client status"
	VerbLevel          ScheduleVerb = "niveau"
	VerbScheduleHelp   ScheduleVerb = "herinnering help"
	// Project leaders only.
	VerbSettings       ScheduleVerb = "instellingen"
	VerbSettingsReload ScheduleVerb = "instellingen herladen"
	VerbSettingsSet    ScheduleVerb = "instellingen zet"
)

// ScheduleCommand is a parsed structure or settings command.
type ScheduleCommand struct {
	Verb   ScheduleVerb
	Client string // client reference (id or first name), as typed

	// herinnering nieuw, afspraak nieuw
	Text     string // the text without its emoji: "Pillen"
	Emoji    string // the leading (or trailing) emoji of the quoted text: "💊"; may be ""
	Schedule string // the schedule as typed, not yet checked: "elke dag om 8:00"

	// herinnering pauze|hervat|weg
	Ref    string // as typed: a list number ("2") or a schedule id
	Number int    // the list number (1 = first of `herinnering lijst`); 0 when Ref is an id

	Level programme.Level // niveau

	Key, Value string // instellingen zet <key> <value>
}

// LeaderOnly reports whether only project leaders may give the command.
func (c ScheduleCommand) LeaderOnly() bool {
	switch c.Verb {
	case VerbSettings, VerbSettingsReload, VerbSettingsSet:
		return true
	}
	return false
}

// ErrNotScheduleCommand is returned (wrapped) by ParseScheduleCommand when
// the text is no structure or settings command at all: show the error of
// ParseCommand then.
var ErrNotScheduleCommand = errors.New("geen commando voor herinneringen of instellingen")

// ScheduleUsage is the short help for the structure commands.
const ScheduleUsage = "Herinneringen en afspraken:\n" +
	"- `herinnering nieuw <cliënt> \"💊 Pillen\" elke dag om 8:00`: nieuwe herinnering\n" +
	"- `herinnering lijst <cliënt>`: alle herinneringen en afspraken, met nummers\n" +
	"- `herinnering pauze|hervat|weg <cliënt> <nummer>`: even stoppen, weer aan, weghalen\n" +
	"- `afspraak nieuw <cliënt> \"🦷 Tandarts\" op 12 december om 14:30`: herinnering de dag ervoor en een uur ervoor\n" +
	"- `client status <cliënt>`: laatste contact, stemming, gemist, open signalen\n" +
	"- `niveau <cliënt> licht|normaal|intensief`: meer of minder check-ins, werkt meteen\n" +
	"Schema's: elke dag om 8:00, elke werkdag om 7.30, elke maandag en donderdag om 19:00, morgen om 10 uur, op 12 december om 14.30, of cron: 0 8 * * 1-5\n" +
	"Projectleiders: `instellingen`, `instellingen herladen`, `instellingen zet <naam> <waarde>`"

// MaxReminderText is the longest reminder text, in characters.
const MaxReminderText = 80

// ParseScheduleCommand reads a structure or settings command, such as
// `herinnering nieuw Sanne "💊 Pillen" elke dag om 8:00`. Like
// ParseCommand, a leading "/waakvlam" is optional. The schedule is kept as
// typed: check it with scheduler.Parse. Errors are short Dutch sentences
// for the coach with the form that works; a text that is no such command
// gives an error wrapping ErrNotScheduleCommand.
func ParseScheduleCommand(text string) (ScheduleCommand, error) {
	toks := scanTokens(text)
	if len(toks) > 0 && !toks[0].quoted && strings.EqualFold(toks[0].s, "/waakvlam") {
		toks = toks[1:]
	}
	word := func(i int) string {
		if i < len(toks) && !toks[i].quoted {
			return strings.ToLower(toks[i].s)
		}
		return ""
	}
	rest := func(i int) string { // raw text from token i on
		if i >= len(toks) {
			return ""
		}
		return strings.TrimSpace(text[toks[i].start:])
	}
	switch word(0) {
	case "herinnering", "herinneringen":
		return parseReminder(toks, word, rest, false)
	case "afspraak", "afspraken":
		return parseReminder(toks, word, rest, true)
	case "client", "cliënt", "klant":
		if word(1) == "niveau" {
			return parseLevel(toks[1:], "client niveau")
		}
		if word(1) != "status" {
			return ScheduleCommand{}, fmt.Errorf("%w: client %s", ErrNotScheduleCommand, word(1))
		}
		if len(toks) != 3 {
			return ScheduleCommand{}, errors.New("gebruik: client status <cliënt>")
		}
		return clientCmd(VerbClientStatus, toks[2], "client status <cliënt>")
	case "niveau":
		return parseLevel(toks, "niveau")
	case "instellingen", "instelling":
		switch word(1) {
		case "":
			if len(toks) == 1 {
				return ScheduleCommand{Verb: VerbSettings}, nil
			}
		case "toon", "lijst", "laat":
			if len(toks) == 2 {
				return ScheduleCommand{Verb: VerbSettings}, nil
			}
		case "herladen", "herlaad", "opnieuw":
			if len(toks) == 2 {
				return ScheduleCommand{Verb: VerbSettingsReload}, nil
			}
		case "zet", "verander":
			if len(toks) < 4 || toks[2].quoted {
				return ScheduleCommand{}, errors.New("gebruik: instellingen zet <naam> <waarde>, bijvoorbeeld: instellingen zet snooze.after 20 minuten")
			}
			v := rest(3)
			if len(toks) == 4 && toks[3].quoted {
				v = toks[3].s
			}
			return ScheduleCommand{Verb: VerbSettingsSet, Key: strings.ToLower(toks[2].s), Value: strings.TrimSpace(v)}, nil
		}
		return ScheduleCommand{}, errors.New("gebruik: instellingen, instellingen herladen of instellingen zet <naam> <waarde>")
	}
	return ScheduleCommand{}, fmt.Errorf("%w: %q", ErrNotScheduleCommand, word(0))
}

func parseReminder(toks []token, word func(int) string, rest func(int) string, appointment bool) (ScheduleCommand, error) {
	noun := "herinnering"
	example := `herinnering nieuw Sanne "💊 Pillen" elke dag om 8:00`
	if appointment {
		noun = "afspraak"
		example = `afspraak nieuw Sanne "🦷 Tandarts" op 12 december om 14:30`
	}
	switch v := word(1); v {
	case "", "help", "hulp":
		if len(toks) <= 2 {
			return ScheduleCommand{Verb: VerbScheduleHelp}, nil
		}
	case "nieuw", "nieuwe", "maak", "erbij":
		if len(toks) < 3 {
			return ScheduleCommand{}, errors.New("gebruik: " + example)
		}
		c, err := clientCmd(VerbReminderNew, toks[2], example)
		if err != nil {
			return c, err
		}
		if appointment {
			c.Verb = VerbAppointmentNew
		}
		if len(toks) < 4 || !toks[3].quoted {
			return ScheduleCommand{}, errors.New("zet de tekst tussen aanhalingstekens, zo: " + example)
		}
		c.Emoji, c.Text = SplitEmoji(toks[3].s)
		switch n := utf8.RuneCountInString(c.Text); {
		case n == 0:
			return ScheduleCommand{}, errors.New("schrijf ook een paar woorden bij de emoji, zo: " + example)
		case n > MaxReminderText:
			return ScheduleCommand{}, fmt.Errorf("de tekst is te lang: maximaal %d tekens. Kort is beter te lezen", MaxReminderText)
		}
		c.Schedule = rest(4)
		if len(toks) == 5 && toks[4].quoted {
			c.Schedule = strings.TrimSpace(toks[4].s)
		}
		if c.Schedule == "" {
			return ScheduleCommand{}, errors.New("zeg ook wanneer, zo: " + example)
		}
		return c, nil
	case "lijst", "toon", "alle":
		if len(toks) != 3 {
			return ScheduleCommand{}, fmt.Errorf("gebruik: %s lijst <cliënt>", noun)
		}
		return clientCmd(VerbReminderList, toks[2], noun+" lijst <cliënt>")
	case "pauze", "pauzeer", "stop", "hervat", "verder", "aan", "weg", "verwijder", "wis":
		verb := map[string]ScheduleVerb{
			"pauze": VerbReminderPause, "pauzeer": VerbReminderPause, "stop": VerbReminderPause,
			"hervat": VerbReminderResume, "verder": VerbReminderResume, "aan": VerbReminderResume,
			"weg": VerbReminderRemove, "verwijder": VerbReminderRemove, "wis": VerbReminderRemove,
		}[v]
		usage := fmt.Sprintf("%s %s <cliënt> <nummer>", noun, v)
		if len(toks) != 4 || toks[3].quoted {
			return ScheduleCommand{}, fmt.Errorf("gebruik: %s (het nummer staat bij %s lijst)", usage, noun)
		}
		c, err := clientCmd(verb, toks[2], usage)
		if err != nil {
			return c, err
		}
		c.Ref = strings.TrimPrefix(toks[3].s, "#")
		if n, err := strconv.Atoi(c.Ref); err == nil {
			if n < 1 || n > 999 {
				return ScheduleCommand{}, fmt.Errorf("nummer %d bestaat niet; kijk bij %s lijst", n, noun)
			}
			c.Number = n
		} else if !validRef(c.Ref) {
			return ScheduleCommand{}, fmt.Errorf("%q is geen nummer; kijk bij %s lijst", toks[3].s, noun)
		}
		return c, nil
	}
	return ScheduleCommand{}, fmt.Errorf("ik ken %s %q niet; kies nieuw, lijst, pauze, hervat of weg", noun, word(1))
}

func parseLevel(toks []token, name string) (ScheduleCommand, error) {
	usage := name + " <cliënt> licht|normaal|intensief"
	if len(toks) != 3 || toks[2].quoted {
		return ScheduleCommand{}, errors.New("gebruik: " + usage)
	}
	c, err := clientCmd(VerbLevel, toks[1], usage)
	if err != nil {
		return c, err
	}
	if c.Level, err = programme.ParseLevel(toks[2].s); err != nil {
		return ScheduleCommand{}, err
	}
	return c, nil
}

func clientCmd(v ScheduleVerb, t token, usage string) (ScheduleCommand, error) {
	if t.quoted || !validRef(t.s) {
		return ScheduleCommand{}, fmt.Errorf("%q is geen cliënt; gebruik: %s", t.s, usage)
	}
	return ScheduleCommand{Verb: v, Client: t.s}, nil
}

// validRef: a first name or id: letters, digits, - _ . ' and at most 64 bytes.
func validRef(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-_.'", r) {
			return false
		}
	}
	return true
}

type token struct {
	s      string
	quoted bool
	start  int // byte offset of the token (of its opening quote)
}

func isQuote(r rune) bool { return strings.ContainsRune("\"“”„«»", r) }

// scanTokens splits on spaces, keeping "quoted text" together (straight
// or curly quotes) and remembering where each token starts.
func scanTokens(s string) []token {
	var out []token
	var cur strings.Builder
	start, in, quoted := 0, false, false
	flush := func(q bool) {
		if in || q {
			out = append(out, token{s: cur.String(), quoted: q, start: start})
		}
		cur.Reset()
		in = false
	}
	for i, r := range s {
		switch {
		case isQuote(r) && quoted:
			flush(true)
			quoted = false
		case isQuote(r):
			flush(false)
			quoted, start = true, i
		case unicode.IsSpace(r) && !quoted:
			flush(false)
		default:
			if !in && !quoted {
				start = i
			}
			in = true
			cur.WriteRune(r)
		}
	}
	if quoted { // unclosed quote: the rest is the text
		flush(true)
	} else {
		flush(false)
	}
	return out
}

// SplitEmoji takes the emoji at the start of a reminder text (or, when
// there is none, at its end) apart from the words: "💊 Pillen" → "💊",
// "Pillen". Emoji sequences (skin tones, ZWJ, flags, variation selectors)
// stay whole.
func SplitEmoji(s string) (emoji, text string) {
	s = strings.TrimSpace(s)
	rs := []rune(s)
	i := 0
	for i < len(rs) && (isEmoji(rs[i]) || i > 0 && isEmojiJoin(rs[i])) {
		i++
	}
	if i > 0 {
		return string(rs[:i]), strings.TrimSpace(string(rs[i:]))
	}
	j := len(rs)
	for j > 0 && (isEmoji(rs[j-1]) || isEmojiJoin(rs[j-1])) {
		j--
	}
	for j < len(rs) && isEmojiJoin(rs[j]) { // a sequence starts with an emoji
		j++
	}
	if j < len(rs) {
		return string(rs[j:]), strings.TrimSpace(string(rs[:j]))
	}
	return "", s
}

func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x2300 && r <= 0x23FF,
		r >= 0x2B00 && r <= 0x2BFF, r >= 0x2190 && r <= 0x21FF, r >= 0x25A0 && r <= 0x25FF,
		r >= 0x2900 && r <= 0x297F:
		return true
	}
	return strings.ContainsRune("©®‼⁉™ℹ〰〽㊗㊙", r)
}

func isEmojiJoin(r rune) bool {
	return r == 0xFE0F || r == 0xFE0E || r == 0x200D || r == 0x20E3 || r >= 0xE0020 && r <= 0xE007F
}

// DescribeSchedule is what a coach sees after adding or changing a
// schedule: the schedule in plain words and its next n times after from,
// in the spec's time zone:
//
//	elke dag om 8:00
//	Volgende 3 keer:
//	- vr 27 nov 2026 08:00 CET
//	- ...
//
// Quiet hours are not applied; see DescribeScheduleQuiet.
func DescribeSchedule(spec scheduler.Spec, from time.Time, n int) string {
	return DescribeScheduleQuiet(spec, from, n, scheduler.QuietHours{})
}

// DescribeScheduleQuiet is DescribeSchedule with the send times moved out
// of quiet hours the way the scheduler moves them; a moved time says so:
// "- za 28 nov 2026 08:00 CET (gepland 22:00: stille uren)".
func DescribeScheduleQuiet(spec scheduler.Spec, from time.Time, n int, quiet scheduler.QuietHours) string {
	var b strings.Builder
	b.WriteString(spec.Describe("nl"))
	loc := spec.Location()
	type when struct {
		t     time.Time
		moved time.Time // nominal time when quiet hours moved it
	}
	var times []when
	t := from
	for i := 0; len(times) < n && i < 10*n+10; i++ {
		t = spec.Next(t)
		if t.IsZero() {
			break
		}
		w := when{t: quiet.Shift(t.In(loc))}
		if !w.t.Equal(t) {
			w.moved = t.In(loc)
		}
		if len(times) > 0 && !w.t.After(times[len(times)-1].t) {
			continue // merged with the one before, as the scheduler does
		}
		times = append(times, w)
	}
	switch {
	case len(times) == 0:
		b.WriteString("\nGeen volgende keer: die tijd is voorbij.")
		return b.String()
	case len(times) == 1:
		b.WriteString("\nVolgende keer:")
	default:
		fmt.Fprintf(&b, "\nVolgende %d keer:", len(times))
	}
	for _, w := range times {
		b.WriteString("\n- " + scheduler.FormatTime(w.t.In(loc), "nl"))
		if !w.moved.IsZero() {
			fmt.Fprintf(&b, " (gepland %s: stille uren)", w.moved.Format("15:04"))
		}
	}
	return b.String()
}

// DescribeAppointment is what a coach sees after `afspraak nieuw`: the
// appointment in plain words and when the client gets a reminder (before:
// the lead times, empty means scheduler.DefaultAppointmentBefore). A
// reminder that quiet hours would push to or past the appointment is
// dropped, as the scheduler does.
func DescribeAppointment(spec scheduler.Spec, before []time.Duration, from time.Time, quiet scheduler.QuietHours) string {
	if len(before) == 0 {
		before = scheduler.DefaultAppointmentBefore
	}
	loc := spec.Location()
	event := spec.Next(from)
	var b strings.Builder
	b.WriteString(spec.Describe("nl"))
	if event.IsZero() {
		b.WriteString("\nDie tijd is voorbij.")
		return b.String()
	}
	b.WriteString("\nHerinneringen:")
	for _, l := range before {
		var at time.Time
		if l%(24*time.Hour) == 0 {
			at = event.In(loc).AddDate(0, 0, -int(l/(24*time.Hour)))
		} else {
			at = event.Add(-l)
		}
		send := quiet.Shift(at.In(loc))
		line := "\n- " + scheduler.FormatTime(send.In(loc), "nl") + " (" + beforeWords(l) + ")"
		switch {
		case !send.Before(event):
			line = "\n- " + beforeWords(l) + ": valt weg door de stille uren"
		case !at.After(from):
			line = "\n- " + beforeWords(l) + ": is al voorbij"
		case !send.Equal(at):
			line = "\n- " + scheduler.FormatTime(send.In(loc), "nl") + " (" + beforeWords(l) + ", gepland " + at.In(loc).Format("15:04") + ": stille uren)"
		}
		b.WriteString(line)
	}
	return b.String()
}

func beforeWords(l time.Duration) string {
	if l == 24*time.Hour {
		return "de dag ervoor"
	}
	if l%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d dagen ervoor", l/(24*time.Hour))
	}
	return programme.FormatDuration(l) + " ervoor"
}
