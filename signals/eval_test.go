package signals

import (
	"bufio"
	"fmt"
	"os"
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
	n         int
	tp, fp    [4]int // per severity, exact severity
	support   [4]int
	urgentHit int    // urgent messages classified urgent
	atLeast   [4]int // labelled s, classified >= s
	noneFA    int    // labelled none, classified anything
	under     int    // classified below the label
	catOK     int    // category right among flagged messages with a label
	catN      int
	misses    []string
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

// TestEvaluation runs the classifier over the labelled corpora and fails when
// urgent recall drops below 0.95 or the false-alarm rate on none exceeds 0.10.
// Run with -v to see the table, and with -misses to list every wrong line.
func TestEvaluation(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	dev := readCorpus(t, "testdata/corpus.tsv")
	hold := readCorpus(t, "testdata/holdout.tsv")
	all := append(append([]labelled(nil), dev...), hold...)
	urgentHigh := 0
	for _, it := range all {
		if it.sev >= High {
			urgentHigh++
		}
	}
	if len(all) < 400 || urgentHigh < 150 {
		t.Fatalf("corpus too small: %d messages, %d urgent or high", len(all), urgentHigh)
	}
	sd, sh, sa := evaluate(c, dev), evaluate(c, hold), evaluate(c, all)
	logStats(t, "corpus.tsv (development)", sd)
	logStats(t, "holdout.tsv (never tuned on)", sh)
	logStats(t, "all", sa)
	if *showMisses {
		for _, m := range sa.misses {
			t.Log(m)
		}
	}
	// Urgent recall counts an urgent message as found when it is rated urgent.
	if r := ratio(sa.tp[Urgent], sa.support[Urgent]); r < 0.95 {
		t.Errorf("urgent recall %.3f < 0.95", r)
	}
	if r := ratio(sa.noneFA, sa.support[None]); r > 0.10 {
		t.Errorf("false-alarm rate on none %.3f > 0.10", r)
	}
}
