package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/waakvlam/waakvlam/store"
)

// The pipeline writes the access log as it handles a client: the link of
// the chat and each message, as system:pipeline on behalf of the client;
// a stranger leaves no entry.
func TestPipelineWritesTheAccessLog(t *testing.T) {
	r := newRig(t)
	clientID := r.invite("Sanne", "LOGBOEK2")
	a, _ := r.start("a")
	const chat = 1301
	r.emu.UserSays(chat, "/start LOGBOEK2")
	r.waitTexts(chat, 3)
	r.emu.UserSays(chat, "📅 Mijn dag")
	r.waitTexts(chat, 4)
	r.emu.UserSays(9999, "hallo") // a stranger
	r.waitTexts(9999, 1)
	es, err := a.Access.Entries(context.Background(), clientID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, strings.Join([]string{e.Actor, e.OnBehalf, string(e.Source), e.Action, string(e.Op)}, " "))
	}
	want := "system:pipeline client pipeline client.link change\n" +
		"system:pipeline client pipeline message.handle change\n" +
		"system:pipeline client pipeline message.handle change"
	if strings.Join(got, "\n") != want {
		t.Fatalf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	rep, err := a.Access.Verify(context.Background())
	if err != nil || rep.Tampered() {
		t.Fatalf("verify: %v %v", rep.Findings, err)
	}
	var total int64
	for _, c := range rep.Chains {
		total += c.Entries
	}
	if total != 3 {
		t.Fatalf("%d entries in all chains, want the client's 3 (none for the stranger)", total)
	}
	// Nothing in the log names the client.
	for p := store.Partition(0); p < store.Partitions; p++ {
		for _, m := range r.rdb.XRange(context.Background(), p.Access(), "-", "+").Val() {
			if strings.Contains(m.Values["v"].(string), clientID) {
				t.Fatalf("entry names the client: %v", m.Values)
			}
		}
	}
}
