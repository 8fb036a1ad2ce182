package coach

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// A forged slash command of 9 MB is refused after reading 64 KiB of it,
// not parsed whole before the token is checked.
func TestSlashCommandReadsAtMost64KiB(t *testing.T) {
	b := testBridge(t)
	b.cmdToken = "the-real-token"
	body := &countingReader{r: strings.NewReader("token=forged&text=" + strings.Repeat("a", 9<<20))}
	req := httptest.NewRequest(http.MethodPost, "/mattermost/command", body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	b.CommandHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("9 MB form: %d", rec.Code)
	}
	if body.n > MaxCommandForm+64<<10 {
		t.Fatalf("read %d bytes of a form capped at %d", body.n, MaxCommandForm)
	}
	// A real command of ordinary size still passes the cap.
	form := url.Values{"token": {"the-real-token"}, "user_name": {"someone"}, "text": {"client lijst " + strings.Repeat("é", 4000)}}
	req = httptest.NewRequest(http.MethodPost, "/mattermost/command", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	b.CommandHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("ordinary command: %d", rec.Code)
	}
}
