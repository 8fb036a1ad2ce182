// Package redistest owns the real redis-server that tests talk to: one
// server per test binary, started on a free loopback port and stopped when
// the tests end, so packages that run in parallel never share data.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	once     sync.Once
	addr     string
	cmd      *exec.Cmd
	workDir  string
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
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("find redis-server: %w", err)
	}
	workDir, err = os.MkdirTemp("", "waakvlam-redis-")
	if err != nil {
		return "", fmt.Errorf("make redis dir: %w", err)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return "", err
		}
		a := "127.0.0.1:" + strconv.Itoa(port)
		c := exec.Command(bin,
			"--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--save", "", "--appendonly", "no",
			"--dir", workDir, "--logfile", filepath.Join(workDir, "redis.log"))
		// The server dies with the test binary even when a test times out
		// and TestMain's cleanup never runs.
		c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := c.Start(); err != nil {
			return "", fmt.Errorf("start redis-server: %w", err)
		}
		if waitReady(a, 5*time.Second) {
			cmd = c
			return a, nil
		}
		_ = c.Process.Kill()
		_ = c.Wait()
		lastErr = fmt.Errorf("redis-server on %s did not answer", a)
	}
	return "", lastErr
}

func waitReady(a string, limit time.Duration) bool {
	c := redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func stop() {
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	if workDir != "" {
		_ = os.RemoveAll(workDir)
	}
}
