package signals

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

func mustDefault(t testing.TB) *Classifier {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSeverityText(t *testing.T) {
	for s, want := range map[Severity]string{None: "none", Attention: "attention", High: "high", Urgent: "urgent"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", int(s), s.String())
		}
		b, err := s.MarshalText()
		if err != nil || string(b) != want {
			t.Errorf("MarshalText(%d) = %q, %v", int(s), b, err)
		}
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("UnmarshalText(%q) = %v, %v", b, back, err)
		}
	}
	if !(None < Attention && Attention < High && High < Urgent) {
		t.Error("severities not ordered")
	}
	if _, err := Severity(9).MarshalText(); err == nil {
		t.Error("invalid severity marshalled")
	}
	b, _ := json.Marshal(Result{Severity: High, Category: Money})
	if !strings.Contains(string(b), `"severity":"high"`) {
		t.Errorf("json: %s", b)
	}
}

func TestNormalize(t *testing.T) {
	c := mustDefault(t)
	tests := []struct{ in, want string }{
		{"Ik wil DOOD", "ik wil dood"},
		{"k wil nie meer leve", "ik wil niet meer leve"},
		{"mn vriend", "mijn vriend"},
		{"m'n vriend", "mijn vriend"},
		{"neeeeee", "nee"},
		{"doooooood", "dood"},
		{"ikwilnietmeerleven", "ik wil niet meer leven"},
		{"ikwildood", "ik wil dood"},
		{"kwil dood", "ik wil dood"},
		{"ff bellen", "even bellen"},
		{"nix gegeten", "niks gegeten"},
		{"suïcide", "suicide"},
		{"café", "cafe"},
		{"ik wil dood.ik meen het", "ik wil dood | ik meen het"},
		{"help!!!", "help"},
		{"2dagen", "2 dagen"},
		{"😭😭", ":huil :huil"},
		{"👍🏽", ":duim"},
		{"vriendin", "vriendin"}, // not cut into "vriend in"
		{"doodmoe", "doodmoe"},   // an ordinary word, not cut
		{"zingen", "zingen"},     // not "zin geen": pieces are spelled out
		{"ikwilnietmeer", "ik wil niet meer"},
		{"kga dood vd lach", "ik ga dood van de lach"},
		{"", ""},
		{"   \t ", ""},
	}
	for _, tt := range tests {
		if got := c.Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSkeleton(t *testing.T) {
	same := [][2]string{
		{"leven", "leve"}, {"dood", "doot"}, {"wordt", "word"}, {"mijn", "myn"},
		{"zelfmoord", "zelfmoort"}, {"pillen", "pilen"}, {"zitten", "zitte"},
	}
	for _, p := range same {
		a, b := skeleton(baseForm(p[0])), skeleton(baseForm(p[1]))
		if a != b {
			t.Errorf("skeleton(%q)=%q, skeleton(%q)=%q; want equal", p[0], a, p[1], b)
		}
	}
	if skeleton(baseForm("112")) != "112" {
		t.Error("digits must not collapse")
	}
}

func sevOf(c *Classifier, text string) Severity { return c.Classify(text).Severity }

func TestNegation(t *testing.T) {
	c := mustDefault(t)
	tests := []struct {
		in   string
		want Severity
	}{
		{"ik wil niet meer leven", Urgent}, // the negation is the concern
		{"ik wil nie meer leve", Urgent},
		{"ik zie het niet meer zitten", Urgent},
		{"ik heb geen eten", High},
		{"ik ben niet verdrietig meer", None}, // negation before a concern
		{"ik ben niet meer verdrietig", None},
		{"ik ben verdrietig", Attention},
		{"ik wil niet dood", None}, // negation inside a gap
		{"ik wil echt niet dood hoor", None},
		{"ik wil dood", Urgent},
		{"ik wil niet meer, ik wil dood", Urgent}, // second clause stands alone
		{"ik kan niet slapen want ik wil dood", Urgent},
		{"ik hoor geen stemmen meer", None},
		{"ik hoor stemmen", High},
		{"ik voel me niet alleen meer", None},
		{"ik voel me alleen", Attention},
		{"ik heb geen schulden meer", None},
		{"geen stress", None},
	}
	for _, tt := range tests {
		if got := sevOf(c, tt.in); got != tt.want {
			t.Errorf("%q: %s, want %s (%v)", tt.in, got, tt.want, c.Classify(tt.in).Matches)
		}
	}
}

func TestIdioms(t *testing.T) {
	c := mustDefault(t)
	for _, in := range []string{
		"ik ga dood van het lachen",
		"ik ga dood van het lachen 😂😂",
		"ik lach me dood",
		"ik ben dood moe",
		"ik ben doodmoe",
		"ik ben DOOOODMOE",
		"die serie is killing",
		"mijn plant is dood",
		"mijn kat is dood gegaan",
		"mijn telefoon is dood",
		"ik verveel me dood",
		"ik schrok me dood",
		"ik kan niet meer wachten op vakantie",
		"ik kan niet meer stoppen met lachen",
		"ik ging dood in de game",
		"ik heb in mijn vinger gesneden per ongeluk",
		"ik ben naar het werk geweest",
	} {
		if r := c.Classify(in); r.Severity != None {
			t.Errorf("%q: %s %v, want none", in, r.Severity, r.Matches)
		}
	}
	// the same words without the saying are a concern
	for in, want := range map[string]Severity{
		"ik ga dood van het lachen maar eigenlijk wil ik dood": Urgent,
		"ik kan niet meer":                  High,
		"ik heb mezelf gesneden":            Urgent,
		"ik denk aan zelfmoort":             Urgent, // spelling
		"ik denk aan zelmoord":              Urgent, // one letter missing
		"zelfmoordgedachten":                Urgent, // prefix
		"de deurwaarder staat voor de deur": High,
		"ik heb schulden":                   Attention,
	} {
		if got := sevOf(c, in); got != want {
			t.Errorf("%q: %s, want %s (%v)", in, got, want, c.Classify(in).Matches)
		}
	}
}

func TestResultWorstFirst(t *testing.T) {
	c := mustDefault(t)
	r := c.Classify("ik heb schulden en ik wil dood 😭😭")
	if r.Severity != Urgent || r.Category != Suicide {
		t.Fatalf("got %s/%s", r.Severity, r.Category)
	}
	for i := 1; i < len(r.Matches); i++ {
		if r.Matches[i].Severity > r.Matches[i-1].Severity {
			t.Errorf("matches not worst first: %v", r.Matches)
		}
	}
	for _, m := range r.Matches {
		if m.Pattern == "" || m.Text == "" || m.Category == "" || m.Severity == None {
			t.Errorf("incomplete match %+v", m)
		}
	}
}

func TestLoadFromFolder(t *testing.T) {
	fsys := fstest.MapFS{
		"patterns/money.txt": {Data: []byte("# test\nhigh  geen-eten  geen eten\nattention schuld schuld*\n")},
		"negation.txt":       {Data: []byte("niet\ngeen\n")},
		"chat.txt":           {Data: []byte("nix = niks\n")},
	}
	c, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Classify("ik heb geen eten"); r.Severity != High || r.Category != Money || r.Matches[0].Pattern != "geen-eten" {
		t.Errorf("got %+v", r)
	}
	if r := c.Classify("schuldenlast"); r.Severity != Attention {
		t.Errorf("prefix: got %+v", r)
	}
	if r := c.Classify("ik wil dood"); r.Severity != None {
		t.Errorf("pattern from another folder leaked in: %+v", r)
	}
}

func TestLoadErrors(t *testing.T) {
	bad := map[string]string{
		"unknown category":  "patterns/weather.txt=urgent x regen",
		"bad severity":      "patterns/money.txt=critical x geld",
		"none severity":     "patterns/money.txt=none x geld",
		"too few fields":    "patterns/money.txt=high geld",
		"gap first":         "patterns/money.txt=high x ... geld",
		"gap last":          "patterns/money.txt=high x geld ...",
		"punctuation":       "patterns/money.txt=high x geld!",
		"chat spelling":     "patterns/money.txt=high x nix gegeten",
		"optional gap":      "patterns/money.txt=high x geld (...) op",
		"empty alternative": "patterns/money.txt=high x geld//op",
	}
	for name, spec := range bad {
		file, data, _ := strings.Cut(spec, "=")
		fsys := fstest.MapFS{file: {Data: []byte(data + "\n")}, "chat.txt": {Data: []byte("nix = niks\n")}}
		if file != "patterns/money.txt" {
			fsys["patterns/money.txt"] = &fstest.MapFile{Data: []byte("high ok geld\n")}
		}
		if _, err := Load(fsys); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Load(fstest.MapFS{}); err == nil {
		t.Error("no patterns: no error")
	}
	// one name for two severities
	fsys := fstest.MapFS{"patterns/money.txt": {Data: []byte("high x geld\nattention x euro\n")}}
	if _, err := Load(fsys); err == nil {
		t.Error("name reused with another severity: no error")
	}
}

func TestConcurrent(t *testing.T) {
	c := mustDefault(t)
	msgs := []string{"ik wil dood", "ik ben niet verdrietig meer", "de deurwaarder staat voor de deur", "haha"}
	want := make([]Result, len(msgs))
	for i, m := range msgs {
		want[i] = c.Classify(m)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 200; k++ {
				i := k % len(msgs)
				if r := c.Classify(msgs[i]); r.Severity != want[i].Severity || len(r.Matches) != len(want[i].Matches) {
					t.Errorf("%q: %v, want %v", msgs[i], r, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func FuzzClassify(f *testing.F) {
	c := mustDefault(f)
	for _, s := range []string{
		"ik wil dood", "k wil nie meer leve", "ikwilnietmeerleven", "😭😭😭", "ik ga dood van het lachen",
		"mn vriend slaat me!!!", "de deurwaarder staat voor de deur", "zelfmoordgedachten", "112",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "\xff\xfe", "Ǳ İ ß ﬁ", "é́́",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := c.Classify(s)
		if r.Severity < None || r.Severity > Urgent {
			t.Fatalf("severity %d", r.Severity)
		}
		modelRaised := slices.Contains(r.Fired, "model") || r.AskBack
		if (r.Severity == None) != (r.Category == "") {
			t.Fatalf("inconsistent result %+v", r)
		}
		if !modelRaised && (r.Severity == None) != (len(r.Matches) == 0) {
			t.Fatalf("inconsistent result %+v", r)
		}
		worst := None
		for _, m := range r.Matches {
			if m.Severity > worst {
				worst = m.Severity
			}
			if m.Pattern == "" || categoryRank(m.Category) == len(Categories) {
				t.Fatalf("bad match %+v", m)
			}
			if !utf8.ValidString(m.Text) && utf8.ValidString(s) {
				t.Fatalf("invalid text in match %+v", m)
			}
		}
		if worst != r.Severity && !(modelRaised && worst < r.Severity) {
			t.Fatalf("severity %s but worst match %s", r.Severity, worst)
		}
		// deterministic
		r2 := c.Classify(s)
		if r2.Severity != r.Severity || r2.Category != r.Category || len(r2.Matches) != len(r.Matches) {
			t.Fatalf("not deterministic: %+v vs %+v", r, r2)
		}
		// case and surrounding spaces do not matter
		if r3 := c.Classify("  " + strings.ToUpper(s) + "  "); utf8.ValidString(s) && isPlainASCII(s) && r3.Severity != r.Severity {
			t.Fatalf("upper case changed severity: %q %s vs %s", s, r.Severity, r3.Severity)
		}
		_ = c.Normalize(s)
	})
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return false
		}
	}
	return true
}

var benchMessages = []string{
	"hoe laat is mijn afspraak morgen",
	"ik heb mijn pillen genomen ✅",
	"k wil nie meer leve",
	"ik ga dood van het lachen 😂😂",
	"mn vriend slaat me als hij dronken is",
	"ik heb een brief van de gemeente en ik snap het niet kun je ff bellen",
	"de deurwaarder staat voor de deur",
	"ik ben niet verdrietig meer",
}

func BenchmarkClassify(b *testing.B) {
	c := mustDefault(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Classify(benchMessages[i%len(benchMessages)])
		i++
	}
}

func BenchmarkDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Default(); err != nil {
			b.Fatal(err)
		}
	}
}
