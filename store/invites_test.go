package store_test

import (
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/store"
)

func inviteStore(t *testing.T) (*store.Store, *redis.Client) {
	t.Helper()
	rdb := redistest.Client(t)
	s := store.New(rdb, nil)
	s.SetSecret(store.ServerSecret("123456:TEST"))
	return s, rdb
}

func newClient(t *testing.T, s *store.Store, id string) {
	t.Helper()
	if err := s.CreateClient(ctx, store.Client{ID: id, FirstName: "Sanne", Coach: "Piet", Lang: "nl"}); err != nil {
		t.Fatal(err)
	}
}

func use(t *testing.T, s *store.Store, code string, chat int64, now time.Time) store.InviteUse {
	t.Helper()
	u, err := s.UseInvite(ctx, code, chat, chat*10, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func chatOf(t *testing.T, s *store.Store, id string) (int64, bool) {
	t.Helper()
	c, ok, err := s.LoadClient(ctx, id)
	if err != nil || !ok {
		t.Fatalf("load %s: %v %v", id, ok, err)
	}
	return c.ChatID, c.Stopped
}

// The takeover of issue 12, replayed: an old paper code, redeemed from
// another Telegram account after `client code` made a new one, must not
// move the client, restart a stopped client or cut the first phone off.
func TestOldInviteCodeCannotTakeAClientOver(t *testing.T) {
	s, _ := inviteStore(t)
	now := time.Now()
	newClient(t, s, "c1")
	if err := s.CreateInvite(ctx, "PAPER111", "c1", time.Hour); err != nil { // the first code, on paper
		t.Fatal(err)
	}
	if err := s.CreateInvite(ctx, "NEWCODE2", "c1", time.Hour); err != nil { // client code: a new one
		t.Fatal(err)
	}
	if got, _ := s.RedeemInvite(ctx, "PAPER111", 1); got != "" {
		t.Fatal("the old code still redeems after a new one was made")
	}
	if u := use(t, s, "NEWCODE2", 1, now); u.ClientID != "c1" || u.Prev != 0 {
		t.Fatalf("the client's own phone: %+v", u)
	}
	// The attacker finds the paper code.
	if u := use(t, s, "PAPER111", 2, now); u.ClientID != "" {
		t.Fatalf("old code linked: %+v", u)
	}
	if chat, _ := chatOf(t, s, "c1"); chat != 1 {
		t.Fatalf("client moved to chat %d", chat)
	}
	if links, _ := s.Links(ctx, []int64{1, 2}); links[1] != "c1" || links[2] != "" {
		t.Fatalf("links = %v", links)
	}
	// The used code does not work for anyone else either.
	if u := use(t, s, "NEWCODE2", 2, now); u.ClientID != "" {
		t.Fatalf("used code linked another chat: %+v", u)
	}
	// A stopped client is not restarted by any old code.
	if _, err := s.StopClient(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"PAPER111", "NEWCODE2"} {
		if u := use(t, s, code, 2, now); u.ClientID != "" {
			t.Fatalf("%s restarted a stopped client: %+v", code, u)
		}
	}
	if chat, stopped := chatOf(t, s, "c1"); chat != 0 || !stopped {
		t.Fatalf("stopped client: chat %d stopped %v", chat, stopped)
	}
}

// One live code: a new code, linking, stopping and wiping each end the
// code before.
func TestOnlyTheNewestInviteCodeWorks(t *testing.T) {
	s, rdb := inviteStore(t)
	now := time.Now()
	newClient(t, s, "c1")
	_ = s.CreateInvite(ctx, "AAAA1111", "c1", time.Hour)
	_ = s.CreateInvite(ctx, "BBBB2222", "c1", time.Hour)
	// Making a new code removes the old one from Redis too.
	if n := rdb.Exists(ctx, store.PartitionOfCode("AAAA1111").Invite("AAAA1111", store.ServerSecret("123456:TEST"))).Val(); n != 0 {
		t.Error("the replaced invite is kept")
	}
	if u := use(t, s, "AAAA1111", 5, now); u.ClientID != "" {
		t.Fatalf("replaced code: %+v", u)
	}
	// Stop ends the open code.
	if _, err := s.StopClient(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if u := use(t, s, "BBBB2222", 5, now); u.ClientID != "" {
		t.Fatalf("code of before the stop: %+v", u)
	}
	// A new code after the stop starts the client again.
	_ = s.CreateInvite(ctx, "CCCC3333", "c1", time.Hour)
	if u := use(t, s, "CCCC3333", 5, now); u.ClientID != "c1" {
		t.Fatalf("new code after stop: %+v", u)
	}
	if chat, stopped := chatOf(t, s, "c1"); chat != 5 || stopped {
		t.Fatalf("restarted client: chat %d stopped %v", chat, stopped)
	}
	// Linking ended the code: it is gone from Redis (a retry of the same
	// update finds the chat's link first and needs no code).
	if u := use(t, s, "CCCC3333", 6, now); u.ClientID != "" {
		t.Fatalf("used code from another chat: %+v", u)
	}
	if keys, _ := rdb.Keys(ctx, "*:inv:*").Result(); len(keys) != 0 {
		t.Fatalf("a used invite is kept: %v", keys)
	}
	// Wiping ends an open code.
	_, _ = s.StopClient(ctx, "c1")
	_ = s.CreateInvite(ctx, "DDDD4444", "c1", time.Hour)
	if err := s.DeleteClient(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if u := use(t, s, "DDDD4444", 6, now); u.ClientID != "" {
		t.Fatalf("code of a wiped client: %+v", u)
	}
	keys, _ := rdb.Keys(ctx, "*:inv:*").Result()
	if len(keys) != 0 {
		t.Fatalf("invites left after wiping: %v", keys)
	}
	if err := s.CreateInvite(ctx, "EEEE5555", "nobody", time.Hour); err == nil {
		t.Fatal("invite for a client that does not exist")
	}
}

// A client who starts on another phone with a new code moves there; the
// old chat gets a message and the coach a post, written in one step.
func TestMovedClientIsToldOnTheOldChatAndTheCoachIsTold(t *testing.T) {
	s, rdb := inviteStore(t)
	now := time.Now()
	newClient(t, s, "c1")
	_ = s.CreateInvite(ctx, "FIRST111", "c1", time.Hour)
	if u := use(t, s, "FIRST111", 100, now); u.ClientID != "c1" {
		t.Fatal("first link")
	}
	_ = s.CreateInvite(ctx, "SECOND22", "c1", time.Hour)
	moved := func(id string, prev int64) ([]byte, []byte, error) {
		return []byte(fmt.Sprintf(`{"old":%d}`, prev)), []byte(`{"info":"chat_moved","client":"` + id + `"}`), nil
	}
	u, err := s.UseInvite(ctx, "SECOND22", 200, 7, now, moved)
	if err != nil || u.ClientID != "c1" || u.Prev != 100 {
		t.Fatalf("move: %+v %v", u, err)
	}
	p := store.PartitionOfClient("c1")
	out, _ := rdb.XRange(ctx, p.Outbox(store.LaneNormal), "-", "+").Result()
	if len(out) != 1 || out[0].Values["c"] != "100" || out[0].Values["m"] != `{"old":100}` {
		t.Fatalf("outbox = %+v", out)
	}
	posts, _ := rdb.XRange(ctx, p.CoachQueue(), "-", "+").Result()
	if len(posts) != 1 || !strings.Contains(posts[0].Values["m"].(string), "chat_moved") {
		t.Fatalf("coach queue = %+v", posts)
	}
	evs, _ := s.Events(ctx, p)
	if len(evs) != 1 || evs[0].Kind != "client_moved" {
		t.Fatalf("events = %+v", evs)
	}
	if links, _ := s.Links(ctx, []int64{100, 200}); links[100] != "" || links[200] != "c1" {
		t.Fatalf("links = %v", links)
	}
	// Trying the code again moves nothing twice.
	if u, _ := s.UseInvite(ctx, "SECOND22", 200, 7, now, moved); u.Prev != 0 {
		t.Fatalf("again: %+v", u)
	}
	if chat, _ := chatOf(t, s, "c1"); chat != 200 {
		t.Fatalf("client on chat %d", chat)
	}
	if n := rdb.XLen(ctx, p.Outbox(store.LaneNormal)).Val(); n != 1 {
		t.Fatalf("old chat told %d times", n)
	}
}

// Wrong codes are limited per chat and for the whole bot; over a limit even
// the right code is not checked; the bot-wide flood is reported once.
func TestWrongCodesAreLimitedPerChatAndBotWide(t *testing.T) {
	defer setLimits(store.InviteTriesPerChat, store.InviteFailLimit)
	store.InviteTriesPerChat, store.InviteFailLimit = 10, 30
	s, _ := inviteStore(t)
	now := time.Date(2026, 11, 30, 10, 1, 0, 0, time.UTC)
	newClient(t, s, "c1")
	_ = s.CreateInvite(ctx, "RIGHT123", "c1", time.Hour)
	for i := 0; i < 10; i++ {
		if u := use(t, s, fmt.Sprintf("WRONG%03d", i), 1, now); u.ClientID != "" || u.Limited {
			t.Fatalf("wrong try %d: %+v", i, u)
		}
	}
	if u := use(t, s, "RIGHT123", 1, now); u.ClientID != "" || !u.Limited {
		t.Fatalf("right code after ten wrong ones from the same chat: %+v", u)
	}
	floods := 0
	for i := 0; i < 40; i++ { // other chats: 20 more wrong codes reach the bot-wide limit
		u := use(t, s, fmt.Sprintf("WRONG%03d", i), int64(1000+i), now)
		if u.Flood {
			floods++
		}
	}
	if floods != 1 {
		t.Fatalf("flood reported %d times", floods)
	}
	if u := use(t, s, "RIGHT123", 2, now); u.ClientID != "" || !u.Limited {
		t.Fatalf("right code during a flood: %+v", u)
	}
	// After the window the right code works again, from a fresh chat.
	later := now.Add(store.InviteFailWindow)
	if u := use(t, s, "RIGHT123", 2, later); u.ClientID != "c1" {
		t.Fatalf("right code after the flood: %+v", u)
	}
}

func setLimits(perChat, global int64) {
	store.InviteTriesPerChat, store.InviteFailLimit = perChat, global
}

func randomCode() string {
	const alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// 10,000 random guesses from 2,000 chats bind no client and leave bounded
// state: a few counters, all with a TTL, whose size does not grow with the
// guesses. Once with the limits as shipped, once with the limits out of
// the way (every guess checked).
func TestTenThousandGuessesBindNoClientAndLeaveBoundedState(t *testing.T) {
	for _, tc := range []struct {
		name            string
		perChat, global int64
	}{{"limits as shipped", store.InviteTriesPerChat, store.InviteFailLimit}, {"every guess checked", 1 << 40, 1 << 40}} {
		t.Run(tc.name, func(t *testing.T) {
			defer setLimits(store.InviteTriesPerChat, store.InviteFailLimit)
			setLimits(tc.perChat, tc.global)
			s, rdb := inviteStore(t)
			now := time.Now()
			var ids []string
			for i := 0; i < 50; i++ {
				id := fmt.Sprintf("c%02d", i)
				newClient(t, s, id)
				if err := s.CreateInvite(ctx, randomCode(), id, time.Hour); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			before := map[string]bool{}
			keys, _ := rdb.Keys(ctx, "*").Result()
			for _, k := range keys {
				before[k] = true
			}
			const guesses, chats, workers = 10000, 2000, 8
			var wg sync.WaitGroup
			var mu sync.Mutex
			linked, floods := 0, 0
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := w; i < guesses; i += workers {
						chat := int64(5_000_000 + i%chats)
						u, err := s.UseInvite(ctx, randomCode(), chat, int64(i), now, nil)
						if err == nil {
							_, err = s.CountStranger(ctx, chat)
						}
						mu.Lock()
						if err != nil {
							t.Error(err)
						}
						if u.ClientID != "" {
							linked++
						}
						if u.Flood {
							floods++
						}
						mu.Unlock()
					}
				}(w)
			}
			wg.Wait()
			if linked != 0 {
				t.Fatalf("%d guesses linked a client", linked)
			}
			for _, id := range ids {
				if chat, _ := chatOf(t, s, id); chat != 0 {
					t.Fatalf("client %s bound to chat %d", id, chat)
				}
			}
			if tc.global < 1<<40 && floods != 1 {
				t.Errorf("flood reported %d times", floods)
			}
			keys, _ = rdb.Keys(ctx, "*").Result()
			var added []string
			var bytes, fails int64
			for _, k := range keys {
				if before[k] {
					continue
				}
				added = append(added, k)
				if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 {
					t.Errorf("key %s has no TTL", k)
				}
				bytes += rdb.MemoryUsage(ctx, k).Val()
				if strings.Contains(k, ":strangers:") {
					fields, _ := rdb.HKeys(ctx, k).Result()
					if int64(len(fields)) > store.StrangerCap {
						t.Errorf("%s has %d fields", k, len(fields))
					}
					for _, f := range fields {
						if strings.HasPrefix(f, "f:") {
							fails++
						}
						if strings.Contains(f, "5000") {
							t.Errorf("field %s names a chat", f)
						}
					}
				}
			}
			// One counter hash per partition (two if the hour turned), the
			// bot-wide counter (two windows at most) and the flood marker.
			if len(added) > 2*store.Partitions+3 {
				t.Errorf("%d new keys: %v", len(added), added)
			}
			if fails > tc.global && fails > chats {
				t.Errorf("%d chats with wrong codes kept", fails)
			}
			t.Logf("%d guesses: %d new keys, %d bytes, %d chats with wrong codes counted", guesses, len(added), bytes, fails)
		})
	}
}
