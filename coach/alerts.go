package coach

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/store"
)

var severityNames = map[string]string{"urgent": "urgent", "high": "hoog", "attention": "let op"}

var categoryNames = map[string]string{
	"suicide": "zelfmoord", "selfharm": "zelfbeschadiging", "violence": "geweld", "danger": "gevaar",
	"exploitation": "misbruik of uitbuiting", "housing": "wonen", "money": "geld", "police": "politie of rechter",
	"health": "gezondheid", "mood": "stemming",
}

// signalHead is the first line of a signal post.
func signalHead(cp pipeline.CoachPost) string {
	switch cp.Severity {
	case "urgent":
		return "🚨 **Zorgsignaal: urgent** · " + categoryNames[cp.Category]
	case "high":
		return "⚠️ **Zorgsignaal: hoog** · " + categoryNames[cp.Category]
	case "attention":
		return "🔎 **Let op** · " + categoryNames[cp.Category]
	}
	return "😟 **Zorgsignaal**"
}

// isAckWord tells whether a post in a client's channel picks up the
// client's open alert instead of being a message for the client.
func isAckWord(msg string) bool {
	m := strings.ToLower(strings.Trim(strings.TrimSpace(msg), "/!. "))
	return m == "oppakken" || m == "ik pak het op" || m == "opgepakt"
}

// ack records that username picks an alert up and says so in the client's channel.
func (b *Bridge) ack(ctx context.Context, username, alertID string) string {
	clientID := clientOfAlertID(alertID)
	if clientID == "" {
		return fmt.Sprintf("🤔 Ik ken zorgsignaal %q niet.", alertID)
	}
	a, ok, err := b.st.LoadAlert(ctx, clientID, alertID)
	if err != nil {
		return "⚠️ Dat lukte niet. Probeer het zo nog eens."
	}
	if !ok {
		return fmt.Sprintf("🤔 Ik ken zorgsignaal %q niet.", alertID)
	}
	if may, err := b.mayPickUp(ctx, username, a); err != nil {
		return "⚠️ Dat lukte niet. Probeer het zo nog eens."
	} else if !may {
		b.access(ctx, clientID, "alert.pickup", accesslog.Change, accesslog.Denied)
		return notResponsible
	}
	now := b.Now()
	post, _ := json.Marshal(pipeline.CoachPost{ClientID: clientID, Kind: pipeline.KindAck, AlertID: alertID, By: username,
		Severity: a.Severity, Category: a.Category, Time: now, Report: strconvDuration(now.Sub(a.Created))})
	res, by, err := b.st.AckAlert(ctx, clientID, alertID, username, now, post)
	b.access(ctx, clientID, "alert.pickup", accesslog.Change, outcome(err))
	switch {
	case err != nil:
		return "⚠️ Dat lukte niet. Probeer het zo nog eens."
	case res == store.AckAlready:
		return fmt.Sprintf("✅ @%s had zorgsignaal `%s` al opgepakt.", by, alertID)
	case res == store.AckUnknown:
		return fmt.Sprintf("🤔 Ik ken zorgsignaal %q niet.", alertID)
	}
	return fmt.Sprintf("✅ Je pakt zorgsignaal `%s` op. Het gaat niet verder naar anderen.", alertID)
}

func strconvDuration(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 1 {
		return "minder dan een minuut"
	}
	if m == 1 {
		return "1 minuut"
	}
	return fmt.Sprintf("%d minuten", m)
}

// clientOfAlertID reads the client from an alert id "a<update>-<client>".
func clientOfAlertID(id string) string {
	_, c, ok := strings.Cut(id, "-")
	if !ok || !strings.HasPrefix(id, "a") {
		return ""
	}
	return c
}

// postEscalation tells the next person about an alert nobody picked up: in
// the client's channel (adding them to it) and in a direct message.
func (b *Bridge) postEscalation(ctx context.Context, cp pipeline.CoachPost) error {
	c, ch, err := b.clientChannel(ctx, cp.ClientID)
	if err != nil || ch == "" {
		return err
	}
	targetID, err := b.userID(ctx, cp.Target)
	if err != nil {
		return err
	}
	if err := b.mm.AddMembers(ctx, ch, []string{targetID}); err != nil {
		return err
	}
	text := fmt.Sprintf("⏫ **Zorgsignaal `%s` is nog niet opgepakt** (%s, %s) · stap %d · %s\n@%s, kun jij dit oppakken? Typ `oppakken` in dit kanaal.",
		cp.AlertID, severityNames[cp.Severity], categoryNames[cp.Category], cp.Level, b.when(cp.Time), cp.Target)
	if _, err := b.mm.CreatePost(ctx, b.withAckButton(mattermost.Post{ChannelID: ch, Message: text, PendingID: pendingID(ctx, "escalation")}, cp, c), nil); err != nil {
		return err
	}
	dm, err := b.mm.DirectChannel(ctx, targetID)
	if err != nil {
		return err
	}
	_, err = b.mm.CreatePost(ctx, mattermost.Post{ChannelID: dm, Message: fmt.Sprintf(
		"⏫ Een zorgsignaal (%s, %s) van cliënt %s is nog niet opgepakt. Kijk in ~%s en typ daar `oppakken`, of hier `oppakken %s`.",
		severityNames[cp.Severity], categoryNames[cp.Category], c.FirstName, "wv-"+c.ID, cp.AlertID), PendingID: pendingID(ctx, "escalation-dm")}, nil)
	return err
}

func (b *Bridge) postAck(ctx context.Context, cp pipeline.CoachPost) error {
	c, ok, err := b.st.LoadClient(ctx, cp.ClientID)
	if err != nil || !ok || c.Channel == "" {
		return err
	}
	_, err = b.mm.CreatePost(ctx, mattermost.Post{ChannelID: c.Channel,
		Message: fmt.Sprintf("✅ @%s pakt zorgsignaal `%s` op (na %s).", cp.By, cp.AlertID, cp.Report), PendingID: pendingID(ctx, "ack")}, nil)
	return err
}

// actionURL is where Mattermost sends button presses: next to the slash
// command endpoint. Without a public URL there is no button, only the
// typed command.
func (b *Bridge) actionURL() string {
	u := b.cfg.CommandURL
	if u == "" {
		return ""
	}
	if i := strings.LastIndex(u, "/mattermost/command"); i >= 0 {
		return u[:i] + "/mattermost/action"
	}
	return ""
}

// withAckButton adds an "Ik pak het op" button to an alert post. The
// button carries who may press it (the client's coach, backup, on-call
// and project leaders, by username), until when, and an HMAC of both with
// the alert id under the shared action key.
func (b *Bridge) withAckButton(p mattermost.Post, cp pipeline.CoachPost, c store.Client) mattermost.Post {
	url := b.actionURL()
	if url == "" || cp.AlertID == "" {
		return p
	}
	users := strings.Join(b.responsible(c), ",")
	exp := strconv.FormatInt(b.Now().Add(ackButtonTTL).Unix(), 10)
	p.Props = map[string]any{"attachments": []any{map[string]any{
		"actions": []any{map[string]any{
			"id": "ack", "name": "✋ Ik pak het op", "type": "button", "style": "primary",
			"integration": map[string]any{"url": url, "context": map[string]any{
				"alert": cp.AlertID, "users": users, "exp": exp, "sig": b.signAck(cp.AlertID, users, exp)}},
		}},
	}}}
	return p
}

// ackButtonTTL is how long an "Ik pak het op" button works; after that
// the coach types oppakken.
const ackButtonTTL = 24 * time.Hour

// signAck is the HMAC of a button's alert, users and expiry.
func (b *Bridge) signAck(alert, users, exp string) string {
	m := hmac.New(sha256.New, b.actionKey)
	for _, part := range []string{"ack", alert, users, exp} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

// ActionHandler serves the "Ik pak het op" button. Mattermost does not sign
// button calls, so the button carries an HMAC (signAck): a call with another
// alert, other users or another expiry gets 401; a press by someone not on
// the button, or after the expiry, gets a short answer and picks nothing up.
func (b *Bridge) ActionHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			UserID  string            `json:"user_id"`
			Context map[string]string `json:"context"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		alert, users, exp := req.Context["alert"], req.Context["users"], req.Context["exp"]
		if alert == "" || exp == "" || !hmac.Equal([]byte(b.signAck(alert, users, exp)), []byte(req.Context["sig"])) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var text string
		until, _ := strconv.ParseInt(exp, 10, 64)
		username := ""
		if req.UserID != "" {
			username = b.usernameOf(r.Context(), req.UserID)
		}
		switch {
		case b.Now().Unix() > until:
			text = "⌛ Deze knop werkt niet meer. Typ `oppakken` in het kanaal van de cliënt."
		case username == "" || !listed(users, username):
			b.access(as(r.Context(), username, req.UserID, accesslog.SourceButton), clientOfAlertID(alert), "alert.pickup", accesslog.Change, accesslog.Denied)
			text = notResponsible
		default:
			text = b.ack(as(r.Context(), username, req.UserID, accesslog.SourceButton), username, alert)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"ephemeral_text": text})
	})
}

func listed(list, user string) bool {
	for _, u := range strings.Split(list, ",") {
		if u != "" && u == user {
			return true
		}
	}
	return false
}
