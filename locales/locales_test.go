package locales

import (
	"strings"
	"testing"
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
