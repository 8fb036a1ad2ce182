package programme

import "time"

// Signal kinds: what a quiet signal to the coach is about. The pipeline
// posts them as ToCoach{Kind: CoachSignal, Info: <kind>} and keeps them
// open until the coach has seen them; a rule that stays true raises no
// second signal while one of its kind is open.
const (
	SignalMissed  = "missed_reminders" // several reminders in a row not done
	SignalLowMood = "low_mood"         // a run of low check-in answers
	SignalSilent  = "silent"           // no reaction to anything for a while
)

// MissedRun reports whether the newest threshold entries of history are
// all missed. history holds one entry per reminder that is settled (done,
// or past its grace time), oldest first; true means missed, false means
// done. A threshold below 1 never signals.
func MissedRun(history []bool, threshold int) bool {
	if threshold < 1 || len(history) < threshold {
		return false
	}
	for _, missed := range history[len(history)-threshold:] {
		if !missed {
			return false
		}
	}
	return true
}

// LowMoodRun reports whether the newest check-in answers are a run of low
// moods: at least cfg.LowMood.Count of the last cfg.LowMood.Window answers
// are cfg.LowMood.AtMost or lower. moods are the answers oldest first, 1
// (😢) to 5 (😀); values outside 1..5 are ignored. Fewer answers than the
// window count too: two 😢 of two answers is a run.
func LowMoodRun(moods []int, cfg Config) bool {
	r := cfg.LowMood
	if r.Count < 1 || r.Window < 1 {
		return false
	}
	seen, low := 0, 0
	for i := len(moods) - 1; i >= 0 && seen < r.Window; i-- {
		m := moods[i]
		if m < 1 || m > 5 {
			continue
		}
		seen++
		if m <= r.AtMost {
			low++
		}
	}
	return low >= r.Count
}

// IsLowMood reports whether one answer counts as low (shown to the client
// with the offer to tell the coach).
func IsLowMood(mood int, cfg Config) bool { return mood >= 1 && mood <= cfg.LowMood.AtMost }

// Silent reports whether a client at level has reacted to nothing for the
// level's silence time. lastContact is the client's last reaction of any
// kind (a message, a button, a check-in answer), or the moment the client
// was linked; a zero lastContact is unknown and never silent.
func Silent(lastContact, now time.Time, level Level, cfg Config) bool {
	if lastContact.IsZero() {
		return false
	}
	return !now.Before(SilentAt(lastContact, level, cfg))
}

// SilentAt is the moment a client whose last reaction was lastContact
// counts as silent: the time for a silence check (scheduler.KindSilence).
func SilentAt(lastContact time.Time, level Level, cfg Config) time.Time {
	return lastContact.Add(cfg.Level(level).Silence)
}

// MissedAt is the moment a reminder that was due at due counts as missed
// when ✅ Gedaan was not pressed: the time for a deadline check
// (scheduler.KindDeadline).
func MissedAt(due time.Time, cfg Config) time.Time { return due.Add(cfg.Grace) }

// Missed reports whether a reminder due at due, not done, counts as missed
// at now.
func Missed(due, now time.Time, done bool, cfg Config) bool {
	return !done && !now.Before(MissedAt(due, cfg))
}

// SnoozeRules are the snooze settings as dialogs.Due wants them: the pipeline
// sets d.SnoozeAfter, d.MaxSnoozes, d.QuietStart, d.QuietEnd =
// cfg.SnoozeRules(). MaxSnoozes 0 comes out as -1 (no ⏰ Straks button), since
// Due reads 0 as the default.
func (c Config) SnoozeRules() (after time.Duration, maxSnoozes, quietStart, quietEnd int) {
	maxSnoozes = c.MaxSnoozes
	if maxSnoozes == 0 {
		maxSnoozes = -1
	}
	return c.SnoozeAfter, maxSnoozes, int(c.Quiet.Start), int(c.Quiet.End)
}
