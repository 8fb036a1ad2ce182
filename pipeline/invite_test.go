package pipeline

import (
	"strings"
	"testing"
)

// Alert ids carry the client (so an alert is found by its id) and about 49
// random bits (so nobody guesses another client's alert id).
func TestAlertIDsCarryTheClientAndCannotBeGuessed(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		id := newAlertID("k3m9qa2p")
		rnd, client, ok := strings.Cut(strings.TrimPrefix(id, "a"), "-")
		if !strings.HasPrefix(id, "a") || !ok || client != "k3m9qa2p" || len(rnd) != 10 || strings.Trim(rnd, alertAlphabet) != "" {
			t.Fatalf("alert id %q", id)
		}
		if seen[rnd] {
			t.Fatalf("alert id repeated after %d: %q", i, id)
		}
		seen[rnd] = true
	}
}
