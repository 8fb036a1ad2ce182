package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/privacy"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/store"
)

const exportUsage = `usage: waakvlam client export <client id> -recipient <age public key> [-out file]
  everything Waakvlam keeps about the client (AVG art. 15 and 20): schema-versioned JSON and a short
  summary in easy Dutch (HTML), in one zip archive encrypted with age to the recipient
  -recipient KEY   age public key (age1…) of whoever receives it; may be given more than once
  -out FILE        where to write it (default waakvlam-export-<client id>.zip.age; "-" for stdout); an existing file is not overwritten
Open it with: age -d -i key.txt FILE > export.zip. Never send it over Telegram.`

// clientExport is `waakvlam client export`.
func clientExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError(exportUsage)
	}
	id, args := args[0], args[1:]
	var recipients []string
	out := ""
	var rest []string
	for i := 0; i < len(args); i++ {
		a := strings.TrimPrefix(args[i], "-")
		name, val, hasVal := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if (name == "recipient" || name == "out") && strings.HasPrefix(args[i], "-") {
			if !hasVal {
				if i+1 >= len(args) {
					return usageError(exportUsage)
				}
				val, i = args[i+1], i+1
			}
			if name == "recipient" {
				recipients = append(recipients, val)
			} else {
				out = val
			}
			continue
		}
		rest = append(rest, args[i])
	}
	rs, err := privacy.ParseRecipients(recipients)
	if err != nil {
		return usageError(err.Error() + "\n" + exportUsage)
	}
	cfg, fs, err := config.Load("client export", getenv, rest, config.Need{Redis: true, Keys: true, Telegram: true})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(exportUsage)
	}
	rdb, err := cfg.Redis()
	if err != nil {
		return &config.Error{Var: "WAAKVLAM_REDIS_URL", Problem: err.Error()}
	}
	defer rdb.Close()
	st := sealedStore(cfg, rdb)
	data, err := st.ExportClient(ctx, id)
	if err != nil {
		return err
	}
	if !data.Exists {
		return fmt.Errorf("no client %s (wiped, or never made): nothing is kept about it", id)
	}
	sched, err := scheduler.NewStore(rdb, scheduler.Options{Location: cfg.TimeZone, Codec: store.SchedulerCodec{Store: st}})
	if err != nil {
		return err
	}
	schedules, err := sched.List(ctx, id)
	if err != nil {
		return err
	}
	// Giving a client's data out is an access: written before anything is
	// shown, so the export lists itself.
	if err := logAccess(ctx, cfg, rdb, "client.export", accesslog.Disclose, id); err != nil {
		return err
	}
	access, err := accesslog.New(rdb, store.ServerSecret(cfg.TelegramToken), nil).Entries(ctx, id)
	if err != nil {
		return err
	}
	e := privacy.Build(privacy.Input{Data: data, Schedules: schedules, Access: access, Config: cfg, Now: time.Now()})
	files, err := privacy.Files(e)
	if err != nil {
		return err
	}
	if out == "" {
		out = "waakvlam-export-" + id + ".zip.age"
	}
	var w io.Writer = stdout
	if out != "-" {
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return usageError(fmt.Sprintf("-out %s: the file exists; give another name", out))
			}
			return err
		}
		defer f.Close()
		w = f
	}
	if err := privacy.Seal(w, rs, files); err != nil {
		if out != "-" {
			_ = os.Remove(out)
		}
		return err
	}
	if f, ok := w.(*os.File); ok && out != "-" {
		if err := f.Close(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "export of client %s (schema %s): %s, %s; encrypted to %d recipient(s) in %s. Open it with age -d; never send it over Telegram.\n",
		id, privacy.Schema, files[0].Name, files[1].Name, len(rs), out)
	return nil
}

const privacyUsage = `usage: waakvlam privacy register [-json]
  register   the processing register (verwerkingsregister, AVG art. 30) of this installation, made from its settings`

// privacyCmd is `waakvlam privacy`.
func privacyCmd(args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "register" {
		return usageError(privacyUsage)
	}
	asJSON := false
	var rest []string
	for _, a := range args[1:] {
		if a == "-json" || a == "--json" {
			asJSON = true
			continue
		}
		rest = append(rest, a)
	}
	cfg, fs, err := config.Load("privacy register", getenv, rest, config.Need{})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(privacyUsage)
	}
	r := privacy.NewRegister(cfg, time.Now())
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.Markdown(stdout)
}
