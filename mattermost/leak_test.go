package mattermost

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// TestListenReconnectsDoNotLeakGoroutines drops the socket 100 times: the
// number of goroutines afterwards is what it was after the first connect
// (the drain goroutines of each closed socket end with its reader).
func TestListenReconnectsDoNotLeakGoroutines(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	connects := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- c.Listen(ctx, func(Post) {}, func() {
			select {
			case connects <- struct{}{}:
			default:
			}
		})
	}()
	wait := func(i int) {
		t.Helper()
		select {
		case <-connects:
		case <-time.After(5 * time.Second):
			t.Fatalf("no connect %d", i)
		}
	}
	wait(0)
	settle := func() int {
		// Let goroutines of the last socket finish or block.
		time.Sleep(100 * time.Millisecond)
		runtime.GC()
		return runtime.NumGoroutine()
	}
	before := settle()
	const reconnects = 100
	for i := 1; i <= reconnects; i++ {
		f.dropSockets()
		wait(i)
	}
	after := settle()
	for deadline := time.Now().Add(5 * time.Second); after > before+3 && time.Now().Before(deadline); {
		after = settle()
	}
	t.Logf("goroutines: %d after the first connect, %d after %d reconnects", before, after, reconnects)
	if after > before+3 {
		t.Fatalf("goroutines grew from %d to %d over %d reconnects", before, after, reconnects)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not return after cancel")
	}
}
