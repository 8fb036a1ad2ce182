package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waakvlam/waakvlam/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// testKey is a key-encryption key for the commands that need one.
const testKey = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ="

func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestMissingOrWrongSettingsExitTwoNamingTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"serve"}, "WAAKVLAM_TELEGRAM_TOKEN"},
		{map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, []string{"serve"}, "WAAKVLAM_REDIS_URL"},
		{map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", "WAAKVLAM_REDIS_URL": "redis://x:1", "WAAKVLAM_TIMEZONE": "Nowhere/Land"}, []string{"serve"}, "WAAKVLAM_TIMEZONE"},
		{map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", "WAAKVLAM_REDIS_URL": "redis://x:1"}, []string{"serve"}, "WAAKVLAM_DATA_KEY"},
		{map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", "WAAKVLAM_REDIS_URL": "redis://x:1", "WAAKVLAM_DATA_KEY": "c2hvcnQ="}, []string{"serve"}, "WAAKVLAM_DATA_KEY"},
		{map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", "WAAKVLAM_REDIS_URL": "redis://x:1", "WAAKVLAM_DATA_KEY_FILE": "/nonexistent/keys"}, []string{"serve"}, "WAAKVLAM_DATA_KEY_FILE"},
		{map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", "WAAKVLAM_REDIS_URL": "redis://x:1", "WAAKVLAM_DATA_KEY": testKey, "WAAKVLAM_DATA_KEY_FILE": "/etc/hostname"}, []string{"serve"}, "WAAKVLAM_DATA_KEY"},
		{map[string]string{"WAAKVLAM_REDIS_URL": "redis://x:1"}, []string{"client", "add", "--name", "Sanne", "--coach", "Piet"}, "WAAKVLAM_DATA_KEY"},
		{map[string]string{"WAAKVLAM_REDIS_URL": "redis://x:1", "WAAKVLAM_DATA_KEY": testKey}, []string{"client", "add", "--name", "Sanne", "--coach", "Piet"}, "WAAKVLAM_BOT_USERNAME"},
		{map[string]string{"WAAKVLAM_REDIS_URL": "redis://x:1"}, []string{"keys", "rewrap"}, "WAAKVLAM_DATA_KEY"},
		{map[string]string{"WAAKVLAM_REDIS_URL": "redis://x:1", "WAAKVLAM_DATA_KEY": testKey}, []string{"keys", "rotate"}, "WAAKVLAM_DATA_KEY_FILE"},
		{nil, []string{"client", "add", "--name", "Sanne"}, "--coach"},
		{nil, []string{"nonsense"}, "unknown command"},
	}
	for _, tt := range tests {
		code, _, stderr := runCmd(t, tt.env, "", tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", tt.args, code, stderr, tt.want)
		}
		if lines := strings.Count(strings.TrimSpace(stderr), "\n"); tt.want != "unknown command" && lines != 0 {
			t.Errorf("%v: %d lines of error, want one", tt.args, lines+1)
		}
	}
}

func TestScriptedDemoConversation(t *testing.T) {
	code, out, stderr := runCmd(t, nil, "/start DEMO\n1\n", "demo")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Type first:  /start DEMO", "Hallo Sanne", "Piet is je coach", "[1] 💬 Vraag aan mijn coach", "> 1", "Typ je vraag voor Piet", "(end of demo)"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

func TestClientAddPrintsCodeLinkAndWritesQR(t *testing.T) {
	addr := redistest.Addr(t)
	_ = redistest.Client(t)
	qr := filepath.Join(t.TempDir(), "sanne.png")
	code, out, stderr := runCmd(t, map[string]string{"WAAKVLAM_REDIS_URL": "redis://" + addr, "WAAKVLAM_BOT_USERNAME": "WaakvlamBot", "WAAKVLAM_DATA_KEY": testKey,
		"WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, "",
		"client", "add", "--name", "Sanne", "--coach", "Piet", "--qr", qr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "https://t.me/WaakvlamBot?start=") || !strings.Contains(out, "code:") {
		t.Fatalf("output: %s", out)
	}
	png, err := os.ReadFile(qr)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("qr file: %v", err)
	}
}

func TestClassifyAndLintCommands(t *testing.T) {
	code, out, _ := runCmd(t, nil, "ik wil niet meer leven\nik ga dood van het lachen\n", "classify")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[0], `"severity":"urgent"`) || !strings.Contains(lines[1], `"severity":"none"`) {
		t.Fatalf("classify exit %d:\n%s", code, out)
	}
	code, out, _ = runCmd(t, nil, "", "lint-texts", "-all")
	if code != 0 || !strings.Contains(out, "onboarding.welcome") {
		t.Fatalf("lint-texts exit %d:\n%s", code, out)
	}
}

func TestSchedulePreviewAcrossDaylightSaving(t *testing.T) {
	code, out, stderr := runCmd(t, nil, "", "schedule", "preview", "elke dag om 2:30", "-n", "3", "--from", "2026-03-28T12:00")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], "29 mrt 2026 03:00 CEST") || !strings.Contains(lines[2], "30 mrt 2026 02:30 CEST") {
		t.Fatalf("preview:\n%s", out)
	}
	code, out, _ = runCmd(t, nil, "", "schedule", "preview", "0 8 * * 1-5", "-n", "2", "--from", "2026-11-27T12:00")
	if code != 0 || !strings.Contains(out, "ma 30 nov 2026 08:00 CET") {
		t.Fatalf("cron preview exit %d:\n%s", code, out)
	}
	if code, _, stderr := runCmd(t, nil, "", "schedule", "preview", "elke dinsdagg"); code != 2 || !strings.Contains(stderr, "Probeer") {
		t.Fatalf("bad spec: exit %d %q", code, stderr)
	}
}
