package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/store"
)

// The takeover of issue 12, replayed through the running bot: an old
// paper code, found after the coach made a new one (`client code`), is
// sent from another Telegram account. It must not move the client, cut
// the first phone off or restart a stopped client. A real move (a new code
// on a new phone) tells the old phone and the coach.
func TestOldInviteCodeDoesNotTakeTheClientOver(t *testing.T) {
	r := newRig(t)
	id := r.invite("Sanne", "PAPER111") // the first code, on paper
	a, _ := r.start("a")
	ctx := context.Background()
	const phone, attacker, newPhone = 7001, 7002, 7003
	newCode := func(code string) {
		t.Helper()
		if err := a.Store.CreateInvite(ctx, code, id, time.Hour); err != nil { // what `client code` does
			t.Fatal(err)
		}
	}
	newCode("NEWCODE2")
	r.emu.UserSays(phone, "/start NEWCODE2")
	if got := r.waitTexts(phone, 3); !strings.Contains(got[0], "Hallo Sanne") {
		t.Fatalf("welcome = %q", got)
	}
	// The attacker sends the paper code.
	r.emu.UserSays(attacker, "/start PAPER111")
	if got := r.waitTexts(attacker, 1); !strings.Contains(got[0], "code werkt niet") {
		t.Fatalf("old code answer = %q", got)
	}
	c, _, _ := a.Store.LoadClient(ctx, id)
	if c.ChatID != phone {
		t.Fatalf("client moved to chat %d", c.ChatID)
	}
	r.emu.UserSays(phone, "Hoi Piet")
	if got := r.waitTexts(phone, 4); !strings.Contains(got[3], "Piet") {
		t.Fatalf("the client's own phone was cut off: %q", got)
	}

	// A real move: the coach makes a new code for a new phone.
	newCode("NEWPHONE")
	r.emu.UserSays(newPhone, "/start NEWPHONE")
	r.waitTexts(newPhone, 3)
	if got := r.waitTexts(phone, 5); !strings.Contains(got[4], "andere telefoon") {
		t.Fatalf("old phone was not told: %q", got)
	}
	if posts := waitPosts(t, a, id, "info", 1); !hasInfo(posts, pipeline.InfoChatMoved) {
		t.Fatalf("coach was not told of the move: %+v", posts)
	}

	// Stopped: no old code starts the client again.
	if _, err := a.Store.StopClient(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"PAPER111", "NEWCODE2", "NEWPHONE"} {
		r.emu.UserSays(attacker, "/start "+code)
	}
	r.waitTexts(attacker, 3) // a stranger gets three answers an hour
	time.Sleep(500 * time.Millisecond)
	if c, _, _ := a.Store.LoadClient(ctx, id); c.ChatID != 0 || !c.Stopped {
		t.Fatalf("stopped client restarted: chat %d stopped %v", c.ChatID, c.Stopped)
	}
	if errs := r.emu.Errors(); len(errs) > 0 {
		t.Fatalf("protocol errors: %v", errs)
	}
}

func hasInfo(posts []pipeline.CoachPost, info string) bool {
	for _, p := range posts {
		if p.Info == info {
			return true
		}
	}
	return false
}

// Guessing codes from many chats: past the bot-wide limit no code is
// checked, and one notice for the project leaders waits in a coach queue.
func TestInviteGuessingFloodIsReportedOnce(t *testing.T) {
	defer func(l int64) { store.InviteFailLimit = l }(store.InviteFailLimit)
	store.InviteFailLimit = 5
	r := newRig(t)
	r.invite("Sanne", "RIGHT234")
	a, _ := r.start("a")
	for i := 0; i < 8; i++ {
		r.emu.UserSays(int64(8000+i), fmt.Sprintf("/start GUESS%03d", i))
	}
	for i := 0; i < 8; i++ {
		r.waitTexts(int64(8000+i), 1)
	}
	r.emu.UserSays(8100, "/start RIGHT234") // during the flood: not checked
	if got := r.waitTexts(8100, 1); !strings.Contains(got[0], "code werkt niet") {
		t.Fatalf("right code during a flood: %q", got)
	}
	ctx := context.Background()
	floods := 0
	for p := store.Partition(0); p < store.Partitions; p++ {
		msgs, _ := a.Store.Redis().XRange(ctx, p.CoachQueue(), "-", "+").Result()
		for _, m := range msgs {
			if s, _ := m.Values["m"].(string); strings.Contains(s, string(pipeline.KindInviteFlood)) {
				floods++
			}
		}
	}
	if floods != 1 {
		t.Fatalf("%d flood notices, want 1", floods)
	}
}
