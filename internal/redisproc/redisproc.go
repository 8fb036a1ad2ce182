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
func Start(bin string) (*Server, error) { return StartWith(bin, Options{}) }

// Options change how StartWith runs the server.
type Options struct {
	// Conf is a configuration file read first (the port, folder and
	// persistence arguments override it).
	Conf string
	// Args are more redis-server arguments, after the defaults (so they
	// win): an ACL file, TLS certificates.
	Args []string
	// TLS serves TLS only, on the free port (the plain port is 0); Args
	// must name the certificate files.
	TLS bool
	// Ready checks that the server at addr answers; nil: a plain PING
	// without TLS or password.
	Ready func(ctx context.Context, addr string) error
}

// StartWith runs bin on a free port with more options.
func StartWith(bin string, o Options) (*Server, error) {
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
		ports := []string{"--port", strconv.Itoa(port)}
		if o.TLS {
			ports = []string{"--port", "0", "--tls-port", strconv.Itoa(port)}
		}
		var args []string
		if o.Conf != "" {
			args = append(args, o.Conf)
		}
		args = append(append(args, "--bind", "127.0.0.1"), ports...)
		args = append(args, "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
		c := exec.Command(bin, append(args, o.Args...)...)
		// The server dies with its parent even when the parent is killed
		// or a test times out before its cleanup runs.
		c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := c.Start(); err != nil {
			return nil, fmt.Errorf("start redis-server: %w", err)
		}
		if readyWith(addr, 5*time.Second, o.Ready) {
			return &Server{Addr: addr, cmd: c, dir: dir}, nil
		}
		// Another process may have taken the port in between: try again.
		_ = c.Process.Kill()
		_ = c.Wait()
	}
	logTail, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
	_ = os.RemoveAll(dir)
	if len(logTail) > 2000 {
		logTail = logTail[len(logTail)-2000:]
	}
	return nil, fmt.Errorf("redis-server did not start: %s", logTail)
}

// Dir is the server's folder (its log is redis.log).
func (s *Server) Dir() string { return s.dir }

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

func ready(addr string, limit time.Duration) bool { return readyWith(addr, limit, nil) }

func readyWith(addr string, limit time.Duration, check func(context.Context, string) error) bool {
	if check == nil {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		check = func(ctx context.Context, _ string) error { return c.Ping(ctx).Err() }
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := check(ctx, addr)
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
func StartCluster(n int) (*Cluster, error) { return StartClusterWith(n, Options{}, nil) }

// StartClusterWith starts n masters with the options (for TLS add
// --tls-cluster yes to o.Args); cli are the redis-cli arguments that reach
// them (--tls, --cacert, --user, --pass).
func StartClusterWith(n int, o Options, cli []string) (*Cluster, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("find redis-server: %w", err)
	}
	cliBin, err := exec.LookPath("redis-cli")
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
		ports := []string{"--port", strconv.Itoa(port)}
		if o.TLS {
			ports = []string{"--port", "0", "--tls-port", strconv.Itoa(port)}
		}
		args := append([]string{"--bind", "127.0.0.1"}, ports...)
		args = append(args, "--save", "", "--appendonly", "no",
			"--cluster-enabled", "yes", "--cluster-config-file", fmt.Sprintf("nodes-%d.conf", port),
			"--dir", dir, "--logfile", filepath.Join(dir, fmt.Sprintf("redis-%d.log", port)))
		cmd := exec.Command(bin, append(args, o.Args...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			c.Stop()
			return nil, fmt.Errorf("start cluster node: %w", err)
		}
		c.servers = append(c.servers, cmd)
		if !readyWith(addr, 5*time.Second, o.Ready) {
			c.Stop()
			return nil, fmt.Errorf("cluster node %s did not start", addr)
		}
		c.Addrs = append(c.Addrs, addr)
	}
	args := append(append([]string{"--no-auth-warning"}, cli...), "--cluster", "create")
	args = append(args, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cliBin, args...).CombinedOutput(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("create cluster: %v: %s", err, out)
	}
	// Every node must see the whole cluster before it takes writes: the
	// first node agreeing is not enough (CLUSTERDOWN on the others).
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ok := true
		for _, a := range c.Addrs {
			q := append(append([]string{"--no-auth-warning"}, cli...), "-h", "127.0.0.1", "-p", strings.Split(a, ":")[1], "cluster", "info")
			out, _ := exec.Command(cliBin, q...).Output()
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
	return StartSentinelWith(masterAddr, master, nil, Options{})
}

// StartSentinelWith starts a sentinel with more lines in its configuration
// file (requirepass, sentinel auth-user, TLS files and
// "tls-replication yes"); o.TLS serves TLS only and o.Ready checks it.
func StartSentinelWith(masterAddr, master string, lines []string, o Options) (*Sentinel, error) {
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
	ports := fmt.Sprintf("port %d\n", port)
	if o.TLS {
		ports = fmt.Sprintf("port 0\ntls-port %d\n", port)
	}
	body := fmt.Sprintf("bind 127.0.0.1\n%sdir %s\nsentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 5000\n",
		ports, dir, master, host, mport, master)
	body += strings.Join(append(lines, ""), "\n")
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
	if !readyWith(addr, 5*time.Second, o.Ready) {
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
