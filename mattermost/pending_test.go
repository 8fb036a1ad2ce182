package mattermost

import (
	"context"
	"testing"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"
)

// TestCreatePostRetriedAfterTimeoutPostsOnce: the first answer is lost (the
// post is saved, the answer comes after the client gave up); the retry
// carries the same pending_post_id and gets the saved post back.
func TestCreatePostRetriedAfterTimeoutPostsOnce(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	c.createTimeout = 200 * time.Millisecond
	f.mu.Lock()
	f.slowPosts, f.postDelay = 1, 2*time.Second
	f.mu.Unlock()
	ch := model.NewId()
	got, err := c.CreatePost(context.Background(), Post{ChannelID: ch, Message: "één keer"}, nil)
	if err != nil {
		t.Fatalf("CreatePost: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.posts {
		if p.ChannelId == ch {
			n++
			if p.Id != got.ID {
				t.Errorf("CreatePost returned %s, stored %s", got.ID, p.Id)
			}
			if p.PendingPostId == "" {
				t.Error("post without pending_post_id")
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d posts in the channel, want 1", n)
	}
}

// TestCreatePostCallerRetryWithPendingIDPostsOnce: a caller that gives up
// (its context ends) and tries again with the same PendingID gets the post
// made the first time.
func TestCreatePostCallerRetryWithPendingIDPostsOnce(t *testing.T) {
	f := newFakeMM(t)
	c := f.client()
	f.mu.Lock()
	f.slowPosts, f.postDelay = 1, 2*time.Second
	f.mu.Unlock()
	ch := model.NewId()
	p := Post{ChannelID: ch, Message: "wachtrij", PendingID: "entry-1700000000000-0"}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err := c.CreatePost(ctx, p, nil)
	cancel()
	if err == nil {
		t.Fatal("first CreatePost succeeded; want its timeout")
	}
	// The first create may still be saving: a retry then gets a 500 and
	// retries on its own.
	got, err := c.CreatePost(context.Background(), p, nil)
	if err != nil {
		t.Fatalf("second CreatePost: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, x := range f.posts {
		if x.ChannelId == ch {
			n++
			if x.Id != got.ID {
				t.Errorf("returned %s, stored %s", got.ID, x.Id)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
}
