// Package metrics owns what Waakvlam exposes at /metrics: a small registry
// of counters, gauges and histograms with labels, written in the Prometheus
// text exposition format (version 0.0.4), and the names of Waakvlam's own
// metrics (see waakvlam.go). Gauges whose value lives elsewhere (queue
// depths in Redis) are read at scrape time through a callback. It is safe
// for concurrent use and has no dependencies beyond the standard library.
package metrics

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type kind int

const (
	kindCounter kind = iota
	kindGauge
	kindHistogram
)

func (k kind) String() string {
	return [...]string{"counter", "gauge", "histogram"}[k]
}

// Registry holds metric families and writes them in name order.
type Registry struct {
	mu   sync.Mutex
	fams map[string]*family
	// ScrapeTimeout bounds the callbacks of a scrape (default 5 s).
	ScrapeTimeout time.Duration
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{fams: map[string]*family{}} }

type family struct {
	name, help string
	kind       kind
	labels     []string
	buckets    []float64 // histograms

	mu       sync.Mutex
	children map[string]*child
	collect  func(ctx context.Context) ([]Sample, error) // computed gauges
}

type child struct {
	values []string
	bits   atomic.Uint64 // counter or gauge value (float64 bits)
	// histogram
	hmu    sync.Mutex
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

// Sample is one value of a computed gauge, with its label values in the
// order the gauge declared its labels.
type Sample struct {
	Labels []string
	Value  float64
}

func (r *Registry) add(f *family) *family {
	if !validName(f.name) {
		panic("metrics: bad metric name " + strconv.Quote(f.name))
	}
	for _, l := range f.labels {
		if !validName(l) || strings.HasPrefix(l, "__") || l == "le" {
			panic("metrics: bad label name " + strconv.Quote(l))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.fams[f.name]; dup {
		panic("metrics: " + f.name + " registered twice")
	}
	f.children = map[string]*child{}
	r.fams[f.name] = f
	return f
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		ok := c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')
		if !ok {
			return false
		}
	}
	return true
}

func (f *family) child(values []string) *child {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", f.name, len(f.labels), len(values)))
	}
	key := strings.Join(values, "\xff")
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.children[key]
	if c == nil {
		c = &child{values: append([]string(nil), values...)}
		if f.kind == kindHistogram {
			c.counts = make([]uint64, len(f.buckets)+1)
		}
		f.children[key] = c
	}
	return c
}

func (c *child) add(v float64) {
	for {
		old := c.bits.Load()
		if c.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// CounterVec is a counter family with labels.
type CounterVec struct{ f *family }

// Counter is one counter: a value that only goes up.
type Counter struct{ c *child }

// Counter registers a counter; by convention its name ends in _total.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	return &CounterVec{r.add(&family{name: name, help: help, kind: kindCounter, labels: labels})}
}

// With returns the counter for the label values (in declared order).
func (v *CounterVec) With(values ...string) Counter { return Counter{v.f.child(values)} }

// Inc adds one.
func (c Counter) Inc() { c.c.add(1) }

// Add adds d, which must not be negative.
func (c Counter) Add(d float64) {
	if d < 0 {
		panic("metrics: counter decreased")
	}
	c.c.add(d)
}

// Value returns the current value.
func (c Counter) Value() float64 { return math.Float64frombits(c.c.bits.Load()) }

// GaugeVec is a gauge family with labels.
type GaugeVec struct{ f *family }

// Gauge is one value that goes up and down.
type Gauge struct{ c *child }

// Gauge registers a gauge set by the program.
func (r *Registry) Gauge(name, help string, labels ...string) *GaugeVec {
	return &GaugeVec{r.add(&family{name: name, help: help, kind: kindGauge, labels: labels})}
}

// With returns the gauge for the label values.
func (v *GaugeVec) With(values ...string) Gauge { return Gauge{v.f.child(values)} }

// Set sets the value.
func (g Gauge) Set(x float64) { g.c.bits.Store(math.Float64bits(x)) }

// Add adds d (may be negative).
func (g Gauge) Add(d float64) { g.c.add(d) }

// Value returns the current value.
func (g Gauge) Value() float64 { return math.Float64frombits(g.c.bits.Load()) }

// GaugeFunc registers a gauge computed at scrape time. When collect fails
// the family is left out of that scrape and the error is written as a
// comment, so one unreachable source does not hide the other metrics.
func (r *Registry) GaugeFunc(name, help string, labels []string, collect func(ctx context.Context) ([]Sample, error)) {
	r.add(&family{name: name, help: help, kind: kindGauge, labels: labels, collect: collect})
}

// HistogramVec is a histogram family with labels.
type HistogramVec struct{ f *family }

// Histogram counts observations in fixed buckets.
type Histogram struct {
	c       *child
	buckets []float64
}

// DefaultSeconds are buckets for latencies from 1 ms to 30 s.
var DefaultSeconds = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Histogram registers a histogram with the given upper bounds (sorted,
// without +Inf, which is always there).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	b := append([]float64(nil), buckets...)
	if !sort.Float64sAreSorted(b) {
		panic("metrics: buckets of " + name + " not sorted")
	}
	return &HistogramVec{r.add(&family{name: name, help: help, kind: kindHistogram, labels: labels, buckets: b})}
}

// With returns the histogram for the label values.
func (v *HistogramVec) With(values ...string) Histogram {
	return Histogram{v.f.child(values), v.f.buckets}
}

// Observe records one value.
func (h Histogram) Observe(x float64) {
	i := sort.SearchFloat64s(h.buckets, x) // first bucket with bound >= x
	h.c.hmu.Lock()
	h.c.counts[i]++
	h.c.sum += x
	h.c.count++
	h.c.hmu.Unlock()
}

// Count returns how many values were observed.
func (h Histogram) Count() uint64 {
	h.c.hmu.Lock()
	defer h.c.hmu.Unlock()
	return h.c.count
}

// WriteText writes every family in the text exposition format, families
// and series in a stable order.
func (r *Registry) WriteText(ctx context.Context, w io.Writer) error {
	r.mu.Lock()
	fams := make([]*family, 0, len(r.fams))
	for _, f := range r.fams {
		fams = append(fams, f)
	}
	timeout := r.ScrapeTimeout
	r.mu.Unlock()
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	sort.Slice(fams, func(i, j int) bool { return fams[i].name < fams[j].name })
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		var samples []Sample
		if f.collect != nil {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			s, err := f.collect(cctx)
			cancel()
			if err != nil {
				fmt.Fprintf(bw, "# %s not collected: %s\n", f.name, oneLine(err.Error()))
				continue
			}
			samples = s
		}
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
		if f.collect != nil {
			sort.SliceStable(samples, func(i, j int) bool {
				return strings.Join(samples[i].Labels, "\xff") < strings.Join(samples[j].Labels, "\xff")
			})
			for _, s := range samples {
				if len(s.Labels) != len(f.labels) {
					continue
				}
				writeSample(bw, f.name, f.labels, s.Labels, "", "", s.Value)
			}
			continue
		}
		f.mu.Lock()
		children := make([]*child, 0, len(f.children))
		for _, c := range f.children {
			children = append(children, c)
		}
		f.mu.Unlock()
		sort.Slice(children, func(i, j int) bool {
			return strings.Join(children[i].values, "\xff") < strings.Join(children[j].values, "\xff")
		})
		for _, c := range children {
			if f.kind != kindHistogram {
				writeSample(bw, f.name, f.labels, c.values, "", "", math.Float64frombits(c.bits.Load()))
				continue
			}
			c.hmu.Lock()
			counts := append([]uint64(nil), c.counts...)
			sum, count := c.sum, c.count
			c.hmu.Unlock()
			var cum uint64
			for i, b := range f.buckets {
				cum += counts[i]
				writeSample(bw, f.name+"_bucket", f.labels, c.values, "le", formatFloat(b), float64(cum))
			}
			writeSample(bw, f.name+"_bucket", f.labels, c.values, "le", "+Inf", float64(count))
			writeSample(bw, f.name+"_sum", f.labels, c.values, "", "", sum)
			writeSample(bw, f.name+"_count", f.labels, c.values, "", "", float64(count))
		}
	}
	return bw.Flush()
}

func writeSample(w *bufio.Writer, name string, labels, values []string, extraName, extraValue string, v float64) {
	w.WriteString(name)
	if len(labels) > 0 || extraName != "" {
		w.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(l)
			w.WriteString(`="`)
			w.WriteString(escapeValue(values[i]))
			w.WriteByte('"')
		}
		if extraName != "" {
			if len(labels) > 0 {
				w.WriteByte(',')
			}
			w.WriteString(extraName + `="` + extraValue + `"`)
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(formatFloat(v))
	w.WriteByte('\n')
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	valueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeValue(s string) string { return valueEscaper.Replace(s) }
func oneLine(s string) string     { return strings.ReplaceAll(s, "\n", " ") }

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves the registry, for /metrics.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		_ = r.WriteText(req.Context(), w)
	})
}
