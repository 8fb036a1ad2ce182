package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/bot"
	"github.com/waakvlam/waakvlam/metrics"
	"github.com/waakvlam/waakvlam/ratelimit"
	"github.com/waakvlam/waakvlam/store"
)

// sendLoop empties a partition's outbox into Telegram. It keeps the
// messages it read but did not send yet in hand, per lane, and sends in
// passes: urgent first, then normal, then bulk, asking the shared rate
// limiter before every send. A chat that must wait is skipped for the rest
// of the pass, its later messages too, so one chat's messages keep their
// order while other chats go on; when the bot-wide bucket is empty the
// pass stops at that lane. Between passes it waits on Redis for new
// messages for at most the limiter's wait, leaving the bulk lane out of
// that read while it holds Batch bulk messages, so a new urgent message
// ends the wait at once instead of queueing behind reminders.
//
// A message is acknowledged only after Telegram accepted it (or refused it
// for good), so a crash resends at most the messages in flight.
func (p *Pipeline) sendLoop(ctx context.Context, part store.Partition) {
	sd := &sender{p: p, part: part, hand: map[store.Lane][]store.OutEntry{}, inHand: map[string]bool{}, pending: true}
	// First re-read what a previous owner took but did not finish.
	from := map[store.Lane]string{store.LaneUrgent: "0", store.LaneNormal: "0", store.LaneBulk: "0"}
	var wait time.Duration
	for ctx.Err() == nil {
		if len(from) == 0 || !sd.pending {
			sd.pending = false
			from = map[store.Lane]string{store.LaneUrgent: ">", store.LaneNormal: ">"}
			if len(sd.hand[store.LaneBulk]) < p.opt.Batch {
				from[store.LaneBulk] = ">"
			}
		}
		block := p.opt.Block
		if sd.size() > 0 {
			// Redis times a blocking read out only on its 100 ms cron (hz
			// 10): a short wait is slept here, a long one spent blocked on
			// Redis, where a new urgent message ends it at once.
			block = -1
			switch {
			case wait >= 100*time.Millisecond:
				block = min(wait, p.opt.Block)
			case wait > 0:
				sleepCtx(ctx, wait)
			}
		}
		es, err := p.st.ReadOutboxLanes(ctx, part, from, p.opt.Batch, block)
		if err != nil {
			if ctx.Err() == nil {
				p.readFailed("outbox", part, err)
				p.log.Warn("read outbox", "partition", int(part), "err", err)
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		p.readFailed("outbox", part, nil)
		if sd.pending {
			// Move each lane's cursor past what came back; a lane with
			// nothing more is done re-reading.
			got := map[store.Lane]string{}
			for _, e := range es {
				got[e.Lane] = e.ID
			}
			for l := range from {
				if id, ok := got[l]; ok {
					from[l] = id
				} else {
					delete(from, l)
				}
			}
		}
		if !sd.pending && len(es) == 0 && sd.size() == 0 {
			// Idle: look once for messages taken but never finished, which
			// a replica that lost this partition mid-send can leave behind
			// after this sender's first re-read (all replicas share the one
			// consumer name).
			sd.pending = true
			from = map[store.Lane]string{store.LaneUrgent: "0", store.LaneNormal: "0", store.LaneBulk: "0"}
			continue
		}
		sd.take(es)
		var ok bool
		if wait, ok = sd.pass(ctx); !ok {
			return // shutting down: what is in hand stays pending for the next owner
		}
	}
}

// sender is the state of one partition's send loop.
type sender struct {
	p       *Pipeline
	part    store.Partition
	hand    map[store.Lane][]store.OutEntry
	inHand  map[string]bool // by handKey: ids repeat across lanes
	pending bool            // still re-reading a previous owner's messages
	fails   int             // consecutive 5xx or network errors
}

func (sd *sender) size() int { return len(sd.inHand) }

// handKey names a message in hand. Stream ids are only unique per lane: a
// commit that queues an urgent and a normal message in the same
// millisecond gives both the same id.
func handKey(e store.OutEntry) string { return string(e.Lane) + e.ID }

func (sd *sender) take(es []store.OutEntry) {
	if sd.inHand == nil {
		sd.inHand = map[string]bool{}
	}
	for _, e := range es {
		if k := handKey(e); !sd.inHand[k] {
			sd.inHand[k] = true
			sd.hand[e.Lane] = append(sd.hand[e.Lane], e)
		}
	}
}

// pass tries every message in hand once, in lane order. It returns how long
// until the first held message could go (0: nothing held) and false when
// the loop should stop.
func (sd *sender) pass(ctx context.Context) (time.Duration, bool) {
	held := map[int64]bool{}
	var wait time.Duration
	stop := false
	for _, l := range store.Lanes {
		kept := sd.hand[l][:0]
		for _, e := range sd.hand[l] {
			if stop || held[e.ChatID] || ctx.Err() != nil {
				kept = append(kept, e)
				continue
			}
			r := sd.send(ctx, e)
			if r.done {
				delete(sd.inHand, handKey(e))
				continue
			}
			kept = append(kept, e)
			held[e.ChatID] = true
			if wait == 0 || r.wait < wait {
				wait = r.wait
			}
			if r.global {
				stop = true // no other chat can go at this or a lower priority
			}
		}
		sd.hand[l] = kept
	}
	return wait, ctx.Err() == nil
}

type sendResult struct {
	done   bool          // sent, refused for good or dropped: acknowledged
	wait   time.Duration // else: try again after this
	global bool          // the wait holds every chat, not only this one
}

func priority(l store.Lane) ratelimit.Priority {
	switch l {
	case store.LaneUrgent:
		return ratelimit.Urgent
	case store.LaneBulk:
		return ratelimit.Bulk
	}
	return ratelimit.Normal
}

// send makes one attempt at one message.
func (sd *sender) send(ctx context.Context, e store.OutEntry) sendResult {
	p, part := sd.p, sd.part
	lane := metrics.LaneLabel(string(e.Lane))
	var o bot.Outgoing
	if err := json.Unmarshal(e.Payload, &o); err != nil {
		p.log.Warn("unreadable outgoing dropped", "partition", int(part), "entry", e.ID)
		p.count(lane, metrics.ResultDropped)
		return sendResult{done: p.ack(ctx, part, e)}
	}
	if lim := p.opt.Limiter; lim != nil {
		w, global, err := lim.Take(ctx, o.ChatID, priority(e.Lane))
		if err != nil {
			if ctx.Err() == nil {
				p.log.Warn("rate limiter", "partition", int(part), "err", err)
			}
			return sendResult{wait: time.Second, global: true}
		}
		if w > 0 {
			if m := p.opt.Metrics; m != nil {
				m.RateWait.With(lane).Add(w.Seconds())
			}
			return sendResult{wait: w, global: global}
		}
	}
	// A send in flight finishes (and is acknowledged) even when shutdown
	// begins, within a deadline: cancelling it could leave a message that
	// Telegram accepted unacknowledged, to be sent again.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := p.fetch(sctx, &o)
	if err == nil {
		err = p.tg.Send(sctx, o)
	}
	if err == nil {
		sd.fails = 0
		p.report(sctx, part, o, "")
		p.count(lane, metrics.ResultOK)
		if m := p.opt.Metrics; m != nil {
			m.Delivery.With(lane).Observe(entryAge(e.ID, p.opt.Now()).Seconds())
		}
		return sendResult{done: p.ack(sctx, part, e)}
	}
	var se *bot.SendError
	switch {
	case errors.As(err, &se) && se.Permanent:
		// The client blocked the bot or the chat is gone: retrying will
		// not help. Log ids only.
		p.log.Warn("telegram refused message", "partition", int(part), "entry", e.ID, "op", o.Op, "err", err)
		p.report(sctx, part, o, reason(err))
		p.count(lane, metrics.ResultRefused)
		return sendResult{done: p.ack(sctx, part, e)}
	case errors.As(err, &se) && se.RetryAfter > 0:
		global := p.opt.Limiter == nil
		if lim := p.opt.Limiter; lim != nil {
			held, berr := lim.Backoff(sctx, o.ChatID, false, se.RetryAfter)
			if berr != nil {
				p.log.Warn("rate limiter back-off", "partition", int(part), "err", berr)
			}
			global = held
		}
		if m := p.opt.Metrics; m != nil {
			scope := "chat"
			if global {
				scope = "global"
			}
			m.Limited.With(scope).Inc()
			m.Retries.With(lane, metrics.ReasonRateLimited).Inc()
		}
		return sendResult{wait: se.RetryAfter, global: global}
	default:
		p.log.Warn("send failed, will retry", "partition", int(part), "entry", e.ID, "err", err)
		if m := p.opt.Metrics; m != nil {
			m.Retries.With(lane, metrics.ReasonNetwork).Inc()
		}
		backoff := min(250*time.Millisecond<<min(sd.fails, 7), 30*time.Second)
		sd.fails++
		return sendResult{wait: backoff/2 + rand.N(backoff/2+1), global: true}
	}
}

func (p *Pipeline) count(lane, result string) {
	if m := p.opt.Metrics; m != nil {
		m.Sends.With(lane, result).Inc()
	}
}

// entryAge is how long ago a stream entry was added (its id starts with
// the Redis time in ms).
func entryAge(id string, now time.Time) time.Duration {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return 0
	}
	return max(now.Sub(time.UnixMilli(n)), 0)
}

func (p *Pipeline) ack(ctx context.Context, part store.Partition, e store.OutEntry) bool {
	for {
		err := p.st.AckOutbox(context.WithoutCancel(ctx), part, []store.OutEntry{e})
		if err == nil {
			return true
		}
		p.log.Warn("ack outbox", "partition", int(part), "err", err)
		if ctx.Err() != nil {
			return false
		}
		sleepCtx(ctx, time.Second)
	}
}

// Backlog counts work not yet finished: intake entries and outbox
// messages over all partitions.
func (p *Pipeline) Backlog(ctx context.Context) (int64, error) {
	var total int64
	for part := store.Partition(0); part < store.Partitions; part++ {
		n, err := p.st.IntakeBacklog(ctx, part)
		if err != nil {
			return 0, err
		}
		total += n
		lanes, err := p.st.OutboxBacklog(ctx, part)
		if err != nil {
			return 0, err
		}
		for _, v := range lanes {
			total += v
		}
	}
	return total, nil
}

// fetch loads the content of a coach's file just before it is sent.
func (p *Pipeline) fetch(ctx context.Context, o *bot.Outgoing) error {
	if o.Op != bot.OpFile || o.File == nil || o.Data != nil {
		return nil
	}
	if p.opt.Files == nil {
		return &bot.SendError{Err: errNoFiles, Permanent: true}
	}
	data, name, mime, err := p.opt.Files.Fetch(ctx, *o.File)
	if err != nil {
		var se *bot.SendError
		if errors.As(err, &se) {
			return err
		}
		return &bot.SendError{Err: err}
	}
	o.Data = data
	p.log.Debug("fetched coach file", "bytes", len(data), "mime", mime)
	if o.File.Name == "" {
		o.File.Name = name
	}
	if o.File.MIME == "" {
		o.File.MIME = mime
	}
	return nil
}

var errNoFiles = errors.New("no file source configured")

func reason(err error) string {
	switch {
	case errors.Is(err, bot.ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, errNoFiles):
		return ReasonNoFile
	case strings.Contains(err.Error(), "forbidden"):
		return ReasonBlocked
	}
	return ReasonRefused
}

// report tells the coach whether their post reached the client; the coach
// bridge turns it into a ✅ or ⚠️ on the post.
func (p *Pipeline) report(ctx context.Context, part store.Partition, o bot.Outgoing, why string) {
	if o.Report == "" {
		// A bot message the client did not get (blocked, chat gone): the
		// coach hears it once a day, not for every message.
		if why == "" || o.Client == "" || o.Op == bot.OpAnswer || o.Op == bot.OpClear {
			return
		}
		if first, err := p.st.FirstNotice(context.WithoutCancel(ctx), o.Client, why, 24*time.Hour); err != nil || !first {
			return
		}
	}
	b, _ := json.Marshal(CoachPost{ClientID: o.Client, Kind: KindDelivery, Report: o.Report, OK: why == "", Reason: why, Time: p.opt.Now()})
	if err := p.st.PushCoachFor(context.WithoutCancel(ctx), part, o.Client, b); err != nil {
		p.log.Warn("delivery report lost", "partition", int(part), "err", err)
	}
}
