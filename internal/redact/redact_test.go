package redact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const token = "123456:AAF-secretPartOfTheBotToken_xyz"

func TestErrorMasksTheTokenInAURLError(t *testing.T) {
	x := New(token)
	_, err := http.Get("http://127.0.0.1:1/bot" + token + "/getMe") // nothing listens on port 1
	if err == nil || !strings.Contains(err.Error(), token) {
		t.Fatalf("expected Go's url.Error to carry the token, got %v", err)
	}
	got := x.Error(fmt.Errorf("get me: %w", err))
	if strings.Contains(got.Error(), token) || strings.Contains(fmt.Sprintf("%+v", got), "secretPart") {
		t.Fatalf("token in %q", got)
	}
	var ue *url.Error
	if !errors.As(got, &ue) {
		t.Fatal("the chain is lost: callers cannot classify the error any more")
	}
	if x.Error(nil) != nil {
		t.Fatal("nil error became non-nil")
	}
}

func TestEscapedAndShortSecrets(t *testing.T) {
	x := New("p@ss w/rd!", "ab", "")
	for _, s := range []string{"p@ss w/rd!", url.QueryEscape("p@ss w/rd!"), url.PathEscape("p@ss w/rd!")} {
		if got := x.String("x " + s + " y"); got != "x *** y" {
			t.Errorf("%q -> %q", s, got)
		}
	}
	if got := x.String("tab"); got != "tab" {
		t.Errorf("a two-letter secret mangles text: %q", got)
	}
	if got := New().String("free " + token); got != "free "+token {
		t.Errorf("no secrets changed the text: %q", got)
	}
}

type holder struct{ URL string }

type stringer struct{}

func (stringer) String() string { return "see " + token }

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.StringValue("v " + token) }

func TestHandlerMasksEveryPartOfARecord(t *testing.T) {
	var buf bytes.Buffer
	x := New(token, "mattermost-token-1234")
	log := slog.New(x.Handler(slog.NewJSONHandler(&buf, nil)))
	log = log.With("base", "u="+token).WithGroup("g")
	log.Warn("calling https://api.telegram.org/bot"+token+"/sendMessage",
		"err", errors.New("Post \"https://api.telegram.org/bot"+token+"/sendMessage\": dial tcp: refused"),
		"s", "mattermost-token-1234",
		"any", holder{URL: "/bot" + token},
		"stringer", stringer{},
		"valuer", valuer{},
		slog.Group("inner", "deep", url.QueryEscape(token)),
		"n", 42,
	)
	out := buf.String()
	for _, secret := range []string{token, "secretPart", "mattermost-token-1234", url.QueryEscape(token)} {
		if strings.Contains(out, secret) {
			t.Fatalf("%q in log line: %s", secret, out)
		}
	}
	for _, want := range []string{`"n":42`, `"deep":"***"`, "dial tcp: refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("log line lost %s: %s", want, out)
		}
	}
	if !x.Handler(slog.NewJSONHandler(&buf, nil)).Enabled(context.Background(), slog.LevelInfo) {
		t.Error("Enabled not passed on")
	}
}
