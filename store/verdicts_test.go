package store_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/store"
)

// rot13Codec stands in for encryption at rest.
type rot13Codec struct{}

func (rot13Codec) Seal(b []byte) ([]byte, error) { return append([]byte("r:"), rot(b)...), nil }
func (rot13Codec) Open(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte("r:")) {
		return nil, errors.New("not sealed")
	}
	return rot(b[2:]), nil
}

func rot(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			c = 'a' + (c-'a'+13)%26
		case c >= 'A' && c <= 'Z':
			c = 'A' + (c-'A'+13)%26
		}
		out[i] = c
	}
	return out
}

func verdictEvents(t *testing.T, s *store.Store, clientID string) []string {
	t.Helper()
	evs, err := s.Events(ctx, store.PartitionOfClient(clientID))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if strings.HasPrefix(e.Kind, "signal_") {
			out = append(out, e.Kind+":"+e.Ref)
		}
	}
	return out
}

// A verdict is stored sealed with a TTL, counts once however often it is
// seen, can change, be refined and be withdrawn, and is exported with the
// client's words opened.
func TestVerdictIsSealedCountedOnceAndChangeable(t *testing.T) {
	rdb := redistest.Client(t)
	s := store.New(rdb, rot13Codec{})
	s.VerdictRetention = 48 * time.Hour
	at := time.Now().Truncate(time.Millisecond)
	v := store.Verdict{PostID: "post1", ClientID: "c1", Kind: store.VerdictRight, By: "coach-piet", Via: "+1", At: at,
		Text: "ik wil dood", Severity: "urgent", Category: "suicide", LabelSeverity: "urgent", LabelCategory: "suicide"}
	if res, err := s.RecordVerdict(ctx, v); err != nil || res != store.VerdictNew {
		t.Fatalf("first: %v %v", res, err)
	}
	if res, _ := s.RecordVerdict(ctx, v); res != store.VerdictSame {
		t.Fatalf("seen again (another replica): %v", res)
	}
	key := store.PartitionOfClient("c1").Verdict("post1")
	raw, _ := rdb.HGetAll(ctx, key).Result()
	for f, val := range raw {
		if strings.Contains(val, "dood") {
			t.Fatalf("field %s holds the words unsealed: %q", f, val)
		}
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 47*time.Hour || ttl > 48*time.Hour {
		t.Fatalf("ttl = %v, want the retention", ttl)
	}

	v.Kind, v.Via, v.LabelSeverity, v.LabelCategory = store.VerdictWrong, "-1", "none", ""
	if res, _ := s.RecordVerdict(ctx, v); res != store.VerdictChanged {
		t.Fatalf("changed: %v", res)
	}
	got, err := s.Verdicts(ctx, at.Add(-time.Minute))
	if err != nil || len(got) != 1 {
		t.Fatalf("verdicts = %+v, %v", got, err)
	}
	if g := got[0]; g.Text != "ik wil dood" || g.Kind != store.VerdictWrong || g.Severity != "urgent" || g.Category != "suicide" ||
		g.LabelSeverity != "none" || g.By != "coach-piet" || !g.At.Equal(at) || g.ClientID != "c1" {
		t.Fatalf("verdict = %+v", g)
	}
	if ok, _ := s.WithdrawVerdict(ctx, "c1", "post1", "coach-piet", "+1", at); ok {
		t.Fatal("withdrew a verdict given with another emoji")
	}
	if ok, _ := s.WithdrawVerdict(ctx, "c1", "post1", "coach-sanne", "-1", at); ok {
		t.Fatal("withdrew another coach's verdict")
	}
	if ok, err := s.WithdrawVerdict(ctx, "c1", "post1", "coach-piet", "-1", at); !ok || err != nil {
		t.Fatalf("withdraw: %v %v", ok, err)
	}
	if got, _ := s.Verdicts(ctx, time.Time{}); len(got) != 0 {
		t.Fatalf("withdrawn verdict still exported: %+v", got)
	}

	m := store.Verdict{PostID: "post2", ClientID: "c1", Kind: store.VerdictMissed, By: "coach-piet", Via: "triangular_flag_on_post", At: at,
		Text: "hij slaat me", Severity: "none", LabelSeverity: "high"}
	if res, _ := s.RecordVerdict(ctx, m); res != store.VerdictNew {
		t.Fatalf("miss: %v", res)
	}
	m.LabelCategory, m.Via = "violence", "word"
	if res, _ := s.RecordVerdict(ctx, m); res != store.VerdictRefined {
		t.Fatalf("category added: %v", res)
	}
	want := []string{"signal_confirmed:post1", "signal_rejected:post1", "signal_verdict_withdrawn:post1", "signal_missed:post2"}
	if got := verdictEvents(t, s, "c1"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events = %v, want %v", got, want)
	}
	if got, _ := s.Verdicts(ctx, at.Add(time.Millisecond)); len(got) != 0 {
		t.Fatalf("since filter: %+v", got)
	}
	if _, err := s.RecordVerdict(ctx, store.Verdict{PostID: "bad:id}", ClientID: "c1", Kind: store.VerdictRight, At: at}); err == nil {
		t.Fatal("a post id with key characters was accepted")
	}
}

// Verdicts older than the retention leave the index with the next verdict;
// their hashes expire by TTL. Export lists several partitions oldest first.
func TestVerdictsAreTrimmedAndListedOverPartitions(t *testing.T) {
	rdb := redistest.Client(t)
	s := store.New(rdb, nil)
	s.VerdictRetention = time.Hour
	now := time.Now().Truncate(time.Millisecond)
	// two clients in different partitions
	a, b := "ca", "cb"
	for i := 0; store.PartitionOfClient(a) == store.PartitionOfClient(b); i++ {
		b = "cb" + strings.Repeat("x", i)
	}
	old := store.Verdict{PostID: "old", ClientID: a, Kind: store.VerdictWrong, By: "p", At: now.Add(-2 * time.Hour), Text: "oud", Severity: "high", LabelSeverity: "none"}
	if _, err := s.RecordVerdict(ctx, old); err != nil {
		t.Fatal(err)
	}
	for i, c := range []string{b, a} {
		v := store.Verdict{PostID: "new" + c, ClientID: c, Kind: store.VerdictRight, By: "p", At: now.Add(time.Duration(i) * time.Second),
			Text: "tekst " + c, Severity: "high", Category: "money", LabelSeverity: "high", LabelCategory: "money"}
		if _, err := s.RecordVerdict(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.ZCard(ctx, store.PartitionOfClient(a).Verdicts()).Val(); n != 1 {
		t.Fatalf("index of %s holds %d, want the old one trimmed", a, n)
	}
	got, err := s.Verdicts(ctx, time.Time{})
	if err != nil || len(got) != 2 || got[0].ClientID != b || got[1].ClientID != a {
		t.Fatalf("verdicts = %+v, %v", got, err)
	}
}

// Wiping a client removes the verdicts that hold its words, and only those.
func TestDeleteClientRemovesItsVerdicts(t *testing.T) {
	rdb := redistest.Client(t)
	s := store.New(rdb, nil)
	now := time.Now()
	// a second client in the same partition
	other := "o"
	for i := 0; store.PartitionOfClient(other) != store.PartitionOfClient("gone"); i++ {
		other = "o" + strings.Repeat("o", i)
	}
	for _, id := range []string{"gone", other} {
		if err := s.CreateClient(ctx, store.Client{ID: id, FirstName: "X", Coach: "Piet", Lang: "nl"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordVerdict(ctx, store.Verdict{PostID: "p" + id, ClientID: id, Kind: store.VerdictMissed, By: "p", At: now,
			Text: "woorden van " + id, Severity: "none", LabelSeverity: "high"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteClient(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Verdicts(ctx, time.Time{})
	if len(got) != 1 || got[0].ClientID != other {
		t.Fatalf("after wiping: %+v", got)
	}
	if rdb.Exists(ctx, store.PartitionOfClient("gone").Verdict("pgone")).Val() != 0 {
		t.Fatal("the wiped client's verdict hash is still there")
	}
}
