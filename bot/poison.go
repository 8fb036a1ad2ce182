package bot

import (
	"context"
	"encoding/json"
)

// unreadable is an update Telegram sent that ParseUpdate refused; ID is 0
// when even its update_id cannot be read.
type unreadable struct {
	ID  int64
	Err error
}

func unreadableUpdate(raw []byte, err error) unreadable {
	var id struct {
		ID int64 `json:"update_id"`
	}
	_ = json.Unmarshal(raw, &id) // best effort: 0 when that fails too
	return unreadable{ID: id.ID, Err: err}
}

// nextOffset is the offset after a batch: past every update stored and
// every unreadable one set aside, but never past an unreadable one that is
// not (yet): confirming it to Telegram would drop it unseen. held tells
// that one holds the offset; the updates after it that were stored come
// again, and dedupe drops them.
//
// An unreadable update is fetched PoisonTries times (a fault on the way may
// pass), then set aside (SetAside: recorded, counted, one notice) and
// confirmed, so that it neither blocks polling nor goes by unseen.
func (p *Poller) nextOffset(ctx context.Context, offset int64, ups []Update, bad []unreadable) (next int64, held bool) {
	tries := p.PoisonTries
	if tries <= 0 {
		tries = 3
	}
	if p.poison == nil {
		p.poison = map[int64]int{}
	}
	last := offset - 1
	for _, u := range ups {
		last = max(last, u.ID)
	}
	hold := int64(0) // the first unreadable update not set aside
	for _, b := range bad {
		if b.ID <= 0 {
			// No update_id: nothing to hold it by; updates after it move
			// the offset past it.
			p.Log.Error("unreadable update without update_id skipped", "err", b.Err)
			continue
		}
		last = max(last, b.ID)
		p.poison[b.ID]++
		n := p.poison[b.ID]
		if n < tries {
			p.Log.Warn("unreadable update; fetching it again", "update", b.ID, "try", n, "err", b.Err)
		} else if err := p.setAside(ctx, b, n); err != nil {
			p.Log.Error("set unreadable update aside", "update", b.ID, "err", err)
		} else {
			delete(p.poison, b.ID)
			continue
		}
		if hold == 0 || b.ID < hold {
			hold = b.ID
		}
	}
	if hold != 0 {
		return max(offset, hold), true
	}
	if len(p.poison) > 1000 {
		clear(p.poison) // ids that never came back (another poller took over)
	}
	return last + 1, false
}

func (p *Poller) setAside(ctx context.Context, b unreadable, tries int) error {
	if p.SetAside == nil {
		p.Log.Error("unreadable update skipped", "update", b.ID, "tries", tries, "err", b.Err)
		return nil
	}
	if err := p.SetAside(ctx, b.ID, tries, b.Err.Error()); err != nil {
		return err
	}
	p.Log.Error("unreadable update set aside", "update", b.ID, "tries", tries)
	return nil
}
