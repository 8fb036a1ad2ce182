package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/store"
)

const auditUsage = `usage: waakvlam audit verify [-old-tokens FILE] [-json] | audit client <client id> [-old-tokens FILE]
  verify   walk every access log chain; report each entry that was deleted, changed, inserted or moved (exit 1 when any was)
  client   the access log entries about one client (who read or changed its data), as JSON lines
  -old-tokens FILE   earlier bot tokens, one a line: entries written under them are checked (and found) too`

// auditCmd is `waakvlam audit`: checking and reading the access log.
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "client") {
		return usageError(auditUsage)
	}
	verb, args := args[0], args[1:]
	var clientID string
	if verb == "client" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return usageError(auditUsage)
		}
		clientID, args = args[0], args[1:]
	}
	// The command's own flags first; the rest are the common settings.
	var oldTokens string
	asJSON := false
	var rest []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-json" || a == "--json":
			asJSON = true
		case (a == "-old-tokens" || a == "--old-tokens") && i+1 < len(args):
			oldTokens = args[i+1]
			i++
		case strings.HasPrefix(a, "-old-tokens=") || strings.HasPrefix(a, "--old-tokens="):
			_, oldTokens, _ = strings.Cut(a, "=")
		default:
			rest = append(rest, a)
		}
	}
	cfg, fs, err := config.Load("audit "+verb, getenv, rest, config.Need{Redis: true, Telegram: true})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(auditUsage)
	}
	var older [][]byte
	if oldTokens != "" {
		raw, err := os.ReadFile(oldTokens)
		if err != nil {
			return usageError("-old-tokens: " + err.Error())
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				older = append(older, store.ServerSecret(line))
			}
		}
	}
	rdb, err := cfg.Redis()
	if err != nil {
		return &config.Error{Var: "WAAKVLAM_REDIS_URL", Problem: err.Error()}
	}
	defer rdb.Close()
	l := accesslog.New(rdb, store.ServerSecret(cfg.TelegramToken), newLogger(stderr, "warn"), older...)
	if verb == "client" {
		es, err := l.Entries(ctx, clientID)
		if err != nil {
			return err
		}
		// Looking up who saw a client's data is itself an access.
		if err := logAccess(ctx, cfg, rdb, "accesslog.client", accesslog.Read, clientID); err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		for _, e := range es {
			_ = enc.Encode(e)
		}
		fmt.Fprintf(stderr, "%d entries about client %s\n", len(es), clientID)
		return nil
	}
	rep, err := l.Verify(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		_ = json.NewEncoder(stdout).Encode(rep)
	} else {
		var total int64
		for _, c := range rep.Chains {
			total += c.Entries
			if c.Entries > 0 || c.Head != "" {
				fmt.Fprintf(stdout, "%-4s %8d entries  %d..%d  head %s\n", c.Chain, c.Entries, c.First, c.Last, c.Head)
			}
		}
		for _, f := range rep.Findings {
			fmt.Fprintln(stdout, "TAMPERED "+f.String())
		}
		if !rep.Tampered() {
			fmt.Fprintf(stdout, "ok: %d entries in %d chains, none deleted, changed, inserted or moved\n", total, len(rep.Chains))
		}
	}
	if rep.Tampered() {
		fmt.Fprintf(stderr, "waakvlam: the access log was tampered with: %d findings\n", len(rep.Findings))
		return errFindings
	}
	return nil
}

// logAccess writes the access log entries of an operator command: one per
// client, or one about no single client when none is given. The log is
// keyed like serve's (the bot token); the actor is the operator. Commands
// that show client data write it before they show anything.
func logAccess(ctx context.Context, cfg config.Config, rdb redis.UniversalClient, action string, op accesslog.Op, clientIDs ...string) error {
	if err := needToken(cfg); err != nil {
		return err
	}
	ctx = operatorCtx(ctx)
	if len(clientIDs) == 0 {
		clientIDs = []string{""}
	}
	es := make([]accesslog.Entry, 0, len(clientIDs))
	for _, id := range clientIDs {
		es = append(es, accesslog.For(ctx, id, action, op, accesslog.OK))
	}
	return accesslog.New(rdb, store.ServerSecret(cfg.TelegramToken), nil).Record(ctx, es...)
}

// needToken says that a command that writes the access log cannot run
// without the bot token.
func needToken(cfg config.Config) error {
	if cfg.TelegramToken == "" {
		return &config.Error{Var: "WAAKVLAM_TELEGRAM_TOKEN", Problem: "needed: this command writes the access log, which is keyed with a secret made from the bot token, as serve does"}
	}
	return nil
}

// operatorCtx names the person running a command on a server: the login
// behind sudo when there is one.
func operatorCtx(ctx context.Context) context.Context {
	login := os.Getenv("SUDO_USER")
	if login == "" {
		if u, err := user.Current(); err == nil {
			login = u.Username
		}
	}
	if login == "" {
		login = os.Getenv("USER")
	}
	return accesslog.With(ctx, accesslog.Who{Actor: "operator:" + login, Source: accesslog.SourceCLI})
}
