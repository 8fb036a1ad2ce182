package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/bot"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/locales"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

func clientAdd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	// The client's own flags come first; the rest are the common settings.
	fs := flag.NewFlagSet("client add", flag.ContinueOnError)
	name := fs.String("name", "", "first name of the client")
	coach := fs.String("coach", "", "first name of the coach")
	lang := fs.String("lang", locales.Default, "language of the client (nl, en)")
	qr := fs.String("qr", "", "where to write the QR code PNG (default invite-<client id>.png)")
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) > 0 {
			rest = append(rest, args[0])
			args = args[1:]
			// a common setting's value follows its flag
			if len(args) > 0 && len(rest[len(rest)-1]) > 1 && rest[len(rest)-1][0] == '-' && !containsEq(rest[len(rest)-1]) {
				rest = append(rest, args[0])
				args = args[1:]
			}
		}
	}
	if *name == "" || *coach == "" {
		return usageError("client add needs --name <first name> and --coach <coach name>")
	}
	texts, err := locales.Load()
	if err != nil {
		return err
	}
	if !texts.Supported(*lang) {
		return usageError(fmt.Sprintf("--lang %q: use one of %v", *lang, texts.Languages()))
	}
	cfg, _, err := config.Load("client add", getenv, rest, config.Need{Redis: true, Keys: true})
	if err != nil {
		return err
	}
	username := cfg.BotUsername
	if username == "" {
		if cfg.TelegramToken == "" {
			return &config.Error{Var: "WAAKVLAM_BOT_USERNAME", Problem: "needed for the invite link (or set WAAKVLAM_TELEGRAM_TOKEN to ask Telegram)"}
		}
		tg, err := bot.NewTelegram(cfg.TelegramToken, cfg.TelegramAPIURL, nil)
		if err != nil {
			return err
		}
		if username, err = tg.Username(ctx); err != nil {
			return err
		}
	}
	if cfg.TelegramToken == "" {
		// serve keys invite codes with a secret made from the token: without
		// it the code would not be found.
		return &config.Error{Var: "WAAKVLAM_TELEGRAM_TOKEN", Problem: "needed: invite codes are keyed with a secret made from the bot token, as serve does"}
	}
	rdb, err := cfg.Redis()
	if err != nil {
		return &config.Error{Var: "WAAKVLAM_REDIS_URL", Problem: err.Error()}
	}
	defer rdb.Close()
	st := sealedStore(cfg, rdb)
	st.SetSecret(store.ServerSecret(cfg.TelegramToken))
	req := invite.Request{FirstName: *name, Coach: *coach, Lang: *lang, BotUsername: username, TTL: cfg.InviteTTL, Now: time.Now()}
	if cfg.StaffFile != "" {
		// Only the client's own coach reaches the client from Mattermost:
		// take the coach's username (and backup) from the staff file.
		dir, err := staff.Load(cfg.StaffFile)
		if err != nil {
			return &config.Error{Var: "WAAKVLAM_STAFF_FILE", Problem: err.Error()}
		}
		co, ok := dir.Coach(*coach)
		if !ok {
			return usageError(fmt.Sprintf("--coach %q is not a coach in the staff file", *coach))
		}
		req.Coach, req.CoachUser, req.BackupUser = co.Name, co.Username, co.Backup
	}
	inv, err := invite.Create(ctx, st, req)
	if err != nil {
		return err
	}
	if err := logAccess(ctx, cfg, rdb, "client.create", accesslog.Create, inv.ClientID); err != nil {
		return err
	}
	path := *qr
	if path == "" {
		path = "invite-" + inv.ClientID + ".png"
	}
	if err := os.WriteFile(path, inv.QRPNG, 0o600); err != nil {
		return fmt.Errorf("write QR code: %w", err)
	}
	fmt.Fprintf(stdout, "client:  %s\ncode:    %s\nlink:    %s\nexpires: %s\nqr code: %s\n",
		inv.ClientID, inv.Code, inv.Link, inv.Expires.In(cfg.TimeZone).Format("2006-01-02 15:04 MST"), path)
	return nil
}

func containsEq(s string) bool {
	for _, r := range s {
		if r == '=' {
			return true
		}
	}
	return false
}
