package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/waakvlam/waakvlam/demo"
)

func runDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "show the service's log lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var log *slog.Logger
	if *verbose {
		log = newLogger(stderr, "debug")
	}
	return demo.Run(ctx, stdin, stdout, demo.Options{Log: log})
}
