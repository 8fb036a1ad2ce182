package easytext

import (
	"strings"
	"testing"
)

// syllableCases are words with their spoken syllables, as in the Woordenlijst
// hyphenation ("be·ein·di·gen") and for loan words as they are said in Dutch.
var syllableCases = []struct {
	word string
	want int
}{
	// plain words
	{"je", 1}, {"pil", 1}, {"pillen", 2}, {"afspraak", 2}, {"morgen", 2}, {"vandaag", 2},
	{"medicijnen", 4}, {"herinnering", 4}, {"zorgverzekering", 5}, {"zorgverzekeringsbrief", 6},
	{"gemeente", 3}, {"ziekenhuis", 3}, {"gezellig", 3}, {"over", 2}, {"eten", 2},
	{"politie", 3}, {"actie", 2}, {"familie", 3}, {"situatie", 4}, {"materiaal", 4},
	{"theater", 3}, {"radio", 3}, {"video", 3}, {"ideaal", 3}, {"koala", 3},
	{"aquarium", 4}, {"quiz", 1},
	// vowel units
	{"ui", 1}, {"huis", 1}, {"buiten", 2}, {"uit", 1}, {"luie", 2},
	{"eeuw", 1}, {"leeuw", 1}, {"leeuwen", 2}, {"eeuwig", 2},
	{"nieuw", 1}, {"nieuwe", 2}, {"nieuwsbrief", 2}, {"kieuw", 1}, {"milieu", 2},
	{"ij", 1}, {"vrij", 1}, {"tijd", 1}, {"vrijdag", 2}, {"rijden", 2}, {"bijeenkomst", 3}, {"vrijen", 2},
	{"IJs", 1}, {"IJsland", 2},
	{"oe", 1}, {"moe", 1}, {"doen", 1}, {"moeilijk", 2}, {"moeite", 2},
	{"hoi", 1}, {"ou", 1}, {"oud", 1}, {"houden", 2}, {"vrouw", 1}, {"vrouwen", 2},
	{"au", 1}, {"auto", 2}, {"blauw", 1},
	{"ei", 1}, {"klein", 1}, {"eieren", 3},
	{"eu", 1}, {"leuk", 1}, {"neutraal", 2}, {"museum", 3},
	{"ie", 1}, {"brief", 1}, {"dieet", 2}, {"kiezen", 2},
	{"aai", 1}, {"haai", 1}, {"draaien", 2}, {"saaie", 2},
	{"ooi", 1}, {"mooi", 1}, {"mooie", 2}, {"nooit", 1},
	{"oei", 1}, {"groei", 1}, {"groeien", 2}, {"loeien", 2},
	{"bureau", 2}, {"cadeau", 2}, {"niveau", 2},
	// diaeresis: a new syllable
	{"beëindigen", 4}, {"ruïne", 3}, {"coördinatie", 5}, {"geïnteresseerd", 5}, {"reële", 3},
	{"knieën", 2}, {"zeeën", 2}, {"ideeën", 3}, {"België", 3}, {"financiële", 5}, {"naïef", 2},
	{"cliënt", 2}, {"patiënt", 3}, {"Israël", 3},
	// other accents do not count
	{"één", 1}, {"oké", 2}, {"café", 2}, {"crème", 2},
	// loan words
	{"team", 1}, {"teams", 1}, {"zorgteam", 2}, {"teamleider", 3}, {"wijkteam", 2},
	{"computer", 3}, {"e-mail", 2}, {"email", 2}, {"mail", 1}, {"mailen", 2},
	{"date", 1}, {"update", 2}, {"coach", 1}, {"coaches", 2}, {"coachen", 2}, {"wijkcoach", 2},
	{"app", 1}, {"appen", 2}, {"WhatsApp", 2}, {"online", 2}, {"website", 2}, {"smartphone", 2},
	{"game", 1}, {"deadline", 2}, {"Facebook", 2}, {"YouTube", 2}, {"weekend", 2},
	{"training", 2}, {"trainen", 2}, {"baby", 2}, {"hobby", 2}, {"sorry", 2}, {"yoga", 2},
	{"okay", 2}, {"hockey", 2}, {"meeting", 2}, {"feedback", 2}, {"chat", 1}, {"chatten", 2},
	{"laptop", 2}, {"wifi", 2}, {"selfie", 2}, {"emoji", 3}, {"visite", 3},
	// apostrophes, hyphens, numbers and codes
	{"GGD", 3}, {"UWV", 3}, {"TV", 2}, {"IJ", 1},
	{"foto's", 2}, {"baby's", 2}, {"'s", 1}, {"ID-kaart", 3}, {"time-out", 2},
	{"9", 1}, {"19.30", 2}, {"8:00", 2}, {"0800-0113", 2}, {"K7M2Q9", 1},
	// nothing to count
	{"", 0}, {"💊", 0}, {"…", 0},
	// no vowels
	{"pst", 1}, {"hm", 1},
}

func TestSyllables(t *testing.T) {
	for _, c := range syllableCases {
		if got := Syllables(c.word); got != c.want {
			t.Errorf("Syllables(%q) = %d, want %d", c.word, got, c.want)
		}
	}
}

func TestSyllablesCase(t *testing.T) {
	for _, w := range []string{"Coach", "COACH", "Beëindigen", "BEËINDIGEN", "Nieuw", "STOP", "Team"} {
		if Syllables(w) != Syllables(toLower(w)) {
			t.Errorf("Syllables(%q) = %d, lower case gives %d", w, Syllables(w), Syllables(toLower(w)))
		}
	}
}

func toLower(s string) string { return strings.ToLower(s) }
