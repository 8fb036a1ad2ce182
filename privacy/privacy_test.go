package privacy

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/easytext"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/store"
)

func richExport(t *testing.T, accessNote string) Export {
	t.Helper()
	cfg, _, err := config.Load("test", func(string) string { return "" }, []string{"-mattermost-url", "https://chat.example",
		"-mattermost-token", "x", "-mattermost-team", "t", "-staff-file", "s.yaml"}, config.Need{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	d := store.ClientData{Exists: true, Client: store.Client{ID: "k3m9qa2p", FirstName: "Sanne", Coach: "Piet", Lang: "nl", ChatID: 5,
		State: []byte(`{"s":"ask_coach"}`), Moods: "253", Created: now}}
	d.Alerts = []store.Alert{{ID: "a1-k3m9qa2p", Severity: "urgent", Category: "suicide", Created: now}}
	d.Events = []store.EventRecord{{Event: store.Event{Kind: "client_wrote"}, Time: now}}
	d.Verdicts = []store.Verdict{{PostID: "p", Text: "woorden", At: now}}
	d.Queued = []store.QueuedEntry{{Stream: "wv:{p01}:out:n", Content: []byte("geen json")}}
	in := Input{Data: d, Schedules: []scheduler.Schedule{{ID: "s", Kind: scheduler.KindReminder, Text: "Pillen"}}, AccessNote: accessNote, Config: cfg, Now: now}
	if accessNote == "" {
		in.Access = []accesslog.Listed{
			{Entry: accesslog.Entry{Time: now, Actor: "piet", Action: "client.status"}},
			{Entry: accesslog.Entry{Time: now, Actor: "system:pipeline", Action: "message.handle"}},
			{Entry: accesslog.Entry{Time: now, Actor: "operator:anna", Action: "client.export"}},
		}
	}
	return Build(in)
}

// Every sentence of the summary for the client follows the easy-Dutch
// rules (the project's language lint finds no error in it).
func TestSummaryIsEasyDutch(t *testing.T) {
	for _, note := range []string{"", "no access log"} {
		v := summaryOf(richExport(t, note))
		texts := []string{"Hoi " + v.Name + ". Je vroeg wat we over jou bewaren. Dat staat hier.", "Dit overzicht is van " + v.Date + ".",
			"Wat Waakvlam over jou bewaart", "Wat we bewaren", "Waarom", "Hoe lang", "Wie keek ernaar", "Goed om te weten", "Vragen",
			v.AccessIntro, v.Questions}
		texts = append(texts, v.Kept...)
		texts = append(texts, v.Why...)
		texts = append(texts, v.Periods...)
		texts = append(texts, v.Good...)
		for _, r := range v.Access {
			texts = append(texts, r.Who)
		}
		for _, text := range texts {
			if rep := easytext.CheckText(text); rep.Errors() > 0 {
				t.Errorf("%q: %+v", text, rep.Findings)
			}
		}
	}
}

// The summary says what is kept, for how long and who looked; without an
// access log it says so.
func TestSummarySaysWhoLooked(t *testing.T) {
	h, err := Summary(richExport(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Hoi Sanne", "Hoe je je voelde: 3 keer.", "Zorgen over jou", "@piet", "De bot zelf", "Beheerder anna",
		"Wanneer je de bot gebruikte: 400 dagen.", "Wie je gegevens bekeek: 5 jaar.", "Dan wissen we je gegevens na 90 dagen.", "Mattermost", "Telegram kan je berichten lezen",
		"Stel die aan Piet."} {
		if !bytes.Contains(h, []byte(w)) {
			t.Errorf("summary lacks %q", w)
		}
	}
	h, _ = Summary(richExport(t, "no access log"))
	if !bytes.Contains(h, []byte("Dat houden we nog niet bij.")) {
		t.Error("without an access log the summary does not say so")
	}
	e := richExport(t, "")
	if string(e.Queued[0].Content) != `"geen json"` || e.Queued[0].Queue != "outbox" || len(e.Moods) != 3 {
		t.Errorf("export: %+v", e)
	}
}

// Seal encrypts to every recipient and to nobody else.
func TestSealOpensWithEachRecipientOnly(t *testing.T) {
	a, _ := age.GenerateX25519Identity()
	b, _ := age.GenerateX25519Identity()
	c, _ := age.GenerateX25519Identity()
	rs, err := ParseRecipients([]string{a.Recipient().String(), " " + b.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Seal(&out, rs, []File{{"x.json", []byte(`{"a":1}`)}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []age.Identity{a, b} {
		r, err := age.Decrypt(bytes.NewReader(out.Bytes()), id)
		if err != nil {
			t.Fatal(err)
		}
		if z, _ := io.ReadAll(r); !bytes.HasPrefix(z, []byte("PK")) {
			t.Fatal("not a zip archive")
		}
	}
	if _, err := age.Decrypt(bytes.NewReader(out.Bytes()), c); err == nil {
		t.Fatal("a stranger's identity opens it")
	}
	if _, err := ParseRecipients(nil); err == nil {
		t.Fatal("no recipient accepted")
	}
}

// The DPIA starting point names every retention setting, says plainly that
// Telegram reads the messages and that bot chats are not end-to-end
// encrypted, and that the Mattermost host sees the coach channels.
func TestDPIANamesTheSettingsAndTheLimits(t *testing.T) {
	b, err := os.ReadFile("../docs/dpia.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, r := range config.RetentionSettings {
		if !strings.Contains(doc, r.Env) {
			t.Errorf("docs/dpia.md does not name %s", r.Env)
		}
	}
	for _, w := range []string{"end-to-end", "Telegram leest", "Mattermost", "waakvlam privacy register", "waakvlam client export", "client wissen"} {
		if !strings.Contains(doc, w) {
			t.Errorf("docs/dpia.md does not say %q", w)
		}
	}
}
