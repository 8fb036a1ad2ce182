package scheduler

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/store"
)

// Three schedulers tick one Redis concurrently while simulated time runs
// for a week across the spring-forward change: every occurrence enters the
// intake exactly once, and each schedule sends the number of messages
// counted by hand below.
func TestThreeSchedulersExactlyOnce(t *testing.T) {
	loc := amsterdam(t)
	start := time.Date(2026, 3, 27, 12, 0, 0, 0, loc) // Friday
	end := time.Date(2026, 4, 3, 12, 0, 0, 0, loc)    // Friday a week later
	e := newEnv(t, start, Options{Grace: 48 * time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Expected sends in (start, end], quiet hours 21:00-08:00.
	kinds := []struct {
		spec   string
		kind   Kind
		expect int
	}{
		{"elke dag om 8:00", KindReminder, 7},                   // 28 Mar .. 3 Apr
		{"elke maandag en donderdag om 19:00", KindReminder, 2}, // 30 Mar, 2 Apr
		{"elke dag om 2:30", KindCheckin, 7},                    // in quiet hours: 08:00 each day
		{"*/30 * * * *", KindSilence, 17 + 6*26 + 9},            // Fri 12:30-20:30, 6 days 08:00-20:30, Fri 08:00-12:00
		{"0 12 * * 1-5", KindCheckin, 5},                        // Mon..Fri (not the start itself)
		{"op 1 april om 10:00", KindAppointment, 2},             // 31 Mar 10:00 and 1 Apr 09:00
		{"2026-03-29T02:30:00+01:00", KindDeadline, 1},          // one-off, nonexistent 02:30 -> 03:00 -> 08:00
	}
	const clients = 60
	want := map[string]int{}
	for c := 0; c < clients; c++ {
		for k, kd := range kinds {
			id := fmt.Sprintf("s%d-%d", c, k)
			if _, err := e.st.Add(ctx, Schedule{ID: id, ClientID: fmt.Sprintf("client%d", c), Kind: kd.kind, Spec: kd.spec, Text: "t"}); err != nil {
				t.Fatalf("add %s: %v", kd.spec, err)
			}
			want[id] = kd.expect
		}
	}

	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		sch := NewScheduler(e.st, SchedulerOptions{Interval: time.Millisecond, Batch: 20, Clock: e.clock})
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = sch.Run(ctx)
		}()
	}

	// Move time in 10-minute steps; at each step wait until nothing due is
	// left, so late sends never depend on how fast the machine is.
	for now := start; now.Before(end); {
		now = now.Add(10 * time.Minute)
		e.clock.Set(now)
		deadline := time.Now().Add(10 * time.Second)
		for {
			left := int64(0)
			for p := 0; p < store.Partitions; p++ {
				n, err := e.rdb.ZCount(ctx, store.Partition(p).Due(), "-inf", fmt.Sprint(now.UnixMilli())).Result()
				if err != nil {
					t.Fatal(err)
				}
				left += n
			}
			if left == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("at %s still %d due", fmtT(now), left)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	cancel()
	wg.Wait()

	occ := e.intake(t)
	seen := map[string]int{}
	perSchedule := map[string]int{}
	for _, o := range occ {
		seen[o.ID]++
		perSchedule[o.ScheduleID]++
		if e.st.quiet.Contains(o.Due.In(loc)) {
			t.Errorf("occurrence %s due in quiet hours: %s", o.ID, fmtT(o.Due))
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("occurrence %s entered the intake %d times", id, n)
		}
	}
	total := 0
	for id, n := range want {
		total += n
		if perSchedule[id] != n {
			t.Errorf("schedule %s: %d sends, want %d", id, perSchedule[id], n)
		}
	}
	if len(occ) != total {
		t.Errorf("%d intake entries, want %d", len(occ), total)
	}
	if !t.Failed() {
		t.Logf("%d schedules, %d occurrences, each exactly once", len(want), len(occ))
	}
}
