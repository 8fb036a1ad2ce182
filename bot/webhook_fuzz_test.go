package bot

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

type countingSink struct{ updates []Update }

func (s *countingSink) Intake(_ context.Context, ups []Update) error {
	s.updates = append(s.updates, ups...)
	return nil
}

// The webhook never panics whatever arrives: without the secret (or with
// a wrong one) the answer is 401 and nothing is stored; with it, 200 and
// exactly one update stored, or a 4xx and none. Other methods get 405.
func FuzzWebhook(f *testing.F) {
	const secret = "s3cret-TOKEN_for-fuzzing"
	f.Add("POST", secret, []byte(`{"update_id":1,"message":{"message_id":2,"date":1,"chat":{"id":5,"type":"private"},"text":"/start X"}}`))
	f.Add("POST", secret, []byte(`{"update_id":7,"callback_query":{"id":"q","from":{"id":5},"data":"x","message":{"message_id":9,"date":0,"chat":{"id":5,"type":"private"}}}}`))
	f.Add("POST", "", []byte(`{"update_id":1}`))
	f.Add("POST", secret+"x", []byte(`{}`))
	f.Add("POST", secret, []byte(`{"update_id":0}`))
	f.Add("POST", secret, []byte(`[1,2]`))
	f.Add("GET", secret, []byte(``))
	f.Add("POST", secret, bytes.Repeat([]byte("{"), 300))
	h := func(sink Sink) http.Handler { return Webhook(secret, sink, slog.New(slog.DiscardHandler)) }
	f.Fuzz(func(t *testing.T, method, header string, body []byte) {
		if method != "POST" && method != "GET" && method != "PUT" {
			method = "POST"
		}
		sink := &countingSink{}
		req := httptest.NewRequest(method, "/telegram/webhook", bytes.NewReader(body))
		if header != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", header)
		}
		rec := httptest.NewRecorder()
		h(sink).ServeHTTP(rec, req)
		switch {
		case method != http.MethodPost:
			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("%s: %d", method, rec.Code)
			}
		case header != secret:
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("without the secret (%q): %d", header, rec.Code)
			}
		case rec.Code == http.StatusOK:
			if len(sink.updates) != 1 || sink.updates[0].ID <= 0 {
				t.Fatalf("200 with updates %+v", sink.updates)
			}
			return
		case rec.Code < 400 || rec.Code >= 500:
			t.Fatalf("with the secret: %d", rec.Code)
		}
		if len(sink.updates) != 0 {
			t.Fatalf("%d: stored %+v", rec.Code, sink.updates)
		}
	})
}
