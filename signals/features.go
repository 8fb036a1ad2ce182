package signals

import "math"

// modelBits is the size of the hashed feature space of the model: 2^18
// buckets keeps collisions rare for a corpus of some thousand messages
// while the weights stay a few megabytes.
const modelBits = 18

// feature is one hashed feature with its value.
type feature struct {
	idx uint32
	val float32
}

// span is a stretch of tokens the model scores on its own: the whole
// message and, for longer messages, each sentence, so that one crisis
// sentence in a long story is not drowned by the rest.
type span struct{ from, to int }

// spans gives the whole message and, when it has more than one sentence,
// each sentence (a sentence of one word is joined to the next).
func spans(toks []token) []span {
	out := []span{{0, len(toks)}}
	start := 0
	var parts []span
	for i := 1; i <= len(toks); i++ {
		if i == len(toks) || toks[i].brk {
			if i-start >= 2 || i == len(toks) {
				parts = append(parts, span{start, i})
				start = i
			}
		}
	}
	if len(parts) > 1 {
		out = append(out, parts...)
	}
	return out
}

// features turns tokens into the model's hashed features. They are built
// from the same normalised words the patterns see (chat spelling written
// out, spelling-tolerant skeletons), so the two parts agree on what a word
// is:
//   - every word, and every word marked as negated when a negation came
//     shortly before it in the same clause;
//   - word pairs next to each other, and unordered pairs up to four words
//     apart in the same clause: "dood wil ik" and "ik wil dood" share them;
//   - letter groups of 3 to 5 inside each word, so that unseen spellings
//     and compounds ("zelfmoordgedachtes") still resemble known ones.
//
// Values are scaled so that every message has the same total weight:
// a long message does not score higher just for having more words.
func features(toks []token, dst []feature) []feature {
	dst = append(dst[:0], feature{idx: biasFeature, val: 1})
	dst, _, _ = rawFeatures(toks, dst, nil, nil)
	// presence, not counts: a word said ten times weighs as much as once
	// (repeating a harmless word must not add up to an alarm)
	seen := make(map[uint32]bool, len(dst))
	n := 0
	for _, f := range dst {
		if !seen[f.idx] {
			seen[f.idx] = true
			dst[n] = f
			n++
		}
	}
	dst = dst[:n]
	var sum float64
	for _, f := range dst {
		sum += float64(f.val) * float64(f.val)
	}
	scale := float32(1 / math.Sqrt(sum))
	for i := range dst {
		dst[i].val *= scale
	}
	return dst
}

var biasFeature = hashFeature("bias", "")

// rawFeatures appends the unscaled features of toks to dst (without the
// bias) and records in ends, per token, the length of dst after it. Every
// feature belongs to one token and looks back only inside its clause, so
// the features of a sentence are exactly its tokens' share of the whole
// message's: the model scores all spans from one pass.
func rawFeatures(toks []token, dst []feature, keys []string, ends []int) ([]feature, []string, []int) {
	keys = keys[:0]
	for i := range toks {
		keys = append(keys, tokenKey(&toks[i]))
	}
	ends = ends[:0]
	clauseStart := 0
	negUntil := -1
	for i := range toks {
		t := &toks[i]
		if t.brk || t.breaker {
			clauseStart = i
			negUntil = -1
		}
		w := keys[i]
		dst = append(dst, feature{idx: hashFeature("w", w), val: 1})
		if i <= negUntil {
			dst = append(dst, feature{idx: hashFeature("n", w), val: 1})
		}
		if t.neg {
			negUntil = i + negWindow
		}
		if i > clauseStart {
			dst = append(dst, feature{idx: hashFeature2("b", keys[i-1], w), val: 1})
		}
		for j := max(clauseStart, i-4); j < i; j++ {
			a, b := keys[j], w
			if a > b {
				a, b = b, a
			}
			dst = append(dst, feature{idx: hashFeature2("p", a, b), val: 0.5})
		}
		if !t.emoji {
			dst = charGrams(t.text, dst)
		}
		ends = append(ends, len(dst))
	}
	return dst, keys, ends
}

// tokenKey is the word a token stands for in the model: its spelling
// skeleton, or the emoji name.
func tokenKey(t *token) string {
	if t.emoji {
		return t.text
	}
	if t.num >= 0 {
		if t.num >= 10 {
			return "#"
		}
		return "0"
	}
	return skeleton(baseForm(t.text))
}

func charGrams(w string, dst []feature) []feature {
	if len(w) < 3 || len(w) > 40 {
		return dst
	}
	var buf [48]byte
	b := append(append(append(buf[:0], '<'), w...), '>')
	for n := 3; n <= 5; n++ {
		for i := 0; i+n <= len(b); i++ {
			dst = append(dst, feature{idx: hashBytes('c', b[i:i+n]), val: 0.3})
		}
	}
	return dst
}

// FNV-1a, the same in training and at run time.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashFeature(kind, s string) uint32 {
	h := uint64(fnvOffset)
	for i := 0; i < len(kind); i++ {
		h = (h ^ uint64(kind[i])) * fnvPrime
	}
	h = (h ^ ':') * fnvPrime
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return uint32(h>>20) & (1<<modelBits - 1)
}

func hashFeature2(kind, a, b string) uint32 {
	h := uint64(fnvOffset)
	for i := 0; i < len(kind); i++ {
		h = (h ^ uint64(kind[i])) * fnvPrime
	}
	h = (h ^ ':') * fnvPrime
	for i := 0; i < len(a); i++ {
		h = (h ^ uint64(a[i])) * fnvPrime
	}
	h = (h ^ ' ') * fnvPrime
	for i := 0; i < len(b); i++ {
		h = (h ^ uint64(b[i])) * fnvPrime
	}
	return uint32(h>>20) & (1<<modelBits - 1)
}

func hashBytes(kind byte, s []byte) uint32 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(kind)) * fnvPrime
	h = (h ^ ':') * fnvPrime
	for _, c := range s {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return uint32(h>>20) & (1<<modelBits - 1)
}

// modelTokens turns raw words into the tokens the model sees: chat
// spelling written out, negations and clause words marked. Unlike the
// patterns' tokens they do not depend on the pattern vocabulary (no cutting
// of glued words, no typo repair), so changing a pattern file never
// changes what the trained model sees; letter groups cover spelling.
func (c *Classifier) modelTokens(raw []rawToken, dst []token) []token {
	for _, r := range raw {
		if r.emoji {
			dst = append(dst, token{text: r.word, brk: r.brk, emoji: true, num: -1})
			continue
		}
		w := collapse3(r.word)
		words := []string{w}
		if e := c.chatLookup(w); e != nil {
			words = e.words
		}
		for i, cw := range words {
			t := token{text: cw, num: -1, brk: r.brk && i == 0}
			sk := skeleton(baseForm(cw))
			t.neg = c.negSkel[sk]
			t.breaker = c.breakSkel[sk]
			if cw != "" && cw[0] >= '0' && cw[0] <= '9' {
				t.num = 0
				if len(cw) >= 2 {
					t.num = 10
				}
			}
			dst = append(dst, t)
		}
	}
	return dst
}
