package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/ratelimit"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestTakeTable(t *testing.T) {
	type step struct {
		advance  time.Duration
		chat     int64
		prio     ratelimit.Priority
		backoff  time.Duration // > 0: call Backoff instead of Take
		global   bool
		wantWait time.Duration
	}
	cases := []struct {
		name  string
		opt   ratelimit.Options
		steps []step
	}{
		{"chat burst then one a second", ratelimit.Options{Global: 100, GlobalBurst: 100, PerChat: 1, ChatBurst: 3}, []step{
			{chat: 1}, {chat: 1}, {chat: 1},
			{chat: 1, wantWait: time.Second},
			{advance: 400 * time.Millisecond, chat: 1, wantWait: 600 * time.Millisecond},
			{chat: 2}, // another chat is not held
			{advance: 600 * time.Millisecond, chat: 1},
			{chat: 1, wantWait: time.Second},
		}},
		{"global bucket shared by chats", ratelimit.Options{Global: 10, GlobalBurst: 2, PerChat: 1, ChatBurst: 1}, []step{
			{chat: 1}, {chat: 2},
			{chat: 3, wantWait: 100 * time.Millisecond, global: true},
			{advance: 100 * time.Millisecond, chat: 3},
			{chat: 4, wantWait: 100 * time.Millisecond, global: true},
		}},
		{"a refused take counts nothing", ratelimit.Options{Global: 10, GlobalBurst: 1, PerChat: 1, ChatBurst: 1}, []step{
			{chat: 1},
			{advance: 100 * time.Millisecond, chat: 1, wantWait: 900 * time.Millisecond}, // chat holds; bot has a token
			{chat: 2}, // so the bot token was not spent by the refused take
		}},
		{"bulk keeps the burst free for urgent", ratelimit.Options{Global: 10, GlobalBurst: 5, BulkBurst: 1, PerChat: -1}, []step{
			{chat: 1, prio: ratelimit.Bulk},
			{chat: 2, prio: ratelimit.Bulk, wantWait: 100 * time.Millisecond, global: true},
			{chat: 3, prio: ratelimit.Urgent},
			{chat: 4, prio: ratelimit.Normal},
			{chat: 5, prio: ratelimit.Bulk, wantWait: 300 * time.Millisecond, global: true},
		}},
		{"429 holds the chat only", ratelimit.Options{Global: 100, GlobalBurst: 10, PerChat: 1, ChatBurst: 3, GlobalAfter: -1}, []step{
			{chat: 1},
			{chat: 1, backoff: 5 * time.Second},
			{chat: 1, wantWait: 5 * time.Second},
			{chat: 2},
			{advance: 5 * time.Second, chat: 1},
		}},
		{"global 429 holds every chat", ratelimit.Options{Global: 100, GlobalBurst: 10, PerChat: 1, ChatBurst: 3}, []step{
			{chat: 1, backoff: 2 * time.Second, global: true},
			{chat: 7, wantWait: 2 * time.Second, global: true},
			{advance: 2 * time.Second, chat: 7},
		}},
		{"three 429s in a second become global", ratelimit.Options{Global: 100, GlobalBurst: 10, PerChat: 1, ChatBurst: 3, GlobalAfter: 3}, []step{
			{chat: 1, backoff: time.Second},
			{chat: 2, backoff: time.Second},
			{chat: 9},
			{chat: 3, backoff: time.Second},
			{chat: 9, wantWait: time.Second, global: true},
		}},
		{"bulk leaves a chat room for an urgent reply", ratelimit.Options{Global: -1, PerChat: 1, ChatBurst: 3, BulkChatBurst: 1}, []step{
			{chat: 1, prio: ratelimit.Bulk},
			{chat: 1, prio: ratelimit.Bulk, wantWait: time.Second},
			{chat: 1, prio: ratelimit.Urgent},
			{chat: 1, prio: ratelimit.Urgent},
			{chat: 1, prio: ratelimit.Urgent, wantWait: time.Second},
		}},
		{"no limits", ratelimit.Options{Global: -1, PerChat: -1}, []step{
			{chat: 1}, {chat: 1}, {chat: 1}, {chat: 1}, {chat: 1},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rdb := redistest.Client(t)
			clk := &clock{t: time.Unix(1_700_000_000, 0)}
			tc.opt.Now = clk.Now
			l := ratelimit.New(rdb, tc.opt)
			ctx := context.Background()
			for i, s := range tc.steps {
				clk.Add(s.advance)
				if s.backoff > 0 {
					if _, err := l.Backoff(ctx, s.chat, s.global, s.backoff); err != nil {
						t.Fatal(err)
					}
					continue
				}
				got, global, err := l.Take(ctx, s.chat, s.prio)
				if err != nil {
					t.Fatal(err)
				}
				if got != s.wantWait || (got > 0 && global != s.global) {
					t.Fatalf("step %d (chat %d): wait %v global %v, want %v global %v", i, s.chat, got, global, s.wantWait, s.global)
				}
			}
		})
	}
}

func TestEveryKeyHasATTLAndOneSlot(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	l := ratelimit.New(rdb, ratelimit.Options{})
	if _, _, err := l.Take(ctx, 42, ratelimit.Normal); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Backoff(ctx, 43, false, time.Second); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 { // bot bucket, two chat buckets, 429 counter
		t.Fatalf("keys = %v", keys)
	}
	for _, k := range keys {
		ttl, err := rdb.PTTL(ctx, k).Result()
		if err != nil || ttl <= 0 {
			t.Errorf("key %s has no TTL (%v, %v)", k, ttl, err)
		}
		if redisSlot(k) != redisSlot(ratelimit.GlobalKey) {
			t.Errorf("key %s is in another slot than %s", k, ratelimit.GlobalKey)
		}
		if k != ratelimit.GlobalKey && k != ratelimit.CounterKey && (k == "wv:{rate}:c:42" || k == "wv:{rate}:c:43") {
			t.Errorf("chat id in clear in key %s", k)
		}
	}
}

// redisSlot returns the hash tag that decides the Cluster slot.
func redisSlot(k string) string {
	for i := 0; i < len(k); i++ {
		if k[i] == '{' {
			for j := i + 1; j < len(k); j++ {
				if k[j] == '}' && j > i+1 {
					return k[i+1 : j]
				}
			}
		}
	}
	return k
}

func TestServerClockAndScriptReload(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	l := ratelimit.New(rdb, ratelimit.Options{Global: 1000, GlobalBurst: 100, PerChat: 1, ChatBurst: 1})
	if d, _, err := l.Take(ctx, 5, ratelimit.Normal); err != nil || d != 0 {
		t.Fatalf("first take: %v %v", d, err)
	}
	d, _, err := l.Take(ctx, 5, ratelimit.Normal)
	if err != nil {
		t.Fatal(err)
	}
	if d <= 900*time.Millisecond || d > time.Second {
		t.Fatalf("second take to the chat: wait %v, want just under 1s", d)
	}
}

// Three replicas on one Redis, each with many senders, together stay within
// the bot-wide rate and still use nearly all of it.
func TestThreeLimitersShareTheGlobalRate(t *testing.T) {
	addr := redistest.Addr(t)
	redistest.Client(t) // flush
	const rate, burst = 200.0, 5
	const run = 2 * time.Second
	var allowed atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), run)
	defer cancel()
	var wg sync.WaitGroup
	for r := 0; r < 3; r++ {
		rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 16})
		defer rdb.Close()
		l := ratelimit.New(rdb, ratelimit.Options{Global: rate, GlobalBurst: burst, BulkBurst: burst, PerChat: -1})
		for s := 0; s < 8; s++ {
			wg.Add(1)
			go func(chat int64) {
				defer wg.Done()
				for ctx.Err() == nil {
					if _, err := l.Wait(ctx, chat, ratelimit.Bulk); err != nil {
						return
					}
					if ctx.Err() == nil {
						allowed.Add(1)
					}
				}
			}(int64(r*100 + s))
		}
	}
	wg.Wait()
	got := float64(allowed.Load())
	upper := rate*run.Seconds() + burst
	lower := 0.9 * rate * run.Seconds()
	t.Logf("allowed %v in %v at %v/s (bounds %v..%v)", got, run, rate, lower, upper)
	if got > upper || got < lower {
		t.Fatalf("allowed %v sends in %v, want between %v and %v", got, run, lower, upper)
	}
}

func BenchmarkTake(b *testing.B) {
	rdb := redistest.Client(b)
	l := ratelimit.New(rdb, ratelimit.Options{Global: -1, PerChat: 1e9, ChatBurst: 1 << 20})
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := l.Take(ctx, int64(i%1000), ratelimit.Normal); err != nil {
			b.Fatal(err)
		}
	}
}
