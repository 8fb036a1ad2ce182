// Package app assembles a running Waakvlam from its configuration: Redis,
// texts, the Telegram client, intake (polling or webhook), the pipeline and
// the HTTP endpoints. serve and demo both run this assembly.
package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/bot"
	"github.com/waakvlam/waakvlam/coach"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/internal/redact"
	"github.com/waakvlam/waakvlam/locales"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/metrics"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/programme"
	"github.com/waakvlam/waakvlam/ratelimit"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/signals"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

// App is one Waakvlam process.
type App struct {
	cfg      config.Config
	log      *slog.Logger
	rdb      redis.UniversalClient
	Store    *store.Store
	Texts    *locales.Texts
	Telegram *bot.Telegram
	Pipeline *pipeline.Pipeline
	Bridge   *coach.Bridge // nil without Mattermost
	Metrics  *metrics.Waakvlam
	// Schedules holds reminders and check-ins; Scheduler claims them when due.
	Schedules *scheduler.Store
	Scheduler *scheduler.Scheduler
	Settings  *Settings
	// Access is the access log (NEN 7513) every part writes to.
	Access  *accesslog.Log
	replica string
	mm      *mattermost.Client // nil without Mattermost
	ready   readiness
	// PollTimeout is the getUpdates long-poll timeout.
	PollTimeout time.Duration
	// Timeouts of the HTTP servers (public and admin).
	Timeouts Timeouts
}

// Timeouts bound how long a client may take over a request, so that slow
// or stalled connections cannot pile up.
type Timeouts struct {
	ReadHeader time.Duration // request line and headers
	Read       time.Duration // the whole request, body included (webhook 1 MiB, forms 64 KiB)
	Write      time.Duration // from the end of the headers to the end of the answer, handler included
	Idle       time.Duration // a kept-alive connection between requests
}

// DefaultTimeouts leave a slash command (which may create a channel and a
// QR code in Mattermost) time to answer and a scrape of /metrics time to
// ask Redis for queue depths.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: time.Minute, Idle: 2 * time.Minute}

// Option changes how an app is assembled.
type Option func(*assembly)

type assembly struct{ codec store.Codec }

// WithCodec seals all client content with c on its way into Redis (for
// encryption at rest).
func WithCodec(c store.Codec) Option { return func(a *assembly) { a.codec = c } }

// New assembles an app on an open Redis client.
func New(cfg config.Config, rdb redis.UniversalClient, log *slog.Logger, opt pipeline.Options, more ...Option) (*App, error) {
	var as assembly
	for _, o := range more {
		o(&as)
	}
	// No secret reaches a log line, whichever part logs it: Telegram
	// errors carry the token in URLs, and a client library may echo more.
	log = slog.New(redact.New(cfg.Secrets()...).Handler(log.Handler()))
	texts, err := locales.Load()
	if err != nil {
		return nil, err
	}
	tg, err := bot.NewTelegram(cfg.TelegramToken, cfg.TelegramAPIURL, nil)
	if err != nil {
		return nil, err
	}
	if opt.Replica == "" {
		host, _ := os.Hostname()
		opt.Replica = host + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	}
	classifier, err := signals.Default()
	if err != nil {
		return nil, err
	}
	opt.Check = func(text string) dialogs.Concern {
		r := classifier.Classify(text)
		c := dialogs.Concern{Severity: dialogs.Severity(r.Severity), Category: string(r.Category), AskBack: r.AskBack, Lang: r.Lang}
		for _, m := range r.Matches {
			c.Matched = append(c.Matched, m.Pattern)
		}
		return c
	}
	if as.codec == nil && cfg.Keys != nil {
		// Encryption at rest: a data key per client, wrapped by the
		// configured KEKs; a key file is read again when a data key names
		// a KEK this process does not know (a rotation elsewhere).
		sealer := store.NewSealer(rdb, cfg.Keys)
		if file := cfg.DataKeyFile; file != "" {
			sealer.SetReload(func() (*seal.Ring, error) { return config.ReadKeyFile(file) })
		}
		as.codec = sealer
	}
	st := store.New(rdb, as.codec)
	st.Unreadable = func(stream, id string, err error) {
		log.Error("sealed content does not open: entry taken out of the queue", "stream", stream, "entry", id, "err", err)
	}
	st.VerdictRetention = cfg.VerdictRetention
	if cfg.EventRetention > 0 {
		st.EventRetention = cfg.EventRetention
	}
	st.AlertRetention, st.AuditRetention = cfg.AlertRetention, cfg.AuditRetention
	// The bot token is a secret every replica has and Redis does not: it
	// keys invite codes, stranger counters and the "Ik pak het op" buttons.
	secret := store.ServerSecret(cfg.TelegramToken)
	st.SetSecret(secret)
	a := &App{cfg: cfg, log: log, rdb: rdb, Store: st, Texts: texts, Telegram: tg, replica: opt.Replica, PollTimeout: 10 * time.Second, Timeouts: DefaultTimeouts}
	a.Access = accesslog.New(rdb, secret, log)
	if opt.Access == nil {
		opt.Access = a.Access
	}
	prog := programme.Default()
	if cfg.ProgrammeFile != "" {
		if prog, err = programme.Load(cfg.ProgrammeFile); err != nil {
			return nil, &config.Error{Var: "WAAKVLAM_PROGRAMME_FILE", Problem: err.Error()}
		}
	}
	a.Settings = newSettings(st, log, prog)
	if opt.Programme == nil {
		opt.Programme = a.Settings.Get
	}
	quiet := prog.Quiet
	var clock scheduler.Clock
	if opt.Now != nil {
		clock = clockFunc(opt.Now)
	}
	a.Schedules, err = scheduler.NewStore(rdb, scheduler.Options{Location: cfg.TimeZone, Quiet: &quiet, Clock: clock, Logger: log,
		Codec: store.SchedulerCodec{Store: st}})
	if err != nil {
		return nil, err
	}
	a.Settings.onChange = func(c programme.Config) { a.Schedules.SetQuiet(c.Quiet) }
	a.Schedules.SetAside = a.setAsideSchedule // poison schedules (aside.go)
	a.Scheduler = scheduler.NewScheduler(a.Schedules, scheduler.SchedulerOptions{Clock: clock, Logger: log})
	opt.Schedules = a.Schedules
	var hours *staff.Directory // whose coach hours crisis replies name
	if cfg.MattermostURL != "" {
		dir, err := staff.Load(cfg.StaffFile)
		if err != nil {
			return nil, &config.Error{Var: "WAAKVLAM_STAFF_FILE", Problem: err.Error()}
		}
		dir.Location = cfg.TimeZone
		hours = dir
		if opt.Escalation == nil {
			opt.Escalation = Escalation(dir)
		}
		mm := mattermost.New(cfg.MattermostURL, cfg.MattermostToken)
		mm.Logger = log
		a.mm = mm
		a.Bridge = coach.New(mm, st, tg, dir, coach.Config{Team: cfg.MattermostTeam, BotUsername: cfg.BotUsername,
			InviteTTL: cfg.InviteTTL, Location: cfg.TimeZone, CommandURL: cfg.CommandURL, ActionKey: subKey(secret, "mattermost-action")}, log)
		a.Bridge.Texts = texts
		a.Bridge.Access = opt.Access
		opt.Files = a.Bridge
		opt.PartitionWorkers = append(opt.PartitionWorkers, a.Bridge.Loop)
	}
	if hours == nil {
		// No staff file: the default coach hours.
		if hours, err = staff.ParseDirectory([]byte("{}")); err != nil {
			return nil, err
		}
		hours.Location = cfg.TimeZone
	}
	if opt.CoachHours == nil {
		opt.CoachHours = CoachHours(hours)
	}
	a.Metrics = metrics.New(func(ctx context.Context) (metrics.Depths, error) {
		out, in, co, err := st.QueueDepths(ctx)
		d := metrics.Depths{Outbox: map[string]int64{}, Intake: in, Coach: co}
		for l, n := range out {
			d.Outbox[metrics.LaneLabel(string(l))] = n
		}
		return d, err
	})
	if opt.Metrics == nil {
		opt.Metrics = a.Metrics
	}
	if a.Bridge != nil {
		a.Bridge.Verdicts = a.Metrics.Verdicts
	}
	if opt.Limiter == nil {
		opt.Limiter = ratelimit.New(rdb, ratelimit.Options{
			Global: noLimit(cfg.RateGlobal), GlobalBurst: cfg.RateGlobalBurst,
			PerChat: noLimit(cfg.RateChat), ChatBurst: cfg.RateChatBurst,
		})
	}
	a.Pipeline = pipeline.New(st, texts, tg, log, opt)
	st.Healed = a.Pipeline.Healed // every loop that reads a stream makes its group again
	if a.Bridge != nil {
		a.Bridge.Replies = a.Pipeline
		a.Bridge.Structure = &coach.Structure{Schedules: a.Schedules, Settings: a.Settings.Get,
			ApplyLevel: a.Pipeline.ApplyLevel, ApplyGroup: a.Pipeline.ApplyGroup, ProgrammeFile: cfg.ProgrammeFile,
			Refresh: a.Settings.refresh}
	}
	return a, nil
}

// noLimit maps the setting's 0 (no limit) to the limiter's negative.
func noLimit(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

// Handler is the public listener (WAAKVLAM_HTTP_ADDR): /healthz, /readyz,
// the Mattermost endpoints and, in webhook mode, the webhook path. The
// probes stay here too, because a load balancer in front of the webhook
// must probe the port it sends to; they say no more than ok or not.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	a.probes(mux)
	if a.Bridge != nil {
		mux.Handle("POST /mattermost/command", a.Bridge.CommandHandler())
		mux.Handle("POST /mattermost/action", a.Bridge.ActionHandler())
	}
	if a.cfg.Mode == "webhook" {
		mux.Handle("/"+webhookPath(a.cfg.WebhookURL), bot.Webhook(a.cfg.WebhookSecret, a.Pipeline, a.log))
	}
	return mux
}

// AdminHandler is the operators' listener (WAAKVLAM_ADMIN_ADDR): /metrics,
// which shows queue depths and activity and so stays off the public
// address, and the probes.
func (a *App) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	a.probes(mux)
	mux.Handle("GET /metrics", a.Metrics.Registry.Handler())
	return mux
}

func (a *App) probes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.Ready(ctx); err != nil {
			// The reason goes to the log, not to whoever asks.
			a.log.Warn("not ready", "err", err)
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
}

// server is an HTTP server with the app's timeouts.
func (a *App) server(h http.Handler) *http.Server {
	t := a.Timeouts
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write,
		IdleTimeout: t.Idle, MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
}

func webhookPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" || u.Path == "/" {
		return "telegram/webhook"
	}
	return u.Path[1:]
}

// Run works until ctx ends (SIGTERM), then stops taking updates, finishes
// the work in hand and gives its partitions back.
func (a *App) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	intakeCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()

	wg.Add(1)
	go func() { defer wg.Done(); a.setupTelegram(intakeCtx) }()
	if a.Bridge != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.Bridge.Start(intakeCtx); err != nil {
				a.log.Error("coach bridge stopped", "err", err)
				a.bridgeStopped(err)
			}
		}()
	}

	var servers []*http.Server
	for _, l := range []struct {
		addr, env, name string
		h               func() http.Handler
	}{
		{a.cfg.HTTPAddr, "WAAKVLAM_HTTP_ADDR", "http", a.Handler},
		{a.cfg.AdminAddr, "WAAKVLAM_ADMIN_ADDR", "admin", a.AdminHandler},
	} {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			for _, s := range servers {
				_ = s.Close()
			}
			return fmt.Errorf("listen on %s (%s): %w", l.addr, l.env, err)
		}
		srv := a.server(l.h())
		servers = append(servers, srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s server: %w", l.name, err)
			}
		}()
		a.log.Info(l.name+" listening", "addr", ln.Addr().String())
	}
	if a.cfg.Mode == "polling" {
		p := &bot.Poller{APIURL: a.cfg.TelegramAPIURL, Token: a.cfg.TelegramToken, LeaseKey: store.PollLease,
			Replica: a.replica, Leases: a.Store, Sink: a.Pipeline, Log: a.log, Timeout: a.PollTimeout, Healed: a.Pipeline.Healed,
			SetAside: a.setAsideUpdate}
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(intakeCtx) }()
	}
	wg.Add(6)
	go func() { defer wg.Done(); a.watchReady(ctx) }()
	go func() { defer wg.Done(); a.sweepRetention(ctx) }()
	go func() { defer wg.Done(); a.sweepAccessLog(ctx) }()
	go func() { defer wg.Done(); a.Settings.run(ctx) }()
	go func() { defer wg.Done(); a.rewriteAOF(ctx) }()
	go func() {
		defer wg.Done()
		if err := a.Scheduler.Run(ctx); err != nil && ctx.Err() == nil {
			errc <- err
		}
	}()
	pipeDone := make(chan struct{})
	go func() {
		defer close(pipeDone)
		if err := a.Pipeline.Run(ctx); err != nil {
			errc <- err
		}
	}()
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	a.log.Info("shutting down")
	stopIntake()
	for _, srv := range servers {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
	}
	wg.Wait()
	<-pipeDone
	return runErr
}

// setupTelegram sets the command menus and the webhook, retrying while
// Telegram is away; clients can be served from Redis meanwhile.
func (a *App) setupTelegram(ctx context.Context) {
	delay := time.Second
	for ctx.Err() == nil {
		err := a.setup(ctx)
		if err == nil {
			return
		}
		a.log.Warn("telegram setup, will retry", "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		delay = min(delay*2, time.Minute)
	}
}

func (a *App) setup(ctx context.Context) error {
	if a.Bridge != nil && a.cfg.BotUsername == "" {
		u, err := a.Telegram.Username(ctx)
		if err != nil {
			return err
		}
		a.Bridge.SetBotUsername(u)
	}
	for _, lang := range append([]string{""}, a.Texts.Languages()...) {
		l := lang
		if l == "" {
			l = locales.Default
		}
		var cmds []bot.Command
		for _, c := range []string{"start", "help", "taal", "stop"} {
			cmds = append(cmds, bot.Command{Name: c, Description: a.Texts.Text(l, "command."+c, nil)})
		}
		if err := a.Telegram.SetCommands(ctx, lang, cmds); err != nil {
			return err
		}
	}
	if a.cfg.Mode == "webhook" {
		return a.Telegram.SetWebhook(ctx, a.cfg.WebhookURL, a.cfg.WebhookSecret)
	}
	return a.Telegram.DeleteWebhook(ctx)
}

// Escalation lets the staff directory decide alert routes.
func Escalation(d *staff.Directory) pipeline.Escalation { return escalation{d} }

type escalation struct{ d *staff.Directory }

func (e escalation) Route(now time.Time, coachUser, backupUser string, sev dialogs.Severity) ([]string, time.Time) {
	return e.d.Route(now, coachUser, backupUser, int(sev))
}

func (e escalation) Interval() time.Duration { return e.d.Interval() }

// CoachHours tells crisis replies whether the coaches work at t and, if
// not, when they start again.
func CoachHours(d *staff.Directory) func(time.Time) (bool, time.Time) {
	return func(t time.Time) (bool, time.Time) {
		if d.InCoachHours(t) {
			return true, time.Time{}
		}
		return false, d.NextCoachHours(t)
	}
}

// The scheduler seals with the store's codec, bound to where content lives.
var _ scheduler.BoundCodec = store.SchedulerCodec{}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// subKey derives the key of one purpose from the server secret, so a key
// that leaks for one purpose says nothing of another.
func subKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
