package easytext

import (
	"reflect"
	"testing"
)

func TestSplitSentences(t *testing.T) {
	cases := []struct {
		name      string
		text      string
		want      []string
		questions []bool // nil: no question anywhere
	}{
		{"emoji at start", "💊 Tijd voor je pillen. Heb je ze genomen?",
			[]string{"💊 Tijd voor je pillen.", "Heb je ze genomen?"}, []bool{false, true}},
		{"phone number", "Bel 0800-0113. Of kom om 19.30 uur.",
			[]string{"Bel 0800-0113.", "Of kom om 19.30 uur."}, nil},
		{"clock time", "Om 8:00 begint het. Tot dan!",
			[]string{"Om 8:00 begint het.", "Tot dan!"}, nil},
		{"ellipsis", "Even kijken… Ik ben zo terug.",
			[]string{"Even kijken…", "Ik ben zo terug."}, nil},
		{"three dots", "Even kijken... Ik ben zo terug.",
			[]string{"Even kijken...", "Ik ben zo terug."}, nil},
		{"newline ends a sentence", "Hoi Sanne\nHoe gaat het?",
			[]string{"Hoi Sanne", "Hoe gaat het?"}, []bool{false, true}},
		{"crlf", "Wat wil je?\r\nKies een knop.",
			[]string{"Wat wil je?", "Kies een knop."}, []bool{true, false}},
		{"list lines", "Kies:\n✅ Ja\n⏰ Later",
			[]string{"Kies:", "✅ Ja", "⏰ Later"}, nil},
		{"emoji-only line is no sentence", "Top 👍\n\n🎉",
			[]string{"Top 👍"}, nil},
		{"emoji after a question", "Heb je ze genomen? ✅",
			[]string{"Heb je ze genomen?"}, []bool{true}},
		{"glued emoji", "✅ Gedaan!🎉 Goed zo.",
			[]string{"✅ Gedaan!", "🎉 Goed zo."}, nil},
		{"run of marks", "Echt?! Wat goed!!!",
			[]string{"Echt?!", "Wat goed!!!"}, []bool{true, false}},
		{"quote closes", "Hij zei: \"Kom maar.\" Daarna ging hij.",
			[]string{"Hij zei: \"Kom maar.\"", "Daarna ging hij."}, nil},
		{"web address", "Kijk op waakvlam.nl voor meer.",
			[]string{"Kijk op waakvlam.nl voor meer."}, nil},
		{"decimal", "Het duurt 1.5 uur.",
			[]string{"Het duurt 1.5 uur."}, nil},
		{"abbreviation with lower case after", "Het kost ca. 3 euro. Ik bel je z.s.m. en dan praten we.",
			[]string{"Het kost ca. 3 euro.", "Ik bel je z.s.m. en dan praten we."}, nil},
		{"word before a dot is no abbreviation", "Ik tel. Jij ook.",
			[]string{"Ik tel.", "Jij ook."}, nil},
		{"no end mark", "Hoi Sanne", []string{"Hoi Sanne"}, nil},
		{"empty", "", nil, nil},
		{"only emoji", "👍🎉", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := splitSentences(c.text)
			var texts []string
			var qs []bool
			anyQ := false
			for _, s := range got {
				texts = append(texts, s.Text)
				qs = append(qs, s.Question)
				anyQ = anyQ || s.Question
			}
			if !reflect.DeepEqual(texts, c.want) {
				t.Fatalf("splitSentences(%q)\n got %q\nwant %q", c.text, texts, c.want)
			}
			if c.questions == nil {
				if anyQ {
					t.Errorf("questions %v, want none", qs)
				}
			} else if !reflect.DeepEqual(qs, c.questions) {
				t.Errorf("questions %v, want %v", qs, c.questions)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"💊 Tijd voor je e-mail, Sanne!", []string{"Tijd", "voor", "je", "e-mail", "Sanne"}},
		{"Bel 0800-0113 om 19.30 of 8:00.", []string{"Bel", "0800-0113", "om", "19.30", "of", "8:00"}},
		{"✅Gedaan — top👍", []string{"Gedaan", "top"}},
		{"foto's van 's avonds, t/m vrijdag", []string{"foto's", "van", "'s", "avonds", "t/m", "vrijdag"}},
		{"(z.s.m.)", []string{"z.s.m"}},
		{"*vet* en _schuin_", []string{"vet", "en", "schuin"}},
		{"🗑️ afval", []string{"afval"}},
		{"👩🏽‍⚕️ dokter", []string{"dokter"}},
	}
	for _, c := range cases {
		var got []string
		for _, tk := range tokens(c.text) {
			got = append(got, tk.Word)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("tokens(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestHasEmoji(t *testing.T) {
	for s, want := range map[string]bool{
		"✅ Ja": true, "💊": true, "🗑️ Afval": true, "⏰ Later": true, "🇳🇱": true, "❤️": true,
		"Ja": false, "Ja!": false, "9:00": false, "→": false, "": false,
	} {
		if got := hasEmoji(s); got != want {
			t.Errorf("hasEmoji(%q) = %v, want %v", s, got, want)
		}
	}
}
