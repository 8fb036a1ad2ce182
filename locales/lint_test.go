package locales

import (
	"strings"
	"testing"

	"github.com/waakvlam/waakvlam/easytext"
)

// TestDutchTextsAreEasy gates every nl text on the easy-language rules.
func TestDutchTextsAreEasy(t *testing.T) {
	reports, err := easytext.LintLocaleFS(FS(), "nl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) < 30 {
		t.Fatalf("linted only %d texts", len(reports))
	}
	if n := easytext.Errors(reports); n > 0 {
		var b strings.Builder
		_ = easytext.WriteTable(&b, reports, false)
		t.Fatalf("%d easy-language errors in nl.yaml:\n%s", n, b.String())
	}
}
