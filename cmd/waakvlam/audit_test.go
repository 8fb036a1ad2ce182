package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/store"
)

// Operator commands write the access log; audit verify passes an intact
// log and fails (exit 1, naming the entry) once an entry is deleted;
// audit client lists who touched one client's data.
func TestAuditVerifyAndClient(t *testing.T) {
	addr := redistest.Addr(t)
	rdb := redistest.Client(t)
	ctx := context.Background()
	env := map[string]string{"WAAKVLAM_REDIS_URL": "redis://" + addr, "WAAKVLAM_BOT_USERNAME": "WaakvlamBot", "WAAKVLAM_DATA_KEY": testKey,
		"WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
	t.Setenv("SUDO_USER", "beheer-anna") // the person behind sudo is the actor
	getenv := func(k string) string { return env[k] }
	var client string
	for _, name := range []string{"Sanne", "Ahmed", "Lotte"} {
		var out strings.Builder
		if err := clientAdd(ctx, []string{"--name", name, "--coach", "Piet", "--qr", filepath.Join(t.TempDir(), "qr.png")}, getenv, &out); err != nil {
			t.Fatal(err)
		}
		client = strings.Fields(strings.SplitN(out.String(), "\n", 2)[0])[1]
	}
	code, out, stderr := runCmd(t, env, "", "audit", "verify")
	if code != 0 || !strings.Contains(out, "ok: 3 entries") {
		t.Fatalf("intact log: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = runCmd(t, env, "", "audit", "client", client)
	var e struct{ Actor, Action, Source string }
	if code != 0 || json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &e) != nil || e.Action != "client.create" || e.Source != "cli" ||
		e.Actor != "operator:beheer-anna" || strings.Count(out, "\n") != 1 {
		t.Fatalf("audit client: exit %d %q %s", code, out, stderr)
	}
	// The lookup itself is in the log now; then someone deletes it.
	p := store.PartitionOfClient(client)
	last := rdb.XRevRangeN(ctx, p.Access(), "+", "-", 1).Val()
	rdb.XDel(ctx, p.Access(), last[0].ID)
	code, out, _ = runCmd(t, env, "", "audit", "verify")
	if code != 1 || !strings.Contains(out, "TAMPERED") || !strings.Contains(out, "deleted") {
		t.Fatalf("after a deletion: exit %d\n%s", code, out)
	}
}
