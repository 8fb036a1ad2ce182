package easytext

import (
	"fmt"
	"strings"
	"unicode"
)

// Severities of a finding. Errors break the build (the locale test fails on
// any); warnings are shown but do not fail.
const (
	Error   = "error"
	Warning = "warning"
)

// Kinds of message, chosen from the message key (see KindOf).
const (
	KindMessage = "message" // a chat message to a client
	KindButton  = "button"  // a button label: 1–3 words with an emoji
	KindCommand = "command" // a bot command description in Telegram's menu
)

// Limits from the guide (shared/EASY-DUTCH.md).
const (
	LimitSentenceWords    = 12   // hard limit of words in one sentence
	AimSentenceWords      = 10   // above this a sentence gets a warning
	LimitSentences        = 3    // sentences in one message
	LimitQuestions        = 1    // questions in one message
	LimitFleschDouma      = 70.0 // lowest reading ease for a message of two sentences or more
	LongWordSyllables     = 4    // a word of this many syllables counts as long
	VeryLongWordSyllables = 5    // a word of this many syllables gets its own warning
	LimitLongWordShare    = 0.20 // share of long words above which a message gets a warning
	LimitButtonWords      = 3    // words on a button
)

// Rule names, as they appear in a Finding and in "# easytext:ignore" comments.
const (
	RuleEmpty          = "empty"
	RuleSentenceLength = "sentence-length"
	RuleSentences      = "sentences"
	RuleQuestions      = "questions"
	RuleQuestionLast   = "question-last"
	RuleFleschDouma    = "flesch-douma"
	RuleLongWord       = "long-word"
	RuleLongWordShare  = "long-word-share"
	RuleHardWord       = "hard-word"
	RuleUForm          = "u-form"
	RuleAbbreviation   = "abbreviation"
	RuleAcronym        = "acronym"
	RulePassive        = "passive"
	RuleButton         = "button"
	RuleButtonEmoji    = "button-emoji"
	RuleTemplate       = "template"
)

// Finding is one broken rule in one message.
type Finding struct {
	Rule     string // one of the Rule constants
	Severity string // Error or Warning
	Detail   string // readable reason: `sentence of 14 words (max 12): "..."`, `"indien" → "als"`
}

// Report holds the measures of one message and what is wrong with it.
type Report struct {
	Key  string // message id in the locale file, "" for a free text
	Text string // the text as checked: templates filled with example values
	Kind string // KindMessage, KindButton or KindCommand
	Lang string // language of the rules applied: "nl" gets all rules, others only the structural ones

	Words            int
	Sentences        int
	Questions        int
	MaxSentenceWords int
	Syllables        int     // syllables of all words
	LongWords        int     // words of LongWordSyllables syllables or more (numbers excluded)
	LongWordShare    float64 // LongWords / words without numbers
	FleschDouma      float64 // reading ease; 0 for a text without words or not in Dutch
	Findings         []Finding
}

// Errors returns the number of error findings in the report.
func (r Report) Errors() int { return r.count(Error) }

// Warnings returns the number of warning findings in the report.
func (r Report) Warnings() int { return r.count(Warning) }

func (r Report) count(sev string) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == sev {
			n++
		}
	}
	return n
}

// Errors returns the number of error findings in all reports.
func Errors(reports []Report) int {
	n := 0
	for _, r := range reports {
		n += r.Errors()
	}
	return n
}

// KindOf tells from a message key what kind of text it is, by its first
// dot-separated part: "button.*" (or "buttons.*", "btn.*") is a button
// label, "command.*" (or "commands.*") a command description, anything else
// a chat message. Only the first part counts, so "unknown.button" (a message
// about a button) is a message.
func KindOf(key string) string {
	first, _, _ := strings.Cut(strings.ToLower(key), ".")
	switch first {
	case "button", "buttons", "btn":
		return KindButton
	case "command", "commands", "cmd":
		return KindCommand
	}
	return KindMessage
}

// CheckMessage checks one Dutch client message whose templates are already
// filled. The key chooses the kind of text (see KindOf).
func CheckMessage(key, text string) Report {
	return check(key, text, KindOf(key), "nl")
}

// CheckText checks a free Dutch text, such as a coach's reply, with the rules
// for a chat message.
func CheckText(text string) Report {
	return check("", text, KindMessage, "nl")
}

// FleschDouma returns the Flesch–Douma reading ease of a text with the given
// counts: 206.84 − 0.77 × (syllables per 100 words) − 0.93 × (words per
// sentence). Higher is easier. It is 0 when there are no words or sentences.
func FleschDouma(words, sentences, syllables int) float64 {
	if words == 0 || sentences == 0 {
		return 0
	}
	return 206.84 - 0.77*(100*float64(syllables)/float64(words)) - 0.93*(float64(words)/float64(sentences))
}

// checker collects findings without duplicates.
type checker struct {
	r    *Report
	seen map[string]bool
}

func (c *checker) add(rule, sev, format string, args ...any) {
	d := fmt.Sprintf(format, args...)
	if c.seen[rule+"\x00"+d] {
		return
	}
	c.seen[rule+"\x00"+d] = true
	c.r.Findings = append(c.r.Findings, Finding{Rule: rule, Severity: sev, Detail: d})
}

func check(key, text, kind, lang string) Report {
	r := Report{Key: key, Text: text, Kind: kind, Lang: lang}
	c := &checker{r: &r, seen: map[string]bool{}}
	dutch := lang == "nl"

	sents := splitSentences(text)
	r.Sentences = len(sents)
	plain := 0 // words that are not numbers
	for _, s := range sents {
		r.Words += len(s.Words)
		r.MaxSentenceWords = max(r.MaxSentenceWords, len(s.Words))
		if s.Question {
			r.Questions++
		}
		for _, w := range s.Words {
			n := Syllables(w.Word)
			r.Syllables += n
			if w.isNumber() {
				continue
			}
			plain++
			if n >= LongWordSyllables {
				r.LongWords++
			}
		}
	}
	if plain > 0 {
		r.LongWordShare = float64(r.LongWords) / float64(plain)
	}
	if dutch {
		r.FleschDouma = FleschDouma(r.Words, r.Sentences, r.Syllables)
	}

	if strings.TrimSpace(text) == "" {
		c.add(RuleEmpty, Error, "empty text")
		return r
	}

	if kind == KindButton {
		checkButton(c, text, r.Words)
	} else {
		checkStructure(c, sents)
		if dutch && r.Sentences >= 2 && r.FleschDouma < LimitFleschDouma {
			c.add(RuleFleschDouma, Error, "Flesch–Douma %.1f (min %.0f): shorter words and sentences", r.FleschDouma, LimitFleschDouma)
		}
	}
	if !dutch {
		return r
	}
	for _, s := range sents {
		checkWords(c, s)
	}
	if r.LongWords >= 2 && r.LongWordShare > LimitLongWordShare {
		c.add(RuleLongWordShare, Warning, "%d of %d words have %d+ syllables (%.0f%%, max %.0f%%)",
			r.LongWords, plain, LongWordSyllables, 100*r.LongWordShare, 100*LimitLongWordShare)
	}
	return r
}

func checkButton(c *checker, text string, words int) {
	if words == 0 || words > LimitButtonWords {
		c.add(RuleButton, Error, "button of %d words (1–%d): %q", words, LimitButtonWords, shorten(text, 60))
	}
	if !hasEmoji(text) {
		c.add(RuleButtonEmoji, Error, "button without emoji: %q", shorten(text, 60))
	}
}

func checkStructure(c *checker, sents []sentence) {
	questions := 0
	for _, s := range sents {
		if s.Question {
			questions++
		}
	}
	for i, s := range sents {
		n := len(s.Words)
		switch {
		case n > LimitSentenceWords:
			c.add(RuleSentenceLength, Error, "sentence of %d words (max %d): %q", n, LimitSentenceWords, shorten(s.Text, 100))
		case n > AimSentenceWords:
			c.add(RuleSentenceLength, Warning, "sentence of %d words (aim %d): %q", n, AimSentenceWords, shorten(s.Text, 100))
		}
		if s.Question && questions == 1 {
			if i < len(sents)-1 {
				c.add(RuleQuestionLast, Warning, "question is not the last sentence: %q", shorten(s.Text, 100))
			}
		}
	}
	if len(sents) > LimitSentences {
		c.add(RuleSentences, Error, "%d sentences (max %d)", len(sents), LimitSentences)
	}
	if questions > LimitQuestions {
		c.add(RuleQuestions, Error, "%d questions (max %d)", questions, LimitQuestions)
	}
}

// checkWords runs the word rules of the Dutch guide over one sentence.
func checkWords(c *checker, s sentence) {
	words := make([]string, len(s.Words))
	for i, w := range s.Words {
		words[i] = w.lower()
	}
	// Hard words and phrases, longest match first.
	phrases := hardPhrases()
	for i := 0; i < len(words); i++ {
		for _, p := range phrases[words[i]] {
			if i+len(p) <= len(words) && equalWords(words[i:i+len(p)], p) {
				k := strings.Join(p, " ")
				c.add(RuleHardWord, Error, "%q → %q", k, hardWords()[k])
				i += len(p) - 1
				break
			}
		}
	}
	abbr := abbreviations()
	for i, w := range s.Words {
		lw := words[i]
		switch lw {
		case "u", "uw":
			c.add(RuleUForm, Error, "%q → %q", w.Word, "je")
		case "uzelf":
			c.add(RuleUForm, Error, "%q → %q", w.Word, "jezelf")
		}
		if alt, ok := abbreviationHit(w, i == len(s.Words)-1, abbr); ok {
			c.add(RuleAbbreviation, Error, "%q → %q", w.Abbr, alt)
		} else if isAcronym(w.Word) {
			c.add(RuleAcronym, Warning, "%q: write it out or say what it is", w.Word)
		}
		if !w.isNumber() {
			if n := Syllables(w.Word); n >= VeryLongWordSyllables {
				c.add(RuleLongWord, Warning, "%q has %d syllables: split it or use a shorter word", w.Word, n)
			}
		}
	}
	if aux, part, ok := passive(words); ok {
		c.add(RulePassive, Warning, "passive voice (%s … %s): say who does what: %q", aux, part, shorten(s.Text, 100))
	}
}

func equalWords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// abbreviationHit looks a word up in the abbreviation list. Forms with dots
// match only as written with their dots. A form whose only dot is the last
// character ("tel.") does not match as the last word of a sentence, where
// the dot ends the sentence.
func abbreviationHit(w token, last bool, abbr map[string]string) (string, bool) {
	a := strings.ToLower(w.Abbr)      // keeps trailing dots: "z.s.m.", "tel."
	core := strings.TrimRight(a, ".") // "z.s.m", "tel", "zsm"
	if strings.Contains(core, ".") {
		// "z.s.m." also matches without its last dot.
		alt, ok := abbr[core+"."]
		return alt, ok
	}
	if strings.HasSuffix(a, ".") && !last {
		if alt, ok := abbr[core+"."]; ok {
			return alt, true
		}
	}
	alt, ok := abbr[core] // forms without dots: "zsm", "svp", "t/m"
	return alt, ok
}

// acronymOK lists upper case words that clients know.
var acronymOK = map[string]bool{
	"OK": true, "TV": true, "WC": true, "ID": true, "SOS": true, "STOP": true,
	"JA": true, "NEE": true, "HELP": true, "HOI": true, "LET": true, "OP": true,
}

// isAcronym reports whether w looks like an acronym: 2–5 letters, all upper
// case ("GGD", "UWV", "WMO").
func isAcronym(w string) bool {
	n := 0
	for _, r := range w {
		if !unicode.IsUpper(r) {
			return false
		}
		n++
	}
	return n >= 2 && n <= 5 && !acronymOK[w]
}

var (
	passiveAux = map[string]bool{"word": true, "wordt": true, "worden": true, "werd": true, "werden": true}
	perfectAux = map[string]bool{"is": true, "zijn": true, "was": true, "waren": true, "ben": true, "bent": true}

	// separable particles before "ge" in a participle: "op-ge-haald".
	particles = []string{"terug", "samen", "door", "mee", "weg", "over", "voor", "aan", "uit", "bij", "toe", "vast", "los", "af", "op", "in", "na", "om"}

	// notParticiple holds words that look like a participle but are not
	// one, or not in the sentences the bot writes.
	notParticiple = set("gezond", "gerust", "geduld", "gebied", "gebit", "geluid", "gevecht", "gezicht",
		"gewicht", "gerecht", "gedicht", "geest", "geldt", "geeft", "gebeurt", "gelooft", "geniet",
		"gemiddeld", "geschikt", "geleden", "geven", "gebruiken", "gebeuren", "geloven", "genieten",
		"gelden", "geheugen", "gewend", "getrouwd", "gewond", "bericht", "bekend", "benieuwd", "bezorgd",
		"verliefd", "verkeerd", "verstand", "verband", "verbod", "besluit", "begint", "betekent",
		"berucht", "ontbijt", "verlicht", "beleid", "bestand", "verschijnt", "verdient", "bedoelt",
		"gewoonte", "herfst", "gebouwd")

	// ergative holds participles of verbs whose perfect tense takes
	// "zijn": "ik ben gestopt" and "het is gelukt" are active.
	ergative = set("gegaan", "gekomen", "gebleven", "geworden", "geweest", "gestopt", "gelukt", "mislukt",
		"gebeurd", "gevallen", "gestorven", "geslaagd", "gegroeid", "gestegen", "gedaald", "gezakt",
		"gestaan", "begonnen", "vertrokken", "verhuisd", "veranderd", "verdwenen", "vergeten",
		"gelopen", "gefietst", "gereden", "gevlogen", "gezwommen", "geland", "gestart", "genezen",
		"geboren", "geschrokken", "geslapen", "gewandeld", "gereisd", "gerend", "geschoten", "gegroeid",
		"verlopen", "verdwaald", "gewekt")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// passive reports a passive construction in a sentence of lower case words:
// a form of "worden" with a past participle anywhere in the sentence, or a
// form of "zijn" with a participle of a verb that does not take "zijn" in
// the perfect ("is verstuurd", but not "is gelukt").
func passive(words []string) (aux, part string, ok bool) {
	bestScore := 0
	for i, w := range words {
		if !passiveAux[w] && !perfectAux[w] {
			continue
		}
		for j, p := range words {
			stem, isPart := participleStem(p)
			if !isPart || (perfectAux[w] && (ergative[p] || ergative[stem])) {
				continue
			}
			// The nearest pair wins; a form of "worden" beats one of "zijn".
			score := abs(i - j)
			if perfectAux[w] {
				score += len(words)
			}
			if !ok || score < bestScore {
				aux, part, ok, bestScore = w, p, true, score
			}
		}
	}
	return aux, part, ok
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// participleStem reports whether w looks like a past participle and returns
// it without a separable particle ("opgehaald" → "gehaald").
func participleStem(w string) (string, bool) {
	if len(w) < 5 || notParticiple[w] || !isLetters(w) {
		return "", false
	}
	stem := w
	for _, p := range particles {
		if rest, ok := strings.CutPrefix(w, p); ok && strings.HasPrefix(rest, "ge") && len(rest) >= 5 {
			stem = rest
			break
		}
	}
	if notParticiple[stem] {
		return "", false
	}
	if strings.HasPrefix(stem, "ge") && len(stem) >= 5 &&
		(strings.HasSuffix(stem, "d") || strings.HasSuffix(stem, "t") || strings.HasSuffix(stem, "en")) {
		return stem, true
	}
	for _, p := range []string{"be", "ver", "ont", "her"} {
		if strings.HasPrefix(stem, p) && len(stem) >= len(p)+4 &&
			(strings.HasSuffix(stem, "d") || strings.HasSuffix(stem, "t")) {
			return stem, true
		}
	}
	return "", false
}

func isLetters(w string) bool {
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}
