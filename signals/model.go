package signals

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// Model is the statistical half of the recogniser: a logistic regression
// over hashed word, word-pair and letter-group features, with one head for
// the severity (none, attention, high, urgent) and one for the category of
// a concern. It is trained by `waakvlam signals train` from the labelled
// corpus (see Train) and stored as data/model.bin.gz; Load reads it when
// present. A Model is immutable and safe for concurrent use.
type Model struct {
	sev      []int16 // bucket*numSev + class
	cat      []int16 // bucket*len(cats) + class
	sevScale float32
	catScale float32
	cats     []Category
	info     ModelInfo
}

const numSev = 4

// Thresholds turn the model's probabilities into a severity. They are
// chosen by Train from out-of-fold scores on the training corpus, leaning
// to recall: a missed crisis is worse than a question too many.
type Thresholds struct {
	Attention float32 `json:"attention"` // P(any concern) from which a message is attention
	High      float32 `json:"high"`      // P(high or urgent) from which it is high
	Urgent    float32 `json:"urgent"`    // P(urgent) from which it is urgent
	AskBack   float32 `json:"ask_back"`  // P(urgent) from which, below Urgent, the bot asks back
}

// ModelInfo says how a model was made; it is stored with the weights.
type ModelInfo struct {
	Seed       uint64         `json:"seed"`
	Examples   int            `json:"examples"`  // labelled messages trained on
	Augmented  int            `json:"augmented"` // extra messages made from them
	Sources    map[string]int `json:"sources"`   // file -> messages
	Thresholds Thresholds     `json:"thresholds"`
	// Out-of-fold figures on the training corpus, with the thresholds.
	CV map[string]float64 `json:"cv"`
}

// Info tells how the model was trained.
func (m *Model) Info() ModelInfo { return m.info }

// ModelScore is what the model says of a message: the probabilities of the
// most worrying part of it (the whole message or one of its sentences).
type ModelScore struct {
	Urgent    float64 `json:"urgent"`    // P(urgent)
	High      float64 `json:"high"`      // P(high or urgent)
	Attention float64 `json:"attention"` // P(any concern)
	// Category is the model's category of the concern, filled when the
	// model decides the severity or asks back ("" otherwise).
	Category Category `json:"category"`
}

// probability is the model's probability of a concern at least as severe
// as sev; for None, of any concern.
func (s ModelScore) probability(sev Severity) float64 {
	switch sev {
	case Urgent:
		return s.Urgent
	case High:
		return s.High
	}
	return s.Attention
}

// severity is the severity the model alone gives, and whether the message
// is in the grey zone where the bot should ask back.
func (m *Model) severity(s ModelScore) (sev Severity, grey bool) {
	t := m.info.Thresholds
	switch {
	case s.Urgent >= float64(t.Urgent):
		return Urgent, false
	case s.High >= float64(t.High):
		sev = High
	case s.Attention >= float64(t.Attention):
		sev = Attention
	}
	return sev, s.Urgent >= float64(t.AskBack)
}

// modelScratch is reused between calls to keep Classify free of
// allocations that grow with the message.
type modelScratch struct {
	feat []feature
	keys []string
	ends []int
	seen []uint32 // open-addressing set of bucket+1 counted in this span
	best span     // the most worrying span of the last score
}

// resetSeen empties the set, sized for n features at most half full.
func (s *modelScratch) resetSeen(n int) {
	size := 16
	for size < 2*n {
		size *= 2
	}
	if cap(s.seen) < size {
		s.seen = make([]uint32, size)
	}
	s.seen = s.seen[:size]
	clear(s.seen)
}

// firstTime adds bucket b to the set and reports whether it was new.
func (s *modelScratch) firstTime(b uint32) bool {
	mask := uint32(len(s.seen) - 1)
	for i := (b * 2654435761) & mask; ; i = (i + 1) & mask {
		switch s.seen[i] {
		case 0:
			s.seen[i] = b + 1
			return true
		case b + 1:
			return false
		}
	}
}

// score rates tokens: every span (the whole message and each sentence) is
// scored and the most worrying one counts. The features are made once for
// the whole message; a sentence's features are its tokens' share of them
// (see rawFeatures). Each feature counts once per span, as in training.
func (m *Model) score(toks []token, s *modelScratch) ModelScore {
	s.feat, s.keys, s.ends = rawFeatures(toks, s.feat[:0], s.keys, s.ends)
	var best ModelScore
	bestHigh, bestSpan := -1.0, span{}
	for _, sp := range spans(toks) {
		fs := s.spanFeatures(sp)
		s.resetSeen(len(fs) + 1)
		bias := m.sev[int(biasFeature)*numSev:]
		var z [numSev]float64
		for k := range numSev {
			z[k] = float64(bias[k])
		}
		s.firstTime(biasFeature)
		q := 1.0
		for _, f := range fs {
			if !s.firstTime(f.idx) {
				continue
			}
			row := m.sev[int(f.idx)*numSev:]
			v := float64(f.val)
			for k := range numSev {
				z[k] += float64(row[k]) * v
			}
			q += v * v
		}
		f := float64(m.sevScale) / math.Sqrt(q)
		for k := range z {
			z[k] *= f
		}
		p := softmax(z)
		high := p[High] + p[Urgent]
		best.Urgent = math.Max(best.Urgent, p[Urgent])
		best.Attention = math.Max(best.Attention, 1-p[None])
		if high > bestHigh {
			bestHigh, bestSpan = high, sp
		}
	}
	best.High = bestHigh
	s.best = bestSpan
	return best
}

// category names the most likely category of a concern in the most
// worrying span of the last score. It reads the category head, the larger
// half of the weights, so Classify asks only when the model's view decides
// the category.
func (m *Model) categoryOfBest(s *modelScratch) Category {
	return m.category(biasFeature, s.spanFeatures(s.best))
}

// spanFeatures are the raw features of the tokens in sp.
func (s *modelScratch) spanFeatures(sp span) []feature {
	lo, hi := 0, 0
	if sp.from > 0 {
		lo = s.ends[sp.from-1]
	}
	if sp.to > 0 {
		hi = s.ends[sp.to-1]
	}
	return s.feat[lo:hi]
}

func (m *Model) sevProbs(fs []feature) [numSev]float64 {
	var z [numSev]float64
	for _, f := range fs {
		row := m.sev[int(f.idx)*numSev:]
		for k := range numSev {
			z[k] += float64(row[k]) * float64(f.val)
		}
	}
	for k := range z {
		z[k] *= float64(m.sevScale)
	}
	return softmax(z)
}

// category is the most likely category of a concern in the features
// (unscaled: scaling does not change which is largest).
func (m *Model) category(bias uint32, fs []feature) Category {
	n := len(m.cats)
	if n == 0 {
		return ""
	}
	var zb [16]float64
	z := zb[:n]
	for k := range n {
		z[k] = float64(m.cat[int(bias)*n+k])
	}
	for _, f := range fs {
		row := m.cat[int(f.idx)*n:]
		for k := range n {
			z[k] += float64(row[k]) * float64(f.val)
		}
	}
	best := 0
	for k := range z {
		if z[k] > z[best] {
			best = k
		}
	}
	return m.cats[best]
}

func softmax[T ~[numSev]float64](z T) T {
	mx := z[0]
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	var sum float64
	for k := range z {
		z[k] = math.Exp(z[k] - mx)
		sum += z[k]
	}
	for k := range z {
		z[k] /= sum
	}
	return z
}

// The stored form: gzip of a magic line, a JSON header line, then the
// non-zero rows as little-endian (bucket uint32, numSev+len(cats) int16).
const modelMagic = "WAAKVLAM-MODEL-1\n"

type modelHeader struct {
	Bits       int        `json:"bits"`
	Categories []Category `json:"categories"`
	SevScale   float32    `json:"sev_scale"`
	CatScale   float32    `json:"cat_scale"`
	Rows       int        `json:"rows"`
	Info       ModelInfo  `json:"info"`
}

// WriteTo stores the model in the form ReadModel reads.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	zw, err := gzip.NewWriterLevel(cw, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(zw)
	nc := len(m.cats)
	var rows []uint32
	for b := range 1 << modelBits {
		if !zeroRow(m.sev[b*numSev:(b+1)*numSev]) || !zeroRow(m.cat[b*nc:(b+1)*nc]) {
			rows = append(rows, uint32(b))
		}
	}
	h := modelHeader{Bits: modelBits, Categories: m.cats, SevScale: m.sevScale, CatScale: m.catScale, Rows: len(rows), Info: m.info}
	hj, err := json.Marshal(h)
	if err != nil {
		return 0, err
	}
	bw.WriteString(modelMagic)
	bw.Write(hj)
	bw.WriteByte('\n')
	var buf [4]byte
	for _, b := range rows {
		binary.LittleEndian.PutUint32(buf[:], b)
		bw.Write(buf[:])
		for _, v := range m.sev[int(b)*numSev : int(b+1)*numSev] {
			binary.LittleEndian.PutUint16(buf[:2], uint16(v))
			bw.Write(buf[:2])
		}
		for _, v := range m.cat[int(b)*nc : int(b+1)*nc] {
			binary.LittleEndian.PutUint16(buf[:2], uint16(v))
			bw.Write(buf[:2])
		}
	}
	if err := bw.Flush(); err != nil {
		return cw.n, err
	}
	if err := zw.Close(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

func zeroRow(r []int16) bool {
	for _, v := range r {
		if v != 0 {
			return false
		}
	}
	return true
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadModel reads a model written by WriteTo.
func ReadModel(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	br := bufio.NewReader(zr)
	magic := make([]byte, len(modelMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != modelMagic {
		return nil, errors.New("read model: not a Waakvlam model file")
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("read model header: %w", err)
	}
	var h modelHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("read model header: %w", err)
	}
	if h.Bits != modelBits {
		return nil, fmt.Errorf("read model: %d feature bits, this build uses %d", h.Bits, modelBits)
	}
	for _, c := range h.Categories {
		if categoryRank(c) == len(Categories) {
			return nil, fmt.Errorf("read model: unknown category %q", c)
		}
	}
	nc := len(h.Categories)
	m := &Model{
		sev: make([]int16, (1<<modelBits)*numSev), cat: make([]int16, (1<<modelBits)*nc),
		sevScale: h.SevScale, catScale: h.CatScale, cats: h.Categories, info: h.Info,
	}
	row := make([]byte, 4+2*(numSev+nc))
	for range h.Rows {
		if _, err := io.ReadFull(br, row); err != nil {
			return nil, fmt.Errorf("read model rows: %w", err)
		}
		b := int(binary.LittleEndian.Uint32(row))
		if b >= 1<<modelBits {
			return nil, fmt.Errorf("read model: bucket %d out of range", b)
		}
		for k := range numSev {
			m.sev[b*numSev+k] = int16(binary.LittleEndian.Uint16(row[4+2*k:]))
		}
		for k := range nc {
			m.cat[b*nc+k] = int16(binary.LittleEndian.Uint16(row[4+2*(numSev+k):]))
		}
	}
	return m, nil
}
