package signals

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

type labelled struct {
	file string
	line int
	sev  Severity
	cat  Category
	text string
}

func readCorpus(t testing.TB, name string) []labelled {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("%s:%d: want severity<TAB>category<TAB>text", name, n)
		}
		sev, err := ParseSeverity(parts[0])
		if err != nil {
			t.Fatalf("%s:%d: %v", name, n, err)
		}
		cat := Category(parts[1])
		if cat == "-" {
			cat = ""
		}
		if (sev == None) != (cat == "") {
			t.Fatalf("%s:%d: severity none goes with category -, and only then", name, n)
		}
		if cat != "" && categoryRank(cat) == len(Categories) {
			t.Fatalf("%s:%d: unknown category %q", name, n, cat)
		}
		out = append(out, labelled{name, n, sev, cat, parts[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type evalStats struct {
	n       int
	tp, fp  [4]int // per severity, exact severity
	support [4]int
	asked   int    // urgent messages classified lower but asked back
	highUp  int    // high messages classified >= high
	atLeast [4]int // labelled s, classified >= s
	noneFA  int    // labelled none, classified anything
	under   int    // classified below the label
	catOK   int    // category right among flagged messages with a label
	catN    int
	misses  []string
}

func evaluate(c *Classifier, items []labelled) evalStats {
	var s evalStats
	for _, it := range items {
		r := c.Classify(it.text)
		s.n++
		s.support[it.sev]++
		if r.Severity == it.sev {
			s.tp[it.sev]++
		} else {
			s.fp[r.Severity]++
		}
		if r.Severity >= it.sev {
			s.atLeast[it.sev]++
		}
		if it.sev == Urgent && r.Severity < Urgent && r.AskBack {
			s.asked++
		}
		if it.sev == High && r.Severity >= High {
			s.highUp++
		}
		if it.sev == None && r.Severity != None {
			s.noneFA++
		}
		if r.Severity < it.sev {
			s.under++
		}
		if it.sev != None && r.Severity != None {
			s.catN++
			if r.Category == it.cat {
				s.catOK++
			}
		}
		if r.Severity != it.sev {
			pat := []string{}
			for _, m := range r.Matches {
				pat = append(pat, m.Pattern+"="+m.Text)
			}
			s.misses = append(s.misses, fmt.Sprintf("%s:%d want %s/%s got %s/%s %q %v", it.file, it.line, it.sev, it.cat, r.Severity, r.Category, it.text, pat))
		}
	}
	return s
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func logStats(t *testing.T, name string, s evalStats) {
	t.Logf("== %s: %d messages", name, s.n)
	t.Logf("%-10s %7s %8s %10s %12s", "severity", "support", "recall", "precision", "recall(>=)")
	for sev := Urgent; sev >= None; sev-- {
		t.Logf("%-10s %7d %8.3f %10.3f %12.3f", sev, s.support[sev],
			ratio(s.tp[sev], s.support[sev]), ratio(s.tp[sev], s.tp[sev]+s.fp[sev]), ratio(s.atLeast[sev], s.support[sev]))
	}
	t.Logf("false-alarm rate on none: %.3f (%d of %d)", ratio(s.noneFA, s.support[None]), s.noneFA, s.support[None])
	t.Logf("rated lower than labelled: %d; category right when flagged: %.3f", s.under, ratio(s.catOK, s.catN))
}

// TestEvaluation runs the classifier over every labelled set and prints one
// row per set. The training sets (corpus.tsv, holdout.tsv, train/) are
// in-sample for the model: their rows show fit, not skill, and only guard
// against a broken build (urgent recall >= 0.95, false alarms <= 0.10).
// The blind sets (blind/*.tsv, written by people who never saw this
// package) are the measurement: each must reach the targets of issue 11,
// or, when its first measurement (blind/measured.txt) was already below a
// target, stay within 0.02 of that first figure, so the test fails on any
// step back while the gap stays visible. Run with -v for the table and
// -misses for every wrong line.
func TestEvaluation(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	train := []string{"testdata/corpus.tsv", "testdata/holdout.tsv"}
	more, _ := filepath.Glob("testdata/train/*.tsv")
	train = append(train, more...)
	blind, _ := filepath.Glob("testdata/blind/*.tsv")
	sort.Strings(blind)
	var all []labelled
	t.Logf("%-40s %5s %7s %9s %9s %9s %9s", "set", "n", "urgent", "urg|asked", "urg+high", "harmless", "category")
	t.Logf("%-40s %5s %7s %9s %9s %9s %9s", "", "", "recall", "", ">=high", "flagged", "right")
	row := func(name string, items []labelled) evalStats {
		s := evaluate(c, items)
		t.Logf("%-40s %5d %7.3f %9.3f %9.3f %9.3f %9.3f", name, s.n, s.urgentRecall(), s.urgentOrAsked(),
			s.highSeenHigh(), s.falseAlarms(), ratio(s.catOK, s.catN))
		if *showMisses {
			for _, m := range s.misses {
				t.Log(m)
			}
		}
		return s
	}
	for _, f := range train {
		items := readCorpus(t, f)
		all = append(all, items...)
		row(strings.TrimPrefix(f, "testdata/")+" (trained on)", items)
	}
	sa := row("all training sets", all)
	if len(all) < 3000 {
		t.Errorf("training corpus has %d messages, want >= 3000", len(all))
	}
	if r := sa.urgentRecall(); r < 0.95 {
		t.Errorf("training sets: urgent recall %.3f < 0.95: the model or patterns are broken", r)
	}
	if r := sa.falseAlarms(); r > 0.10 {
		t.Errorf("training sets: false alarms %.3f > 0.10: the model or patterns are broken", r)
	}
	measured := readMeasured(t, "testdata/blind/measured.txt")
	if len(blind) < 3 {
		t.Errorf("%d blind sets, want at least 3", len(blind))
	}
	for _, f := range blind {
		items := readCorpus(t, f)
		name := strings.TrimPrefix(f, "testdata/")
		s := row(name+" (blind)", items)
		if len(items) < 200 {
			t.Errorf("%s: %d messages, want >= 200", name, len(items))
		}
		first, ok := measured[filepath.Base(f)]
		if !ok {
			t.Errorf("%s: not in blind/measured.txt: record its first measurement there (see doc.go)", name)
			continue
		}
		check := func(what string, got, target, was float64, higherIsBetter bool) {
			floor := target
			if higherIsBetter && was < target {
				floor = was - 0.02
			}
			if !higherIsBetter && was > target {
				floor = was + 0.02
			}
			if (higherIsBetter && got < floor) || (!higherIsBetter && got > floor) {
				t.Errorf("%s: %s %.3f, floor %.3f (target %.2f, first measured %.3f)", name, what, got, floor, target, was)
			} else if floor != target {
				t.Logf("%s: %s %.3f misses the target %.2f (first measured %.3f)", name, what, got, target, was)
			}
		}
		check("urgent recall", s.urgentRecall(), 0.95, first.urgent, true)
		check("urgent and high seen as >= high", s.highSeenHigh(), 0.90, first.high, true)
		check("harmless flagged", s.falseAlarms(), 0.10, first.harmless, false)
	}
}

func (s evalStats) urgentRecall() float64  { return ratio(s.tp[Urgent], s.support[Urgent]) }
func (s evalStats) urgentOrAsked() float64 { return ratio(s.tp[Urgent]+s.asked, s.support[Urgent]) }
func (s evalStats) falseAlarms() float64   { return ratio(s.noneFA, s.support[None]) }
func (s evalStats) highSeenHigh() float64 {
	return ratio(s.atLeast[Urgent]+s.highUp, s.support[Urgent]+s.support[High])
}

type firstMeasure struct{ urgent, high, harmless float64 }

// readMeasured reads blind/measured.txt: file, date, urgent recall,
// urgent+high seen as >= high, harmless flagged, as first measured.
func readMeasured(t *testing.T, name string) map[string]firstMeasure {
	t.Helper()
	out := map[string]firstMeasure{}
	b, err := os.ReadFile(name)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	for n, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		var m firstMeasure
		if len(f) < 5 {
			t.Fatalf("%s:%d: want file, date, urgent, high, harmless", name, n+1)
		}
		for i, p := range []*float64{&m.urgent, &m.high, &m.harmless} {
			if _, err := fmt.Sscan(f[2+i], p); err != nil {
				t.Fatalf("%s:%d: %v", name, n+1, err)
			}
		}
		out[f[0]] = m
	}
	return out
}
