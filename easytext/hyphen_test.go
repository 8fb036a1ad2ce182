package easytext

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"unicode"
)

// hyphenNL is Debian's hyphen-nl pattern file (OpenTaal's Dutch hyphenation
// patterns for LibreOffice). The comparison test needs it; nothing else does.
const hyphenNL = "/usr/share/hyphen/hyph_nl_NL.dic"

// liang is a minimal reader of TeX/libhyphen hyphenation patterns (Liang's
// algorithm), enough to count the hyphenation points of a word.
type liang map[string][]int

func loadLiang(name string) (liang, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pats := liang{}
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if first { // the charset line
			first = false
			continue
		}
		if line == "" || strings.HasPrefix(line, "%") || strings.HasPrefix(line, "#") ||
			strings.ToUpper(line) == line && strings.IndexFunc(line, unicode.IsLetter) >= 0 {
			continue // comments and directives such as LEFTHYPHENMIN
		}
		line, _, _ = strings.Cut(line, "/") // non-standard hyphenation: keep the pattern
		// The file is ISO-8859-1: every byte is one rune.
		var letters []rune
		var values []int
		pending := 0
		for i := 0; i < len(line); i++ {
			b := line[i]
			if b >= '0' && b <= '9' {
				pending = int(b - '0')
				continue
			}
			values = append(values, pending)
			pending = 0
			letters = append(letters, rune(b))
		}
		values = append(values, pending)
		pats[string(letters)] = values
	}
	return pats, sc.Err()
}

// points returns the number of hyphenation points in a lower case word,
// with no minimum at the edges of the word.
func (l liang) points(word string) int {
	s := []rune("." + word + ".")
	pts := make([]int, len(s)+1)
	for i := range s {
		for j := i + 1; j <= len(s); j++ {
			if vals, ok := l[string(s[i:j])]; ok {
				for k, v := range vals {
					pts[i+k] = max(pts[i+k], v)
				}
			}
		}
	}
	n := 0
	// A break before letter p of the word sits at pts[p+1] (the leading dot shifts by one).
	for p := 1; p < len([]rune(word)); p++ {
		if pts[p+1]%2 == 1 {
			n++
		}
	}
	return n
}

// commonWords are everyday Dutch words of the kind the bot writes.
var commonWords = strings.Fields(`
	hoi hallo dag goedemorgen goedemiddag goedenavond welkom dank bedankt alsjeblieft graag
	ja nee misschien later straks vandaag morgen overmorgen gisteren week maand jaar uur minuut
	maandag dinsdag woensdag donderdag vrijdag zaterdag zondag ochtend middag avond nacht
	afspraak herinnering pillen medicijnen boodschappen afval vuilnis koken eten drinken slapen
	wakker opstaan douchen wassen schoonmaken opruimen stofzuigen wandelen fietsen werken
	brief post rekening betalen geld bank huur energie verzekering gemeente toeslag uitkering
	coach hulp vraag vragen antwoord antwoorden bellen sturen lezen schrijven praten luisteren
	helpen snappen begrijpen weten denken voelen willen kunnen moeten mogen hoeven zullen
	gaan komen blijven stoppen beginnen proberen oefenen leren kijken zoeken vinden maken doen
	geven krijgen nemen brengen halen kopen verkopen veranderen regelen onthouden vergeten
	blij boos bang verdrietig moe ziek gezond rustig druk leuk fijn goed slecht mooi lekker
	belangrijk makkelijk moeilijk samen alleen altijd nooit soms vaak meteen eerst daarna
	vervolgens eindelijk natuurlijk gelukkig jammer sorry prima super knap trots sterk
	telefoon bericht knop scherm foto adres sleutel deur fiets bus trein station winkel
	huisarts tandarts apotheek ziekenhuis dokter verpleegkundige begeleider vriend familie
	moeder vader broer zus kinderen buren collega werk school cursus vakantie feest verjaardag
	gestuurd gedaan genomen gebeld gezien gelukt geregeld veranderd gestopt begonnen gekregen
	verstuurd betaald opgehaald afgesproken teruggebeld opgeruimd schoongemaakt
	herinneringen afspraken berichten vragen antwoorden medicijn oefening oefeningen
	veiligheid gevaarlijk verstandig voorzichtig ongeveer bijvoorbeeld eigenlijk helemaal
	wachten rekenen tellen bewaren verliezen openen sluiten klikken drukken typen kiezen
	`)

// TestSyllablesAgainstHyphenNL compares the counter with the hyphenation
// points of Debian's hyphen-nl patterns on the test words, the everyday words
// above and the words of the hard-word list. Hyphenation is not the same as
// syllables (the patterns keep a single letter at the start of a word, "over",
// and know no loan words), so the test asks for broad agreement, not identity,
// and logs every difference.
func TestSyllablesAgainstHyphenNL(t *testing.T) {
	pats, err := loadLiang(hyphenNL)
	if err != nil {
		t.Skipf("hyphen-nl not installed (%v): install Debian's hyphen-nl to run this comparison", err)
	}
	seen := map[string]bool{}
	var words []string
	addWord := func(w string) {
		w = strings.ToLower(strings.Trim(w, ",.:;"))
		if w == "" || seen[w] || strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }) >= 0 {
			return
		}
		if _, loan := loanSyllables(w); loan {
			return // the patterns know no loan words
		}
		seen[w] = true
		words = append(words, w)
	}
	for _, c := range syllableCases {
		addWord(c.word)
	}
	for _, w := range commonWords {
		addWord(w)
	}
	for k, v := range HardWords() {
		for _, w := range strings.Fields(k + " " + v) {
			addWord(w)
		}
	}
	agree := 0
	for _, w := range words {
		ours, theirs := Syllables(w), pats.points(w)+1
		if ours == theirs {
			agree++
			continue
		}
		t.Logf("%-20s counter %d, hyphen-nl %d", w, ours, theirs)
	}
	share := float64(agree) / float64(len(words))
	t.Logf("agreement with hyphen-nl: %d of %d words (%.1f%%)", agree, len(words), 100*share)
	if share < 0.93 {
		t.Errorf("agreement with hyphen-nl %.1f%%, want at least 93%%", 100*share)
	}
}
