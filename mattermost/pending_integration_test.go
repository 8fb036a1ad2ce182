package mattermost

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"
)

// TestIntegrationCreatePostRetriedAfterTimeout goes to a real Mattermost
// through a proxy that holds back the answer to the first create: the bot
// gives up on it and sends the create again with the same pending_post_id;
// Mattermost answers with the post already made, and the channel has it
// once.
func TestIntegrationCreatePostRetriedAfterTimeout(t *testing.T) {
	e := live(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "pending-" + model.NewId()[:10]
	ch, err := e.bot.EnsurePrivateChannel(ctx, e.teamID, name, "Integration "+name, []string{e.coachID})
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	creates := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v4/posts" {
			mu.Lock()
			creates++
			n := creates
			mu.Unlock()
			if n == 1 {
				// Mattermost makes the post; its answer is lost.
				rec := httptest.NewRecorder()
				proxy.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
				<-r.Context().Done()
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	bot := New(srv.URL, e.bot.token)
	bot.createTimeout = 2 * time.Second
	since := time.Now().Add(-time.Second)
	got, err := bot.CreatePost(ctx, Post{ChannelID: ch, Message: "precies één keer"}, nil)
	if err != nil {
		t.Fatalf("CreatePost: %v", err)
	}
	mu.Lock()
	if creates < 2 {
		t.Fatalf("%d creates reached the proxy, want a retry", creates)
	}
	mu.Unlock()
	posts, err := e.bot.PostsAfter(ctx, ch, since)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range posts {
		if p.Message == "precies één keer" {
			n++
			if p.ID != got.ID {
				t.Errorf("CreatePost returned %s, the channel has %s", got.ID, p.ID)
			}
		}
	}
	if n != 1 {
		t.Fatalf("the post is in the channel %d times, want 1", n)
	}
}
