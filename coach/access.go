package coach

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/store"
)

// Who may act for a client: its coach, its backup coach, the on-call
// contact and the project leaders (staff.Directory.Responsible), by
// Mattermost username only. Only their posts reach the client, only they
// pick up the client's alerts, and only they (and the bot) stay in the
// client's channel.

const notResponsible = "Sorry, alleen de coach, de back-up, de bereikbaarheidsdienst en de projectleiders van deze cliënt kunnen een zorgsignaal oppakken."

// usernameOf returns the Mattermost username of a user id ("" when there
// is no such user or it cannot be found out now). Staff resolved at
// connect time are known without a call; lookupUsername returns an error
// only while Mattermost is unavailable.
func (b *Bridge) usernameOf(ctx context.Context, userID string) string {
	name, _ := b.lookupUsername(ctx, userID)
	return name
}

func (b *Bridge) lookupUsername(ctx context.Context, userID string) (string, error) {
	if userID == "" {
		return "", nil
	}
	b.mu.Lock()
	name, ok := b.users[userID]
	b.mu.Unlock()
	if ok {
		return name, nil
	}
	name, err := b.mm.Username(ctx, userID)
	if err != nil {
		if mattermost.IsUnavailable(err) {
			return "", err // ask again later
		}
		return "", nil // no such user (any more): nobody's role
	}
	if b.staff.RoleOf(name) != 0 || name == b.staff.OnCall {
		// Staff keep their id; others are looked up each time (rare).
		b.mu.Lock()
		b.users[userID], b.userIDs[name] = name, userID
		b.mu.Unlock()
	}
	return name, nil
}

// responsible lists the usernames that may act for client c, sorted.
func (b *Bridge) responsible(c store.Client) []string {
	set := map[string]bool{}
	for _, u := range append([]string{c.CoachUser, c.BackupUser, b.staff.OnCall}, b.staff.ProjectLeaders...) {
		if u != "" {
			set[u] = true
		}
	}
	out := make([]string, 0, len(set))
	for u := range set {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// mayActFor says whether username may act for the client now: one of its
// responsible people, or someone its open alert was already escalated to
// (the on-call contact of that moment).
func (b *Bridge) mayActFor(ctx context.Context, username string, c store.Client) bool {
	if username == "" {
		return false
	}
	if b.staff.Responsible(username, c.CoachUser, c.BackupUser) {
		return true
	}
	if c.OpenAlert != "" {
		if a, ok, err := b.st.LoadAlert(ctx, c.ID, c.OpenAlert); err == nil && ok && escalatedTo(a, username) {
			return true
		}
	}
	return false
}

func escalatedTo(a store.Alert, username string) bool {
	for i, s := range a.Steps {
		if i < a.Level && s == username {
			return true
		}
	}
	return false
}

// mayPickUp says whether username may pick up alert a.
func (b *Bridge) mayPickUp(ctx context.Context, username string, a store.Alert) (bool, error) {
	if username == "" {
		return false, nil
	}
	if escalatedTo(a, username) {
		return true, nil
	}
	c, ok, err := b.st.LoadClient(ctx, a.ClientID)
	if err != nil {
		return false, err
	}
	return ok && b.staff.Responsible(username, c.CoachUser, c.BackupUser), nil
}

// refusePost keeps a post in a client's channel from the client when its
// author may not speak for the client (a colleague passing through, an
// admin who is not a project leader). The author gets a private note, once
// however many replicas see the post, and the post a 🚫.
func (b *Bridge) refusePost(ctx context.Context, clientID string, p mattermost.Post) (bool, error) {
	username, err := b.lookupUsername(ctx, p.UserID)
	if err != nil {
		return false, err // ask again later (catch-up)
	}
	c, ok, err := b.st.LoadClient(ctx, clientID)
	if err != nil {
		return false, err
	}
	if ok && b.mayActFor(ctx, username, c) {
		return false, nil
	}
	if first, err := b.st.Claim(ctx, "refused:"+p.ID, 48*time.Hour); err != nil || !first {
		return true, nil
	}
	b.log.Info("coach post not sent: author may not speak for the client", "post", p.ID, "client", clientID, "user_id", p.UserID)
	b.access(as(ctx, username, p.UserID, accesslog.SourceChannel), clientID, "coach-post.send", accesslog.Create, accesslog.Denied)
	name := "de cliënt"
	if ok {
		name = c.FirstName
	}
	note := fmt.Sprintf("🚫 **Niet verstuurd** naar %s: alleen de coach, de back-up, de bereikbaarheidsdienst en de projectleiders van %s kunnen berichten naar %s sturen. Je bericht blijft hier staan.", name, name, name)
	if err := b.mm.SendEphemeral(ctx, p.UserID, mattermost.Post{ChannelID: p.ChannelID, RootID: p.RootID, Message: note}); err != nil {
		b.log.Warn("note on refused post", "post", p.ID, "err", err)
	}
	if err := b.mm.AddReaction(ctx, p.ID, "no_entry_sign"); err != nil {
		b.log.Warn("mark refused post", "post", p.ID, "err", err)
	}
	return true, nil
}

// onMemberAdded checks someone who joined a client's channel.
func (b *Bridge) onMemberAdded(ctx context.Context, channelID, userID string) {
	clientID, err := b.st.ClientOfChannel(ctx, channelID)
	if err != nil || clientID == "" {
		return
	}
	if err := b.checkMember(ctx, clientID, channelID, userID); err != nil {
		b.log.Warn("check new channel member", "client", clientID, "user_id", userID, "err", err)
	}
}

// checkMember removes a member of a client's channel who may not act for
// the client, and tells the coach in the channel. Mattermost lets every
// member of a private channel add others; on the free edition that cannot
// be switched off per channel, so the bot undoes it.
func (b *Bridge) checkMember(ctx context.Context, clientID, channelID, userID string) error {
	if botID, _ := b.ids(); userID == botID {
		return nil
	}
	username, err := b.lookupUsername(ctx, userID)
	if err != nil {
		return err
	}
	c, ok, err := b.st.LoadClient(ctx, clientID)
	if err != nil || !ok {
		return err
	}
	if b.mayActFor(ctx, username, c) {
		return nil
	}
	if err := b.mm.RemoveMember(ctx, channelID, userID); err != nil {
		return err
	}
	b.log.Info("removed a member who may not act for the client", "client", clientID, "user_id", userID)
	// Every replica sees the addition; one tells the coach.
	if first, err := b.st.Claim(ctx, "removed:"+channelID+":"+userID, 10*time.Minute); err != nil || !first {
		return nil
	}
	b.access(accesslog.With(ctx, bridgeActor), clientID, "channel.remove-member", accesslog.Change, accesslog.OK)
	who := "@" + username
	if username == "" {
		who = "Iemand"
	}
	var coach string
	if c.CoachUser != "" {
		coach = " @" + c.CoachUser
	}
	b.note(ctx, c, fmt.Sprintf("🚫 %s is uit dit kanaal gehaald.%s, hier horen alleen de coach, de back-up, de bereikbaarheidsdienst en de projectleiders van %s. "+
		"Moet een andere coach %s helpen? Gebruik `client overdragen %s <coach>`, of vraag een projectleider.", who, coach, c.FirstName, c.FirstName, c.ID))
	return nil
}

// auditChannels checks the members of every client channel: after a
// (re)connect, for additions made while no socket was open.
func (b *Bridge) auditChannels(ctx context.Context) {
	ids, err := b.st.ClientIDs(ctx)
	if err != nil {
		b.log.Warn("audit channels: list clients", "err", err)
		return
	}
	for _, id := range ids {
		c, ok, err := b.st.LoadClient(ctx, id)
		if err != nil || !ok || c.Channel == "" {
			continue
		}
		members, err := b.mm.Members(ctx, c.Channel)
		if err != nil {
			b.log.Warn("audit channel members", "client", id, "err", err)
			if mattermost.IsUnavailable(err) {
				return
			}
			continue
		}
		for _, u := range members {
			if err := b.checkMember(ctx, id, c.Channel, u); err != nil {
				b.log.Warn("audit channel member", "client", id, "user_id", u, "err", err)
			}
		}
	}
}

// restrictChannel asks Mattermost to keep members of a new client channel
// from adding others. Only licensed servers can; on others the bot watches
// the members instead (checkMember), and says so once.
func (b *Bridge) restrictChannel(ctx context.Context, channelID string) {
	b.mu.Lock()
	unsupported := b.noModeration
	b.mu.Unlock()
	if unsupported {
		return
	}
	err := b.mm.RestrictMembers(ctx, channelID)
	switch {
	case errors.Is(err, mattermost.ErrNotLicensed):
		b.mu.Lock()
		b.noModeration = true
		b.mu.Unlock()
		b.log.Info("mattermost cannot stop channel members adding others (no licence): the bot removes whoever may not be there")
	case err != nil:
		b.log.Warn("restrict channel members", "channel_id", channelID, "err", err)
	}
}

// postInviteFlood tells the project leaders (or, without any, the on-call
// contact) in a direct message that many wrong invite codes came in.
func (b *Bridge) postInviteFlood(ctx context.Context, cp pipeline.CoachPost) error {
	window := cp.Report
	if d, err := time.ParseDuration(window); err == nil {
		window = fmt.Sprintf("%d minuten", int(d.Minutes()))
	}
	text := fmt.Sprintf("⚠️ **Veel verkeerde uitnodigingscodes** · %s\nMeer dan %d verkeerde codes in %s. Misschien probeert iemand codes te raden. "+
		"De bot controleert daarom even geen codes: cliënten die nu hun code sturen, kunnen het na %s opnieuw proberen. "+
		"Je krijgt dit bericht hooguit één keer per uur.", b.when(cp.Time), cp.Level, window, window)
	return b.toLeaders(ctx, "invite flood notice", text)
}
