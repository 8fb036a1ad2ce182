package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/bot"
	"github.com/waakvlam/waakvlam/store"
)

// sendLoop empties a partition's outbox into Telegram, urgent lane first.
// A message is acknowledged only after Telegram accepted it (or refused it
// for good), so a crash resends at most the one message in flight.
func (p *Pipeline) sendLoop(ctx context.Context, part store.Partition) {
	pending := true
	for ctx.Err() == nil {
		es, err := p.st.ReadOutbox(ctx, part, p.opt.Batch, p.opt.Block, pending)
		if err != nil {
			if ctx.Err() == nil {
				p.log.Warn("read outbox", "partition", int(part), "err", err)
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		if pending && len(es) == 0 {
			pending = false
			continue
		}
		for _, e := range es {
			if !p.deliver(ctx, part, e) {
				return // shutting down: the rest stays pending for the next owner
			}
		}
	}
}

// deliver sends one message, retrying until it is accepted, refused for
// good, or ctx ends (false).
func (p *Pipeline) deliver(ctx context.Context, part store.Partition, e store.OutEntry) bool {
	var o bot.Outgoing
	if err := json.Unmarshal(e.Payload, &o); err != nil {
		p.log.Warn("unreadable outgoing dropped", "partition", int(part), "entry", e.ID)
		return p.ack(ctx, part, e)
	}
	backoff := 250 * time.Millisecond
	for {
		err := p.fetch(ctx, &o)
		if err == nil {
			err = p.tg.Send(ctx, o)
		}
		if err == nil {
			p.report(ctx, part, o, "")
			return p.ack(ctx, part, e)
		}
		if ctx.Err() != nil {
			return false
		}
		var se *bot.SendError
		switch {
		case errors.As(err, &se) && se.Permanent:
			// The client blocked the bot or the chat is gone: retrying will
			// not help. Log ids only.
			p.log.Warn("telegram refused message", "partition", int(part), "entry", e.ID, "op", o.Op, "err", err)
			p.report(ctx, part, o, reason(err))
			return p.ack(ctx, part, e)
		case errors.As(err, &se) && se.RetryAfter > 0:
			sleepCtx(ctx, se.RetryAfter)
		default:
			p.log.Warn("send failed, will retry", "partition", int(part), "entry", e.ID, "err", err)
			sleepCtx(ctx, backoff/2+rand.N(backoff/2+1))
			backoff = min(backoff*2, 30*time.Second)
		}
	}
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
		return
	}
	b, _ := json.Marshal(CoachPost{ClientID: o.Client, Kind: KindDelivery, Report: o.Report, OK: why == "", Reason: why, Time: p.opt.Now()})
	if err := p.st.PushCoach(context.WithoutCancel(ctx), part, b); err != nil {
		p.log.Warn("delivery report lost", "partition", int(part), "err", err)
	}
}
