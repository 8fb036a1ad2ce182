package easytext

import (
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

func FuzzCheckText(f *testing.F) {
	for _, s := range []string{
		"💬 Ik heb je vraag naar Sanne gestuurd. Sanne is je coach. Ze antwoordt vandaag of morgen.",
		"Uw verzoek is in behandeling genomen en zal zo spoedig mogelijk worden afgehandeld.",
		"Bel tel. 0800-0113 om 19.30 of 8:00… z.s.m.!?",
		"✅Gedaan!🎉\n\n\r\n'...'",
		"beëindigen ruïne coördinatie ïëü ÿ", "ij IJ j qu y yoga", ". . . ? ! …", "",
		"\xff\xfe", "a.b.c.d.e.f.g.", "teamcoachteamcoach",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := CheckText(s)
		if r.Words < 0 || r.Sentences > r.Words || r.Questions > r.Sentences || r.MaxSentenceWords > r.Words {
			t.Fatalf("inconsistent counts for %q: %+v", s, r)
		}
		if r.LongWordShare < 0 || r.LongWordShare > 1 {
			t.Fatalf("long word share %v for %q", r.LongWordShare, s)
		}
		for _, fd := range r.Findings {
			if fd.Rule == "" || (fd.Severity != Error && fd.Severity != Warning) || fd.Detail == "" {
				t.Fatalf("bad finding %+v for %q", fd, s)
			}
		}
		if utf8.ValidString(s) && Syllables(s) < 0 {
			t.Fatalf("Syllables(%q) < 0", s)
		}
		_ = CheckMessage("button.x", s)
		_, _ = FillTemplate(s)
	})
}

func FuzzLintLocale(f *testing.F) {
	f.Add([]byte("welcome: \"Hoi {{.Name}}!\"\nbutton:\n  yes: \"✅ Ja\"\n"))
	f.Add([]byte("- id: a\n  other: \"x {{if .N}}y{{end}}\"\n"))
	f.Add([]byte("a:\n  b:\n    one: \"{{.C.D}}\"\n    other: \"<<.X>>\"\n    leftDelim: \"<<\"\n    rightDelim: \">>\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = LintLocaleFS(fstest.MapFS{"nl.yaml": {Data: data}}, "nl.yaml")
	})
}
