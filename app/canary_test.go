package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/emulator"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/store"
)

// canaries are distinctive words sent through every flow a test can drive
// without Mattermost: the client's name, a message, a letter's caption, a
// reminder's text, a coach's reply, a safety alert and what a client with
// a low mood tells the coach. The alert's category is health data too.
var canaries = []string{"Kanariezuleika", "kanarietekst", "kanariebrief", "kanariepil", "kanariecoach", "kanariealarm", "kanariezorg"}

// Encryption at rest, end to end: with the data key of serve, none of the
// canaries (nor the alert's category) is anywhere in Redis: not in a key
// or a value of any type (SCAN, then GET/HGETALL/XRANGE/... and DUMP), not
// in an RDB written by SAVE, not in the append-only file that saw every
// write, also of the entries deleted since, and not in a log line. The
// same flows without a key put every canary in the AOF, which shows the
// flows reach Redis at all.
func TestCanariesLeaveNoTraceInRedisOrOnDisk(t *testing.T) {
	for _, sealed := range []bool{true, false} {
		name := "plain"
		if sealed {
			name = "sealed"
		}
		t.Run(name, func(t *testing.T) {
			found, rdb := runCanaries(t, sealed)
			if !sealed {
				for _, c := range append(canaries, "suicide") {
					if !found.any(c) {
						t.Errorf("plain: %q never reached Redis: the flows are broken, so the sealed run proves nothing", c)
					}
					t.Logf("plain: %q in %d places, e.g. %.60s", c, len(found.where(c)), found.where(c))
				}
				return
			}
			for _, c := range append(canaries, "suicide") {
				for _, where := range found.where(c) {
					t.Errorf("sealed: %q found in %s", c, where)
				}
			}
			// The mood history is sealed too (it is digits: no canary).
			p := store.PartitionOfClient(found.client)
			if raw := rdb.HGet(context.Background(), p.Client(found.client), "moods").Val(); raw == "" || raw == "1" || len(raw) < seal.Overhead {
				t.Errorf("moods stored as %q", raw)
			}
		})
	}
}

type traces struct {
	client string
	places map[string][]byte // where -> everything read there
}

func (tr traces) where(canary string) []string {
	var out []string
	for w, b := range tr.places {
		if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(canary))) {
			out = append(out, w)
		}
	}
	return out
}

func (tr traces) any(canary string) bool { return len(tr.where(canary)) > 0 }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

func runCanaries(t *testing.T, sealed bool) (traces, *redis.Client) {
	r := newRig(t)
	ctx := context.Background()
	rdb := r.rdb
	cfgSet := func(k, v string) {
		t.Helper()
		if err := rdb.ConfigSet(ctx, k, v).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// An append-only file from here on holds every write, also of what is
	// deleted later.
	cfgSet("appendonly", "yes")
	t.Cleanup(func() { rdb.ConfigSet(ctx, "appendonly", "no"); rdb.ConfigSet(ctx, "rdbcompression", "yes") })
	waitAOF(t, rdb)

	if sealed {
		r.cfg.Keys = seal.Ephemeral()
	}
	r.cfg.AOFRewrite = 0 // the test asks for the rewrite itself
	logs := &syncBuffer{}
	a, err := app.New(r.cfg, rdb, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		pipeline.Options{Replica: "canary", Block: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a.PollTimeout = time.Second
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(runCtx) }()
	stop := func() { cancel(); <-done }
	defer stop()

	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: "Kanariezuleika", Coach: "Piet", BotUsername: "b", TTL: time.Hour, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	id := inv.ClientID
	sc, err := a.Schedules.Add(ctx, scheduler.Schedule{ClientID: id, Kind: scheduler.KindReminder, Spec: "elke dag om 8:00", Text: "Kanariepil", Emoji: "💊"})
	if err != nil {
		t.Fatal(err)
	}
	const chat = 8642
	count := func() int { return len(sentTo(r, chat)) }
	wait := func(before int, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			ms := sentTo(r, chat)
			if len(ms) > before && (want == "" || strings.Contains(strings.ToLower(ms[len(ms)-1].Text), strings.ToLower(want))) {
				time.Sleep(100 * time.Millisecond)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no message %q to the client after %d: %q", want, before, texts(sentTo(r, chat)))
	}
	do := func(want string, act func()) {
		t.Helper()
		n := count()
		act()
		wait(n, want)
	}
	do("", func() { r.emu.UserSays(chat, "/start "+inv.Code) })
	if !strings.Contains(strings.Join(texts(sentTo(r, chat)), " "), "Kanariezuleika") {
		t.Fatalf("welcome without the name: %q", texts(sentTo(r, chat)))
	}
	do("", func() { r.emu.UserSays(chat, "kanarietekst: mag ik morgen later komen?") })
	do("", func() { r.emu.UserSays(chat, "✉️ Hulp met een brief") })
	do("", func() {
		r.emu.UserSends(chat, map[string]any{"caption": "kanariebrief van de gemeente", "photo": []map[string]any{{"file_id": "ph1", "file_unique_id": "p", "width": 800, "height": 600, "file_size": 1234}}})
	})
	// A check-in, answered with a low mood, and the client tells the coach.
	due := func(kind scheduler.Kind, occID, text string) {
		occ := scheduler.Occurrence{ID: occID, ScheduleID: sc.ID, ClientID: id, Kind: kind, Due: time.Now(), Nominal: time.Now(), Event: time.Now(), Text: text, Emoji: "💊"}
		body, _ := json.Marshal(occ)
		p := store.PartitionOfClient(id)
		if _, err := a.Store.Intake(ctx, []store.Incoming{{Partition: p, Type: store.EntryDue, ClientID: id, Body: body}}); err != nil {
			t.Fatal(err)
		}
	}
	do("", func() { due(scheduler.KindCheckin, sc.ID+":1:0", "") })
	press := func(prefix string) {
		t.Helper()
		m := r.lastWithButtons(chat)
		for _, row := range m.Inline {
			for _, b := range row {
				if strings.HasPrefix(b.Data, prefix) {
					do("", func() { r.emu.UserPresses(chat, m.MessageID, b.Data) })
					return
				}
			}
		}
		t.Fatalf("no button %s in %+v", prefix, m)
	}
	press("mood:1:")
	press("chk:tell")
	do("", func() { r.emu.UserSays(chat, "kanariezorg: ik slaap slecht") })
	do("kanariepil", func() { due(scheduler.KindReminder, sc.ID+":2:0", "Kanariepil") })
	do("kanariecoach", func() {
		if _, err := a.Pipeline.EnqueueCoachReply(ctx, pipeline.CoachInbound{ClientID: id, Reply: dialogs.CoachReply{PostID: "post1", Text: "kanariecoach: tot morgen"}}); err != nil {
			t.Fatal(err)
		}
	})
	do("", func() { r.emu.UserSays(chat, "ik wil niet meer leven kanariealarm") })
	c, _, err := a.Store.LoadClient(ctx, id)
	if err != nil || c.OpenAlert == "" || c.Moods != "1" {
		t.Fatalf("after the flows: %+v %v (want an open alert and mood 1)", c, err)
	}
	if al, ok, err := a.Store.LoadAlert(ctx, id, c.OpenAlert); err != nil || !ok || al.Category != "suicide" {
		t.Fatalf("alert = %+v %v", al, err)
	}
	time.Sleep(300 * time.Millisecond) // the outbox drains
	stop()

	tr := traces{client: id, places: map[string][]byte{}}
	// Every key and value, read per type and as DUMP (uncompressed).
	cfgSet("rdbcompression", "no")
	iter := rdb.Scan(ctx, 0, "*", 200).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		var b bytes.Buffer
		b.WriteString(k + "\n")
		switch rdb.Type(ctx, k).Val() {
		case "string":
			b.WriteString(rdb.Get(ctx, k).Val())
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				b.WriteString(f + "=" + v + "\n")
			}
		case "stream":
			for _, m := range rdb.XRange(ctx, k, "-", "+").Val() {
				for f, v := range m.Values {
					b.WriteString(f + "=" + v.(string) + "\n")
				}
			}
		case "set":
			b.WriteString(strings.Join(rdb.SMembers(ctx, k).Val(), "\n"))
		case "zset":
			b.WriteString(strings.Join(rdb.ZRange(ctx, k, 0, -1).Val(), "\n"))
		case "list":
			b.WriteString(strings.Join(rdb.LRange(ctx, k, 0, -1).Val(), "\n"))
		}
		tr.places["value of "+k] = b.Bytes()
		tr.places["DUMP of "+k] = []byte(rdb.Dump(ctx, k).Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	dir := rdb.ConfigGet(ctx, "dir").Val()["dir"]
	if err := rdb.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	rdbFile, err := os.ReadFile(filepath.Join(dir, rdb.ConfigGet(ctx, "dbfilename").Val()["dbfilename"]))
	if err != nil || !bytes.HasPrefix(rdbFile, []byte("REDIS")) {
		t.Fatalf("rdb file: %v", err)
	}
	tr.places["the RDB file"] = rdbFile
	aofDir := filepath.Join(dir, rdb.ConfigGet(ctx, "appenddirname").Val()["appenddirname"])
	readAOF := func(label string) {
		files, err := os.ReadDir(aofDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(aofDir, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			tr.places[label+" "+f.Name()] = b
		}
	}
	readAOF("the AOF before the rewrite:")
	if n, err := a.Store.RewriteAOF(ctx, "canary", time.Hour); err != nil || n != 1 {
		t.Fatalf("aof rewrite asked of %d: %v", n, err)
	}
	waitAOF(t, rdb)
	readAOF("the AOF after the rewrite:")
	tr.places["the log"] = logs.Bytes()
	return tr, rdb
}

func sentTo(r *rig, chat int64) []emulator.Message {
	var out []emulator.Message
	for _, m := range r.emu.Sent() {
		if m.ChatID == chat && m.Method == "sendMessage" {
			out = append(out, m)
		}
	}
	return out
}

func waitAOF(t *testing.T, rdb *redis.Client) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info := rdb.Info(context.Background(), "persistence").Val()
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("aof rewrite did not finish:\n%s", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
