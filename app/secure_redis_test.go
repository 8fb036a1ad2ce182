package app_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/internal/redisproc"
	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

// Passwords of the users in deploy/users.acl for these tests.
const (
	appPassword      = "app-Passw0rd-for-tests"
	opsPassword      = "ops-Passw0rd-for-tests"
	sentinelPassword = "sentinel-Passw0rd-for-tests"
)

func shippedACL(t *testing.T) string {
	return redistest.ShippedACL(t, map[string]string{"waakvlam": appPassword, "ops": opsPassword})
}

func trust(t *testing.T, caFile string) *tls.Config {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// opsReady checks a TLS server as the operators' user.
func opsReady(t *testing.T, caFile, password string, user string) func(context.Context, string) error {
	cfg := trust(t, caFile)
	return func(ctx context.Context, addr string) error {
		c := redis.NewClient(&redis.Options{Addr: addr, Username: user, Password: password, TLSConfig: cfg.Clone(), MaxRetries: -1})
		defer c.Close()
		return c.Ping(ctx).Err()
	}
}

// shippedConf is deploy/redis.conf with its TLS block switched on and the
// test's certificate and ACL files in place of the /etc/redis paths.
func shippedConf(t *testing.T, files redistest.TLSFiles) string {
	t.Helper()
	src := strings.TrimSuffix(redistest.ShippedACLPath(t), "users.acl") + "redis.conf"
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "# port 0") || strings.HasPrefix(line, "# tls-") {
			line = strings.TrimPrefix(line, "# ")
		}
		out = append(out, line)
	}
	conf := strings.NewReplacer("/etc/redis/users.acl", shippedACL(t), "/etc/redis/tls/redis.crt", files.Cert,
		"/etc/redis/tls/redis.key", files.Key, "/etc/redis/tls/ca.crt", files.CA).Replace(strings.Join(out, "\n"))
	if !strings.Contains(conf, "aclfile "+os.TempDir()) || !strings.Contains(conf, "\ntls-cert-file "+files.Cert) {
		t.Fatalf("deploy/redis.conf has no aclfile or TLS block to switch on:\n%s", conf)
	}
	path := t.TempDir() + "/redis.conf"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// secureRedis starts a redis-server with the shipped redis.conf (TLS on)
// and users.acl.
func secureRedis(t *testing.T, files redistest.TLSFiles) *redisproc.Server {
	t.Helper()
	// DEBUG on, so that only the ACL stands between the app user and it;
	// the shipped append-only file, for the scheduled rewrite.
	srv, err := redisproc.StartWith("", redisproc.Options{TLS: true, Conf: shippedConf(t, files), Args: []string{"--enable-debug-command", "yes", "--appendonly", "yes"},
		Ready: opsReady(t, files.CA, opsPassword, "ops")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// connect loads the configuration as serve does and connects.
func connect(t *testing.T, url, caFile string) (redis.UniversalClient, error) {
	t.Helper()
	env := map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": token, "WAAKVLAM_REDIS_URL": url, "WAAKVLAM_REDIS_CA_FILE": caFile}
	cfg, _, err := config.Load("serve", func(k string) string { return env[k] }, nil, config.Need{Telegram: true, Redis: true})
	if err != nil {
		return nil, err
	}
	rdb, err := cfg.Redis()
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb, nil
}

func ping(t *testing.T, url, caFile string) error {
	t.Helper()
	rdb, err := connect(t, url, caFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return rdb.Ping(ctx).Err()
}

// The shipped ACL file cannot go live with its placeholders: Redis refuses
// to start, so nobody runs with a known password.
func TestShippedACLRefusesToStartWithItsPlaceholders(t *testing.T) {
	port, err := redisproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "",
		"--aclfile", redistest.ShippedACLPath(t)).CombinedOutput()
	if err == nil || ctx.Err() != nil || !strings.Contains(string(out), "ACL errors") {
		t.Fatalf("redis-server with the placeholders: %v\n%s", err, out)
	}
}

// Against a real redis-server with TLS and the shipped ACL: a plaintext
// client, a client with the wrong CA and the disabled default user are
// refused; the app user gets NOPERM on every forbidden command and key,
// and runs the whole app (onboarding, strangers, a safety alert with its
// escalation and pick-up, a scheduled reminder) over TLS.
func TestAppRunsOnTLSRedisAsTheShippedACLUser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a redis-server with TLS")
	}
	files, otherCA := redistest.NewTLS(t), redistest.NewTLS(t)
	srv := secureRedis(t, files)
	appURL := "rediss://waakvlam:" + appPassword + "@" + srv.Addr + "/0"

	if err := ping(t, "redis://waakvlam:"+appPassword+"@"+srv.Addr+"/0", ""); err == nil {
		t.Fatal("a plaintext client was served")
	}
	err := ping(t, appURL, otherCA.CA)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) && (err == nil || !strings.Contains(err.Error(), "unknown authority")) {
		t.Fatalf("a client trusting another CA: %v", err)
	}
	if err := ping(t, appURL, ""); err == nil {
		t.Fatal("the system's CAs accepted a throwaway CA")
	}
	if err := ping(t, "rediss://"+srv.Addr+"/0", files.CA); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("the default user: %v", err)
	}
	if err := ping(t, "rediss://waakvlam:not-the-Passw0rd@"+srv.Addr+"/0", files.CA); err == nil || strings.Contains(err.Error(), "not-the-Passw0rd") {
		t.Fatalf("a wrong password: %v", err)
	}
	if err := ping(t, appURL, files.CA); err != nil {
		t.Fatalf("the app user with the right CA: %v", err)
	}

	rdb, err := connect(t, appURL, files.CA)
	if err != nil {
		t.Fatal(err)
	}
	forbidden(t, rdb)
	fullFlow(t, rdb)
	forbidden(t, rdb) // still refused, and the server still runs (no SHUTDOWN)
	// The scheduled AOF rewrite works as the app user (INFO, BGREWRITEAOF).
	if asked, err := store.New(rdb, nil).RewriteAOF(context.Background(), "acl", time.Minute); err != nil || asked != 1 {
		t.Fatalf("AOF rewrite as the app user: asked %d servers, %v", asked, err)
	}
}

// forbidden checks that the app user cannot wipe, list, reconfigure, watch
// or stop Redis, nor touch a key outside wv:*.
func forbidden(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	for _, cmd := range [][]any{
		{"flushall"}, {"flushdb"}, {"keys", "*"}, {"config", "get", "*"}, {"config", "set", "appendonly", "no"},
		{"monitor"}, {"debug", "sleep", "0"}, {"shutdown", "nosave"}, {"acl", "list"}, {"acl", "setuser", "x", "on"},
		{"save"}, {"bgsave"}, {"client", "list"}, {"client", "kill", "id", "1"}, {"replicaof", "no", "one"},
		{"function", "flush"}, {"sort", "wv:x"}, {"get", "other:key"}, {"set", "other:key", "1"}, {"eval", "return redis.call('get','other')", "1", "other"},
		{"eval", "return redis.call('flushall')", "0"},
	} {
		err := rdb.Do(ctx, cmd...).Err()
		// Inside a script Redis words it differently.
		if err == nil || (!strings.HasPrefix(err.Error(), "NOPERM") && !strings.Contains(err.Error(), "user executing the script can't run")) {
			t.Errorf("%v as the app user: %v, want NOPERM", cmd, err)
		}
	}
	if err := rdb.Set(ctx, "wv:{sys}:probe", "1", time.Second).Err(); err != nil {
		t.Fatalf("the app user cannot write its own keys: %v", err)
	}
}

// fullFlow runs onboarding, strangers, a safety alert with its escalation
// and pick-up and a scheduled reminder on rdb, through the real app.
func fullFlow(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		// Each partition's slot answers before the flow starts.
		deadline := time.Now().Add(20 * time.Second)
		for p := store.Partition(0); p < store.Partitions; p++ {
			for cc.Set(ctx, p.Lease()+":probe", "1", time.Second).Err() != nil {
				if time.Now().After(deadline) {
					t.Fatalf("partition %d's slot does not answer", p)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	r := newRig(t)
	dir, _ := staff.ParseDirectory([]byte("coaches:\n  - {username: coach-piet, name: Piet, backup: coach-sanne}\n  - {username: coach-sanne, name: Sanne}\non_call: coach-sanne\n"))
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	dir.Location = ams
	clk := &clock{t: time.Date(2026, 11, 30, 7, 59, 0, 0, ams)}
	a, stop := runApp(t, r.cfg, rdb, pipeline.Options{Replica: "acl", Block: 50 * time.Millisecond, LeaseTTL: 3 * time.Second,
		Now: clk.Now, Escalation: app.Escalation(dir)})
	defer stop()

	inv, err := invite.Create(ctx, a.Store, invite.Request{FirstName: "Noor", Coach: "Piet", CoachUser: "coach-piet", BackupUser: "coach-sanne",
		BotUsername: "b", TTL: time.Hour, Now: clk.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Schedules.Add(ctx, scheduler.Schedule{ClientID: inv.ClientID, Kind: scheduler.KindReminder, Spec: "elke dag om 8:00", Text: "Pillen", Emoji: "💊"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		r.emu.UserSays(int64(5000+i), "hallo")
	}
	const chat = 777
	r.emu.UserSays(chat, "/start "+inv.Code)
	if got := r.waitTexts(chat, 3); !strings.Contains(got[0], "Hallo Noor") {
		t.Fatalf("welcome = %q", got[0])
	}
	for i := 0; i < 5; i++ {
		r.waitTexts(int64(5000+i), 1)
	}
	r.emu.UserSays(chat, "ik wil niet meer leven")
	sig := waitPosts(t, a, inv.ClientID, "signal", 1)[0]
	clk.Add(time.Minute) // 08:00: the reminder
	waitFor(t, r, chat, "💊 Pillen")
	clk.Add(16 * time.Minute)
	waitPosts(t, a, inv.ClientID, "escalation", 1)
	if res, _, err := a.Store.AckAlert(ctx, inv.ClientID, sig.AlertID, "coach-piet", clk.Now(), nil); err != nil || res != store.AckDone {
		t.Fatalf("pick-up as the app user: %v %v", res, err)
	}
	if errs := r.emu.Errors(); len(errs) > 0 {
		t.Fatalf("protocol errors: %v", errs)
	}
}

// waitFor waits until a message to chat contains want.
func waitFor(t *testing.T, r *rig, chat int64, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range r.emu.Sent() {
			if m.ChatID == chat && strings.Contains(m.Text, want) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no message with %q to chat %d", want, chat)
}

// Sentinel with TLS everywhere, a password on the sentinel and the app's
// ACL user on the servers: the URL carries all three and the app runs.
func TestAppRunsThroughSentinelWithUserPasswordAndTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis with a sentinel")
	}
	files := redistest.NewTLS(t)
	master := secureRedis(t, files)
	sen, err := redisproc.StartSentinelWith(master.Addr, "waakvlam", []string{
		"requirepass " + sentinelPassword,
		// The sentinel watches the master as a user that may (the app's may not).
		"sentinel auth-user waakvlam ops", "sentinel auth-pass waakvlam " + opsPassword,
		"tls-cert-file " + files.Cert, "tls-key-file " + files.Key, "tls-ca-cert-file " + files.CA,
		"tls-auth-clients no", "tls-replication yes",
	}, redisproc.Options{TLS: true, Ready: opsReady(t, files.CA, sentinelPassword, "")})
	if err != nil {
		t.Fatal(err)
	}
	defer sen.Stop()
	url := "rediss+sentinel://waakvlam:" + appPassword + "@" + sen.Addr + "/waakvlam?sentinel_password=" + sentinelPassword
	if err := ping(t, strings.Replace(url, "?sentinel_password="+sentinelPassword, "", 1), files.CA); err == nil {
		t.Fatal("the sentinel answered without its password")
	}
	rdb, err := connect(t, url, files.CA)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for err := rdb.Ping(context.Background()).Err(); err != nil; err = rdb.Ping(context.Background()).Err() {
		if time.Now().After(deadline) {
			t.Fatalf("no master through the sentinel: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	forbidden(t, rdb)
	fullFlow(t, rdb)
}

// A three-master Cluster with TLS on the client and bus ports and the
// shipped ACL: the app user in a rediss+cluster:// URL runs the app.
func TestAppRunsOnClusterWithUserAndTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	files := redistest.NewTLS(t)
	args := append(append([]string{}, files.Args...), "--tls-cluster", "yes", "--aclfile", shippedACL(t))
	cl, err := redisproc.StartClusterWith(3, redisproc.Options{TLS: true, Args: args, Ready: opsReady(t, files.CA, opsPassword, "ops")},
		[]string{"--tls", "--cacert", files.CA, "--user", "ops", "--pass", opsPassword})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	rdb, err := connect(t, "rediss+cluster://waakvlam:"+appPassword+"@"+strings.Join(cl.Addrs, ","), files.CA)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rdb.(*redis.ClusterClient); !ok {
		t.Fatalf("not a cluster client: %T", rdb)
	}
	fullFlow(t, rdb)
	if err := rdb.(*redis.ClusterClient).ForEachMaster(context.Background(), func(ctx context.Context, c *redis.Client) error {
		if err := c.FlushAll(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
			t.Errorf("FLUSHALL on a master as the app user: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
