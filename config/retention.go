package config

import (
	"fmt"
	"time"
)

// RetentionSetting is the setting of one class of data's retention
// period. The retention sweep (app), the processing register (waakvlam
// privacy register) and the README are made from this one table.
type RetentionSetting struct {
	Class   string // the class: in_flight, dialog, moods, events, alerts, verdicts, audit, access_log, stopped
	Env     string
	Flag    string
	Default string
	Help    string
	get     func(Config) time.Duration
	set     func(*Config, time.Duration) // nil: read with the other settings in Load
}

// Of returns the class's period in c.
func (r RetentionSetting) Of(c Config) time.Duration { return r.get(c) }

// RetentionSettings are the retention periods, one per class of data.
var RetentionSettings = []RetentionSetting{
	{"in_flight", "WAAKVLAM_IN_FLIGHT_RETENTION", "in-flight-retention", "720h",
		"how long a queued message (intake, outbox, coach queue) that was not handled, and an entry set aside as a dead letter, is kept; handled ones are deleted at once",
		func(c Config) time.Duration { return c.InFlightRetention }, func(c *Config, d time.Duration) { c.InFlightRetention = d }},
	{"dialog", "WAAKVLAM_DIALOG_RETENTION", "dialog-retention", "720h",
		"how long an unfinished conversation (dialog state: the step, letter pages, an open question) is kept after the client's last action",
		func(c Config) time.Duration { return c.DialogRetention }, func(c *Config, d time.Duration) { c.DialogRetention = d }},
	{"moods", "WAAKVLAM_MOOD_RETENTION", "mood-retention", "2160h",
		"how long the mood history (the last ten check-in answers) is kept after the last answer",
		func(c Config) time.Duration { return c.MoodRetention }, func(c *Config, d time.Duration) { c.MoodRetention = d }},
	{"events", "WAAKVLAM_EVENT_RETENTION", "event-retention", "9600h",
		"how long domain events (kind, client id, time, ids; no text) are kept for the monitoring figures; 9600h is 400 days",
		func(c Config) time.Duration { return c.EventRetention }, func(c *Config, d time.Duration) { c.EventRetention = d }},
	{"alerts", "WAAKVLAM_ALERT_RETENTION", "alert-retention", "2160h",
		"how long a safety alert is kept after it was raised or picked up",
		func(c Config) time.Duration { return c.AlertRetention }, func(c *Config, d time.Duration) { c.AlertRetention = d }},
	{"verdicts", "WAAKVLAM_VERDICT_RETENTION", "verdict-retention", "2160h",
		"how long a coach's verdict on a client post is kept with the client's words (for training)",
		func(c Config) time.Duration { return c.VerdictRetention }, nil},
	{"audit", "WAAKVLAM_AUDIT_RETENTION", "audit-retention", "43830h",
		"how long the audit logs of alerts (raised, escalated, picked up) and of settings and levels are kept; 43830h is five years",
		func(c Config) time.Duration { return c.AuditRetention }, func(c *Config, d time.Duration) { c.AuditRetention = d }},
	{"access_log", "WAAKVLAM_ACCESS_LOG_RETENTION", "access-log-retention", "43830h",
		"how long the access log (who read or changed which client's data) is kept; 43830h is five years",
		func(c Config) time.Duration { return c.AccessLogRetention }, nil},
	{"stopped", "WAAKVLAM_STOPPED_RETENTION", "stopped-retention", "2160h",
		"how long all data of a client who is not linked (stopped, or never started) is kept after the stop; then it is wiped as by client wissen",
		func(c Config) time.Duration { return c.StoppedRetention }, func(c *Config, d time.Duration) { c.StoppedRetention = d }},
}

// retentionFlags adds the retention settings read here (not elsewhere in
// Load) to settings, with raw values in raw (one per RetentionSettings).
func retentionFlags(settings []setting, raw []string) []setting {
	for i, r := range RetentionSettings {
		if r.set != nil {
			settings = append(settings, setting{r.Env, r.Flag, r.Default, r.Help, &raw[i]})
		}
	}
	return settings
}

// parseRetention checks and sets the retention settings read by
// retentionFlags.
func parseRetention(c *Config, raw []string) error {
	for i, r := range RetentionSettings {
		if r.set == nil {
			continue
		}
		d, err := time.ParseDuration(raw[i])
		if err != nil || d <= 0 {
			return &Error{r.Env, fmt.Sprintf("%q is not a duration, for example %s", raw[i], r.Default)}
		}
		r.set(c, d)
	}
	return nil
}
