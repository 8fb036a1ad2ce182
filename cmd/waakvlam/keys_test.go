package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/store"
)

// keys rotate puts a new key first and re-wraps every data key under it;
// with the old key taken out of the file, keys rewrap finds nothing that
// needs it and every client still reads.
func TestKeysRotateThenRewrapWithoutTheOldKey(t *testing.T) {
	addr := redistest.Addr(t)
	rdb := redistest.Client(t)
	ctx := context.Background()
	old, err := seal.NewKEK(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte(old.Line()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WAAKVLAM_REDIS_URL": "redis://" + addr, "WAAKVLAM_BOT_USERNAME": "WaakvlamBot", "WAAKVLAM_DATA_KEY_FILE": file,
		"WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
	for _, name := range []string{"Sanne", "Ali"} {
		if code, _, stderr := runCmd(t, env, "", "client", "add", "--name", name, "--coach", "Piet", "--qr", filepath.Join(t.TempDir(), name+".png")); code != 0 {
			t.Fatalf("client add: exit %d %s", code, stderr)
		}
	}
	code, out, stderr := runCmd(t, env, "", "keys", "rotate")
	if code != 0 || !strings.Contains(out, "2 data keys re-wrapped") || !strings.Contains(out, "no data key needs another key") {
		t.Fatalf("keys rotate: exit %d\n%s%s", code, out, stderr)
	}
	ring, err := config.ReadKeyFile(file)
	if err != nil || len(ring.IDs()) != 2 || ring.IDs()[1] != old.ID {
		t.Fatalf("key file after rotate: %v %v", ring, err)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode())
	}
	// The old key leaves the file.
	b, _ := os.ReadFile(file)
	var kept []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, old.ID+" ") {
			kept = append(kept, l)
		}
	}
	if err := os.WriteFile(file, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runCmd(t, env, "", "keys", "rewrap")
	if code != 0 || !strings.Contains(out, "0 data keys re-wrapped") || strings.Contains(out, old.ID) {
		t.Fatalf("keys rewrap without the old key: exit %d\n%s%s", code, out, stderr)
	}
	newRing, _ := config.ReadKeyFile(file)
	checkClientsRead(t, ctx, rdb, newRing, 2)

	// With only the retired key, nothing opens and rewrap says why.
	oldFile := filepath.Join(t.TempDir(), "old")
	_ = os.WriteFile(oldFile, []byte(old.Line()+"\n"), 0o600)
	env["WAAKVLAM_DATA_KEY_FILE"] = oldFile
	if code, _, stderr := runCmd(t, env, "", "keys", "rewrap"); code != 1 || !strings.Contains(stderr, newRing.Current()) {
		t.Fatalf("rewrap with the retired key: exit %d %s", code, stderr)
	}
}

func checkClientsRead(t *testing.T, ctx context.Context, rdb redis.UniversalClient, ring *seal.Ring, want int) {
	t.Helper()
	st := store.New(rdb, store.NewSealer(rdb, ring))
	ids, err := st.ClientIDs(ctx)
	if err != nil || len(ids) != want {
		t.Fatalf("clients = %v %v", ids, err)
	}
	for _, id := range ids {
		c, ok, err := st.LoadClient(ctx, id)
		if err != nil || !ok || (c.FirstName != "Sanne" && c.FirstName != "Ali") {
			t.Fatalf("client %s: %+v %v", id, c, err)
		}
	}
}

// serve with a key that does not open the data keys in Redis stops at
// once, naming the setting.
func TestServeRefusesAKeyThatDoesNotOpenRedis(t *testing.T) {
	addr := redistest.Addr(t)
	rdb := redistest.Client(t)
	other, _ := seal.NewKEK(time.Now())
	if err := store.NewSealer(rdb, mustRing(t, other)).Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
		"WAAKVLAM_REDIS_URL": "redis://" + addr, "WAAKVLAM_DATA_KEY": testKey, "WAAKVLAM_HTTP_ADDR": "127.0.0.1:0", "WAAKVLAM_ADMIN_ADDR": ""}, "", "serve")
	if code != 2 || !strings.Contains(stderr, "WAAKVLAM_DATA_KEY: does not open the data keys") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("serve with a wrong key: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stderr, testKey) {
		t.Fatal("the key is in the error")
	}
}

func mustRing(t *testing.T, k ...seal.KEK) *seal.Ring {
	t.Helper()
	r, err := seal.NewRing(k...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// testStore seals as serve does with WAAKVLAM_DATA_KEY=testKey.
func testStore(t *testing.T, rdb redis.UniversalClient) *store.Store {
	t.Helper()
	k, err := seal.ParseKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return store.New(rdb, store.NewSealer(rdb, mustRing(t, k)))
}
