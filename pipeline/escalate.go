package pipeline

import (
	"context"
	"encoding/json"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/store"
)

// escalateLoop moves alerts nobody picked up to the next person when
// their time is up. The partition lease makes one replica do it; the
// compare-and-set in the store makes each step happen once regardless.
func (p *Pipeline) escalateLoop(ctx context.Context, part store.Partition) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := p.EscalateDue(ctx, part); err != nil && ctx.Err() == nil {
			p.log.Warn("escalate alerts", "partition", int(part), "err", err)
		}
		if err := p.watchMissedAndSilent(ctx, part); err != nil && ctx.Err() == nil {
			p.log.Warn("watch missed reminders and silence", "partition", int(part), "err", err)
		}
	}
}

// EscalateDue takes every escalation step of a partition that is due now.
func (p *Pipeline) EscalateDue(ctx context.Context, part store.Partition) error {
	if p.opt.Escalation == nil {
		return nil
	}
	now := p.opt.Now()
	ids, err := p.st.DueAlerts(ctx, part, now, 100)
	if err != nil {
		return err
	}
	for _, id := range ids {
		a, ok, err := p.st.LoadAlert(ctx, p.st.AlertClient(ctx, part, id), id)
		if err != nil {
			return err
		}
		if !ok || a.Level >= len(a.Steps) {
			// Gone or done: take it off the timer so it cannot crowd out
			// alerts that are due.
			if err := p.st.DropAlertTimer(ctx, part, id); err != nil {
				return err
			}
			continue
		}
		next := time.Time{}
		if a.Level+1 < len(a.Steps) {
			next = now.Add(p.opt.Escalation.Interval())
		}
		post, _ := json.Marshal(CoachPost{ClientID: a.ClientID, Kind: KindEscalation, AlertID: a.ID, Target: a.Steps[a.Level],
			Level: a.Level + 1, Severity: a.Severity, Category: a.Category, Time: now})
		done, err := p.st.Escalate(ctx, a, next, post, a.Steps[a.Level], now)
		if err != nil {
			return err
		}
		if done {
			p.access(ctx, a.ClientID, "alert.escalate", accesslog.Change, "")
			p.log.Info("alert escalated", "alert", a.ID, "client", a.ClientID, "level", a.Level+1)
		}
	}
	return nil
}
