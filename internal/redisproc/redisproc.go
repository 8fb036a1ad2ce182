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
	"strings"
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

// Cluster is a Redis Cluster of masters on loopback, for tests that check
// the key layout works where every script and transaction must stay in
// one hash slot.
type Cluster struct {
	Addrs   []string
	servers []*exec.Cmd
	dir     string
}

// StartCluster starts n masters with cluster mode on and joins them.
func StartCluster(n int) (*Cluster, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("find redis-server: %w", err)
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, fmt.Errorf("find redis-cli: %w", err)
	}
	dir, err := os.MkdirTemp("", "waakvlam-cluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir}
	for i := 0; i < n; i++ {
		port, err := freePort()
		if err != nil {
			c.Stop()
			return nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
			"--cluster-enabled", "yes", "--cluster-config-file", fmt.Sprintf("nodes-%d.conf", port),
			"--dir", dir, "--logfile", filepath.Join(dir, fmt.Sprintf("redis-%d.log", port)))
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			c.Stop()
			return nil, fmt.Errorf("start cluster node: %w", err)
		}
		c.servers = append(c.servers, cmd)
		if !ready(addr, 5*time.Second) {
			c.Stop()
			return nil, fmt.Errorf("cluster node %s did not start", addr)
		}
		c.Addrs = append(c.Addrs, addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("create cluster: %v: %s", err, out)
	}
	// Every node must see the whole cluster before it takes writes: the
	// first node agreeing is not enough (CLUSTERDOWN on the others).
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ok := true
		for _, a := range c.Addrs {
			out, _ := exec.Command(cli, "-h", "127.0.0.1", "-p", strings.Split(a, ":")[1], "cluster", "info").Output()
			info := string(out)
			ok = ok && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_slots_ok:16384") &&
				strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n))
		}
		if ok {
			return c, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.Stop()
	return nil, fmt.Errorf("cluster did not become ready")
}

// Stop kills the nodes and removes their folder.
func (c *Cluster) Stop() {
	for _, s := range c.servers {
		if s.Process != nil {
			_ = s.Process.Kill()
			_ = s.Wait()
		}
	}
	_ = os.RemoveAll(c.dir)
}

// Sentinel is a redis-server in sentinel mode watching one master.
type Sentinel struct {
	Addr string
	cmd  *exec.Cmd
	dir  string
}

// StartSentinel starts a sentinel that monitors the master at masterAddr
// under the name master.
func StartSentinel(masterAddr, master string) (*Sentinel, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("find redis-server: %w", err)
	}
	dir, err := os.MkdirTemp("", "waakvlam-sentinel-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	host, mport, _ := strings.Cut(masterAddr, ":")
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("bind 127.0.0.1\nport %d\ndir %s\nsentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 5000\n",
		port, dir, master, host, mport, master)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, conf, "--sentinel")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sentinel: %w", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	s := &Sentinel{Addr: addr, cmd: cmd, dir: dir}
	if !ready(addr, 5*time.Second) {
		s.Stop()
		return nil, fmt.Errorf("sentinel on %s did not start", addr)
	}
	return s, nil
}

// Stop kills the sentinel and removes its folder.
func (s *Sentinel) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
	_ = os.RemoveAll(s.dir)
}
