package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/programme"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/store"
)

// Schedules is the schedule store the pipeline needs for reminders.
type Schedules interface {
	Add(ctx context.Context, sc scheduler.Schedule) (scheduler.Schedule, error)
	Get(ctx context.Context, clientID, id string) (scheduler.Schedule, error)
	List(ctx context.Context, clientID string) ([]scheduler.Schedule, error)
	Remove(ctx context.Context, clientID, id string) error
	Location() *time.Location
}

// Signal infos of the pilot light.
const (
	InfoMissed  = programme.SignalMissed
	InfoLowMood = programme.SignalLowMood
	InfoSilent  = programme.SignalSilent
)

func (p *Pipeline) programme() programme.Config {
	if p.opt.Programme == nil {
		return programme.Default()
	}
	return p.opt.Programme()
}

func (p *Pipeline) location() *time.Location {
	if p.opt.Schedules != nil {
		return p.opt.Schedules.Location()
	}
	return time.UTC
}

// processDue sends what a schedule made due: a reminder, an appointment
// reminder or a check-in.
func (p *Pipeline) processDue(ctx context.Context, part store.Partition, e store.Entry) error {
	var occ scheduler.Occurrence
	if err := json.Unmarshal(e.Body, &occ); err != nil {
		p.log.Warn("unreadable occurrence dropped", "entry", e.ID)
		return p.st.AckIntake(ctx, part, e.ID)
	}
	c, found, err := p.st.LoadClient(ctx, occ.ClientID)
	if err != nil {
		return err
	}
	if !found || c.ChatID == 0 {
		// Not linked (yet, or stopped): nothing to send; the schedule stays.
		return p.st.AckIntake(ctx, part, e.ID)
	}
	p.access(ctx, c.ID, "schedule.due", accesslog.Change, "")
	cfg := p.programme()
	after, maxSnoozes, qs, qe := cfg.SnoozeRules()
	d := dialogs.Due{OccurrenceID: occ.ID, ScheduleID: occ.ScheduleID, Kind: string(occ.Kind), Text: occ.Text, Emoji: occ.Emoji,
		Due: occ.Due, Event: occ.Event, Late: occ.Late, Before: occ.Before, Snoozed: dialogs.SnoozeCount(occ.ScheduleID),
		SnoozeAfter: after, MaxSnoozes: maxSnoozes, QuietStart: qs, QuietEnd: qe}
	env := p.env()
	env.Now = env.Now.In(p.location())
	var st dialogs.State
	_ = json.Unmarshal(c.State, &st)
	dc := dialogs.Client{ID: c.ID, FirstName: c.FirstName, Coach: c.Coach, Lang: c.Lang, ChatID: c.ChatID, LinkedUpdate: c.LinkedUpdate}
	next, effects := dialogs.Remind(env, dc, st, d)
	ev := dialogs.Event{ChatID: c.ChatID, Time: env.Now}
	cm, err := p.commitFor(part, e, ev, &c, effects)
	if err != nil {
		return err
	}
	if len(cm.Outgoing) > 0 && occ.Kind == scheduler.KindReminder {
		cm.WaitFor = c.ID + "|" + occ.ID
		cm.WaitUntil = occ.Due.Add(cfg.Grace)
	}
	state, _ := json.Marshal(next)
	cm.State = state
	_, err = p.st.Commit(ctx, cm, p.opt.Now())
	return err
}

// structureEffects turns the structure effects of a step into commit
// changes; snoozes are returned to be scheduled after the commit.
func (p *Pipeline) structureEffects(cm *store.Commit, c *store.Client, effects []dialogs.Effect) []dialogs.Snooze {
	if c == nil {
		return nil
	}
	set := func(k, v string) {
		if cm.Fields == nil {
			cm.Fields = map[string]string{}
		}
		cm.Fields[k] = v
	}
	var snoozes []dialogs.Snooze
	for _, ef := range effects {
		switch ef := ef.(type) {
		case dialogs.ReminderDone:
			cm.Answered = c.ID + "|" + ef.OccurrenceID
			set("miss_run", "0")
		case dialogs.Snooze:
			// Putting a reminder off is an answer too: it is not missed.
			cm.Answered = c.ID + "|" + ef.OccurrenceID
			snoozes = append(snoozes, ef)
		case dialogs.MoodRecorded:
			before := moods(c.Moods)
			after := append(before, ef.Mood)
			if len(after) > 10 {
				after = after[len(after)-10:]
			}
			var sb strings.Builder
			for _, m := range after {
				sb.WriteString(strconv.Itoa(m))
			}
			set("moods", sb.String())
			cfg := p.programme()
			if programme.LowMoodRun(after, cfg) && !programme.LowMoodRun(before, cfg) {
				b, _ := json.Marshal(CoachPost{ClientID: c.ID, Kind: dialogs.CoachSignal, Info: InfoLowMood, Time: p.opt.Now(), Text: sb.String()})
				cm.Coach = append(cm.Coach, b)
			}
		}
	}
	return snoozes
}

func moods(s string) []int {
	var out []int
	for _, r := range s {
		if r >= '1' && r <= '5' {
			out = append(out, int(r-'0'))
		}
	}
	return out
}

// scheduleSnoozes brings put-off reminders back as one-off schedules. The
// schedule id is derived from the original, so a retry after a crash adds
// the same schedule again instead of a second one.
func (p *Pipeline) scheduleSnoozes(ctx context.Context, clientID string, snoozes []dialogs.Snooze) error {
	if p.opt.Schedules == nil {
		return nil
	}
	for _, z := range snoozes {
		if z.ScheduleID == "" {
			continue
		}
		orig, err := p.opt.Schedules.Get(ctx, clientID, z.ScheduleID)
		if errors.Is(err, scheduler.ErrNotFound) {
			p.log.Warn("snooze: schedule gone", "client", clientID, "schedule", z.ScheduleID)
			continue
		}
		if err != nil {
			return fmt.Errorf("snooze %s: %w", z.ScheduleID, err)
		}
		_, err = p.opt.Schedules.Add(ctx, scheduler.Schedule{ID: dialogs.SnoozeScheduleID(baseScheduleID(z.ScheduleID), z.Count), ClientID: clientID,
			Kind: scheduler.KindReminder, Spec: z.At.In(p.location()).Format(time.RFC3339), Text: orig.Text, Emoji: orig.Emoji})
		if err != nil {
			return fmt.Errorf("snooze %s: %w", z.ScheduleID, err)
		}
	}
	return nil
}

func baseScheduleID(id string) string {
	if i := strings.LastIndex(id, ".z"); i > 0 && dialogs.SnoozeCount(id) > 0 {
		return id[:i]
	}
	return id
}

// contact marks that the client did something: the silence clock starts again.
func (p *Pipeline) contact(cm *store.Commit, c *store.Client) {
	if c == nil {
		return
	}
	now := p.opt.Now()
	if cm.Fields == nil {
		cm.Fields = map[string]string{}
	}
	cm.Fields["last_in"] = strconv.FormatInt(now.UnixMilli(), 10)
	cfg := p.programme()
	lvl := programme.Level(c.Level)
	if lvl == "" {
		lvl = cfg.DefaultLevel
	}
	if d := cfg.Level(lvl).Silence; d > 0 {
		cm.SilentAfter = now.Add(d)
	}
}

// myDay loads today's list for 📅 Mijn dag.
func (p *Pipeline) myDay(ctx context.Context, clientID string) []dialogs.DayItem {
	if p.opt.Schedules == nil {
		return nil
	}
	list, err := p.opt.Schedules.List(ctx, clientID)
	if err != nil {
		p.log.Warn("my day: list schedules", "client", clientID, "err", err)
		return nil
	}
	now := p.opt.Now()
	var out []dialogs.DayItem
	for _, it := range programme.Today(list, now, p.location(), p.programme().Quiet) {
		out = append(out, dialogs.DayItem{At: it.At, Emoji: it.Emoji, Text: it.Text})
	}
	return out
}

// watchMissedAndSilent raises the quiet signals of the pilot light.
func (p *Pipeline) watchMissedAndSilent(ctx context.Context, part store.Partition) error {
	now := p.opt.Now()
	cfg := p.programme()
	members, err := p.st.DuePending(ctx, part, now, 100)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range members {
		clientID, _, _ := strings.Cut(m, "|")
		post, _ := json.Marshal(CoachPost{ClientID: clientID, Kind: dialogs.CoachSignal, Info: InfoMissed, Time: now, Text: strconv.Itoa(cfg.MissedInARow)})
		if run, err := p.st.Missed(ctx, part, m, clientID, cfg.MissedInARow, post, now); err != nil {
			errs = append(errs, err)
		} else if run > 0 {
			p.access(ctx, clientID, "signal.missed", accesslog.Change, "")
		}
	}
	silent, err := p.st.DueSilent(ctx, part, now, 100)
	if err != nil {
		return err
	}
	for _, clientID := range silent {
		post, _ := json.Marshal(CoachPost{ClientID: clientID, Kind: dialogs.CoachSignal, Info: InfoSilent, Time: now})
		if done, err := p.st.Silent(ctx, part, clientID, post, now); err != nil {
			errs = append(errs, err)
		} else if done {
			p.access(ctx, clientID, "signal.silent", accesslog.Change, "")
		}
	}
	return errors.Join(errs...)
}

// ApplyLevel sets a client's intensity and the check-in schedule that goes
// with it, effective at once.
func (p *Pipeline) ApplyLevel(ctx context.Context, clientID string, level programme.Level) error {
	cfg := p.programme()
	if err := p.st.SetClientFields(ctx, clientID, map[string]string{"level": string(level)}); err != nil {
		return err
	}
	if p.opt.Schedules == nil {
		return nil
	}
	spec := cfg.Level(level).Checkin
	if spec == "" {
		err := p.opt.Schedules.Remove(ctx, clientID, CheckinSchedule)
		if errors.Is(err, scheduler.ErrNotFound) {
			return nil
		}
		return err
	}
	_, err := p.opt.Schedules.Add(ctx, scheduler.Schedule{ID: CheckinSchedule, ClientID: clientID, Kind: scheduler.KindCheckin, Spec: spec})
	return err
}

// CheckinSchedule is the id of a client's check-in schedule.
const CheckinSchedule = "checkin"

// ApplyGroup puts a client in a group: the group's level and its default
// reminders. Adding the same group again changes nothing (fixed ids).
func (p *Pipeline) ApplyGroup(ctx context.Context, clientID, group string) error {
	cfg := p.programme()
	g, ok := cfg.Groups[strings.ToLower(group)]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoGroup, group)
	}
	level := g.Level
	if level == "" {
		level = cfg.DefaultLevel
	}
	if err := p.st.SetClientFields(ctx, clientID, map[string]string{"group": strings.ToLower(group)}); err != nil {
		return err
	}
	if err := p.ApplyLevel(ctx, clientID, level); err != nil {
		return err
	}
	if p.opt.Schedules == nil {
		return nil
	}
	for i, d := range g.Schedules {
		_, err := p.opt.Schedules.Add(ctx, scheduler.Schedule{ID: fmt.Sprintf("g-%s-%d", strings.ToLower(group), i+1), ClientID: clientID,
			Kind: scheduler.KindReminder, Spec: d.Spec, Text: d.Text, Emoji: d.Emoji})
		if err != nil {
			return err
		}
	}
	return nil
}

// ErrNoGroup means the programme has no such group.
var ErrNoGroup = errors.New("no such group")
