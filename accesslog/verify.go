package accesslog

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/redis/go-redis/v9"
)

// Kinds of findings.
const (
	Deleted   = "deleted"   // an entry is missing
	Changed   = "changed"   // an entry's content, MAC or link to the one before is not what was written
	Inserted  = "inserted"  // an entry that was never written here (forged, copied from another chain, or a repeat)
	Reordered = "reordered" // an entry stands somewhere else than where it was written
	Restarted = "restarted" // the chain began again from nothing (its head was removed)
	Unchecked = "unchecked" // written under a key this check does not have (an earlier bot token)
)

// Finding is one sign of tampering (or, for Unchecked, of a missing key).
// Position is 1-based in the chain as stored; Seq the sequence number the
// entry carries or should carry.
type Finding struct {
	Chain    string `json:"chain"`
	Kind     string `json:"kind"`
	Position int64  `json:"position"`
	Seq      int64  `json:"seq,omitempty"`
	StreamID string `json:"stream_id,omitempty"`
	Detail   string `json:"detail"`
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s: %s at position %d", f.Chain, f.Kind, f.Position)
	if f.Seq > 0 {
		s += fmt.Sprintf(" (entry %d)", f.Seq)
	}
	return s + ": " + f.Detail
}

// ChainReport sums up one chain.
type ChainReport struct {
	Chain   string `json:"chain"`
	Entries int64  `json:"entries"`
	First   int64  `json:"first,omitempty"` // sequence number of the first entry
	Last    int64  `json:"last,omitempty"`
	Head    string `json:"head,omitempty"` // "seq:mac" of the head key
}

// Report is the result of Verify.
type Report struct {
	Chains   []ChainReport `json:"chains"`
	Findings []Finding     `json:"findings"`
}

// Tampered says whether any finding was made (an unchecked entry counts:
// it cannot be vouched for).
func (r Report) Tampered() bool { return len(r.Findings) > 0 }

// verifyBatch is how many entries are read per call.
const verifyBatch = 1000

// maxMissing bounds how many missing sequence numbers a walk remembers to
// tell a deletion from a move; a larger gap is reported as one deletion.
const maxMissing = 100000

// Verify walks the given chains (all when none) from start to end and
// reports every entry that was deleted, changed, inserted or moved.
func (l *Log) Verify(ctx context.Context, chains ...string) (Report, error) {
	if len(chains) == 0 {
		chains = Chains()
	}
	var rep Report
	for _, c := range chains {
		cr, fs, err := l.verifyChain(ctx, c)
		if err != nil {
			return rep, err
		}
		rep.Chains = append(rep.Chains, cr)
		rep.Findings = append(rep.Findings, fs...)
	}
	return rep, nil
}

type stored struct {
	pos int64
	id  string
	v   string
	m   string
	rec record
	err error // v does not parse
}

// walker holds the state of one chain's walk.
type walker struct {
	l        *Log
	chain    string
	findings []Finding
	started  bool
	first    int64
	last     head  // last entry taken as the chain's own
	flagged  bool  // that entry was reported changed
	trimFrom int64 // from the latest trim entry
	missing  map[int64]int64
	end      head // the head key after the walk
}

func (w *walker) find(kind string, s stored, seq int64, detail string) {
	w.findings = append(w.findings, Finding{Chain: w.chain, Kind: kind, Position: s.pos, Seq: seq, StreamID: s.id, Detail: detail})
}

func (l *Log) verifyChain(ctx context.Context, chain string) (ChainReport, []Finding, error) {
	stream, hk, err := chainKeys(chain)
	if err != nil {
		return ChainReport{}, nil, err
	}
	w := &walker{l: l, chain: chain, missing: map[int64]int64{}}
	cr := ChainReport{Chain: chain}
	var pos int64
	var cur *stored // the entry in hand; its successor decides some cases
	start := "-"
	var hs string
	for rechecks := 0; ; {
		msgs, err := l.rdb.XRangeN(ctx, stream, start, "+", verifyBatch).Result()
		if err != nil {
			return cr, nil, fmt.Errorf("read %s: %w", stream, err)
		}
		for _, msg := range msgs {
			pos++
			s := &stored{pos: pos, id: msg.ID}
			s.v, _ = msg.Values["v"].(string)
			s.m, _ = msg.Values["m"].(string)
			s.err = json.Unmarshal([]byte(s.v), &s.rec)
			if cur != nil {
				w.step(*cur, s)
			}
			cur = s
		}
		if len(msgs) == verifyBatch {
			start = "(" + msgs[len(msgs)-1].ID
			continue
		}
		// The head is read after the entries; entries appended meanwhile
		// (the log is written while it is checked) are read too.
		if hs, err = l.rdb.Get(ctx, hk).Result(); err != nil && err != redis.Nil {
			return cr, nil, fmt.Errorf("read %s: %w", hk, err)
		}
		if cur == nil || rechecks > 10 {
			break
		}
		rechecks++
		if more, err := l.rdb.XRangeN(ctx, stream, "("+cur.id, "+", 1).Result(); err != nil || len(more) == 0 {
			break
		}
		start = "(" + cur.id
	}
	h, herr := parseHead(hs)
	w.end = h
	if cur != nil {
		w.step(*cur, nil)
	}
	cr.Entries, cr.First, cr.Last = pos, w.first, w.last.seq
	// Entries missing at the start: before the first one, back to where
	// the latest trim said the chain now begins (1 without a trim).
	from := int64(1)
	if w.trimFrom > 0 {
		from = w.trimFrom
	}
	if w.started && w.first > from {
		w.findings = append(w.findings, Finding{Chain: chain, Kind: Deleted, Position: 1, Seq: from,
			Detail: fmt.Sprintf("entries %d to %d are missing before the first entry", from, w.first-1)})
	}
	missing := make([]int64, 0, len(w.missing))
	for seq := range w.missing {
		missing = append(missing, seq)
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i] < missing[j] })
	for _, seq := range missing {
		w.findings = append(w.findings, Finding{Chain: chain, Kind: Deleted, Position: w.missing[seq], Seq: seq,
			Detail: fmt.Sprintf("entry %d is missing (it belongs at position %d)", seq, w.missing[seq])})
	}
	// The end: the head names the last entry written.
	cr.Head = hs
	switch {
	case herr != nil:
		w.findings = append(w.findings, Finding{Chain: chain, Kind: Changed, Position: pos, Detail: "the head is malformed: " + herr.Error()})
	case h.seq == 0 && pos > 0:
		w.findings = append(w.findings, Finding{Chain: chain, Kind: Changed, Position: pos, Detail: "the head (last sequence number and MAC) is gone"})
	case h.seq > w.last.seq:
		w.findings = append(w.findings, Finding{Chain: chain, Kind: Deleted, Position: pos + 1, Seq: w.last.seq + 1,
			Detail: fmt.Sprintf("entries %d to %d are missing at the end (the head says %d were written)", w.last.seq+1, h.seq, h.seq)})
	case h.seq < w.last.seq:
		w.findings = append(w.findings, Finding{Chain: chain, Kind: Changed, Position: pos,
			Detail: fmt.Sprintf("the head says %d entries, the chain holds entry %d", h.seq, w.last.seq)})
	case h.seq > 0 && h.mac != w.last.mac && !w.flagged:
		w.findings = append(w.findings, Finding{Chain: chain, Kind: Changed, Position: pos, Seq: h.seq,
			Detail: "the last entry is not the one the head names"})
	}
	return cr, w.findings, nil
}

// step judges entry s; next is the entry after it (nil at the end).
func (w *walker) step(s stored, next *stored) {
	key, known := w.l.keys[s.rec.Key]
	valid := s.err == nil && known && hmacEqual(macOf(key, s.v), s.m)
	switch {
	case s.err == nil && !known:
		w.find(Unchecked, s, s.rec.Seq, fmt.Sprintf("written under key %q, which this check does not have (give the earlier bot token)", s.rec.Key))
		w.accept(s, s.rec.Seq)
	case valid && s.rec.Chain != w.chain:
		w.find(Inserted, s, s.rec.Seq, fmt.Sprintf("a genuine entry of chain %s copied here", s.rec.Chain))
	case !valid:
		// Forged or altered. If the chain goes on from the entry before as
		// if this one were not there, it was put in; else it was changed.
		goesOn := next != nil && next.err == nil && next.rec.Prev == w.last.mac && next.rec.Seq == w.last.seq+1
		endsBefore := next == nil && w.end.seq == w.last.seq && w.end.mac == w.last.mac
		if w.started && (goesOn || endsBefore) {
			w.find(Inserted, s, 0, "an entry that was never written (its MAC does not match)")
			return
		}
		seq := w.last.seq + 1
		if s.err == nil && (!w.started || s.rec.Seq != seq) {
			seq = s.rec.Seq
		}
		w.find(Changed, s, seq, "the entry does not match its MAC")
		w.accept(s, seq)
		w.flagged = true
	default:
		w.genuine(s)
	}
}

// genuine places an entry whose MAC holds.
func (w *walker) genuine(s stored) {
	r := s.rec
	if r.Action == TrimAction && r.From > w.trimFrom {
		w.trimFrom = r.From
	}
	switch {
	case !w.started:
		w.accept(s, r.Seq)
	case r.Seq == w.last.seq+1:
		if r.Prev != w.last.mac && !w.flagged {
			w.find(Changed, s, r.Seq, "the entry before it is not the one it was written after")
		}
		w.accept(s, r.Seq)
	case r.Seq > w.last.seq+1:
		gap := r.Seq - w.last.seq - 1
		if gap > maxMissing || len(w.missing)+int(gap) > maxMissing {
			w.find(Deleted, s, w.last.seq+1, fmt.Sprintf("entries %d to %d are missing before this one", w.last.seq+1, r.Seq-1))
		} else {
			for seq := w.last.seq + 1; seq < r.Seq; seq++ {
				w.missing[seq] = s.pos
			}
		}
		w.accept(s, r.Seq)
	case r.Seq == 1 && r.Prev == "":
		w.find(Restarted, s, 1, fmt.Sprintf("the chain begins again after entry %d: its head was removed", w.last.seq))
		w.missing = map[int64]int64{}
		w.accept(s, 1)
	default: // r.Seq <= w.last.seq
		if at, ok := w.missing[r.Seq]; ok {
			delete(w.missing, r.Seq)
			w.find(Reordered, s, r.Seq, fmt.Sprintf("entry %d belongs at position %d", r.Seq, at))
			return
		}
		w.find(Inserted, s, r.Seq, fmt.Sprintf("a repeat of entry %d", r.Seq))
	}
}

func (w *walker) accept(s stored, seq int64) {
	if !w.started {
		w.started, w.first = true, seq
	}
	w.last, w.flagged = head{seq, s.m}, false
}

func hmacEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var d byte
	for i := 0; i < len(a); i++ {
		d |= a[i] ^ b[i]
	}
	return d == 0
}
