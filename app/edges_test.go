package app_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/internal/redisproc"
	"github.com/waakvlam/waakvlam/pipeline"
)

func freeAddr(t *testing.T) string {
	p, err := redisproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + strconv.Itoa(p)
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// closedWithin reads from c until the server closes it (or answers and
// closes) and says how long that took.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	took := time.Since(start)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after %v", limit)
	}
	return took
}

// /metrics is served on the admin address only; the probes on both. Slow
// or stalled clients are cut off by the server's timeouts.
func TestAdminListenerAndServerTimeouts(t *testing.T) {
	r := newRig(t)
	cfg := r.cfg
	cfg.Mode, cfg.WebhookURL, cfg.WebhookSecret = "webhook", "https://example.invalid/hook/telegram", "s3cret-s3cret-s3cret"
	cfg.HTTPAddr, cfg.AdminAddr = freeAddr(t), freeAddr(t)
	a, err := app.New(cfg, r.rdb, quiet(), pipeline.Options{Replica: "h", Block: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if a.Timeouts != app.DefaultTimeouts || app.DefaultTimeouts.Read == 0 || app.DefaultTimeouts.Write == 0 || app.DefaultTimeouts.Idle == 0 {
		t.Fatalf("default timeouts %+v", a.Timeouts)
	}
	a.Timeouts = app.Timeouts{ReadHeader: 300 * time.Millisecond, Read: 600 * time.Millisecond, Write: 2 * time.Second, Idle: 500 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	pub, adm := "http://"+cfg.HTTPAddr, "http://"+cfg.AdminAddr
	deadline := time.Now().Add(10 * time.Second)
	for code, _ := get(pub + "/healthz"); code != 200; code, _ = get(pub + "/healthz") {
		if time.Now().After(deadline) {
			t.Fatal("public listener not up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range []struct {
		url  string
		want int
	}{{pub + "/metrics", 404}, {pub + "/readyz", 200}, {adm + "/metrics", 200}, {adm + "/healthz", 200}, {adm + "/readyz", 200}} {
		if code, body := get(c.url); code != c.want || (c.want == 200 && strings.HasSuffix(c.url, "/metrics") && !strings.Contains(body, "waakvlam_")) {
			t.Errorf("%s = %d, want %d", c.url, code, c.want)
		}
	}

	dial := func() net.Conn {
		c, err := net.Dial("tcp", cfg.HTTPAddr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// Headers that never end.
	c := dial()
	fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
	if took := closedWithin(t, c, 5*time.Second); took > 2*time.Second {
		t.Errorf("stalled headers held %v", took)
	}
	// A webhook body that never comes.
	c = dial()
	fmt.Fprintf(c, "POST /hook/telegram HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: %s\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"upd", cfg.WebhookSecret)
	if took := closedWithin(t, c, 5*time.Second); took > 3*time.Second {
		t.Errorf("stalled body held %v", took)
	}
	// A kept-alive connection that goes quiet.
	c = dial()
	fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("keep-alive request: %v", err)
	}
	resp.Body.Close()
	if took := closedWithin(t, c, 5*time.Second); took > 2*time.Second {
		t.Errorf("idle connection held %v", took)
	}
}

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *logBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *logBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// No log line holds a secret, also while Telegram answers with an error
// page that repeats the token-bearing URL and Mattermost is unreachable.
func TestNoSecretInAnyLogLine(t *testing.T) {
	const (
		tgToken = "555111:AAG-theBotTokenSecretHalf_for_logs"
		mmToken = "mattermostTokenSecret0123"
	)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "<html>bad gateway for %s</html>", r.URL.Path)
	}))
	defer proxy.Close()
	staffFile := filepath.Join(t.TempDir(), "staff.yaml")
	if err := os.WriteFile(staffFile, []byte("coaches:\n  - {username: coach-piet, name: Piet}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"WAAKVLAM_TELEGRAM_TOKEN": tgToken, "WAAKVLAM_TELEGRAM_API_URL": proxy.URL,
		"WAAKVLAM_REDIS_URL":      "redis://waakvlam:redisSecretPw-0123@127.0.0.1:6379/0",
		"WAAKVLAM_MATTERMOST_URL": "http://" + freeAddr(t), "WAAKVLAM_MATTERMOST_TOKEN": mmToken,
		"WAAKVLAM_MATTERMOST_TEAM": "team", "WAAKVLAM_STAFF_FILE": staffFile,
	}
	cfg, _, err := config.Load("serve", func(k string) string { return env[k] }, []string{"-http-addr", "", "-admin-addr", ""}, config.Need{Telegram: true, Redis: true})
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := newRig(t)
	a, err := app.New(cfg, r.rdb, log, pipeline.Options{Replica: "logs", Block: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a.PollTimeout = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = a.Run(ctx)
	out := logs.String()
	if !strings.Contains(out, "telegram") || !strings.Contains(out, "bad gateway") {
		t.Fatalf("the test did not make Telegram fail:\n%s", out)
	}
	for _, secret := range []string{tgToken, "theBotTokenSecretHalf", mmToken, "redisSecretPw"} {
		if strings.Contains(out, secret) {
			t.Fatalf("%q in the logs:\n%s", secret, out)
		}
	}
}
