package seal_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/seal"
)

var here = seal.Binding{Owner: "c1", Key: "wv:{p03}:cl:c1", Field: "name"}

func mustKey(t testing.TB) *seal.Key {
	t.Helper()
	k, _, err := seal.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpensOnlyWhereItWasSealed(t *testing.T) {
	k := mustKey(t)
	env, err := k.Seal(here, []byte("Zuleika"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(env, []byte("Zuleika")) || len(env) != len("Zuleika")+seal.Overhead {
		t.Fatalf("envelope %x", env)
	}
	if got, err := k.Open(here, env); err != nil || string(got) != "Zuleika" {
		t.Fatalf("open = %q, %v", got, err)
	}
	again, _ := k.Seal(here, []byte("Zuleika"))
	if bytes.Equal(env, again) {
		t.Fatal("two seals of one text are equal: nonce not random")
	}
	for name, b := range map[string]seal.Binding{
		"other client": {Owner: "c2", Key: here.Key, Field: here.Field},
		"other key":    {Owner: here.Owner, Key: "wv:{p03}:cl:c2", Field: here.Field},
		"other field":  {Owner: here.Owner, Key: here.Key, Field: "coach"},
		"system":       {},
		// Length prefixes: moving bytes between the parts is another binding.
		"shifted": {Owner: "c1w", Key: "v:{p03}:cl:c1", Field: here.Field},
	} {
		if got, err := k.Open(b, env); !errors.Is(err, seal.ErrOpen) || got != nil {
			t.Errorf("%s: open = %q, %v; want ErrOpen", name, got, err)
		}
	}
	if _, err := mustKey(t).Open(here, env); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("another data key: %v", err)
	}
}

// Every changed byte and every truncation fails closed: an error, never
// garbage.
func TestTamperedEnvelopesFailClosed(t *testing.T) {
	k := mustKey(t)
	env, _ := k.Seal(here, []byte(`{"step":"ask_coach","text":"mijn geheime schuld"}`))
	for i := range env {
		for _, bit := range []byte{0x01, 0x80} {
			bad := append([]byte(nil), env...)
			bad[i] ^= bit
			if got, err := k.Open(here, bad); err == nil || got != nil {
				t.Fatalf("flipped bit %x of byte %d opened: %q", bit, i, got)
			}
		}
	}
	for n := 0; n < len(env); n++ {
		if got, err := k.Open(here, env[:n]); err == nil || got != nil {
			t.Fatalf("truncated to %d opened: %q", n, got)
		}
	}
	if _, err := k.Open(here, append(append([]byte(nil), env...), 0)); err == nil {
		t.Fatal("lengthened envelope opened")
	}
	if _, err := k.Open(here, []byte(`{"step":"plain json"}`)); !errors.Is(err, seal.ErrMalformed) && !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("plaintext accepted: %v", err)
	}
}

func TestWrappedKeysOpenWithTheRingAndNameTheirKEK(t *testing.T) {
	old, _ := seal.NewKEK(time.Now())
	next, _ := seal.NewKEK(time.Now())
	r1, err := seal.NewRing(old)
	if err != nil {
		t.Fatal(err)
	}
	k, raw, _ := seal.NewKey()
	w, err := r1.Wrap("c1", k.ID(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := seal.WrappedKEK(w); id != old.ID {
		t.Fatalf("wrapped under %q, want %q", id, old.ID)
	}
	if bytes.Contains(w, raw) {
		t.Fatal("raw key in the wrapped key")
	}
	if _, err := r1.Unwrap("c2", w); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("a data key moved to another client unwrapped: %v", err)
	}
	// Rotation: the new KEK first, the old one still there; rewrap; then
	// without the old one the key still unwraps.
	r2, _ := seal.NewRing(next, old)
	w2, err := r2.Rewrap("c1", w)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := seal.WrappedKEK(w2); id != next.ID {
		t.Fatalf("rewrapped under %q", id)
	}
	r3, _ := seal.NewRing(next)
	got, err := r3.Unwrap("c1", w2)
	if err != nil || got.ID() != k.ID() {
		t.Fatalf("unwrap after rotation: %v", err)
	}
	env, _ := k.Seal(here, []byte("x"))
	if p, err := got.Open(here, env); err != nil || string(p) != "x" {
		t.Fatalf("old envelope after rotation: %q %v", p, err)
	}
	if _, err := r3.Unwrap("c1", w); !errors.Is(err, seal.ErrUnknownKEK) {
		t.Fatalf("retired KEK: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	a, _ := seal.NewKEK(time.Now())
	b, _ := seal.NewKEK(time.Now())
	single, _ := seal.NewKEK(time.Now())
	b64 := strings.Fields(single.Line())[1]
	r, err := seal.ParseKeyFile([]byte("# keys\n" + a.Line() + "\n\n" + b.Line() + "\n" + b64 + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ids := r.IDs(); len(ids) != 3 || ids[0] != a.ID || ids[1] != b.ID || !strings.HasPrefix(ids[2], "k") {
		t.Fatalf("ids = %v", ids)
	}
	env, _ := seal.ParseKey(b64)
	if env.ID != r.IDs()[2] {
		t.Fatalf("derived ids differ: %s %s", env.ID, r.IDs()[2])
	}
	for _, bad := range []string{"", "# only a comment\n", "id notbase64!\n", "id c2hvcnQ=\n", a.Line() + "\n" + a.Line() + "\n", "a b c\n", "bad/id " + b64 + "\n"} {
		if _, err := seal.ParseKeyFile([]byte(bad)); err == nil {
			t.Errorf("key file %q accepted", bad)
		}
	}
}

// FuzzOpen feeds arbitrary bytes to the envelope parser and opener: it
// must never panic, and nothing but the one envelope it sealed may open.
func FuzzOpen(f *testing.F) {
	k, _, err := seal.NewKey()
	if err != nil {
		f.Fatal(err)
	}
	valid, _ := k.Seal(here, []byte("Zuleika"))
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(valid[:seal.Overhead])
	f.Add([]byte{})
	f.Add([]byte{seal.Version})
	f.Add([]byte(`{"json":"plain"}`))
	flipped := append([]byte(nil), valid...)
	flipped[len(flipped)/2] ^= 1
	f.Add(flipped)
	ring := seal.Ephemeral()
	kk, raw, _ := seal.NewKey()
	w, _ := ring.Wrap("c1", kk.ID(), raw)
	f.Add(w)
	f.Fuzz(func(t *testing.T, data []byte) {
		if e, err := seal.Parse(data); err == nil && e.Version != seal.Version {
			t.Fatalf("parsed version %d", e.Version)
		}
		got, err := k.Open(here, data)
		if err == nil && (!bytes.Equal(data, valid) || string(got) != "Zuleika") {
			t.Fatalf("opened %x to %q", data, got)
		}
		if err != nil && got != nil {
			t.Fatal("error with output")
		}
		// The wrapped-key parser takes the same input.
		_, _ = seal.WrappedKEK(data)
		if uk, err := ring.Unwrap("c1", data); err == nil && (!bytes.Equal(data, w) || uk.ID() != kk.ID()) {
			t.Fatalf("unwrapped a forged key %x", data)
		}
	})
}

func BenchmarkSeal(b *testing.B) {
	k := mustKey(b)
	msg := bytes.Repeat([]byte("a"), 300)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Seal(here, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	k := mustKey(b)
	msg := bytes.Repeat([]byte("a"), 300)
	env, _ := k.Seal(here, msg)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Open(here, env); err != nil {
			b.Fatal(err)
		}
	}
}
