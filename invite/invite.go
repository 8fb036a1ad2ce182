// Package invite owns how a client is invited: the new client record, a
// one-time code, the deep link that carries it and a QR code of that link
// that a coach can print or show.
package invite

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/waakvlam/waakvlam/store"
)

// codeAlphabet leaves out letters and digits that look alike (0/O, 1/I/L),
// so a code read from paper is typed right.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewCode returns a random code of n characters, each drawn uniformly
// from codeAlphabet (8 characters: about 40 bits).
func NewCode(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+8)
	// 248 is the largest multiple of 31 below 256: bytes above it are
	// dropped so that every character is equally likely.
	const limit = 256 - 256%len(codeAlphabet)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("make code: %w", err)
		}
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, codeAlphabet[int(c)%len(codeAlphabet)])
			}
		}
	}
	return string(out), nil
}

// Code lengths ParseCode accepts. Made codes have 8 characters; fixed
// ones (the demo's) may be shorter.
const (
	MinCodeLen = 4
	MaxCodeLen = 32
)

// ParseCode reads a code as a person types it or a deep link carries it:
// spaces and dashes are left out and letters may be small. It returns the
// code in its one canonical form (A-Z and 0-9), and false for anything
// else, so nothing malformed reaches Redis. Only ASCII counts: a letter
// that merely looks like one (Cyrillic, full width) makes the code invalid.
func ParseCode(s string) (string, bool) {
	if len(s) > 4*MaxCodeLen {
		return "", false
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '\t':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			return "", false
		}
		if len(out) == MaxCodeLen {
			return "", false
		}
		out = append(out, c)
	}
	if len(out) < MinCodeLen {
		return "", false
	}
	return string(out), true
}

// NewClientID returns a short random client id.
func NewClientID() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make client id: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// Link is the deep link that opens the bot with the code.
func Link(botUsername, code string) string {
	return "https://t.me/" + strings.TrimPrefix(botUsername, "@") + "?start=" + code
}

// QR renders a link as a PNG QR code.
func QR(link string) ([]byte, error) {
	png, err := qrcode.Encode(link, qrcode.Medium, 512)
	if err != nil {
		return nil, fmt.Errorf("make QR code: %w", err)
	}
	return png, nil
}

// Invitation is a new client with its code.
type Invitation struct {
	ClientID string
	Code     string
	Link     string
	Expires  time.Time
	QRPNG    []byte
}

// Request describes the client to invite.
type Request struct {
	FirstName   string
	Coach       string
	CoachUser   string // Mattermost username of the coach
	BackupUser  string // Mattermost username of the backup coach
	Lang        string
	BotUsername string
	TTL         time.Duration
	Code        string // a fixed code (the demo); empty for a random one
	Now         time.Time
}

// Create stores a new client and its invite code.
func Create(ctx context.Context, st *store.Store, r Request) (Invitation, error) {
	name := strings.TrimSpace(r.FirstName)
	coach := strings.TrimSpace(r.Coach)
	if name == "" || len([]rune(name)) > 60 {
		return Invitation{}, fmt.Errorf("first name: give 1-60 characters")
	}
	if coach == "" || len([]rune(coach)) > 60 {
		return Invitation{}, fmt.Errorf("coach name: give 1-60 characters")
	}
	if r.Lang == "" {
		r.Lang = "nl"
	}
	id, err := NewClientID()
	if err != nil {
		return Invitation{}, err
	}
	code := r.Code
	if code == "" {
		if code, err = NewCode(8); err != nil {
			return Invitation{}, err
		}
	}
	code, ok := ParseCode(code)
	if !ok {
		return Invitation{}, fmt.Errorf("code: give %d-%d letters and digits", MinCodeLen, MaxCodeLen)
	}
	if err := st.CreateClient(ctx, store.Client{ID: id, FirstName: name, Coach: coach, Lang: r.Lang, Created: r.Now, CoachUser: r.CoachUser, BackupUser: r.BackupUser}); err != nil {
		return Invitation{}, err
	}
	if err := st.CreateInvite(ctx, code, id, r.TTL); err != nil {
		return Invitation{}, err
	}
	link := Link(r.BotUsername, code)
	png, err := QR(link)
	if err != nil {
		return Invitation{}, err
	}
	return Invitation{ClientID: id, Code: code, Link: link, Expires: r.Now.Add(r.TTL), QRPNG: png}, nil
}
