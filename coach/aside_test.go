package coach

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/store"
)

// A poison update (no client) is told to the project leaders, a poison
// schedule in the client's channel.
func TestSetAsideNotices(t *testing.T) {
	b, f, _ := accessBridge(t)
	ctx := context.Background()
	post := func(raw []byte) {
		t.Helper()
		var cp pipeline.CoachPost
		if err := json.Unmarshal(raw, &cp); err != nil {
			t.Fatal(err)
		}
		if err := b.post(ctx, cp, 1); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	post(pipeline.SetAsideNotice(store.AsideUpdate, "12345", "", 3, now))
	post(pipeline.SetAsideNotice(store.AsideSchedule, "pil", "cl1", 3, now))
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.posts) != 2 {
		t.Fatalf("posts = %q", f.posts)
	}
	if !strings.HasPrefix(f.channels[0], "dm-") || !strings.Contains(f.channels[0], "u-anna") || !strings.Contains(f.posts[0], "Apart gezet") || !strings.Contains(f.posts[0], "12345") {
		t.Errorf("update notice %q in %s, want a DM to pl-anna", f.posts[0], f.channels[0])
	}
	if f.channels[1] != "chan1" || !strings.Contains(f.posts[1], "`pil`") {
		t.Errorf("schedule notice %q in %s, want chan1", f.posts[1], f.channels[1])
	}
}
