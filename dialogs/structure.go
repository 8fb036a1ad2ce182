package dialogs

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Structure: reminders, appointment reminders, check-ins and 📅 Mijn dag.
// Everything here is pure: the pipeline turns a due scheduler occurrence
// into a Due and calls Remind, passes pressed buttons to StructureButton
// first, and answers 📅 Mijn dag with MyDay. Signals (missed reminders, low
// moods, silence) are decided by package programme, not here.
//
// Clock times are shown on the wall clock of Env.Now's location: pass
// Env.Now in the schedules' time zone (scheduler.Store.Location()).

// Kinds of Due, the same strings as scheduler.Kind.
const (
	DueReminder    = "reminder"
	DueCheckin     = "checkin"
	DueAppointment = "appointment"
)

// Defaults for the snooze fields of Due left zero (programme.Default()
// has the same values).
const (
	DefaultSnoozeAfter = 30 * time.Minute
	DefaultMaxSnoozes  = 2
)

// Domain events of the structure part (Record.Kind).
const (
	EventReminderSent     = "reminder_sent"
	EventReminderDone     = "reminder_done"
	EventReminderSnoozed  = "reminder_snoozed"
	EventReminderMissed   = "reminder_missed" // for the pipeline, after the grace time
	EventAppointmentSent  = "appointment_reminded"
	EventAppointmentSeen  = "appointment_seen"
	EventCheckinSent      = "checkin_sent"
	EventCheckinAnswered  = "checkin_answered"
	EventCheckinToldCoach = "checkin_tell_coach"
)

// Due is one due occurrence of a schedule, as the pipeline hands it to
// Remind (converted from scheduler.Occurrence).
type Due struct {
	OccurrenceID, ScheduleID, Kind, Text, Emoji string
	Due, Event                                  time.Time
	Late                                        bool
	Before                                      time.Duration

	// Snoozed is how often this reminder was put off already: 0 for a
	// reminder from its own schedule, Snooze.Count for the one a Snooze
	// brought back (see SnoozeCount).
	Snoozed int
	// Snooze settings of the programme (programme.Config.SnoozeRules).
	// Zero values mean DefaultSnoozeAfter, DefaultMaxSnoozes and no quiet
	// hours; MaxSnoozes below 0 means no ⏰ Straks button.
	SnoozeAfter          time.Duration
	MaxSnoozes           int
	QuietStart, QuietEnd int // minutes after midnight; equal means none
}

// Snooze asks the pipeline to bring a reminder back: at At (Env.Now +
// After, moved out of quiet hours), with the schedule's text and emoji and
// Due.Snoozed = Count. ScheduleID is empty when the button's occurrence id
// was too long to carry (then OccurrenceID starts with "#").
type Snooze struct {
	ScheduleID, OccurrenceID string
	After                    time.Duration
	At                       time.Time
	Count                    int // how often this reminder is now put off (1 or more)
}

// ReminderDone says the client pressed ✅ Gedaan: the occurrence is not
// missed.
type ReminderDone struct{ ScheduleID, OccurrenceID string }

// MoodRecorded is a check-in answer, 1 (😢) to 5 (😀), for the mood history
// (programme.LowMoodRun) and `client status`.
type MoodRecorded struct {
	Mood                     int
	ScheduleID, OccurrenceID string
}

func (Snooze) effect()       {}
func (ReminderDone) effect() {}
func (MoodRecorded) effect() {}

// DayItem is one thing on today's list of 📅 Mijn dag.
type DayItem struct {
	At          time.Time
	Emoji, Text string
	Done        bool
}

// Inline button data of the structure part. Each is at most 64 bytes
// (Telegram's limit) and names the occurrence by its key (see occKey).
const (
	dataRemDone  = "rem:done:"  // rem:done:<key>
	dataRemLater = "rem:later:" // rem:later:<count>.<max>.<minutes>.<quiet start>.<quiet end>:<key>, numbers base 36
	dataRemSeen  = "rem:seen:"  // rem:seen:<key> (appointment)
	dataMood     = "mood:"      // mood:<1-5>:<key>
	dataTellYes  = "chk:tell"
	dataTellNo   = "chk:no"
	maxData      = 64
)

// lowMood is the highest answer that gets the offer to tell the coach
// (🙁 and 😢).
const lowMood = 2

var defaultEmoji = map[string]string{DueReminder: "🔔", DueAppointment: "📅"}

// Remind turns a due occurrence into the message the client gets, on the
// Bulk lane: a reminder with ✅ Gedaan and ⏰ Straks, an appointment
// reminder ("Morgen om 14:00: tandarts", "Over een uur: ...") with 👍 Oké,
// or a check-in "Hoe gaat het vandaag?" with five mood buttons. The state
// is not changed: a dialog the client is in goes on. Kinds it does not
// know (silence checks, deadlines) and appointments already past give no
// effects.
func Remind(env Env, c Client, st State, occ Due) (State, []Effect) {
	s := structure{env: env, c: c}
	switch occ.Kind {
	case DueReminder:
		r := s.reply("reminder.text", map[string]any{"Emoji": emojiOr(occ.Emoji, DueReminder), "Text": occ.Text})
		row := []Button{{Text: s.text("button.rem_done", nil), Data: buttonData(dataRemDone, occ.OccurrenceID)}}
		if occ.MaxSnoozes >= 0 {
			row = append(row, Button{Text: s.text("button.rem_later", nil), Data: laterData(occ)})
		}
		r.Keyboard = Keyboard{Kind: InlineKeyboard, Rows: [][]Button{row}}
		return st, []Effect{Record{Kind: EventReminderSent}, r}
	case DueAppointment:
		r, ok := s.appointment(occ)
		if !ok {
			return st, nil
		}
		r.Keyboard = Keyboard{Kind: InlineKeyboard, Rows: [][]Button{{{Text: s.text("button.rem_seen", nil), Data: buttonData(dataRemSeen, occ.OccurrenceID)}}}}
		return st, []Effect{Record{Kind: EventAppointmentSent}, r}
	case DueCheckin:
		r := s.reply("checkin.question", nil)
		b := func(m int) Button {
			return Button{Text: s.text("button.mood_"+strconv.Itoa(m), nil), Data: buttonData(dataMood+strconv.Itoa(m)+":", occ.OccurrenceID)}
		}
		r.Keyboard = Keyboard{Kind: InlineKeyboard, Rows: [][]Button{{b(5), b(4)}, {b(3)}, {b(2), b(1)}}}
		return st, []Effect{Record{Kind: EventCheckinSent}, r}
	}
	return st, nil
}

// appointment words an appointment reminder from the time left until it.
func (s structure) appointment(occ Due) (Reply, bool) {
	loc := s.env.Now.Location()
	event := occ.Event
	if event.IsZero() {
		event = occ.Due.Add(occ.Before)
	}
	if !event.After(s.env.Now) {
		return Reply{}, false
	}
	event = event.In(loc)
	now := s.env.Now
	data := map[string]any{"Emoji": emojiOr(occ.Emoji, DueAppointment), "Text": occ.Text, "Clock": clockWords(event)}
	left := event.Sub(now)
	key := "appointment.on"
	switch days := dayDiff(now, event); {
	case days == 0 && left >= 45*time.Minute && left <= 75*time.Minute:
		key = "appointment.in_hour"
	case days == 0:
		key = "appointment.today"
	case days == 1:
		key = "appointment.tomorrow"
	default:
		data["Day"] = s.text("weekday."+strconv.Itoa(int(event.Weekday())), nil) + " " +
			strconv.Itoa(event.Day()) + " " + s.text("month."+strconv.Itoa(int(event.Month())), nil)
	}
	return s.reply(key, data), true
}

// StructureButton handles a pressed structure button: ✅ Gedaan (praise),
// ⏰ Straks (Snooze, at most MaxSnoozes times, then a kind "Oké"), 👍 Oké
// under an appointment, a mood (MoodRecorded; 🙁 and 😢 get the offer to
// tell the coach) and that offer's answers (yes: StepAskCoach with the
// prompt). A structure button it cannot read gets a kind answer. ok is
// false when the button is no structure button: hand it to Step then.
func StructureButton(env Env, c Client, st State, ev Event) (State, []Effect, bool) {
	if ev.Kind != KindButton {
		return st, nil, false
	}
	s := structure{env: env, c: c}
	d := ev.Data
	done := []Effect{AnswerButton{CallbackID: ev.CallbackID}, ClearButtons{MessageID: ev.MessageID}}
	stale := func() (State, []Effect, bool) {
		return st, append(done, s.reply("structure.stale", nil)), true
	}
	switch {
	case strings.HasPrefix(d, dataRemDone):
		id, sched, ok := parseKey(strings.TrimPrefix(d, dataRemDone))
		if !ok {
			return stale()
		}
		return st, append(done,
			Record{Kind: EventReminderDone},
			ReminderDone{ScheduleID: sched, OccurrenceID: id},
			s.reply(praise(id), nil)), true
	case strings.HasPrefix(d, dataRemLater):
		params, key, found := strings.Cut(strings.TrimPrefix(d, dataRemLater), ":")
		id, sched, ok := parseKey(key)
		p, pok := parseLater(params)
		if !found || !ok || !pok {
			return stale()
		}
		if p.count > p.max {
			return st, append(done, s.reply("reminder.later_max", nil)), true
		}
		at := quietShift(env.Now.Add(p.after), p.quietStart, p.quietEnd)
		key = "reminder.later"
		if dayDiff(env.Now, at) > 0 {
			key = "reminder.later_tomorrow"
		}
		return st, append(done,
			Record{Kind: EventReminderSnoozed},
			Snooze{ScheduleID: sched, OccurrenceID: id, After: at.Sub(env.Now), At: at, Count: p.count},
			s.reply(key, map[string]any{"Clock": clockWords(at.In(env.Now.Location()))})), true
	case strings.HasPrefix(d, dataRemSeen):
		if _, _, ok := parseKey(strings.TrimPrefix(d, dataRemSeen)); !ok {
			return stale()
		}
		return st, append(done, Record{Kind: EventAppointmentSeen}, s.reply("appointment.seen", nil)), true
	case strings.HasPrefix(d, dataMood):
		m, key, _ := strings.Cut(strings.TrimPrefix(d, dataMood), ":")
		mood, err := strconv.Atoi(m)
		id, sched, ok := parseKey(key)
		if err != nil || mood < 1 || mood > 5 || len(m) != 1 || !ok {
			return stale()
		}
		out := append(done, Record{Kind: EventCheckinAnswered}, MoodRecorded{Mood: mood, ScheduleID: sched, OccurrenceID: id})
		switch {
		case mood >= 4:
			return st, append(out, s.reply("checkin.good", nil)), true
		case mood > lowMood:
			return st, append(out, s.reply("checkin.ok", nil)), true
		}
		r := s.reply("checkin.low", nil)
		r.Keyboard = Keyboard{Kind: InlineKeyboard, Rows: [][]Button{{
			{Text: s.text("button.tell_yes", nil), Data: dataTellYes},
			{Text: s.text("button.tell_no", nil), Data: dataTellNo},
		}}}
		return st, append(out, r), true
	case d == dataTellYes:
		r := s.reply("checkin.tell_prompt", nil)
		r.Keyboard = Keyboard{Kind: InlineKeyboard, Rows: [][]Button{{{Text: s.text("button.cancel", nil), Data: dataCancel}}}}
		return State{Step: StepAskCoach, Since: env.Now}, append(done, Record{Kind: EventCheckinToldCoach}, r), true
	case d == dataTellNo:
		return st, append(done, s.reply("checkin.tell_no", nil)), true
	case strings.HasPrefix(d, "rem:") || strings.HasPrefix(d, "chk:"):
		return stale()
	}
	return st, nil, false
}

// MyDay answers 📅 Mijn dag: the items on now's calendar day (pass now in
// the schedules' time zone), in time order, one line each ("08:00 💊 Pillen", "✅" after a done
// one), or a kind "Vandaag staat er niets op je lijst." Items on other
// days are left out.
func MyDay(env Env, c Client, items []DayItem, now time.Time) []Effect {
	s := structure{env: env, c: c}
	var today []DayItem
	for _, it := range items {
		if dayDiff(now, it.At) == 0 {
			today = append(today, it)
		}
	}
	if len(today) == 0 {
		return []Effect{s.reply("myday.empty", nil)}
	}
	sort.SliceStable(today, func(i, j int) bool { return today[i].At.Before(today[j].At) })
	r := s.reply("myday.title", nil)
	var b strings.Builder
	b.WriteString(r.Text)
	for _, it := range today {
		b.WriteString("\n" + it.At.In(now.Location()).Format("15:04"))
		if it.Emoji != "" {
			b.WriteString(" " + it.Emoji)
		}
		b.WriteString(" " + it.Text)
		if it.Done {
			b.WriteString(" ✅")
		}
	}
	r.Text = b.String()
	return []Effect{r}
}

// SnoozeScheduleID is the id for the one-off schedule that brings back
// reminder scheduleID after its count-th snooze: short enough that its
// occurrences fit in button data. SnoozeCount reads count back.
func SnoozeScheduleID(scheduleID string, count int) string {
	base := reSnoozeSuffix.ReplaceAllString(scheduleID, "")
	if len(base) > 24 {
		base = base[:24]
	}
	return base + ".z" + strconv.Itoa(count)
}

// SnoozeCount is how often the reminder of a schedule made by
// SnoozeScheduleID was put off; 0 for other schedules. Set it as
// Due.Snoozed.
func SnoozeCount(scheduleID string) int {
	m := reSnoozeSuffix.FindStringSubmatch(scheduleID)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

var reSnoozeSuffix = regexp.MustCompile(`\.z([1-9])$`)

type structure struct {
	env Env
	c   Client
}

func (s structure) text(key string, data map[string]any) string {
	m := map[string]any{"Name": s.c.FirstName, "Coach": s.c.Coach}
	for k, v := range data {
		m[k] = v
	}
	return s.env.Texts.Text(s.c.Lang, key, m)
}

// reply is a message on the Bulk lane for scheduled messages and on the
// Normal lane for answers to a pressed button.
func (s structure) reply(key string, data map[string]any) Reply {
	lane := Normal
	switch key {
	case "reminder.text", "checkin.question", "appointment.today", "appointment.in_hour", "appointment.tomorrow", "appointment.on":
		lane = Bulk
	}
	return Reply{Lane: lane, Key: key, Text: s.text(key, data)}
}

func emojiOr(e, kind string) string {
	if strings.TrimSpace(e) == "" {
		return defaultEmoji[kind]
	}
	return e
}

func praise(id string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return "reminder.praise_" + strconv.Itoa(int(h.Sum32()%3)+1)
}

// clockWords is a time as said in a sentence: "8:00", "14:30".
func clockWords(t time.Time) string { return fmt.Sprintf("%d:%02d", t.Hour(), t.Minute()) }

// dayDiff is how many calendar days t lies after now, on now's wall clock.
func dayDiff(now, t time.Time) int {
	t = t.In(now.Location())
	a := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	b := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}

// quietShift moves t out of quiet hours (minutes after midnight, start
// included, end not; start after end spans midnight), as the scheduler
// does.
func quietShift(t time.Time, start, end int) time.Time {
	if start == end {
		return t
	}
	m := t.Hour()*60 + t.Minute()
	in := m >= start && m < end
	if start > end {
		in = m >= start || m < end
	}
	if !in {
		return t
	}
	y, mo, d := t.Date()
	if start > end && m >= start {
		d++
	}
	return time.Date(y, mo, d, end/60, end%60, 0, 0, t.Location())
}

type laterParams struct {
	count, max           int
	after                time.Duration
	quietStart, quietEnd int
}

func laterData(occ Due) string {
	after := occ.SnoozeAfter
	if after <= 0 {
		after = DefaultSnoozeAfter
	}
	max := occ.MaxSnoozes
	if max == 0 {
		max = DefaultMaxSnoozes
	}
	qs, qe := occ.QuietStart, occ.QuietEnd
	if qs < 0 || qs >= 1440 || qe < 0 || qe >= 1440 {
		qs, qe = 0, 0
	}
	b36 := func(n int) string { return strconv.FormatInt(int64(n), 36) }
	params := strings.Join([]string{b36(occ.Snoozed + 1), b36(max), b36(int(after / time.Minute)), b36(qs), b36(qe)}, ".")
	return buttonData(dataRemLater+params+":", occ.OccurrenceID)
}

func parseLater(s string) (laterParams, bool) {
	f := strings.Split(s, ".")
	if len(f) != 5 {
		return laterParams{}, false
	}
	var n [5]int
	for i, x := range f {
		v, err := strconv.ParseInt(x, 36, 32)
		if err != nil || v < 0 || len(x) > 3 {
			return laterParams{}, false
		}
		n[i] = int(v)
	}
	p := laterParams{count: n[0], max: n[1], after: time.Duration(n[2]) * time.Minute, quietStart: n[3], quietEnd: n[4]}
	if p.count < 1 || p.after <= 0 || p.quietStart >= 1440 || p.quietEnd >= 1440 {
		return laterParams{}, false
	}
	return p, true
}

// Occurrence ids from the scheduler are "<schedule id>:<event unix ms>:<index>".
// In button data they travel packed as "<schedule id>!<ms base 36>!<index>"
// so that they fit in 64 bytes; another id travels as it is, or as "#"
// and a hash when it is too long.
var reOccID = regexp.MustCompile(`^([A-Za-z0-9_.-]{1,64}):([0-9]{1,15}):([0-9]{1,3})$`)

func buttonData(prefix, occID string) string {
	key := occID
	if m := reOccID.FindStringSubmatch(occID); m != nil {
		ms, _ := strconv.ParseInt(m[2], 10, 64)
		key = m[1] + "!" + strconv.FormatInt(ms, 36) + "!" + m[3]
	} else if key == "" || strings.HasPrefix(key, "#") || strings.Contains(key, "!") {
		key = HashedOccurrenceID(occID)
	}
	if len(prefix)+len(key) > maxData {
		key = HashedOccurrenceID(occID)
	}
	return prefix + key
}

// HashedOccurrenceID is how an occurrence id too long for button data
// comes back in Snooze, ReminderDone and MoodRecorded: compare it with the
// ids you know when OccurrenceID starts with "#".
func HashedOccurrenceID(occID string) string {
	sum := sha256.Sum256([]byte(occID))
	return "#" + base64.RawURLEncoding.EncodeToString(sum[:9])
}

// parseKey unpacks the key of button data into the occurrence id and, for
// scheduler ids, the schedule id.
func parseKey(key string) (occID, scheduleID string, ok bool) {
	if key == "" || len(key) > maxData {
		return "", "", false
	}
	if strings.HasPrefix(key, "#") {
		return key, "", len(key) == 13
	}
	if !strings.Contains(key, "!") {
		return key, "", true
	}
	f := strings.Split(key, "!")
	if len(f) != 3 {
		return "", "", false
	}
	ms, err := strconv.ParseInt(f[1], 36, 64)
	if err != nil || ms < 0 {
		return "", "", false
	}
	id := f[0] + ":" + strconv.FormatInt(ms, 10) + ":" + f[2]
	if !reOccID.MatchString(id) {
		return "", "", false
	}
	return id, f[0], true
}
