package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const secretToken = "987654:AAH-tokenSecretThatMustNeverBeLogged"

// noToken fails the test when err's text (in any format) shows the token
// or its secret half.
func noToken(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	for _, f := range []string{"%v", "%+v", "%s", "%q"} {
		s := fmt.Sprintf(f, err)
		if strings.Contains(s, secretToken) || strings.Contains(s, "tokenSecretThatMustNeverBeLogged") {
			t.Fatalf("%s: token in error (%s): %s", what, f, s)
		}
	}
}

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// Every call of the Telegram client names no token in its error, whether
// Telegram is unreachable, a proxy answers with an error page that repeats
// the URL, or it sends a file path that cannot be a URL.
func TestTelegramErrorsNeverCarryTheToken(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/getFile") {
			_, _ = fmt.Fprint(w, `{"ok":true,"result":{"file_id":"f","file_unique_id":"u","file_size":3,"file_path":"docs/a\u007fb"}}`)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/forbidden") {
			w.WriteHeader(http.StatusForbidden)
			_, _ = fmt.Fprint(w, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`)
			return
		}
		// A proxy's error page that repeats the request.
		w.WriteHeader(http.StatusBadGateway)
		_, _ = fmt.Fprintf(w, "<html>502 Bad Gateway: POST %s</html>", r.URL.Path)
	}))
	defer echo.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, closedPort(t)+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for name, api := range map[string]string{"unreachable": closedPort(t), "echoing proxy": echo.URL, "redirect": redirect.URL} {
		tg, err := NewTelegram(secretToken, api, &http.Client{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, err = tg.Username(ctx)
		noToken(t, name+" getMe", err)
		noToken(t, name+" send", tg.Send(ctx, Outgoing{Op: OpMessage, ChatID: 1, Text: "hoi"}))
		noToken(t, name+" file", tg.Send(ctx, Outgoing{Op: OpFile, ChatID: 1, File: nil}))
		noToken(t, name+" commands", tg.SetCommands(ctx, "nl", []Command{{"start", "begin"}}))
		noToken(t, name+" webhook", tg.SetWebhook(ctx, "https://example.invalid/hook", "s3cret-s3cret-s3cret"))
		noToken(t, name+" delete webhook", tg.DeleteWebhook(ctx))
		_, err = tg.Download(ctx, "f")
		noToken(t, name+" download", err)

		p := &Poller{APIURL: api, Token: secretToken, Timeout: time.Second, HTTP: &http.Client{Timeout: 5 * time.Second}}
		_, _, err = p.getUpdates(ctx, 0)
		noToken(t, name+" getUpdates", err)
	}
}

// Masking keeps the error's chain: a blocked client is still a permanent
// failure and a 429 still carries its wait.
func TestMaskedSendErrorsAreStillClassified(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = fmt.Fprintf(w, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked, see %s"}`, r.URL.Path)
	}))
	defer srv.Close()
	tg, err := NewTelegram(secretToken, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = tg.Send(context.Background(), Outgoing{Op: OpMessage, ChatID: 1, Text: "hoi"})
	noToken(t, "403", err)
	var se *SendError
	if !errors.As(err, &se) || !se.Permanent {
		t.Fatalf("a 403 is no longer permanent: %#v", err)
	}
}
