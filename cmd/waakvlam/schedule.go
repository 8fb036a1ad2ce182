package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/scheduler"
)

// schedulePreview prints the next times of a schedule, in Dutch phrasing
// or cron, in the configured time zone.
func schedulePreview(args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "preview" {
		return usageError(`usage: waakvlam schedule preview "<schema>" [-n 5] [--from 2026-03-28T12:00]`)
	}
	args = args[1:]
	fs := flag.NewFlagSet("schedule preview", flag.ContinueOnError)
	n := fs.Int("n", 5, "how many times to show")
	from := fs.String("from", "", "start from this local time (2006-01-02T15:04); default now")
	tz := fs.String("timezone", "", "time zone (default WAAKVLAM_TIMEZONE or Europe/Amsterdam)")
	var spec []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) > 0 {
			spec = append(spec, args[0])
			args = args[1:]
		}
	}
	if len(spec) == 0 {
		return usageError(`give a schedule, for example: waakvlam schedule preview "elke werkdag om 8:00"`)
	}
	env := getenv
	if *tz != "" {
		env = func(k string) string {
			if k == "WAAKVLAM_TIMEZONE" {
				return *tz
			}
			return getenv(k)
		}
	}
	cfg, _, err := config.Load("schedule preview", env, nil, config.Need{})
	if err != nil {
		return err
	}
	start := time.Now().In(cfg.TimeZone)
	if *from != "" {
		if start, err = time.ParseInLocation("2006-01-02T15:04", *from, cfg.TimeZone); err != nil {
			return usageError(fmt.Sprintf("--from %q: use 2006-01-02T15:04", *from))
		}
	}
	if *n < 1 || *n > 100 {
		return usageError("-n: 1 to 100")
	}
	lines, err := scheduler.PreviewLines(strings.Join(spec, " "), *n, start, cfg.TimeZone)
	if err != nil {
		return usageError(err.Error())
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return nil
}
