package emulator

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	tg "github.com/go-telegram/bot"
)

func TestLimitsTable(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type call struct {
		at   time.Time
		chat int64
		want int
	}
	cases := []struct {
		name  string
		l     *Limits
		calls []call
	}{
		{"chat burst of 3 then one a second", NewLimits(0, 1, 3), []call{
			{ms(0), 1, 0}, {ms(1), 1, 0}, {ms(2), 1, 0},
			{ms(3), 1, 1}, {ms(10), 2, 0},
			{ms(999), 1, 1}, // the first token comes back at 1000 ms
			{ms(1000), 1, 0}, {ms(1001), 1, 1},
		}},
		{"global bucket over all chats", NewLimits(10, 0, 2), []call{
			{ms(0), 1, 0}, {ms(0), 2, 0}, {ms(0), 3, 1},
			{ms(100), 3, 0}, {ms(150), 4, 1}, {ms(200), 4, 0},
		}},
		{"refused calls take no token", NewLimits(2, 0, 1), []call{
			{ms(0), 1, 0}, {ms(100), 1, 1}, {ms(200), 1, 1}, {ms(500), 1, 0},
		}},
		{"a long hold says how long", &Limits{PerChat: 0.1, ChatBurst: 1}, []call{
			{ms(0), 1, 0}, {ms(1), 1, 10},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i, c := range tc.calls {
				if got := tc.l.Check("sendMessage", c.chat, c.at); got != c.want {
					t.Fatalf("call %d (chat %d at %v): retry_after %d, want %d", i, c.chat, c.at.Sub(t0), got, c.want)
				}
			}
		})
	}
}

func TestLimitsCounts(t *testing.T) {
	l := NewLimits(2, 1, 1)
	now := time.Now()
	l.Check("sendMessage", 1, now)
	l.Check("sendMessage", 1, now)                           // chat waits 1 s, bot 0.5 s: the chat's limit
	l.Check("sendMessage", 2, now.Add(100*time.Millisecond)) // a new chat, but the bot waits 0.4 s
	l.Check("sendMessage", 2, now.Add(500*time.Millisecond))
	if l.Accepted() != 2 || l.Refused("global") != 1 || l.Refused("chat") != 1 {
		t.Fatalf("accepted %d, refused global %d chat %d", l.Accepted(), l.Refused("global"), l.Refused("chat"))
	}
}

// Over the wire: a bot client sending too fast gets Telegram's 429 with
// retry_after, and the emulator counts it.
func TestLimitsOverHTTP(t *testing.T) {
	s := New("1:T")
	l := NewLimits(0, 1, 2)
	s.Limit = l.Check
	srv := httptest.NewServer(s)
	defer srv.Close()
	b, err := tg.New("1:T", tg.WithServerURL(srv.URL), tg.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := b.SendMessage(ctx, &tg.SendMessageParams{ChatID: 5, Text: "x"}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	_, err = b.SendMessage(ctx, &tg.SendMessageParams{ChatID: 5, Text: "x"})
	var tmr *tg.TooManyRequestsError
	if !errors.As(err, &tmr) || tmr.RetryAfter != 1 {
		t.Fatalf("third send: %v, want 429 retry after 1", err)
	}
	if s.Limited() != 1 || len(s.Sent()) != 2 {
		t.Fatalf("limited %d, sent %d", s.Limited(), len(s.Sent()))
	}
}
