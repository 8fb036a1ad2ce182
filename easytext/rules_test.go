package easytext

import (
	"math"
	"strings"
	"testing"
)

// ruleCases holds a good and a bad example for every rule. want is the
// severity the rule must report, or "" when it must stay silent.
var ruleCases = []struct {
	rule, key, text, want string
}{
	{RuleSentenceLength, "", "Je coach belt je morgen om 9 uur.", ""},
	{RuleSentenceLength, "", "Morgen om 9 uur komt je coach Piet bij je thuis langs om samen te praten.", Error},
	{RuleSentenceLength, "", "Morgen om 9 uur komt je coach Piet bij je thuis langs.", Warning},
	{RuleSentences, "", "Hoi. Dit is een bericht. Het heeft drie zinnen.", ""},
	{RuleSentences, "", "Hoi. Dit is een bericht. Het heeft vier zinnen. Dat is te veel.", Error},
	{RuleQuestions, "", "Gaat het goed? Fijn.", ""},
	{RuleQuestions, "", "Hoe gaat het? Heb je goed geslapen?", Error},
	{RuleQuestionLast, "", "Tijd voor je pillen. Heb je ze genomen?", ""},
	{RuleQuestionLast, "", "Heb je je pillen genomen? Druk dan op de knop.", Warning},
	{RuleFleschDouma, "", "💬 Ik heb je vraag naar Sanne gestuurd. Sanne is je coach. Ze antwoordt vandaag of morgen.", ""},
	{RuleFleschDouma, "", "Verzekeringsmaatschappijen informeren onduidelijk. Gemeentelijke voorzieningen functioneren onvoldoende.", Error},
	{RuleFleschDouma, "", "Verzekeringsmaatschappijen functioneren onvoldoende.", ""}, // one sentence: not scored
	{RuleLongWord, "", "Lees de brief van je zorgverzekering.", Warning},
	{RuleLongWord, "", "Lees de brief van je verzekering.", ""},
	{RuleLongWordShare, "", "Vergeet je medicijnen en je herinnering niet.", Warning},
	{RuleLongWordShare, "", "Vergeet je medicijnen niet. Ze liggen in de keuken.", ""},
	{RuleHardWord, "", "Als je vragen hebt, bel me.", ""},
	{RuleHardWord, "", "Indien je vragen hebt, bel me.", Error},
	{RuleHardWord, "", "Ik bel je zo spoedig mogelijk terug.", Error},
	{RuleHardWord, "", "Je krijgt morgen een brief.", ""},
	{RuleHardWord, "", "Je ontvangt morgen een brief.", Error},
	{RuleUForm, "", "Heb je je pillen genomen?", ""},
	{RuleUForm, "", "Heeft u uw pillen genomen?", Error},
	{RuleUForm, "", "U kunt mij bellen.", Error},
	{RuleUForm, "", "Wat een uur!", ""},
	{RuleAbbreviation, "", "Ik bel je zo snel als ik kan.", ""},
	{RuleAbbreviation, "", "Ik bel je z.s.m. terug.", Error},
	{RuleAbbreviation, "", "Ik bel je z.s.m.", Error},
	{RuleAbbreviation, "", "Ik bel je zsm terug.", Error},
	{RuleAbbreviation, "", "Bel tel. 0800-0113.", Error},
	{RuleAbbreviation, "", "Ik tel. Jij ook.", ""},
	{RuleAbbreviation, "", "Kom op 3 t/m 5 maart.", Error},
	{RuleAcronym, "", "Ga morgen naar de GGD.", Warning},
	{RuleAcronym, "", "Zet de TV aan. OK?", ""},
	{RuleAcronym, "", "STOP", ""},
	{RulePassive, "", "Je coach stuurt morgen je brief.", ""},
	{RulePassive, "", "Je brief wordt morgen gestuurd.", Warning},
	{RulePassive, "", "Je bericht is verstuurd.", Warning},
	{RulePassive, "", "Je bericht is naar Piet doorgestuurd.", Warning},
	{RulePassive, "", "Het is gelukt!", ""},
	{RulePassive, "", "Je bent gestopt. Dat is goed.", ""},
	{RulePassive, "", "Ben je gezond? Dat is fijn.", ""},
	{RulePassive, "", "Dat is 2 dagen geleden.", ""},
	{RuleButton, "button.yes", "✅ Ja", ""},
	{RuleButton, "button.coach", "💬 Mijn coach nu", ""},
	{RuleButton, "button.long", "✅ Ik wil met mijn coach praten", Error},
	{RuleButton, "button.empty", "✅", Error},
	{RuleButtonEmoji, "button.yes", "✅ Ja", ""},
	{RuleButtonEmoji, "button.yes", "Ja", Error},
	{RuleButtonEmoji, "welcome", "Hoi!", ""}, // not a button
	{RuleEmpty, "", "Hoi!", ""},
	{RuleEmpty, "", "  \n", Error},
	{RuleEmpty, "", "👍", ""},
}

func TestRules(t *testing.T) {
	for _, c := range ruleCases {
		r := CheckMessage(c.key, c.text)
		got := ""
		for _, f := range r.Findings {
			if f.Rule == c.rule && (got == "" || f.Severity == Error) {
				got = f.Severity
			}
		}
		if got != c.want {
			t.Errorf("%s on %q (key %q): got %q, want %q; findings %+v", c.rule, c.text, c.key, got, c.want, r.Findings)
		}
	}
}

func TestRuleDetails(t *testing.T) {
	cases := []struct{ text, detail string }{
		{"Indien je wilt, bel me.", `"indien" → "als"`},
		{"Wij wijzigen je afspraak.", `"wijzigen" → "veranderen"`},
		{"Beëindigen kan altijd.", `"beëindigen" → "stoppen"`},
		{"Heeft u tijd?", `"u" → "je"`},
		{"Ik bel z.s.m. terug.", `"z.s.m." → "zo snel als je kunt, of noem de dag"`},
		{"Een zin met heel erg veel woorden die echt veel te lang is voor een chat.", `sentence of 16 words (max 12): "Een zin met`},
		{"Wat? Nou? Echt?", "3 questions (max 1)"},
	}
	for _, c := range cases {
		r := CheckText(c.text)
		found := false
		for _, f := range r.Findings {
			found = found || strings.Contains(f.Detail, c.detail)
		}
		if !found {
			t.Errorf("CheckText(%q): no finding with %q in %+v", c.text, c.detail, r.Findings)
		}
	}
}

func TestKindOf(t *testing.T) {
	for key, want := range map[string]string{
		"welcome": KindMessage, "button.yes": KindButton, "buttons.later": KindButton,
		"command.start": KindCommand, "commands.help": KindCommand, "Button.Yes": KindButton,
		"unknown.button": KindMessage, "unknown.command": KindMessage, "menu.stop.button": KindMessage,
		"buttonless": KindMessage, "reminder.pills": KindMessage,
	} {
		if got := KindOf(key); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestFleschDouma(t *testing.T) {
	cases := []struct {
		name                        string
		words, sentences, syllables int
		want                        float64
	}{
		{"formula", 100, 10, 150, 206.84 - 0.77*150 - 0.93*10},
		{"guide example", 16, 3, 22, 206.84 - 0.77*137.5 - 0.93*16.0/3},
		{"no words", 0, 0, 0, 0},
	}
	for _, c := range cases {
		if got := FleschDouma(c.words, c.sentences, c.syllables); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: FleschDouma(%d, %d, %d) = %v, want %v", c.name, c.words, c.sentences, c.syllables, got, c.want)
		}
	}
}

// TestMeasures checks the counts and the Flesch–Douma score of known texts.
// The syllables are counted by hand in the comments.
func TestMeasures(t *testing.T) {
	cases := []struct {
		text                                         string
		words, sentences, questions, maxw, syllables int
		longWords                                    int
		fd                                           float64
	}{
		// ik heb je vraag naar (5) san-ne (2) ge-stuurd (2) | san-ne is je coach (5) | ze ant-woordt van-daag of mor-gen (8)
		{"💬 Ik heb je vraag naar Sanne gestuurd. Sanne is je coach. Ze antwoordt vandaag of morgen.",
			16, 3, 0, 7, 22, 0, 96.005},
		// tijd voor je pil-len (5) | heb je ze ge-no-men (6)
		{"💊 Tijd voor je pillen. Heb je ze genomen?", 8, 2, 1, 4, 11, 0, 97.245},
		// de kat zit op de mat: 6 words, 6 syllables, one sentence
		{"De kat zit op de mat.", 6, 1, 0, 6, 6, 0, 124.26},
		// heeft u uw me-di-ca-tie reeds in-ge-no-men
		{"Heeft u uw medicatie reeds ingenomen?", 6, 1, 1, 6, 12, 2, 206.84 - 0.77*200 - 0.93*6},
		// bel (1) 0800-0113 (2) om (1) 19.30 (2) uur (1)
		{"Bel 0800-0113 om 19.30 uur.", 5, 1, 0, 5, 7, 0, 206.84 - 0.77*140 - 0.93*5},
	}
	for _, c := range cases {
		r := CheckText(c.text)
		if r.Words != c.words || r.Sentences != c.sentences || r.Questions != c.questions ||
			r.MaxSentenceWords != c.maxw || r.Syllables != c.syllables || r.LongWords != c.longWords {
			t.Errorf("CheckText(%q): words %d sentences %d questions %d max %d syllables %d long %d, want %d %d %d %d %d %d",
				c.text, r.Words, r.Sentences, r.Questions, r.MaxSentenceWords, r.Syllables, r.LongWords,
				c.words, c.sentences, c.questions, c.maxw, c.syllables, c.longWords)
		}
		if math.Abs(r.FleschDouma-c.fd) > 0.01 {
			t.Errorf("CheckText(%q): Flesch–Douma %.3f, want %.3f", c.text, r.FleschDouma, c.fd)
		}
	}
}

// TestGuideExamples runs the examples of shared/EASY-DUTCH.md.
func TestGuideExamples(t *testing.T) {
	for _, good := range []string{
		"💬 Ik heb je vraag naar Sanne gestuurd. Sanne is je coach. Ze antwoordt vandaag of morgen.",
		"💊 Tijd voor je pillen. Heb je ze genomen?",
		"Je coach belt je.",
		"Morgen om 9 uur.",
	} {
		if r := CheckText(good); len(r.Findings) > 0 {
			t.Errorf("good example %q: %+v", good, r.Findings)
		}
	}
	for _, bad := range []string{
		"Uw verzoek is in behandeling genomen en zal zo spoedig mogelijk worden afgehandeld.",
		"Heeft u uw medicatie reeds ingenomen?",
	} {
		if r := CheckText(bad); r.Errors() == 0 {
			t.Errorf("bad example %q: no errors", bad)
		}
	}
}

func TestEnglishGetsStructuralRulesOnly(t *testing.T) {
	r := check("welcome", "Please contact u immediately. Indien. Where? Why?", KindMessage, "en")
	for _, f := range r.Findings {
		switch f.Rule {
		case RuleQuestions, RuleSentences, RuleQuestionLast:
		default:
			t.Errorf("English text got Dutch rule %s: %s", f.Rule, f.Detail)
		}
	}
	if r.FleschDouma != 0 {
		t.Errorf("English text got a Flesch–Douma score %v", r.FleschDouma)
	}
	if r.Errors() != 2 {
		t.Errorf("want 2 errors (sentences, questions), got %+v", r.Findings)
	}
}

func TestDataFiles(t *testing.T) {
	for _, name := range []string{"data/hardwords.tsv", "data/abbreviations.tsv"} {
		if _, err := readTable(name); err != nil {
			t.Error(err)
		}
	}
	hw := HardWords()
	if len(hw) < 150 {
		t.Errorf("%d hard words, want at least 150", len(hw))
	}
	// The guide's list must be there.
	for hard, easy := range map[string]string{
		"indien": "als", "ontvangen": "krijgen", "wijzigen": "veranderen", "beëindigen": "stoppen",
		"verzenden": "sturen", "teneinde": "om", "derhalve": "daarom", "middels": "met",
		"inmiddels": "nu", "verstrekken": "geven", "retourneren": "terugsturen", "consult": "afspraak",
	} {
		if hw[hard] != easy {
			t.Errorf("HardWords()[%q] = %q, want %q", hard, hw[hard], easy)
		}
	}
	// An easy alternative must not itself be a hard word.
	for hard, easy := range hw {
		if _, bad := hw[easy]; bad {
			t.Errorf("%q → %q, but %q is itself on the list", hard, easy, easy)
		}
	}
	hw["indien"] = "changed"
	if HardWords()["indien"] != "als" {
		t.Error("HardWords returns the shared map, want a copy")
	}
	ab := Abbreviations()
	for _, a := range []string{"z.s.m.", "t.z.t.", "i.v.m.", "m.b.t.", "svp", "a.u.b."} {
		if _, ok := ab[a]; !ok {
			t.Errorf("abbreviation %q missing", a)
		}
	}
}

func TestErrorsCount(t *testing.T) {
	rs := []Report{CheckText("Heeft u uw medicatie reeds ingenomen?"), CheckText("Goed zo!")}
	if got, want := Errors(rs), rs[0].Errors(); got != want || got != 4 {
		t.Errorf("Errors = %d, report 0 has %d, want 4", got, want)
	}
}
