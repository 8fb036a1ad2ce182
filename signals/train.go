package signals

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// Example is one labelled message of the training corpus.
type Example struct {
	Severity Severity
	Category Category // "" for none
	Text     string
	Source   string // file it came from, for the model's record
}

// ReadExamples reads labelled messages in the corpus format:
// severity<TAB>category<TAB>text, category "-" for none, "#" comments.
func ReadExamples(r io.Reader, source string) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("%s:%d: want severity<TAB>category<TAB>text", source, n)
		}
		sev, err := ParseSeverity(parts[0])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", source, n, err)
		}
		cat := Category(strings.TrimSpace(parts[1]))
		if cat == "-" {
			cat = ""
		}
		if (sev == None) != (cat == "") {
			return nil, fmt.Errorf("%s:%d: severity none goes with category -, and only then", source, n)
		}
		if cat != "" && categoryRank(cat) == len(Categories) {
			return nil, fmt.Errorf("%s:%d: unknown category %q", source, n, cat)
		}
		out = append(out, Example{Severity: sev, Category: cat, Text: parts[2], Source: source})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	return out, nil
}

// TrainOptions steer Train. Zero values mean the defaults noted.
type TrainOptions struct {
	Seed   uint64 // 1
	Epochs int    // 12
	Folds  int    // 5: folds for the out-of-fold thresholds
	// Targets for choosing thresholds on out-of-fold scores.
	// ModelFalseAlarms is the share of harmless messages the model may
	// flag on top of the patterns (0.05). It is a budget of its own, not
	// what the patterns leave of a total: the patterns are tuned on the
	// same corpus, so their own false alarms here are lower than on new
	// messages and would leave the model too much.
	ModelFalseAlarms float64
	Log              io.Writer
}

func (o *TrainOptions) defaults() {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Epochs == 0 {
		o.Epochs = 12
	}
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.ModelFalseAlarms == 0 {
		o.ModelFalseAlarms = 0.05
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Train fits the model to the examples with a fixed seed (the same corpus
// and seed give the same model), chooses its thresholds from out-of-fold
// scores together with the patterns of c, and returns it. c's own model,
// if any, plays no part.
func Train(c *Classifier, examples []Example, opt TrainOptions) (*Model, error) {
	opt.defaults()
	if len(examples) < opt.Folds*10 {
		return nil, fmt.Errorf("train: %d examples is too few", len(examples))
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5761616b766c616d))
	order := rng.Perm(len(examples))
	fold := make([]int, len(examples))
	for i, j := range order {
		fold[j] = i % opt.Folds
	}
	// out-of-fold scores
	oof := make([]ModelScore, len(examples))
	for f := range opt.Folds {
		var tr []Example
		for i, e := range examples {
			if fold[i] != f {
				tr = append(tr, e)
			}
		}
		m := fit(c, tr, augment(tr, rng), opt, rng)
		for i, e := range examples {
			if fold[i] == f {
				oof[i] = m.scoreText(c, e.Text)
			}
		}
		fmt.Fprintf(opt.Log, "fold %d/%d done\n", f+1, opt.Folds)
	}
	rules := make([]Severity, len(examples))
	for i, e := range examples {
		rules[i] = c.classifyRules(e.Text).Severity
	}
	th, cv := chooseThresholds(examples, oof, rules, opt)
	aug := augment(examples, rng)
	m := fit(c, examples, aug, opt, rng)
	m.info = ModelInfo{Seed: opt.Seed, Examples: len(examples), Augmented: len(aug), Sources: map[string]int{}, Thresholds: th, CV: cv}
	for _, e := range examples {
		m.info.Sources[e.Source]++
	}
	return m, nil
}

// scoreText tokenises and scores one text (training and tests).
func (m *Model) scoreText(c *Classifier, text string) ModelScore {
	toks := c.modelTokens(splitRaw(text, c.emoji, nil), nil)
	return m.score(toks, &modelScratch{})
}

type trainItem struct {
	feat []feature
	sev  Severity
	cat  int // index in Categories, -1 for none
	w    float32
}

// fit trains both heads with AdaGrad on softmax loss and quantises them.
func fit(c *Classifier, ex, aug []Example, opt TrainOptions, rng *rand.Rand) *Model {
	all := append(append([]Example(nil), ex...), aug...)
	items := make([]trainItem, 0, len(all))
	var count [numSev]int
	for _, e := range all {
		count[e.Severity]++
	}
	for _, e := range all {
		toks := c.modelTokens(splitRaw(e.Text, c.emoji, nil), nil)
		it := trainItem{feat: features(toks, nil), sev: e.Severity, cat: -1}
		if e.Category != "" {
			it.cat = categoryRank(e.Category)
		}
		// balance the severities: each weighs as if all were equally common
		it.w = float32(len(all)) / float32(numSev*max(count[e.Severity], 1))
		items = append(items, it)
	}
	nc := len(Categories)
	const buckets = 1 << modelBits
	sevW := make([]float32, buckets*numSev)
	sevG := make([]float32, buckets*numSev)
	catW := make([]float32, buckets*nc)
	catG := make([]float32, buckets*nc)
	// chosen on out-of-fold scores (2026-11-30): L2 1e-3 gave the best
	// urgent recall at 1-5% false alarms of 1e-4, 3e-4 and 1e-3; a
	// smaller rate or more epochs changed it less than fold noise
	const lr, l2 = 0.4, 1e-3
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	z := make([]float64, max(numSev, nc))
	for range opt.Epochs {
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for _, i := range idx {
			it := &items[i]
			step(sevW, sevG, numSev, it.feat, int(it.sev), it.w, lr, l2, z[:numSev])
			if it.cat >= 0 {
				step(catW, catG, nc, it.feat, it.cat, 1, lr, l2, z[:nc])
			}
		}
	}
	m := &Model{cats: append([]Category(nil), Categories...)}
	m.sev, m.sevScale = quantise(sevW)
	m.cat, m.catScale = quantise(catW)
	return m
}

func step(w, g []float32, k int, fs []feature, y int, weight float32, lr, l2 float32, z []float64) {
	for j := range z {
		z[j] = 0
	}
	for _, f := range fs {
		row := w[int(f.idx)*k:]
		for j := range k {
			z[j] += float64(row[j] * f.val)
		}
	}
	mx := z[0]
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	var sum float64
	for j := range z {
		z[j] = math.Exp(z[j] - mx)
		sum += z[j]
	}
	for j := range z {
		p := float32(z[j] / sum)
		t := float32(0)
		if j == y {
			t = 1
		}
		d := (p - t) * weight
		for _, f := range fs {
			o := int(f.idx)*k + j
			gr := d*f.val + l2*w[o]
			g[o] += gr * gr
			w[o] -= lr * gr / float32(math.Sqrt(float64(g[o]))+1e-6)
		}
	}
}

func quantise(w []float32) ([]int16, float32) {
	var mx float32
	for _, v := range w {
		mx = max(mx, float32(math.Abs(float64(v))))
	}
	if mx == 0 {
		return make([]int16, len(w)), 1
	}
	scale := mx / 32767
	q := make([]int16, len(w))
	for i, v := range w {
		q[i] = int16(math.Round(float64(v / scale)))
	}
	return q, scale
}

// augment makes extra training messages from the examples, with the same
// labels: chat spelling and typing errors, and a short concern buried
// inside harmless talk (the worst label of a message is its label).
func augment(ex []Example, rng *rand.Rand) []Example {
	var harmless []string
	for _, e := range ex {
		if e.Severity == None {
			harmless = append(harmless, e.Text)
		}
	}
	var out []Example
	for _, e := range ex {
		if rng.Float64() < 0.7 {
			out = append(out, Example{Severity: e.Severity, Category: e.Category, Text: noisy(e.Text, rng), Source: "augment"})
		}
		if len(harmless) < 2 {
			continue
		}
		short := len(strings.Fields(e.Text)) <= 25
		if e.Severity >= High && short && rng.Float64() < 0.5 {
			a, b := harmless[rng.IntN(len(harmless))], harmless[rng.IntN(len(harmless))]
			out = append(out, Example{Severity: e.Severity, Category: e.Category, Text: a + ". " + e.Text + " " + b, Source: "augment"})
		}
		if e.Severity == None {
			// Every sentence of a harmless message is harmless on its
			// own: the model scores sentences of long messages one by
			// one, so it must learn what an ordinary sentence looks like.
			if parts := sentences(e.Text); len(parts) > 1 {
				for _, p := range parts {
					out = append(out, Example{Severity: None, Text: p, Source: "augment"})
				}
			}
		}
		if e.Severity == None && rng.Float64() < 0.15 {
			b := harmless[rng.IntN(len(harmless))]
			out = append(out, Example{Severity: None, Text: e.Text + ". " + b, Source: "augment"})
		}
	}
	return out
}

// sentences cuts a text at . ! ? and new lines, keeping parts of three
// words or more.
func sentences(text string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(text, func(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '\n' }) {
		if len(strings.Fields(p)) >= 3 {
			out = append(out, strings.TrimSpace(p))
		}
	}
	return out
}

// noisy respells a message as a hurried chat writer might.
func noisy(text string, rng *rand.Rand) string {
	words := strings.Fields(text)
	for i, w := range words {
		lw := strings.ToLower(w)
		if sub, ok := chatRespell[lw]; ok && rng.Float64() < 0.5 {
			words[i] = sub
			continue
		}
		if len(w) < 4 || rng.Float64() > 0.15 {
			continue
		}
		b := []byte(w)
		switch p := 1 + rng.IntN(len(b)-2); rng.IntN(5) {
		case 0: // a letter missing
			b = append(b[:p], b[p+1:]...)
		case 1: // two letters swapped
			b[p], b[p+1] = b[p+1], b[p]
		case 2: // a letter doubled
			b = append(b[:p+1], b[p:]...)
		case 3: // d and t mixed up at the end
			switch b[len(b)-1] {
			case 'd':
				b[len(b)-1] = 't'
			case 't':
				b[len(b)-1] = 'd'
			}
		default:
			s := strings.Replace(string(b), "ij", "ei", 1)
			if s == string(b) {
				s = strings.Replace(s, "ei", "ij", 1)
			}
			b = []byte(s)
		}
		words[i] = string(b)
	}
	out := strings.Join(words, " ")
	if rng.Float64() < 0.4 {
		out = strings.ToLower(out)
	}
	if rng.Float64() < 0.3 {
		out = strings.Map(func(r rune) rune {
			if r == '.' || r == ',' || r == '?' || r == '!' {
				return -1
			}
			return r
		}, out)
	}
	return out
}

var chatRespell = map[string]string{
	"ik": "k", "niet": "nie", "wat": "wa", "mijn": "mn", "je": "je", "even": "ff",
	"heb": "heb", "weet": "weet", "dat": "da", "het": "t", "een": "n", "jij": "jij",
	"you": "u", "are": "r", "i'm": "im", "don't": "dont", "want": "wanna",
}

// chooseThresholds picks the model's thresholds from out-of-fold scores.
// The model may flag ModelFalseAlarms of the harmless messages beyond what
// the patterns flag; that budget is spent on the worst concerns first:
// urgent gets half, asking back a quarter, high the rest. Within its share each threshold
// is as low as it can be, so recall is as high as the budget allows.
func chooseThresholds(ex []Example, oof []ModelScore, rules []Severity, opt TrainOptions) (Thresholds, map[string]float64) {
	grid := make([]float32, 0, 200)
	for t := float32(0.99); t > 0.01; t -= 0.005 {
		grid = append(grid, t)
	}
	flagged := func(i int, t Thresholds) Severity {
		m := Model{info: ModelInfo{Thresholds: t}}
		s, grey := m.severity(oof[i])
		if grey && s < High {
			s = High
		}
		return max(s, rules[i])
	}
	falseAlarms := func(t Thresholds) float64 {
		n, fa := 0, 0
		for i, e := range ex {
			if e.Severity == None {
				n++
				if flagged(i, t) > None {
					fa++
				}
			}
		}
		return float64(fa) / float64(max(n, 1))
	}
	recall := func(labels func(Severity) bool, ok func(i int) bool) float64 {
		n, hit := 0, 0
		for i, e := range ex {
			if labels(e.Severity) {
				n++
				if ok(i) {
					hit++
				}
			}
		}
		return float64(hit) / float64(max(n, 1))
	}
	th := Thresholds{Attention: 1, High: 1, Urgent: 1, AskBack: 1}
	base := falseAlarms(th) // the patterns' own
	budget := opt.ModelFalseAlarms
	lowest := func(share float64, set func(*Thresholds, float32)) func(Thresholds) Thresholds {
		return func(th Thresholds) Thresholds {
			best := th
			for _, t := range grid {
				try := th
				set(&try, t)
				if falseAlarms(try) > base+share*budget {
					break
				}
				best = try
			}
			return best
		}
	}
	fmt.Fprintf(opt.Log, "false alarms of the patterns alone: %.3f\n", base)
	for _, fa := range []float64{0.01, 0.02, 0.05, 0.1} {
		// recall of the model alone on urgent at a false-alarm rate
		var pn []float64
		for i, e := range ex {
			if e.Severity == None {
				pn = append(pn, oof[i].Urgent)
			}
		}
		sort.Float64s(pn)
		t := pn[int(float64(len(pn))*(1-fa))]
		fmt.Fprintf(opt.Log, "model alone at %.0f%% false alarms: urgent recall %.3f, with the patterns %.3f\n", fa*100,
			recall(func(s Severity) bool { return s == Urgent }, func(i int) bool { return oof[i].Urgent > t }),
			recall(func(s Severity) bool { return s == Urgent }, func(i int) bool { return oof[i].Urgent > t || rules[i] == Urgent }))
	}
	th = lowest(0.5, func(t *Thresholds, v float32) { t.Urgent, t.AskBack = v, v })(th)
	th = lowest(0.75, func(t *Thresholds, v float32) { t.AskBack = min(v, t.Urgent) })(th)
	th = lowest(1, func(t *Thresholds, v float32) { t.High = v })(th)
	// Attention stays with the patterns: the model's attention scores
	// are too close to its false alarms to be worth the budget.
	isUrgent := func(s Severity) bool { return s == Urgent }
	highUp := func(s Severity) bool { return s >= High }
	cv := map[string]float64{
		"urgent_recall":     recall(isUrgent, func(i int) bool { return flagged(i, th) == Urgent }),
		"urgent_or_asked":   recall(isUrgent, func(i int) bool { return flagged(i, th) == Urgent || oof[i].Urgent >= float64(th.AskBack) }),
		"high_seen_high":    recall(highUp, func(i int) bool { return flagged(i, th) >= High }),
		"attention_flagged": recall(func(s Severity) bool { return s == Attention }, func(i int) bool { return flagged(i, th) > None }),
		"false_alarms":      falseAlarms(th),
		"rules_only_urgent": recall(isUrgent, func(i int) bool { return rules[i] == Urgent }),
	}
	for k := range cv {
		cv[k] = math.Round(cv[k]*1000) / 1000
	}
	return th, cv
}
