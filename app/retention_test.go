package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/store"
)

// The retention sweep wipes a client that stopped longer ago than
// WAAKVLAM_STOPPED_RETENTION, leaves an active one alone, and writes the
// run to the access log (one entry for the run, one per wiped client) and
// its counts to the programme audit log.
func TestSweepWipesLongStoppedClientsAndLogsTheRun(t *testing.T) {
	r := newRig(t)
	r.cfg.Keys = seal.Ephemeral()
	a, _ := runApp(t, r.cfg, r.rdb, pipeline.Options{Replica: "sweep", Block: 50 * time.Millisecond})
	ctx := context.Background()
	gone := driveClient(t, r, a, "Lotte", 6201)
	active := driveClient(t, r, a, "Daan", 6202)
	if _, err := a.Store.StopClient(ctx, gone); err != nil {
		t.Fatal(err)
	}
	// Stopped 91 days ago.
	long := time.Now().Add(-r.cfg.StoppedRetention - 24*time.Hour).UnixMilli()
	r.rdb.HSet(ctx, store.PartitionOfClient(gone).Client(gone), "stopped_at", strconv.FormatInt(long, 10))
	// A client made but never started: its clock starts at this sweep.
	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: "Nog", Coach: "Piet", BotUsername: "b", TTL: time.Hour, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := a.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Expired) != 1 || rep.Expired[0] != gone {
		t.Fatalf("expired = %v, want %s", rep.Expired, gone)
	}
	if _, ok, _ := a.Store.LoadClient(ctx, gone); ok {
		t.Fatal("long stopped client kept")
	}
	if c, ok, err := a.Store.LoadClient(ctx, active); err != nil || !ok || c.ChatID != 6202 {
		t.Fatalf("active client: %+v %v %v", c, ok, err)
	}
	if r.rdb.HGet(ctx, store.PartitionOfClient(inv.ClientID).Client(inv.ClientID), "stopped_at").Val() == "" {
		t.Fatal("the retention clock of a client who never started did not start")
	}
	es, err := a.Access.Entries(ctx, gone)
	if err != nil || len(es) == 0 || es[len(es)-1].Action != "client.delete" || es[len(es)-1].Actor != "system:sweeper" {
		t.Fatalf("access log of the wiped client ends with %+v (%v)", es[len(es)-1], err)
	}
	var run bool
	for _, m := range r.rdb.XRange(ctx, store.SystemAccess, "-", "+").Val() {
		run = run || strings.Contains(m.Values["v"].(string), `"retention.sweep"`)
	}
	if !run {
		t.Fatal("no access log entry for the sweep")
	}
	last := r.rdb.XRevRangeN(ctx, store.ProgrammeAudit, "+", "-", 1).Val()
	if len(last) != 1 || last[0].Values["what"] != "retention sweep" || !strings.Contains(last[0].Values["after"].(string), "clients=1") {
		t.Fatalf("programme audit = %+v", last)
	}
	rep2, err := a.Sweep(ctx)
	if err != nil || len(rep2.Expired) != 0 {
		t.Fatalf("second sweep: %+v %v", rep2, err)
	}
}

// The store's defaults and the settings' defaults are the same.
func TestRetentionDefaultsAgree(t *testing.T) {
	r := newRig(t)
	if got, want := app.Retention(r.cfg), store.DefaultRetention(); got != want {
		t.Fatalf("settings give %+v, the store's defaults are %+v", got, want)
	}
}
