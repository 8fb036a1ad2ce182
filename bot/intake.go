package bot

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Sink stores updates durably; only after it returns may the update be
// confirmed to Telegram.
type Sink interface {
	Intake(ctx context.Context, updates []Update) error
}

// Leaser holds a lease in shared storage.
type Leaser interface {
	Lease(ctx context.Context, key, token string, ttl time.Duration) (bool, error)
	Release(ctx context.Context, key, token string) error
}

// Poller runs getUpdates. Telegram allows one poller per token, so only
// the replica that holds the poll lease polls.
type Poller struct {
	APIURL   string // e.g. https://api.telegram.org
	Token    string
	LeaseKey string
	Replica  string
	Leases   Leaser
	Sink     Sink
	Log      *slog.Logger
	HTTP     *http.Client
	// Timeout is the long-poll timeout.
	Timeout time.Duration
	// LeaseTTL is how long the poll lease outlives a poller that stopped
	// renewing it; 0 means DefaultPollLeaseTTL. It is renewed while a poll
	// runs (pollease.go), so it may be shorter than Timeout.
	LeaseTTL time.Duration
	// Healed, when set, hears that the poll lease was found gone while held.
	Healed func(what string)
	// SetAside is called once an update that does not parse came PoisonTries
	// times (a poison update); when it returns nil the offset moves past it
	// (poison.go). nil: such an update is skipped with a log line only.
	SetAside func(ctx context.Context, updateID int64, tries int, reason string) error
	// PoisonTries is how often an unreadable update is fetched before it is
	// set aside; 0 means 3.
	PoisonTries int

	poison map[int64]int // unreadable update id -> times fetched
}

// Run polls until ctx ends. The offset only moves past updates the sink has
// stored, so a crash never skips one.
func (p *Poller) Run(ctx context.Context) error {
	if p.Timeout == 0 {
		p.Timeout = 10 * time.Second
	}
	if p.HTTP == nil {
		p.HTTP = &http.Client{Timeout: p.Timeout + 10*time.Second}
	}
	ttl := p.LeaseTTL
	if ttl == 0 {
		ttl = DefaultPollLeaseTTL
	}
	var offset int64
	backoff := time.Duration(0)
	leader := false
	// pctx lives while this replica may poll: keep cancels it before the
	// lease could run out unrenewed.
	pctx, pcancel := context.WithCancel(ctx)
	pcancel()
	defer func() {
		pcancel()
		if leader {
			_ = p.Leases.Release(context.WithoutCancel(ctx), p.LeaseKey, p.Replica)
		}
	}()
	for ctx.Err() == nil {
		if backoff > 0 {
			sleep(ctx, backoff)
		}
		if pctx.Err() != nil {
			if leader {
				leader = false
				backoff = 0
			}
			start := time.Now()
			ok, err := p.Leases.Lease(ctx, p.LeaseKey, p.Replica, ttl)
			if err != nil {
				p.Log.Warn("poll lease", "err", err)
				backoff = nextBackoff(backoff)
				continue
			}
			if !ok {
				// Another replica polls; try again soon, so a crashed
				// poller is replaced right after its lease ran out.
				sleep(ctx, ttl/6)
				continue
			}
			p.Log.Info("polling telegram", "replica", p.Replica)
			leader = true
			offset = 0 // Telegram redelivers what was not confirmed; dedupe drops repeats
			pctx, pcancel = context.WithCancel(ctx)
			go p.keep(pctx, pcancel, ttl, start)
		}
		ups, bad, err := p.getUpdates(pctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if pctx.Err() != nil {
				continue // lease not held any more
			}
			p.Log.Warn("get updates", "err", err)
			backoff = nextBackoff(backoff)
			continue
		}
		if len(ups) > 0 {
			if err := p.Sink.Intake(pctx, ups); err != nil {
				p.Log.Warn("store updates", "count", len(ups), "err", err)
				backoff = nextBackoff(backoff)
				continue
			}
		}
		var held bool
		if offset, held = p.nextOffset(pctx, offset, ups, bad); held {
			// An unreadable update holds the offset until it is set aside:
			// back off rather than fetch it again at once.
			backoff = nextBackoff(backoff)
			continue
		}
		backoff = 0
	}
	return nil
}

func (p *Poller) getUpdates(ctx context.Context, offset int64) (ups []Update, bad []unreadable, err error) {
	// The URL holds the token: never let it reach a log line, whatever
	// part of the request failed.
	defer func() { err = Redactor(p.Token).Error(err) }()
	body, _ := json.Marshal(map[string]any{
		"offset": offset, "timeout": int(p.Timeout.Seconds()), "limit": 100, "allowed_updates": allowedUpdates,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(p.APIURL, "/")+"/bot"+p.Token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("build getUpdates: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("getUpdates: %w", err)
	}
	defer resp.Body.Close()
	var r struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		Description string            `json:"description"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&r); err != nil {
		return nil, nil, fmt.Errorf("getUpdates: decode: %w", err)
	}
	if !r.OK {
		return nil, nil, fmt.Errorf("getUpdates: %d %s", resp.StatusCode, r.Description)
	}
	out := make([]Update, 0, len(r.Result))
	for _, raw := range r.Result {
		u, err := ParseUpdate(raw)
		if err != nil {
			bad = append(bad, unreadableUpdate(raw, err))
			continue
		}
		out = append(out, u)
	}
	return out, bad, nil
}

// maxWebhookBody is far above any real update; larger bodies are refused.
const maxWebhookBody = 1 << 20

// Webhook returns the handler Telegram posts updates to. Requests without
// the right secret token header get 401 and are not read.
func Webhook(secret string, sink Sink, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		raw, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
		if err != nil || len(raw) > maxWebhookBody {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		u, err := ParseUpdate(raw)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := sink.Intake(r.Context(), []Update{u}); err != nil {
			log.Warn("store webhook update", "update", u.ID, "err", err)
			// Telegram retries on an error status: the update is not lost.
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		d = 200 * time.Millisecond
	} else {
		d *= 2
	}
	if d > 30*time.Second {
		d = 30 * time.Second
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
