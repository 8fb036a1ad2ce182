package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/waakvlam/waakvlam/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("exposition differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestWaakvlamExpositionGolden(t *testing.T) {
	m := metrics.New(func(ctx context.Context) (metrics.Depths, error) {
		return metrics.Depths{Outbox: map[string]int64{metrics.LaneUrgent: 1, metrics.LaneBulk: 9500}, Intake: 12, Coach: 3}, nil
	})
	m.Sends.With(metrics.LaneNormal, metrics.ResultOK).Add(41)
	m.Sends.With(metrics.LaneUrgent, metrics.ResultOK).Inc()
	m.Sends.With(metrics.LaneBulk, metrics.ResultRefused).Inc()
	m.Limited.With("chat").Add(2)
	m.Retries.With(metrics.LaneBulk, metrics.ReasonRateLimited).Add(2)
	m.RateWait.With(metrics.LaneBulk).Add(1.5)
	m.Processed.With("tg").Add(3)
	for _, v := range []float64{0.0004, 0.003, 0.003, 0.2, 45} {
		m.Process.With("tg").Observe(v)
	}
	m.Delivery.With(metrics.LaneUrgent).Observe(0.01)
	srv := httptest.NewServer(m.Registry.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != metrics.ContentType {
		t.Fatalf("content type %q", ct)
	}
	body, _ := io.ReadAll(resp.Body)
	golden(t, "waakvlam.golden", body)
}

func TestEscapingAndFailedCollect(t *testing.T) {
	r := metrics.NewRegistry()
	r.Gauge("g", "help with \\ and\nnewline", "name").With("a\"b\\c\nd").Set(-2.5)
	r.GaugeFunc("broken", "x", nil, func(context.Context) ([]metrics.Sample, error) { return nil, errors.New("redis\ndown") })
	var b bytes.Buffer
	if err := r.WriteText(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	golden(t, "escape.golden", b.Bytes())
}

func TestConcurrentUpdates(t *testing.T) {
	r := metrics.NewRegistry()
	c := r.Counter("c_total", "c", "k")
	h := r.Histogram("h_seconds", "h", []float64{1}, "k")
	g := r.Gauge("g", "g")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				c.With("x").Inc()
				h.With("x").Observe(0.5)
				g.With().Add(1)
				if j%100 == 0 {
					_ = r.WriteText(context.Background(), io.Discard)
				}
			}
		}()
	}
	wg.Wait()
	if c.With("x").Value() != 8000 || h.With("x").Count() != 8000 || g.With().Value() != 8000 {
		t.Fatalf("counter %v, histogram %v, gauge %v", c.With("x").Value(), h.With("x").Count(), g.With().Value())
	}
}

func TestMisusePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"bad name":        func() { metrics.NewRegistry().Counter("a-b", "x") },
		"le label":        func() { metrics.NewRegistry().Histogram("h", "x", nil, "le") },
		"twice":           func() { r := metrics.NewRegistry(); r.Gauge("a", "x"); r.Gauge("a", "x") },
		"label count":     func() { metrics.NewRegistry().Counter("a", "x", "k").With() },
		"negative add":    func() { metrics.NewRegistry().Counter("a", "x").With().Add(-1) },
		"unsorted bucket": func() { metrics.NewRegistry().Histogram("h", "x", []float64{2, 1}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

func TestLaneLabel(t *testing.T) {
	got := strings.Join([]string{metrics.LaneLabel("u"), metrics.LaneLabel("n"), metrics.LaneLabel("b")}, ",")
	if got != "urgent,normal,bulk" {
		t.Fatal(got)
	}
}
