// Package privacy serves the rights of clients and the privacy officer's
// paperwork: the export of everything kept about one client (AVG art. 15
// and 20) as schema-versioned JSON with a short summary in easy Dutch,
// both encrypted to a recipient with age, and the processing register (AVG
// art. 30) made from the settings in force (register.go). Wiping a client
// is store.WipeClient (with its Mattermost channel: coach.Bridge.Wipe);
// retention is store.Sweep.
package privacy

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/scheduler"
	"github.com/waakvlam/waakvlam/store"
)

// Schema names the format of the export's JSON. A change a reader must
// know of (a field renamed, removed or with another meaning) makes a new
// version; new fields do not.
const Schema = "waakvlam.client-export/1"

// Export is everything Waakvlam keeps about one client, as exported.
type Export struct {
	Schema     string    `json:"schema"`
	ExportedAt time.Time `json:"exported_at"`
	Client     Client    `json:"client"`
	// DialogState is where the conversation with the bot is (the step,
	// letter pages sent so far, an open question); null when idle.
	DialogState json.RawMessage `json:"dialog_state"`
	Moods       []int           `json:"moods"` // check-in answers, oldest first: 1 (very bad) to 5 (very good)
	MoodsAt     *time.Time      `json:"moods_at,omitempty"`
	Schedules   []Schedule      `json:"reminders_and_appointments"`
	// RemindersWaiting are sent reminders waiting for ✅ Gedaan
	// (occurrence ids).
	RemindersWaiting []string     `json:"reminders_waiting"`
	Alerts           []Alert      `json:"alerts"`
	AlertAudit       []AuditEntry `json:"alert_audit"`
	Events           []Event      `json:"events"`
	Verdicts         []Verdict    `json:"verdicts"`
	Queued           []Queued     `json:"queued_messages"`
	AccessLog        AccessLog    `json:"access_log"`
	Retention        []Period     `json:"retention"`
	Recipients       []string     `json:"recipients"`
}

// Client is the client record.
type Client struct {
	ID             string     `json:"id"`
	FirstName      string     `json:"first_name"`
	Coach          string     `json:"coach"`
	CoachUsername  string     `json:"coach_username,omitempty"`
	BackupUsername string     `json:"backup_username,omitempty"`
	Language       string     `json:"language"`
	TelegramChatID int64      `json:"telegram_chat_id,omitempty"`
	Linked         bool       `json:"linked"`
	Created        time.Time  `json:"created"`
	Stopped        bool       `json:"stopped"`
	StoppedAt      *time.Time `json:"stopped_at,omitempty"`
	Level          string     `json:"level,omitempty"`
	Group          string     `json:"group,omitempty"`
	LastMessageAt  *time.Time `json:"last_message_at,omitempty"`
	MissedInARow   int        `json:"missed_reminders_in_a_row"`
	Channel        string     `json:"mattermost_channel_id,omitempty"`
	OpenAlert      string     `json:"latest_alert,omitempty"`
}

// Schedule is a reminder, appointment or check-in.
type Schedule struct {
	ID     string     `json:"id"`
	Kind   string     `json:"kind"`
	Spec   string     `json:"when"`
	Text   string     `json:"text,omitempty"`
	Emoji  string     `json:"emoji,omitempty"`
	Before []string   `json:"before,omitempty"`
	Paused bool       `json:"paused"`
	Next   *time.Time `json:"next,omitempty"`
}

// Alert is a safety alert.
type Alert struct {
	ID         string     `json:"id"`
	Severity   string     `json:"severity"`
	Category   string     `json:"category"`
	Created    time.Time  `json:"created"`
	Steps      []string   `json:"escalation_steps,omitempty"`
	Level      int        `json:"steps_taken"`
	PickedUpBy string     `json:"picked_up_by,omitempty"`
	PickedUpAt *time.Time `json:"picked_up_at,omitempty"`
	NextStep   *time.Time `json:"next_escalation,omitempty"`
}

// AuditEntry is a line of the audit log about one of the client's alerts.
type AuditEntry struct {
	Time  time.Time `json:"time"`
	Who   string    `json:"who"`
	What  string    `json:"what"`
	Alert string    `json:"alert"`
	To    string    `json:"to,omitempty"`
}

// Event is a domain event (no text).
type Event struct {
	Time time.Time `json:"time"`
	Kind string    `json:"kind"`
	Ref  string    `json:"ref,omitempty"`
}

// Verdict is a coach's verdict on one of the client's posts.
type Verdict struct {
	PostID        string    `json:"mattermost_post_id"`
	Kind          string    `json:"kind"`
	By            string    `json:"by"`
	Via           string    `json:"via"`
	At            time.Time `json:"at"`
	Text          string    `json:"text"`
	Severity      string    `json:"recogniser_severity"`
	Category      string    `json:"recogniser_category,omitempty"`
	LabelSeverity string    `json:"coach_severity,omitempty"`
	LabelCategory string    `json:"coach_category,omitempty"`
}

// Queued is a message on its way (or set aside).
type Queued struct {
	Queue      string            `json:"queue"` // intake, outbox, coach_queue, dead_letter
	Key        string            `json:"key"`
	ID         string            `json:"id"`
	Time       time.Time         `json:"time"`
	Fields     map[string]string `json:"fields,omitempty"`
	Content    json.RawMessage   `json:"content,omitempty"` // JSON as queued; a JSON string when it was not JSON
	Unreadable string            `json:"unreadable,omitempty"`
}

// AccessLog is who read or changed the client's data (NEN 7513).
type AccessLog struct {
	Available bool          `json:"available"`
	Note      string        `json:"note,omitempty"`
	Entries   []AccessEntry `json:"entries"`
}

// AccessEntry is one access.
type AccessEntry struct {
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"`
	OnBehalf string    `json:"on_behalf,omitempty"`
	Action   string    `json:"action"`
	Op       string    `json:"op"`
	Outcome  string    `json:"outcome"`
	Source   string    `json:"source"`
}

// Period is how long a class of data is kept.
type Period struct {
	Class   string `json:"class"`
	Setting string `json:"setting"`
	Period  string `json:"period"`
	Days    int    `json:"days"`
}

// Input is what an export is made of.
type Input struct {
	Data      store.ClientData
	Schedules []scheduler.Schedule
	// Access are the access log entries about the client; AccessNote,
	// when set, says why there are none (no access log).
	Access     []accesslog.Listed
	AccessNote string
	Config     config.Config
	Now        time.Time
}

// Build makes the export.
func Build(in Input) Export {
	d := in.Data
	c := d.Client
	e := Export{Schema: Schema, ExportedAt: in.Now.UTC(), Client: Client{
		ID: c.ID, FirstName: c.FirstName, Coach: c.Coach, CoachUsername: c.CoachUser, BackupUsername: c.BackupUser,
		Language: c.Lang, TelegramChatID: c.ChatID, Linked: c.ChatID != 0, Created: c.Created.UTC(), Stopped: c.Stopped,
		StoppedAt: tp(d.StoppedAt), Level: c.Level, Group: d.Group, LastMessageAt: tp(c.LastIn), MissedInARow: c.MissRun,
		Channel: c.Channel, OpenAlert: c.OpenAlert,
	}}
	if len(c.State) > 0 && json.Valid(c.State) && string(c.State) != "{}" {
		e.DialogState = json.RawMessage(c.State)
	}
	e.Moods = []int{}
	for _, r := range c.Moods {
		if r >= '1' && r <= '5' {
			e.Moods = append(e.Moods, int(r-'0'))
		}
	}
	e.MoodsAt = tp(d.MoodsAt)
	e.Schedules = []Schedule{}
	for _, s := range in.Schedules {
		sc := Schedule{ID: s.ID, Kind: string(s.Kind), Spec: s.Spec, Text: s.Text, Emoji: s.Emoji, Paused: s.Paused, Next: tp(s.Next)}
		for _, b := range s.Before {
			sc.Before = append(sc.Before, b.String())
		}
		e.Schedules = append(e.Schedules, sc)
	}
	e.RemindersWaiting = append([]string{}, d.Pending...)
	e.Alerts = []Alert{}
	for _, a := range d.Alerts {
		e.Alerts = append(e.Alerts, Alert{ID: a.ID, Severity: a.Severity, Category: a.Category, Created: a.Created.UTC(),
			Steps: a.Steps, Level: a.Level, PickedUpBy: a.AckedBy, PickedUpAt: tp(a.AckedAt), NextStep: tp(a.Due)})
	}
	e.AlertAudit = []AuditEntry{}
	for _, a := range d.Audit {
		e.AlertAudit = append(e.AlertAudit, AuditEntry{Time: a.At.UTC(), Who: a.Who, What: a.What, Alert: a.Alert, To: a.To})
	}
	e.Events = []Event{}
	for _, ev := range d.Events {
		e.Events = append(e.Events, Event{Time: ev.Time.UTC(), Kind: ev.Kind, Ref: ev.Ref})
	}
	e.Verdicts = []Verdict{}
	for _, v := range d.Verdicts {
		e.Verdicts = append(e.Verdicts, Verdict{PostID: v.PostID, Kind: v.Kind, By: v.By, Via: v.Via, At: v.At.UTC(), Text: v.Text,
			Severity: v.Severity, Category: v.Category, LabelSeverity: v.LabelSeverity, LabelCategory: v.LabelCategory})
	}
	e.Queued = []Queued{}
	for _, q := range d.Queued {
		out := Queued{Queue: queueOf(q.Stream), Key: q.Stream, ID: q.ID, Time: q.Time.UTC(), Fields: q.Fields, Unreadable: q.Unreadable}
		switch {
		case len(q.Content) == 0:
		case json.Valid(q.Content):
			out.Content = json.RawMessage(q.Content)
		default:
			out.Content, _ = json.Marshal(string(q.Content))
		}
		e.Queued = append(e.Queued, out)
	}
	e.AccessLog = AccessLog{Available: in.AccessNote == "", Note: in.AccessNote, Entries: []AccessEntry{}}
	for _, a := range in.Access {
		e.AccessLog.Entries = append(e.AccessLog.Entries, AccessEntry{Time: a.Time.UTC(), Actor: a.Actor, OnBehalf: a.OnBehalf,
			Action: a.Action, Op: string(a.Op), Outcome: string(a.Outcome), Source: string(a.Source)})
	}
	e.Retention = Periods(in.Config)
	e.Recipients = Recipients(in.Config)
	return e
}

// Periods are the retention periods in force, one per class of data.
func Periods(cfg config.Config) []Period {
	var out []Period
	for _, r := range config.RetentionSettings {
		d := r.Of(cfg)
		out = append(out, Period{Class: r.Class, Setting: r.Env, Period: hours(d), Days: int(d / (24 * time.Hour))})
	}
	return out
}

func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", int64(d/time.Hour))
	}
	return d.String()
}

// Recipients are who else gets the client's messages: Telegram (the
// client's chat) and the coaches' Mattermost server.
func Recipients(cfg config.Config) []string {
	out := []string{"Telegram (" + hostOf(cfg.TelegramAPIURL) + "): every message between the client and the bot"}
	if cfg.MattermostURL != "" {
		out = append(out, "Mattermost ("+hostOf(cfg.MattermostURL)+"): the coaches' channel of the client")
	}
	return out
}

func hostOf(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	host, _, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(host, "@"); at >= 0 {
		host = host[at+1:]
	}
	return host
}

func queueOf(key string) string {
	switch {
	case strings.HasSuffix(key, ":in"):
		return "intake"
	case strings.HasSuffix(key, ":coach"):
		return "coach_queue"
	case strings.HasSuffix(key, ":dead"):
		return "dead_letter"
	case strings.Contains(key, ":out:"):
		return "outbox"
	}
	return key
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// ParseRecipients reads age recipients ("age1…", also post-quantum
// "age1pq1…"). Its errors name the recipient by position only.
func ParseRecipients(keys []string) ([]age.Recipient, error) {
	var lines []string
	for _, k := range keys {
		if k = strings.TrimSpace(k); k != "" {
			lines = append(lines, k)
		}
	}
	if len(lines) == 0 {
		return nil, errors.New("no recipient: give the age public key (age1…) of whoever receives the export")
	}
	var rs []age.Recipient
	for i, l := range lines {
		r, err := age.ParseRecipients(strings.NewReader(l))
		if err != nil || len(r) != 1 {
			return nil, fmt.Errorf("recipient %d: not an age public key (age1…)", i+1)
		}
		rs = append(rs, r[0])
	}
	return rs, nil
}

// File is one file of a sealed export.
type File struct {
	Name string
	Data []byte
}

// Files are the files of an export: the JSON and the summary.
func Files(e Export) ([]File, error) {
	j, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, err
	}
	h, err := Summary(e)
	if err != nil {
		return nil, err
	}
	base := "waakvlam-" + e.Client.ID
	return []File{{base + ".json", append(j, '\n')}, {base + "-overzicht.html", h}}, nil
}

// Seal writes files as one zip archive encrypted with age to the
// recipients: `age -d -i key.txt export.zip.age > export.zip`.
func Seal(w io.Writer, recipients []age.Recipient, files []File) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: time.Now()})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.Data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	aw, err := age.Encrypt(w, recipients...)
	if err != nil {
		return fmt.Errorf("encrypt export: %w", err)
	}
	if _, err := aw.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("encrypt export: %w", err)
	}
	return aw.Close()
}
