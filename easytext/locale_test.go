package easytext

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func lintTestdata(t *testing.T, name string) []Report {
	t.Helper()
	rs, err := LintLocaleFS(os.DirFS("testdata"), name)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func byKey(rs []Report) map[string]Report {
	m := map[string]Report{}
	for _, r := range rs {
		m[r.Key] = r
	}
	return m
}

func TestLintGoodLocale(t *testing.T) {
	rs := lintTestdata(t, "good.nl.yaml")
	if len(rs) != 22 {
		t.Errorf("%d messages, want 22 (one is skipped)", len(rs))
	}
	for _, r := range rs {
		if len(r.Findings) > 0 {
			t.Errorf("%s: %q: %+v", r.Key, r.Text, r.Findings)
		}
		if strings.Contains(r.Text, "{{") {
			t.Errorf("%s: template not filled: %q", r.Key, r.Text)
		}
	}
	m := byKey(rs)
	for key, want := range map[string]string{
		"welcome":         "👋 Hoi Sanne! Ik ben Waakvlam. Ik help je met je dag.",
		"coach.intro":     "💬 Dit is Piet. Piet is je coach.",
		"reminder.waste":  "🗑️ Morgen om 9 uur komt de vuilniswagen.\nZet je afval buiten.",
		"tasks.left[one]": "✅ Nog 1 taak voor vandaag.",
		"tasks.left":      "✅ Nog 3 taken voor vandaag.",
		"tasks.done":      "Goed gedaan, Sanne! 🎉",
		"invite.ok":       "✅ Gelukt! Je code K7M2Q9 werkt. Welkom!",
	} {
		if m[key].Text != want {
			t.Errorf("%s: text %q, want %q", key, m[key].Text, want)
		}
	}
	for key, kind := range map[string]string{"button.yes": KindButton, "buttons.stop": KindButton, "command.start": KindCommand, "welcome": KindMessage} {
		if m[key].Kind != kind {
			t.Errorf("%s: kind %q, want %q", key, m[key].Kind, kind)
		}
	}
	if _, ok := m["coach.alert"]; ok {
		t.Error("coach.alert has easytext:skip but was checked")
	}
}

func TestLintBadLocale(t *testing.T) {
	rs := lintTestdata(t, "bad.nl.yaml")
	m := byKey(rs)
	want := map[string][]string{
		"long":           {RuleSentenceLength},
		"many":           {RuleSentences},
		"questions":      {RuleQuestions},
		"question.first": {RuleQuestionLast},
		"hard":           {RuleHardWord},
		"phrase":         {RuleHardWord},
		"polite":         {RuleUForm},
		"abbr":           {RuleAbbreviation},
		"acronym":        {RuleAcronym},
		"passive":        {RulePassive},
		"longword":       {RuleLongWord},
		"flesch":         {RuleFleschDouma, RuleLongWordShare},
		"empty":          {RuleEmpty},
		"broken":         {RuleTemplate},
		"button.long":    {RuleButton},
		"button.plain":   {RuleButtonEmoji},
		"command.stop":   {RuleHardWord},
	}
	for key, rules := range want {
		r, ok := m[key]
		if !ok {
			t.Errorf("%s: not in the report", key)
			continue
		}
		for _, rule := range rules {
			if !hasRule(r, rule) {
				t.Errorf("%s: no %s finding in %+v", key, rule, r.Findings)
			}
		}
	}
	if r := m["unknown"]; len(r.Findings) > 0 || r.Text != "Vergeet iets niet." {
		t.Errorf("unknown placeholder: text %q findings %+v, want the fallback and no findings", r.Text, r.Findings)
	}
	if Errors(rs) == 0 {
		t.Error("no errors in the bad file")
	}
}

func hasRule(r Report, rule string) bool {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

func TestLintEnglishLocale(t *testing.T) {
	if rs := lintTestdata(t, "good.en.yaml"); Errors(rs) != 0 {
		t.Errorf("good.en.yaml: %d errors", Errors(rs))
	}
	m := byKey(lintTestdata(t, "bad.en.yaml"))
	for key, rule := range map[string]string{"long": RuleSentenceLength, "questions": RuleQuestions, "button.plain": RuleButton} {
		if !hasRule(m[key], rule) {
			t.Errorf("bad.en.yaml %s: no %s finding in %+v", key, rule, m[key].Findings)
		}
	}
	for _, r := range m {
		if r.Lang != "en" || r.FleschDouma != 0 {
			t.Errorf("%s: lang %q, Flesch–Douma %v; want en and none", r.Key, r.Lang, r.FleschDouma)
		}
	}
}

func TestLintLocaleFile(t *testing.T) {
	a, err := LintLocaleFile(filepath.Join("testdata", "bad.nl.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b := lintTestdata(t, "bad.nl.yaml")
	if len(a) != len(b) || Errors(a) != Errors(b) {
		t.Errorf("LintLocaleFile and LintLocaleFS differ: %d/%d messages, %d/%d errors", len(a), len(b), Errors(a), Errors(b))
	}
	if _, err := LintLocaleFile(filepath.Join("testdata", "missing.nl.yaml")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestLintLocaleForms(t *testing.T) {
	fsys := fstest.MapFS{
		"nl.yaml": {Data: []byte(`# easytext:skip
first: "Dit is een veel te lange zin voor een chat met een cliënt van Waakvlam vandaag."
second: "Goed zo!"
plural:
  one: "Nog {{.Count}} taak."
  other: "Nog {{.Count}} taken."
delims:
  leftDelim: "<<"
  rightDelim: ">>"
  other: "Hoi <<.Name>>!"
count: "{{if gt .Count 1}}Nog {{.Count}} taken.{{else}}Nog 1 taak.{{end}}"
nested:
  deeper:
    text: "Hoi {{.Client.Name}}."
ignored:
  # easytext:ignore u-form, hard-word
  other: "Heeft u reeds gegeten?"
`)},
		"active.nl.yaml": {Data: []byte(`- id: welcome
  translation: "Hoi {{.Name}}!"
- id: bye
  other: "Dag {{.Coach}}."
`)},
		"broken.nl.yaml": {Data: []byte("key: [unclosed\n")},
		"nl.json":        {Data: []byte(`{"key": "Hoi"}`)},
		"list.nl.yaml":   {Data: []byte("key:\n  - a\n  - b\n")},
		"empty.nl.yaml":  {Data: []byte("")},
	}
	rs, err := LintLocaleFS(fsys, "nl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := byKey(rs)
	if _, ok := m["first"]; ok {
		t.Error("first key: easytext:skip ignored")
	}
	for key, want := range map[string]string{
		"second":             "Goed zo!",
		"plural[one]":        "Nog 1 taak.",
		"plural":             "Nog 3 taken.",
		"delims":             "Hoi Sanne!",
		"count":              "Nog 3 taken.",
		"nested.deeper.text": "Hoi Sanne.",
		"ignored":            "Heeft u reeds gegeten?",
	} {
		r, ok := m[key]
		if !ok {
			t.Errorf("%s: missing", key)
			continue
		}
		if r.Text != want || len(r.Findings) > 0 {
			t.Errorf("%s: text %q findings %+v, want %q and none", key, r.Text, r.Findings, want)
		}
	}
	rs, err = LintLocaleFS(fsys, "active.nl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Key != "welcome" || rs[0].Text != "Hoi Sanne!" || rs[1].Text != "Dag Piet." {
		t.Errorf("list form: %+v", rs)
	}
	for _, name := range []string{"broken.nl.yaml", "nl.json", "list.nl.yaml", "missing.yaml"} {
		if _, err := LintLocaleFS(fsys, name); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if rs, err := LintLocaleFS(fsys, "empty.nl.yaml"); err != nil || len(rs) != 0 {
		t.Errorf("empty file: %v, %v", rs, err)
	}
}

func TestLangOf(t *testing.T) {
	for name, want := range map[string]string{
		"nl.yaml": "nl", "en.yaml": "en", "active.nl.yaml": "nl", "locales/nl-NL.yml": "nl",
		"en_GB.yaml": "en", "messages.yaml": "", "x.yaml": "",
	} {
		if got := LangOf(name); got != want {
			t.Errorf("LangOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestFillTemplate(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Hoi {{.Name}}, dit is {{.Coach}}.", "Hoi Sanne, dit is Piet."},
		{"Om {{.Time}} of {{ .time }}", "Om 9 uur of 9 uur"},
		{"Code: {{.Code}}", "Code: K7M2Q9"},
		{"{{.Onbekend}} en {{.Count}}", "iets en 3"},
		{"{{- .Name -}} !", "Sanne!"},
		{"{{if .Name}}Ja{{else}}Nee{{end}}", "Ja"},
		{"{{with .Coach}}Coach {{.}}{{end}}", "Coach Piet"},
		{"Geen template", "Geen template"},
		// Templates that do not run fall back to plain replacement.
		{"Hoi {{.Name | upper}}", "Hoi Sanne"},
		{"{{range .Items}}x{{end}}klaar", "xklaar"},
		{"Kapot {{.Name", "Kapot {{.Name"},
	}
	for _, c := range cases {
		got, _ := FillTemplate(c.in)
		if got != c.want {
			t.Errorf("FillTemplate(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if _, err := FillTemplate("Hoi {{.Name | upper}}"); err == nil {
		t.Error("unknown function: no error")
	}
}

// TestWriteTableGolden compares WriteTable's output with testdata/*.golden.
// Run "go test ./easytext -update" to rewrite them after a deliberate change.
func TestWriteTableGolden(t *testing.T) {
	cases := []struct {
		file   string
		all    bool
		golden string
	}{
		{"bad.nl.yaml", false, "bad.nl.golden"},
		{"good.nl.yaml", true, "good.nl.golden"},
		{"good.nl.yaml", false, "good-findings.nl.golden"},
		{"bad.en.yaml", true, "bad.en.golden"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := WriteTable(&b, lintTestdata(t, c.file), c.all); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", c.golden)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("WriteTable(%s, all=%v) differs from %s (run with -update after a deliberate change)\n--- got\n%s--- want\n%s",
				c.file, c.all, path, b.String(), want)
		}
	}
}

func TestReportString(t *testing.T) {
	s := CheckText("Heeft u tijd?").String()
	for _, want := range []string{"(text)", "u-form", `"u" → "je"`, "1 message: 0 ok, 1 with findings; 1 error, 0 warnings"} {
		if !strings.Contains(s, want) {
			t.Errorf("Report.String() lacks %q:\n%s", want, s)
		}
	}
}
