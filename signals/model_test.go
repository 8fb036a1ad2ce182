package signals

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func trainingExamples(t testing.TB) []Example {
	t.Helper()
	files := []string{"testdata/corpus.tsv", "testdata/holdout.tsv"}
	more, _ := filepath.Glob("testdata/train/*.tsv")
	files = append(files, more...)
	var ex []Example
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ReadExamples(r, f)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		ex = append(ex, e...)
	}
	return ex
}

// The checked-in model must be trained on the corpus as it is now: a new
// example without `waakvlam signals train` would silently not count.
func TestModelTrainedOnCurrentCorpus(t *testing.T) {
	c := mustDefault(t)
	if c.model == nil {
		t.Fatal("no model in signals/data")
	}
	info := c.model.Info()
	got := map[string]int{}
	for _, e := range trainingExamples(t) {
		got["signals/"+e.Source]++
	}
	if !mapsEqual(info.Sources, got) {
		t.Errorf("model trained on %v, corpus now %v: run `go run ./cmd/waakvlam signals train`", info.Sources, got)
	}
	for name := range info.Sources {
		if strings.Contains(name, "blind/") {
			t.Errorf("model trained on blind set %s before it was measured? (see doc.go)", name)
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Training is reproducible: the same corpus and seed give the same bytes.
func TestTrainDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twice")
	}
	c := mustDefault(t)
	ex := trainingExamples(t)
	// a slice keeps the test quick; determinism does not depend on size
	sort.SliceStable(ex, func(i, j int) bool { return ex[i].Severity > ex[j].Severity })
	sub := append(append([]Example(nil), ex[:150]...), ex[len(ex)-150:]...)
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		m, err := Train(c, sub, TrainOptions{Seed: 7, Epochs: 3})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.WriteTo(buf); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two trainings with the same seed differ")
	}
	m, err := ReadModel(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if m.Info().Examples != len(sub) {
		t.Errorf("round trip: %d examples, want %d", m.Info().Examples, len(sub))
	}
}

func TestReadModelRejectsGarbage(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("not gzip"), gz(t, "WAAKVLAM-MODEL-1\n{bad json\n"), gz(t, "OTHER\n")} {
		if _, err := ReadModel(bytes.NewReader(in)); err == nil {
			t.Errorf("ReadModel(%q) accepted garbage", in)
		}
	}
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// The model and the patterns each raise the severity on their own.
func TestEitherPartRaises(t *testing.T) {
	c := mustDefault(t)
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"ik wil niet meer leven", []string{"rules"}},
		{"hoe laat is mijn afspraak morgen", nil},
	} {
		r := c.Classify(tc.text)
		for _, w := range tc.want {
			if !slices.Contains(r.Fired, w) {
				t.Errorf("%q: fired %v, want %s among them", tc.text, r.Fired, w)
			}
		}
		if tc.want == nil && r.Severity != None {
			t.Errorf("%q: %s, want none", tc.text, r.Severity)
		}
	}
	// a grey-zone score asks back and is at least high
	m := &Model{info: ModelInfo{Thresholds: Thresholds{Attention: 0.9, High: 0.8, Urgent: 0.7, AskBack: 0.4}}}
	for _, tc := range []struct {
		s    ModelScore
		sev  Severity
		grey bool
	}{
		{ModelScore{Urgent: 0.75, High: 0.9, Attention: 1}, Urgent, false},
		{ModelScore{Urgent: 0.5, High: 0.6, Attention: 0.7}, None, true},
		{ModelScore{Urgent: 0.1, High: 0.85, Attention: 0.9}, High, false},
		{ModelScore{Urgent: 0.1, High: 0.2, Attention: 0.95}, Attention, false},
	} {
		sev, grey := m.severity(tc.s)
		if sev != tc.sev || grey != tc.grey {
			t.Errorf("severity(%+v) = %s,%v want %s,%v", tc.s, sev, grey, tc.sev, tc.grey)
		}
	}
}

func TestDetectLang(t *testing.T) {
	c := mustDefault(t)
	for _, tc := range []struct{ text, want string }{
		{"I want to kill myself", "en"},
		{"i cant do this anymore", "en"},
		{"ik wil dood", "nl"},
		{"k wil nie meer", "nl"},
		{"mijn bf slaat me", "nl"},
		{"😭😭", ""},
		{"ok", ""},
		{"he hit me again", "en"},
	} {
		if got := c.Classify(tc.text).Lang; got != tc.want {
			t.Errorf("%q: lang %q, want %q", tc.text, got, tc.want)
		}
	}
}

// The model's weights take a few megabytes; the issue allows 20.
func TestModelMemory(t *testing.T) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c := mustDefault(t)
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("classifier with model: %.1f MB on the heap", float64(used)/1e6)
	if used > 20e6 {
		t.Errorf("classifier takes %.1f MB, want < 20", float64(used)/1e6)
	}
	runtime.KeepAlive(c)
}

// BenchmarkClassifyP99 reports the 99th percentile of one Classify call
// over the whole labelled corpus (long messages included).
func BenchmarkClassifyP99(b *testing.B) {
	c := mustDefault(b)
	ex := trainingExamples(b)
	d := make([]time.Duration, 0, len(ex))
	for b.Loop() {
		d = d[:0]
		for _, e := range ex {
			start := time.Now()
			c.Classify(e.Text)
			d = append(d, time.Since(start))
		}
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)*99/100].Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds())/1e3, "p50-µs")
}

// The one-pass span scoring must agree with scoring each span's own
// features, which is how the model was trained.
func TestSpanScoringMatchesTraining(t *testing.T) {
	c := mustDefault(t)
	for _, text := range []string{
		"ik wil niet meer leven",
		"we zijn naar de markt geweest. ik heb de pillen van mama gespaard. morgen komt mijn zus. ok",
		"ja. nee. misschien",
		"",
	} {
		toks := c.modelTokens(splitRaw(text, c.emoji, nil), nil)
		got := c.model.score(toks, &modelScratch{})
		var want ModelScore
		want.High = -1
		for _, sp := range spans(toks) {
			p := c.model.sevProbs(features(toks[sp.from:sp.to], nil))
			want.Urgent = max(want.Urgent, p[Urgent])
			want.High = max(want.High, p[High]+p[Urgent])
			want.Attention = max(want.Attention, 1-p[None])
		}
		for _, pair := range [][2]float64{{got.Urgent, want.Urgent}, {got.High, want.High}, {got.Attention, want.Attention}} {
			if d := pair[0] - pair[1]; d > 1e-6 || d < -1e-6 {
				t.Errorf("%q: one-pass %+v, per span %+v", text, got, want)
				break
			}
		}
	}
}
