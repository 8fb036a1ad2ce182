package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/emulator"
	"github.com/waakvlam/waakvlam/locales"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/store"
)

// Three `waakvlam serve` replicas on one Redis; during a burst of inbound
// messages and a bulk of queued reminders one replica after another is
// SIGKILLed and replaced. Afterwards every inbound message must have been
// processed exactly once (one coach post each, counted in Redis) and
// answered, and every reminder delivered. Telegram cannot be asked whether
// a message arrived, so a kill between Telegram's answer and the
// acknowledgement sends that message again: duplicates at the fake are
// counted and reported, and bounded by one per partition sender per kill.
func TestCrashKillsDuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs serving processes")
	}
	const (
		clients   = 200
		inbound   = 3000
		reminders = 1000
		replicas  = 3
		kills     = 4
	)
	bin := buildServe(t)
	rs, err := startRedis("")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Stop()
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr, PoolSize: 16})
	defer rdb.Close()
	st, dataKey, err := sealedStore(rdb)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	texts, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	saved := texts.Text("nl", "message.saved", map[string]any{"Name": "Client", "Coach": "Coach"})

	emu := emulator.New(token)
	rec := newRecorder()
	emu.OnSend(rec.add)
	hs := httptest.NewServer(emu)
	defer hs.Close()

	chats := make([]int64, clients)
	ids := make([]string, clients)
	for i := range chats {
		ids[i], chats[i] = fmt.Sprintf("cr%05d", i), 20_000_000+int64(i)
		if err := st.CreateClient(ctx, store.Client{ID: ids[i], FirstName: "Client", Coach: "Coach", Lang: "nl", Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.LinkChat(ctx, ids[i], chats[i], 0); err != nil {
			t.Fatal(err)
		}
	}
	r := &run{apiURL: hs.URL, redis: rs.Addr, dataKey: dataKey}
	logs := &logCounter{levels: map[string]int{}, msgs: map[string]int{}}
	env := r.env(0, 10, 0, 3)
	// Reminders due now must not wait for the end of quiet hours, whenever
	// this test runs.
	progFile := filepath.Join(t.TempDir(), "programme.yaml")
	if err := os.WriteFile(progFile, []byte("quiet_hours: geen\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env["WAAKVLAM_PROGRAMME_FILE"] = progFile

	var mu sync.Mutex
	procs := make([]*serveProc, replicas)
	for i := range procs {
		if procs[i], err = startServe(bin, env, logs); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range procs {
			if p != nil {
				p.Kill()
			}
		}
	}()

	// Scheduled reminders fall due a few seconds from now, through the
	// replicas' schedulers, while the inbound burst comes in at about 500
	// messages a second and replicas are killed.
	sched, err := scheduler.NewStore(rdb, scheduler.Options{Quiet: &scheduler.QuietHours{}, Codec: store.SchedulerCodec{Store: st}})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(3 * time.Second).Truncate(time.Second)
	for i := 0; i < reminders; i++ {
		c := i % clients
		at := due.Add(time.Duration(i%5) * time.Second).Format(time.RFC3339)
		if _, err := sched.Add(ctx, scheduler.Schedule{ClientID: ids[c], Kind: scheduler.KindReminder, Spec: at,
			Emoji: "⏰", Text: strings.TrimPrefix(bulkPrefix, "⏰ ") + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	pushedAt := time.Now()
	perChat := map[int64]int{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < inbound; i++ {
			c := chats[i%clients]
			perChat[c]++
			emu.UserSays(c, "Hoi, ik heb een vraag over mijn afspraak") // no digits: "112" would rightly be a safety message
			if i%50 == 49 {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(1000+rand.IntN(1000)) * time.Millisecond)
		i := rand.IntN(replicas)
		mu.Lock()
		procs[i].Kill()
		procs[i], err = startServe(bin, env, logs)
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("killed and replaced replica %d at %.1fs", i, time.Since(pushedAt).Seconds())
	}
	<-done

	// A killed poller's lease lives 30 s, a partition's 10 s.
	deadline := time.Now().Add(90 * time.Second)
	complete := func() bool {
		if rec.bulkCount() < reminders {
			return false
		}
		for c, n := range perChat {
			if len(rec.after(c, pushedAt, saved)) < n {
				return false
			}
		}
		return true
	}
	for !complete() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	settled := time.Since(pushedAt)
	time.Sleep(time.Second) // let late duplicates arrive before counting
	mu.Lock()
	for i, p := range procs {
		p.Stop(30 * time.Second)
		procs[i] = nil
	}
	mu.Unlock()

	missing, dupReplies := 0, 0
	for c, n := range perChat {
		got := len(rec.after(c, pushedAt, saved))
		if got < n {
			missing += n - got
		} else {
			dupReplies += got - n
		}
	}
	_, _, bulkUnique, bulkDups := rec.bulkSpan()
	// Processed exactly once: each inbound text leaves one coach post.
	var posts int64
	for p := store.Partition(0); p < store.Partitions; p++ {
		n, err := rdb.XLen(ctx, p.CoachQueue()).Result()
		if err != nil {
			t.Fatal(err)
		}
		posts += n
	}
	levels, warns := logs.snapshot()
	t.Logf("settled after %.1fs: %d inbound, %d replies missing, %d duplicate replies; %d/%d reminders, %d duplicates; %d coach posts; logs %v %v",
		settled.Seconds(), inbound, missing, dupReplies, bulkUnique, reminders, bulkDups, posts, levels, warns)
	if missing > 0 || bulkUnique < reminders {
		t.Errorf("lost: %d replies, %d reminders", missing, reminders-bulkUnique)
		postsOf := map[string]int{}
		for p := store.Partition(0); p < store.Partitions; p++ {
			msgs, _ := rdb.XRange(ctx, p.CoachQueue(), "-", "+").Result()
			for _, m := range msgs {
				var cp struct {
					Client string `json:"client"`
					Kind   string `json:"kind"`
				}
				v, _ := m.Values["m"].(string)
				_ = json.Unmarshal([]byte(v), &cp)
				postsOf[cp.Client]++
			}
		}
		for i, c := range chats {
			got := rec.after(c, pushedAt, saved)
			if len(got) >= perChat[c] {
				continue
			}
			texts := map[string]int{}
			for _, m := range rec.chats[c] {
				texts[m.Text]++
			}
			t.Logf("chat %d (client %s): %d pushed, %d saved replies, %d coach posts, %d sendMessage calls in all: %v",
				c, ids[i], perChat[c], len(got), postsOf[ids[i]], len(rec.chats[c]), texts)
		}
		// Where are they? Per partition: stream lengths and entries read
		// but never acknowledged.
		for p := store.Partition(0); p < store.Partitions; p++ {
			for _, k := range []string{p.Intake(), p.Outbox(store.LaneUrgent), p.Outbox(store.LaneNormal), p.Outbox(store.LaneBulk)} {
				n, _ := rdb.XLen(ctx, k).Result()
				group := "send"
				if k == p.Intake() {
					group = "work"
				}
				pend, _ := rdb.XPending(ctx, k, group).Result()
				if n > 0 || (pend != nil && pend.Count > 0) {
					t.Logf("%s: %d entries, pending %+v", k, n, pend)
				}
			}
		}
	}
	if posts != inbound {
		t.Errorf("coach posts = %d, want exactly %d (one per inbound message)", posts, inbound)
	}
	if limit := kills * int(store.Partitions); dupReplies+bulkDups > limit {
		t.Errorf("%d duplicate sends after %d kills; at most one per partition sender per kill (%d) expected", dupReplies+bulkDups, kills, limit)
	}
	// A request cut off by SIGKILL arrives truncated; anything else the
	// fake finds wrong is a protocol error.
	var protoErrs []string
	for _, e := range emu.Errors() {
		if !strings.Contains(e, "unexpected EOF") {
			protoErrs = append(protoErrs, e)
		}
	}
	if len(protoErrs) > 0 {
		t.Errorf("protocol errors: %v", protoErrs)
	}
	if os.Getenv("WAAKVLAM_CRASH_JSON") != "" {
		b, _ := json.Marshal(map[string]any{"inbound": inbound, "replies_missing": missing, "replies_duplicated": dupReplies,
			"reminders": reminders, "reminders_delivered": bulkUnique, "reminders_duplicated": bulkDups, "coach_posts": posts,
			"kills": kills, "replicas": replicas, "settled_seconds": settled.Seconds()})
		fmt.Println(string(b))
	}
}
