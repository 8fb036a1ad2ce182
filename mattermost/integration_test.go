package mattermost

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"
)

// The integration tests run against a real Mattermost server. Start one and
// load its settings with
//
//	. "$(deploy/mattermost-dev.sh start)"
//
// Without those variables the tests are skipped.

type liveEnv struct {
	url, team          string
	bot, coach         *Client
	botID, coachID     string
	coachToken, teamID string
}

func live(t *testing.T) liveEnv {
	t.Helper()
	e := liveEnv{
		url:        os.Getenv("WAAKVLAM_MATTERMOST_URL"),
		team:       os.Getenv("WAAKVLAM_MATTERMOST_TEAM"),
		coachToken: os.Getenv("WAAKVLAM_MM_COACH1_TOKEN"),
	}
	botToken := os.Getenv("WAAKVLAM_MATTERMOST_TOKEN")
	if e.url == "" || botToken == "" || e.team == "" || e.coachToken == "" {
		t.Skip("no real Mattermost: set WAAKVLAM_MATTERMOST_URL, _TOKEN, _TEAM and WAAKVLAM_MM_COACH1_TOKEN, " +
			`e.g. . "$(deploy/mattermost-dev.sh start)"`)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e.bot, e.coach = New(e.url, botToken), New(e.url, e.coachToken)
	var err error
	if e.botID, _, err = e.bot.Me(ctx); err != nil {
		t.Fatalf("bot: %v", err)
	}
	if e.coachID, _, err = e.coach.Me(ctx); err != nil {
		t.Fatalf("coach: %v", err)
	}
	if e.teamID, err = e.bot.TeamID(ctx, e.team); err != nil {
		t.Fatal(err)
	}
	return e
}

// collector gathers what Listen delivers.
type collector struct {
	mu       sync.Mutex
	posts    map[string]Post
	connects int
	changed  chan struct{}
}

func newCollector() *collector {
	return &collector{posts: map[string]Post{}, changed: make(chan struct{}, 1)}
}

func (c *collector) add(p Post) {
	c.mu.Lock()
	c.posts[p.ID] = p
	c.mu.Unlock()
	c.poke()
}

func (c *collector) connected() {
	c.mu.Lock()
	c.connects++
	c.mu.Unlock()
	c.poke()
}

func (c *collector) poke() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *collector) waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		c.mu.Lock()
		done := ok()
		c.mu.Unlock()
		if done {
			return
		}
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("timeout waiting for %s", what)
		}
	}
}

func listen(t *testing.T, c *Client, col *collector, onConnect func()) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Listen(ctx, col.add, func() {
			if onConnect != nil {
				onConnect()
			}
			col.connected()
		})
	}()
	return func() { cancel(); <-done }
}

func TestIntegrationMattermost(t *testing.T) {
	e := live(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := "it-" + model.NewId()[:12]

	chID, err := e.bot.EnsurePrivateChannel(ctx, e.teamID, name, "Integration "+name, []string{e.coachID})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("channel creation is idempotent", func(t *testing.T) {
		again, err := e.bot.EnsurePrivateChannel(ctx, e.teamID, name, "Integration "+name, []string{e.coachID})
		if err != nil || again != chID {
			t.Fatalf("second EnsurePrivateChannel = %s, %v; want %s", again, err, chID)
		}
		if err := e.bot.RemoveMember(ctx, chID, e.coachID); err != nil {
			t.Fatal(err)
		}
		if err := e.bot.RemoveMember(ctx, chID, e.coachID); err != nil {
			t.Fatalf("removing a non-member: %v", err)
		}
		if _, err := e.coach.CreatePost(ctx, Post{ChannelID: chID, Message: "x"}, nil); err == nil || IsUnavailable(err) {
			t.Fatalf("coach posted in a channel they left: %v", err)
		}
		if err := e.bot.AddMembers(ctx, chID, []string{e.coachID, e.coachID}); err != nil {
			t.Fatal(err)
		}
	})

	col := newCollector()
	stop := listen(t, e.bot, col, nil)
	defer func() { stop() }()
	col.waitFor(t, "first connect", func() bool { return col.connects >= 1 })

	var imagePost Post
	t.Run("bot posts an image", func(t *testing.T) {
		imagePost, err = e.bot.CreatePost(ctx, Post{ChannelID: chID, Message: "Een foto van de cliënt",
			Props: map[string]any{"waakvlam_msg": "m1"}}, []File{{Name: "foto", MIME: "image/png", Data: pngBytes}})
		if err != nil {
			t.Fatal(err)
		}
		if len(imagePost.FileIDs) != 1 {
			t.Fatalf("file ids = %v", imagePost.FileIDs)
		}
		got, err := e.coach.GetFile(ctx, imagePost.FileIDs[0])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Data, pngBytes) || got.MIME != "image/png" || got.Name != "foto.png" {
			t.Fatalf("read back %q %q %d bytes", got.Name, got.MIME, len(got.Data))
		}
		back, err := e.coach.PostsAfter(ctx, chID, imagePost.CreateAt)
		if err != nil {
			t.Fatal(err)
		}
		if len(back) == 0 || back[0].ID != imagePost.ID || back[0].Props["waakvlam_msg"] != "m1" || len(back[0].FileIDs) != 1 {
			t.Fatalf("PostsAfter = %+v", back)
		}
		col.waitFor(t, "own post on the stream", func() bool { _, ok := col.posts[imagePost.ID]; return ok })
	})

	var coachPost Post
	t.Run("coach post reaches the bot's Listen", func(t *testing.T) {
		coachPost, err = e.coach.CreatePost(ctx, Post{ChannelID: chID, RootID: imagePost.ID, Message: "Dank je, ik bel je morgen"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		col.waitFor(t, "coach post", func() bool {
			p, ok := col.posts[coachPost.ID]
			return ok && p.UserID == e.coachID && p.RootID == imagePost.ID && p.Message == "Dank je, ik bel je morgen" && p.Type == ""
		})
	})

	t.Run("reaction", func(t *testing.T) {
		if err := e.bot.AddReaction(ctx, coachPost.ID, "white_check_mark"); err != nil {
			t.Fatal(err)
		}
		if err := e.bot.AddReaction(ctx, coachPost.ID, "white_check_mark"); err != nil {
			t.Fatalf("second time: %v", err)
		}
		api := model.NewAPIv4Client(e.url)
		api.SetToken(e.coachToken)
		rs, _, err := api.GetReactions(coachPost.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].UserId != e.botID || rs[0].EmojiName != "white_check_mark" {
			t.Fatalf("reactions = %+v", rs)
		}
	})

	t.Run("DM to the bot", func(t *testing.T) {
		dm, err := e.coach.DirectChannel(ctx, e.botID)
		if err != nil {
			t.Fatal(err)
		}
		if botSide, err := e.bot.DirectChannel(ctx, e.coachID); err != nil || botSide != dm {
			t.Fatalf("bot's DM channel = %s, %v; coach's = %s", botSide, err, dm)
		}
		p, err := e.coach.CreatePost(ctx, Post{ChannelID: dm, Message: "Hoi bot"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		col.waitFor(t, "DM", func() bool { q, ok := col.posts[p.ID]; return ok && q.ChannelID == dm })
	})

	t.Run("PostsAfter catches up after a drop", func(t *testing.T) {
		stop()
		stop = func() {}
		since := coachPost.CreateAt
		var missed []string
		for _, m := range []string{"een", "twee", "drie"} {
			p, err := e.coach.CreatePost(ctx, Post{ChannelID: chID, Message: m}, nil)
			if err != nil {
				t.Fatal(err)
			}
			missed = append(missed, p.ID)
		}
		col2 := newCollector()
		var caught []Post
		stop = listen(t, e.bot, col2, func() {
			var err error
			caught, err = e.bot.PostsAfter(ctx, chID, since)
			if err != nil {
				t.Errorf("PostsAfter: %v", err)
			}
		})
		col2.waitFor(t, "reconnect", func() bool { return col2.connects >= 1 })
		col2.mu.Lock()
		got := caught
		col2.mu.Unlock()
		var ids []string
		for _, p := range got {
			if p.CreateAt.After(since) {
				ids = append(ids, p.ID)
			}
		}
		if len(ids) != 3 || ids[0] != missed[0] || ids[1] != missed[1] || ids[2] != missed[2] {
			t.Fatalf("caught up %v, want %v in order", ids, missed)
		}
		if got[0].ID != coachPost.ID {
			t.Errorf("inclusive bound: first post = %s, want %s", got[0].ID, coachPost.ID)
		}
	})

	t.Run("Listen reconnects through a dropped connection and catches up", func(t *testing.T) {
		px := newDropProxy(t, e.url)
		bot := New(px.url, os.Getenv("WAAKVLAM_MATTERMOST_TOKEN"))
		bot.backoffMin, bot.backoffMax = 50*time.Millisecond, 200*time.Millisecond
		col3 := newCollector()
		var mu sync.Mutex
		var lastSeen time.Time
		var caught []Post
		onConnect := func() {
			mu.Lock()
			since := lastSeen
			mu.Unlock()
			if since.IsZero() {
				return
			}
			ps, err := bot.PostsAfter(ctx, chID, since)
			if err != nil {
				t.Errorf("catch-up: %v", err)
			}
			mu.Lock()
			caught = append(caught, ps...)
			mu.Unlock()
		}
		stop3 := listen(t, bot, col3, onConnect)
		defer stop3()
		col3.waitFor(t, "connect through proxy", func() bool { return col3.connects == 1 })
		first, err := e.coach.CreatePost(ctx, Post{ChannelID: chID, Message: "voor de storing"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		col3.waitFor(t, "post before the drop", func() bool { _, ok := col3.posts[first.ID]; return ok })
		mu.Lock()
		lastSeen = first.CreateAt
		mu.Unlock()

		px.setDown(true) // drop the socket and refuse new connections
		var missed []string
		for _, m := range []string{"tijdens", "de", "storing"} {
			p, err := e.coach.CreatePost(ctx, Post{ChannelID: chID, Message: m}, nil)
			if err != nil {
				t.Fatal(err)
			}
			missed = append(missed, p.ID)
		}
		time.Sleep(300 * time.Millisecond) // a few failed reconnects
		px.setDown(false)
		col3.waitFor(t, "reconnect", func() bool { return col3.connects == 2 })
		mu.Lock()
		defer mu.Unlock()
		got := map[string]bool{}
		for _, p := range caught {
			got[p.ID] = true
		}
		for _, id := range missed {
			if !got[id] {
				t.Errorf("post %s written while disconnected was not caught up", id)
			}
		}
	})

	t.Run("ephemeral and slash command", func(t *testing.T) {
		if err := e.bot.SendEphemeral(ctx, e.coachID, Post{ChannelID: chID, Message: "Alleen voor jou"}); err != nil {
			t.Fatal(err)
		}
		trigger := "wv" + model.NewId()[:8]
		for i := 0; i < 2; i++ {
			if err := e.bot.RegisterSlashCommand(ctx, e.teamID, "/"+trigger, "http://127.0.0.1:9/cmd", "[cliënt]", "Waakvlam"); err != nil {
				t.Fatal(err)
			}
		}
		tok, err := e.bot.SlashCommandToken(ctx, e.teamID, trigger)
		if err != nil || tok == "" {
			t.Fatalf("token %q, %v", tok, err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := e.bot.UserID(ctx, "no-such-user-"+model.NewId()[:6])
		if err == nil || IsUnavailable(err) || StatusCode(err) != 404 {
			t.Fatalf("unknown user: %v", err)
		}
	})
}

// dropProxy forwards TCP to the real server and can cut every connection,
// like a network failure between Waakvlam and Mattermost.
type dropProxy struct {
	url    string
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newDropProxy(t *testing.T, serverURL string) *dropProxy {
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{url: "http://" + ln.Addr().String(), target: u.Host, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setDown(true) })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(in)
		}
	}()
	return p
}

func (p *dropProxy) serve(in net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		in.Close()
		return
	}
	p.mu.Unlock()
	out, err := net.Dial("tcp", p.target)
	if err != nil {
		in.Close()
		return
	}
	p.mu.Lock()
	p.conns[in], p.conns[out] = true, true
	p.mu.Unlock()
	go func() { io.Copy(out, in); out.Close() }()
	io.Copy(in, out)
	in.Close()
	p.mu.Lock()
	delete(p.conns, in)
	delete(p.conns, out)
	p.mu.Unlock()
}

func (p *dropProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
			delete(p.conns, c)
		}
	}
}
