package scheduler

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/store"
)

// TestAnotherClientCannotTouchASchedule: pause, resume and remove name the
// client; a schedule id of another client in the same partition is not
// found and stays as it was.
func TestAnotherClientCannotTouchASchedule(t *testing.T) {
	loc := amsterdam(t)
	e := newEnv(t, time.Date(2026, 3, 27, 12, 0, 0, 0, loc), Options{})
	ctx := context.Background()
	other := ""
	for i := 2; other == ""; i++ {
		if id := fmt.Sprintf("c%d", i); store.PartitionOfClient(id) == store.PartitionOfClient("c1") {
			other = id
		}
	}
	sc, err := e.st.Add(ctx, Schedule{ID: "pil", ClientID: "c1", Spec: "elke dag om 8:00", Text: "Pillen"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.Pause(ctx, other, "pil"); !errors.Is(err, ErrNotFound) {
		t.Errorf("pause by another client: %v", err)
	}
	if got, _ := e.st.Get(ctx, "c1", "pil"); got.Paused || !got.Next.Equal(sc.Next) {
		t.Fatalf("another client paused it: %+v", got)
	}
	if err := e.st.Remove(ctx, other, "pil"); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove by another client: %v", err)
	}
	if _, err := e.st.Get(ctx, "c1", "pil"); err != nil {
		t.Fatalf("another client removed it: %v", err)
	}
	if err := e.st.Pause(ctx, "c1", "pil"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Resume(ctx, other, "pil"); !errors.Is(err, ErrNotFound) {
		t.Errorf("resume by another client: %v", err)
	}
	if got, _ := e.st.Get(ctx, "c1", "pil"); !got.Paused {
		t.Fatal("another client resumed it")
	}
	if _, err := e.st.Resume(ctx, "c1", "pil"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Remove(ctx, "c1", "pil"); err != nil {
		t.Fatal(err)
	}
}
