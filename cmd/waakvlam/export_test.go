package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/privacy"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/store"
)

// client export round trip on a real redis-server: the file opens with
// the recipient's age identity only, and its JSON holds the record,
// dialog state, moods, reminders and appointments, alerts, events,
// verdicts, queued messages and the access log (the export itself
// included), with a summary in easy Dutch beside it.
func TestClientExportRoundTrip(t *testing.T) {
	addr := redistest.Addr(t)
	rdb := redistest.Client(t)
	ctx := context.Background()
	env := map[string]string{"WAAKVLAM_REDIS_URL": "redis://" + addr, "WAAKVLAM_BOT_USERNAME": "WaakvlamBot", "WAAKVLAM_DATA_KEY": testKey,
		"WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", "WAAKVLAM_MATTERMOST_URL": "https://chat.gemeente.example",
		"WAAKVLAM_MATTERMOST_TOKEN": "x", "WAAKVLAM_MATTERMOST_TEAM": "t", "WAAKVLAM_STAFF_FILE": filepath.Join(t.TempDir(), "staff.yaml")}
	if err := os.WriteFile(env["WAAKVLAM_STAFF_FILE"], []byte("coaches:\n  - {username: piet, name: Piet}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SUDO_USER", "beheer-anna")
	code, out, stderr := runCmd(t, env, "", "client", "add", "--name", "Sanne", "--coach", "Piet", "--qr", filepath.Join(t.TempDir(), "qr.png"))
	if code != 0 {
		t.Fatalf("client add: %d %s", code, stderr)
	}
	id := strings.Fields(strings.SplitN(out, "\n", 2)[0])[1]
	cfg, _, err := config.Load("test", func(k string) string { return env[k] }, nil, config.Need{Keys: true})
	if err != nil {
		t.Fatal(err)
	}
	st := sealedStore(cfg, rdb)
	now := time.Now()
	if _, err := st.LinkChat(ctx, id, 4711, 1); err != nil {
		t.Fatal(err)
	}
	p := store.PartitionOfClient(id)
	if err := st.EnsureGroups(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Intake(ctx, []store.Incoming{{Partition: p, Type: store.EntryTelegram, UpdateID: 2, ChatID: 4711, ClientID: id, Body: []byte(`{"update_id":2}`)}}); err != nil {
		t.Fatal(err)
	}
	es, err := st.ReadIntake(ctx, p, 1, time.Millisecond, false)
	if err != nil || len(es) != 1 {
		t.Fatalf("intake %v %v", es, err)
	}
	st.Lease(ctx, p.Lease(), "me", time.Minute)
	alertID := "aexport001-" + id
	if ok, err := st.Commit(ctx, store.Commit{Partition: p, EntryID: es[0].ID, LeaseToken: "me", ClientID: id,
		State: []byte(`{"s":"letter_pages","p":[{"type":"photo","file_id":"ph1"}]}`), Fields: map[string]string{"moods": "25", "level": "intensief"},
		Outgoing: []store.Outgoing{{Lane: store.LaneNormal, ChatID: 4711, Payload: []byte(`{"text":"Hoi Sanne"}`)}},
		Coach:    [][]byte{[]byte(`{"kind":"message","text":"ik ben moe"}`)},
		Events:   []store.Event{{Kind: "client_wrote", ClientID: id, Ref: "2"}},
		Alert:    &store.Alert{ID: alertID, ClientID: id, Severity: "urgent", Category: "suicide", Created: now}}, now); !ok || err != nil {
		t.Fatalf("commit %v %v", ok, err)
	}
	if _, _, err := st.AckAlert(ctx, id, alertID, "piet", now, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordVerdict(ctx, store.Verdict{PostID: "post1", ClientID: id, Kind: store.VerdictRight, By: "piet", Via: "+1", At: now,
		Text: "ik wil niet meer", Severity: "urgent", Category: "suicide", LabelSeverity: "urgent", LabelCategory: "suicide"}); err != nil {
		t.Fatal(err)
	}
	sched, _ := scheduler.NewStore(rdb, scheduler.Options{Codec: store.SchedulerCodec{Store: st}})
	if _, err := sched.Add(ctx, scheduler.Schedule{ClientID: id, Spec: "elke dag om 8:00", Text: "Pillen", Emoji: "💊"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sched.Add(ctx, scheduler.Schedule{ClientID: id, Kind: scheduler.KindAppointment, Spec: "op 12 december 2030 om 14:30", Text: "Tandarts", Emoji: "🦷"}); err != nil {
		t.Fatal(err)
	}

	id1, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	file := filepath.Join(t.TempDir(), "export.zip.age")
	code, _, stderr = runCmd(t, env, "", "client", "export", id, "-recipient", id1.Recipient().String(), "-out", file)
	if code != 0 {
		t.Fatalf("export: exit %d %s", code, stderr)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v", st.Mode().Perm())
	}
	for _, w := range []string{"Sanne", "suicide", "Pillen", "ik wil niet meer"} {
		if bytes.Contains(raw, []byte(w)) {
			t.Fatalf("the export file holds %q in the clear", w)
		}
	}
	if _, err := age.Decrypt(bytes.NewReader(raw), other); err == nil {
		t.Fatal("another identity opens the export")
	}
	r, err := age.Decrypt(bytes.NewReader(raw), id1)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(r)
	zr, err := zip.NewReader(bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	var e privacy.Export
	if err := json.Unmarshal(files["waakvlam-"+id+".json"], &e); err != nil {
		t.Fatalf("json: %v (files %v)", err, len(files))
	}
	c := e.Client
	if e.Schema != privacy.Schema || c.ID != id || c.FirstName != "Sanne" || c.Coach != "Piet" || c.TelegramChatID != 4711 || !c.Linked ||
		c.Level != "intensief" || c.Language != "nl" {
		t.Errorf("client = %+v (schema %s)", c, e.Schema)
	}
	if !strings.Contains(string(e.DialogState), "letter_pages") || len(e.Moods) != 2 || e.Moods[0] != 2 || e.Moods[1] != 5 || e.MoodsAt == nil {
		t.Errorf("state %s, moods %v at %v", e.DialogState, e.Moods, e.MoodsAt)
	}
	texts := map[string]string{}
	for _, s := range e.Schedules {
		texts[s.Text] = s.Kind
	}
	if len(e.Schedules) != 2 || texts["Pillen"] != "reminder" || texts["Tandarts"] != "appointment" {
		t.Errorf("schedules = %+v", e.Schedules)
	}
	if len(e.Alerts) != 1 || e.Alerts[0].Category != "suicide" || e.Alerts[0].Severity != "urgent" || e.Alerts[0].PickedUpBy != "piet" {
		t.Errorf("alerts = %+v", e.Alerts)
	}
	if len(e.AlertAudit) != 2 || len(e.Events) < 3 { // raised, picked up; wrote, acknowledged, verdict
		t.Errorf("audit %+v events %+v", e.AlertAudit, e.Events)
	}
	if len(e.Verdicts) != 1 || e.Verdicts[0].Text != "ik wil niet meer" {
		t.Errorf("verdicts = %+v", e.Verdicts)
	}
	queues := map[string]string{}
	for _, q := range e.Queued {
		queues[q.Queue] += string(q.Content)
	}
	if !strings.Contains(queues["outbox"], "Hoi Sanne") || !strings.Contains(queues["coach_queue"], "ik ben moe") {
		t.Errorf("queued = %+v", e.Queued)
	}
	var actions []string
	for _, a := range e.AccessLog.Entries {
		actions = append(actions, a.Action+" by "+a.Actor)
	}
	if !e.AccessLog.Available || !strings.Contains(strings.Join(actions, ","), "client.create by operator:beheer-anna") ||
		!strings.Contains(strings.Join(actions, ","), "client.export by operator:beheer-anna") {
		t.Errorf("access log = %v", actions)
	}
	classes := map[string]string{}
	for _, p := range e.Retention {
		classes[p.Class] = p.Setting + "=" + p.Period
	}
	if classes["events"] != "WAAKVLAM_EVENT_RETENTION=9600h" || classes["stopped"] != "WAAKVLAM_STOPPED_RETENTION=2160h" || len(classes) != len(config.RetentionSettings) {
		t.Errorf("retention = %v", classes)
	}
	if len(e.Recipients) != 2 || !strings.Contains(e.Recipients[1], "chat.gemeente.example") {
		t.Errorf("recipients = %v", e.Recipients)
	}
	html := string(files["waakvlam-"+id+"-overzicht.html"])
	for _, w := range []string{"Hoi Sanne", "Wat we bewaren", "Hoe lang", "Wie keek ernaar", "Beheerder beheer-anna", "Telegram kan je berichten lezen", "90 dagen"} {
		if !strings.Contains(html, w) {
			t.Errorf("summary lacks %q", w)
		}
	}

	// An existing file is not overwritten; a missing recipient or client
	// is refused.
	if code, _, stderr := runCmd(t, env, "", "client", "export", id, "-recipient", id1.Recipient().String(), "-out", file); code != 2 || !strings.Contains(stderr, "exists") {
		t.Errorf("overwrite: exit %d %s", code, stderr)
	}
	if code, _, _ := runCmd(t, env, "", "client", "export", id); code != 2 {
		t.Errorf("no recipient: exit %d", code)
	}
	if code, _, stderr := runCmd(t, env, "", "client", "export", id, "-recipient", "age1nietgoed", "-out", file+"2"); code != 2 || strings.Contains(stderr, "age1nietgoed") {
		t.Errorf("bad recipient: exit %d %s", code, stderr)
	}
	if code, _, _ := runCmd(t, env, "", "client", "export", "nobody12", "-recipient", id1.Recipient().String(), "-out", file+"3"); code != 1 {
		t.Errorf("unknown client: exit %d", code)
	}
}

// The register is made from the settings: changed retention settings show.
func TestPrivacyRegisterShowsTheSettingsInForce(t *testing.T) {
	env := map[string]string{"WAAKVLAM_EVENT_RETENTION": "4800h", "WAAKVLAM_MATTERMOST_URL": "https://chat.gemeente.example",
		"WAAKVLAM_MATTERMOST_TOKEN": "x", "WAAKVLAM_MATTERMOST_TEAM": "t", "WAAKVLAM_STAFF_FILE": "staff.yaml", "WAAKVLAM_REDIS_URL": "rediss://u:s3cr3tpw@redis.example:6380/0"}
	code, out, stderr := runCmd(t, env, "", "privacy", "register")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	for _, w := range []string{"# Verwerkingsregister", "4800h (200 dagen)", "`WAAKVLAM_EVENT_RETENTION`", "`WAAKVLAM_STOPPED_RETENTION`", "43830h",
		"chat.gemeente.example", "api.telegram.org", "end-to-end", "over TLS", "geen sleutel voor versleuteling"} {
		if !strings.Contains(out, w) {
			t.Errorf("register lacks %q", w)
		}
	}
	if strings.Contains(out, "s3cr3tpw") {
		t.Error("register shows the Redis password")
	}
	for _, rs := range config.RetentionSettings {
		if rs.Class != "in_flight" && rs.Class != "dialog" && rs.Class != "moods" && rs.Class != "events" && rs.Class != "alerts" &&
			rs.Class != "verdicts" && rs.Class != "audit" && rs.Class != "access_log" && rs.Class != "stopped" {
			t.Errorf("unknown class %s", rs.Class)
		}
		if !strings.Contains(out, rs.Env) {
			t.Errorf("register lacks %s", rs.Env)
		}
	}
	code, out, _ = runCmd(t, env, "", "privacy", "register", "-json")
	var reg privacy.Register
	if code != 0 || json.Unmarshal([]byte(out), &reg) != nil || len(reg.Data) == 0 || len(reg.Measures) == 0 {
		t.Fatalf("json register: exit %d %.200s", code, out)
	}
}
