package invite

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/store"
)

func TestMain(m *testing.M) { redistest.Main(m) }

func TestCodesAvoidLookAlikes(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 500; i++ {
		c, err := NewCode(8)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != 8 || strings.ContainsAny(c, "0O1IL") {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 499 {
		t.Fatalf("only %d distinct codes of 500", len(seen))
	}
}

func TestCreateStoresClientAndAWorkingCode(t *testing.T) {
	st := store.New(redistest.Client(t), nil)
	inv, err := Create(context.Background(), st, Request{FirstName: " Sanne ", Coach: "Piet", BotUsername: "@WaakBot", TTL: time.Hour, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(inv.Link, "https://t.me/WaakBot?start=") || !bytes.HasPrefix(inv.QRPNG, []byte("\x89PNG")) {
		t.Fatalf("link %q, png %d bytes", inv.Link, len(inv.QRPNG))
	}
	c, ok, err := st.LoadClient(context.Background(), inv.ClientID)
	if err != nil || !ok || c.FirstName != "Sanne" || c.Lang != "nl" {
		t.Fatalf("client %+v %v %v", c, ok, err)
	}
	if id, _ := st.RedeemInvite(context.Background(), inv.Code, 5); id != inv.ClientID {
		t.Fatal("code does not redeem")
	}
	if _, err := Create(context.Background(), st, Request{FirstName: "", Coach: "Piet", TTL: time.Hour}); err == nil {
		t.Fatal("empty name accepted")
	}
}
