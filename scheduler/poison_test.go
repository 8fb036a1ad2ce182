package scheduler

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/store"
)

// Schedules that cannot be read fill the front of a partition's due set:
// they are set aside after PoisonTries ticks with one notice and one count
// across two replicas, leave the due set, and the readable schedule behind
// them is claimed.
func TestPoisonSchedulesAreSetAsideOnce(t *testing.T) {
	loc := amsterdam(t)
	start := time.Date(2026, 3, 27, 12, 0, 0, 0, loc)
	a := newEnv(t, start, Options{})
	b := newEnvOn(t, a.rdb, start, Options{})
	ctx := context.Background()
	for _, sc := range []Schedule{
		{ID: "bad1", ClientID: "c1", Spec: "elke dag om 7:58", Text: "x"},
		{ID: "bad2", ClientID: "c1", Spec: "elke dag om 7:59", Text: "y"},
		{ID: "good", ClientID: "c1", Spec: "elke dag om 8:00", Text: "pil"},
	} {
		if _, err := a.st.Add(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	p := store.PartitionOfClient("c1")
	for _, id := range []string{"bad1", "bad2"} {
		if err := a.rdb.HSet(ctx, p.Schedule(id), fSpec, "geen spec {{").Err(); err != nil {
			t.Fatal(err)
		}
	}
	st := store.New(a.rdb, nil)
	var mu sync.Mutex
	counted := map[string]int{}
	hook := func(ctx context.Context, p store.Partition, id, clientID string, tries int, reason string) error {
		first, err := st.SetAside(ctx, p, store.AsideSchedule, id, clientID, reason, []byte(`{"kind":"set_aside","client":"`+clientID+`","report":"`+id+`"}`), start)
		if first {
			mu.Lock()
			counted[id]++
			mu.Unlock()
		}
		return err
	}
	a.st.SetAside, b.st.SetAside = hook, hook

	now := time.Date(2026, 3, 28, 8, 0, 0, 0, loc)
	claimed := 0
	for i := 0; i < 5; i++ {
		for _, e := range []*env{a, b} {
			// A tick reads two due members: the two unreadable ones first.
			n, err := e.st.Tick(ctx, p, now, 2)
			if err != nil {
				t.Fatal(err)
			}
			claimed += n
		}
	}
	if claimed != 1 {
		t.Fatalf("claimed %d, want the good schedule once", claimed)
	}
	mu.Lock()
	if counted["bad1"] != 1 || counted["bad2"] != 1 || len(counted) != 2 {
		t.Errorf("set aside %v, want bad1 and bad2 once each", counted)
	}
	mu.Unlock()
	for _, id := range []string{"bad1", "bad2"} {
		if _, ok := a.score(t, "c1", id); ok {
			t.Errorf("%s still due", id)
		}
		if n := a.rdb.Exists(ctx, p.Schedule(id)).Val(); n != 1 {
			t.Errorf("%s removed; it stays for an operator", id)
		}
	}
	if n := a.rdb.XLen(ctx, p.CoachQueue()).Val(); n != 2 {
		t.Errorf("%d notices in the coach queue, want 2", n)
	}
	if n := a.rdb.XLen(ctx, p.Dead()).Val(); n != 2 {
		t.Errorf("%d dead letters, want 2", n)
	}
	if aside, _ := st.IsAside(ctx, p, store.AsideSchedule, "bad1"); !aside {
		t.Error("bad1 not marked aside")
	}
}
