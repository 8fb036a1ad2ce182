package easytext

import (
	"sort"
	"strings"
	"unicode"
)

// Syllables returns the number of spoken syllables in one Dutch word.
//
// It counts vowel groups: a run of vowel letters (a, e, i, o, u, y and the
// "ij" digraph) is split into Dutch vowel units ("aai", "eeu", "ieu", "ooi",
// "oei", "eau", "aa", "ee", "oo", "uu", "ie", "oe", "eu", "ui", "ei", "ij",
// "ou", "au", "ai", ...) and every unit is a syllable, so "nieuw" and "eeuw"
// have one and "draaien" (draai-en) and "mooie" (mooi-e) have two. A vowel
// with a diaeresis starts a new syllable ("be·ëin·di·gen", "ru·ï·ne",
// "ide·eën"). Loan words whose spelling does not follow Dutch rules ("team",
// "coach", "date", "online", "website") and a few Dutch exceptions
// ("museum") come from a small table, also inside compounds ("zorgteam").
//
// Hyphenated words are counted per part ("e-mail" = 2); a part of two or
// three capitals is an acronym and spelled out ("GGD" = 3, "ID-kaart" = 3). A token with digits
// counts one syllable per group of digits ("19.30" = 2, "9" = 1): numbers
// are read fine and must not count as long words. A word without vowels
// counts as one syllable; a string without letters or digits as zero.
//
// The counter is self-contained: it does not need Debian's hyphen-nl at run
// time. Its tests compare it with hyphen-nl's patterns when they are present.
func Syllables(word string) int {
	word = strings.TrimSpace(word)
	if word == "" {
		return 0
	}
	if hasDigit(word) {
		return numberSyllables(word)
	}
	total, letters := 0, false
	for _, part := range strings.FieldsFunc(word, func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\'' && r != '’'
	}) {
		part = strings.NewReplacer("'", "", "’", "").Replace(part)
		if part == "" {
			continue
		}
		letters = true
		if n := len([]rune(part)); n >= 2 && n <= 3 && part == strings.ToUpper(part) && part != "IJ" {
			total += n // an acronym is spelled out: "GGD", "ID", "TV"
			continue
		}
		total += partSyllables(strings.ToLower(part))
	}
	if total == 0 && letters {
		return 1
	}
	return total
}

func hasDigit(s string) bool {
	return strings.IndexFunc(s, unicode.IsDigit) >= 0
}

// numberSyllables counts the groups of digits and letters in a number or code
// such as "19.30", "0800-0113" or "K7M2Q9".
func numberSyllables(s string) int {
	n := len(strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}))
	return max(n, 1)
}

// partSyllables counts one part of a word: lower case letters only, no
// hyphens or apostrophes.
func partSyllables(w string) int {
	if n, ok := loanSyllables(w); ok {
		return n
	}
	return vowelUnits(w)
}

// loanSyllables looks a word up in the exception table: as it is, with a
// plural or genitive "s", or as the head or tail of a compound.
func loanSyllables(w string) (int, bool) {
	if e, ok := syllableExceptions[w]; ok {
		return e.n, true
	}
	// Inflected: "coaches", "coachen", "teampje", "dates".
	for _, suf := range inflections {
		if s, ok := strings.CutSuffix(w, suf); ok {
			if e, ok := syllableExceptions[s]; ok {
				return e.n + vowelUnits(suf), true
			}
		}
	}
	// Compounds: "teamleider", "zorgteam", "onlinecursus", "wijkcoach".
	// Only entries marked as compound parts take part, longest first, and
	// the rest of the word must be at least three letters, so "visite" is
	// not "vi" + "site".
	for _, stem := range compoundStems {
		n := syllableExceptions[stem].n
		if rest, ok := strings.CutPrefix(w, stem); ok && len([]rune(rest)) >= 3 {
			return n + partSyllables(rest), true
		}
		if rest, ok := strings.CutSuffix(w, stem); ok && len([]rune(rest)) >= 3 {
			return partSyllables(rest) + n, true
		}
		if rest, ok := strings.CutSuffix(w, stem+"s"); ok && len([]rune(rest)) >= 3 {
			return partSyllables(rest) + n, true
		}
	}
	return 0, false
}

// inflections are the endings tried after a loan word.
var inflections = []string{"s", "es", "en", "e", "je", "jes", "tje", "tjes", "pje", "pjes"}

// letter is one normalised letter: its base form and whether it carried a
// diaeresis (which marks the start of a new syllable).
type letter struct {
	r     rune
	trema bool
}

func normalise(w string) []letter {
	out := make([]letter, 0, len(w))
	for _, r := range w {
		base, trema := foldAccent(r)
		out = append(out, letter{base, trema})
	}
	return out
}

// foldAccent maps accented vowels to their base letter. A diaeresis (trema)
// is kept as a flag; other accents (é, è, ê, á, ...) only stress or colour the
// vowel and do not change the count ("één", "oké", "café").
func foldAccent(r rune) (rune, bool) {
	switch r {
	case 'ä':
		return 'a', true
	case 'ë':
		return 'e', true
	case 'ï':
		return 'i', true
	case 'ö':
		return 'o', true
	case 'ü':
		return 'u', true
	case 'ÿ':
		return 'y', true
	case 'á', 'à', 'â', 'ã', 'å':
		return 'a', false
	case 'é', 'è', 'ê':
		return 'e', false
	case 'í', 'ì', 'î':
		return 'i', false
	case 'ó', 'ò', 'ô', 'õ':
		return 'o', false
	case 'ú', 'ù', 'û':
		return 'u', false
	case 'ý':
		return 'y', false
	}
	return r, false
}

func isVowel(r rune) bool {
	switch r {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// vowelUnits counts the Dutch vowel units in a lower case word.
func vowelUnits(w string) int {
	ls := normalise(w)
	count := 0
	var group []rune
	flush := func() {
		count += unitsInGroup(string(group))
		group = group[:0]
	}
	for i, l := range ls {
		vowel := isVowel(l.r)
		switch {
		case l.r == 'y' && i == 0 && i+1 < len(ls) && isVowel(ls[i+1].r):
			vowel = false // "yoga", "yes": y before a vowel at the start is a consonant
		case l.r == 'u' && i > 0 && ls[i-1].r == 'q':
			vowel = false // "aquarium", "quiz": qu is /kw/
		case l.r == 'j' && i > 0 && ls[i-1].r == 'i' && len(group) > 0:
			vowel = true // the "ij" digraph
		}
		if !vowel {
			if len(group) > 0 {
				flush()
			}
			continue
		}
		if l.trema && len(group) > 0 {
			flush()
		}
		group = append(group, l.r)
	}
	if len(group) > 0 {
		flush()
	}
	return count
}

// vowelUnitList holds the vowel sequences that are one syllable, longest
// first. Anything not listed is read one vowel at a time, so "ea" in
// "theater", "ia" in "materiaal" and "io" in "radio" are two syllables.
var vowelUnitList = []string{
	"aai", "eeu", "ieu", "ooi", "oei", "eau",
	"aa", "ee", "oo", "uu", "ie", "oe", "eu", "ui", "ei", "ij", "ou", "au",
	"ai", "oi", "ay", "ey", "oy", "uy",
}

func unitsInGroup(g string) int {
	n := 0
	for len(g) > 0 {
		step := 1
		for _, u := range vowelUnitList {
			if strings.HasPrefix(g, u) {
				step = len(u)
				break
			}
		}
		if g[0] == 'j' { // a stray j never counts on its own
			g = g[1:]
			continue
		}
		g = g[step:]
		n++
	}
	return n
}

// compoundStems lists the exceptions that may head or end a compound,
// longest first, so the result does not depend on map order.
var compoundStems = func() []string {
	var out []string
	for w, e := range syllableExceptions {
		if e.compound {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}()

type syllableException struct {
	n        int
	compound bool // also counts as the head or tail of a compound
}

// syllableExceptions holds words whose spelling does not follow the Dutch
// vowel rules: mostly English loan words common in chat, and a few Dutch
// words with "eu" spoken as two vowels.
var syllableExceptions = map[string]syllableException{
	// English loan words.
	"team":        {1, true},
	"coach":       {1, true},
	"date":        {1, true},
	"update":      {2, true},
	"online":      {2, true},
	"offline":     {2, true},
	"website":     {2, true},
	"site":        {1, false},
	"game":        {1, true},
	"games":       {1, false},
	"gamen":       {2, false},
	"home":        {1, false},
	"homepage":    {2, true},
	"page":        {1, false},
	"phone":       {1, false},
	"smartphone":  {2, true},
	"iphone":      {2, false},
	"headphone":   {2, true},
	"cake":        {1, true},
	"make":        {1, false},
	"time":        {1, false},
	"timeout":     {2, false},
	"live":        {1, false},
	"like":        {1, false},
	"likes":       {1, false},
	"deadline":    {2, true},
	"facebook":    {2, true},
	"youtube":     {2, true},
	"notebook":    {2, true},
	"skype":       {1, false},
	"sale":        {1, false},
	"store":       {1, false},
	"service":     {2, true},
	"office":      {2, false},
	"software":    {2, true},
	"hardware":    {2, true},
	"browser":     {2, true},
	"screen":      {1, false},
	"screenshot":  {2, true},
	"deal":        {1, false},
	"jeans":       {1, false},
	"break":       {1, false},
	"meeting":     {2, true},
	"leaflet":     {2, false},
	"weekend":     {2, true},
	"email":       {2, true},
	"mail":        {1, true},
	"mailen":      {2, false},
	"gemaild":     {2, false},
	"mailtje":     {2, false},
	"teamleider":  {3, false},
	"okay":        {2, false},
	"whatsapp":    {2, true},
	"whatsappen":  {3, false},
	"google":      {2, true},
	"googlen":     {2, false},
	"lifestyle":   {2, false},
	"wifi":        {2, true},
	"selfie":      {2, false},
	"smiley":      {2, false},
	"emoji":       {3, false},
	"sticker":     {2, false},
	"tablet":      {2, true},
	"laptop":      {2, true},
	"computer":    {3, true},
	"chat":        {1, true},
	"app":         {1, true},
	"appen":       {2, false},
	"appje":       {2, false},
	"baby":        {2, false},
	"hobby":       {2, false},
	"sorry":       {2, false},
	"care":        {1, true},
	"nurse":       {1, false},
	"case":        {1, true},
	"casemanager": {3, false},
	"manager":     {3, true},
	"feedback":    {2, false},
	"fitness":     {2, false},
	"workshop":    {2, false},
	"workout":     {2, false},
	"outfit":      {2, false},
	"timer":       {2, false},
	"file":        {2, false}, // Dutch "file" (traffic jam) is "fi-le"
	"bye":         {1, false},
	"byebye":      {2, false},
	"voicemail":   {2, false},
	"voice":       {1, false},
	"account":     {2, true},
	"login":       {2, false},
	"inloggen":    {3, false},
	"uitloggen":   {3, false},
	"download":    {2, false},
	"upload":      {2, false},
	"link":        {1, true},
	"blue":        {1, false},
	"true":        {1, false},
	"please":      {1, false},
	"house":       {1, false},
	"cookie":      {2, false},
	"spreadsheet": {2, false},

	// Dutch words with "eu" or "ei" spoken as two vowels.
	"museum":    {3, true},
	"musea":     {3, false},
	"petroleum": {4, false},
	"jubileum":  {4, false},
	"atheneum":  {4, false},
	"lyceum":    {3, false},
	"colosseum": {4, false},
	"mausoleum": {4, false},
	"linoleum":  {4, false},
}
