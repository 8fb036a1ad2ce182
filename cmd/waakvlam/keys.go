package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/store"
)

const keysUsage = `usage: waakvlam keys new | rotate | rewrap
  new      print a new key-encryption key as a key file line ("id base64key")
  rotate   put a new key first in the key file (WAAKVLAM_DATA_KEY_FILE) and re-wrap every data key under it
  rewrap   re-wrap every data key under the current (first) key; then no data key needs the others
`

// keysCmd is `waakvlam keys`: the key-encryption keys of encryption at rest.
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError(strings.TrimSpace(keysUsage))
	}
	switch args[0] {
	case "new":
		k, err := seal.NewKEK(time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, k.Line())
		fmt.Fprintln(stderr, "Put this line first in the key file (WAAKVLAM_DATA_KEY_FILE), or its second half in WAAKVLAM_DATA_KEY. Keep a copy offline: without it Redis cannot be read.")
		return nil
	case "rotate", "rewrap":
	default:
		return usageError(strings.TrimSpace(keysUsage))
	}
	cfg, fs, err := config.Load("keys "+args[0], getenv, args[1:], config.Need{Redis: true, Keys: true})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("keys %s takes no arguments, got %q", args[0], fs.Args()))
	}
	if args[0] == "rotate" {
		if cfg.DataKeyFile == "" {
			return &config.Error{Var: config.DataKeyFileEnv, Problem: "keys rotate writes the new key into the key file: move the key from " + config.DataKeyEnv + " into a file (a line \"id base64key\") first"}
		}
		if err := needToken(cfg); err != nil {
			return err // before the key file changes: the rotation goes in the access log
		}
		k, err := seal.NewKEK(time.Now())
		if err != nil {
			return err
		}
		if err := prependKey(cfg.DataKeyFile, k); err != nil {
			return err
		}
		if cfg.Keys, err = config.ReadKeyFile(cfg.DataKeyFile); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new key %s is current in %s\n", k.ID, cfg.DataKeyFile)
	}
	rdb, err := cfg.Redis()
	if err != nil {
		return &config.Error{Var: "WAAKVLAM_REDIS_URL", Problem: err.Error()}
	}
	defer rdb.Close()
	if err := logAccess(ctx, cfg, rdb, "keys."+args[0], accesslog.Change); err != nil {
		return err
	}
	return rewrap(ctx, rdb, cfg.Keys, stdout)
}

// rewrap re-wraps every data key under the ring's current KEK and reports
// which KEK ids the stored data keys name afterwards. It fails when one
// names another.
func rewrap(ctx context.Context, rdb redis.UniversalClient, ring *seal.Ring, stdout io.Writer) error {
	res, err := store.NewSealer(rdb, ring).Rewrap(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d data keys re-wrapped under %s, %d were already\n", res.Rewrapped, res.Current, res.Unchanged)
	var ids []string
	for id := range res.InUse {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var others []string
	for _, id := range ids {
		fmt.Fprintf(stdout, "  %s: %d data keys\n", id, res.InUse[id])
		if id != res.Current {
			others = append(others, id)
		}
	}
	if len(others) > 0 {
		return fmt.Errorf("data keys still wrapped under %s (not in the configured keys, or changed): put those keys back in the key file and run keys rewrap again", strings.Join(others, ", "))
	}
	fmt.Fprintf(stdout, "no data key needs another key than %s: once every replica runs with it, the other keys can leave the key file\n", res.Current)
	return nil
}

// prependKey writes k as the first line of the key file, keeping the
// lines that were there (replicas that have not read the new file yet
// still find their key). The file is replaced at once (rename).
func prependKey(path string, k seal.KEK) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return &config.Error{Var: config.DataKeyFileEnv, Problem: err.Error()}
	}
	mode := os.FileMode(0o600)
	st, err := os.Stat(path)
	if err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".waakvlam-keys-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if st != nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			// The new file keeps the owner of the old one (the service's
			// user), where this process may give it away (as root).
			_ = tmp.Chown(int(sys.Uid), int(sys.Gid))
		}
	}
	content := fmt.Sprintf("# %s: made by waakvlam keys rotate on %s\n%s\n%s", k.ID, time.Now().UTC().Format(time.RFC3339), k.Line(), old)
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// checkKeys makes sure at start that the configured keys open the data
// keys in Redis: a wrong or missing key stops serve at once (exit 2),
// naming the setting. Redis being away is not a key problem: serve starts
// and waits for it as it does otherwise.
func checkKeys(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger) error {
	sl := st.Sealer()
	if sl == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := sl.Check(cctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, seal.ErrUnknownKEK), errors.Is(err, seal.ErrOpen), errors.Is(err, seal.ErrMalformed):
		v := config.DataKeyEnv
		if cfg.DataKeyFile != "" {
			v = config.DataKeyFileEnv
		}
		return &config.Error{Var: v, Problem: fmt.Sprintf("does not open the data keys in Redis (%v); configured keys: %s", err, strings.Join(cfg.Keys.IDs(), ", "))}
	}
	log.Warn("data keys not checked: redis not reachable yet", "err", err)
	return nil
}

// sealedStore is the store as serve has it: content sealed under the
// configured keys (read again from the key file after a rotation).
func sealedStore(cfg config.Config, rdb redis.UniversalClient) *store.Store {
	sl := store.NewSealer(rdb, cfg.Keys)
	if file := cfg.DataKeyFile; file != "" {
		sl.SetReload(func() (*seal.Ring, error) { return config.ReadKeyFile(file) })
	}
	return store.New(rdb, sl)
}
