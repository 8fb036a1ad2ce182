// Package seal is Waakvlam's encryption at rest, without any storage: the
// envelope format of sealed content, data keys, and the key-encryption
// keys (KEKs) from configuration that wrap them.
//
// Content is sealed with AES-256-GCM under a data key. An envelope is
//
//	version (1 byte, 1) | data key id (8) | nonce (12) | ciphertext and tag (len+16)
//
// and its associated data binds it to a Binding: whose content it is and
// the Redis key and field it is stored under. An envelope copied to another
// client, key or field does not open; neither does a changed, truncated or
// lengthened one. Opening never returns anything but the sealed plaintext
// or an error.
//
// A data key is 32 random bytes with a random 8-byte id. It is stored
// wrapped (AES-256-GCM under a KEK):
//
//	version (1 byte, 1) | KEK id length (1) | KEK id | data key id (8) | nonce (12) | wrapped key and tag (48)
//
// bound to its scope (the client id, or "system" for system data). The KEK id
// in the clear lets a key ring with several KEKs (rotation) find the right
// one, and lets an operator check that no wrapped key names a retired KEK.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is the envelope and wrapped-key format version.
const Version = 1

// KeySize is the size of data keys and KEKs (AES-256).
const KeySize = 32

const (
	idSize    = 8
	nonceSize = 12
	tagSize   = 16
	// Overhead is how many bytes sealing adds to the plaintext.
	Overhead = 1 + idSize + nonceSize + tagSize
)

// Errors. Opening fails closed with one of these, wrapped.
var (
	// ErrMalformed: not an envelope (too short, unknown version).
	ErrMalformed = errors.New("seal: not a sealed value")
	// ErrOpen: the envelope does not open: changed, truncated, moved to
	// another client, key or field, or sealed under another data key.
	ErrOpen = errors.New("seal: sealed value does not open (changed, moved or another key)")
	// ErrUnknownKEK: a wrapped data key names a KEK that is not configured.
	ErrUnknownKEK = errors.New("seal: data key wrapped under a key-encryption key that is not configured")
)

// KeyID names a data key.
type KeyID [idSize]byte

func (id KeyID) String() string { return fmt.Sprintf("%x", id[:]) }

// Binding says where sealed content lives: whose it is ("" for system
// data) and the Redis key and field (hash field or stream entry field) it
// is stored under. It is the associated data of the envelope.
type Binding struct {
	Owner, Key, Field string
}

// ad builds the associated data: a label, the header and the binding, each
// part length-prefixed so that no two bindings give the same bytes.
func (b Binding) ad(header []byte) []byte {
	out := make([]byte, 0, 16+len(header)+12+len(b.Owner)+len(b.Key)+len(b.Field))
	out = append(out, "waakvlam-seal"...)
	out = append(out, header...)
	for _, s := range []string{b.Owner, b.Key, b.Field} {
		out = binary.BigEndian.AppendUint32(out, uint32(len(s)))
		out = append(out, s...)
	}
	return out
}

// Key is a data key ready to seal and open.
type Key struct {
	id   KeyID
	aead cipher.AEAD
}

// NewKey makes a fresh random data key and returns it with its raw bytes
// (to be wrapped for storage).
func NewKey() (*Key, []byte, error) {
	raw := make([]byte, KeySize)
	var id KeyID
	if _, err := rand.Read(raw); err != nil {
		return nil, nil, err
	}
	if _, err := rand.Read(id[:]); err != nil {
		return nil, nil, err
	}
	k, err := KeyFrom(id, raw)
	return k, raw, err
}

// KeyFrom makes a key from its id and raw bytes.
func KeyFrom(id KeyID, raw []byte) (*Key, error) {
	aead, err := newGCM(raw)
	if err != nil {
		return nil, err
	}
	return &Key{id: id, aead: aead}, nil
}

func newGCM(raw []byte) (cipher.AEAD, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("seal: key of %d bytes, want %d", len(raw), KeySize)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// ID returns the key's id.
func (k *Key) ID() KeyID { return k.id }

// Seal returns the envelope of plain bound to b.
func (k *Key) Seal(b Binding, plain []byte) ([]byte, error) {
	out := make([]byte, 1+idSize+nonceSize, Overhead+len(plain))
	out[0] = Version
	copy(out[1:], k.id[:])
	if _, err := rand.Read(out[1+idSize:]); err != nil {
		return nil, err
	}
	header := out[:1+idSize]
	return k.aead.Seal(out, out[1+idSize:], plain, b.ad(header)), nil
}

// Envelope is a parsed envelope.
type Envelope struct {
	Version byte
	KeyID   KeyID
	nonce   []byte
	sealed  []byte // ciphertext and tag
	header  []byte
}

// Parse reads an envelope's header without opening it: which data key it
// needs.
func Parse(env []byte) (Envelope, error) {
	if len(env) < Overhead {
		return Envelope{}, fmt.Errorf("%w: %d bytes", ErrMalformed, len(env))
	}
	if env[0] != Version {
		return Envelope{}, fmt.Errorf("%w: version %d", ErrMalformed, env[0])
	}
	e := Envelope{Version: env[0], header: env[:1+idSize], nonce: env[1+idSize : 1+idSize+nonceSize], sealed: env[1+idSize+nonceSize:]}
	copy(e.KeyID[:], env[1:1+idSize])
	return e, nil
}

// Open returns the plaintext of an envelope bound to b, or an error: it
// never returns anything it did not seal itself.
func (k *Key) Open(b Binding, env []byte) ([]byte, error) {
	e, err := Parse(env)
	if err != nil {
		return nil, err
	}
	if e.KeyID != k.id {
		return nil, fmt.Errorf("%w: sealed under data key %s, not %s", ErrOpen, e.KeyID, k.id)
	}
	plain, err := k.aead.Open(nil, e.nonce, e.sealed, b.ad(e.header))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
