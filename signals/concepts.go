package signals

import (
	"fmt"
	"io/fs"
	"math/bits"
	"sort"
	"strconv"
	"strings"
)

// Concept rules: concepts.txt defines concepts as lists of words and
// phrases ("SELF = ik, mezelf, myself"), rules.txt combines them
// ("urgent suicide self-want-die SELF + WANT + DIE"). A rule fires when
// every concept it names occurs in one clause, in any order, not governed
// by a negation. Its match is an ordinary Match named "c:" + the rule name.

const (
	// conceptSpan: the concepts of one rule lie within this many words.
	conceptSpan = 12
	// conceptNear: the same for @near rules, which may cross sentences.
	conceptNear = 40
	// maxPick: at most this many concepts are shown for one match.
	maxPick = 8
	// conceptNegGap: a NEG word cancels a concept that follows it with at
	// most this many words in between ("niet dood", "niet echt dood",
	// "dont want"), unless a sentence mark or a clause.txt word is one of them.
	conceptNegGap = 3
	maxConcepts   = 512
	// maxRuleConcepts: at most this many concepts must be there in one rule.
	maxRuleConcepts = 6

	conceptsFile = "concepts.txt"
	rulesFile    = "rules.txt"
)

// cset is a set of concepts.
type cset [maxConcepts / 64]uint64

func (s *cset) add(i int32)      { s[i>>6] |= 1 << (uint(i) & 63) }
func (s *cset) has(i int32) bool { return s[i>>6]&(1<<(uint(i)&63)) != 0 }
func (s *cset) contains(o *cset) bool {
	for i := range s {
		if s[i]&o[i] != o[i] {
			return false
		}
	}
	return true
}

func (s *cset) meets(o *cset) bool {
	for i := range s {
		if s[i]&o[i] != 0 {
			return true
		}
	}
	return false
}

func (s *cset) union(o *cset) {
	for i := range s {
		s[i] |= o[i]
	}
}

// conceptPat is one word or phrase of a concept.
type conceptPat struct {
	concept int32
	elems   []elem
	next    uint64 // bloom of the second word's ids (or the word after a leading gap); 0 when none
	gapNext bool   // next is the word after a gap: look in the window after the first word
}

// patRef points to a concept word or phrase, with the bloom of its second
// word at hand.
type patRef struct {
	pi   int32
	next uint64
	gap  bool // next is looked for anywhere in the gap window (conceptPat.gapNext)
}

// bloom sets a bit for each word id, to skip phrases quickly.
func bloom(ids []int32) uint64 {
	var b uint64
	for _, id := range ids {
		b |= 1 << (uint(id) & 63)
	}
	return b
}

type conceptRule struct {
	name string // as shown: "c:" + the name in rules.txt
	id   int32  // rules sharing a name share an id: one match per name
	cat  Category
	sev  Severity
	need []int32 // every one of these, or at least min of them
	all  cset    // need as a set
	min  int     // 0: all of need
	not  cset    // the rule does not fire when one of these is in the clause
	near bool    // @near: anywhere in the message within conceptNear words
}

// conceptIgnore drops matches of some patterns or categories in a sentence
// that has one of the context concepts (a joke, a game).
type conceptIgnore struct {
	ctx   cset
	cats  map[Category]bool
	names map[string]bool
	near  bool // @near: the concept anywhere within conceptNear words, not only in the sentence
}

type conceptData struct {
	names    []string
	index    map[string]int32
	pats     []conceptPat
	first    [][]patRef // word id -> the words and phrases starting with it
	firstNum []int32
	rules    []conceptRule
	byFirst  [][]int32 // concept -> the rules to try when it is found
	near     []int32   // the @near rules
	nrule    int32     // distinct rule names
	ignores  []conceptIgnore
	neg, brk int32 // the NEG and CLAUSE concepts, -1 when not defined
}

// occurrence is one concept found in a message, tokens [start, end).
type occurrence struct {
	concept    int32
	start, end int32
	clause     int32
	neg        bool
}

func validConceptName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		ch := n[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return n[0] >= 'A' && n[0] <= 'Z'
}

// loadConcepts reads concepts.txt and rules.txt (both optional). names maps
// every pattern name to its category.
func (c *Classifier) loadConcepts(fsys fs.FS, names map[string]Category) error {
	k := &c.con
	k.index = map[string]int32{}
	k.neg, k.brk = -1, -1
	if _, err := fs.Stat(fsys, conceptsFile); err == nil {
		if err := readLines(fsys, conceptsFile, func(_ int, line string) error {
			name, list, ok := strings.Cut(line, "=")
			name = strings.TrimSpace(name)
			if !ok || !validConceptName(name) {
				return fmt.Errorf("want: NAME = word, word, ... (a name in capitals)")
			}
			id, ok := k.index[name]
			if !ok {
				if len(k.names) == maxConcepts {
					return fmt.Errorf("more than %d concepts", maxConcepts)
				}
				id = int32(len(k.names))
				k.index[name] = id
				k.names = append(k.names, name)
			}
			for _, item := range strings.Split(list, ",") {
				f := strings.Fields(item)
				if len(f) == 0 {
					return fmt.Errorf("empty word in the list of %s", name)
				}
				variants, err := c.compile(f)
				if err != nil {
					return fmt.Errorf("%s: %w", strings.TrimSpace(item), err)
				}
				for _, v := range variants {
					p := conceptPat{concept: id, elems: v}
					if len(v) > 1 && v[1].kind == ekWord {
						p.next = bloom(v[1].ids)
					} else if len(v) > 2 && v[1].kind == ekGap && v[2].kind == ekWord {
						p.next, p.gapNext = bloom(v[2].ids), true
					}
					k.pats = append(k.pats, p)
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if id, ok := k.index["NEG"]; ok {
		k.neg = id
	}
	if id, ok := k.index["CLAUSE"]; ok {
		k.brk = id
	}
	lookup := func(n string) (int32, error) {
		id, ok := k.index[n]
		if !ok {
			return 0, fmt.Errorf("unknown concept %q (not in %s)", n, conceptsFile)
		}
		if id == k.neg || id == k.brk {
			return 0, fmt.Errorf("%s cannot be used in a rule", n)
		}
		return id, nil
	}
	if _, err := fs.Stat(fsys, rulesFile); err != nil {
		return nil
	}
	ruleIDs := map[string]int32{}
	ruleCat := map[string]string{}
	var ignoreLines [][]string
	var ignoreAt []int
	if err := readLines(fsys, rulesFile, func(n int, line string) error {
		f := strings.Fields(line)
		if len(f) >= 1 && f[0] == "ignore" {
			// checked after every rule is read
			ignoreLines, ignoreAt = append(ignoreLines, f), append(ignoreAt, n)
			return nil
		}
		if len(f) < 4 {
			return fmt.Errorf("want: severity category name CONCEPT + CONCEPT ...")
		}
		sev, err := ParseSeverity(f[0])
		if err != nil || sev == None {
			return fmt.Errorf("severity must be urgent, high or attention, not %q", f[0])
		}
		cat := Category(f[1])
		if categoryRank(cat) == len(Categories) {
			return fmt.Errorf("unknown category %q (one of %v)", f[1], Categories)
		}
		r := conceptRule{name: "c:" + f[2], cat: cat, sev: sev}
		key := string(cat) + "/" + sev.String()
		if prev, ok := ruleCat[r.name]; ok && prev != key {
			return fmt.Errorf("name %q is already used for %s", f[2], prev)
		}
		ruleCat[r.name] = key
		id, ok := ruleIDs[r.name]
		if !ok {
			id = int32(len(ruleIDs))
			ruleIDs[r.name] = id
		}
		r.id = id
		// CONCEPT + CONCEPT ... [- CONCEPT ...] [@near]
		// N of CONCEPT CONCEPT ... [- CONCEPT ...] [@near]
		f = f[3:]
		if f[len(f)-1] == "@near" {
			r.near = true
			f = f[:len(f)-1]
		} else if strings.HasPrefix(f[len(f)-1], "@") {
			return fmt.Errorf("unknown scope %q (only @near)", f[len(f)-1])
		}
		if len(f) >= 2 && f[1] == "of" {
			n, err := strconv.Atoi(f[0])
			if err != nil || n < 1 || n > maxPick {
				return fmt.Errorf("want: N of CONCEPT CONCEPT ..., N from 1 to %d", maxPick)
			}
			r.min = n
			f = f[2:]
		}
		want := true // the next field is a concept
		not := false
		for _, w := range f {
			switch {
			case w == "+" || w == "-":
				if want && !(r.min > 0 && w == "-" && !not && len(r.need) > 0) {
					return fmt.Errorf("%q where a concept was expected", w)
				}
				if w == "+" && (not || r.min > 0) {
					return fmt.Errorf("write CONCEPT + CONCEPT - CONCEPT, or N of CONCEPT CONCEPT - CONCEPT")
				}
				not = w == "-"
				want = true
				continue
			case !want && r.min == 0:
				return fmt.Errorf("put + or - between concepts (at %q)", w)
			}
			id, err := lookup(w)
			if err != nil {
				return err
			}
			if not {
				r.not.add(id)
			} else {
				if r.all.has(id) {
					return fmt.Errorf("concept %s twice", w)
				}
				r.all.add(id)
				r.need = append(r.need, id)
			}
			want = r.min > 0 && !not
		}
		if want && !(r.min > 0 && !not) || len(r.need) == 0 {
			return fmt.Errorf("a rule cannot end with + or -")
		}
		if r.min == 0 && len(r.need) > maxRuleConcepts {
			return fmt.Errorf("more than %d concepts in one rule", maxRuleConcepts)
		}
		if r.min > len(r.need) {
			return fmt.Errorf("%d of %d concepts", r.min, len(r.need))
		}
		k.rules = append(k.rules, r)
		return nil
	}); err != nil {
		return err
	}
	k.nrule = int32(len(ruleIDs))
	// ignore CONCEPT[/CONCEPT...] category-or-name ...
	for i, f := range ignoreLines {
		err := func() error {
			if len(f) < 3 {
				return fmt.Errorf("want: ignore CONCEPT what ...")
			}
			ig := conceptIgnore{cats: map[Category]bool{}, names: map[string]bool{}}
			if f[len(f)-1] == "@near" {
				ig.near = true
				f = f[:len(f)-1]
				if len(f) < 3 {
					return fmt.Errorf("want: ignore CONCEPT what ... @near")
				}
			}
			for _, n := range strings.Split(f[1], "/") {
				id, err := lookup(n)
				if err != nil {
					return err
				}
				ig.ctx.add(id)
			}
			for _, w := range f[2:] {
				var cat Category
				if categoryRank(Category(w)) < len(Categories) {
					cat = Category(w)
					ig.cats[cat] = true
				} else if pc, ok := names[w]; ok {
					cat = pc
					ig.names[w] = true
				} else if key, ok := ruleCat[w]; ok {
					cat = Category(strings.Split(key, "/")[0])
					ig.names[w] = true
				} else {
					return fmt.Errorf("%q is no category, pattern name or c:rule name", w)
				}
				if cat == Suicide || cat == SelfHarm {
					return fmt.Errorf("%s: suicide and self-harm are never ignored (crisis is often masked with a joke)", w)
				}
			}
			k.ignores = append(k.ignores, ig)
			return nil
		}()
		if err != nil {
			return fmt.Errorf("signals: %s:%d: %w", rulesFile, ignoreAt[i], err)
		}
	}
	// a rule is tried when its first concept is found (any of them for N of)
	k.byFirst = make([][]int32, len(k.names))
	for i, r := range k.rules {
		if r.near {
			k.near = append(k.near, int32(i))
		}
		keys := r.need[:1]
		if r.min > 0 {
			keys = r.need
		}
		for _, id := range keys {
			k.byFirst[id] = append(k.byFirst[id], int32(i))
		}
	}
	for i, p := range k.pats {
		e := p.elems[0]
		if e.kind == ekNumber {
			k.firstNum = append(k.firstNum, int32(i))
			continue
		}
		for _, id := range e.ids {
			for int(id) >= len(k.first) {
				k.first = append(k.first, nil)
			}
			k.first[id] = append(k.first[id], patRef{int32(i), p.next, p.gapNext})
		}
	}
	return nil
}

// concepts finds the concepts in s.toks, adds the matches of the concept
// rules to res (with their first word in s.at) and drops the matches an
// ignore line covers. excl marks the words of exceptions.
func (c *Classifier) concepts(s *scratch, excl []bool, res *Result) {
	k := &c.con
	if len(k.pats) == 0 {
		return
	}
	toks := s.toks
	s.bloom = s.bloom[:0]
	for i := range toks {
		s.bloom = append(s.bloom, bloom(toks[i].ids[:toks[i].n]))
	}
	s.bloom = append(s.bloom, 0) // after the last word
	// wbloom[i]: the words that may follow a gap after word i
	s.wbloom = s.wbloom[:0]
	for i := range toks {
		var w uint64
		for j := i + 1; j <= i+1+defaultGap && j < len(toks); j++ {
			w |= s.bloom[j]
		}
		s.wbloom = append(s.wbloom, w)
	}
	occ := s.occ[:0]
	for i := range toks {
		t := &toks[i]
		for q := uint8(0); q < t.n; q++ {
			if id := t.ids[q]; int(id) < len(k.first) {
				for _, pr := range k.first[id] {
					switch {
					case pr.next == 0:
					case pr.gap:
						if s.wbloom[i]&pr.next == 0 {
							continue
						}
					case s.bloom[i+1]&pr.next == 0:
						continue
					}
					if q > 0 && k.reachedBefore(pr.pi, t, q) {
						continue // tried already through another meaning of this word
					}
					occ = k.find(pr.pi, toks, i, excl, occ)
				}
			}
		}
		if t.num >= 10 {
			for _, pi := range k.firstNum {
				occ = k.find(pi, toks, i, excl, occ)
			}
		}
	}
	s.occ = occ
	if len(occ) == 0 {
		return
	}
	// clauses: a sentence mark or a CLAUSE word starts one; sentences: . ! ? or a new line
	s.clause = resetInts(s.clause, len(toks))
	s.sent = resetInts(s.sent, len(toks))
	cl, se := int32(0), int32(0)
	oi := 0
	cover := int32(0) // end of the concepts seen so far: a CLAUSE word inside one does not split
	for i := range toks {
		if i > 0 && toks[i].hard {
			cl++
			se++
		}
		for oi < len(occ) && occ[oi].start == int32(i) {
			o := &occ[oi]
			if o.concept == k.brk && !toks[i].brk && i > 0 && o.start >= cover {
				cl++
			}
			if o.concept != k.brk && o.concept != k.neg && o.end > cover {
				cover = o.end
			}
			oi++
		}
		s.clause[i], s.sent[i] = cl, se
	}
	for j := range occ {
		occ[j].clause = s.clause[occ[j].start]
	}
	// negation: a NEG word shortly before a concept in the same clause
	if k.neg >= 0 {
		for j := range occ {
			o := &occ[j]
			if o.concept != k.neg {
				continue
			}
			reach := phraseEnd(occ, j, k)
			for m := j + 1; m < len(occ); m++ {
				t := &occ[m]
				if t.start-o.end > conceptNegGap || t.start >= reach {
					break
				}
				if t.start >= o.end && t.concept != k.neg && governs(toks, o.end, t.start) {
					t.neg = true
				}
			}
		}
	}
	// rules, clause by clause; @near rules over the whole message
	s.done = resetBools(s.done, int(k.nrule))
	s.tried = resetBools(s.tried, len(k.rules))
	var all cset
	for a := 0; a < len(occ); {
		b := a
		var have cset
		for b < len(occ) && occ[b].clause == occ[a].clause {
			if !occ[b].neg {
				have.add(occ[b].concept)
			}
			b++
		}
		all.union(&have)
		for j := a; j < b; j++ {
			if occ[j].neg {
				continue
			}
			for _, ri := range k.byFirst[occ[j].concept] {
				r := &k.rules[ri]
				if s.tried[ri] || r.near || s.done[r.id] || !r.possible(&have) || have.meets(&r.not) {
					continue
				}
				s.tried[ri] = true
				if txt, at, ok := ruleWindow(r, occ[a:b], toks, conceptSpan); ok {
					s.done[r.id] = true
					res.Matches = append(res.Matches, Match{Category: r.cat, Severity: r.sev, Pattern: r.name, Text: txt})
					s.at = append(s.at, at)
				}
			}
		}
		for j := a; j < b; j++ {
			for _, ri := range k.byFirst[occ[j].concept] {
				s.tried[ri] = false
			}
		}
		a = b
	}
	for _, ri := range k.near {
		r := &k.rules[ri]
		if s.done[r.id] || !r.possible(&all) {
			continue
		}
		if txt, at, ok := ruleWindow(r, occ, toks, conceptNear); ok {
			s.done[r.id] = true
			res.Matches = append(res.Matches, Match{Category: r.cat, Severity: r.sev, Pattern: r.name, Text: txt})
			s.at = append(s.at, at)
		}
	}
	// ignore: a joke or a game in the sentence
	if len(k.ignores) == 0 {
		return
	}
	out := res.Matches[:0]
	at := s.at[:0]
	for mi, m := range res.Matches {
		if !c.ignored(m, s.at[mi], occ, s.sent) {
			out = append(out, m)
			at = append(at, s.at[mi])
		}
	}
	res.Matches, s.at = out, at
}

// ignored reports whether an ignore line drops match m, which starts at
// token at: one of its concepts is in the same sentence (or, for @near,
// within conceptNear words).
func (c *Classifier) ignored(m Match, at int32, occ []occurrence, sentOf []int32) bool {
	sent := sentOf[at]
	for i := range c.con.ignores {
		ig := &c.con.ignores[i]
		if !ig.cats[m.Category] && !ig.names[m.Pattern] {
			continue
		}
		for j := range occ {
			o := &occ[j]
			if o.neg || !ig.ctx.has(o.concept) {
				continue
			}
			if sentOf[o.start] == sent || ig.near && o.start-at <= conceptNear && at-o.start <= conceptNear {
				return true
			}
		}
	}
	return false
}

// reachedBefore reports whether word or phrase pi starts with one of the
// ids of t before its q-th: it was tried already for this word.
func (k *conceptData) reachedBefore(pi int32, t *token, q uint8) bool {
	for _, id := range k.pats[pi].elems[0].ids {
		for j := uint8(0); j < q; j++ {
			if t.ids[j] == id {
				return true
			}
		}
	}
	return false
}

// possible reports whether the concepts in have can satisfy r.
func (r *conceptRule) possible(have *cset) bool {
	if r.min == 0 {
		return have.contains(&r.all)
	}
	n := 0
	for i := range have {
		n += bits.OnesCount64(have[i] & r.all[i])
	}
	return n >= r.min
}

// find adds the occurrence of concept word or phrase pi at token i, if any.
func (k *conceptData) find(pi int32, toks []token, i int, excl []bool, occ []occurrence) []occurrence {
	p := &k.pats[pi]
	end := i + 1 // a single word: the index already matched it
	if len(p.elems) > 1 || p.elems[0].kind != ekWord {
		if end = matchAt(p.elems, toks, i, i); end <= i {
			return occ
		}
	}
	if p.concept != k.neg && p.concept != k.brk {
		for j := i; j < end; j++ {
			if excl[j] {
				return occ
			}
		}
	}
	for j := len(occ) - 1; j >= 0 && occ[j].start == int32(i); j-- {
		if occ[j].concept == p.concept {
			occ[j].end = max(occ[j].end, int32(end))
			return occ
		}
	}
	return append(occ, occurrence{concept: p.concept, start: int32(i), end: int32(end)})
}

// ruleWindow looks for the concepts of r within span words in occ (one
// clause, or the whole message for @near rules), each at its own words, and
// returns the words found and where they start.
func ruleWindow(r *conceptRule, occ []occurrence, toks []token, span int32) (string, int32, bool) {
	var pick [maxPick]int
	for l := range occ {
		if occ[l].neg || !r.all.has(occ[l].concept) {
			continue
		}
		lo, hi := occ[l].start, occ[l].start+span
		win := occ[l:]
		if r.near && excluded(r, occ, lo, hi) {
			continue
		}
		n := 0
		if r.min == 0 {
			if !pickConcepts(r.need, win, lo, hi, 0, pick[:len(r.need)]) {
				continue
			}
			n = len(r.need)
		} else {
			var got cset
			for m := range win {
				o := &win[m]
				if o.start >= hi || n == len(pick) {
					break
				}
				if o.neg || !r.all.has(o.concept) || got.has(o.concept) || overlaps(win, pick[:n], o) {
					continue
				}
				got.add(o.concept)
				pick[n] = m
				n++
			}
			if n < r.min {
				continue
			}
		}
		// the words in message order
		ps := pick[:n]
		sort.Ints(ps)
		var b strings.Builder
		for i, m := range ps {
			if i > 0 {
				b.WriteString(" ... ")
			}
			b.WriteString(joinText(toks[win[m].start:win[m].end]))
		}
		return b.String(), lo, true
	}
	return "", 0, false
}

// excluded reports a concept r must not see in the words [lo, hi).
func excluded(r *conceptRule, occ []occurrence, lo, hi int32) bool {
	for i := range occ {
		o := &occ[i]
		if o.start >= lo && o.start < hi && !o.neg && r.not.has(o.concept) {
			return true
		}
	}
	return false
}

func overlaps(occ []occurrence, picked []int, o *occurrence) bool {
	for _, p := range picked {
		if occ[p].start < o.end && o.start < occ[p].end {
			return true
		}
	}
	return false
}

// pickConcepts finds an occurrence of need[k:] each in [lo, hi), not
// negated and not overlapping the ones picked before.
func pickConcepts(need []int32, occ []occurrence, lo, hi int32, k int, pick []int) bool {
	if k == len(need) {
		return true
	}
	for m := range occ {
		o := &occ[m]
		if o.start >= hi {
			break
		}
		if o.concept != need[k] || o.neg || o.start < lo {
			continue
		}
		if overlaps(occ, pick[:k], o) {
			continue
		}
		pick[k] = m
		if pickConcepts(need, occ, lo, hi, k+1, pick) {
			return true
		}
	}
	return false
}

// governs reports whether a negation ending at token end reaches a concept
// starting at token at: no sentence mark and no clause word (clause.txt:
// ik, maar, want ...) lies between them.
func governs(toks []token, end, at int32) bool {
	for j := end; j <= at; j++ {
		if toks[j].brk {
			return false
		}
		if j < at && toks[j].breaker {
			return false
		}
	}
	return true
}

// phraseEnd returns how far the NEG word occ[j] reaches: when it is part of
// a longer concept phrase ("niet meer nodig", "dont want to live", "komt
// niet meer boven"), the negation belongs to that phrase and cancels nothing
// after it; otherwise it reaches as far as conceptNegGap allows.
func phraseEnd(occ []occurrence, j int, k *conceptData) int32 {
	o := &occ[j]
	end := int32(-1)
	for m := j - 1; m >= 0 && o.start-occ[m].start < 8; m-- {
		if p := &occ[m]; p.concept != k.neg && p.concept != k.brk && p.end >= o.end && p.end-p.start > o.end-o.start {
			end = max(end, p.end)
		}
	}
	for m := j + 1; m < len(occ) && occ[m].start == o.start; m++ {
		if p := &occ[m]; p.concept != k.neg && p.concept != k.brk && p.end >= o.end && p.end-p.start > o.end-o.start {
			end = max(end, p.end)
		}
	}
	if end < 0 {
		return 1 << 30
	}
	return end
}

func resetInts(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}
