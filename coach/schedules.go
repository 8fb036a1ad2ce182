package coach

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/programme"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

// Structure is what the schedule commands need from the rest of Waakvlam.
type Structure struct {
	Schedules *scheduler.Store
	Settings  func() programme.Config
	// ApplyLevel sets a client's intensity and check-in schedule.
	ApplyLevel func(ctx context.Context, clientID string, level programme.Level) error
	// ApplyGroup puts a client in a group (level and default reminders).
	ApplyGroup func(ctx context.Context, clientID, group string) error
	// ProgrammeFile is reloaded by `instellingen herladen`.
	ProgrammeFile string
	// Refresh makes this replica take stored settings at once; the others
	// take them within seconds.
	Refresh func(ctx context.Context)
}

const oops = "⚠️ Dat lukte niet. Probeer het zo nog eens."

// runScheduleCommand handles reminders, appointments, levels, status and
// settings. ok is false when text is not such a command.
func (b *Bridge) runScheduleCommand(ctx context.Context, username, text string) (string, bool) {
	if f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(text), "/waakvlam")); len(f) > 0 && strings.EqualFold(f[0], "groep") {
		return b.cmdGroup(ctx, username, f[1:]), true
	}
	cmd, err := staff.ParseScheduleCommand(text)
	if errors.Is(err, staff.ErrNotScheduleCommand) {
		return "", false
	}
	if err != nil {
		return "🤔 " + capital(err.Error()) + ".\n" + staff.ScheduleUsage, true
	}
	role := b.staff.RoleOf(username)
	if role == staff.NoRole {
		return "Sorry, alleen coaches en projectleiders van Waakvlam kunnen dit gebruiken.", true
	}
	if cmd.LeaderOnly() && role != staff.ProjectLeader {
		return "Sorry, alleen projectleiders kunnen de instellingen veranderen.", true
	}
	if b.Structure == nil || b.Structure.Schedules == nil {
		return "Herinneringen staan uit op deze server.", true
	}
	cfg := b.Structure.Settings()
	now := b.Now()
	switch cmd.Verb {
	case staff.VerbScheduleHelp:
		return staff.ScheduleUsage, true
	case staff.VerbSettings:
		return "⚙️ Instellingen:\n" + strings.Join(cfg.Summary(now, b.cfg.Location, 3), "\n"), true
	case staff.VerbSettingsReload:
		return b.reloadSettings(ctx, username, cfg, now), true
	case staff.VerbSettingsSet:
		next, err := cfg.Set(cmd.Key, cmd.Value)
		if err != nil {
			return "🤔 " + capital(err.Error()) + ".", true
		}
		return b.storeSettings(ctx, username, "instellingen zet "+cmd.Key, cfg, next, now), true
	}
	c, msg := b.findClient(ctx, username, cmd.Client)
	if msg != "" {
		return msg, true
	}
	sch := b.Structure.Schedules
	switch cmd.Verb {
	case staff.VerbReminderNew, staff.VerbAppointmentNew:
		kind := scheduler.KindReminder
		if cmd.Verb == staff.VerbAppointmentNew {
			kind = scheduler.KindAppointment
		}
		spec, err := scheduler.Parse(cmd.Schedule, now, b.cfg.Location)
		if err != nil {
			return "🤔 " + err.Error(), true
		}
		if kind == scheduler.KindAppointment && !spec.IsOnce() {
			return "🤔 Een afspraak is één keer. Zeg bijvoorbeeld: op 12 december om 14:30.", true
		}
		sc, err := sch.Add(ctx, scheduler.Schedule{ClientID: c.ID, Kind: kind, Spec: cmd.Schedule, Text: cmd.Text, Emoji: cmd.Emoji})
		b.access(ctx, c.ID, "schedule.add", accesslog.Create, outcome(err))
		if err != nil {
			b.log.Warn("add schedule", "client", c.ID, "err", err)
			return "🤔 " + capital(err.Error()) + ".", true
		}
		head := fmt.Sprintf("✅ Herinnering voor **%s**: %s %s (`%s`)\n", c.FirstName, cmd.Emoji, cmd.Text, sc.ID)
		if kind == scheduler.KindAppointment {
			head = fmt.Sprintf("✅ Afspraak voor **%s**: %s %s (`%s`)\n", c.FirstName, cmd.Emoji, cmd.Text, sc.ID)
			return head + staff.DescribeAppointment(spec, nil, now, cfg.Quiet), true
		}
		return head + staff.DescribeScheduleQuiet(spec, now, 3, cfg.Quiet), true
	case staff.VerbReminderList:
		b.access(ctx, c.ID, "schedule.list", accesslog.Read, accesslog.OK)
		return b.listSchedules(ctx, c, now)
	case staff.VerbReminderPause, staff.VerbReminderResume, staff.VerbReminderRemove:
		id, msg := b.scheduleRef(ctx, c, cmd)
		if msg != "" {
			return msg, true
		}
		switch cmd.Verb {
		case staff.VerbReminderPause:
			err = sch.Pause(ctx, c.ID, id)
			msg = "⏸️ Herinnering `" + id + "` staat op pauze."
		case staff.VerbReminderResume:
			var sc scheduler.Schedule
			sc, err = sch.Resume(ctx, c.ID, id)
			msg = "▶️ Herinnering `" + id + "` loopt weer. Volgende keer: " + scheduler.FormatTime(sc.Next, "nl")
		default:
			err = sch.Remove(ctx, c.ID, id)
			msg = "🗑️ Herinnering `" + id + "` is weg."
		}
		b.access(ctx, c.ID, scheduleActions[cmd.Verb], accesslog.Change, outcome(err))
		if err != nil {
			return "🤔 " + capital(err.Error()) + ".", true
		}
		return msg, true
	case staff.VerbLevel:
		before := c.Level
		err := b.Structure.ApplyLevel(ctx, c.ID, cmd.Level)
		b.access(ctx, c.ID, "client.level", accesslog.Change, outcome(err))
		if err != nil {
			b.log.Warn("apply level", "client", c.ID, "err", err)
			return oops, true
		}
		audited := b.audit(ctx, username, "niveau "+c.ID, before, string(cmd.Level), now)
		def := cfg.Level(cmd.Level)
		answer := fmt.Sprintf("✅ **%s** staat nu op niveau %s: check-in %s, stil signaal na %s. Dit geldt meteen.",
			c.FirstName, cmd.Level, def.Checkin, programme.FormatDuration(def.Silence))
		if !audited {
			answer += auditNotWritten
		}
		return answer, true
	case staff.VerbClientStatus:
		b.access(ctx, c.ID, "client.status", accesslog.Read, accesslog.OK)
		return b.status(ctx, c, cfg, now), true
	}
	return staff.ScheduleUsage, true
}

func (b *Bridge) listSchedules(ctx context.Context, c store.Client, now time.Time) (string, bool) {
	list, err := b.Structure.Schedules.List(ctx, c.ID)
	if err != nil {
		return oops, true
	}
	if len(list) == 0 {
		return fmt.Sprintf("%s heeft nog geen herinneringen. Maak er een met `herinnering nieuw %s \"💊 Pillen\" elke dag om 8:00`.", c.FirstName, c.FirstName), true
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Herinneringen van **%s**:\n", c.FirstName)
	for i, sc := range list {
		spec, err := scheduler.Parse(sc.Spec, now, b.cfg.Location)
		desc := sc.Spec
		if err == nil {
			desc = spec.Describe("nl")
		}
		state := "volgende keer " + scheduler.FormatTime(sc.Next, "nl")
		if sc.Paused {
			state = "⏸️ pauze"
		} else if sc.Next.IsZero() {
			state = "klaar"
		}
		label := strings.TrimSpace(sc.Emoji + " " + sc.Text)
		if sc.Kind == scheduler.KindCheckin {
			label = "🙂 check-in"
		}
		fmt.Fprintf(&sb, "%d. %s · %s · %s (`%s`)\n", i+1, label, desc, state, sc.ID)
	}
	return sb.String(), true
}

func (b *Bridge) scheduleRef(ctx context.Context, c store.Client, cmd staff.ScheduleCommand) (string, string) {
	if cmd.Number == 0 {
		return cmd.Ref, ""
	}
	list, err := b.Structure.Schedules.List(ctx, c.ID)
	if err != nil {
		return "", oops
	}
	if cmd.Number < 1 || cmd.Number > len(list) {
		return "", fmt.Sprintf("🤔 %s heeft geen herinnering %d. Kijk met `herinnering lijst %s`.", c.FirstName, cmd.Number, c.FirstName)
	}
	return list[cmd.Number-1].ID, ""
}

func (b *Bridge) status(ctx context.Context, c store.Client, cfg programme.Config, now time.Time) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "📋 **%s** (`%s`) · coach %s", c.FirstName, c.ID, c.Coach)
	lvl := c.Level
	if lvl == "" {
		lvl = string(cfg.DefaultLevel)
	}
	fmt.Fprintf(&sb, " · niveau %s\n", lvl)
	switch {
	case c.ChatID == 0:
		sb.WriteString("- Niet gekoppeld aan de bot\n")
	case c.LastIn.IsZero():
		sb.WriteString("- Laatste contact: nog geen\n")
	default:
		fmt.Fprintf(&sb, "- Laatste contact: %s\n", scheduler.FormatTime(c.LastIn.In(b.cfg.Location), "nl"))
	}
	if c.Moods != "" {
		faces := map[rune]string{'1': "😢", '2': "🙁", '3': "😐", '4': "🙂", '5': "😀"}
		var f []string
		for _, r := range c.Moods {
			f = append(f, faces[r])
		}
		fmt.Fprintf(&sb, "- Laatste stemmingen: %s\n", strings.Join(f, " "))
	}
	fmt.Fprintf(&sb, "- Herinneringen gemist op rij: %d\n", c.MissRun)
	if c.OpenAlert != "" {
		if a, ok, err := b.st.LoadAlert(ctx, c.ID, c.OpenAlert); err == nil && ok {
			if a.AckedBy == "" {
				fmt.Fprintf(&sb, "- ⚠️ Open zorgsignaal `%s` (%s) sinds %s\n", a.ID, severityNames[a.Severity], scheduler.FormatTime(a.Created.In(b.cfg.Location), "nl"))
			} else {
				fmt.Fprintf(&sb, "- Laatste zorgsignaal `%s` opgepakt door @%s\n", a.ID, a.AckedBy)
			}
		}
	}
	return sb.String()
}

func (b *Bridge) reloadSettings(ctx context.Context, username string, cfg programme.Config, now time.Time) string {
	if b.Structure.ProgrammeFile == "" {
		return "Er is geen instellingenbestand (WAAKVLAM_PROGRAMME_FILE). Verander instellingen met `instellingen zet`."
	}
	next, err := programme.Load(b.Structure.ProgrammeFile)
	if err != nil {
		return "🤔 Het bestand klopt niet: " + err.Error()
	}
	return b.storeSettings(ctx, username, "instellingen herladen", cfg, next, now)
}

func (b *Bridge) storeSettings(ctx context.Context, username, what string, before, after programme.Config, now time.Time) string {
	diff := programme.Diff(before, after)
	if len(diff) == 0 {
		return "Er verandert niets."
	}
	if err := b.st.SetProgramme(ctx, after.YAML(), username, what, before.YAML(), after.YAML(), now); err != nil {
		return oops
	}
	if b.Structure.Refresh != nil {
		b.Structure.Refresh(ctx)
	}
	return "✅ Veranderd (en bewaard in het logboek):\n- " + strings.Join(diff, "\n- ") + "\n\nNu:\n" + strings.Join(after.Summary(now, b.cfg.Location, 3), "\n")
}

// cmdGroup: `groep <cliënt> <groep>` gives a client a group's level and
// default reminders.
func (b *Bridge) cmdGroup(ctx context.Context, username string, args []string) string {
	if b.staff.RoleOf(username) == staff.NoRole {
		return "Sorry, alleen coaches en projectleiders van Waakvlam kunnen dit gebruiken."
	}
	if b.Structure == nil || b.Structure.ApplyGroup == nil {
		return "Herinneringen staan uit op deze server."
	}
	cfg := b.Structure.Settings()
	if len(args) != 2 {
		return "🤔 Gebruik: `groep <cliënt> <groep>`. Groepen: " + strings.Join(cfg.GroupNames(), ", ") + "."
	}
	c, msg := b.findClient(ctx, username, args[0])
	if msg != "" {
		return msg
	}
	err := b.Structure.ApplyGroup(ctx, c.ID, args[1])
	b.access(ctx, c.ID, "client.group", accesslog.Change, outcome(err))
	if err != nil {
		if errors.Is(err, pipeline.ErrNoGroup) {
			return fmt.Sprintf("🤔 De groep %q bestaat niet. Groepen: %s.", args[1], strings.Join(cfg.GroupNames(), ", "))
		}
		b.log.Warn("apply group", "client", c.ID, "err", err)
		return oops
	}
	audited := b.audit(ctx, username, "groep "+c.ID, "", strings.ToLower(args[1]), b.Now())
	reply, _ := b.listSchedules(ctx, c, b.Now())
	if !audited {
		reply += auditNotWritten
	}
	return fmt.Sprintf("✅ **%s** zit nu in groep %s.\n", c.FirstName, strings.ToLower(args[1])) + reply
}
