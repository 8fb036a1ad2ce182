package coach_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/emulator"
	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/store"
)

func TestMain(m *testing.M) { redistest.Main(m) }

const token = "123456:TESTTOKENTESTTOKENTESTTOKEN"

// TestIntegrationBridge runs the whole coach flow against a real
// Mattermost server (deploy/mattermost-dev.sh start; then source its env
// file): a coach invites a client by direct message, the client starts,
// writes and sends a photo, the coach answers with text and an image, and
// an internal note stays in Mattermost.
func TestIntegrationBridge(t *testing.T) {
	url, botToken, team := os.Getenv("WAAKVLAM_MATTERMOST_URL"), os.Getenv("WAAKVLAM_MATTERMOST_TOKEN"), os.Getenv("WAAKVLAM_MATTERMOST_TEAM")
	coachToken, coachUser := os.Getenv("WAAKVLAM_MM_COACH1_TOKEN"), os.Getenv("WAAKVLAM_MM_COACH1_USERNAME")
	if url == "" || botToken == "" || coachToken == "" {
		t.Skip("no real Mattermost: run deploy/mattermost-dev.sh start and source its env file (scripts/test.sh does)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	emu := emulator.New(token)
	tgsrv := httptest.NewServer(emu)
	defer tgsrv.Close()
	staffFile := filepath.Join(t.TempDir(), "staff.yaml")
	coach2User, adminUser := os.Getenv("WAAKVLAM_MM_COACH2_USERNAME"), os.Getenv("WAAKVLAM_MM_ADMIN_USERNAME")
	if err := os.WriteFile(staffFile, []byte("coaches:\n  - {username: "+coachUser+", name: Piet}\n  - {username: "+coach2User+", name: Sanne}\nproject_leaders: ["+adminUser+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load("test", func(string) string { return "" }, []string{
		"-telegram-token", token, "-telegram-api-url", tgsrv.URL, "-http-addr", "", "-bot-username", "WaakTestBot",
		"-mattermost-url", url, "-mattermost-token", botToken, "-mattermost-team", team, "-staff-file", staffFile,
		"-rate-global", "0", "-rate-chat", "0",
	}, config.Need{Telegram: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPAddr, cfg.AdminAddr = "", ""
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.New(cfg, redistest.Client(t), log, pipeline.Options{Replica: "it", Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a.PollTimeout = time.Second
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(runCtx) }()
	stopped := false
	defer func() {
		if !stopped {
			stop()
			<-done
		}
	}()

	coach := mattermost.New(url, coachToken)
	botID, _, err := mattermost.New(url, botToken).Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dm, err := coach.DirectChannel(ctx, botID)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()

	// 1. The coach invites a client in a direct message to the bot.
	waitBridge(t, a)
	if _, err := coach.CreatePost(ctx, mattermost.Post{ChannelID: dm, Message: "client nieuw Sanne"}, nil); err != nil {
		t.Fatal(err)
	}
	answer := waitPost(t, coach, dm, start, func(p mattermost.Post) bool { return p.UserID == botID && strings.Contains(p.Message, "Code:") })
	if len(answer.FileIDs) != 1 {
		t.Errorf("invite answer has %d files, want the QR code", len(answer.FileIDs))
	}
	code := regexp.MustCompile("Code: `([A-Z0-9]+)`").FindStringSubmatch(answer.Message)
	if code == nil {
		t.Fatalf("no code in %q", answer.Message)
	}
	channel := waitClientChannel(t, a, ctx)

	// 2. The client starts and writes; the coach sees it in the channel.
	const chat = 8080
	emu.UserSays(chat, "/start "+code[1])
	waitSent(t, emu, chat, 3)
	waitPost(t, coach, channel, start, func(p mattermost.Post) bool { return strings.Contains(p.Message, "gestart met de bot") })
	emu.UserSays(chat, "Hoi Piet, kan ik morgen bellen?")
	waitPost(t, coach, channel, start, func(p mattermost.Post) bool { return strings.Contains(p.Message, "> Hoi Piet, kan ik morgen bellen?") })
	emu.AddFile("photo-1", "brief.jpg", []byte("\xff\xd8\xff fake jpeg"))
	emu.UserSends(chat, map[string]any{"caption": "de brief", "photo": []map[string]any{{"file_id": "photo-1", "file_unique_id": "p1", "width": 10, "height": 10}}})
	photoPost := waitPost(t, coach, channel, start, func(p mattermost.Post) bool { return strings.Contains(p.Message, "Foto") })
	if len(photoPost.FileIDs) != 1 {
		t.Fatalf("photo post carries %d files", len(photoPost.FileIDs))
	}

	// The letter dialog: pages, who it is from, one post with the pages.
	emu.AddFile("page-1", "brief1.jpg", pngBytes())
	emu.UserSays(chat, "✉️ Hulp met een brief")
	before := len(emu.Sent())
	emu.UserSends(chat, map[string]any{"photo": []map[string]any{{"file_id": "page-1", "file_unique_id": "l1", "width": 8, "height": 8}}})
	deadline := time.Now().Add(20 * time.Second)
	var klaar emulator.Message
	for time.Now().Before(deadline) && klaar.MessageID == 0 {
		for _, m := range emu.Sent()[before:] {
			if len(m.Inline) > 0 && m.Inline[0][0].Data == "letter:done" && strings.Contains(m.Text, "Bladzijde 1") {
				klaar = m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if klaar.MessageID == 0 {
		t.Fatal("no page confirmation")
	}
	emu.UserPresses(chat, klaar.MessageID, "letter:done")
	emu.UserPresses(chat, waitButton(t, emu, chat, "letter:from:gemeente").MessageID, "letter:from:gemeente")
	emu.UserPresses(chat, waitButton(t, emu, chat, "letter:noq").MessageID, "letter:noq")
	letter := waitPost(t, coach, channel, start, func(p mattermost.Post) bool { return strings.Contains(p.Message, "Brief** van Gemeente") })
	if len(letter.FileIDs) != 1 {
		t.Fatalf("letter post carries %d files", len(letter.FileIDs))
	}
	time.Sleep(500 * time.Millisecond)
	nSent := len(waitSent(t, emu, chat, 1))

	// 3. The coach answers; the client gets it; the post gets a ✅.
	reply, err := coach.CreatePost(ctx, mattermost.Post{ChannelID: channel, Message: "Ja hoor, bel me om 10 uur."}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := waitSent(t, emu, chat, nSent+1)
	if last := got[len(got)-1]; !strings.Contains(last.Text, "Ja hoor, bel me om 10 uur.") || !strings.Contains(last.Text, "Piet") {
		t.Fatalf("client got %q", last.Text)
	}
	waitReaction(t, a, ctx, coach, channel, reply.ID)

	// 4. An internal note stays; an image goes as a photo.
	if _, err := coach.CreatePost(ctx, mattermost.Post{ChannelID: channel, Message: "// notitie: belt vaak op maandag"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := coach.CreatePost(ctx, mattermost.Post{ChannelID: channel, Message: ""}, []mattermost.File{{Name: "plan.png", MIME: "image/png", Data: pngBytes()}}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && emu.Calls("sendPhoto") == 0 {
		time.Sleep(50 * time.Millisecond)
	}
	if emu.Calls("sendPhoto") != 1 {
		dumpCalls(t, emu)
		t.Fatalf("image not sent as photo")
	}
	for _, m := range emu.Sent() {
		if strings.Contains(m.Text, "notitie") {
			t.Fatal("internal note reached the client")
		}
	}
	// Reminders, status and level by command; settings for project leaders only.
	ask := func(c *mattermost.Client, ch, text, want string) {
		t.Helper()
		if _, err := c.CreatePost(ctx, mattermost.Post{ChannelID: ch, Message: text}, nil); err != nil {
			t.Fatal(err)
		}
		waitPost(t, c, ch, start, func(p mattermost.Post) bool { return p.UserID == botID && strings.Contains(p.Message, want) })
	}
	ask(coach, dm, `herinnering nieuw Sanne "💊 Pillen" elke dag om 8:00`, "elke dag om 8:00")
	ask(coach, dm, "herinnering lijst Sanne", "💊 Pillen")
	ask(coach, dm, "niveau Sanne intensief", "niveau intensief")
	ask(coach, dm, "client status Sanne", "Laatste contact")
	ask(coach, dm, "instellingen zet snooze.after 20m", "alleen projectleiders")
	admin := mattermost.New(url, os.Getenv("WAAKVLAM_MM_ADMIN_TOKEN"))
	adm, err := admin.DirectChannel(ctx, botID)
	if err != nil {
		t.Fatal(err)
	}
	ask(admin, adm, "instellingen zet snooze.after 20m", "logboek")
	if got := a.Settings.Get().SnoozeAfter; got != 20*time.Minute {
		t.Fatalf("snooze after %v", got)
	}

	// 5. An urgent message: the coach is mentioned, picks it up in the
	// channel, and "oppakken" does not reach the client.
	emu.UserSays(chat, "ik wil er niet meer zijn, ik wil dood")
	alertPost := waitPost(t, coach, channel, start, func(p mattermost.Post) bool { return strings.Contains(p.Message, "Zorgsignaal: urgent") })
	if !strings.Contains(alertPost.Message, "@"+coachUser) || !strings.Contains(alertPost.Message, "> ik wil er niet meer zijn, ik wil dood") {
		t.Fatalf("alert post = %q", alertPost.Message)
	}
	if _, err := coach.CreatePost(ctx, mattermost.Post{ChannelID: channel, Message: "oppakken"}, nil); err != nil {
		t.Fatal(err)
	}
	waitPost(t, coach, channel, start, func(p mattermost.Post) bool { return strings.Contains(p.Message, "@"+coachUser+" pakt zorgsignaal") })
	for _, m := range emu.Sent() {
		if strings.Contains(m.Text, "oppakken") {
			t.Fatal("the pick-up word reached the client")
		}
	}
	sentBefore := len(emu.Sent())

	// 6. The bot restarts; a coach reply written while it was down is
	// caught up once.
	stop()
	<-done
	stopped = true
	if _, err := coach.CreatePost(ctx, mattermost.Post{ChannelID: channel, Message: "Ben je er nog? Groet, Piet"}, nil); err != nil {
		t.Fatal(err)
	}
	a2, err := app.New(cfg, a.Store.Redis().(*redis.Client), log, pipeline.Options{Replica: "it2", Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a2.PollTimeout = time.Second
	runCtx2, stop2 := context.WithCancel(ctx)
	done2 := make(chan struct{})
	go func() { defer close(done2); _ = a2.Run(runCtx2) }()
	defer func() { stop2(); <-done2 }()
	deadline = time.Now().Add(30 * time.Second)
	for len(emu.Sent()) <= sentBefore && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	n := 0
	for _, m := range emu.Sent() {
		if strings.Contains(m.Text, "Ben je er nog?") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("reply written during the restart arrived %d times", n)
	}

	// 7. Someone who is not staff gets a polite no.
	other := mattermost.New(url, os.Getenv("WAAKVLAM_MM_COACH2_TOKEN"))
	if _, err := other.PostsAfter(ctx, channel, start); err == nil {
		t.Fatal("another coach can read the client's channel")
	}
	odm, err := other.DirectChannel(ctx, botID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.CreatePost(ctx, mattermost.Post{ChannelID: odm, Message: "client stop Sanne"}, nil); err != nil {
		t.Fatal(err)
	}
	waitPost(t, other, odm, start, func(p mattermost.Post) bool {
		return p.UserID == botID && strings.Contains(p.Message, "Ik vind geen cliënt")
	})
	if _, err := other.CreatePost(ctx, mattermost.Post{ChannelID: odm, Message: "client lijst"}, nil); err != nil {
		t.Fatal(err)
	}
	waitPost(t, other, odm, start, func(p mattermost.Post) bool {
		return p.UserID == botID && strings.Contains(p.Message, "nog geen cliënten")
	})
	cid, _ := a2.Store.ClientOfChannel(ctx, channel)
	if c, _, _ := a2.Store.LoadClient(ctx, cid); c.Stopped || c.ChatID != chat {
		t.Fatal("another coach stopped the client")
	}

	// 8. Wiping is a second step after stopping; then nothing is left.
	ask(coach, dm, "client wissen Sanne", "Stop eerst")
	ask(coach, dm, "client stop Sanne", "De bot is gestopt")
	// This server does not allow a permanent delete over the API: the
	// channel is archived, and the answer says so.
	ask(coach, dm, "client wissen "+cid, "Het kanaal is gearchiveerd")
	if _, ok, _ := a2.Store.LoadClient(ctx, cid); ok {
		t.Fatal("client record kept after wiping")
	}
	if errs := emu.Errors(); len(errs) > 0 {
		t.Fatalf("telegram protocol errors: %v", errs)
	}
}

func waitBridge(t *testing.T, a *app.App) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !a.Bridge.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("bridge did not connect")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the WebSocket says hello after Ready
}

func waitPost(t *testing.T, c *mattermost.Client, channel string, since time.Time, ok func(mattermost.Post) bool) mattermost.Post {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		posts, err := c.PostsAfter(context.Background(), channel, since.Add(-time.Second))
		if err == nil {
			for _, p := range posts {
				if ok(p) {
					return p
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("expected post did not appear in channel %s", channel)
	return mattermost.Post{}
}

func waitClientChannel(t *testing.T, a *app.App, ctx context.Context) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ids, _ := a.Store.ClientIDs(ctx)
		for _, id := range ids {
			if c, ok, _ := a.Store.LoadClient(ctx, id); ok && c.Channel != "" {
				return c.Channel
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no client channel made")
	return ""
}

func waitSent(t *testing.T, emu *emulator.Server, chat int64, n int) []emulator.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got []emulator.Message
		for _, m := range emu.Sent() {
			if m.ChatID == chat && m.Method == "sendMessage" {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("client got %d messages, want %d", len(got), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitReaction(t *testing.T, a *app.App, ctx context.Context, c *mattermost.Client, channel, postID string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if n, err := c.ReactionCount(ctx, postID, "white_check_mark"); err == nil && n > 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("no ✅ on the delivered coach post")
}

// pngBytes is a small real PNG.
func pngBytes() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

func dumpCalls(t *testing.T, emu *emulator.Server) {
	for _, m := range []string{"sendMessage", "sendPhoto", "sendDocument", "sendVoice"} {
		t.Logf("%s: %d", m, emu.Calls(m))
	}
	t.Logf("errors: %v", emu.Errors())
}

// proxy forwards TCP to target while up; while down it drops connections,
// as an unreachable Mattermost does.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	up     bool
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			up := p.up
			p.mu.Unlock()
			if !up {
				_ = c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); _ = s.Close() }()
			go func() { _, _ = io.Copy(c, s); _ = c.Close() }()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); p.set(false) })
	return p
}

func (p *proxy) set(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.conns = nil
	}
}

// TestIntegrationMattermostAwayKeepsPostsInOrder: while Mattermost cannot
// be reached the client is still answered, and the posts for the coach
// wait in Redis and arrive in order once it is back.
func TestIntegrationMattermostAwayKeepsPostsInOrder(t *testing.T) {
	mmURL, botToken, team := os.Getenv("WAAKVLAM_MATTERMOST_URL"), os.Getenv("WAAKVLAM_MATTERMOST_TOKEN"), os.Getenv("WAAKVLAM_MATTERMOST_TEAM")
	coachToken, coachUser := os.Getenv("WAAKVLAM_MM_COACH1_TOKEN"), os.Getenv("WAAKVLAM_MM_COACH1_USERNAME")
	if mmURL == "" || botToken == "" || coachToken == "" {
		t.Skip("no real Mattermost: run deploy/mattermost-dev.sh start and source its env file (scripts/test.sh does)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	u, _ := neturl.Parse(mmURL)
	px := newProxy(t, u.Host)
	px.set(true)

	emu := emulator.New(token)
	tgsrv := httptest.NewServer(emu)
	defer tgsrv.Close()
	staffFile := filepath.Join(t.TempDir(), "staff.yaml")
	_ = os.WriteFile(staffFile, []byte("coaches:\n  - {username: "+coachUser+", name: Piet}\n"), 0o600)
	cfg, _, err := config.Load("test", func(string) string { return "" }, []string{
		"-telegram-token", token, "-telegram-api-url", tgsrv.URL, "-http-addr", "", "-bot-username", "WaakTestBot",
		"-mattermost-url", "http://" + px.ln.Addr().String(), "-mattermost-token", botToken, "-mattermost-team", team, "-staff-file", staffFile,
		"-rate-global", "0", "-rate-chat", "0",
	}, config.Need{Telegram: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPAddr, cfg.AdminAddr = "", ""
	rdb := redistest.Client(t)
	a, err := app.New(cfg, rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), pipeline.Options{Replica: "away", Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a.PollTimeout = time.Second
	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: "Noor", Coach: "Piet", CoachUser: coachUser, BotUsername: "b", TTL: time.Hour, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(runCtx) }()
	defer func() { stop(); <-done }()
	waitBridge(t, a)

	const chat = 9090
	emu.UserSays(chat, "/start "+inv.Code)
	waitSent(t, emu, chat, 3)
	channel := waitClientChannel(t, a, ctx)
	start := time.Now()

	px.set(false) // Mattermost goes away
	for i := 1; i <= 3; i++ {
		emu.UserSays(chat, fmt.Sprintf("bericht %d", i))
	}
	waitSent(t, emu, chat, 6) // the client is answered all the same
	time.Sleep(time.Second)
	var waiting int64
	for p := store.Partition(0); p < store.Partitions; p++ {
		n, _ := a.Store.CoachBacklog(ctx, p)
		waiting += n
	}
	if waiting < 3 {
		t.Fatalf("%d posts wait for the coach, want 3", waiting)
	}

	px.set(true) // and comes back
	coach := mattermost.New(mmURL, coachToken)
	waitPost(t, coach, channel, start, func(p mattermost.Post) bool { return strings.Contains(p.Message, "> bericht 3") })
	posts, err := coach.PostsAfter(ctx, channel, start)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, p := range posts {
		for i := 1; i <= 3; i++ {
			if strings.Contains(p.Message, fmt.Sprintf("> bericht %d", i)) {
				order = append(order, strconv.Itoa(i))
			}
		}
	}
	if strings.Join(order, ",") != "1,2,3" {
		t.Fatalf("posts arrived as %v, want 1,2,3 once each", order)
	}
}

// waitButton waits for a message to chat that carries a button with data.
func waitButton(t *testing.T, emu *emulator.Server, chat int64, data string) emulator.Message {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range emu.Sent() {
			for _, row := range m.Inline {
				for _, b := range row {
					if m.ChatID == chat && b.Data == data {
						return m
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no button %q", data)
	return emulator.Message{}
}

// TestIntegrationOnlyResponsiblePeopleReachTheClient: a colleague (a coach
// who is not this client's coach or backup) added to the client's channel
// by its coach is removed by the bot, live and after the bot was away, and
// the colleague's post never reaches the client; the coach's and a project
// leader's posts do.
func TestIntegrationOnlyResponsiblePeopleReachTheClient(t *testing.T) {
	mmURL, botToken, team := os.Getenv("WAAKVLAM_MATTERMOST_URL"), os.Getenv("WAAKVLAM_MATTERMOST_TOKEN"), os.Getenv("WAAKVLAM_MATTERMOST_TEAM")
	coachToken, coachUser := os.Getenv("WAAKVLAM_MM_COACH1_TOKEN"), os.Getenv("WAAKVLAM_MM_COACH1_USERNAME")
	otherToken, otherUser := os.Getenv("WAAKVLAM_MM_COACH2_TOKEN"), os.Getenv("WAAKVLAM_MM_COACH2_USERNAME")
	adminToken, adminUser := os.Getenv("WAAKVLAM_MM_ADMIN_TOKEN"), os.Getenv("WAAKVLAM_MM_ADMIN_USERNAME")
	if mmURL == "" || botToken == "" || coachToken == "" || otherToken == "" || adminToken == "" {
		t.Skip("no real Mattermost: run deploy/mattermost-dev.sh start and source its env file (scripts/test.sh does)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	emu := emulator.New(token)
	tgsrv := httptest.NewServer(emu)
	defer tgsrv.Close()
	staffFile := filepath.Join(t.TempDir(), "staff.yaml")
	// The other coach is staff, but neither coach nor backup of this client.
	_ = os.WriteFile(staffFile, []byte("coaches:\n  - {username: "+coachUser+", name: Piet}\n  - {username: "+otherUser+", name: Kees}\nproject_leaders: ["+adminUser+"]\n"), 0o600)
	cfg, _, err := config.Load("test", func(string) string { return "" }, []string{
		"-telegram-token", token, "-telegram-api-url", tgsrv.URL, "-http-addr", "", "-bot-username", "WaakTestBot",
		"-mattermost-url", mmURL, "-mattermost-token", botToken, "-mattermost-team", team, "-staff-file", staffFile,
		"-rate-global", "0", "-rate-chat", "0",
	}, config.Need{Telegram: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPAddr, cfg.AdminAddr = "", ""
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	rdb := redistest.Client(t)
	run := func(replica string) (*app.App, func()) {
		a, err := app.New(cfg, rdb, log, pipeline.Options{Replica: replica, Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		a.PollTimeout = time.Second
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = a.Run(runCtx) }()
		var once sync.Once
		return a, func() { once.Do(func() { stop(); <-done }) }
	}
	a, stop := run("acc1")
	defer func() { stop() }()
	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: "Noor", Coach: "Piet", CoachUser: coachUser, BotUsername: "b", TTL: time.Hour, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	waitBridge(t, a)
	const chat = 9191
	emu.UserSays(chat, "/start "+inv.Code)
	waitSent(t, emu, chat, 3)
	channel := waitClientChannel(t, a, ctx)
	start := time.Now()

	coach, other, admin := mattermost.New(mmURL, coachToken), mattermost.New(mmURL, otherToken), mattermost.New(mmURL, adminToken)
	otherID, _, err := other.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	adminID, _, err := admin.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	isMember := func(userID string) bool {
		ms, err := admin.Members(ctx, channel)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m == userID {
				return true
			}
		}
		return false
	}
	waitGone := func(userID string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for isMember(userID) {
			if time.Now().After(deadline) {
				t.Fatal("the colleague was not removed from the client's channel")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// 1. Live: the coach adds a colleague (Mattermost lets any member of a
	// private channel do so); the bot takes the colleague out again and
	// tells the coach. A post the colleague gets in first stays here.
	if err := coach.AddMembers(ctx, channel, []string{otherID}); err != nil {
		t.Fatal(err)
	}
	_, _ = other.CreatePost(ctx, mattermost.Post{ChannelID: channel, Message: "Hoi Noor, snel even van Kees"}, nil)
	waitGone(otherID)
	waitPost(t, coach, channel, start, func(p mattermost.Post) bool {
		return strings.Contains(p.Message, "@"+otherUser+" is uit dit kanaal gehaald")
	})

	// 2. While the bot is away: added again, and the colleague posts. After
	// the restart the bot removes the colleague, marks the post 🚫 and
	// never sends it.
	stop()
	if err := coach.AddMembers(ctx, channel, []string{otherID}); err != nil {
		t.Fatal(err)
	}
	colleague, err := other.CreatePost(ctx, mattermost.Post{ChannelID: channel, Message: "Hallo Noor, hier Kees, een collega"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a2, stop2 := run("acc2")
	defer stop2()
	waitBridge(t, a2)
	waitGone(otherID)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if n, err := coach.ReactionCount(ctx, colleague.ID, "no_entry_sign"); err == nil && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the colleague's post was not marked as not sent")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// 3. The coach and a project leader do reach the client.
	n := len(waitSent(t, emu, chat, 3))
	if _, err := coach.CreatePost(ctx, mattermost.Post{ChannelID: channel, Message: "Hoi Noor, hier Piet."}, nil); err != nil {
		t.Fatal(err)
	}
	waitSent(t, emu, chat, n+1)
	if err := admin.AddMembers(ctx, channel, []string{adminID}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreatePost(ctx, mattermost.Post{ChannelID: channel, Message: "Hoi Noor, hier de projectleider."}, nil); err != nil {
		t.Fatal(err)
	}
	got := waitSent(t, emu, chat, n+2)
	time.Sleep(2 * time.Second) // room for a wrong message to arrive
	if !isMember(adminID) {
		t.Error("the bot removed a project leader")
	}
	var texts []string
	for _, m := range emu.Sent() {
		if m.ChatID == chat {
			texts = append(texts, m.Text)
			if strings.Contains(m.Text, "Kees") {
				t.Fatalf("a colleague's post reached the client: %q", m.Text)
			}
		}
	}
	if last := got[len(got)-1].Text; !strings.Contains(strings.Join(texts, "\n"), "hier Piet") || !strings.Contains(last, "projectleider") {
		t.Fatalf("client got %q", texts)
	}
	if errs := emu.Errors(); len(errs) > 0 {
		t.Fatalf("telegram protocol errors: %v", errs)
	}
}
