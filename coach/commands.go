package coach

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

// maybeCommand answers a direct message to the bot as a staff command.
func (b *Bridge) maybeCommand(ctx context.Context, p mattermost.Post) {
	if !b.isDirect(ctx, p) {
		return
	}
	// Every replica listens: only the one that claims the post answers it.
	if first, err := b.st.Claim(ctx, "mm:"+p.ID, 48*time.Hour); err != nil || !first {
		return
	}
	username := b.usernameOf(ctx, p.UserID)
	ctx = as(ctx, username, p.UserID, accesslog.SourceDM)
	var reply string
	var files []mattermost.File
	switch strings.ToLower(strings.TrimSpace(p.Message)) {
	case "tips uit":
		reply = b.setHints(ctx, p.UserID, false)
	case "tips aan":
		reply = b.setHints(ctx, p.UserID, true)
	default:
		reply, files = b.runCommand(ctx, username, p.Message)
	}
	if _, err := b.mm.CreatePost(ctx, mattermost.Post{ChannelID: p.ChannelID, RootID: p.RootID, Message: reply}, files); err != nil {
		b.log.Warn("answer staff command", "post", p.ID, "err", err)
	}
}

// isDirect tells whether a post is in a direct message with the bot.
func (b *Bridge) isDirect(ctx context.Context, p mattermost.Post) bool {
	b.mu.Lock()
	who, known := b.dmChannel[p.ChannelID]
	b.mu.Unlock()
	if known {
		return who != ""
	}
	dm, err := b.mm.DirectChannel(ctx, p.UserID)
	if err != nil {
		b.log.Warn("direct channel", "err", err)
		return false
	}
	b.mu.Lock()
	if dm == p.ChannelID {
		b.dmChannel[p.ChannelID] = p.UserID
	} else {
		b.dmChannel[p.ChannelID] = ""
	}
	b.mu.Unlock()
	return dm == p.ChannelID
}

// runCommand carries out a staff command for username ("" when the user is
// not staff) and returns the answer in Dutch.
func (b *Bridge) runCommand(ctx context.Context, username, text string) (string, []mattermost.File) {
	cmd, err := staff.ParseCommand(text)
	if err != nil {
		if reply, ok := b.runScheduleCommand(ctx, username, text); ok {
			return reply, nil
		}
		return "🤔 " + capital(err.Error()) + ".\n" + staff.Usage + "\n\n" + staff.ScheduleUsage, nil
	}
	role := b.staff.RoleOf(username)
	if role == staff.NoRole && !(cmd.Verb == staff.VerbAck && username != "" && username == b.staff.OnCall) {
		return "Sorry, alleen coaches en projectleiders van Waakvlam kunnen dit gebruiken.", nil
	}
	switch cmd.Verb {
	case staff.VerbHelp:
		return staff.Usage, nil
	case staff.VerbNew:
		return b.cmdNew(ctx, username, role, cmd)
	case staff.VerbList:
		return b.cmdList(ctx, username)
	case staff.VerbAck:
		return b.ack(ctx, username, cmd.Alert), nil
	}
	c, msg := b.findClient(ctx, username, cmd.Client)
	if msg != "" {
		return msg, nil
	}
	switch cmd.Verb {
	case staff.VerbCode:
		return b.cmdCode(ctx, c)
	case staff.VerbStop:
		return b.cmdStop(ctx, username, c)
	case staff.VerbTransfer:
		return b.cmdTransfer(ctx, username, c, cmd.Coach)
	case staff.VerbDelete:
		return b.cmdDelete(ctx, username, c)
	}
	return staff.Usage, nil
}

func (b *Bridge) cmdNew(ctx context.Context, username string, role staff.Role, cmd staff.Command) (string, []mattermost.File) {
	coachRef := cmd.Coach
	if coachRef == "" {
		coachRef = username
	}
	co, ok := b.staff.Coach(coachRef)
	if ok && cmd.Coach == "" && co.Username != username {
		ok = false // "for myself" goes by username, never by a first name
	}
	if !ok {
		return fmt.Sprintf("🤔 %s is geen coach in de lijst. Geef een coach op: `client nieuw %s <coach>`.", coachRef, cmd.Name), nil
	}
	if role != staff.ProjectLeader && co.Username != username {
		return "Sorry, je kunt alleen voor jezelf een cliënt maken.", nil
	}
	lang := cmd.Lang
	if lang == "" {
		lang = "nl"
	}
	inv, err := invite.Create(ctx, b.st, invite.Request{FirstName: cmd.Name, Coach: co.Name, CoachUser: co.Username, BackupUser: co.Backup,
		Lang: lang, BotUsername: b.botUsername(), TTL: b.cfg.InviteTTL, Now: b.Now()})
	if err != nil {
		b.log.Warn("staff: new client", "err", err)
		return "⚠️ Dat lukte niet. Probeer het zo nog eens.", nil
	}
	b.access(ctx, inv.ClientID, "client.create", accesslog.Create, accesslog.OK)
	if b.Structure != nil && b.Structure.ApplyLevel != nil {
		if err := b.Structure.ApplyLevel(ctx, inv.ClientID, b.Structure.Settings().DefaultLevel); err != nil {
			b.log.Warn("staff: level of new client", "client", inv.ClientID, "err", err)
		}
	}
	c, _, err := b.st.LoadClient(ctx, inv.ClientID)
	if err == nil {
		if _, err := b.ensureChannel(ctx, c); err != nil {
			b.log.Warn("staff: channel for new client", "client", inv.ClientID, "err", err)
		}
	}
	return b.inviteText(cmd.Name, inv, co.Name), []mattermost.File{{Name: "waakvlam-" + inv.ClientID + ".png", MIME: "image/png", Data: inv.QRPNG}}
}

func (b *Bridge) inviteText(name string, inv invite.Invitation, coach string) string {
	return fmt.Sprintf("✅ Cliënt **%s** (`%s`), coach %s.\nCode: `%s` (werkt één keer, tot %s)\nLink: %s\nDe QR-code hieronder opent dezelfde link.",
		name, inv.ClientID, coach, inv.Code, inv.Expires.In(b.cfg.Location).Format("02-01-2006 15:04"), inv.Link)
}

func (b *Bridge) visible(ctx context.Context, username string) ([]store.Client, error) {
	ids, err := b.st.ClientIDs(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.Client
	for _, id := range ids {
		c, ok, err := b.st.LoadClient(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok && b.staff.CanManage(username, c.CoachUser, c.BackupUser) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !strings.EqualFold(out[i].FirstName, out[j].FirstName) {
			return strings.ToLower(out[i].FirstName) < strings.ToLower(out[j].FirstName)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (b *Bridge) cmdList(ctx context.Context, username string) (string, []mattermost.File) {
	cs, err := b.visible(ctx, username)
	if err != nil {
		return "⚠️ Dat lukte niet. Probeer het zo nog eens.", nil
	}
	if len(cs) == 0 {
		return "Je hebt nog geen cliënten. Maak er een met `client nieuw <voornaam>`.", nil
	}
	b.accessAll(ctx, clientIDs(cs), "client.list", accesslog.Read)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d %s:\n", len(cs), plural(len(cs), "cliënt", "cliënten"))
	for _, c := range cs {
		state := "✅ gekoppeld"
		switch {
		case c.Stopped:
			state = "⏹️ gestopt"
		case c.ChatID == 0:
			state = "⏳ nog niet gestart"
		}
		fmt.Fprintf(&sb, "- **%s** (`%s`) · coach %s · %s\n", c.FirstName, c.ID, c.Coach, state)
	}
	return sb.String(), nil
}

// findClient resolves an id or a first name among the clients username may see.
func (b *Bridge) findClient(ctx context.Context, username, ref string) (store.Client, string) {
	cs, err := b.visible(ctx, username)
	if err != nil {
		return store.Client{}, "⚠️ Dat lukte niet. Probeer het zo nog eens."
	}
	var byName []store.Client
	for _, c := range cs {
		if c.ID == ref {
			return c, ""
		}
		if strings.EqualFold(c.FirstName, ref) {
			byName = append(byName, c)
		}
	}
	switch len(byName) {
	case 1:
		return byName[0], ""
	case 0:
		b.refused(ctx, ref, "client.find")
		return store.Client{}, fmt.Sprintf("🤔 Ik vind geen cliënt %q bij jou. Kijk met `client lijst`.", ref)
	}
	var ids []string
	for _, c := range byName {
		ids = append(ids, "`"+c.ID+"`")
	}
	return store.Client{}, fmt.Sprintf("🤔 Meer cliënten heten %s. Gebruik het id: %s.", ref, strings.Join(ids, ", "))
}

func (b *Bridge) cmdCode(ctx context.Context, c store.Client) (string, []mattermost.File) {
	code, err := invite.NewCode(8)
	if err == nil {
		err = b.st.CreateInvite(ctx, code, c.ID, b.cfg.InviteTTL)
	}
	b.access(ctx, c.ID, "client.code", accesslog.Change, outcome(err))
	if err != nil {
		return "⚠️ Dat lukte niet. Probeer het zo nog eens.", nil
	}
	link := invite.Link(b.botUsername(), code)
	png, err := invite.QR(link)
	if err != nil {
		return "⚠️ Dat lukte niet. Probeer het zo nog eens.", nil
	}
	inv := invite.Invitation{ClientID: c.ID, Code: code, Link: link, Expires: b.Now().Add(b.cfg.InviteTTL)}
	text := b.inviteText(c.FirstName, inv, c.Coach) + "\nEen eerdere code van " + c.FirstName + " werkt nu niet meer."
	if c.ChatID != 0 {
		text += " " + c.FirstName + " gebruikt de bot al: met deze code gaat de bot over naar een andere telefoon, en de oude telefoon krijgt geen berichten meer."
	}
	return text, []mattermost.File{{Name: "waakvlam-" + c.ID + ".png", MIME: "image/png", Data: png}}
}

func (b *Bridge) cmdStop(ctx context.Context, username string, c store.Client) (string, []mattermost.File) {
	b.tellClient(ctx, c, "staff.stopped")
	_, err := b.st.StopClient(ctx, c.ID)
	b.access(ctx, c.ID, "client.stop", accesslog.Change, outcome(err))
	if err != nil {
		return "⚠️ Dat lukte niet. Probeer het zo nog eens.", nil
	}
	b.note(ctx, c, fmt.Sprintf("⏹️ @%s heeft de bot gestopt voor %s. De gegevens blijven bewaard.", username, c.FirstName))
	return fmt.Sprintf("⏹️ De bot is gestopt voor **%s**. Met `client code %s` kan %s later weer beginnen.", c.FirstName, c.ID, c.FirstName), nil
}

func (b *Bridge) cmdTransfer(ctx context.Context, username string, c store.Client, to string) (string, []mattermost.File) {
	co, ok := b.staff.Coach(to)
	if !ok {
		return fmt.Sprintf("🤔 %s is geen coach in de lijst.", to), nil
	}
	// Channel membership is the access control: the old coach and backup
	// leave the channel before the transfer is stored and reported. When
	// that fails, nothing is claimed and the coach in Redis stays the old
	// one, so the same command tries the whole transfer again.
	if c.Channel != "" {
		var add []string
		for _, u := range []string{co.Username, co.Backup} {
			if u == "" {
				continue
			}
			if id, err := b.userID(ctx, u); err == nil {
				add = append(add, id)
			}
		}
		if err := b.mm.AddMembers(ctx, c.Channel, add); err != nil {
			b.log.Warn("transfer: add members", "client", c.ID, "err", err)
		}
		var stay []string
		for _, old := range []string{c.CoachUser, c.BackupUser} {
			if old == "" || old == co.Username || old == co.Backup {
				continue
			}
			id, err := b.userID(ctx, old)
			if err == nil {
				err = b.mm.RemoveMember(ctx, c.Channel, id)
			}
			if err != nil {
				b.log.Error("transfer: old coach not removed from the client's channel", "client", c.ID, "err", err)
				stay = append(stay, "@"+old)
			}
		}
		if len(stay) > 0 {
			b.access(ctx, c.ID, "client.transfer", accesslog.Change, accesslog.Failed)
			return fmt.Sprintf("⚠️ De overdracht van **%s** is niet gelukt: %s kon niet uit het kanaal van %s worden gehaald en kan het dus nog lezen. "+
				"%s houdt coach %s. Probeer het zo nog eens.", c.FirstName, strings.Join(stay, " en "), c.FirstName, c.FirstName, c.Coach), nil
		}
	}
	err := b.st.SetCoach(ctx, c.ID, co.Name, co.Username, co.Backup)
	b.access(ctx, c.ID, "client.transfer", accesslog.Change, outcome(err))
	if err != nil {
		return "⚠️ Dat lukte niet. Probeer het zo nog eens.", nil
	}
	c.Coach = co.Name
	b.tellClient(ctx, c, "staff.transferred")
	b.note(ctx, c, fmt.Sprintf("🔁 @%s heeft %s overgedragen aan @%s.", username, c.FirstName, co.Username))
	return fmt.Sprintf("🔁 **%s** heeft nu coach %s.", c.FirstName, co.Name), nil
}

func (b *Bridge) note(ctx context.Context, c store.Client, text string) {
	if c.Channel == "" {
		return
	}
	if _, err := b.mm.CreatePost(ctx, mattermost.Post{ChannelID: c.Channel, Message: text}, nil); err != nil {
		b.log.Warn("note in client channel", "client", c.ID, "err", err)
	}
}

func capital(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// MaxCommandForm is the largest slash command form read: the command text
// (a Mattermost message is at most 16,383 characters, staff commands are a
// line) with Mattermost's dozen fields, %-escaped.
const MaxCommandForm = 64 << 10

// CommandHandler serves the /waakvlam slash command. Mattermost signs each
// call with the command's token; other calls get 401.
func (b *Bridge) CommandHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		// A slash command is a short form: read at most 64 KiB of it before
		// the token is checked (ParseForm alone reads up to 10 MB).
		r.Body = http.MaxBytesReader(w, r.Body, MaxCommandForm)
		if err := r.ParseForm(); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		token := b.cmdToken
		b.mu.Unlock()
		got := r.PostForm.Get("token")
		if auth := r.Header.Get("Authorization"); got == "" && strings.HasPrefix(auth, "Token ") {
			got = strings.TrimPrefix(auth, "Token ")
		}
		if token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		username := strings.ToLower(r.PostForm.Get("user_name"))
		reply, files := b.runCommand(as(r.Context(), username, r.PostForm.Get("user_id"), accesslog.SourceSlash), username, r.PostForm.Get("text"))
		if len(files) > 0 {
			// A slash command answer cannot carry files: the QR code goes to
			// the coach's direct messages with the bot.
			if dm, err := b.mm.DirectChannel(r.Context(), r.PostForm.Get("user_id")); err == nil {
				_, _ = b.mm.CreatePost(r.Context(), mattermost.Post{ChannelID: dm, Message: reply}, files)
				reply += "\n(De QR-code staat in je privéberichten met de bot.)"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": reply})
	})
}

// cmdDelete wipes a stopped client's data: health data is kept only as
// long as it is needed. Stopping first makes wiping a deliberate second
// step. The client's channel goes too, where Mattermost allows it (Wipe);
// the answer says what became of it.
func (b *Bridge) cmdDelete(ctx context.Context, username string, c store.Client) (string, []mattermost.File) {
	if c.ChatID != 0 {
		return fmt.Sprintf("🤔 %s gebruikt de bot nog. Stop eerst met `client stop %s`, en wis daarna.", c.FirstName, c.ID), nil
	}
	res, err := b.Wipe(ctx, c, fmt.Sprintf("🗑️ @%s heeft de gegevens van deze cliënt gewist.", username))
	if err != nil {
		b.log.Warn("delete client", "client", c.ID, "err", err)
		return oops, nil
	}
	// Who wiped when; the client is named in the access log only (by its
	// pseudonym): nothing in Redis names a wiped client.
	answer := wipeAnswer(c.ID, res)
	if !b.audit(ctx, username, "client wissen", "", "", b.Now()) {
		answer += auditNotWritten
	}
	return answer, nil
}
