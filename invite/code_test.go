package invite

import (
	"strings"
	"testing"
)

func TestParseCode(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"K7M2Q9AB", "K7M2Q9AB", true},
		{"k7m2q9ab", "K7M2Q9AB", true},
		{" K7M2-Q9AB ", "K7M2Q9AB", true},
		{"k7m2 q9ab", "K7M2Q9AB", true},
		{"DEMO", "DEMO", true},
		{"ABC", "", false},                             // too short
		{strings.Repeat("A", MaxCodeLen+1), "", false}, // too long
		{"K7M2_Q9AB", "", false},
		{"К7M2Q9AB", "", false}, // Cyrillic К
		{"Ｋ7M2Q9AB", "", false}, // full width
		{"K7M2Q9AB\x00", "", false},
		{"", "", false},
		{"    ", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseCode(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseCode(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for i := 0; i < 200; i++ {
		c, err := NewCode(8)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := ParseCode(c); !ok || got != c {
			t.Fatalf("made code %q parses as %q, %v", c, got, ok)
		}
	}
}

// FuzzInviteCode: the parser never panics, accepts only the canonical
// form (4-32 of A-Z and 0-9), is idempotent, ignores case, spaces and
// dashes, and accepts nothing that is not ASCII.
func FuzzInviteCode(f *testing.F) {
	for _, s := range []string{"K7M2Q9AB", "k7m2-q9ab", "DEMO", " a b c d ", "К7M2Q9AB", "\xff\xfe", strings.Repeat("Z", 40), "A-B-C-D-E"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseCode(s)
		if !ok {
			if got != "" {
				t.Fatalf("rejected %q but returned %q", s, got)
			}
			return
		}
		if len(got) < MinCodeLen || len(got) > MaxCodeLen {
			t.Fatalf("%q parsed to %q of length %d", s, got, len(got))
		}
		for i := 0; i < len(got); i++ {
			if c := got[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				t.Fatalf("%q parsed to %q with %q", s, got, c)
			}
		}
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				t.Fatalf("non-ASCII %q accepted as %q", s, got)
			}
		}
		if again, ok2 := ParseCode(got); !ok2 || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, got, again, ok2)
		}
		if low, ok3 := ParseCode(strings.ToLower(s)); !ok3 || low != got {
			t.Fatalf("case matters: %q -> %q, lower -> %q, %v", s, got, low, ok3)
		}
		stripped := strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(s)
		if strings.ToUpper(stripped) != got {
			t.Fatalf("%q parsed to %q, want %q", s, got, strings.ToUpper(stripped))
		}
	})
}
