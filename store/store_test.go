package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/store"
)

func TestMain(m *testing.M) { redistest.Main(m) }

var ctx = context.Background()

func TestIntakeDropsAnUpdateDeliveredTwice(t *testing.T) {
	s := store.New(redistest.Client(t), nil)
	p := store.PartitionOfChat(42)
	in := store.Incoming{Partition: p, Type: store.EntryTelegram, UpdateID: 7, ChatID: 42, Body: []byte(`{"update_id":7}`)}
	n, err := s.Intake(ctx, []store.Incoming{in, in})
	if err != nil || n != 1 {
		t.Fatalf("first intake: n=%d err=%v", n, err)
	}
	if n, _ := s.Intake(ctx, []store.Incoming{in}); n != 0 {
		t.Fatalf("redelivered update stored again")
	}
	if err := s.EnsureGroups(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadIntake(ctx, p, 10, time.Millisecond, false)
	if err != nil || len(got) != 1 || string(got[0].Body) != `{"update_id":7}` || got[0].ChatID != 42 {
		t.Fatalf("read = %+v, %v", got, err)
	}
}

func TestCommitAppliesOnceAndOnlyForTheLeaseHolder(t *testing.T) {
	s := store.New(redistest.Client(t), nil)
	cl := store.Client{ID: "c1", FirstName: "Sanne", Coach: "Piet", Lang: "nl", Created: time.Now()}
	if err := s.CreateClient(ctx, cl); err != nil {
		t.Fatal(err)
	}
	p := store.PartitionOfClient("c1")
	if err := s.EnsureGroups(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Intake(ctx, []store.Incoming{{Partition: p, Type: store.EntryTelegram, UpdateID: 1, ChatID: 5, ClientID: "c1", Body: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	es, _ := s.ReadIntake(ctx, p, 10, time.Millisecond, false)
	if len(es) != 1 {
		t.Fatal("no entry")
	}
	if ok, err := s.Lease(ctx, p.Lease(), "me", time.Minute); !ok || err != nil {
		t.Fatalf("lease: %v %v", ok, err)
	}
	c := store.Commit{Partition: p, EntryID: es[0].ID, LeaseToken: "other", ClientID: "c1", State: []byte(`{"s":"x"}`),
		Outgoing: []store.Outgoing{{Lane: store.LaneUrgent, ChatID: 5, Payload: []byte("hi")}},
		Coach:    [][]byte{[]byte("post")}, Events: []store.Event{{Kind: "client_wrote", ClientID: "c1", Ref: "1"}}}
	if _, err := s.Commit(ctx, c, time.Now()); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("commit without lease: %v", err)
	}
	c.LeaseToken = "me"
	for i, want := range []bool{true, false} {
		ok, err := s.Commit(ctx, c, time.Now())
		if err != nil || ok != want {
			t.Fatalf("commit %d: ok=%v err=%v", i, ok, err)
		}
	}
	out, err := s.ReadOutbox(ctx, p, 10, time.Millisecond, false)
	if err != nil || len(out) != 1 || out[0].Lane != store.LaneUrgent || string(out[0].Payload) != "hi" {
		t.Fatalf("outbox = %+v %v", out, err)
	}
	posts, _ := s.ReadCoach(ctx, p, 10, time.Millisecond, false)
	if len(posts) != 1 {
		t.Fatalf("coach posts = %d", len(posts))
	}
	evs, _ := s.Events(ctx, p)
	if len(evs) != 1 || evs[0].Kind != "client_wrote" {
		t.Fatalf("events = %+v", evs)
	}
	got, _, _ := s.LoadClient(ctx, "c1")
	if string(got.State) != `{"s":"x"}` || got.FirstName != "Sanne" {
		t.Fatalf("client = %+v", got)
	}
	if n, _ := s.IntakeBacklog(ctx, p); n != 0 {
		t.Fatalf("intake keeps %d entries after commit", n)
	}
}

func TestInviteWorksOnceAndForTheSameChatAgain(t *testing.T) {
	s := store.New(redistest.Client(t), nil)
	if err := s.CreateClient(ctx, store.Client{ID: "c2", FirstName: "Ali", Coach: "Piet", Lang: "nl"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateInvite(ctx, "ABC123", "c2", time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		code string
		chat int64
		want string
	}{{"ABC123", 10, "c2"}, {"ABC123", 10, "c2"}, {"ABC123", 11, ""}, {"NOPE", 10, ""}, {strings.Repeat("A", 100), 10, ""}} {
		got, err := s.RedeemInvite(ctx, tc.code, tc.chat)
		if err != nil || got != tc.want {
			t.Errorf("redeem %q by %d = %q, %v; want %q", tc.code, tc.chat, got, err, tc.want)
		}
	}
	if _, err := s.LinkChat(ctx, "c2", 10, 99); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkChat(ctx, "c2", 10, 120); err != nil {
		t.Fatal(err)
	}
	c, _, _ := s.LoadClient(ctx, "c2")
	if c.ChatID != 10 || c.LinkedUpdate != 99 {
		t.Fatalf("relinking the same chat moved the welcome update: %+v", c)
	}
	links, _ := s.Links(ctx, []int64{10, 11})
	if links[10] != "c2" || links[11] != "" {
		t.Fatalf("links = %v", links)
	}
	// A new phone: the old chat's link goes.
	if prev, err := s.LinkChat(ctx, "c2", 12, 130); err != nil || prev != 10 {
		t.Fatalf("relink: prev=%d err=%v", prev, err)
	}
	links, _ = s.Links(ctx, []int64{10, 12})
	if links[10] != "" || links[12] != "c2" {
		t.Fatalf("links after relink = %v", links)
	}
}

func TestExpiredInviteDoesNotWork(t *testing.T) {
	s := store.New(redistest.Client(t), nil)
	_ = s.CreateClient(ctx, store.Client{ID: "c3", FirstName: "Bo", Coach: "Piet", Lang: "nl"})
	if err := s.CreateInvite(ctx, "OLD", "c3", 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	if got, _ := s.RedeemInvite(ctx, "OLD", 1); got != "" {
		t.Fatal("expired code worked")
	}
}

func TestKeysOfOnePartitionShareOneHashTag(t *testing.T) {
	for p := store.Partition(0); p < store.Partitions; p++ {
		keys := []string{p.Intake(), p.Lease(), p.Client("x"), p.Outbox(store.LaneUrgent), p.Outbox(store.LaneNormal),
			p.Outbox(store.LaneBulk), p.CoachQueue(), p.Events(), p.Seen(1), p.Due(), p.Schedule("s"), p.Link(1), p.Strangers(1), p.Invite("c", []byte("k"))}
		for _, k := range keys {
			if tag := k[strings.Index(k, "{") : strings.Index(k, "}")+1]; tag != p.Tag() {
				t.Errorf("key %s has tag %s, want %s", k, tag, p.Tag())
			}
		}
	}
	if store.PartitionOfClient("abc") != store.PartitionOfClient("abc") {
		t.Error("partition not stable")
	}
}

func TestStrangerFloodCounterExpires(t *testing.T) {
	rdb := redistest.Client(t)
	s := store.New(rdb, nil)
	const chat = 7700123456
	for i := int64(1); i <= 3; i++ {
		if n, err := s.CountStranger(ctx, chat); err != nil || n != i {
			t.Fatalf("count %d: %d %v", i, n, err)
		}
	}
	keys, _ := rdb.Keys(ctx, "*").Result()
	fields, _ := rdb.HKeys(ctx, keys[0]).Result()
	if len(keys) != 1 || strings.Contains(keys[0]+strings.Join(fields, ","), "7700123456") {
		t.Fatalf("stranger keys = %v %v: only a hashed counter may be kept", keys, fields)
	}
	if ttl := rdb.PTTL(ctx, keys[0]).Val(); ttl <= 0 {
		t.Fatalf("flood counter has no TTL")
	}
}

func TestDeleteClientLeavesNoRecordOrLink(t *testing.T) {
	rdb := redistest.Client(t)
	s := store.New(rdb, nil)
	if err := s.CreateClient(ctx, store.Client{ID: "gone", FirstName: "Bo", Coach: "Piet", Lang: "nl"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkChat(ctx, "gone", 99, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetChannel(ctx, "gone", "ch1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteClient(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.LoadClient(ctx, "gone"); ok {
		t.Fatal("record kept")
	}
	if links, _ := s.Links(ctx, []int64{99}); links[99] != "" {
		t.Fatal("chat link kept")
	}
	if c, _ := s.ClientOfChannel(ctx, "ch1"); c != "" {
		t.Fatal("channel link kept")
	}
	ids, _ := s.ClientIDs(ctx)
	for _, id := range ids {
		if id == "gone" {
			t.Fatal("index kept")
		}
	}
}
