// Package scheduler owns schedules: reminders, check-ins, appointments,
// silence checks and escalation deadlines of each client, and the
// exactly-once claiming of their due occurrences into the intake streams.
//
// # Specs
//
// Parse reads what a coach types: Dutch ("elke dag om 8:00", "elke
// maandag en donderdag om 19:00", "morgen om 10:00", "op 12 december om
// 14.30") or raw 5-field cron ("0 8 * * 1-5"). Spec.Describe says a spec in
// plain words, Spec.String is the canonical form stored in Redis and read
// back by Parse, PreviewLines is the `schedule preview` command. Parse
// errors are short Dutch sentences for the coach with an example that
// works. robfig/cron parses the cron expressions and finds the next times.
//
// # Daylight saving time
//
// Recurring specs are evaluated on the wall clock of the configured zone
// (Europe/Amsterdam by default): robfig/cron computes in UTC on wall-clock
// readings, and each reading found is mapped to a real instant. Computing
// in the zone itself, robfig/cron skips 02:30 on 2026-03-29 and fires
// 02:30 twice on 2026-10-25; this package does not. The rule:
//
//   - A wall time that does not exist (the clocks jump from 02:00 to 03:00)
//     fires at the moment of the jump, 03:00 CEST: a daily 02:30 item fires
//     at 03:00 on 2026-03-29, as classic cron does. Several times inside the
//     skipped hour become one.
//   - A wall time that exists twice (03:00 back to 02:00) fires at its first
//     instance only, 02:30 CEST on 2026-10-25, never again at 02:30 CET.
//
// So a daily item fires exactly once each day. One-off times typed in the
// skipped hour follow the same rule. Lead times of whole days ("the day
// before") count calendar days at the same clock time; others are exact
// durations.
//
// # Quiet hours
//
// Nothing scheduled is due in quiet hours (default 21:00-08:00): an
// occurrence whose time falls in them is due at their end instead, and the
// occurrences of one schedule that land at the same end merge into one
// message. The nominal time is kept, so the next occurrence is computed
// from the schedule, not from the shifted time. A reminder ahead of an
// appointment that quiet hours would push to or past the appointment is
// dropped.
//
// # Redis
//
// A schedule is the hash wv:{pNN}:sched:<id> in its client's partition
// (text and emoji pass the Codec); its one pending occurrence is a member
// of wv:{pNN}:due scored by due time in unix milliseconds; the ids of a
// client's schedules are in wv:{pNN}:scl:<client> (see ClientSchedules).
// Tick reads the due members of a partition (ZRANGE BYSCORE with a limit,
// so the cost does not depend on how many schedules are stored), computes
// the next occurrence in Go, and runs one Lua script per occurrence that
// checks the score and the schedule's version are still what it read and
// then, in one step, adds the intake entry and moves the schedule to its
// next occurrence. Replicas racing for one occurrence: one script wins, the
// others change nothing. An occurrence overdue by more than the grace
// window (after downtime) is skipped and logged by schedule id, never text.
// Scheduler runs Tick over all partitions on an interval.
package scheduler
