package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/app"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/internal/redact"
	"github.com/waakvlam/waakvlam/pipeline"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, fs, err := config.Load("serve", getenv, args, config.Need{Telegram: true, Redis: true, Keys: true})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("serve takes no arguments, got %q", fs.Args()))
	}
	// No secret in any log line or in the error this command ends with.
	rd := redact.New(cfg.Secrets()...)
	log := slog.New(rd.Handler(newLogger(stderr, cfg.LogLevel).Handler()))
	// go-redis logs dial failures on its own (unstructured, to os.Stderr):
	// through the masked logger instead.
	redis.SetLogger(redisLogger{log})
	rdb, err := cfg.Redis()
	if err != nil {
		return &config.Error{Var: "WAAKVLAM_REDIS_URL", Problem: rd.String(err.Error())}
	}
	defer rdb.Close()
	a, err := app.New(cfg, rdb, log, pipeline.Options{})
	if err != nil {
		return rd.Error(err)
	}
	if err := checkKeys(ctx, cfg, a.Store, log); err != nil {
		return rd.Error(err)
	}
	log.Info("waakvlam starting", "mode", cfg.Mode, "timezone", cfg.TimeZone.String(), "data_key", cfg.Keys.Current())
	return rd.Error(a.Run(ctx))
}

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}
