package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redisproc"
)

// redisServer is a redis-server this run starts and stops.
type redisServer = redisproc.Server

func startRedis(bin string) (*redisServer, error) { return redisproc.Start(bin) }

// serveProc is one `waakvlam serve` process.
type serveProc struct {
	cmd     *exec.Cmd
	http    string
	done    chan struct{}
	waitErr error
	logs    *logCounter
}

// logCounter keeps the serving process's log lines (ids only, never
// message text: that is the serving side's rule) and counts them by level.
type logCounter struct {
	mu     sync.Mutex
	levels map[string]int
	msgs   map[string]int
	buf    bytes.Buffer
	last   []string // the last lines, for an error at start
}

func (l *logCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.WriteString(line) // incomplete: keep for the next write
			break
		}
		l.last = append(l.last, strings.TrimSpace(line))
		if len(l.last) > 5 {
			l.last = l.last[1:]
		}
		lvl, msg := field(line, "level"), field(line, "msg")
		l.levels[lvl]++
		if lvl == "WARN" || lvl == "ERROR" {
			l.msgs[msg]++
		}
	}
	return len(p), nil
}

// field pulls "key":"value" out of a JSON log line without decoding it.
func field(line, key string) string {
	_, rest, ok := strings.Cut(line, `"`+key+`":"`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

func (l *logCounter) snapshot() (map[string]int, map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, b := map[string]int{}, map[string]int{}
	for k, v := range l.levels {
		a[k] = v
	}
	for k, v := range l.msgs {
		b[k] = v
	}
	return a, b
}

// startServe runs `bin serve` with env added to a clean environment and
// waits until /readyz answers.
func startServe(bin string, env map[string]string, logs *logCounter) (*serveProc, error) {
	port, err := redisproc.FreePort()
	if err != nil {
		return nil, err
	}
	httpAddr := "127.0.0.1:" + strconv.Itoa(port)
	// replicas on one machine need an admin port each; the kernel may hand
	// out the same free port twice while neither is bound yet
	adminPort := port
	for adminPort == port {
		if adminPort, err = redisproc.FreePort(); err != nil {
			return nil, err
		}
	}
	c := exec.Command(bin, "serve")
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "WAAKVLAM_HTTP_ADDR=" + httpAddr,
		"WAAKVLAM_ADMIN_ADDR=127.0.0.1:" + strconv.Itoa(adminPort)}
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	c.Stderr = logs
	c.Stdout = logs
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("start %s serve: %w", bin, err)
	}
	p := &serveProc{cmd: c, http: httpAddr, done: make(chan struct{}), logs: logs}
	go func() { p.waitErr = c.Wait(); close(p.done) }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			logs.mu.Lock()
			tail := strings.Join(logs.last, " | ")
			logs.mu.Unlock()
			return nil, fmt.Errorf("waakvlam serve exited at start: %v: %s", p.waitErr, tail)
		default:
		}
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Kill()
	return nil, fmt.Errorf("waakvlam serve not ready on %s", httpAddr)
}

// Stop sends SIGTERM and waits up to grace, then kills. It returns how long
// the process took to stop and whether it stopped by itself.
func (p *serveProc) Stop(grace time.Duration) (time.Duration, bool) {
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return time.Since(start), true
	case <-time.After(grace):
		p.Kill()
		return time.Since(start), false
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *serveProc) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// memory reads VmRSS and VmHWM (peak RSS) of the process in bytes.
func (p *serveProc) memory() (rss, hwm int64, err error) {
	return procMemory(p.cmd.Process.Pid)
}

func procMemory(pid int) (rss, hwm int64, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) != 2 || fs[1] != "kB" {
			continue
		}
		n, _ := strconv.ParseInt(fs[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n * 1024
		case "VmHWM":
			hwm = n * 1024
		}
	}
	return rss, hwm, sc.Err()
}

// redisStats are the server's counters this run reads.
type redisStats struct {
	commands int64            // total_commands_processed: every command, including those a script calls
	reads    int64            // total_reads_processed: read events on client sockets, about one per round trip
	byCmd    map[string]int64 // calls per command (commandstats)
}

func readRedisStats(ctx context.Context, rdb *redis.Client) (redisStats, error) {
	s := redisStats{byCmd: map[string]int64{}}
	info, err := rdb.Info(ctx, "stats", "commandstats").Result()
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case k == "total_commands_processed":
			s.commands, _ = strconv.ParseInt(v, 10, 64)
		case k == "total_reads_processed":
			s.reads, _ = strconv.ParseInt(v, 10, 64)
		case strings.HasPrefix(k, "cmdstat_"):
			calls, _, _ := strings.Cut(strings.TrimPrefix(v, "calls="), ",")
			s.byCmd[strings.TrimPrefix(k, "cmdstat_")], _ = strconv.ParseInt(calls, 10, 64)
		}
	}
	return s, nil
}

func (a redisStats) sub(b redisStats) redisStats {
	out := redisStats{commands: a.commands - b.commands, reads: a.reads - b.reads, byCmd: map[string]int64{}}
	for k, v := range a.byCmd {
		if d := v - b.byCmd[k]; d > 0 {
			out.byCmd[k] = d
		}
	}
	return out
}
