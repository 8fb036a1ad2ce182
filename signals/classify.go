package signals

import (
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Classifier recognises concerning client messages. It is immutable after
// Load or Default and safe for concurrent use.
type Classifier struct {
	vocab    map[string]int32 // word skeleton (or "*prefix", ":emoji") -> id
	words    []string         // id -> word as written in the data
	prefixes []prefixWord
	isNeg    []bool // by id
	isBreak  []bool // by id
	known    map[string]bool
	chat     map[string]*chatEntry
	emoji    map[rune]string
	fz       map[string]int32 // long pattern words for typo tolerance
	fzDel    map[string]int32 // those words with one letter deleted
	trie     trie

	patterns   []pattern
	first      map[int32][]int32 // first word id -> pattern indexes
	firstNum   []int32
	exceptions []pattern
	xfirst     map[int32][]int32
	xfirstNum  []int32
	con        conceptData // concepts.txt and rules.txt

	// the model half; nil when the data folder has no model file
	model     *Model
	negSkel   map[string]bool
	breakSkel map[string]bool
}

const maxIDs = 6

type token struct {
	text    string
	ids     [maxIDs]int32
	n       uint8
	brk     bool // sentence boundary before this token
	hard    bool // that boundary ends a whole sentence (not , ; :)
	emoji   bool
	neg     bool
	breaker bool
	num     int // value of a number token, -1 otherwise
}

func (t *token) add(id int32) {
	for i := uint8(0); i < t.n; i++ {
		if t.ids[i] == id {
			return
		}
	}
	if int(t.n) < maxIDs {
		t.ids[t.n] = id
		t.n++
	}
}

func (t *token) has(ids []int32) bool {
	for i := uint8(0); i < t.n; i++ {
		for _, id := range ids {
			if t.ids[i] == id {
				return true
			}
		}
	}
	return false
}

type scratch struct {
	raw   []rawToken
	toks  []token
	mtoks []token
	model modelScratch
	excl  []bool
	done  []bool
	// concept rules
	occ    []occurrence
	clause []int32
	sent   []int32
	at     []int32 // first word of each match
	tried  []bool  // concept rules tried in this clause
	bloom  []uint64
	wbloom []uint64 // the words within a gap after each word
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Classify finds the concerns in one client message: the patterns and the
// model each give a severity and the worse one counts, so either part can
// raise a message (a missed crisis is worse than a false alarm). A message
// the model finds possibly urgent, below its urgent threshold and with no
// urgent pattern, is marked AskBack: the bot asks the client what they mean.
func (c *Classifier) Classify(text string) Result {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	s.raw = splitRaw(text, c.emoji, s.raw[:0])
	res := c.rules(s)
	res.Lang = detectLang(s.raw)
	if len(res.Matches) > 0 {
		res.Fired = append(res.Fired, "rules")
	}
	if c.model == nil {
		return res
	}
	s.mtoks = c.modelTokens(s.raw, s.mtoks[:0])
	score := c.model.score(s.mtoks, &s.model)
	res.Model = &score
	sev, grey := c.model.severity(score)
	if sev > None && sev >= res.Severity {
		res.Fired = append(res.Fired, "model")
	}
	if sev > res.Severity || (grey && res.Severity < Urgent) {
		score.Category = c.model.categoryOfBest(&s.model)
	}
	if sev > res.Severity {
		res.Severity, res.Category = sev, score.Category
	}
	if grey && res.Severity < Urgent {
		res.AskBack = true
		if res.Severity < High {
			res.Severity = High
		}
		if !askBackCategory(res.Category) {
			res.Category = askBackCategoryFor(score.Category)
		}
	}
	return res
}

// classifyRules is the pattern half alone (training compares against it).
func (c *Classifier) classifyRules(text string) Result {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	s.raw = splitRaw(text, c.emoji, s.raw[:0])
	return c.rules(s)
}

// askBackCategory: the categories a grey-zone question is about.
func askBackCategory(c Category) bool {
	return c == Suicide || c == SelfHarm || c == Danger || c == Violence
}

func askBackCategoryFor(c Category) Category {
	if askBackCategory(c) {
		return c
	}
	return Suicide
}

// rules runs the patterns over s.raw.
func (c *Classifier) rules(s *scratch) Result {
	s.toks = c.tokens(s.raw, s.toks[:0])
	toks := s.toks

	// exceptions: mark the words of every saying that is not a concern
	s.excl = resetBools(s.excl, len(toks))
	excl := s.excl
	for i := range toks {
		c.eachCandidate(&toks[i], c.xfirst, c.xfirstNum, func(pi int32) {
			p := &c.exceptions[pi]
			if end := matchAt(p.elems, toks, i, i); end > i {
				for j := i; j < end; j++ {
					excl[j] = true
				}
			}
		})
	}

	s.done = resetBools(s.done, len(c.patterns))
	done := s.done
	s.at = s.at[:0]
	var res Result
	for i := range toks {
		c.eachCandidate(&toks[i], c.first, c.firstNum, func(pi int32) {
			if done[pi] {
				return
			}
			p := &c.patterns[pi]
			end := matchAt(p.elems, toks, i, i)
			if end <= i {
				return
			}
			for j := i; j < end; j++ {
				if excl[j] {
					return
				}
			}
			if negatedBefore(toks, i) {
				return
			}
			// one match per pattern name
			for k := range c.patterns {
				if c.patterns[k].name == p.name {
					done[k] = true
				}
			}
			res.Matches = append(res.Matches, Match{Category: p.cat, Severity: p.sev, Pattern: p.name, Text: joinText(toks[i:end])})
			s.at = append(s.at, int32(i))
		})
	}
	c.concepts(s, excl, &res)
	sort.SliceStable(res.Matches, func(a, b int) bool {
		ma, mb := res.Matches[a], res.Matches[b]
		if ma.Severity != mb.Severity {
			return ma.Severity > mb.Severity
		}
		return categoryRank(ma.Category) < categoryRank(mb.Category)
	})
	if len(res.Matches) > 0 {
		res.Severity = res.Matches[0].Severity
		res.Category = res.Matches[0].Category
	}
	return res
}

func resetBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

func (c *Classifier) eachCandidate(t *token, first map[int32][]int32, num []int32, fn func(int32)) {
	for k := uint8(0); k < t.n; k++ {
		for _, pi := range first[t.ids[k]] {
			fn(pi)
		}
	}
	if t.num >= 10 {
		for _, pi := range num {
			fn(pi)
		}
	}
}

func joinText(toks []token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// matchAt matches elems against toks from position i; start is where the
// whole match began. It returns the end of the match, or -1.
func matchAt(el []elem, toks []token, i, start int) int {
	if len(el) == 0 {
		return i
	}
	e := &el[0]
	switch e.kind {
	case ekEnd:
		if i == len(toks) || toks[i].brk || toks[i].emoji {
			return matchAt(el[1:], toks, i, start)
		}
		return -1
	case ekGap:
		for k := 0; k <= e.max; k++ {
			j := i + k
			if k > 0 {
				sk := j - 1 // the token skipped last
				if sk >= len(toks) || toks[sk].neg || (toks[sk].brk && sk > start) {
					return -1
				}
			}
			if r := matchAt(el[1:], toks, j, start); r >= 0 {
				return r
			}
		}
		return -1
	case ekNumber:
		if i >= len(toks) || (i > start && toks[i].brk) || toks[i].num < 10 {
			return -1
		}
		return matchAt(el[1:], toks, i+1, start)
	default:
		if i >= len(toks) || (i > start && toks[i].brk) || !toks[i].has(e.ids) {
			return -1
		}
		return matchAt(el[1:], toks, i+1, start)
	}
}

// negatedBefore reports a negation word at most negWindow words before
// position i in the same part of the sentence.
func negatedBefore(toks []token, i int) bool {
	for j, n := i-1, 0; j >= 0 && n < negWindow; j, n = j-1, n+1 {
		if toks[j+1].brk {
			return false
		}
		if toks[j].neg {
			return true
		}
		if toks[j].breaker {
			return false
		}
	}
	return false
}

// tokens turns raw words into tokens: chat spelling, glued words, typos.
func (c *Classifier) tokens(raw []rawToken, dst []token) []token {
	for _, r := range raw {
		if r.emoji {
			t := token{text: r.word, brk: r.brk, hard: r.hard, emoji: true, num: -1}
			if id, ok := c.vocab[r.word]; ok {
				t.add(id)
			}
			dst = append(dst, t)
			continue
		}
		start := len(dst)
		dst = c.word(r.word, true, dst)
		if len(dst) > start {
			dst[start].brk = dst[start].brk || r.brk
			dst[start].hard = dst[start].hard || r.hard
		}
	}
	return dst
}

// word appends the token(s) for one folded word.
func (c *Classifier) word(w string, split bool, dst []token) []token {
	disp := collapse3(w)
	if e := c.chatLookup(disp); e != nil {
		for i, cw := range e.words {
			t := c.plain(cw, false)
			if i == 0 {
				for _, a := range e.alts {
					at := c.plain(a, false)
					for k := uint8(0); k < at.n; k++ {
						t.add(at.ids[k])
					}
					t.neg = t.neg || at.neg
				}
			}
			dst = append(dst, t)
		}
		return dst
	}
	base := baseForm(disp)
	skel := skeleton(base)
	_, inVocab := c.vocab[skel]
	if !inVocab && !c.known[skel] && split && len(base) >= 5 {
		var pieces [16]string
		if n := c.trie.segment(disp, pieces[:]); n >= 2 {
			for _, p := range pieces[:n] {
				dst = c.word(p, false, dst)
			}
			return dst
		}
	}
	return append(dst, c.plainForms(disp, base, skel, !inVocab && !c.known[skel]))
}

func (c *Classifier) chatLookup(disp string) *chatEntry {
	if e, ok := c.chat[disp]; ok {
		return e
	}
	return nil
}

func (c *Classifier) plain(w string, fuzzy bool) token {
	disp := collapse3(w)
	base := baseForm(disp)
	return c.plainForms(disp, base, skeleton(base), fuzzy)
}

func (c *Classifier) plainForms(disp, base, skel string, fuzzy bool) token {
	t := token{text: disp, num: -1}
	if id, ok := c.vocab[skel]; ok {
		t.add(id)
		if int(id) < len(c.isNeg) && c.isNeg[id] {
			t.neg = true
		}
		if int(id) < len(c.isBreak) && c.isBreak[id] {
			t.breaker = true
		}
	} else if fuzzy && len(skel) >= minFuzzy {
		if id, ok := c.fuzzy(skel); ok {
			t.add(id)
		}
	}
	for _, p := range c.prefixes {
		if strings.HasPrefix(base, p.base) {
			t.add(p.id)
		}
	}
	if disp != "" && disp[0] >= '0' && disp[0] <= '9' {
		if v, err := strconv.Atoi(disp); err == nil {
			t.num = v
		}
	}
	return t
}

// fuzzy finds a long pattern word at most one typing error away:
// a letter missing, a letter too many, a letter wrong or two swapped.
func (c *Classifier) fuzzy(s string) (int32, bool) {
	if !isASCIIWord(s) || len(s) > 30 {
		return 0, false
	}
	if id, ok := c.fzDel[s]; ok {
		return id, true
	}
	var buf [32]byte
	for i := range len(s) {
		d := append(append(buf[:0], s[:i]...), s[i+1:]...)
		if id, ok := c.fz[string(d)]; ok {
			return id, true
		}
		if id, ok := c.fzDel[string(d)]; ok {
			return id, true
		}
	}
	return 0, false
}

// trie holds the dictionary used to cut glued words ("ikwildood").
type trie struct {
	next [][26]int32
	word []string // word ending at a node, "" if none
}

func (t *trie) add(base, word string) {
	if len(t.next) == 0 {
		t.next = append(t.next, [26]int32{})
		t.word = append(t.word, "")
	}
	n := int32(0)
	for i := 0; i < len(base); i++ {
		ch := base[i] - 'a'
		if t.next[n][ch] == 0 {
			t.next = append(t.next, [26]int32{})
			t.word = append(t.word, "")
			t.next[n][ch] = int32(len(t.next) - 1)
		}
		n = t.next[n][ch]
	}
	if t.word[n] == "" {
		t.word[n] = word
	}
}

// segment cuts s into the fewest dictionary words and writes them to out.
// It returns the number of pieces, or 0 when s cannot be cut.
func (t *trie) segment(s string, out []string) int {
	const maxLen = 40
	if len(s) > maxLen || len(t.next) == 0 || !isASCIIWord(s) {
		return 0
	}
	var best [maxLen + 1]int8
	var from [maxLen + 1]int8
	var node [maxLen + 1]int32
	for i := 1; i <= len(s); i++ {
		best[i] = 127
	}
	for i := 0; i < len(s); i++ {
		if best[i] == 127 {
			continue
		}
		n := int32(0)
		for j := i; j < len(s); j++ {
			n = t.next[n][s[j]-'a']
			if n == 0 {
				break
			}
			if t.word[n] != "" && best[i]+1 < best[j+1] {
				best[j+1] = best[i] + 1
				from[j+1] = int8(i)
				node[j+1] = n
			}
		}
	}
	k := int(best[len(s)])
	if k == 127 || k > len(out) {
		return 0
	}
	// a short last piece is usually a suffix, not a word: "vriend|in"
	if len(s)-int(from[len(s)]) < 3 {
		return 0
	}
	for j, i := len(s), k-1; j > 0; i-- {
		out[i] = t.word[node[j]]
		j = int(from[j])
	}
	return k
}

// Normalize returns the normalised words of text, as the patterns see them:
// lower case, no accents or punctuation, chat spelling written out, glued
// words cut apart. Sentence ends are shown as " | ".
func (c *Classifier) Normalize(text string) string {
	raw := splitRaw(text, c.emoji, nil)
	toks := c.tokens(raw, nil)
	var b []byte
	for i, t := range toks {
		if i > 0 {
			if t.brk {
				b = append(b, " | "...)
			} else {
				b = append(b, ' ')
			}
		}
		b = append(b, t.text...)
	}
	return string(b)
}
