package accesslog

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/internal/redisproc"
	"github.com/waakvlam/waakvlam/store"
)

// On a real three-master Redis Cluster every chain takes appends (several
// chains in one pipeline, from two writers at once), verifies and trims:
// each chain's keys share one hash tag.
func TestChainsOnRedisCluster(t *testing.T) {
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
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for _, c := range Chains() {
		_, hk, _ := chainKeys(c)
		for rdb.Set(ctx, hk+":probe", "1", time.Second).Err() != nil {
			if time.Now().After(deadline) {
				t.Fatalf("chain %s's slot does not answer", c)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		l := New(rdb, secret, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				var es []Entry
				for p := store.Partition(0); p < store.Partitions; p++ {
					es = append(es, entry(clientIn(p, w), "client.list"))
				}
				if err := l.Record(ctx, append(es, Entry{Actor: "operator:x", Action: "keys.rewrap", Op: Change, Outcome: OK, Source: SourceCLI})...); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	l := New(rdb, secret, nil)
	rep, err := l.Verify(ctx)
	if err != nil || rep.Tampered() {
		t.Fatalf("verify: %v %v", rep.Findings, err)
	}
	for _, c := range rep.Chains {
		if c.Entries != 20 {
			t.Fatalf("%s: %d entries, want 20", c.Chain, c.Entries)
		}
	}
	l.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if n, err := l.Trim(ctx, time.Hour); err != nil || n != 20*int64(len(Chains())) {
		t.Fatalf("trim: %d %v", n, err)
	}
	if rep, err := l.Verify(ctx); err != nil || rep.Tampered() {
		t.Fatalf("verify after trim: %v %v", rep.Findings, err)
	}
}
