package mattermost

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"
)

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

func TestCreatePostWithFile(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	ctx := context.Background()
	ch := model.NewId()

	p, err := c.CreatePost(ctx, Post{ChannelID: ch, Message: "hallo", Props: map[string]any{"waakvlam_client": "c1"}},
		[]File{{Name: "foto", MIME: "image/png", Data: pngBytes}})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID == "" || p.ChannelID != ch || p.UserID != f.botID || len(p.FileIDs) != 1 || p.CreateAt.IsZero() {
		t.Fatalf("created post = %+v", p)
	}
	if p.Props["waakvlam_client"] != "c1" {
		t.Errorf("props = %v", p.Props)
	}
	got, err := c.GetFile(ctx, p.FileIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "foto.png" || got.MIME != "image/png" || !bytes.Equal(got.Data, pngBytes) {
		t.Errorf("file = %q %q %d bytes", got.Name, got.MIME, len(got.Data))
	}
}

func TestFileTooLarge(t *testing.T) {
	f := newFakeMM(t)
	f.maxFileSize = 10
	_, err := f.client().CreatePost(context.Background(), Post{ChannelID: model.NewId()},
		[]File{{Name: "big.bin", Data: make([]byte, 100)}})
	if !errors.Is(err, ErrFileTooLarge) || IsUnavailable(err) {
		t.Fatalf("err = %v; want ErrFileTooLarge, not unavailable", err)
	}
	if strings.Contains(err.Error(), "big.bin") {
		t.Errorf("error text leaks the file name: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.posts) != 0 {
		t.Errorf("a post was created after a failed upload")
	}
}

func TestAddReaction(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	p := f.addPost(&model.Post{ChannelId: model.NewId(), UserId: model.NewId()})
	if err := c.AddReaction(context.Background(), p.Id, ":white_check_mark:"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reactions) != 1 || f.reactions[0].UserId != f.botID || f.reactions[0].PostId != p.Id ||
		f.reactions[0].EmojiName != "white_check_mark" {
		t.Fatalf("reactions = %+v", f.reactions)
	}
}

func TestPostsAfterPaginates(t *testing.T) {
	old := postsPerPage
	postsPerPage = 3
	t.Cleanup(func() { postsPerPage = old })
	f := newFakeMM(t)
	ch := model.NewId()
	var all []*model.Post
	for i := 0; i < 10; i++ {
		all = append(all, f.addPost(&model.Post{ChannelId: ch, Message: "m"}))
		f.addPost(&model.Post{ChannelId: model.NewId()}) // other channel
	}
	got, err := f.client().PostsAfter(context.Background(), ch, time.UnixMilli(all[2].CreateAt))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 8 {
		t.Fatalf("got %d posts, want 8 (inclusive bound)", len(got))
	}
	for i, p := range got {
		if p.ID != all[i+2].Id {
			t.Fatalf("post %d = %s, want %s (oldest first)", i, p.ID, all[i+2].Id)
		}
	}
	f.mu.Lock()
	calls := f.pageCalls
	f.mu.Unlock()
	if calls != 3 {
		t.Errorf("page calls = %d, want 3", calls)
	}

	none, err := f.client().PostsAfter(context.Background(), ch, time.UnixMilli(all[9].CreateAt+1))
	if err != nil || len(none) != 0 {
		t.Errorf("PostsAfter(latest+1) = %d posts, %v", len(none), err)
	}
}

func TestListenReconnectsAndCallsOnConnect(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	posts := make(chan Post, 10)
	connects := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() {
		done <- c.Listen(ctx, func(p Post) { posts <- p }, func() { connects <- struct{}{} })
	}()
	wait := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("timeout waiting for %s", what)
		}
	}
	waitPost := func(id string) {
		t.Helper()
		select {
		case p := <-posts:
			if p.ID != id {
				t.Fatalf("got post %s, want %s", p.ID, id)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("timeout waiting for post %s", id)
		}
	}
	ch := model.NewId()
	wait("first connect", connects)
	p1 := f.addPost(&model.Post{ChannelId: ch, UserId: model.NewId(), Message: "een"})
	waitPost(p1.Id)

	f.dropSockets()
	wait("reconnect", connects)
	p2 := f.addPost(&model.Post{ChannelId: ch, UserId: model.NewId(), Message: "twee", RootId: p1.Id})
	waitPost(p2.Id)

	f.dropSockets()
	wait("second reconnect", connects)

	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Listen returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not return after cancel")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.connects != 3 {
		t.Errorf("server saw %d connects, want 3", f.connects)
	}
}

func TestListenRetriesWhileServerFailsThenStopsOnRefusal(t *testing.T) {
	f := newFakeMM(t)
	f.failStatus = 503
	c := f.client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	connected := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- c.Listen(ctx, nil, func() { once.Do(func() { close(connected) }) })
	}()
	time.Sleep(100 * time.Millisecond) // several failed attempts
	f.mu.Lock()
	f.failStatus = 0
	f.mu.Unlock()
	select {
	case <-connected:
	case err := <-done:
		t.Fatalf("Listen gave up on a 503: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no connect after the server recovered")
	}
	cancel()
	<-done

	bad := New(f.srv.URL, "wrong")
	err := bad.Listen(context.Background(), nil, nil)
	if err == nil || IsUnavailable(err) || StatusCode(err) != 401 {
		t.Fatalf("Listen with a bad token = %v; want a refused 401", err)
	}
}

func TestErrorClassification(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	ctx := context.Background()
	for _, tc := range []struct {
		status      int
		unavailable bool
	}{{500, true}, {502, true}, {503, true}, {429, true}, {400, false}, {403, false}, {404, false}} {
		f.mu.Lock()
		f.failStatus = tc.status
		f.mu.Unlock()
		_, err := c.TeamID(ctx, "waakvlam")
		if err == nil || IsUnavailable(err) != tc.unavailable || StatusCode(err) != tc.status {
			t.Errorf("status %d: err = %v, unavailable = %v", tc.status, err, IsUnavailable(err))
		}
	}
	f.mu.Lock()
	f.failStatus = 0
	f.mu.Unlock()

	_, err := c.UserID(ctx, "coach-sanne")
	if err == nil || IsUnavailable(err) || StatusCode(err) != 404 {
		t.Errorf("unknown user: %v", err)
	}

	down := New("http://127.0.0.1:1", "x")
	_, err = down.UserID(ctx, "coach-sanne")
	if !IsUnavailable(err) || StatusCode(err) != 0 {
		t.Errorf("closed port: %v (unavailable %v)", err, IsUnavailable(err))
	}
	if strings.Contains(err.Error(), "coach-sanne") {
		t.Errorf("error text leaks the user name: %v", err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.TeamID(cctx, "waakvlam")
	if !errors.Is(err, context.Canceled) || IsUnavailable(err) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestEnsurePrivateChannelIsIdempotent(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	ctx := context.Background()
	team, coach := model.NewId(), model.NewId()
	id1, err := c.EnsurePrivateChannel(ctx, team, "client-abc", "Cliënt ABC", []string{coach})
	if err != nil {
		t.Fatal(err)
	}
	id2, err := c.EnsurePrivateChannel(ctx, team, "client-abc", "Cliënt ABC", []string{coach})
	if err != nil || id2 != id1 {
		t.Fatalf("second ensure = %s, %v; want %s", id2, err, id1)
	}
	f.mu.Lock()
	n, member := len(f.channels), f.members[id1][coach]
	f.mu.Unlock()
	if n != 1 || !member {
		t.Fatalf("channels = %d, coach member = %v", n, member)
	}
	if err := c.RemoveMember(ctx, id1, coach); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveMember(ctx, id1, coach); err != nil {
		t.Fatalf("second remove: %v", err)
	}
}

func TestRegisterSlashCommandIsIdempotent(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	ctx := context.Background()
	team := model.NewId()
	for i := 0; i < 2; i++ {
		if err := c.RegisterSlashCommand(ctx, team, "/waakvlam", "http://127.0.0.1:9/cmd", "[koppel]", "Waakvlam"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.RegisterSlashCommand(ctx, team, "waakvlam", "http://127.0.0.1:9/cmd2", "[koppel]", "Waakvlam"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	var cmds []*model.Command
	for _, cmd := range f.commands {
		cmds = append(cmds, cmd)
	}
	f.mu.Unlock()
	if len(cmds) != 1 || cmds[0].URL != "http://127.0.0.1:9/cmd2" || cmds[0].Trigger != "waakvlam" || cmds[0].UpdateAt != 1 {
		t.Fatalf("commands = %+v", cmds)
	}
	tok, err := c.SlashCommandToken(ctx, team, "/waakvlam")
	if err != nil || tok != cmds[0].Token {
		t.Fatalf("token = %q, %v", tok, err)
	}
}

func TestDirectChannelAndEphemeral(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	ctx := context.Background()
	other := model.NewId()
	id, err := c.DirectChannel(ctx, other)
	if err != nil || id == "" {
		t.Fatalf("DirectChannel = %q, %v", id, err)
	}
	if err := c.SendEphemeral(ctx, other, Post{ChannelID: id, Message: "alleen voor jou"}); err != nil {
		t.Fatal(err)
	}
}

func TestUploadName(t *testing.T) {
	for _, tc := range []struct{ name, mime, want string }{
		{"foto", "image/jpeg", "foto.jpg"},
		{"brief.pdf", "image/png", "brief.pdf"},
		{"../../etc/x", "", "x"},
		{"", "audio/ogg", "file-1.ogg"},
	} {
		if got := uploadName(File{Name: tc.name, MIME: tc.mime}, 0); got != tc.want {
			t.Errorf("uploadName(%q, %q) = %q, want %q", tc.name, tc.mime, got, tc.want)
		}
	}
}
