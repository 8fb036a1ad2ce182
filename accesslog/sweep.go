package accesslog

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultRetention is how long entries are kept: five years, as NEN 7513
// asks of a log of access to health records.
const DefaultRetention = 43830 * time.Hour

// Sweeper is the actor of the entries the retention sweep writes.
const Sweeper = "system:sweeper"

// Trim removes the entries older than retention (by the time Redis
// stored them) from every chain. Before it removes any from a chain it
// appends a trim entry there naming the first entry kept, so that Verify
// tells a trim from a deletion. It returns how many entries it removed.
func (l *Log) Trim(ctx context.Context, retention time.Duration) (int64, error) {
	cutoff := strconv.FormatInt(l.Now().Add(-retention).UnixMilli(), 10) + "-0"
	var removed int64
	for _, chain := range Chains() {
		stream, _, _ := chainKeys(chain)
		old, err := l.rdb.XRangeN(ctx, stream, "-", "("+cutoff, 1).Result()
		if err != nil {
			return removed, fmt.Errorf("trim %s: %w", chain, err)
		}
		if len(old) == 0 {
			continue
		}
		kept, err := l.rdb.XRangeN(ctx, stream, cutoff, "+", 1).Result()
		if err != nil {
			return removed, fmt.Errorf("trim %s: %w", chain, err)
		}
		var from int64
		if len(kept) > 0 {
			var r record
			v, _ := kept[0].Values["v"].(string)
			if err := json.Unmarshal([]byte(v), &r); err != nil || r.Seq < 1 {
				return removed, fmt.Errorf("trim %s: the first entry to keep (%s) is unreadable; run waakvlam audit verify", chain, kept[0].ID)
			}
			from = r.Seq
		} else {
			// Nothing stays but the trim entry itself: the next one.
			h, err := l.readHead(ctx, chain)
			if err != nil {
				return removed, err
			}
			from = h.seq + 1
		}
		rec := record{Actor: Sweeper, Action: TrimAction, Op: Delete, Outcome: OK, Source: SourceSweeper, From: from}
		trimID, err := l.appendRecords(ctx, chain, rec)
		if err != nil {
			return removed, fmt.Errorf("trim %s: %w", chain, err)
		}
		// Up to the first entry kept, or else the trim entry (by the
		// clock of Redis, which may differ from this one's).
		minID := trimID
		if len(kept) > 0 {
			minID = kept[0].ID
		} else if now, err := l.rdb.XRangeN(ctx, stream, cutoff, "+", 1).Result(); err == nil && len(now) > 0 && idLess(now[0].ID, trimID) {
			minID = now[0].ID // written between the look at the head and the trim entry
		}
		n, err := l.rdb.XTrimMinID(ctx, stream, minID).Result()
		if err != nil {
			return removed, fmt.Errorf("trim %s: %w", chain, err)
		}
		removed += n
	}
	return removed, nil
}

// Heads returns the head ("seq:mac") of every chain that has one. Noted
// outside Redis (the sweeper logs them daily), they show whether entries
// were later removed from the end, which the chain alone cannot show.
func (l *Log) Heads(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, chain := range Chains() {
		h, err := l.readHead(ctx, chain)
		if err != nil {
			return nil, err
		}
		if h.seq > 0 {
			out[chain] = h.String()
		}
	}
	return out, nil
}

// Listed is an entry as Entries gives it back.
type Listed struct {
	Chain string `json:"chain"`
	Seq   int64  `json:"seq"`
	Entry
}

// Entries returns the entries about one client, oldest first: who read or
// changed the client's data, for the client's own request (AVG art. 15).
// Entries written under an earlier bot token's secret are found when New
// was given it.
func (l *Log) Entries(ctx context.Context, clientID string) ([]Listed, error) {
	want := map[string]bool{l.Pseudonym(clientID): true}
	for _, k := range l.older {
		want[pseudonym(k, clientID)] = true
	}
	chain := chainOf(clientID)
	stream, _, _ := chainKeys(chain)
	var out []Listed
	start := "-"
	for {
		msgs, err := l.rdb.XRangeN(ctx, stream, start, "+", verifyBatch).Result()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", stream, err)
		}
		for _, m := range msgs {
			var r record
			v, _ := m.Values["v"].(string)
			if json.Unmarshal([]byte(v), &r) != nil || !want[r.Subject] {
				continue
			}
			out = append(out, Listed{Chain: chain, Seq: r.Seq, Entry: Entry{Time: time.UnixMilli(r.Time), Client: clientID, Actor: r.Actor,
				OnBehalf: r.OnBehalf, Action: r.Action, Op: r.Op, Outcome: r.Outcome, Source: r.Source}})
		}
		if len(msgs) < verifyBatch {
			return out, nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// idLess compares two stream ids ("ms-seq").
func idLess(a, b string) bool {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	x, _ := strconv.ParseUint(am, 10, 64)
	y, _ := strconv.ParseUint(bm, 10, 64)
	if x != y {
		return x < y
	}
	x, _ = strconv.ParseUint(as, 10, 64)
	y, _ = strconv.ParseUint(bs, 10, 64)
	return x < y
}
