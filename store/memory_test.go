package store_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/store"
)

func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no used_memory")
	return 0
}

// BenchmarkMemoryPerClient measures what a linked client costs in Redis:
// the client record with dialog state and pilot-light fields, the
// partition index and the chat link (schedules are measured in scheduler).
// With sealing (as serve runs) the record also holds its envelopes and the
// partition a wrapped data key per client.
func BenchmarkMemoryPerClient(b *testing.B) {
	b.Run("sealed", func(b *testing.B) {
		rdb := redistest.Client(b)
		memoryPerClient(b, rdb, store.New(rdb, store.NewSealer(rdb, seal.Ephemeral())))
	})
	// deploy/redis.conf lets small hashes with envelopes stay listpacks.
	b.Run("sealed-listpack256", func(b *testing.B) {
		rdb := redistest.Client(b)
		rdb.ConfigSet(context.Background(), "hash-max-listpack-value", "256")
		defer rdb.ConfigSet(context.Background(), "hash-max-listpack-value", "64")
		memoryPerClient(b, rdb, store.New(rdb, store.NewSealer(rdb, seal.Ephemeral())))
	})
	b.Run("plain", func(b *testing.B) {
		rdb := redistest.Client(b)
		memoryPerClient(b, rdb, store.New(rdb, nil))
	})
}

func memoryPerClient(b *testing.B, rdb *redis.Client, st *store.Store) {
	ctx := context.Background()
	const n = 10000
	before := usedMemory(b, rdb)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c%07d", i)
		if err := st.CreateClient(ctx, store.Client{ID: id, FirstName: "Sanne", Coach: "Piet", Lang: "nl", Created: time.Now(), CoachUser: "coach-piet", BackupUser: "coach-sanne"}); err != nil {
			b.Fatal(err)
		}
		if _, err := st.LinkChat(ctx, id, int64(100000000+i), int64(i+1)); err != nil {
			b.Fatal(err)
		}
		if err := st.SetClientFields(ctx, id, map[string]string{"state": `{"s":"ask_coach","t":"2026-11-26T10:00:00Z"}`,
			"last_in": "1795734130430", "moods": "34523", "miss_run": "0", "level": "normaal", "mmch": "8xk3m9qa2pzd7rj1w6c4yt5nfe"}); err != nil {
			b.Fatal(err)
		}
	}
	after := usedMemory(b, rdb)
	b.ReportMetric(float64(after-before)/n, "B/client")
	for i := 0; i < b.N; i++ {
		// The figure is the metric above; the loop only satisfies the benchmark runner.
	}
}
