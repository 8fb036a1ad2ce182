package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// buildServe builds the waakvlam binary of this tree into dir.
func buildServe(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("WAAKVLAM_LOADTEST_BINARY"); b != "" {
		return b
	}
	bin := filepath.Join(t.TempDir(), "waakvlam")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/waakvlam/waakvlam/cmd/waakvlam")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// A small run: every figure is there and every message arrived once.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the serving process")
	}
	var out bytes.Buffer
	o := Options{Binary: buildServe(t), Clients: 50, Inbound: 500, PacedRate: 200, PacedFor: time.Second,
		Bulk: 300, Urgent: 5, UrgentEvery: 100 * time.Millisecond, GlobalRate: 100, PhaseTimeout: 60 * time.Second}
	if testing.Verbose() {
		o.Progress = os.Stderr
	}
	if err := Run(context.Background(), o, &out); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	t.Logf("%s", out.String())
	switch {
	case res.Inbound.Missing != 0 || res.Inbound.PerSecond <= 0 || res.Inbound.P99ms <= 0:
		t.Errorf("inbound figures: %+v", res.Inbound)
	case res.Inbound.RedisTrips <= 0 || res.Inbound.RedisCommands < res.Inbound.RedisTrips:
		t.Errorf("redis figures: %v commands, %v round trips per message", res.Inbound.RedisCommands, res.Inbound.RedisTrips)
	case res.Bulk.Delivered != o.Bulk || res.Bulk.PerSecond <= 0:
		t.Errorf("bulk: %+v", res.Bulk)
	case res.Urgent.Presses == 0 || res.Urgent.Missing != 0:
		t.Errorf("urgent: %+v", res.Urgent)
	case res.RSS.IdleMB <= 0 || res.RSS.PeakMB < res.RSS.IdleMB:
		t.Errorf("rss: %+v", res.RSS)
	case len(res.EmuErrors) > 0:
		t.Errorf("protocol errors at the fake: %v", res.EmuErrors)
	}
}

// The full run with the defaults, when asked for:
// WAAKVLAM_LOADTEST=1 go test -run TestRunFull -v -timeout 10m ./loadtest
func TestRunFull(t *testing.T) {
	if os.Getenv("WAAKVLAM_LOADTEST") == "" {
		t.Skip("set WAAKVLAM_LOADTEST=1 for the full load test")
	}
	if err := Run(context.Background(), Options{Binary: buildServe(t), Progress: os.Stderr}, os.Stdout); err != nil {
		t.Fatal(err)
	}
}
