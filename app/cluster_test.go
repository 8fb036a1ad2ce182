package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/internal/redisproc"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

// The key layout works on Redis Cluster: a real three-master cluster runs
// onboarding, a coach post, a safety alert with its escalation and a
// scheduled reminder, with no CROSSSLOT error anywhere.
func TestEverythingRunsOnRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	cl, err := redisproc.StartCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	opts, err := config.RedisOptions("redis+cluster://" + strings.Join(cl.Addrs, ","))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewUniversalClient(opts)
	defer rdb.Close()
	if _, ok := rdb.(*redis.ClusterClient); !ok {
		t.Fatalf("not a cluster client: %T", rdb)
	}
	// Each partition's slot answers before the test starts.
	deadline := time.Now().Add(20 * time.Second)
	for p := store.Partition(0); p < store.Partitions; p++ {
		for rdb.Set(context.Background(), p.Lease()+":probe", "1", time.Second).Err() != nil {
			if time.Now().After(deadline) {
				t.Fatalf("partition %d's slot does not answer", p)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	r := newRig(t)
	dir, _ := staff.ParseDirectory([]byte("coaches:\n  - {username: coach-piet, name: Piet, backup: coach-sanne}\n  - {username: coach-sanne, name: Sanne}\non_call: coach-sanne\n"))
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	dir.Location = ams
	clk := &clock{t: time.Date(2026, 11, 30, 7, 59, 0, 0, ams)}
	r.cfg.Keys = seal.Ephemeral() // sealed at rest, as serve runs: data keys live in each partition's slot
	a, stop := runApp(t, r.cfg, rdb, pipeline.Options{Replica: "cl", Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second,
		Now: clk.Now, Escalation: app.Escalation(dir)})
	defer stop()
	ctx := context.Background()
	// The AOF rewrite visits every master (they run without AOF here: none is asked).
	if n, err := a.Store.RewriteAOF(ctx, "cl", time.Hour); err != nil || n != 0 {
		t.Fatalf("aof rewrite on the cluster: %d %v", n, err)
	}

	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: "Noor", Coach: "Piet", CoachUser: "coach-piet", BackupUser: "coach-sanne",
		BotUsername: "b", TTL: time.Hour, Now: clk.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Schedules.Add(ctx, scheduler.Schedule{ClientID: inv.ClientID, Kind: scheduler.KindReminder, Spec: "elke dag om 8:00", Text: "Pillen", Emoji: "💊"}); err != nil {
		t.Fatal(err)
	}
	// Strangers and clients across many partitions.
	for i := 0; i < 20; i++ {
		r.emu.UserSays(int64(5000+i), "hallo")
	}
	const chat = 777
	r.emu.UserSays(chat, "/start "+inv.Code)
	r.waitTexts(chat, 3)
	for i := 0; i < 20; i++ {
		r.waitTexts(int64(5000+i), 1)
	}
	r.emu.UserSays(chat, "ik wil niet meer leven")
	r.waitTexts(chat, 6) // a kind word, 113, "Ben je nu veilig?"
	clk.Add(time.Minute) // 08:00: the reminder
	got := r.waitTexts(chat, 7)
	if !strings.Contains(got[6], "💊 Pillen") {
		t.Fatalf("reminder = %q", got[6])
	}
	clk.Add(16 * time.Minute)
	deadline = time.Now().Add(10 * time.Second)
	escalated := false
	for !escalated && time.Now().Before(deadline) {
		q := store.PartitionOfClient(inv.ClientID).CoachQueue()
		msgs, _ := rdb.XRange(ctx, q, "-", "+").Result()
		for _, m := range msgs {
			owner, _ := m.Values["k"].(string)
			post, err := a.Store.OpenAt(ctx, store.Where{Owner: owner, Key: q, Field: "m"}, []byte(m.Values["m"].(string)))
			escalated = escalated || (err == nil && strings.Contains(string(post), `"escalation"`))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !escalated {
		t.Fatal("no escalation on the cluster")
	}
	// Export, the retention sweep and wiping walk every master.
	if d, err := a.Store.ExportClient(ctx, inv.ClientID); err != nil || len(d.Alerts) != 1 || len(d.Events) == 0 {
		t.Fatalf("export on the cluster: %d alerts, %d events, %v", len(d.Alerts), len(d.Events), err)
	}
	if _, err := a.Sweep(ctx); err != nil {
		t.Fatalf("sweep on the cluster: %v", err)
	}
	if _, err := a.Store.StopClient(ctx, inv.ClientID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.WipeClient(ctx, inv.ClientID); err != nil {
		t.Fatalf("wipe on the cluster: %v", err)
	}
	err = rdb.(*redis.ClusterClient).ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		for _, k := range c.Keys(ctx, "*"+inv.ClientID+"*").Val() {
			t.Errorf("key %s names the wiped client", k)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if errs := r.emu.Errors(); len(errs) > 0 {
		t.Fatalf("protocol errors: %v", errs)
	}
}

// The same process runs through Sentinel: the client asks the sentinel for
// the master and works on it.
func TestOnboardingThroughSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis with a sentinel")
	}
	master, err := redisproc.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer master.Stop()
	sen, err := redisproc.StartSentinel(master.Addr, "waakvlam")
	if err != nil {
		t.Fatal(err)
	}
	defer sen.Stop()
	opts, err := config.RedisOptions("redis+sentinel://" + sen.Addr + "/waakvlam")
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewUniversalClient(opts)
	defer rdb.Close()
	if _, ok := rdb.(*redis.Client); !ok {
		t.Fatalf("not a failover client: %T", rdb)
	}
	deadline := time.Now().Add(20 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("sentinel gives no master")
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := newRig(t)
	a, stop := runApp(t, r.cfg, rdb, pipeline.Options{Replica: "sen", Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second})
	defer stop()
	ctx := context.Background()
	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: "Noor", Coach: "Piet", BotUsername: "b", TTL: time.Hour, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	r.emu.UserSays(888, "/start "+inv.Code)
	got := r.waitTexts(888, 3)
	if !strings.Contains(got[0], "Hallo Noor") {
		t.Fatalf("welcome = %q", got[0])
	}
	// The data is on the master the sentinel named.
	direct := redis.NewClient(&redis.Options{Addr: master.Addr})
	defer direct.Close()
	if n := direct.SCard(context.Background(), store.PartitionOfClient(inv.ClientID).Clients()).Val(); n != 1 {
		t.Fatalf("master holds %d clients in the partition", n)
	}
}
