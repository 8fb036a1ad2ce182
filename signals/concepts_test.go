package signals

import (
	"strings"
	"testing"
	"testing/fstest"
)

// conceptFS is a small data folder for testing the concept rules apart from
// the real data files.
func conceptFS(concepts, rules string) fstest.MapFS {
	return fstest.MapFS{
		"patterns/mood.txt": {Data: []byte("attention verdriet verdrietig\n")},
		"negation.txt":      {Data: []byte("niet\ngeen\n")},
		"clause.txt":        {Data: []byte("ik\nmaar\nen\n")},
		"chat.txt":          {Data: []byte("k = ik\nnie = niet\n")},
		"exceptions.txt":    {Data: []byte("dood van het lachen\n")},
		"emoji.txt":         {Data: []byte("😂 = lach\n")},
		"concepts.txt":      {Data: []byte(concepts)},
		"rules.txt":         {Data: []byte(rules)},
	}
}

const testConcepts = `
NEG = niet, geen, dont
CLAUSE = maar
SELF = ik, me, i
WANT = wil, wou, wanna
DIE = dood, sterven, die $
MEANS = pillen, touw
READY = klaar, gespaard
THREAT = vermoorden
OTHER = je, hem
JOKE = haha, :lach
`

const testRules = `
urgent  suicide   want-die   SELF + WANT + DIE
urgent  suicide   means      MEANS + READY - JOKE
high    suicide   signs      2 of MEANS READY DIE @near
high    violence  threat     SELF + THREAT + OTHER
ignore  JOKE  c:threat
`

func ruleNames(r Result) string {
	var names []string
	for _, m := range r.Matches {
		names = append(names, m.Pattern)
	}
	return strings.Join(names, " ")
}

func TestConceptRules(t *testing.T) {
	c, err := Load(conceptFS(testConcepts, testRules))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want string // the c: names expected, in order; "" for none
	}{
		// any order inside a clause
		{"ik wil dood", "c:want-die"},
		{"dood wil ik", "c:want-die"},
		{"wil ik eigenlijk wel dood", "c:want-die"},
		{"k wou sterven", "c:want-die"}, // chat spelling
		{"ik heb de pillen gespaard", "c:means c:signs"},
		{"gespaard heb ik de pillen", "c:means c:signs"},
		// not across sentences, nor across a CLAUSE word
		{"ik wil slapen. dood moe", ""},
		{"ik wil eten maar dood", ""},
		// negation governs the concept right after it ...
		{"ik wil niet dood", ""},
		{"ik wil echt niet dood", ""},
		{"i dont wanna die", ""},
		// ... but not past a clause word (clause.txt) or a comma
		{"niet slapen en ik wil dood", "c:want-die"},
		{"nee niet, ik wil dood", "c:want-die"},
		// exceptions (idioms) remove the concept
		{"ik wil dood van het lachen", ""},
		// English
		{"i wanna die", "c:want-die"},
		// a concept excluded by "-"
		{"de pillen zijn klaar haha", "c:signs"},
		// 2 of ... @near: across sentences, within conceptNear words
		{"de pillen liggen hier. ik ben er klaar voor.", "c:signs"},
		{"pillen. " + strings.Repeat("en toen ", 30) + "klaar", ""},
		// the concepts of one rule are different words
		{"ik", ""},
		// ignore: a joke lowers the threat, never suicide
		{"ik ga hem vermoorden", "c:threat"},
		{"ik ga hem vermoorden haha", ""},
		{"ik ga hem vermoorden 😂", ""},
		{"ik ga hem vermoorden. ik wil dood haha", "c:threat c:want-die"},
		{"ik wil dood haha", "c:want-die"},
	}
	for _, tt := range tests {
		r := c.Classify(tt.in)
		got := ruleNames(r)
		if sortedNames(got) != sortedNames(tt.want) {
			t.Errorf("%q: matched %q, want %q", tt.in, got, tt.want)
		}
	}
	// a concept match is an ordinary match with the words found
	r := c.Classify("dood wil ik")
	if r.Severity != Urgent || r.Category != Suicide || len(r.Matches) != 1 || r.Matches[0].Text != "dood ... wil ... ik" {
		t.Errorf("got %+v", r)
	}
}

func sortedNames(s string) string {
	f := strings.Fields(s)
	for i := range f {
		for j := i + 1; j < len(f); j++ {
			if f[j] < f[i] {
				f[i], f[j] = f[j], f[i]
			}
		}
	}
	return strings.Join(f, " ")
}

func TestConceptLoadErrors(t *testing.T) {
	bad := []struct{ name, concepts, rules, where string }{
		{"lower-case name", "self = ik\n", "", "concepts.txt:1"},
		{"no list", "SELF ik\n", "", "concepts.txt:1"},
		{"empty item", "SELF = ik, , me\n", "", "concepts.txt:1"},
		{"chat spelling", "\nNEG = nie\n", "", "concepts.txt:2"},
		{"unknown concept", "SELF = ik\n", "urgent suicide x SELF + DOOD\n", "rules.txt:1"},
		{"bad severity", "SELF = ik\n", "critical suicide x SELF\n", "rules.txt:1"},
		{"bad category", "SELF = ik\n", "urgent weather x SELF\n", "rules.txt:1"},
		{"dangling plus", "SELF = ik\nDIE = dood\n", "# c\nurgent suicide x SELF + DIE +\n", "rules.txt:2"},
		{"missing plus", "SELF = ik\nDIE = dood\n", "urgent suicide x SELF DIE\n", "rules.txt:1"},
		{"NEG in a rule", "NEG = niet\nSELF = ik\n", "urgent suicide x SELF + NEG\n", "rules.txt:1"},
		{"name reused", "SELF = ik\n", "urgent suicide x SELF\nhigh suicide x SELF\n", "rules.txt:2"},
		{"too many of", "SELF = ik\nDIE = dood\n", "urgent suicide x 3 of SELF DIE\n", "rules.txt:1"},
		{"bad scope", "SELF = ik\n", "urgent suicide x SELF @far\n", "rules.txt:1"},
		{"joke hides suicide", "SELF = ik\nJOKE = haha\n", "urgent suicide x SELF\nignore JOKE c:x\n", "rules.txt:2"},
		{"joke hides self-harm", "JOKE = haha\n", "ignore JOKE selfharm\n", "rules.txt:1"},
		{"ignore near only", "JOKE = haha\n", "ignore JOKE @near\n", "rules.txt:1"},
		{"ignore unknown", "JOKE = haha\n", "ignore JOKE nothing\n", "rules.txt:1"},
	}
	for _, b := range bad {
		_, err := Load(conceptFS(b.concepts, b.rules))
		if err == nil {
			t.Errorf("%s: no error", b.name)
			continue
		}
		if !strings.Contains(err.Error(), b.where) {
			t.Errorf("%s: error %q does not name %s", b.name, err, b.where)
		}
	}
}

// A negation inside a concept phrase belongs to that phrase; "ignore ...
// @near" looks past the sentence.
func TestConceptPhraseNegationAndNearIgnore(t *testing.T) {
	concepts := `
NEG = niet
SELF = ik
NONEED = heb ... niet meer nodig
AWAY = waar ik heen ga
FILM = film
`
	rules := `
urgent  suicide  gone  NONEED + AWAY
ignore  FILM  verdriet @near
`
	c, err := Load(conceptFS(concepts, rules))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"ik heb ze niet meer nodig waar ik heen ga", "c:gone"},
		{"ik ben verdrietig", "verdriet"},
		{"we keken een film. ik was zo verdrietig", ""},
		{"film. " + strings.Repeat("en toen ", 30) + "ik was verdrietig", "verdriet"},
	}
	for _, tt := range tests {
		if got := ruleNames(c.Classify(tt.in)); got != tt.want {
			t.Errorf("%q: matched %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The real data: a few messages per kind of concept rule, checked with the
// rules alone (not the trained model).
func TestConceptData(t *testing.T) {
	c := mustDefault(t)
	tests := []struct {
		in   string
		want Severity
		cat  Category
	}{
		// order inside a clause does not matter
		{"dood wil ik", Urgent, Suicide},
		{"naar de hemel wil ik, bij opa", Urgent, Suicide},
		{"in mijn arm heb ik gesneden", Urgent, SelfHarm},
		{"ik heb gesneden in mijn arm", Urgent, SelfHarm},
		{"de slaappillen heb ik al weken gespaard", Urgent, Suicide},
		{"mn stiefvader slaat mijn broertje nu", Urgent, Violence},
		{"nu slaat mijn stiefvader mijn broertje", Urgent, Violence},
		// warning signs without a word for death
		{"ik geef mijn spullen weg want ik heb ze toch niet meer nodig", Urgent, Suicide},
		{"ik ben alleen maar een last voor iedereen", High, Suicide},
		// negation
		{"ik wil niet dood", None, ""},
		{"ik heb mezelf niet gesneden", None, ""},
		{"ik ga mezelf niet vermoorden", None, ""},
		{"ik kan niet slapen en ik wil dood", Urgent, Suicide},
		// idioms, traps and jokes
		{"ik ga dood van het lachen", None, ""},
		{"ik heb met een mes brood gesneden", None, ""},
		{"spiderman springt van dak naar dak", None, ""},
		{"op het nieuws was een brand in amsterdam", None, ""},
		{"ik ben kapot van het lachen", None, ""},
		{"ik ga je vermoorden in fifa haha", None, ""},
		{"ik wil dood haha", Urgent, Suicide}, // a joke never hides suicide
		{"ik sneed mezelf haha", Urgent, SelfHarm},
		// English
		{"i want to kill myself tonight", Urgent, Suicide},
		{"i dont want to live anymore", Urgent, Suicide},
		{"i don't want to die", None, ""},
		{"he hit me again", Urgent, Violence},
		{"i can't breathe", Urgent, Danger},
		{"cutting again rn", Urgent, SelfHarm},
		{"my electricity got cut off today", High, Money},
		// plans, means and places said without a word for death
		{"heb een touw gekocht, ik weet al welke balk", Urgent, Suicide},
		{"ik sta op het dak. er zit een brief in mijn jas voor als ze me vinden", Urgent, Suicide},
		{"de pillen liggen in een bakje met een glas water ernaast. het is genoeg", Urgent, Suicide},
		{"mijn moeder hoeft straks niet meer voor mij te zorgen, ik regel het wel", Urgent, Suicide},
		{"ik heb er geen zin meer in. ich wil neet mie leve", Urgent, Suicide}, // regional spelling
		// emergencies and violence told in other words
		{"mijn neefje van 3 heeft vaatwastabletten in zijn mond gestopt", Urgent, Danger},
		{"er staat een kerel aan de deur die binnen wil komen, ik ben alleen thuis", Urgent, Danger},
		{"hij heeft een mes gepakt en zegt dat ik de nacht niet haal", Urgent, Violence},
		{"ik heb mezelf met een naald in mijn arm gestoken", Urgent, SelfHarm},
		{"me vader fon me vroeger met de riem", High, Violence}, // street: fon = slaan
		// traps: idioms, stories, sport, the kitchen, compound words
		{"ik ben helemaal gevallen voor mijn nieuwe buurman", None, ""},
		{"I shot my shot and she said yes", None, ""},
		{"mijn pizza is verbrand, de rookmelder ging af", None, ""},
		{"ik ben kapot van het fietsen", None, ""},
		{"uien snijden en ik moet zo huilen", None, ""},
		{"mijn vader sloeg de snoek op zijn kop", None, ""},
		{"we hebben touw gekocht voor het kamp van de scouting", None, ""},
		{"in de film wordt een meisje ontvoerd", None, ""},
		{"ik zou die kat wel kunnen wurgen", None, ""},
		{"we hebben gebokst en ik heb hem goed geslagen op de pads", None, ""},
		{"zaterdag ga ik met mevrouw jansen naar de kermis", None, ""},
		// fourth pass: overdoses with drink, allergy, a spiked drink, plans
		{"twee glazen wijn en toen mijn slaappillen, nu voel ik me heel raar", Urgent, Danger},
		{"ik at een nootje en nu zwelt mijn keel, mijn keel zit dicht", Urgent, Danger},
		{"volgens mij heeft iemand iets in mijn drankje gedaan", Urgent, Danger},
		{"mijn opa viel in de tuin en hij beweegt niet meer", Urgent, Danger},
		{"i have the rope in my backpack", Urgent, Suicide},
		{"ik ga naar de rivier en kom nooit meer terug", Urgent, Suicide},
		{"de oxazepam van mijn moeder heb ik. neem ik ze allemaal vanavond", Urgent, Suicide},
		{"mijn broer pakt elke week mijn pijnstillers af", High, Exploitation},
		{"hij sluit de deur af zodat ik niet weg kan", High, Violence},
		// fourth pass traps
		{"mijn oma heeft me drie keer geslagen met ganzenbord", None, ""},
		{"ruzie gehad over de afwas, nu is het weer goed", None, ""},
		{"het tentamen viel best mee", None, ""},
		{"mijn telefoon is dead, ik bel je straks", None, ""},
	}
	for _, tt := range tests {
		r := c.classifyRules(tt.in)
		if r.Severity != tt.want || r.Category != tt.cat {
			t.Errorf("%q: %s/%s, want %s/%s (%v)", tt.in, r.Severity, r.Category, tt.want, tt.cat, r.Matches)
		}
	}
}
