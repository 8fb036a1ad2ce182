// Package redisproc owns a redis-server process that Waakvlam starts for
// itself: on a free loopback port, without persistence, in its own folder,
// and stopped (or killed with its parent) afterwards. Tests and the load
// command use it.
package redisproc

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a running redis-server.
type Server struct {
	Addr string
	cmd  *exec.Cmd
	dir  string
}

// Start runs bin ("" finds redis-server on PATH) on a free port.
func Start(bin string) (*Server, error) {
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("redis-server"); err != nil {
			return nil, fmt.Errorf("find redis-server (install it, e.g. apt-get install redis-server): %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "waakvlam-redis-")
	if err != nil {
		return nil, fmt.Errorf("make redis dir: %w", err)
	}
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		c := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
		// The server dies with its parent even when the parent is killed
		// or a test times out before its cleanup runs.
		c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := c.Start(); err != nil {
			return nil, fmt.Errorf("start redis-server: %w", err)
		}
		if ready(addr, 5*time.Second) {
			return &Server{Addr: addr, cmd: c, dir: dir}, nil
		}
		// Another process may have taken the port in between: try again.
		_ = c.Process.Kill()
		_ = c.Wait()
	}
	_ = os.RemoveAll(dir)
	return nil, fmt.Errorf("redis-server did not start")
}

// Stop kills the server and removes its folder.
func (s *Server) Stop() {
	if s == nil {
		return
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
	_ = os.RemoveAll(s.dir)
}

func ready(addr string, limit time.Duration) bool {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
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

// FreePort returns a loopback port nobody listens on right now.
func FreePort() (int, error) { return freePort() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
