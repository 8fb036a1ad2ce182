// Package redact keeps secrets (the bot token, the Mattermost token, the
// webhook secret, Redis passwords, keys) out of log lines and error texts.
// It is applied at the edges: the process logger and the errors a client
// library hands back, because a library error may carry a secret where
// nobody looks for it (Go's *url.Error holds the request URL, and the Bot
// API puts the bot token in every URL).
package redact

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
)

// Mask replaces a secret.
const Mask = "***"

// MinLen is the shortest secret that is masked: masking a two-letter
// password would mangle every log line and hide nothing worth hiding.
const MinLen = 4

// Redactor masks a fixed set of secrets.
type Redactor struct {
	r *strings.Replacer // nil: nothing to mask
}

// New masks each secret of at least MinLen bytes, also in its URL-escaped
// forms. Empty and short ones are ignored.
func New(secrets ...string) *Redactor {
	var all []string
	for _, s := range secrets {
		if len(s) < MinLen {
			continue
		}
		all = append(all, s, url.QueryEscape(s), url.PathEscape(s))
	}
	// Longer first, so that a secret containing another is masked whole.
	slices.SortFunc(all, func(a, b string) int { return len(b) - len(a) })
	all = slices.Compact(all)
	if len(all) == 0 {
		return &Redactor{}
	}
	pairs := make([]string, 0, 2*len(all))
	for _, s := range all {
		pairs = append(pairs, s, Mask)
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// String masks the secrets in s.
func (x *Redactor) String(s string) string {
	if x == nil || x.r == nil {
		return s
	}
	return x.r.Replace(s)
}

// Error returns err with the secrets masked in its text. errors.Is and
// errors.As still see the original chain (a caller may classify it), but
// every text of it — Error(), %v, a log attribute — is masked.
func (x *Redactor) Error(err error) error {
	if err == nil || x == nil || x.r == nil {
		return err
	}
	if e, ok := err.(*masked); ok && e.by == x {
		return err
	}
	return &masked{msg: x.String(err.Error()), err: err, by: x}
}

type masked struct {
	msg string
	err error
	by  *Redactor
}

func (e *masked) Error() string { return e.msg }
func (e *masked) Unwrap() error { return e.err }

// Handler wraps h so that no record it writes holds a secret: the message,
// string attributes, errors and any other value whose text holds one.
func (x *Redactor) Handler(h slog.Handler) slog.Handler {
	if x == nil || x.r == nil {
		return h
	}
	if rh, ok := h.(*handler); ok && rh.x == x {
		return h
	}
	return &handler{h: h, x: x}
}

type handler struct {
	h slog.Handler
	x *Redactor
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.x.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return &handler{h: h.h.WithAttrs(clean), x: h.x}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{h: h.h.WithGroup(name), x: h.x}
}

func (h *handler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.x.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = h.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		switch t := v.Any().(type) {
		case error:
			return slog.String(a.Key, h.x.String(t.Error()))
		case fmt.Stringer:
			s := t.String()
			if c := h.x.String(s); c != s {
				return slog.String(a.Key, c)
			}
		default:
			s := fmt.Sprintf("%+v", t)
			if c := h.x.String(s); c != s {
				return slog.String(a.Key, c)
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
