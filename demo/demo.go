// Package demo runs the real Waakvlam pipeline on an embedded in-memory
// Redis and an in-process Telegram emulator, with the terminal as the
// client's phone. It needs no token, no Redis and no network.
package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/emulator"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/store"
)

const (
	token      = "100000:DEMODEMODEMODEMODEMODEMODEMO"
	clientChat = 4242
	otherChat  = 9999
	// Code is the invite code of the demo client.
	Code = "DEMO"
)

// Options tune the demo.
type Options struct {
	Log *slog.Logger // nil: quiet
}

type phone struct {
	mu      sync.Mutex
	out     io.Writer
	buttons []button // the buttons printed last, numbered from 1
	last    time.Time
}

type button struct {
	text, data string
	msgID      int
}

// Run plays the demo: every line of in is something the client does, the
// bot's answers are written to out. It returns at the end of in.
func Run(ctx context.Context, in io.Reader, out io.Writer, opt Options) error {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return fmt.Errorf("start embedded redis: %w", err)
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), PoolSize: 80})
	defer rdb.Close()

	emu := emulator.New(token)
	srv := httptest.NewServer(emu)
	defer srv.Close()

	cfg, _, err := config.Load("demo", func(string) string { return "" },
		// The emulator has no limits, and a demo should answer at once.
		[]string{"-telegram-token", token, "-telegram-api-url", srv.URL, "-http-addr", "", "-rate-global", "0", "-rate-chat", "0"}, config.Need{})
	if err != nil {
		return err
	}
	cfg.HTTPAddr, cfg.AdminAddr = "", "" // the demo listens on no port
	// Encrypted at rest as in serve, under a key that lives as long as the
	// demo; the embedded Redis keeps no append-only file.
	cfg.Keys, cfg.AOFRewrite = seal.Ephemeral(), 0
	a, err := app.New(cfg, rdb, log, pipeline.Options{Replica: "demo", Block: 50 * time.Millisecond})
	if err != nil {
		return err
	}
	a.PollTimeout = time.Second
	st := a.Store
	if _, err := invite.Create(ctx, st, invite.Request{FirstName: "Sanne", Coach: "Piet", BotUsername: emu.Username, TTL: 14 * 24 * time.Hour, Code: Code, Now: time.Now()}); err != nil {
		return err
	}

	ph := &phone{out: out, last: time.Now()}
	emu.OnSend(ph.show)
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = a.Run(runCtx) }()
	go func() { defer wg.Done(); coachDesk(runCtx, st, ph) }()
	defer func() { stop(); wg.Wait() }()

	fmt.Fprintf(out, `Waakvlam demo: this terminal is the phone of Sanne, a client. Her coach is Piet.
The real pipeline runs on an in-memory Redis and a Telegram emulator.
Type a message and press Enter; type a button's number to press it.
Also: !sticker  !photo [caption]  !edit [text]  !stranger [text]  (end with Ctrl-D)
Type first:  /start %s

`, Code)
	settle(ctx, emu, a.Pipeline, st, ph)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		fmt.Fprintf(out, "> %s\n", line)
		ph.act(emu, line)
		settle(ctx, emu, a.Pipeline, st, ph)
		if ctx.Err() != nil {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	if errs := emu.Errors(); len(errs) > 0 {
		return fmt.Errorf("telegram protocol errors: %v", errs)
	}
	fmt.Fprintln(out, "(end of demo)")
	return nil
}

func (ph *phone) act(emu *emulator.Server, line string) {
	if n, err := strconv.Atoi(line); err == nil {
		ph.mu.Lock()
		var b *button
		if n >= 1 && n <= len(ph.buttons) {
			b = &ph.buttons[n-1]
		}
		ph.mu.Unlock()
		if b == nil {
			fmt.Fprintf(ph.out, "   (there is no button %d; sending it as a message)\n", n)
			emu.UserSays(clientChat, line)
			return
		}
		if b.data != "" {
			emu.UserPresses(clientChat, b.msgID, b.data)
		} else {
			emu.UserSays(clientChat, b.text)
		}
		return
	}
	cmd, rest, _ := strings.Cut(line, " ")
	switch cmd {
	case "!sticker":
		emu.UserSends(clientChat, map[string]any{"sticker": map[string]any{"file_id": "demo-sticker", "file_unique_id": "s", "type": "regular", "width": 512, "height": 512, "is_animated": false, "is_video": false}})
	case "!photo":
		emu.UserSends(clientChat, map[string]any{"caption": rest, "photo": []map[string]any{{"file_id": "demo-photo", "file_unique_id": "p", "width": 800, "height": 600, "file_size": 54321}}})
	case "!edit":
		emu.UserEdits(clientChat, rest)
	case "!stranger":
		if rest == "" {
			rest = "hallo"
		}
		emu.UserSays(otherChat, rest)
	default:
		emu.UserSays(clientChat, line)
	}
}

// show prints what the bot sent, as the client's phone would show it.
func (ph *phone) show(m emulator.Message) {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	ph.last = time.Now()
	who := "🤖"
	if m.ChatID == otherChat {
		who = "🤖 (to the stranger)"
	}
	switch m.Method {
	case "sendMessage":
		fmt.Fprintf(ph.out, "%s %s\n", who, strings.ReplaceAll(m.Text, "\n", "\n   "))
		var btns []button
		var rows [][]string
		for _, row := range m.Inline {
			var cells []string
			for _, b := range row {
				btns = append(btns, button{text: b.Text, data: b.Data, msgID: m.MessageID})
				cells = append(cells, fmt.Sprintf("[%d] %s", len(btns), b.Text))
			}
			rows = append(rows, cells)
		}
		for _, row := range m.Menu {
			var cells []string
			for _, b := range row {
				btns = append(btns, button{text: b})
				cells = append(cells, fmt.Sprintf("[%d] %s", len(btns), b))
			}
			rows = append(rows, cells)
		}
		for _, r := range rows {
			fmt.Fprintf(ph.out, "     %s\n", strings.Join(r, "   "))
		}
		if len(btns) > 0 && m.ChatID == clientChat {
			ph.buttons = btns
		}
		if m.RemoveKeyboard && m.ChatID == clientChat {
			ph.buttons = nil
		}
	case "editMessageReplyMarkup":
		if m.ChatID == clientChat && len(ph.buttons) > 0 && ph.buttons[0].msgID == m.MessageID {
			ph.buttons = nil
		}
	}
}

// coachDesk stands in for the Mattermost bridge: it shows what reaches
// the coach queue.
func coachDesk(ctx context.Context, st *store.Store, ph *phone) {
	for p := store.Partition(0); p < store.Partitions; p++ {
		_ = st.EnsureGroups(ctx, p)
	}
	for ctx.Err() == nil {
		found := false
		for p := store.Partition(0); p < store.Partitions; p++ {
			posts, err := st.ReadCoach(ctx, p, 50, -1, false)
			if err != nil {
				continue
			}
			for _, post := range posts {
				found = true
				var cp pipeline.CoachPost
				if json.Unmarshal(post.Payload, &cp) == nil {
					ph.mu.Lock()
					ph.last = time.Now()
					line := fmt.Sprintf("   📨 coach queue: %s", cp.Kind)
					if cp.Priority {
						line += " (priority)"
					}
					if cp.Severity != "" {
						line += " " + cp.Severity + " " + cp.Category
					}
					if cp.AlertID != "" {
						line += " (alert " + cp.AlertID + ", escalates when nobody picks it up)"
					}
					if cp.Info != "" {
						line += " " + cp.Info
					}
					if cp.Text != "" {
						line += fmt.Sprintf(" %q", shorten(cp.Text, 60))
					}
					if cp.Media != nil {
						line += " [" + cp.Media.Type + "]"
					}
					fmt.Fprintln(ph.out, line)
					ph.mu.Unlock()
				}
				_ = st.AckCoach(ctx, p, post.ID)
			}
		}
		if !found {
			t := time.NewTimer(20 * time.Millisecond)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
	}
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// settle waits until the bot has answered: nothing waits at Telegram, in
// the pipeline or the coach queue, and nothing was printed for a moment.
func settle(ctx context.Context, emu *emulator.Server, p *pipeline.Pipeline, st *store.Store, ph *phone) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(30 * time.Millisecond)
		if emu.Pending() > 0 {
			continue
		}
		n, err := p.Backlog(ctx)
		if err != nil || n > 0 {
			continue
		}
		var coach int64
		for part := store.Partition(0); part < store.Partitions; part++ {
			c, _ := st.CoachBacklog(ctx, part)
			coach += c
		}
		if coach > 0 {
			continue
		}
		ph.mu.Lock()
		quiet := time.Since(ph.last) > 150*time.Millisecond
		ph.mu.Unlock()
		if quiet {
			return
		}
	}
}
