// Package pipeline owns the flow of work: Telegram updates into the intake
// streams, one worker per partition that runs the dialogs and commits their
// effects at once, and one sender per partition that empties the outbox
// into Telegram. Partitions are spread over the replicas with leases, so
// any number of replicas can run and each message is handled by one.
package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/bot"
	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/metrics"
	"github.com/waakvlam/waakvlam/programme"
	"github.com/waakvlam/waakvlam/ratelimit"
	"github.com/waakvlam/waakvlam/store"
)

// Telegram sends outgoing operations.
type Telegram interface {
	Send(ctx context.Context, o bot.Outgoing) error
}

// FileSource fetches the content of a file a coach sent, just before it is
// sent on to the client, so file content never waits in Redis.
type FileSource interface {
	Fetch(ctx context.Context, ref dialogs.FileRef) (data []byte, name, mime string, err error)
}

// Options tune a pipeline; zero values take defaults.
type Options struct {
	Replica  string        // unique name of this process
	LeaseTTL time.Duration // how long a partition stays with a silent replica
	Batch    int           // entries read per call
	Block    time.Duration // how long a read waits for new work
	Now      func() time.Time
	Files    FileSource // where coach files come from; nil: none can be sent
	// Limiter holds sends within Telegram's limits over all replicas; nil
	// sends as fast as Telegram accepts (429s are still honoured).
	Limiter *ratelimit.Limiter
	// Metrics, when set, counts sends, retries, 429s and latencies.
	Metrics *metrics.Waakvlam
	// PartitionWorkers run for each partition this replica holds, next to
	// its worker and sender (the coach bridge's queue loop).
	PartitionWorkers []func(ctx context.Context, part store.Partition)
	// Check looks for concerns in client texts (package signals).
	Check func(text string) dialogs.Concern
	// CoachHours says whether t falls in the coaches' working time and,
	// if not, when it starts again (staff.Directory); crisis replies say
	// when the coach reads a message. nil: not known.
	CoachHours func(t time.Time) (working bool, back time.Time)
	// Escalation says who an unanswered alert goes to next, and when; nil:
	// alerts are posted but never escalate.
	Escalation Escalation
	// Schedules holds reminders and check-ins; Programme gives the project
	// leader's current settings (nil: the defaults).
	Schedules Schedules
	Programme func() programme.Config
	// Access records each time the pipeline reads or changes a client's
	// data (package accesslog); nil: not recorded.
	Access AccessLog
}

// AccessLog records who read or changed which client's data (NEN 7513).
type AccessLog interface {
	Record(ctx context.Context, entries ...accesslog.Entry) error
}

// access records that the pipeline used client clientID's data for action,
// on behalf of onBehalf ("client", "coach", "" for its own schedule).
func (p *Pipeline) access(ctx context.Context, clientID, action string, op accesslog.Op, onBehalf string) {
	if p.opt.Access != nil && clientID != "" {
		_ = p.opt.Access.Record(ctx, accesslog.Entry{Client: clientID, Actor: "system:pipeline", OnBehalf: onBehalf, Action: action, Op: op,
			Outcome: accesslog.OK, Source: accesslog.SourcePipeline})
	}
}

// Escalation is the policy for alerts nobody picks up.
type Escalation interface {
	// Route gives the usernames an alert escalates to, in order, and when
	// the first step is due; no steps means no timer.
	Route(now time.Time, coachUser, backupUser string, sev dialogs.Severity) (steps []string, first time.Time)
	// Interval is the time between later steps.
	Interval() time.Duration
}

// Pipeline moves work through Redis. Create it with New and run it with Run.
type Pipeline struct {
	st    *store.Store
	texts dialogs.Texts
	tg    Telegram
	log   *slog.Logger
	opt   Options
	// health is what readiness needs to know (health.go).
	health health
}

// DefaultLeaseTTL is how long a partition stays with a replica that stopped
// renewing (README, "Leases and takeover"): renewed every third of it, a
// dead replica's partitions move within 4/3 of it.
const DefaultLeaseTTL = 3 * time.Second

// New assembles a pipeline.
func New(st *store.Store, texts dialogs.Texts, tg Telegram, log *slog.Logger, opt Options) *Pipeline {
	if opt.LeaseTTL == 0 {
		opt.LeaseTTL = DefaultLeaseTTL
	}
	if opt.Batch == 0 {
		opt.Batch = 50
	}
	if opt.Block == 0 {
		opt.Block = time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Replica == "" {
		opt.Replica = "r" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return &Pipeline{st: st, texts: texts, tg: tg, log: log, opt: opt}
}

// Intake stores updates in the intake stream of their client's partition,
// or of their chat's partition when the chat is not linked. It implements
// bot.Sink.
func (p *Pipeline) Intake(ctx context.Context, ups []bot.Update) error {
	chats := make([]int64, 0, len(ups))
	for _, u := range ups {
		if u.ChatID != 0 {
			chats = append(chats, u.ChatID)
		}
	}
	if len(chats) == 0 {
		return nil // only updates from groups or channels: not for us
	}
	links, err := p.st.Links(ctx, chats)
	if err != nil {
		return err
	}
	items := make([]store.Incoming, 0, len(chats))
	for _, u := range ups {
		if u.ChatID == 0 {
			continue
		}
		it := store.Incoming{Type: store.EntryTelegram, UpdateID: u.ID, ChatID: u.ChatID, Body: u.Raw}
		if c := links[u.ChatID]; c != "" {
			it.ClientID, it.Partition = c, store.PartitionOfClient(c)
		} else {
			it.Partition = store.PartitionOfChat(u.ChatID)
		}
		items = append(items, it)
	}
	_, err = p.st.Intake(ctx, items)
	return err
}

// Run works the partitions this replica can lease until ctx ends, then
// finishes the entry in hand and gives the leases back.
func (p *Pipeline) Run(ctx context.Context) error {
	type owned struct {
		cancel  context.CancelFunc
		done    chan struct{}
		renewed time.Time // last successful lease renewal (real time)
	}
	own := map[store.Partition]*owned{}
	var wg sync.WaitGroup
	stop := func(part store.Partition) {
		o := own[part]
		o.cancel()
		<-o.done
		delete(own, part)
	}
	defer func() {
		bg := context.WithoutCancel(ctx)
		for part := range own {
			stop(part)
			_ = p.st.Release(bg, part.Lease(), p.opt.Replica)
		}
		_ = p.st.Leave(bg, p.opt.Replica)
		wg.Wait()
	}()
	tick := time.NewTicker(p.opt.LeaseTTL / 3)
	defer tick.Stop()
	for {
		var roundErr error
		n, err := p.st.Heartbeat(ctx, p.opt.Replica, p.opt.Now(), p.opt.LeaseTTL)
		if err != nil {
			p.log.Warn("heartbeat", "err", err)
			roundErr = err
			n = 1
		}
		share := int((store.Partitions + n - 1) / max(n, 1))
		for part := store.Partition(0); part < store.Partitions; part++ {
			_, mine := own[part]
			if !mine && len(own) >= share {
				continue
			}
			res, err := p.st.Hold(ctx, part.Lease(), p.opt.Replica, p.opt.LeaseTTL)
			ok := res != store.LeaseHeld
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				roundErr = cmp.Or(roundErr, err)
				p.log.Warn("lease partition", "partition", int(part), "err", err)
				// Unable to renew: before the lease can run out and another
				// replica take over, stop working the partition, so two
				// replicas never send its messages at once.
				if o := own[part]; o != nil && time.Since(o.renewed) > 2*p.opt.LeaseTTL/3 {
					p.log.Warn("partition given up: lease not renewed in time", "partition", int(part))
					stop(part)
				}
				continue
			}
			if o := own[part]; o != nil && res == store.LeaseTaken {
				// The key was gone: the lease was lost in between (Redis
				// lost its data, or it expired). Not a renewal: start the
				// partition afresh, groups made again.
				p.Healed("lease")
				stop(part)
				mine = false
			}
			if o := own[part]; o != nil && ok {
				o.renewed = time.Now()
			}
			switch {
			case ok && !mine:
				if err := p.st.EnsureGroups(ctx, part); err != nil {
					p.log.Warn("prepare partition", "partition", int(part), "err", err)
					_ = p.st.Release(ctx, part.Lease(), p.opt.Replica)
					continue
				}
				pctx, cancel := context.WithCancel(ctx)
				o := &owned{cancel: cancel, done: make(chan struct{}), renewed: time.Now()}
				own[part] = o
				wg.Add(1)
				go func(part store.Partition) {
					defer wg.Done()
					defer close(o.done)
					p.work(pctx, part)
				}(part)
			case !ok && mine:
				p.log.Info("partition lease lost", "partition", int(part))
				stop(part)
			}
		}
		p.endRound(roundErr)
		// Give partitions back when more replicas joined, so work spreads.
		for part := range own {
			if len(own) <= share {
				break
			}
			stop(part)
			_ = p.st.Release(ctx, part.Lease(), p.opt.Replica)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// work runs the worker and the sender of one partition.
func (p *Pipeline) work(ctx context.Context, part store.Partition) {
	var wg sync.WaitGroup
	wg.Add(3 + len(p.opt.PartitionWorkers))
	go func() { defer wg.Done(); p.processLoop(ctx, part) }()
	go func() { defer wg.Done(); p.sendLoop(ctx, part) }()
	go func() { defer wg.Done(); p.escalateLoop(ctx, part) }()
	for _, w := range p.opt.PartitionWorkers {
		go func() { defer wg.Done(); w(ctx, part) }()
	}
	wg.Wait()
	p.readFailed("intake", part, nil) // not this replica's partition any more
	p.readFailed("outbox", part, nil)
}

func (p *Pipeline) processLoop(ctx context.Context, part store.Partition) {
	pending := true // first finish what a previous owner left half done
	failures := map[string]int{}
	for ctx.Err() == nil {
		es, err := p.st.ReadIntake(ctx, part, p.opt.Batch, p.opt.Block, pending)
		if err != nil {
			if ctx.Err() == nil {
				p.readFailed("intake", part, err)
				p.log.Warn("read intake", "partition", int(part), "err", err)
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		p.readFailed("intake", part, nil)
		if pending && len(es) == 0 {
			pending = false
			continue
		}
		for _, e := range es {
			// An entry in hand is finished even when shutdown begins, so
			// nothing is half done; the next owner takes what was not read.
			err := p.process(context.WithoutCancel(ctx), part, e)
			if errors.Is(err, store.ErrLeaseLost) {
				return
			}
			if err != nil {
				failures[e.ID]++
				p.log.Warn("process entry", "partition", int(part), "entry", e.ID, "attempt", failures[e.ID], "err", err)
				if failures[e.ID] >= maxAttempts {
					// One entry that keeps failing must not hold up every
					// other client of the partition: set it aside for an
					// operator and tell the coach.
					if err := p.st.DeadLetter(context.WithoutCancel(ctx), part, e, err.Error()); err != nil {
						p.log.Error("set entry aside", "partition", int(part), "entry", e.ID, "err", err)
					} else {
						p.log.Error("entry set aside after repeated failures", "partition", int(part), "entry", e.ID, "client", e.ClientID)
						delete(failures, e.ID)
					}
				}
				sleepCtx(ctx, 500*time.Millisecond)
				pending = true // try it again
				break
			}
			delete(failures, e.ID)
			if m := p.opt.Metrics; m != nil {
				m.Processed.With(e.Type).Inc()
				m.Process.With(e.Type).Observe(entryAge(e.ID, p.opt.Now()).Seconds())
			}
		}
	}
}

// maxAttempts is how often an entry is tried before it is set aside.
const maxAttempts = 5

func (p *Pipeline) process(ctx context.Context, part store.Partition, e store.Entry) error {
	switch e.Type {
	case store.EntryTelegram:
		return p.processTelegram(ctx, part, e)
	case store.EntryCoach:
		return p.processCoach(ctx, part, e)
	case store.EntryDue:
		return p.processDue(ctx, part, e)
	default:
		p.log.Warn("unknown intake entry type, dropped", "partition", int(part), "entry", e.ID, "type", e.Type)
		return p.st.AckIntake(ctx, part, e.ID)
	}
}

func (p *Pipeline) env() dialogs.Env {
	env := dialogs.Env{Texts: p.texts, Now: p.opt.Now(), Check: p.opt.Check}
	if p.opt.CoachHours != nil {
		env.CoachHours, env.CoachBack = p.opt.CoachHours(env.Now)
	}
	return env
}

func (p *Pipeline) processTelegram(ctx context.Context, part store.Partition, e store.Entry) error {
	if e.Body == nil {
		return p.st.AckIntake(ctx, part, e.ID)
	}
	ev, ok, err := bot.ToEvent(e.Body)
	if err != nil || !ok {
		if err != nil {
			p.log.Warn("unreadable update dropped", "update", e.UpdateID, "err", err)
		}
		return p.st.AckIntake(ctx, part, e.ID)
	}
	if e.ClientID == "" {
		return p.stranger(ctx, part, e, ev)
	}
	c, found, err := p.st.LoadClient(ctx, e.ClientID)
	if err != nil {
		return err
	}
	if !found || c.ChatID != ev.ChatID {
		// The link was stale (the client stopped or moved to a new phone).
		if err := p.st.DropLink(ctx, ev.ChatID, e.ClientID); err != nil {
			return err
		}
		return p.stranger(ctx, part, e, ev)
	}
	if ev.UpdateID < c.LinkedUpdate {
		// Sent before the chat was linked and answered then.
		return p.st.AckIntake(ctx, part, e.ID)
	}
	p.access(ctx, c.ID, "message.handle", accesslog.Change, "client")
	var st dialogs.State
	if len(c.State) > 0 {
		if err := json.Unmarshal(c.State, &st); err != nil {
			p.log.Warn("unreadable dialog state reset", "client", c.ID)
			st = dialogs.State{}
		}
	}
	dc := dialogs.Client{ID: c.ID, FirstName: c.FirstName, Coach: c.Coach, Lang: c.Lang, ChatID: c.ChatID, LinkedUpdate: c.LinkedUpdate}
	env := p.env()
	env.Now = env.Now.In(p.location())
	if dialogs.WantsMyDay(env, dc, ev) {
		env.Today = p.myDay(ctx, c.ID)
	}
	next, effects := dialogs.Step(env, dc, st, ev)
	cm, err := p.commitFor(part, e, ev, &c, effects)
	if err != nil {
		return err
	}
	snoozes := p.structureEffects(&cm, &c, effects)
	if ev.Kind != dialogs.KindBlocked {
		p.contact(&cm, &c)
	}
	state, _ := json.Marshal(next)
	cm.State = state
	// The snoozed reminder is scheduled before the commit: its id is fixed,
	// so a retry after a crash schedules the same one again, and a crash
	// after the commit cannot lose it.
	if err := p.scheduleSnoozes(ctx, c.ID, snoozes); err != nil {
		return err
	}
	if _, err := p.st.Commit(ctx, cm, p.opt.Now()); err != nil {
		return err
	}
	if cm.Unlink {
		return p.st.DropLink(ctx, ev.ChatID, c.ID)
	}
	return nil
}

// stranger handles a chat without a client: a valid invite links it and
// hands the /start to the client's partition; anything else gets a kind
// refusal and leaves no trace but a hashed flood counter.
func (p *Pipeline) stranger(ctx context.Context, part store.Partition, e store.Entry, ev dialogs.Event) error {
	links, err := p.st.Links(ctx, []int64{ev.ChatID})
	if err != nil {
		return err
	}
	if c := links[ev.ChatID]; c != "" && c != e.ClientID {
		return p.st.Forward(ctx, part, e, store.PartitionOfClient(c), c)
	}
	invite := dialogs.NoInvite
	if ev.Kind == dialogs.KindCommand && ev.Command == "start" && ev.Args != "" {
		id, err := p.useInvite(ctx, part, ev)
		if err != nil {
			return err
		}
		if id != "" {
			return p.st.Forward(ctx, part, e, store.PartitionOfClient(id), id)
		}
		invite = dialogs.BadInvite
	}
	seen, err := p.st.CountStranger(ctx, ev.ChatID)
	if err != nil {
		return err
	}
	if seen == store.StrangerUncounted {
		seen = dialogs.FloodLimit + 1 // too many strangers to count: only a crisis is answered
	}
	cm, err := p.commitFor(part, e, ev, nil, dialogs.Stranger(p.env(), ev, invite, seen))
	if err != nil {
		return err
	}
	_, err = p.st.Commit(ctx, cm, p.opt.Now())
	return err
}

// CoachPost is what waits in the coach queue for the Mattermost bridge.
type CoachPost struct {
	ClientID string            `json:"client"`
	Kind     dialogs.CoachKind `json:"kind"`
	Priority bool              `json:"priority,omitempty"`
	Text     string            `json:"text,omitempty"`
	Info     string            `json:"info,omitempty"`
	Media    *dialogs.Media    `json:"media,omitempty"`
	Files    []dialogs.Media   `json:"files,omitempty"`
	About    string            `json:"about,omitempty"`
	Location *dialogs.Location `json:"location,omitempty"`
	Contact  *dialogs.Contact  `json:"contact,omitempty"`
	Time     time.Time         `json:"time"`
	UpdateID int64             `json:"update,omitempty"`
	// Delivery reports (Kind KindDelivery): which coach post, and whether
	// it reached the client.
	Report string `json:"report,omitempty"`
	OK     bool   `json:"ok,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Safety: how worrying, the alert to pick up, escalation steps.
	Severity string   `json:"severity,omitempty"`
	Category string   `json:"category,omitempty"`
	Matched  []string `json:"matched,omitempty"`
	AlertID  string   `json:"alert,omitempty"`
	Target   string   `json:"target,omitempty"` // username an escalation goes to
	Level    int      `json:"level,omitempty"`
	By       string   `json:"by,omitempty"` // who picked an alert up
}

// More coach post kinds made outside the dialogs.
const (
	KindEscalation dialogs.CoachKind = "escalation" // nobody picked an alert up in time
	KindAck        dialogs.CoachKind = "ack"        // someone picked an alert up
)

// KindDelivery marks a report on a coach post's delivery to the client.
const KindDelivery dialogs.CoachKind = "delivery"

// Reasons a coach post did not reach the client.
const (
	ReasonNotLinked = "not_linked" // the client has no chat (stopped, never started)
	ReasonBlocked   = "blocked"    // the client blocked the bot
	ReasonTooLarge  = "too_large"  // the file is over Telegram's limit
	ReasonRefused   = "refused"    // Telegram refused the message
	ReasonNoFile    = "no_file"    // the file could not be fetched
)

// CoachInbound is a coach's post on its way to the client.
type CoachInbound struct {
	ClientID string             `json:"client"`
	Reply    dialogs.CoachReply `json:"reply"`
}

// EnqueueCoachReply stores a coach's post for the client's worker. Every
// replica's listener may see the same post: the post id dedupes it.
func (p *Pipeline) EnqueueCoachReply(ctx context.Context, in CoachInbound) (bool, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return false, fmt.Errorf("encode coach reply: %w", err)
	}
	n, err := p.st.Intake(ctx, []store.Incoming{{Partition: store.PartitionOfClient(in.ClientID), Type: store.EntryCoach,
		ClientID: in.ClientID, Body: body, DedupeID: "mm:" + in.Reply.PostID}})
	return n == 1, err
}

func (p *Pipeline) processCoach(ctx context.Context, part store.Partition, e store.Entry) error {
	var in CoachInbound
	if err := json.Unmarshal(e.Body, &in); err != nil {
		p.log.Warn("unreadable coach reply dropped", "entry", e.ID)
		return p.st.AckIntake(ctx, part, e.ID)
	}
	c, found, err := p.st.LoadClient(ctx, in.ClientID)
	if err != nil {
		return err
	}
	cm := store.Commit{Partition: part, EntryID: e.ID, LeaseToken: p.opt.Replica, ClientID: in.ClientID}
	if !found || c.ChatID == 0 {
		b, _ := json.Marshal(CoachPost{ClientID: in.ClientID, Kind: KindDelivery, Report: in.Reply.PostID, Reason: ReasonNotLinked, Time: p.opt.Now()})
		cm.Coach = append(cm.Coach, b)
		_, err := p.st.Commit(ctx, cm, p.opt.Now())
		return err
	}
	p.access(ctx, c.ID, "coach-reply.handle", accesslog.Change, "coach")
	dc := dialogs.Client{ID: c.ID, FirstName: c.FirstName, Coach: c.Coach, Lang: c.Lang, ChatID: c.ChatID, LinkedUpdate: c.LinkedUpdate}
	ev := dialogs.Event{Kind: dialogs.KindCoachReply, ChatID: c.ChatID, Coach: &in.Reply, Time: p.opt.Now()}
	var st dialogs.State
	_ = json.Unmarshal(c.State, &st)
	_, effects := dialogs.Step(p.env(), dc, st, ev)
	cm, err = p.commitFor(part, e, ev, &c, effects)
	if err != nil {
		return err
	}
	_, err = p.st.Commit(ctx, cm, p.opt.Now())
	return err
}

func (p *Pipeline) commitFor(part store.Partition, e store.Entry, ev dialogs.Event, c *store.Client, effects []dialogs.Effect) (store.Commit, error) {
	clientID := ""
	if c != nil {
		clientID = c.ID
	}
	cm := store.Commit{Partition: part, EntryID: e.ID, LeaseToken: p.opt.Replica, ClientID: clientID}
	alertID := ""
	for _, ef := range effects {
		if ra, ok := ef.(dialogs.RaiseAlert); ok && c != nil {
			// The id carries the client, so a coach can pick it up by id
			// alone, and a random part, so nobody can guess it. A retry after
			// a crash makes another id: the commit writes all or nothing.
			alertID = newAlertID(c.ID)
			now := p.opt.Now()
			a := &store.Alert{ID: alertID, ClientID: c.ID, Severity: ra.Severity.String(), Category: ra.Category, Created: now, CoachUser: c.CoachUser}
			if p.opt.Escalation != nil {
				a.Steps, a.Due = p.opt.Escalation.Route(now, c.CoachUser, c.BackupUser, ra.Severity)
				if len(a.Steps) == 0 {
					a.Due = time.Time{}
				}
			}
			cm.Alert = a
		}
	}
	out := func(lane dialogs.Lane, o bot.Outgoing) error {
		o.ChatID = ev.ChatID
		o.Client = clientID
		b, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("encode outgoing: %w", err)
		}
		cm.Outgoing = append(cm.Outgoing, store.Outgoing{Lane: store.Lane(lane), ChatID: ev.ChatID, Payload: b})
		return nil
	}
	for _, ef := range effects {
		var err error
		switch ef := ef.(type) {
		case dialogs.Reply:
			err = out(ef.Lane, bot.Outgoing{Op: bot.OpMessage, Text: ef.Text, Keyboard: ef.Keyboard, Key: ef.Key, Report: ef.Report})
		case dialogs.SendFile:
			f := ef.File
			err = out(ef.Lane, bot.Outgoing{Op: bot.OpFile, File: &f, Text: ef.Caption, Report: ef.Report})
		case dialogs.AnswerButton:
			err = out(dialogs.Urgent, bot.Outgoing{Op: bot.OpAnswer, CallbackID: ef.CallbackID, Text: ef.Text})
		case dialogs.ClearButtons:
			err = out(dialogs.Normal, bot.Outgoing{Op: bot.OpClear, MessageID: ef.MessageID})
		case dialogs.ToCoach:
			cp := CoachPost{ClientID: clientID, Kind: ef.Kind, Priority: ef.Priority, Text: ef.Text, Info: ef.Info,
				Media: ef.Media, Files: ef.Files, About: ef.About, Location: ef.Location, Contact: ef.Contact, Time: p.opt.Now(), UpdateID: ev.UpdateID}
			if ef.Severity > dialogs.SevNone {
				cp.Severity, cp.Category, cp.Matched = ef.Severity.String(), ef.Category, ef.Matched
				if ef.Severity >= dialogs.SevHigh {
					cp.AlertID = alertID
				}
			}
			b, merr := json.Marshal(cp)
			if merr != nil {
				return cm, fmt.Errorf("encode coach post: %w", merr)
			}
			cm.Coach = append(cm.Coach, b)
		case dialogs.SetLang:
			cm.Lang = ef.Lang
		case dialogs.Unlink:
			cm.Unlink = true
		case dialogs.Record:
			cm.Events = append(cm.Events, store.Event{Kind: ef.Kind, ClientID: clientID, Ref: strconv.FormatInt(ev.UpdateID, 10)})
		}
		if err != nil {
			return cm, err
		}
	}
	return cm, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
