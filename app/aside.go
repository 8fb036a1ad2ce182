package app

import (
	"context"
	"strconv"

	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/store"
)

// setAsideUpdate sets a Telegram update that does not parse aside (poller):
// its id and the reason in partition 0's dead letters (not its content: it
// may be a stranger's), counted, and one notice for the project leaders
// (which client it came from is not known).
func (a *App) setAsideUpdate(ctx context.Context, updateID int64, tries int, reason string) error {
	id := strconv.FormatInt(updateID, 10)
	now := a.Schedules.Now()
	first, err := a.Store.SetAside(ctx, 0, store.AsideUpdate, id, "", reason,
		pipeline.SetAsideNotice(store.AsideUpdate, id, "", tries, now), now)
	if err == nil && first && a.Metrics != nil {
		a.Metrics.SetAside.With(store.AsideUpdate).Inc()
	}
	return err
}

// setAsideSchedule sets a schedule that cannot be read aside (scheduler):
// a dead letter, counted, and one notice in the client's channel.
func (a *App) setAsideSchedule(ctx context.Context, p store.Partition, scheduleID, clientID string, tries int, reason string) error {
	now := a.Schedules.Now()
	first, err := a.Store.SetAside(ctx, p, store.AsideSchedule, scheduleID, clientID, reason,
		pipeline.SetAsideNotice(store.AsideSchedule, scheduleID, clientID, tries, now), now)
	if err == nil && first && a.Metrics != nil {
		a.Metrics.SetAside.With(store.AsideSchedule).Inc()
	}
	return err
}
