// Command waakvlam is the single Waakvlam binary: serve (production), demo,
// and small operator commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	// Time zones (Europe/Amsterdam and its daylight saving) work on any
	// machine, also in a minimal container image.
	_ "time/tzdata"

	"github.com/waakvlam/waakvlam/config"
)

const usage = `waakvlam: a pilot light of support between clients and their coach.

Commands:
  serve                 run the bot (settings: WAAKVLAM_* environment variables or flags, see serve -h)
  demo                  try the bot in this terminal on embedded Redis and Telegram
  client add            invite a client: --name <first name> --coach <coach name> [--lang nl] [--qr file.png]
  client export <id>    everything kept about a client as JSON and an easy-Dutch summary, encrypted with age: -recipient <age1…> [-out file]
  privacy register      the processing register (AVG art. 30) made from the settings in force [-json]
  loadtest              run the serving process against a fake Telegram on its own Redis; print measured figures as JSON (see loadtest -h)
  classify              read messages from stdin, print the concern classification as JSON lines
  signals train         train the safety model from the labelled corpus (signals/testdata)
  signals export-verdicts  the coaches' verdicts on client posts as labelled examples (TSV) [-since 720h]
  keys new|rotate|rewrap  the keys of encryption at rest: a new key, a new current key with every data key re-wrapped, or re-wrap only
  audit verify          check the access log's hash chains: exit 1 when an entry was deleted, changed, inserted or moved [-old-tokens FILE] [-json]
  audit client <id>     the access log entries about one client (who read or changed its data)
  lint-texts            check every client text in the locales against the easy-language rules [-all]
  schedule preview      the next times of a schedule: "<elke werkdag om 8:00 | cron>" [-n 5] [--from 2026-03-28T12:00]
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run returns the exit code: 0 fine, 1 failed, 2 wrong use or configuration.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], getenv, stderr)
	case "demo":
		err = runDemo(ctx, args[1:], stdin, stdout, stderr)
	case "client":
		switch {
		case len(args) >= 2 && args[1] == "add":
			err = clientAdd(ctx, args[2:], getenv, stdout)
		case len(args) >= 2 && args[1] == "export":
			err = clientExport(ctx, args[2:], getenv, stdout, stderr)
		default:
			fmt.Fprint(stderr, "usage: waakvlam client add --name <first name> --coach <coach name>\n       waakvlam client export <client id> -recipient <age public key> [-out file]\n")
			return 2
		}
	case "privacy":
		err = privacyCmd(args[1:], getenv, stdout)
	case "classify":
		err = classify(stdin, stdout)
	case "signals":
		err = signalsCmd(ctx, args[1:], getenv, stdout, stderr)
	case "loadtest":
		err = loadTest(ctx, args[1:], stdout, stderr)
	case "keys":
		err = keysCmd(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		err = auditCmd(ctx, args[1:], getenv, stdout, stderr)
	case "lint-texts":
		err = lintTexts(args[1:], stdout)
	case "schedule":
		err = schedulePreview(args[1:], getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "waakvlam: unknown command %q\n%s", args[0], usage)
		return 2
	}
	var ce *config.Error
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ce), errors.As(err, &ue):
		fmt.Fprintf(stderr, "waakvlam: %v\n", err)
		return 2
	case errors.Is(err, errFindings):
		return 1
	default:
		fmt.Fprintf(stderr, "waakvlam: %v\n", err)
		return 1
	}
}

type usageError string

func (u usageError) Error() string { return string(u) }

var errFindings = errors.New("findings")

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
