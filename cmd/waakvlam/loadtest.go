package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/waakvlam/waakvlam/loadtest"
)

// loadTest runs the load test: the real serving process (this binary's
// serve) against the Telegram emulator on a redis-server of its own, and
// prints one JSON object of measured figures.
func loadTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o loadtest.Options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Binary, "binary", "", "waakvlam binary to run as serve (default: this one)")
	fs.StringVar(&o.RedisServer, "redis-server", "", "redis-server binary (default: from PATH)")
	fs.IntVar(&o.Clients, "clients", 1000, "linked clients")
	fs.IntVar(&o.Inbound, "inbound", 20000, "messages in the throughput burst")
	fs.IntVar(&o.PacedRate, "paced-rate", 1000, "messages per second of the paced latency run (negative: skip)")
	fs.DurationVar(&o.PacedFor, "paced-for", 5*time.Second, "length of the paced run")
	fs.IntVar(&o.Bulk, "bulk", 10000, "bulk messages (reminders) queued at once")
	fs.IntVar(&o.Urgent, "urgent", 100, "urgent presses during the bulk drain")
	fs.DurationVar(&o.UrgentEvery, "urgent-every", 250*time.Millisecond, "time between urgent presses")
	fs.Float64Var(&o.GlobalRate, "global-rate", 250, "bot-wide limit in the bulk phase, messages per second (fake Telegram and serving side)")
	fs.IntVar(&o.GlobalBurst, "global-burst", 10, "bot-wide burst")
	fs.Float64Var(&o.ChatRate, "chat-rate", 1, "per-chat limit, messages per second")
	fs.IntVar(&o.ChatBurst, "chat-burst", 3, "per-chat burst")
	fs.DurationVar(&o.PhaseTimeout, "phase-timeout", 90*time.Second, "give up waiting for a phase after this")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*quiet {
		o.Progress = stderr
	}
	return loadtest.Run(ctx, o, stdout)
}
