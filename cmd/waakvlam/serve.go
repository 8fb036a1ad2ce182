package main

import (
	"context"
	"fmt"
	"io"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/pipeline"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, fs, err := config.Load("serve", getenv, args, config.Need{Telegram: true, Redis: true})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("serve takes no arguments, got %q", fs.Args()))
	}
	log := newLogger(stderr, cfg.LogLevel)
	rdb, err := config.NewRedis(cfg.RedisURL)
	if err != nil {
		return &config.Error{Var: "WAAKVLAM_REDIS_URL", Problem: err.Error()}
	}
	defer rdb.Close()
	a, err := app.New(cfg, rdb, log, pipeline.Options{})
	if err != nil {
		return err
	}
	log.Info("waakvlam starting", "mode", cfg.Mode, "timezone", cfg.TimeZone.String())
	return a.Run(ctx)
}
