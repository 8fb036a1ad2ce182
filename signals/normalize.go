package signals

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// accentFold maps accented Latin letters (already lower case) to plain ones.
var accentFold = map[rune]rune{
	'à': 'a', 'á': 'a', 'â': 'a', 'ä': 'a', 'ã': 'a', 'å': 'a',
	'è': 'e', 'é': 'e', 'ê': 'e', 'ë': 'e',
	'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i',
	'ò': 'o', 'ó': 'o', 'ô': 'o', 'ö': 'o', 'õ': 'o', 'ø': 'o',
	'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u',
	'ý': 'y', 'ÿ': 'y', 'ç': 'c', 'ñ': 'n', 'ĳ': 'y',
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', '`', '´', 'ʼ':
		return true
	}
	return false
}

// isBoundary reports runes that end a sentence or a part of it.
func isBoundary(r rune) bool {
	switch r {
	case '.', '!', '?', ',', ';', ':', '\n', '\r', '¡', '¿', '…':
		return true
	}
	return false
}

// isSentenceEnd reports the boundaries that end a whole sentence.
func isSentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', '\n', '\r', '¡', '¿', '…':
		return true
	}
	return false
}

// isEmojiJoiner reports runes that only modify an emoji.
func isEmojiJoiner(r rune) bool {
	return r == 0xFE0F || r == 0xFE0E || r == 0x200D || (r >= 0x1F3FB && r <= 0x1F3FF) || r == 0x20E3
}

func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF:
		return true
	case r >= 0x2600 && r <= 0x27BF:
		return true
	case r >= 0x2B00 && r <= 0x2BFF:
		return true
	case r >= 0x2190 && r <= 0x21FF:
		return true
	}
	return unicode.Is(unicode.So, r)
}

// foldRune lower-cases r and strips its accent.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	r = unicode.ToLower(r)
	if f, ok := accentFold[r]; ok {
		return f
	}
	return r
}

// foldWord lower-cases a word, strips accents and apostrophes.
func foldWord(w string) string {
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range w {
		if isApostrophe(r) {
			continue
		}
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' }

// collapse3 shortens runs of three or more equal letters to two:
// "neeeee" -> "nee", "dooood" -> "dood". Used for the display form.
func collapse3(w string) string {
	run := 0
	need := false
	for i := 0; i < len(w); i++ {
		if i > 0 && w[i] == w[i-1] && isASCIILetter(w[i]) {
			run++
			if run >= 2 {
				need = true
				break
			}
		} else {
			run = 0
		}
	}
	if !need {
		return w
	}
	b := make([]byte, 0, len(w))
	run = 0
	for i := 0; i < len(w); i++ {
		if i > 0 && w[i] == w[i-1] && isASCIILetter(w[i]) {
			run++
			if run >= 2 {
				continue
			}
		} else {
			run = 0
		}
		b = append(b, w[i])
	}
	return string(b)
}

// baseForm is the spelling-tolerant form used for prefixes and for cutting
// glued words: y -> ij, ij -> ei, au -> ou, every doubled letter single.
// The input is a folded word.
func baseForm(w string) string {
	b := make([]byte, 0, len(w)+2)
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c == 'y':
			b = append(b, 'e', 'i')
			continue
		case c == 'i' && i+1 < len(w) && w[i+1] == 'j':
			b = append(b, 'e', 'i')
			i++
			continue
		case c == 'a' && i+1 < len(w) && w[i+1] == 'u':
			b = append(b, 'o', 'u')
			i++
			continue
		}
		b = append(b, c)
	}
	// collapse doubled letters (not digits: 112 stays 112)
	out := b[:0]
	for i := 0; i < len(b); i++ {
		if i > 0 && b[i] == b[i-1] && isASCIILetter(b[i]) {
			continue
		}
		out = append(out, b[i])
	}
	return string(out)
}

// skeleton is the form words are compared by: the base form with a final
// -dt/-d written as -t and a final -en as -e ("leven" = "leve",
// "wordt" = "word" = "wort").
func skeleton(base string) string {
	s := base
	if strings.HasSuffix(s, "dt") {
		s = s[:len(s)-2] + "t"
	} else if len(s) > 1 && s[len(s)-1] == 'd' {
		s = s[:len(s)-1] + "t"
	}
	if len(s) >= 4 && strings.HasSuffix(s, "en") {
		s = s[:len(s)-1]
	}
	return s
}

// rawToken is a word or emoji as cut from the text, before word lookup.
type rawToken struct {
	word  string // folded word, or emoji name for emoji
	emoji bool
	brk   bool // a sentence boundary comes before this token
	hard  bool // that boundary ends a sentence (. ! ? or a new line), not a part of it
}

// splitRaw cuts text into folded words and emoji. Digits and letters are
// cut apart ("2dagen" -> "2", "dagen"); apostrophes are dropped ("m'n" -> "mn").
func splitRaw(text string, emojiNames map[rune]string, dst []rawToken) []rawToken {
	var cur []byte
	var buf [64]byte
	cur = buf[:0]
	brk, hard := false, false
	curDigit := false
	flush := func() {
		if len(cur) > 0 {
			dst = append(dst, rawToken{word: string(cur), brk: brk, hard: hard})
			brk, hard = false, false
			cur = cur[:0]
		}
	}
	for _, r := range text {
		switch {
		case isApostrophe(r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			f := foldRune(r)
			digit := unicode.IsDigit(r)
			if len(cur) > 0 && digit != curDigit {
				flush()
			}
			curDigit = digit
			cur = utf8.AppendRune(cur, f)
		case unicode.IsMark(r):
			// combining accents: drop
		case isEmojiJoiner(r):
			// skin tones, variation selectors, joiners: drop
		case isBoundary(r):
			flush()
			brk = true
			hard = hard || isSentenceEnd(r)
		case isEmoji(r):
			flush()
			name := emojiNames[r]
			if name == "" {
				name = "emoji"
			}
			dst = append(dst, rawToken{word: ":" + name, emoji: true, brk: brk, hard: hard})
			brk, hard = false, false
		default:
			flush()
		}
	}
	flush()
	return dst
}
