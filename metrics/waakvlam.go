package metrics

import (
	"context"
	"sync"
	"time"
)

// Label values of the outbox lanes.
const (
	LaneUrgent = "urgent"
	LaneNormal = "normal"
	LaneBulk   = "bulk"
)

// LaneLabel turns a store lane ("u", "n", "b") into its label value.
func LaneLabel(lane string) string {
	switch lane {
	case "u":
		return LaneUrgent
	case "b":
		return LaneBulk
	default:
		return LaneNormal
	}
}

// VerdictKinds are the values of label kind of waakvlam_signal_verdicts_total
// (store.VerdictKinds).
var VerdictKinds = []string{"right", "wrong", "under", "missed"}

// Results of a send (label result of waakvlam_sends_total).
const (
	ResultOK      = "ok"      // Telegram accepted it
	ResultRefused = "refused" // 400/403: given up, the coach is told
	ResultDropped = "dropped" // unreadable outbox entry
)

// Reasons of a retry (label reason of waakvlam_send_retries_total).
const (
	ReasonRateLimited = "429"
	ReasonServer      = "5xx"
	ReasonNetwork     = "network"
)

// Depths are the queue lengths read at scrape time (XLEN, summed over the
// partitions).
type Depths struct {
	Outbox map[string]int64 // by lane label
	Intake int64
	Coach  int64
}

// DepthFunc reads the queue lengths; the app supplies it from the store.
type DepthFunc func(ctx context.Context) (Depths, error)

// Waakvlam is the set of metrics a Waakvlam process exposes.
//
//	waakvlam_outbox_depth{lane}                 gauge     messages waiting or in flight per lane (read from Redis at scrape)
//	waakvlam_intake_depth                       gauge     intake entries waiting or in progress (read from Redis at scrape)
//	waakvlam_coach_depth                        gauge     posts waiting for the coach bridge (read from Redis at scrape)
//	waakvlam_sends_total{lane,result}           counter   outbox messages finished: ok, refused (400/403), dropped
//	waakvlam_telegram_429_total{scope}          counter   429 answers from Telegram; scope chat, or global once escalated
//	waakvlam_send_retries_total{lane,reason}    counter   sends tried again: 429, 5xx, network
//	waakvlam_ratelimit_wait_seconds_total{lane} counter   time senders waited for the shared rate limiter
//	waakvlam_process_seconds{type}              histogram intake entry written -> its effects committed
//	waakvlam_delivery_seconds{lane}             histogram outbox message queued -> accepted by Telegram
//	waakvlam_processed_total{type}              counter   intake entries finished
//	waakvlam_signal_verdicts_total{kind}        counter   coaches' verdicts on client posts: right, wrong, under, missed (misses found by coaches)
//	waakvlam_healed_total{what}                 counter   consumer groups and leases made again after Redis lost its data
//	waakvlam_set_aside_total{kind}              counter   poison items set aside after repeated failures: update (does not parse), schedule (cannot be read)
//
// Metrics are shared by all partitions of the process; every replica
// exposes its own counters and the same depths (they are global).
type Waakvlam struct {
	Registry  *Registry
	Sends     *CounterVec
	Limited   *CounterVec
	Retries   *CounterVec
	RateWait  *CounterVec
	Process   *HistogramVec
	Delivery  *HistogramVec
	Processed *CounterVec
	Verdicts  *CounterVec
	// Healed counts loops that found a consumer group or lease gone
	// (Redis lost its data) and made it again, by what.
	Healed *CounterVec
	// SetAside counts poison items set aside (each once across replicas),
	// by kind: update, schedule.
	SetAside *CounterVec
}

// New registers Waakvlam's metrics on a new registry. depths may be nil
// (no depth gauges).
func New(depths DepthFunc) *Waakvlam {
	r := NewRegistry()
	m := &Waakvlam{
		Registry:  r,
		Sends:     r.Counter("waakvlam_sends_total", "Outbox messages finished, by lane and result (ok, refused, dropped).", "lane", "result"),
		Limited:   r.Counter("waakvlam_telegram_429_total", "429 Too Many Requests answers from Telegram, by scope of the hold (chat or global).", "scope"),
		Retries:   r.Counter("waakvlam_send_retries_total", "Sends tried again, by lane and reason (429, 5xx, network).", "lane", "reason"),
		RateWait:  r.Counter("waakvlam_ratelimit_wait_seconds_total", "Seconds senders waited for the shared rate limiter, by lane.", "lane"),
		Process:   r.Histogram("waakvlam_process_seconds", "Seconds from an intake entry being stored to its effects being committed, by entry type.", DefaultSeconds, "type"),
		Delivery:  r.Histogram("waakvlam_delivery_seconds", "Seconds from an outbox message being queued to Telegram accepting it, by lane.", DefaultSeconds, "lane"),
		Processed: r.Counter("waakvlam_processed_total", "Intake entries finished, by entry type.", "type"),
		Verdicts: r.Counter("waakvlam_signal_verdicts_total", "Coaches' verdicts on client posts, by kind: right and wrong on flagged posts, "+
			"under (flagged 'attention' but more worrying), missed (not flagged but worrying: misses found by coaches).", "kind"),
	}
	m.Healed = r.Counter("waakvlam_healed_total", "Consumer groups and leases found gone (Redis lost its data) and made again, by what (intake, outbox, coach, lease).", "what")
	m.SetAside = r.Counter("waakvlam_set_aside_total", "Items set aside for an operator after repeated failures, by kind: update (a Telegram update that does not parse), schedule (a schedule that cannot be read).", "kind")
	for _, k := range []string{"schedule", "update"} {
		m.SetAside.With(k)
	}
	// Every kind from the start, so that "no misses yet" is a 0, not a gap.
	for _, k := range VerdictKinds {
		m.Verdicts.With(k)
	}
	if depths != nil {
		c := &depthCache{read: depths}
		r.GaugeFunc("waakvlam_outbox_depth", "Outbox messages waiting or in flight, by lane.", []string{"lane"}, func(ctx context.Context) ([]Sample, error) {
			d, err := c.get(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]Sample, 0, 3)
			for _, l := range []string{LaneUrgent, LaneNormal, LaneBulk} {
				out = append(out, Sample{Labels: []string{l}, Value: float64(d.Outbox[l])})
			}
			return out, nil
		})
		r.GaugeFunc("waakvlam_intake_depth", "Intake entries waiting or in progress.", nil, func(ctx context.Context) ([]Sample, error) {
			d, err := c.get(ctx)
			return []Sample{{Value: float64(d.Intake)}}, err
		})
		r.GaugeFunc("waakvlam_coach_depth", "Posts waiting for the coach bridge.", nil, func(ctx context.Context) ([]Sample, error) {
			d, err := c.get(ctx)
			return []Sample{{Value: float64(d.Coach)}}, err
		})
	}
	return m
}

// depthCache reads the depths once per scrape: the three gauges share one
// read when they come within a second.
type depthCache struct {
	read DepthFunc
	mu   sync.Mutex
	at   time.Time
	d    Depths
	err  error
}

func (c *depthCache) get(ctx context.Context) (Depths, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) < time.Second {
		return c.d, c.err
	}
	c.d, c.err = c.read(ctx)
	c.at = time.Now()
	return c.d, c.err
}
