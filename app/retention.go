package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/store"
)

// SweepEvery is how often the retention sweep runs (one replica per
// interval); replicas look ten times per interval, so a dead replica
// delays it by a tenth at most.
var SweepEvery = 24 * time.Hour

// Retention maps the settings to the store's retention periods.
func Retention(cfg config.Config) store.Retention {
	return store.Retention{
		InFlight: cfg.InFlightRetention,
		Dialog:   cfg.DialogRetention,
		Moods:    cfg.MoodRetention,
		Events:   cfg.EventRetention,
		Alerts:   cfg.AlertRetention,
		Verdicts: cfg.VerdictRetention,
		Audit:    cfg.AuditRetention,
		Stopped:  cfg.StoppedRetention,
	}
}

// sweepRetention removes data past its retention period once per
// SweepEvery over all replicas: the first replica to take the lease
// wv:{sys}:sweep (TTL the interval) sweeps, like the AOF rewrite.
func (a *App) sweepRetention(ctx context.Context) {
	look := SweepEvery / 10
	t := time.NewTimer(time.Minute + time.Duration(rand.Int64N(int64(time.Minute))))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := a.rdb.SetNX(ctx, store.SweepLease, a.replica, SweepEvery).Result()
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("retention sweep lease", "err", err)
		case ok:
			if _, err := a.Sweep(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("retention sweep", "err", err)
			}
		}
		t.Reset(look)
	}
}

// Sweep removes what is older than its retention period (the settings
// WAAKVLAM_*_RETENTION) and wipes clients that stopped longer ago than
// WAAKVLAM_STOPPED_RETENTION, their Mattermost channel too when the coach
// bridge runs. It writes one access log entry for the run and one per
// client whose data it removed, and a line with the counts in the
// programme audit log. The caller makes sure one replica sweeps at a time.
func (a *App) Sweep(ctx context.Context) (store.SweepReport, error) {
	ctx = accesslog.With(ctx, accesslog.Who{Actor: accesslog.Sweeper, Source: accesslog.SourceSweeper})
	now := time.Now()
	rep, err := a.Store.Sweep(ctx, Retention(a.cfg), now)
	var entries []accesslog.Entry
	for _, id := range rep.Cleared {
		entries = append(entries, accesslog.For(ctx, id, "retention.clear", accesslog.Delete, accesslog.OK))
	}
	wiped := 0
	for _, id := range rep.Expired {
		if ctx.Err() != nil {
			break
		}
		c, ok, lerr := a.Store.LoadClient(ctx, id)
		if lerr != nil || !ok {
			// Its data does not open (or is gone): wipe what there is.
			c = store.Client{ID: id}
			c.Channel, _ = a.Store.ClientField(ctx, id, "mmch")
		}
		if a.Bridge != nil {
			_, werr := a.Bridge.Wipe(ctx, c, "🗑️ Deze cliënt gebruikt de bot al lang niet meer. Waakvlam heeft de gegevens gewist.")
			if werr != nil {
				err = werr
				continue
			}
		} else {
			_, werr := a.Store.WipeClient(ctx, id)
			entries = append(entries, accesslog.For(ctx, id, "client.delete", accesslog.Delete, outcomeOf(werr)))
			if werr != nil {
				err = werr
				continue
			}
		}
		wiped++
	}
	entries = append(entries, accesslog.For(ctx, "", "retention.sweep", accesslog.Delete, outcomeOf(err)))
	if a.Access != nil {
		_ = a.Access.Record(ctx, entries...)
	}
	counts := fmt.Sprintf("queued=%d dead=%d dialogs=%d moods=%d events=%d alerts=%d verdicts=%d audit=%d clients=%d",
		rep.Queued, rep.Dead, rep.Dialogs, rep.Moods, rep.Events, rep.Alerts, rep.Verdicts, rep.Audit, wiped)
	_ = a.Store.AuditProgramme(ctx, accesslog.Sweeper, "retention sweep", "", counts, now)
	a.log.Info("retention sweep", "queued", rep.Queued, "dead", rep.Dead, "dialogs", rep.Dialogs, "moods", rep.Moods,
		"events", rep.Events, "alerts", rep.Alerts, "verdicts", rep.Verdicts, "audit", rep.Audit, "clients_wiped", wiped)
	return rep, err
}

func outcomeOf(err error) accesslog.Outcome {
	if err != nil {
		return accesslog.Failed
	}
	return accesslog.OK
}
