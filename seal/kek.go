package seal

import (
	"bufio"
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// KEK is a key-encryption key from configuration.
type KEK struct {
	ID  string
	raw []byte
}

var kekIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ParseKey reads a KEK given as base64 (standard or URL alphabet, padded
// or not) of 32 bytes. Its id is derived from the key: the same key always
// has the same id.
func ParseKey(b64 string) (KEK, error) {
	raw, err := decodeKey(strings.TrimSpace(b64))
	if err != nil {
		return KEK{}, err
	}
	return KEK{ID: DerivedID(raw), raw: raw}, nil
}

func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty key")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			if len(raw) != KeySize {
				return nil, fmt.Errorf("the key is %d bytes, want %d (base64 of 32 random bytes, e.g. `openssl rand -base64 32`)", len(raw), KeySize)
			}
			return raw, nil
		}
	}
	return nil, errors.New("not base64 (want base64 of 32 random bytes, e.g. `openssl rand -base64 32`)")
}

// DerivedID is the id of a KEK given without one.
func DerivedID(raw []byte) string {
	sum := sha256.Sum256(append([]byte("waakvlam-kek-id:"), raw...))
	return "k" + hex.EncodeToString(sum[:5])
}

// NewKEK makes a random KEK with an id that says when it was made.
func NewKEK(now time.Time) (KEK, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return KEK{}, err
	}
	var suffix [3]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return KEK{}, err
	}
	return KEK{ID: "k" + now.UTC().Format("20060102") + "-" + hex.EncodeToString(suffix[:]), raw: raw}, nil
}

// Line is the KEK as a line of a key file: "id base64".
func (k KEK) Line() string { return k.ID + " " + base64.StdEncoding.EncodeToString(k.raw) }

// Ring holds the configured KEKs. The first is current: new and re-wrapped
// data keys are wrapped under it; the others only unwrap.
type Ring struct {
	keks []KEK
	aead map[string]cipher.AEAD
}

// NewRing makes a ring; the first KEK is current.
func NewRing(keks ...KEK) (*Ring, error) {
	if len(keks) == 0 {
		return nil, errors.New("no key")
	}
	r := &Ring{aead: map[string]cipher.AEAD{}}
	seen := map[string]bool{}
	for _, k := range keks {
		if !kekIDRe.MatchString(k.ID) {
			return nil, fmt.Errorf("key id %q: use 1-64 of A-Z a-z 0-9 . _ -", k.ID)
		}
		if _, dup := r.aead[k.ID]; dup {
			return nil, fmt.Errorf("key id %q given twice", k.ID)
		}
		if seen[string(k.raw)] {
			return nil, fmt.Errorf("key %q is the same key as an earlier one", k.ID)
		}
		seen[string(k.raw)] = true
		a, err := newGCM(k.raw)
		if err != nil {
			return nil, err
		}
		r.aead[k.ID] = a
		r.keks = append(r.keks, k)
	}
	return r, nil
}

// ParseKeyFile reads a key file: one KEK per line, "id base64key" or only
// "base64key" (the id is then derived from the key); empty lines and lines
// starting with # are skipped. The first key is current.
func ParseKeyFile(content []byte) (*Ring, error) {
	var keks []KEK
	sc := bufio.NewScanner(bytes.NewReader(content))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		var k KEK
		var err error
		switch len(f) {
		case 1:
			k, err = ParseKey(f[0])
		case 2:
			var raw []byte
			if raw, err = decodeKey(f[1]); err == nil {
				k = KEK{ID: f[0], raw: raw}
			}
		default:
			err = errors.New(`want "id base64key"`)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		keks = append(keks, k)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(keks) == 0 {
		return nil, errors.New("no key in the file")
	}
	return NewRing(keks...)
}

// Current is the id of the KEK that wraps new data keys.
func (r *Ring) Current() string { return r.keks[0].ID }

// IDs lists the KEK ids, current first.
func (r *Ring) IDs() []string {
	out := make([]string, len(r.keks))
	for i, k := range r.keks {
		out[i] = k.ID
	}
	return out
}

// Has reports whether the ring holds KEK id.
func (r *Ring) Has(id string) bool { _, ok := r.aead[id]; return ok }

// KEKs returns the ring's keys, current first.
func (r *Ring) KEKs() []KEK { return append([]KEK(nil), r.keks...) }

func wrapAD(scope, kekID string, id KeyID) []byte {
	return Binding{Owner: scope, Key: "data-key", Field: kekID + "/" + id.String()}.ad([]byte{Version})
}

// Wrap wraps a data key for scope (a client id, or "sys") under the
// current KEK.
func (r *Ring) Wrap(scope string, id KeyID, raw []byte) ([]byte, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("seal: data key of %d bytes", len(raw))
	}
	cur := r.keks[0].ID
	out := make([]byte, 0, 2+len(cur)+idSize+nonceSize+KeySize+tagSize)
	out = append(out, Version, byte(len(cur)))
	out = append(out, cur...)
	out = append(out, id[:]...)
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return r.aead[cur].Seal(out, nonce, raw, wrapAD(scope, cur, id)), nil
}

// WrappedKEK returns the id of the KEK a wrapped data key names.
func WrappedKEK(wrapped []byte) (string, error) {
	kek, _, _, _, err := parseWrapped(wrapped)
	return kek, err
}

func parseWrapped(w []byte) (kek string, id KeyID, nonce, sealed []byte, err error) {
	if len(w) < 2 || w[0] != Version {
		return "", id, nil, nil, fmt.Errorf("%w: wrapped data key", ErrMalformed)
	}
	n := int(w[1])
	if n == 0 || len(w) != 2+n+idSize+nonceSize+KeySize+tagSize {
		return "", id, nil, nil, fmt.Errorf("%w: wrapped data key of %d bytes", ErrMalformed, len(w))
	}
	kek = string(w[2 : 2+n])
	copy(id[:], w[2+n:])
	nonce = w[2+n+idSize : 2+n+idSize+nonceSize]
	sealed = w[2+n+idSize+nonceSize:]
	return kek, id, nonce, sealed, nil
}

// Unwrap opens a wrapped data key of scope.
func (r *Ring) Unwrap(scope string, wrapped []byte) (*Key, error) {
	kek, id, nonce, sealed, err := parseWrapped(wrapped)
	if err != nil {
		return nil, err
	}
	a, ok := r.aead[kek]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKEK, kek)
	}
	raw, err := a.Open(nil, nonce, sealed, wrapAD(scope, kek, id))
	if err != nil {
		return nil, fmt.Errorf("%w: data key of %q", ErrOpen, scope)
	}
	return KeyFrom(id, raw)
}

// Rewrap unwraps a data key and wraps it again under the current KEK. The
// data key itself, and so every envelope sealed under it, stays the same.
func (r *Ring) Rewrap(scope string, wrapped []byte) ([]byte, error) {
	kek, id, nonce, sealed, err := parseWrapped(wrapped)
	if err != nil {
		return nil, err
	}
	a, ok := r.aead[kek]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKEK, kek)
	}
	raw, err := a.Open(nil, nonce, sealed, wrapAD(scope, kek, id))
	if err != nil {
		return nil, fmt.Errorf("%w: data key of %q", ErrOpen, scope)
	}
	return r.Wrap(scope, id, raw)
}

// Ephemeral makes a ring with one random KEK, for demo and tests: what it
// seals is unreadable once the process ends.
func Ephemeral() *Ring {
	k, err := NewKEK(time.Now())
	if err != nil {
		panic(err)
	}
	r, err := NewRing(k)
	if err != nil {
		panic(err)
	}
	return r
}
