package coach

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/programme"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/store"
)

// Staff commands, coach posts and refusals each leave one access log
// entry naming who, from where and with what outcome; the chain verifies.
func TestStaffAccessesAreLogged(t *testing.T) {
	b, _, _ := accessBridge(t)
	ctx := context.Background()
	l := accesslog.New(b.st.Redis(), store.ServerSecret("123456:COACHACCESSLOGTEST"), nil)
	b.Access = l
	sch, err := scheduler.NewStore(b.st.Redis(), scheduler.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	b.Structure = &Structure{Schedules: sch, Settings: programme.Default}
	dm := func(userID, text string) {
		b.mu.Lock()
		b.dmChannel["dm-"+userID] = userID
		b.mu.Unlock()
		b.onPost(ctx, mattermost.Post{ID: "dm" + strconv.Itoa(time.Now().Nanosecond()), ChannelID: "dm-" + userID, UserID: userID, Message: text})
	}
	dm("u-piet", "client lijst")
	dm("u-piet", "client status Noor")
	dm("u-kees", "client status cl1") // not Kees's client
	b.cmdToken = "tok"
	form := url.Values{"token": {"tok"}, "user_name": {"coach-sanne"}, "user_id": {"u-sanne"}, "text": {"herinnering lijst cl1"}}
	req := httptest.NewRequest(http.MethodPost, "/mattermost/command", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	b.CommandHandler().ServeHTTP(httptest.NewRecorder(), req)
	b.onPost(ctx, mattermost.Post{ID: "post1", ChannelID: "chan1", UserID: "u-piet", CreateAt: time.Now(), Message: "Hoi Noor"})
	b.onPost(ctx, mattermost.Post{ID: "post2", ChannelID: "chan1", UserID: "u-kees", CreateAt: time.Now(), Message: "Hoi Noor"})

	es, err := l.Entries(ctx, "cl1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, strings.Join([]string{e.Actor, string(e.Source), e.Action, string(e.Op), string(e.Outcome)}, " "))
	}
	want := []string{
		"coach-piet mattermost-dm client.list read ok",
		"coach-piet mattermost-dm client.status read ok",
		"coach-kees mattermost-dm client.find read denied",
		"coach-sanne slash-command schedule.list read ok",
		"coach-piet mattermost-channel coach-post.send create ok",
		"coach-kees mattermost-channel coach-post.send create denied",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rep, err := l.Verify(ctx); err != nil || rep.Tampered() {
		t.Fatalf("verify: %v %v", rep.Findings, err)
	}
}
