package emulator

import (
	"math"
	"sync"
	"time"
)

// Limits plays Telegram's flood control: a bucket for the whole bot and one
// per chat, each refilled at a steady rate and holding a small burst. A
// call that finds either bucket empty is refused with 429 and a
// retry_after in whole seconds (at least 1, as Telegram sends); a refused
// call takes no token. Plug it into a server with s.Limit = l.Check.
type Limits struct {
	// Global and PerChat are rates in messages per second; 0 is no limit.
	Global, PerChat float64
	// GlobalBurst and ChatBurst are how many calls may arrive at once.
	GlobalBurst, ChatBurst int

	mu       sync.Mutex
	global   time.Time           // theoretical arrival time of the bot bucket
	chats    map[int64]time.Time // same per chat
	accepted int
	refused  map[string]int // "global" or "chat"
}

// NewLimits returns limits of global and perChat messages per second, each
// bucket holding burst calls.
func NewLimits(global, perChat float64, burst int) *Limits {
	return &Limits{Global: global, PerChat: perChat, GlobalBurst: burst, ChatBurst: burst}
}

// Check is the emulator's Limit hook: 0 lets the call through (and counts
// it), a positive number is the retry_after of a 429.
func (l *Limits) Check(method string, chatID int64, now time.Time) (retryAfter int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.chats == nil {
		l.chats = map[int64]time.Time{}
		l.refused = map[string]int{}
	}
	gNext, gWait := cell(l.global, now, l.Global, l.GlobalBurst)
	cNext, cWait := cell(l.chats[chatID], now, l.PerChat, l.ChatBurst)
	switch {
	case gWait > 0 && gWait >= cWait:
		l.refused["global"]++
		return seconds(gWait)
	case cWait > 0:
		l.refused["chat"]++
		return seconds(cWait)
	}
	l.global = gNext
	if l.PerChat > 0 {
		l.chats[chatID] = cNext
	}
	l.accepted++
	return 0
}

// cell is one GCRA step: the bucket's next arrival time if the call is
// taken, or how long until it could be.
func cell(tat, now time.Time, rate float64, burst int) (time.Time, time.Duration) {
	if rate <= 0 {
		return tat, 0
	}
	interval := time.Duration(float64(time.Second) / rate)
	if tat.Before(now) {
		tat = now
	}
	tolerance := time.Duration(max(burst-1, 0)) * interval
	if wait := tat.Sub(now) - tolerance; wait > 0 {
		return tat, wait
	}
	return tat.Add(interval), 0
}

func seconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

// Accepted returns how many calls the limits let through.
func (l *Limits) Accepted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.accepted
}

// Refused returns how many calls were refused because the bot ("global")
// or a chat ("chat") sent too fast.
func (l *Limits) Refused(scope string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refused[scope]
}
