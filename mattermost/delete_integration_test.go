package mattermost

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"
)

// Against a real Mattermost 6.7.2: with API channel deletion off (the
// default) DeleteChannel archives the channel; with it on, it deletes it
// for good; a channel that is gone is reported as gone.
func TestIntegrationDeleteChannel(t *testing.T) {
	e := live(t)
	adminToken := os.Getenv("WAAKVLAM_MM_ADMIN_TOKEN")
	if adminToken == "" {
		t.Skip("no WAAKVLAM_MM_ADMIN_TOKEN")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := model.NewAPIv4Client(e.url)
	admin.SetToken(adminToken)
	setDeletion := func(on bool) {
		t.Helper()
		if _, _, err := admin.PatchConfig(&model.Config{ServiceSettings: model.ServiceSettings{EnableAPIChannelDeletion: model.NewBool(on)}}); err != nil {
			t.Fatalf("patch config: %v", err)
		}
	}
	cfg, _, err := admin.GetConfig()
	if err != nil {
		t.Fatal(err)
	}
	was := cfg.ServiceSettings.EnableAPIChannelDeletion != nil && *cfg.ServiceSettings.EnableAPIChannelDeletion
	t.Cleanup(func() { setDeletion(was) })
	channel := func() string {
		t.Helper()
		name := fmt.Sprintf("wv-del-%d", time.Now().UnixNano())
		id, err := e.bot.EnsurePrivateChannel(ctx, e.teamID, name, "delete test", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.bot.CreatePost(ctx, Post{ChannelID: id, Message: "woorden van een cliënt"}, nil); err != nil {
			t.Fatal(err)
		}
		return id
	}

	setDeletion(false)
	id := channel()
	if got, err := e.bot.DeleteChannel(ctx, id); err != nil || got != ChannelArchived {
		t.Fatalf("deletion off: %v %v, want archived", got, err)
	}
	ch, _, err := admin.GetChannel(id, "")
	if err != nil || ch.DeleteAt == 0 {
		t.Fatalf("channel not archived: %+v %v", ch, err)
	}
	// Archived before: asked again, still archived (no error).
	if got, err := e.bot.DeleteChannel(ctx, id); err != nil || got != ChannelArchived {
		t.Fatalf("archived channel again: %v %v", got, err)
	}

	setDeletion(true)
	id = channel()
	if got, err := e.bot.DeleteChannel(ctx, id); err != nil || got != ChannelDeleted {
		t.Fatalf("deletion on: %v %v, want deleted", got, err)
	}
	if _, resp, err := admin.GetChannel(id, ""); err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("channel still there after a permanent delete: %v", err)
	}
	if got, err := e.bot.DeleteChannel(ctx, id); err != nil || got != ChannelGone {
		t.Fatalf("gone channel: %v %v, want gone", got, err)
	}
}
