package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// readyWatch asks /readyz every 20 ms and remembers what it answered.
type readyWatch struct {
	mu    sync.Mutex
	codes []int
	at    []time.Time
}

func watchReadyz(t *testing.T, h http.Handler) *readyWatch {
	w := &readyWatch{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			w.mu.Lock()
			w.codes, w.at = append(w.codes, rec.Code), append(w.at, time.Now())
			w.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// since returns whether /readyz said not ready after from, and whether its
// latest answer is ready.
func (w *readyWatch) since(from time.Time) (wasNotReady, readyNow bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, c := range w.codes {
		if w.at[i].After(from) && c != http.StatusOK {
			wasNotReady = true
		}
	}
	return wasNotReady, len(w.codes) > 0 && w.codes[len(w.codes)-1] == http.StatusOK
}

// Redis loses its data (FLUSHALL, as after a restart without persistence
// or a failover to an empty replica) while clients write: the consumer
// groups and leases are made again by the loops themselves, the event is
// counted, /readyz says not ready meanwhile, and messages are answered
// again without a restart.
func TestFlushallUnderTrafficHealsItself(t *testing.T) {
	r := newRig(t)
	a, _ := r.start("a")
	w := watchReadyz(t, a.AdminHandler())
	ctx := context.Background()

	// Strangers: each new chat gets one friendly answer.
	chat := int64(20000)
	say := func() int64 {
		chat++
		r.emu.UserSays(chat, "hallo")
		return chat
	}
	r.waitTexts(say(), 1)
	stop := make(chan struct{})
	var traffic sync.WaitGroup
	traffic.Add(1)
	go func() { // steady traffic from other chats
		defer traffic.Done()
		for i := int64(0); ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			r.emu.UserSays(30000+i, "hoi")
		}
	}()
	defer func() { close(stop); traffic.Wait() }()
	time.Sleep(500 * time.Millisecond)
	if wasNot, ready := w.since(time.Now().Add(-300 * time.Millisecond)); wasNot || !ready {
		t.Fatal("not ready before the flush")
	}

	flushed := time.Now()
	if err := r.rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// A message written after the loss is answered, without a restart.
	c := say()
	r.waitTexts(c, 1)
	t.Logf("first answer after FLUSHALL in %v", time.Since(flushed).Round(time.Millisecond))

	deadline := time.Now().Add(10 * time.Second)
	for {
		wasNot, ready := w.since(flushed)
		if wasNot && ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz: not ready after the flush %v, ready again %v", wasNot, ready)
		}
		time.Sleep(50 * time.Millisecond)
	}
	rec := httptest.NewRecorder()
	a.AdminHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	healed := 0
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(l, "waakvlam_healed_total{") {
			healed++
		}
	}
	if healed == 0 {
		t.Fatalf("no heal counted:\n%s", rec.Body.String())
	}
	// Everything still flows: another new chat is answered.
	r.waitTexts(say(), 1)
}
