package mattermost

import (
	"context"
	"testing"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"
)

// Reactions added and removed arrive on the same stream as posts, with the
// channel of the post; Listen without a reaction handler still works.
func TestListenEventsDeliversReactions(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reactions := make(chan Reaction, 10)
	connected := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() {
		done <- c.ListenEvents(ctx, Handlers{Reaction: func(r Reaction) { reactions <- r }, Connect: func() { connected <- struct{}{} }})
	}()
	select {
	case <-connected:
	case <-time.After(5 * time.Second):
		t.Fatal("no connect")
	}
	ch := model.NewId()
	p := f.addPost(&model.Post{ChannelId: ch, Message: "bericht"})
	if err := c.AddReaction(ctx, p.Id, "+1"); err != nil {
		t.Fatal(err)
	}
	next := func() Reaction {
		t.Helper()
		select {
		case r := <-reactions:
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("no reaction event")
		}
		return Reaction{}
	}
	r := next()
	if r.PostID != p.Id || r.ChannelID != ch || r.UserID != f.botID || r.EmojiName != "+1" || r.Removed || r.CreateAt.IsZero() {
		t.Fatalf("added = %+v", r)
	}
	if err := c.RemoveReaction(ctx, p.Id, ":+1:"); err != nil {
		t.Fatal(err)
	}
	r = next()
	if r.PostID != p.Id || r.ChannelID != ch || r.EmojiName != "+1" || !r.Removed {
		t.Fatalf("removed = %+v", r)
	}
	cancel()
	<-done
}

func TestGetPostKeepsProps(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	ctx := context.Background()
	created, err := c.CreatePost(ctx, Post{ChannelID: model.NewId(), Message: "m", Props: map[string]any{"wv_sev": "high"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetPost(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != created.ID || got.Props["wv_sev"] != "high" || got.UserID != f.botID {
		t.Fatalf("got %+v", got)
	}
	if _, err := c.GetPost(ctx, model.NewId()); err == nil || IsUnavailable(err) {
		t.Fatalf("missing post: %v", err)
	}
}
