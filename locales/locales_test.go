package locales

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestEveryLanguageHasTheSameKeys(t *testing.T) {
	tx, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	want := tx.Keys(Default)
	if len(want) < 20 {
		t.Fatalf("only %d keys in %s", len(want), Default)
	}
	for _, lang := range tx.Languages() {
		got := strings.Join(tx.Keys(lang), "\n")
		if got != strings.Join(want, "\n") {
			t.Errorf("%s.yaml keys differ from %s.yaml", lang, Default)
		}
	}
	if !tx.Supported("en") {
		t.Error("en missing")
	}
}

func TestTextRendersPlaceholdersAndFallsBack(t *testing.T) {
	tx, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	got := tx.Text("nl", "onboarding.welcome", map[string]any{"Name": "Sanne", "Coach": "Piet"}) + tx.Text("nl", "onboarding.coach", map[string]any{"Coach": "Piet"})
	if !strings.Contains(got, "Sanne") || !strings.Contains(got, "Piet is je coach") {
		t.Errorf("welcome = %q", got)
	}
	if got := tx.Text("xx", "button.help", nil); got != "❓ Help" {
		t.Errorf("unknown language fallback = %q", got)
	}
	if got := tx.Text("nl", "no.such.key", nil); got != "no.such.key" {
		t.Errorf("missing key = %q", got)
	}
}

// Adding a language is adding a file: a new file is loaded, offered and
// falls back to Dutch for keys it lacks.
func TestANewLanguageIsAFile(t *testing.T) {
	nl, err := files.ReadFile("nl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"nl.yaml": {Data: nl},
		"fy.yaml": {Data: []byte("lang.name: \"Frysk\"\nbutton.help: \"❓ Help\"\n")},
	}
	tx, err := LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if !tx.Supported("fy") || strings.Join(tx.Languages(), ",") != "fy,nl" {
		t.Fatalf("languages %v", tx.Languages())
	}
	if got := tx.Text("fy", "lang.name", nil); got != "Frysk" {
		t.Errorf("fy name = %q", got)
	}
	if got := tx.Text("fy", "menu.intro", nil); !strings.Contains(got, "Kies een knop") {
		t.Errorf("missing fy key does not fall back to nl: %q", got)
	}
}
