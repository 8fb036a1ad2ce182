package easytext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// sentence is one sentence of a message.
type sentence struct {
	Text     string  // the sentence as written, trimmed
	Words    []token // its words, in order
	Question bool    // it ends with a question mark
}

// token is one word of a sentence.
type token struct {
	Word string // without surrounding punctuation or emoji: "z.s.m", "e-mail", "19.30"
	Abbr string // like Word but keeps trailing dots: "z.s.m.", "tel."
}

// lower returns the word in lower case with typographic apostrophes folded.
func (t token) lower() string {
	return strings.ReplaceAll(strings.ToLower(t.Word), "’", "'")
}

// isNumber reports whether the word holds a digit: times, dates, phone
// numbers and codes.
func (t token) isNumber() bool { return hasDigit(t.Word) }

// splitSentences splits a message into sentences.
//
// A sentence ends at a line break, or at ".", "!", "?", "…" (or a run of
// them, with closing quotes or brackets) that is followed by white space, an
// emoji or the end of the text. A dot inside a word or number ("19.30",
// "waakvlam.nl", "z.s.m.") is no end, and neither is the dot of a known
// abbreviation followed by a lower case word or a number ("ca. 3 keer"). A
// colon is never an end: "8:00". Lines or pieces without a letter or digit
// (a lone emoji, a dash) are no sentence.
func splitSentences(text string) []sentence {
	var out []sentence
	add := func(s string, question bool) {
		s = strings.TrimSpace(s)
		words := tokens(s)
		if len(words) == 0 {
			return
		}
		out = append(out, sentence{Text: s, Words: words, Question: question})
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		rs := []rune(line)
		start := 0
		for i := 0; i < len(rs); i++ {
			if !isTerminator(rs[i]) {
				continue
			}
			// A dot between letters or digits is part of a word or number.
			if rs[i] == '.' && i+1 < len(rs) && (unicode.IsLetter(rs[i+1]) || unicode.IsDigit(rs[i+1])) {
				continue
			}
			// Take the whole run: "?!", "...", closing quotes and brackets.
			j, question := i, false
			for j < len(rs) && (isTerminator(rs[j]) || isCloser(rs[j])) {
				if rs[j] == '?' {
					question = true
				}
				j++
			}
			if j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
				i = j - 1 // "ja!nee", "3.5": no end
				continue
			}
			if string(rs[i:j]) == "." && abbreviationBefore(rs[start:i+1]) && nextWordIsLower(rs[j:]) {
				i = j - 1
				continue
			}
			add(string(rs[start:j]), question)
			start, i = j, j-1
		}
		if start < len(rs) {
			add(string(rs[start:]), false)
		}
	}
	return out
}

func isTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…':
		return true
	}
	return false
}

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '’', '”', '»', ')', ']', '}', '*', '_':
		return true
	}
	return false
}

// abbreviationBefore reports whether the text before (and including) a dot
// ends in a known abbreviation such as "ca." or "bijv.".
func abbreviationBefore(rs []rune) bool {
	s := string(rs)
	if k := strings.LastIndexFunc(s, unicode.IsSpace); k >= 0 {
		s = s[k+1:]
	}
	s = strings.ToLower(strings.TrimLeftFunc(s, func(r rune) bool { return !isWordRune(r) }))
	_, ok := abbreviations()[s]
	return ok
}

// nextWordIsLower reports whether the next word starts with a lower case
// letter or a digit.
func nextWordIsLower(rs []rune) bool {
	for _, r := range rs {
		switch {
		case unicode.IsSpace(r):
			continue
		case unicode.IsLower(r), unicode.IsDigit(r):
			return true
		default:
			return false
		}
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// tokens returns the words of a piece of text: white space separated chunks
// that contain a letter or digit, without surrounding punctuation or emoji.
// Hyphens, dots, slashes and apostrophes inside a chunk stay: "e-mail",
// "0800-0113", "t/m" and "foto's" are one word each.
func tokens(s string) []token {
	var out []token
	for _, f := range strings.Fields(s) {
		// Split glued emoji off: "✅Gedaan" is one word.
		f = strings.Map(func(r rune) rune {
			if isEmoji(r) {
				return ' '
			}
			return r
		}, f)
		for _, g := range strings.Fields(f) {
			w := strings.TrimFunc(g, func(r rune) bool { return !isWordRune(r) })
			if w == "" {
				continue
			}
			a := strings.TrimLeftFunc(g, func(r rune) bool { return !isWordRune(r) })
			a = strings.TrimRightFunc(a, func(r rune) bool { return !isWordRune(r) && r != '.' })
			// Keep a leading apostrophe in "'s avonds", "'t".
			if strings.HasPrefix(g, "'") || strings.HasPrefix(g, "’") {
				if len([]rune(w)) <= 2 {
					w = "'" + w
				}
			}
			out = append(out, token{Word: w, Abbr: a})
		}
	}
	return out
}

// isEmoji reports whether r is a pictograph or one of the joiners and
// modifiers that build emoji sequences.
func isEmoji(r rune) bool {
	switch {
	case r == 0x200d, r == 0xfe0f, r == 0xfe0e, r == 0x20e3: // ZWJ, variation selectors, keycap
		return true
	case r >= 0x1f3fb && r <= 0x1f3ff: // skin tones
		return true
	case r >= 0x1f000 && r <= 0x1faff, r >= 0x2600 && r <= 0x27bf, r >= 0x2300 && r <= 0x23ff,
		r >= 0x2b00 && r <= 0x2bff, r >= 0x1f1e6 && r <= 0x1f1ff, r >= 0xe0020 && r <= 0xe007f:
		return true
	case r == 0x00a9, r == 0x00ae, r == 0x203c, r == 0x2049, r == 0x2122, r == 0x2139,
		r >= 0x2194 && r <= 0x21aa, r == 0x24c2, r >= 0x25aa && r <= 0x25fe, r == 0x3030, r == 0x303d:
		return true
	}
	return unicode.Is(unicode.So, r)
}

// hasEmoji reports whether s contains an emoji.
func hasEmoji(s string) bool {
	for _, r := range s {
		if r != 0x200d && r != 0xfe0f && r != 0xfe0e && isEmoji(r) {
			return true
		}
	}
	return false
}

// shorten cuts s to at most n runes for display.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return strings.TrimSpace(string(rs[:n-1])) + "…"
}
