package bot

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

type alwaysLease struct{}

func (alwaysLease) Lease(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}
func (alwaysLease) Release(context.Context, string, string) error { return nil }

type memSink struct {
	mu  sync.Mutex
	ids []int64
}

func (s *memSink) Intake(_ context.Context, ups []Update) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range ups {
		s.ids = append(s.ids, u.ID)
	}
	return nil
}

func (s *memSink) seen(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.ids {
		if x == id {
			return true
		}
	}
	return false
}

// fakeUpdates answers getUpdates from a list of raw updates, confirming
// (dropping) those below the offset, without long polling.
type fakeUpdates struct {
	mu      sync.Mutex
	raw     map[int64]string
	calls   int
	offsets []int64
}

func (f *fakeUpdates) add(id int64, raw string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.raw[id] = raw
}

func (f *fakeUpdates) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Offset int64 `json:"offset"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.calls++
	f.offsets = append(f.offsets, req.Offset)
	var out []json.RawMessage
	for id := int64(1); id <= 100; id++ {
		raw, ok := f.raw[id]
		if !ok {
			continue
		}
		if id < req.Offset {
			delete(f.raw, id)
			continue
		}
		out = append(out, json.RawMessage(raw))
	}
	f.mu.Unlock()
	if len(out) == 0 {
		time.Sleep(20 * time.Millisecond) // a short "long poll"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": out})
}

func (f *fakeUpdates) pending(id int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.raw[id]
	return ok
}

func msgUpdate(id int64, text string) string {
	b, _ := json.Marshal(map[string]any{"update_id": id, "message": map[string]any{
		"message_id": id, "date": 1700000000, "chat": map[string]any{"id": 42, "type": "private"}, "text": text}})
	return string(b)
}

// A poison update (one that does not parse), the newest in the queue, is
// fetched PoisonTries times with backoff, then set aside once and
// confirmed; polling goes on and later updates are stored.
func TestPoisonUpdateIsSetAsideOnceAndPollingContinues(t *testing.T) {
	f := &fakeUpdates{raw: map[int64]string{}}
	f.add(1, msgUpdate(1, "hoi"))
	f.add(2, `{"update_id": 2, "message": {"message_id": "not a number", "chat": {"id": 42}}}`)
	srv := httptest.NewServer(f)
	defer srv.Close()

	var mu sync.Mutex
	var aside []int64
	sink := &memSink{}
	p := &Poller{APIURL: srv.URL, Token: "1:t", LeaseKey: "lease", Replica: "r1", Leases: alwaysLease{}, Sink: sink,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Timeout: time.Second, LeaseTTL: time.Second,
		SetAside: func(_ context.Context, id int64, tries int, reason string) error {
			mu.Lock()
			defer mu.Unlock()
			if tries != 3 || reason == "" {
				t.Errorf("set aside %d after %d tries (%q)", id, tries, reason)
			}
			aside = append(aside, id)
			return nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timeout waiting for %s", what)
			}
		}
	}
	waitFor("the poison update confirmed", func() bool { return !f.pending(2) })
	f.add(3, msgUpdate(3, "nog een"))
	waitFor("update 3 stored", func() bool { return sink.seen(3) })
	if !sink.seen(1) {
		t.Error("update 1 not stored")
	}
	mu.Lock()
	if len(aside) != 1 || aside[0] != 2 {
		t.Errorf("set aside %v, want [2] once", aside)
	}
	mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	// Held at 2 (not past it) until set aside: three fetches with it.
	held := 0
	for _, o := range f.offsets {
		if o == 2 {
			held++
		}
		if o > 2 && held < 2 {
			t.Fatalf("offset moved past the poison update before it was set aside: %v", f.offsets)
		}
	}
	if f.calls > 50 {
		t.Errorf("%d getUpdates calls: polling spun", f.calls)
	}
}
