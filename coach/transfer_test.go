package coach

import (
	"context"
	"strings"
	"testing"

	"github.com/waakvlam/waakvlam/accesslog"
)

// A transfer whose old coach cannot be removed from the client's channel
// (membership is the access control) reports failure, keeps the old coach
// and tells nobody it worked; the same command later completes it.
func TestTransferReportsFailedRemoveMember(t *testing.T) {
	b, f, _ := accessBridge(t)
	ctx := as(context.Background(), "pl-anna", "u-anna", accesslog.SourceSlash)
	f.mu.Lock()
	f.failRemove = true
	f.mu.Unlock()
	reply, _ := b.runCommand(ctx, "pl-anna", "client overdragen Noor coach-kees")
	if !strings.Contains(reply, "niet gelukt") || strings.Contains(reply, "heeft nu coach") {
		t.Fatalf("reply = %q, want a failure", reply)
	}
	c, _, err := b.st.LoadClient(ctx, "cl1")
	if err != nil {
		t.Fatal(err)
	}
	if c.CoachUser != "coach-piet" || c.BackupUser != "coach-sanne" {
		t.Fatalf("coach after a failed transfer = %s/%s, want coach-piet/coach-sanne", c.CoachUser, c.BackupUser)
	}
	f.mu.Lock()
	for _, m := range f.posts {
		if strings.Contains(m, "overgedragen") {
			t.Errorf("the channel was told the transfer happened: %q", m)
		}
	}
	f.failRemove = false
	f.mu.Unlock()

	reply, _ = b.runCommand(ctx, "pl-anna", "client overdragen Noor coach-kees")
	if !strings.Contains(reply, "heeft nu coach Kees") {
		t.Fatalf("second reply = %q", reply)
	}
	if c, _, _ = b.st.LoadClient(ctx, "cl1"); c.CoachUser != "coach-kees" {
		t.Fatalf("coach = %s, want coach-kees", c.CoachUser)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.Join(f.removed, ",") != "chan1:u-piet,chan1:u-sanne" {
		t.Errorf("removed = %q, want u-piet and u-sanne from chan1", f.removed)
	}
}
