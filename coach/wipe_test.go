package coach

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

// channelMM answers channel deletes the way Mattermost 6.7.2 does:
// permanent only when allowed (else 401 "not enabled"), archiving always.
type channelMM struct {
	mu        sync.Mutex
	permanent int // status of a permanent delete: 200, 401 or 503
	calls     []string
	posts     []string
}

func (f *channelMM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v4")
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case strings.HasPrefix(path, "/channels/") && r.Method == http.MethodDelete:
		if r.URL.Query().Get("permanent") == "true" {
			f.calls = append(f.calls, "delete "+path)
			switch f.permanent {
			case 200:
				reply(200, map[string]string{"status": "OK"})
			case 401:
				reply(401, map[string]any{"id": "api.user.delete_channel.not_enabled.app_error", "status_code": 401})
			default:
				reply(f.permanent, map[string]any{"id": "app.down", "status_code": f.permanent})
			}
			return
		}
		f.calls = append(f.calls, "archive "+path)
		reply(200, map[string]string{"status": "OK"})
	case path == "/posts" && r.Method == http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		var p struct{ Message string }
		_ = json.Unmarshal(body, &p)
		f.posts = append(f.posts, p.Message)
		f.calls = append(f.calls, "post")
		reply(201, map[string]string{"id": "p1"})
	default:
		reply(404, map[string]string{"id": "not.found"})
	}
}

// client wissen wipes the client and removes its channel: deleted when
// Mattermost allows a permanent delete, archived (with a note first) when
// it does not; the answer says which, and says so when neither worked.
func TestClientWissenDeletesOrArchivesTheChannel(t *testing.T) {
	dir, err := staff.ParseDirectory([]byte(accessStaff))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redistest.Client(t)
	for _, tt := range []struct {
		permanent int
		calls     string
		answer    string
	}{
		{200, "post,delete /channels/chan1", "Het kanaal is ook verwijderd, met alle berichten."},
		{401, "post,delete /channels/chan1,archive /channels/chan1", "Het kanaal is gearchiveerd, niet verwijderd"},
		{503, "post,delete /channels/chan1", "Het kanaal kon niet worden verwijderd of gearchiveerd"},
	} {
		f := &channelMM{permanent: tt.permanent}
		srv := httptest.NewServer(f)
		b := New(mattermost.New(srv.URL, "token"), store.New(rdb, nil), nil, dir, Config{Location: time.UTC},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		ctx := context.Background()
		c := store.Client{ID: "cl1", FirstName: "Noor", Coach: "Piet", Lang: "nl", CoachUser: "coach-piet", ChatID: 77}
		if err := b.st.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := b.st.SetChannel(ctx, "cl1", "chan1"); err != nil {
			t.Fatal(err)
		}
		c.Channel = "chan1"
		if got, _ := b.cmdDelete(ctx, "coach-piet", c); !strings.Contains(got, "Stop eerst") {
			t.Fatalf("a linked client was wiped: %q", got)
		}
		c.ChatID = 0
		got, _ := b.cmdDelete(ctx, "coach-piet", c)
		if !strings.Contains(got, "De gegevens van `cl1` zijn gewist.") || !strings.Contains(got, tt.answer) {
			t.Errorf("permanent %d: answer %q", tt.permanent, got)
		}
		f.mu.Lock()
		if calls := strings.Join(f.calls, ","); calls != tt.calls {
			t.Errorf("permanent %d: calls %s, want %s", tt.permanent, calls, tt.calls)
		}
		if len(f.posts) != 1 || !strings.Contains(f.posts[0], "@coach-piet heeft de gegevens van deze cliënt gewist") {
			t.Errorf("note = %q", f.posts)
		}
		f.mu.Unlock()
		if _, ok, _ := b.st.LoadClient(ctx, "cl1"); ok {
			t.Error("client kept")
		}
		if id, _ := b.st.ClientOfChannel(ctx, "chan1"); id != "" {
			t.Error("channel link kept")
		}
		// The programme audit log says who wiped, not whom.
		last := rdb.XRevRangeN(ctx, store.ProgrammeAudit, "+", "-", 1).Val()
		if len(last) != 1 || last[0].Values["what"] != "client wissen" || last[0].Values["who"] != "coach-piet" {
			t.Errorf("audit = %+v", last)
		}
		srv.Close()
	}
}
