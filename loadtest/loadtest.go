// Package loadtest owns `waakvlam loadtest`: it runs the real serving
// process (`waakvlam serve`, a separate process so that its memory can be
// read) against the in-process Telegram emulator with Telegram-like rate
// limits, on a redis-server of its own, and prints one JSON object of
// measured figures: inbound messages per second end to end and the
// latency from update to reply, Redis commands and round trips per inbound
// message, the bulk send rate against the configured limit with the 429s
// the fake sent, the latency of urgent replies while a bulk drains, and the
// serving process's idle and peak RSS. Nothing in the output is estimated:
// every figure is counted or timed in this run.
package loadtest

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/bot"
	"github.com/waakvlam/waakvlam/emulator"
	"github.com/waakvlam/waakvlam/locales"
	"github.com/waakvlam/waakvlam/seal"
	"github.com/waakvlam/waakvlam/store"
)

// Options of a run; zero values take the defaults in brackets.
type Options struct {
	Binary      string // the waakvlam binary to run as `serve` [os.Executable()]
	RedisServer string // redis-server binary [from PATH]

	Clients      int           // linked clients [1000]
	Inbound      int           // messages of the throughput burst [20000]
	PacedRate    int           // messages per second of the paced latency run [1000]; negative: skip
	PacedFor     time.Duration // length of the paced run [5s]
	Bulk         int           // bulk messages (reminders) queued at once [10000]
	Urgent       int           // "not OK" presses during the bulk drain [100]
	UrgentEvery  time.Duration // time between those presses [250ms]
	GlobalRate   float64       // bot-wide limit during the bulk phase, msg/s, fake and serving side [250]
	GlobalBurst  int           // the fake's bot-wide burst [10]
	ChatRate     float64       // per-chat limit, msg/s [1]
	ChatBurst    int           // per-chat burst, fake and serving side [3]
	PhaseTimeout time.Duration // give up waiting for a phase after this [90s]
	Progress     io.Writer     // progress lines (no message text) [none]
}

func (o *Options) defaults() error {
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find the waakvlam binary: %w", err)
		}
		o.Binary = exe
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Clients, 1000)
	def(&o.Inbound, 20000)
	def(&o.PacedRate, 1000)
	def(&o.Bulk, 10000)
	def(&o.Urgent, 100)
	def(&o.GlobalBurst, 10)
	def(&o.ChatBurst, 3)
	if o.PacedFor == 0 {
		o.PacedFor = 5 * time.Second
	}
	if o.UrgentEvery == 0 {
		o.UrgentEvery = 250 * time.Millisecond
	}
	if o.GlobalRate == 0 {
		o.GlobalRate = 250
	}
	if o.ChatRate == 0 {
		o.ChatRate = 1
	}
	if o.PhaseTimeout == 0 {
		o.PhaseTimeout = 90 * time.Second
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}

// Result is the JSON object a run prints.
type Result struct {
	Machine struct {
		CPUs  int    `json:"cpus"`
		Redis string `json:"redis_version"`
		Go    string `json:"go"`
	} `json:"machine"`
	Clients int `json:"clients"`

	Inbound struct {
		Messages      int     `json:"messages"`
		Seconds       float64 `json:"seconds"`
		PerSecond     float64 `json:"per_second"`
		P50ms         float64 `json:"p50_ms"`
		P99ms         float64 `json:"p99_ms"`
		Missing       int     `json:"replies_missing"`
		Duplicates    int     `json:"replies_duplicated"`
		Note          string  `json:"note"`
		RedisCommands float64 `json:"redis_commands_per_message"`
		RedisTrips    float64 `json:"redis_round_trips_per_message"`
		RedisCounted  string  `json:"redis_counted"`
		// Commands per inbound message by command name, as the server
		// counts them (commands a script calls are counted too).
		RedisByCommand map[string]float64 `json:"redis_commands_by_name"`
	} `json:"inbound_burst"`

	Paced *struct {
		Offered    float64 `json:"offered_per_second"`
		Messages   int     `json:"messages"`
		PerSecond  float64 `json:"achieved_per_second"`
		P50ms      float64 `json:"p50_ms"`
		P99ms      float64 `json:"p99_ms"`
		Missing    int     `json:"replies_missing"`
		Duplicates int     `json:"replies_duplicated"`
	} `json:"inbound_paced,omitempty"`

	Bulk struct {
		Messages        int     `json:"messages"`
		Delivered       int     `json:"delivered"`
		Duplicates      int     `json:"duplicates"`
		Seconds         float64 `json:"seconds"`
		PerSecond       float64 `json:"per_second"`
		AllPerSecond    float64 `json:"all_sends_per_second"`
		Limit           float64 `json:"configured_global_per_second"`
		Fraction        float64 `json:"fraction_of_limit"`
		Telegram429     int     `json:"telegram_429"`
		Telegram429Chat int     `json:"telegram_429_chat"`
		Telegram429Bot  int     `json:"telegram_429_global"`
		Note            string  `json:"note"`
	} `json:"bulk"`

	Urgent struct {
		Presses int     `json:"presses"`
		P50ms   float64 `json:"p50_ms"`
		P99ms   float64 `json:"p99_ms"`
		MaxMs   float64 `json:"max_ms"`
		Missing int     `json:"missing"`
		Note    string  `json:"note"`
	} `json:"urgent_during_bulk"`

	RSS struct {
		IdleMB float64 `json:"idle_mb"`
		PeakMB float64 `json:"peak_mb"`
		Note   string  `json:"note"`
	} `json:"serve_rss"`

	Shutdown struct {
		Seconds []float64 `json:"sigterm_to_exit_seconds"`
		Clean   []bool    `json:"exited_by_itself"`
	} `json:"shutdown"`

	ServeLogs  map[string]int `json:"serve_log_levels"`
	ServeWarns map[string]int `json:"serve_warnings"`
	EmuErrors  []string       `json:"emulator_protocol_errors,omitempty"`
	// Problems are phases that did not finish in time; their figures
	// cover what was measured until then.
	Problems []string `json:"problems,omitempty"`
	Seconds  float64  `json:"run_seconds"`
}

const token = "123456:LOADTESTLOADTESTLOADTEST"

// Run performs a load test and writes one JSON object to out.
func Run(ctx context.Context, o Options, out io.Writer) error {
	if err := o.defaults(); err != nil {
		return err
	}
	r := &run{o: o, started: time.Now()}
	res, err := r.do(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

type run struct {
	o       Options
	started time.Time
	rdb     *redis.Client
	st      *store.Store
	emu     *emulator.Server
	apiURL  string
	redis   string
	limits  atomic.Pointer[emulator.Limits]
	rec     *recorder
	clients []client
	logs    *logCounter
	texts   struct{ saved, notOK, notOKHelp string }
	dataKey string // WAAKVLAM_DATA_KEY of the serving processes
}

// sealedStore gives the run a data key (base64, as WAAKVLAM_DATA_KEY) and
// a store that seals content under it, as the serving processes do:
// clients made here open there.
func sealedStore(rdb redis.UniversalClient) (*store.Store, string, error) {
	raw := make([]byte, seal.KeySize)
	if _, err := crand.Read(raw); err != nil {
		return nil, "", err
	}
	b64 := base64.StdEncoding.EncodeToString(raw)
	k, err := seal.ParseKey(b64)
	if err != nil {
		return nil, "", err
	}
	ring, err := seal.NewRing(k)
	if err != nil {
		return nil, "", err
	}
	st := store.New(rdb, store.NewSealer(rdb, ring))
	st.SetSecret(store.ServerSecret(token)) // serve keys invite codes with it
	return st, b64, nil
}

type client struct {
	id   string
	chat int64
	code string
}

func (r *run) progress(format string, args ...any) {
	fmt.Fprintf(r.o.Progress, "%6.1fs  %s\n", time.Since(r.started).Seconds(), fmt.Sprintf(format, args...))
}

func (r *run) do(ctx context.Context) (*Result, error) {
	res := &Result{Clients: r.o.Clients}
	res.Machine.CPUs = runtime.NumCPU()
	res.Machine.Go = runtime.Version()

	rs, err := startRedis(r.o.RedisServer)
	if err != nil {
		return nil, err
	}
	defer rs.Stop()
	r.redis = rs.Addr
	r.rdb = redis.NewClient(&redis.Options{Addr: rs.Addr, PoolSize: 32})
	defer r.rdb.Close()
	if r.st, r.dataKey, err = sealedStore(r.rdb); err != nil {
		return nil, err
	}
	info, _ := r.rdb.InfoMap(ctx, "server").Result()
	res.Machine.Redis = info["Server"]["redis_version"]

	texts, err := locales.Load()
	if err != nil {
		return nil, err
	}
	vars := map[string]any{"Name": "Client", "Coach": "Coach"}
	r.texts.saved = texts.Text("nl", "message.saved", vars)
	r.texts.notOK = texts.Text("nl", "button.not_ok", vars)
	r.texts.notOKHelp = texts.Text("nl", "not_ok.help", vars)

	r.emu = emulator.New(token)
	r.emu.Limit = func(method string, chat int64, now time.Time) int {
		if l := r.limits.Load(); l != nil {
			return l.Check(method, chat, now)
		}
		return 0
	}
	r.rec = newRecorder()
	r.emu.OnSend(r.rec.add)
	hs := httptest.NewServer(r.emu)
	defer hs.Close()
	r.apiURL = hs.URL
	r.logs = &logCounter{levels: map[string]int{}, msgs: map[string]int{}}

	if err := r.makeClients(ctx); err != nil {
		return nil, err
	}
	r.progress("redis on %s, %d clients with invites", rs.Addr, len(r.clients))

	// Phase A: no rate limits, as fast as the pipeline goes.
	sp, err := startServe(r.o.Binary, r.env(0, r.o.GlobalBurst, 0, r.o.ChatBurst), r.logs)
	if err != nil {
		return nil, err
	}
	defer func() {
		if sp != nil {
			sp.Kill()
		}
	}()
	time.Sleep(2 * time.Second) // let it settle: leases, groups, command menus
	idle, _, err := sp.memory()
	if err != nil {
		return nil, err
	}
	res.RSS.IdleMB = mb(idle)
	res.RSS.Note = "VmRSS of the serve process 2 s after it was ready, before any client; peak is the largest VmHWM of the serve processes"
	r.progress("serve ready, idle RSS %.1f MB", mb(idle))

	if err := r.link(ctx); err != nil {
		return nil, err
	}
	r.progress("clients linked")

	if err := r.burst(ctx, res); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		res.Problems = append(res.Problems, err.Error())
	}
	r.progress("burst: %d messages at %.0f/s, p50 %.0f ms, p99 %.0f ms", res.Inbound.Messages, res.Inbound.PerSecond, res.Inbound.P50ms, res.Inbound.P99ms)
	if r.o.PacedRate > 0 {
		if err := r.paced(ctx, res); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			res.Problems = append(res.Problems, err.Error())
		}
		r.progress("paced: %.0f/s offered, p50 %.0f ms, p99 %.0f ms", res.Paced.Offered, res.Paced.P50ms, res.Paced.P99ms)
	}
	_, hwm, _ := sp.memory()
	res.RSS.PeakMB = mb(hwm)
	d, clean := sp.Stop(30 * time.Second)
	sp = nil
	res.Shutdown.Seconds = append(res.Shutdown.Seconds, round(d.Seconds(), 3))
	res.Shutdown.Clean = append(res.Shutdown.Clean, clean)

	// Phase B: Telegram's limits at the fake and the same limits configured
	// in the serving process; a bulk drains while clients press "not OK".
	l := emulator.NewLimits(r.o.GlobalRate, r.o.ChatRate, r.o.ChatBurst)
	l.GlobalBurst = r.o.GlobalBurst
	r.limits.Store(l)
	if err := r.queueBulk(ctx); err != nil {
		return nil, err
	}
	r.progress("%d bulk messages queued", r.o.Bulk)
	sp, err = startServe(r.o.Binary, r.env(r.o.GlobalRate, r.o.GlobalBurst, r.o.ChatRate, r.o.ChatBurst), r.logs)
	if err != nil {
		return nil, err
	}
	if err := r.drain(ctx, res, l); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		res.Problems = append(res.Problems, err.Error())
	}
	r.progress("bulk: %.0f/s (%.0f%% of %v/s), %d 429s; urgent p99 %.0f ms", res.Bulk.PerSecond, 100*res.Bulk.Fraction, r.o.GlobalRate, res.Bulk.Telegram429, res.Urgent.P99ms)
	_, hwm, _ = sp.memory()
	res.RSS.PeakMB = max(res.RSS.PeakMB, mb(hwm))
	d, clean = sp.Stop(30 * time.Second)
	sp = nil
	res.Shutdown.Seconds = append(res.Shutdown.Seconds, round(d.Seconds(), 3))
	res.Shutdown.Clean = append(res.Shutdown.Clean, clean)

	res.ServeLogs, res.ServeWarns = r.logs.snapshot()
	res.EmuErrors = r.emu.Errors()
	res.Seconds = round(time.Since(r.started).Seconds(), 1)
	return res, nil
}

// env is the serving process's configuration. The WAAKVLAM_RATE_*
// variables are the limiter settings (0 = no limit); a binary that does not
// know them ignores them.
func (r *run) env(global float64, globalBurst int, chat float64, chatBurst int) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return map[string]string{
		"WAAKVLAM_TELEGRAM_TOKEN":      token,
		"WAAKVLAM_TELEGRAM_API_URL":    r.apiURL,
		"WAAKVLAM_REDIS_URL":           "redis://" + r.redis + "/0",
		"WAAKVLAM_BOT_USERNAME":        "WaakvlamLoadBot",
		"WAAKVLAM_LOG_LEVEL":           "warn",
		"WAAKVLAM_RATE_GLOBAL":         f(global),
		"WAAKVLAM_RATE_GLOBAL_BURST":   strconv.Itoa(globalBurst),
		"WAAKVLAM_RATE_CHAT":           f(chat),
		"WAAKVLAM_RATE_CHAT_BURST":     strconv.Itoa(chatBurst),
		"WAAKVLAM_SKIP_MATTERMOST":     "1",
		"WAAKVLAM_MATTERMOST_DISABLED": "1",
		"WAAKVLAM_DATA_KEY":            r.dataKey,
	}
}

func (r *run) makeClients(ctx context.Context) error {
	r.clients = make([]client, r.o.Clients)
	for i := range r.clients {
		c := client{id: fmt.Sprintf("lt%06d", i), chat: 10_000_000 + int64(i), code: fmt.Sprintf("LOAD%06d", i)}
		if err := r.st.CreateClient(ctx, store.Client{ID: c.id, FirstName: "Client", Coach: "Coach", Lang: "nl", Created: time.Now()}); err != nil {
			return err
		}
		if err := r.st.CreateInvite(ctx, c.code, c.id, time.Hour); err != nil {
			return err
		}
		r.clients[i] = c
	}
	return nil
}

// link sends /start CODE from every client through the pipeline, as a
// client does, and waits for the welcome (three messages).
func (r *run) link(ctx context.Context) error {
	for _, c := range r.clients {
		r.emu.UserSays(c.chat, "/start "+c.code)
	}
	return r.waitFor(ctx, "linking", func() bool {
		for _, c := range r.clients {
			if r.rec.count(c.chat) < 3 {
				return false
			}
		}
		return true
	})
}

func (r *run) waitFor(ctx context.Context, what string, done func() bool) error {
	deadline := time.Now().Add(r.o.PhaseTimeout)
	for !done() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not finish within %v", what, r.o.PhaseTimeout)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// pushed is when each message of a phase was handed to the fake Telegram,
// per chat in order.
type pushed map[int64][]time.Time

// answer pairs each push with the chat's replies of text want after since,
// in order: the n-th message of a chat gets the n-th reply.
func (r *run) answer(p pushed, want string, since time.Time) (lat []time.Duration, last time.Time, missing, dups int) {
	for chat, ts := range p {
		got := r.rec.after(chat, since, want)
		for i, t := range ts {
			if i >= len(got) {
				missing++
				continue
			}
			lat = append(lat, got[i].Sub(t))
			if got[i].After(last) {
				last = got[i]
			}
		}
		if len(got) > len(ts) {
			dups += len(got) - len(ts)
		}
	}
	return
}

func (r *run) total(p pushed) int {
	n := 0
	for _, ts := range p {
		n += len(ts)
	}
	return n
}

func (r *run) allAnswered(p pushed, want string, since time.Time) bool {
	for chat, ts := range p {
		if len(r.rec.after(chat, since, want)) < len(ts) {
			return false
		}
	}
	return true
}

// burst hands Inbound messages to the fake at once and times them until
// the last reply.
func (r *run) burst(ctx context.Context, res *Result) error {
	before, err := readRedisStats(ctx, r.rdb)
	if err != nil {
		return err
	}
	p := pushed{}
	start := time.Now()
	for i := 0; i < r.o.Inbound; i++ {
		c := r.clients[i%len(r.clients)]
		p[c.chat] = append(p[c.chat], time.Now())
		r.emu.UserSays(c.chat, "Hoi, hoe gaat het met jou?") // no digits: a "112" would rightly get the safety answer
	}
	werr := r.waitFor(ctx, "the burst", func() bool { return r.allAnswered(p, r.texts.saved, start) })
	after, err := readRedisStats(ctx, r.rdb)
	if err != nil {
		return err
	}
	lat, last, missing, dups := r.answer(p, r.texts.saved, start)
	n := float64(r.o.Inbound)
	in := &res.Inbound
	in.Messages = r.o.Inbound
	in.Seconds = round(last.Sub(start).Seconds(), 3)
	in.PerSecond = round(float64(len(lat))/last.Sub(start).Seconds(), 1)
	in.P50ms, in.P99ms = pct(lat, 50), pct(lat, 99)
	in.Missing, in.Duplicates = missing, dups
	in.Note = "all messages handed to the fake Telegram at once, spread over the clients round robin; no rate limits in this phase (fake and serving side); latency from the update being available to getUpdates to the reply arriving at the fake, queueing included"
	d := after.sub(before)
	d.byCmd["info"]-- // this run's own INFO call
	in.RedisCommands = round(float64(d.commands-1)/n, 2)
	in.RedisTrips = round(float64(d.reads-1)/n, 2)
	in.RedisCounted = "server counters over the burst, divided by the messages: commands = total_commands_processed (every command, also each redis.call inside a Lua script); round trips = total_reads_processed (read events on client sockets: one per request or pipeline the server received, so a pipeline or a script is one). Includes the serving process's background work (heartbeats, leases, blocking reads that time out) during the burst"
	in.RedisByCommand = map[string]float64{}
	for k, v := range d.byCmd {
		if v > 0 {
			in.RedisByCommand[k] = round(float64(v)/n, 3)
		}
	}
	return werr
}

// paced offers messages at a steady rate below capacity and measures the
// latency from update to reply.
func (r *run) paced(ctx context.Context, res *Result) error {
	p := pushed{}
	start := time.Now()
	total := int(float64(r.o.PacedRate) * r.o.PacedFor.Seconds())
	const tick = 10 * time.Millisecond
	perTick := max(1, r.o.PacedRate/100)
	i := 0
	tk := time.NewTicker(tick)
	for i < total {
		<-tk.C
		for j := 0; j < perTick && i < total; j++ {
			c := r.clients[i%len(r.clients)]
			p[c.chat] = append(p[c.chat], time.Now())
			r.emu.UserSays(c.chat, "Nog een berichtje voor mijn coach")
			i++
		}
	}
	tk.Stop()
	sent := time.Since(start)
	werr := r.waitFor(ctx, "the paced run", func() bool { return r.allAnswered(p, r.texts.saved, start) })
	lat, last, missing, dups := r.answer(p, r.texts.saved, start)
	res.Paced = &struct {
		Offered    float64 `json:"offered_per_second"`
		Messages   int     `json:"messages"`
		PerSecond  float64 `json:"achieved_per_second"`
		P50ms      float64 `json:"p50_ms"`
		P99ms      float64 `json:"p99_ms"`
		Missing    int     `json:"replies_missing"`
		Duplicates int     `json:"replies_duplicated"`
	}{Offered: round(float64(total)/sent.Seconds(), 1), Messages: total, P50ms: pct(lat, 50), P99ms: pct(lat, 99), Missing: missing, Duplicates: dups}
	res.Paced.PerSecond = round(float64(len(lat))/last.Sub(start).Seconds(), 1)
	return werr
}

const bulkPrefix = "⏰ Herinnering "

// queueBulk puts Bulk reminders in the bulk lanes of the clients'
// partitions, spread over the clients round robin.
func (r *run) queueBulk(ctx context.Context) error {
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < r.o.Bulk; i += 8 {
				c := r.clients[i%len(r.clients)]
				b, _ := json.Marshal(bot.Outgoing{Op: bot.OpMessage, ChatID: c.chat, Text: bulkPrefix + strconv.Itoa(i), Key: "reminder"})
				o := store.Outgoing{Lane: store.LaneBulk, ChatID: c.chat, Payload: b}
				if err := r.st.PushOutgoing(ctx, store.PartitionOfClient(c.id), o); err != nil {
					errc <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// drain waits for the bulk to go out while clients press "not OK" now and
// then, and measures the bulk rate and the urgent replies.
func (r *run) drain(ctx context.Context, res *Result, l *emulator.Limits) error {
	limitedBefore := r.emu.Limited()
	chatBefore, botBefore := l.Refused("chat"), l.Refused("global")
	if err := r.waitFor(ctx, "the first bulk message", func() bool { return r.rec.bulkCount() > 0 }); err != nil {
		return err
	}
	// Urgent presses, each from a different client (clients with bulk
	// waiting: every client has some).
	urgent := map[int64]time.Time{}
	tk := time.NewTicker(r.o.UrgentEvery)
	for i := 0; i < r.o.Urgent && r.rec.bulkCount() < r.o.Bulk; i++ {
		<-tk.C
		c := r.clients[(i*7919)%len(r.clients)]
		if _, dup := urgent[c.chat]; dup {
			continue
		}
		urgent[c.chat] = time.Now()
		r.emu.UserSays(c.chat, r.texts.notOK)
	}
	tk.Stop()
	werr := r.waitFor(ctx, "the bulk drain", func() bool { return r.rec.bulkCount() >= r.o.Bulk })
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && r.urgentMissing(urgent) > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	b := &res.Bulk
	first, last, delivered, dups := r.rec.bulkSpan()
	b.Messages, b.Delivered, b.Duplicates = r.o.Bulk, delivered, dups
	span := last.Sub(first).Seconds()
	b.Seconds = round(span, 3)
	if span > 0 {
		b.PerSecond = round(float64(delivered-1)/span, 1)
		b.AllPerSecond = round(float64(r.rec.countBetween(first, last)-1)/span, 1)
	}
	b.Limit = r.o.GlobalRate
	b.Fraction = round(b.PerSecond/r.o.GlobalRate, 3)
	b.Telegram429 = r.emu.Limited() - limitedBefore
	b.Telegram429Chat, b.Telegram429Bot = l.Refused("chat")-chatBefore, l.Refused("global")-botBefore
	b.Note = fmt.Sprintf("rate = (bulk messages accepted by the fake - 1) / time from the first to the last; all_sends counts urgent and other replies in that window too; fake limits: %v/s burst %d bot-wide, %v/s burst %d per chat; the serving process is given the same via WAAKVLAM_RATE_*",
		r.o.GlobalRate, r.o.GlobalBurst, r.o.ChatRate, r.o.ChatBurst)
	var lat []time.Duration
	for chat, t := range urgent {
		if at, ok := r.rec.firstAfter(chat, t, r.texts.notOKHelp); ok {
			lat = append(lat, at.Sub(t))
		}
	}
	u := &res.Urgent
	u.Presses = len(urgent)
	u.Missing = len(urgent) - len(lat)
	u.P50ms, u.P99ms = pct(lat, 50), pct(lat, 99)
	if len(lat) > 0 {
		u.MaxMs = round(float64(slices.Max(lat))/1e6, 1)
	}
	u.Note = "client presses 😟 while the bulk drains; latency from the update to the second urgent reply (the helplines) arriving at the fake"
	return werr
}

func (r *run) urgentMissing(urgent map[int64]time.Time) int {
	n := 0
	for chat, t := range urgent {
		if _, ok := r.rec.firstAfter(chat, t, r.texts.notOKHelp); !ok {
			n++
		}
	}
	return n
}

// recorder keeps what the fake received, per chat.
type recorder struct {
	mu     sync.Mutex
	chats  map[int64][]emulator.Message
	all    []time.Time
	bulk   map[string]int
	bFirst time.Time
	bLast  time.Time
	bCount atomic.Int64
}

func newRecorder() *recorder {
	return &recorder{chats: map[int64][]emulator.Message{}, bulk: map[string]int{}}
}

func (r *recorder) add(m emulator.Message) {
	if m.Method != "sendMessage" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.chats[m.ChatID] = append(r.chats[m.ChatID], emulator.Message{ChatID: m.ChatID, Text: m.Text, At: m.At})
	r.all = append(r.all, m.At)
	if len(m.Text) > len(bulkPrefix) && m.Text[:len(bulkPrefix)] == bulkPrefix {
		r.bulk[m.Text]++
		if r.bulk[m.Text] == 1 {
			r.bCount.Add(1)
		}
		if r.bFirst.IsZero() {
			r.bFirst = m.At
		}
		r.bLast = m.At
	}
}

func (r *recorder) count(chat int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.chats[chat])
}

func (r *recorder) after(chat int64, since time.Time, text string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Time
	for _, m := range r.chats[chat] {
		if !m.At.Before(since) && m.Text == text {
			out = append(out, m.At)
		}
	}
	return out
}

func (r *recorder) firstAfter(chat int64, since time.Time, text string) (time.Time, bool) {
	ts := r.after(chat, since, text)
	if len(ts) == 0 {
		return time.Time{}, false
	}
	return ts[0], true
}

func (r *recorder) bulkCount() int { return int(r.bCount.Load()) }

func (r *recorder) bulkSpan() (first, last time.Time, unique, dups int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.bulk {
		unique++
		dups += n - 1
	}
	return r.bFirst, r.bLast, unique, dups
}

func (r *recorder) countBetween(a, b time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, t := range r.all {
		if !t.Before(a) && !t.After(b) {
			n++
		}
	}
	return n
}

func pct(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	i = min(max(i, 0), len(s)-1)
	return round(float64(s[i])/1e6, 1)
}

func mb(b int64) float64 { return round(float64(b)/(1<<20), 1) }

func round(v float64, digits int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	f := math.Pow(10, float64(digits))
	return math.Round(v*f) / f
}

// since returns when messages reached chat from since on, in order.
func (r *recorder) since(chat int64, since time.Time) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Time
	for _, m := range r.chats[chat] {
		if !m.At.Before(since) {
			out = append(out, m.At)
		}
	}
	return out
}
