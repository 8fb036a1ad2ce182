// Package redistest owns the real redis-server that tests talk to: one
// server per test binary, started on a free loopback port and stopped when
// the tests end, so packages that run in parallel never share data.
package redistest

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redisproc"
)

var (
	once     sync.Once
	addr     string
	server   *redisproc.Server
	startErr error
)

// Main runs the package's tests and stops the server afterwards. Call it
// from TestMain: func TestMain(m *testing.M) { redistest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	stop()
	os.Exit(code)
}

// Addr returns the address of this test binary's server, starting it on
// first use.
func Addr(tb testing.TB) string {
	tb.Helper()
	once.Do(func() { addr, startErr = start() })
	if startErr != nil {
		tb.Fatalf("real redis-server needed for this test (the project test script installs it): %v", startErr)
	}
	return addr
}

// Client returns a client on an emptied database. The database is flushed
// again when the test ends so that no test sees another's keys.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: Addr(tb), PoolSize: 64})
	if err := c.FlushAll(context.Background()).Err(); err != nil {
		tb.Fatalf("flush redis: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

func start() (string, error) {
	if a := os.Getenv("WAAKVLAM_TEST_REDIS_ADDR"); a != "" {
		return a, nil
	}
	var err error
	if server, err = redisproc.Start(""); err != nil {
		return "", err
	}
	return server.Addr, nil
}

func stop() { server.Stop() }
