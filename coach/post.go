package coach

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/bot"
	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/store"
)

// post carries one queued item to Mattermost.
// downloadTries is how often a client's file is tried before the post goes
// out without it (saying so), so the words are never held back for good.
const downloadTries = 3

func (b *Bridge) post(ctx context.Context, cp pipeline.CoachPost, attempt int) error {
	switch cp.Kind {
	case pipeline.KindDelivery:
		return b.reportDelivery(ctx, cp)
	case pipeline.KindEscalation:
		return b.postEscalation(ctx, cp)
	case pipeline.KindAck:
		return b.postAck(ctx, cp)
	case pipeline.KindInviteFlood:
		return b.postInviteFlood(ctx, cp)
	case pipeline.KindSetAside:
		return b.postSetAside(ctx, cp)
	}
	c, ok, err := b.st.LoadClient(ctx, cp.ClientID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("client %s: %w", cp.ClientID, errNoChannel)
	}
	ch, err := b.ensureChannel(ctx, c)
	if err != nil {
		return err
	}
	var files []mattermost.File
	var missing []string
	for _, m := range attachments(cp) {
		data, err := b.tg.Download(ctx, m.FileID)
		switch {
		case errors.Is(err, bot.ErrTooLarge):
			missing = append(missing, "te groot voor Telegram")
			b.tellClientOnce(ctx, c, "file.too_large", m.FileID)
			continue
		case err != nil && attempt < downloadTries:
			return fmt.Errorf("download client file: %w", err)
		case err != nil:
			b.log.Warn("client file left out after retries", "client", c.ID, "err", err)
			missing = append(missing, "niet op te halen bij Telegram")
			continue
		}
		files = append(files, mattermost.File{Name: fileName(m), MIME: m.MIME, Data: data})
	}
	text := b.format(cp, c, missing)
	mp := verdictProps(b.withAckButton(mattermost.Post{ChannelID: ch, Message: text}, cp, c), cp)
	mp.PendingID = pendingID(ctx, "post")
	_, err = b.mm.CreatePost(ctx, mp, files)
	if errors.Is(err, mattermost.ErrFileTooLarge) {
		b.tellClientOnce(ctx, c, "file.too_large", cp.Time.String())
		mp = verdictProps(mattermost.Post{ChannelID: ch, Message: text + "\n_(bestand te groot voor Mattermost)_"}, cp)
		mp.PendingID = pendingID(ctx, "post-nofile")
		_, err = b.mm.CreatePost(ctx, mp, nil)
	}
	return err
}

type queueEntryKey struct{}

// withQueueEntry marks ctx as delivering coach queue entry id of part.
func withQueueEntry(ctx context.Context, part store.Partition, id string) context.Context {
	return context.WithValue(ctx, queueEntryKey{}, fmt.Sprintf("wv%02d-%s", int(part), id))
}

// pendingID is a pending_post_id for the post called what of the queue entry
// being delivered: the same on every retry of that entry, so Mattermost
// deduplicates them (mattermost.Post.PendingID); "" outside a delivery (the
// client makes one per call).
func pendingID(ctx context.Context, what string) string {
	e, _ := ctx.Value(queueEntryKey{}).(string)
	if e == "" {
		return ""
	}
	return e + "-" + what
}

func attachments(cp pipeline.CoachPost) []dialogs.Media {
	out := append([]dialogs.Media(nil), cp.Files...)
	if cp.Media != nil {
		out = append(out, *cp.Media)
	}
	return out
}

func fileName(m dialogs.Media) string {
	if m.FileName != "" {
		return m.FileName
	}
	switch m.Type {
	case "photo":
		return "foto.jpg"
	case "voice":
		return "spraakbericht.ogg"
	case "video", "video_note":
		return "video.mp4"
	case "audio":
		return "geluid.mp3"
	}
	return "bestand"
}

// ensureChannel makes the client's private channel with the coach, the
// backup coach and the bot.
func (b *Bridge) ensureChannel(ctx context.Context, c store.Client) (string, error) {
	if c.Channel != "" {
		return c.Channel, nil
	}
	botID, teamID := b.ids()
	members := []string{botID}
	for _, u := range []string{c.CoachUser, c.BackupUser} {
		if u == "" {
			continue
		}
		id, err := b.userID(ctx, u)
		if err != nil {
			return "", err
		}
		members = append(members, id)
	}
	ch, err := b.mm.EnsurePrivateChannel(ctx, teamID, "wv-"+c.ID, c.FirstName+" · "+c.ID, members)
	if err != nil {
		return "", err
	}
	b.restrictChannel(ctx, ch)
	if err := b.st.SetChannel(ctx, c.ID, ch); err != nil {
		return "", err
	}
	return ch, nil
}

func (b *Bridge) userID(ctx context.Context, username string) (string, error) {
	b.mu.Lock()
	id, ok := b.userIDs[username]
	b.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := b.mm.UserID(ctx, username)
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	b.userIDs[username], b.users[id] = id, username
	b.mu.Unlock()
	return id, nil
}

var aboutNames = map[string]string{
	"gemeente": "Gemeente", "belasting": "Belastingdienst", "zorg": "Zorgverzekering",
	"woning": "Woning", "werk": "Werk of uitkering", "anders": "Anders",
}

// format writes the post the coach reads: what it is, when, and the
// client's own words unchanged.
func (b *Bridge) format(cp pipeline.CoachPost, c store.Client, missing []string) string {
	when := b.when(cp.Time)
	var head string
	switch cp.Kind {
	case dialogs.CoachQuestion:
		head = "💬 **Vraag**"
	case dialogs.CoachLetter:
		head = "✉️ **Brief**"
		if a := aboutNames[cp.About]; a != "" {
			head += " van " + a
		}
		if n := len(cp.Files); n > 0 {
			head += fmt.Sprintf(" (%d %s)", n, plural(n, "bladzijde", "bladzijden"))
		}
	case dialogs.CoachSignal:
		head = signalHead(cp)
	case dialogs.CoachMedia:
		head = mediaIcon(cp) + " **" + mediaName(cp) + "**"
	case dialogs.CoachInfo:
		switch cp.Info {
		case dialogs.EventLinked:
			return fmt.Sprintf("🔗 %s is gestart met de bot · %s", c.FirstName, when)
		case dialogs.EventUnlinked:
			return fmt.Sprintf("⏹️ %s is gestopt met de bot · %s. De gegevens blijven bewaard.", c.FirstName, when)
		case pipeline.InfoChatMoved:
			return fmt.Sprintf("📱 %s gebruikt de bot nu op een ander Telegram-account, met een nieuwe code · %s. Het oude account kreeg daar bericht over (als Telegram dat nog toelaat). "+
				"Klopt dit niet? Stop de bot met `client stop %s` en maak een nieuwe code met `client code %s`.", c.FirstName, when, c.ID, c.ID)
		case dialogs.InfoSafe:
			return fmt.Sprintf("✅ %s antwoordde **Ja** op de vraag _Ben je nu veilig?_ · %s", c.FirstName, when)
		case "entry_set_aside":
			return fmt.Sprintf("⚠️ Iets van %s kon de bot niet verwerken · %s. Het is apart gezet voor de beheerder; kijk even of %s je nodig heeft.", c.FirstName, when, c.FirstName)
		}
		head = "ℹ️ **" + cp.Info + "**"
	default:
		head = "💬 **Bericht**"
	}
	var sb strings.Builder
	sb.WriteString(head + " · " + when)
	if cp.Priority {
		for _, u := range []string{c.CoachUser, c.BackupUser} {
			if u != "" {
				sb.WriteString(" @" + u)
			}
		}
	}
	if cp.Kind == dialogs.CoachSignal && cp.Info == "not_ok" {
		sb.WriteString("\n" + c.FirstName + " drukte op 😟 Het gaat niet goed. De bot gaf de nummers 112 en 113.")
	}
	if line := safetyLine(cp, c.FirstName); line != "" {
		sb.WriteString("\n" + line)
	}
	if cp.Text != "" {
		sb.WriteString("\n" + quote(cp.Text))
	}
	if cp.Severity == "urgent" {
		sb.WriteString("\nDe bot gaf " + c.FirstName + " meteen de hulpnummers.")
	}
	if cp.AlertID != "" {
		sb.WriteString("\nPak het op: typ `oppakken` in dit kanaal. Zorgsignaal `" + cp.AlertID + "`.")
	}
	if cp.Location != nil {
		fmt.Fprintf(&sb, "\n📍 Locatie: https://www.openstreetmap.org/?mlat=%.5f&mlon=%.5f#map=17/%.5f/%.5f", cp.Location.Lat, cp.Location.Lon, cp.Location.Lat, cp.Location.Lon)
	}
	if cp.Contact != nil {
		fmt.Fprintf(&sb, "\n👤 Contact: %s, %s", cp.Contact.Name, cp.Contact.Phone)
	}
	for _, m := range missing {
		sb.WriteString("\n_(bestand " + m + ")_")
	}
	if m := cp.Media; m != nil && (m.Type == "voice" || m.Type == "video_note") {
		// Until voice notes are transcribed nobody but the coach hears them.
		sb.WriteString("\n_🎤 Niet gecontroleerd op zorgsignalen: de bot kan spraak nog niet lezen._")
	}
	return sb.String()
}

// askQuestions are the ask-back questions as the client read them.
var askQuestions = map[string]string{
	"suicide": "Bedoel je dat je jezelf iets wil aandoen?", "selfharm": "Bedoel je dat je jezelf iets wil aandoen?",
	"danger": "Ben je nu in gevaar?", "violence": "Ben je nu in gevaar?",
}

// safetyLine says what the bot asked a client in a crisis dialog and what
// the client answered.
func safetyLine(cp pipeline.CoachPost, name string) string {
	q := askQuestions[cp.Category]
	switch cp.Info {
	case dialogs.InfoAskedBack:
		return fmt.Sprintf("De bot was niet zeker en vroeg %s: _%s_ Het antwoord komt hieronder.", name, q)
	case dialogs.InfoAskYes:
		return fmt.Sprintf("%s antwoordde **Ja** op de vraag _%s_", name, q)
	case dialogs.InfoAskUnsure:
		return fmt.Sprintf("%s antwoordde **Weet ik niet** op de vraag _%s_", name, q)
	case dialogs.InfoAskNo:
		return fmt.Sprintf("%s antwoordde **Nee** op de vraag _%s_", name, q)
	case dialogs.InfoNotSafe:
		return fmt.Sprintf("%s antwoordde **Nee** op de vraag _Ben je nu veilig?_ De bot gaf het advies om nu 112 te bellen.", name)
	}
	return ""
}

func mediaName(cp pipeline.CoachPost) string {
	if cp.Media == nil {
		if cp.Location != nil {
			return "Locatie"
		}
		return "Contact"
	}
	switch cp.Media.Type {
	case "photo":
		return "Foto"
	case "voice":
		return "Spraakbericht"
	case "video", "video_note":
		return "Video"
	case "audio":
		return "Geluid"
	}
	return "Bestand"
}

func quote(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (b *Bridge) when(t time.Time) string {
	if t.IsZero() {
		t = b.Now()
	}
	lt := t.In(b.cfg.Location)
	now := b.Now().In(b.cfg.Location)
	if lt.Year() == now.Year() && lt.YearDay() == now.YearDay() {
		return lt.Format("15:04")
	}
	return lt.Format("02-01 15:04")
}

var reasons = map[string]string{
	pipeline.ReasonNotLinked: "de cliënt is niet (meer) gekoppeld aan de bot",
	pipeline.ReasonBlocked:   "de cliënt heeft de bot geblokkeerd",
	pipeline.ReasonTooLarge:  "het bestand is te groot voor Telegram (max 50 MB)",
	pipeline.ReasonRefused:   "Telegram weigerde het bericht",
	pipeline.ReasonNoFile:    "het bestand kon niet worden opgehaald",
}

// reportDelivery marks the coach's post: ✅ delivered, ⚠️ with a short
// reply saying why not.
func (b *Bridge) reportDelivery(ctx context.Context, cp pipeline.CoachPost) error {
	if cp.Report == "" {
		// Not a coach's post: a bot message that did not arrive.
		c, ch, err := b.clientChannel(ctx, cp.ClientID)
		if err != nil || ch == "" {
			return err
		}
		why := reasons[cp.Reason]
		if why == "" {
			why = "onbekende fout"
		}
		_, err = b.mm.CreatePost(ctx, mattermost.Post{ChannelID: ch, Message: fmt.Sprintf("⚠️ Een bericht van de bot kwam niet aan bij %s: %s. Je hoort dit één keer per dag.", c.FirstName, why)}, nil)
		return err
	}
	if cp.OK {
		return b.mm.AddReaction(ctx, cp.Report, "white_check_mark")
	}
	if err := b.mm.AddReaction(ctx, cp.Report, "warning"); err != nil {
		return err
	}
	why := reasons[cp.Reason]
	if why == "" {
		why = "onbekende fout"
	}
	ch, err := b.channelOfPost(ctx, cp)
	if err != nil || ch == "" {
		return err
	}
	_, err = b.mm.CreatePost(ctx, mattermost.Post{ChannelID: ch, RootID: cp.Report, Message: "⚠️ Niet afgeleverd: " + why + "."}, nil)
	return err
}

func (b *Bridge) channelOfPost(ctx context.Context, cp pipeline.CoachPost) (string, error) {
	c, ok, err := b.st.LoadClient(ctx, cp.ClientID)
	if err != nil || !ok {
		return "", err
	}
	return c.Channel, nil
}

// tellClientOnce sends a notice once per subject, however often the post
// that needs it is retried.
func (b *Bridge) tellClientOnce(ctx context.Context, c store.Client, key, subject string) {
	if first, err := b.st.FirstNotice(ctx, c.ID, key+":"+subject, 24*time.Hour); err != nil || !first {
		return
	}
	b.tellClient(ctx, c, key)
}

// tellClient sends a client a short notice outside a dialog step.
func (b *Bridge) tellClient(ctx context.Context, c store.Client, key string) {
	if c.ChatID == 0 || b.Texts == nil {
		return
	}
	text := b.Texts.Text(c.Lang, key, map[string]any{"Name": c.FirstName, "Coach": c.Coach})
	payload, _ := json.Marshal(bot.Outgoing{Op: bot.OpMessage, ChatID: c.ChatID, Text: text, Key: key})
	if err := b.st.PushOutgoing(ctx, store.PartitionOfClient(c.ID), store.Outgoing{Lane: store.LaneNormal, ChatID: c.ChatID, Client: c.ID, Payload: payload}); err != nil {
		b.log.Warn("notice to client lost", "client", c.ID, "err", err)
	}
}

func mediaIcon(cp pipeline.CoachPost) string {
	switch {
	case cp.Media != nil && cp.Media.Type == "voice":
		return "🎤"
	case cp.Media != nil && cp.Media.Type == "photo":
		return "📷"
	case cp.Location != nil:
		return "📍"
	case cp.Contact != nil:
		return "👤"
	}
	return "📎"
}

// clientChannel loads a client and makes sure its channel exists; ch is ""
// when the client is gone.
func (b *Bridge) clientChannel(ctx context.Context, clientID string) (c store.Client, ch string, err error) {
	c, ok, err := b.st.LoadClient(ctx, clientID)
	if err != nil || !ok {
		return c, "", err
	}
	ch, err = b.ensureChannel(ctx, c)
	return c, ch, err
}
