package scheduler

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/store"
)

// BenchmarkTick claims 100 due occurrences per op from one partition while
// 1,000 or 1,000,000 other schedules are stored: the cost per claim should
// not depend on the stored count (ZRANGE BYSCORE with a limit, no scans).
// It also reports the Redis memory per stored schedule (hash, due member
// and client-set member), from INFO used_memory before and after seeding.
// The big case takes about a minute; skip it with -bench 'Tick/stored=1000$'.
func BenchmarkTick(b *testing.B) {
	parent := b
	for _, n := range []int{1_000, 1_000_000} {
		var (
			once   sync.Once
			e      *env
			hot    store.Partition
			perSch float64
			now    = time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC) // simulated; moves on across runs
		)
		b.Run("stored="+strconv.Itoa(n), func(b *testing.B) {
			once.Do(func() {
				// The client outlives this first run of the sub-benchmark.
				rdb := redis.NewClient(&redis.Options{Addr: redistest.Addr(b), PoolSize: 16})
				parent.Cleanup(func() { _ = rdb.Close() })
				if err := rdb.FlushAll(context.Background()).Err(); err != nil {
					b.Fatal(err)
				}
				e, hot, perSch = seedBench(b, rdb, n)
			})
			const batch = 100
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				now = now.Add(time.Minute)
				claimed, err := e.st.Tick(ctx, hot, now, batch)
				if err != nil {
					b.Fatal(err)
				}
				if claimed != batch {
					b.Fatalf("claimed %d, want %d", claimed, batch)
				}
				if i%50 == 49 {
					b.StopTimer()
					e.rdb.XTrimMaxLen(ctx, hot.Intake(), 0)
					b.StartTimer()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/claim")
			b.ReportMetric(perSch, "B/schedule")
			e.rdb.XTrimMaxLen(ctx, hot.Intake(), 0)
		})
	}
}

func seedBench(b *testing.B, rdb *redis.Client, n int) (*env, store.Partition, float64) {
	b.Helper()
	loc := amsterdam(b)
	start := time.Date(2026, 3, 27, 12, 0, 0, 0, loc)
	e := newEnvOn(b, rdb, start, Options{Quiet: &QuietHours{}})
	ctx := context.Background()
	before := usedMemory(b, e.rdb)

	// Background: yearly schedules, due 1 January 2027, written in bulk
	// exactly as Add stores them.
	spec, err := Parse("0 9 1 1 *", start, loc)
	if err != nil {
		b.Fatal(err)
	}
	pl := e.st.plan(spec, nil)
	o, _ := pl.first(start)
	c, _ := e.st.encodeContent(ctx, store.Where{}, content{Text: "Neem je pillen in", Emoji: "💊"})
	t0 := time.Now()
	const workers, chunk = 4, 1000
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for lo := w * chunk; lo < n; lo += workers * chunk {
				pipe := e.rdb.Pipeline()
				for i := lo; i < min(lo+chunk, n); i++ {
					client := "bg" + strconv.Itoa(i)
					id := "s" + strconv.Itoa(i)
					k := keysFor(client, id)
					pipe.HSet(ctx, k.sched, fClient, client, fKind, string(KindReminder), fSpec, spec.String(), fBefore, "",
						fContent, c, fPaused, "0", fEvent, ms(o.event), fIndex, 0, fDue, ms(o.due), fVersion, 1)
					pipe.ZAdd(ctx, k.due, redis.Z{Score: float64(ms(o.due)), Member: id})
					pipe.SAdd(ctx, k.clsets, id)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	after := usedMemory(b, e.rdb)
	perSchedule := float64(after-before) / float64(n)
	sample, _ := e.rdb.MemoryUsage(ctx, keysFor("bg0", "s0").sched).Result()
	b.Logf("seeded %d schedules in %v; used_memory +%d bytes = %.0f B/schedule (the hash alone: %d B by MEMORY USAGE)",
		n, time.Since(t0).Round(time.Millisecond), after-before, perSchedule, sample)

	// Hot set: 100 schedules every minute, all in one partition, via Add.
	hot := store.Partition(0)
	added := 0
	for i := 0; added < 100; i++ {
		client := "hot" + strconv.Itoa(i)
		if store.PartitionOfClient(client) != hot {
			continue
		}
		if _, err := e.st.Add(ctx, Schedule{ID: fmt.Sprintf("h%d", i), ClientID: client, Spec: "* * * * *", Text: "hot"}); err != nil {
			b.Fatal(err)
		}
		added++
	}
	return e, hot, perSchedule
}

func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	b.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no used_memory in INFO")
	return 0
}
