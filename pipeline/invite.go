package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/bot"
	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/invite"
	"github.com/waakvlam/waakvlam/store"
)

// KindInviteFlood is a notice for the project leaders: many wrong invite
// codes in a short time, someone may be guessing codes.
const KindInviteFlood dialogs.CoachKind = "invite_flood"

// InfoChatMoved (a CoachInfo post) tells the coach that the client now
// uses the bot from another Telegram chat, with a new code.
const InfoChatMoved = "chat_moved"

// MovedKey is the text the client's old chat gets when the client moved.
const MovedKey = "link.moved"

// useInvite tries the code of a /start from an unlinked chat. It returns
// the client the chat is linked to now, or "" when the code did not work
// (wrong, old, not the client's newest, or not checked because of too many
// wrong codes).
func (p *Pipeline) useInvite(ctx context.Context, part store.Partition, ev dialogs.Event) (string, error) {
	code, _ := invite.ParseCode(ev.Args) // malformed: "" counts as a wrong code
	now := p.opt.Now()
	use, err := p.st.UseInvite(ctx, code, ev.ChatID, ev.UpdateID, now, func(clientID string, prev int64) ([]byte, []byte, error) {
		return p.movedNotices(ctx, clientID, prev, ev.UpdateID, now)
	})
	if err != nil {
		return "", err
	}
	if use.Flood {
		p.log.Warn("many wrong invite codes: codes are not checked for a while; telling project leaders",
			"limit", store.InviteFailLimit, "window", store.InviteFailWindow)
		b, _ := json.Marshal(CoachPost{Kind: KindInviteFlood, Time: now, Level: int(store.InviteFailLimit),
			Report: store.InviteFailWindow.String()})
		if err := p.st.PushCoach(ctx, part, b); err != nil {
			p.log.Warn("invite flood notice lost", "err", err)
		}
	}
	p.access(ctx, use.ClientID, "client.link", accesslog.Change, "client")
	if use.ClientID != "" && use.Prev != 0 && use.Prev != ev.ChatID {
		p.log.Info("client moved to another chat with a new invite code", "client", use.ClientID, "update", ev.UpdateID)
	}
	return use.ClientID, nil
}

// movedNotices are the message for the client's old chat and the post for
// the coach when a client moves to another chat.
func (p *Pipeline) movedNotices(ctx context.Context, clientID string, prev, updateID int64, now time.Time) ([]byte, []byte, error) {
	c, ok, err := p.st.LoadClient(ctx, clientID)
	if err != nil || !ok {
		return nil, nil, err
	}
	lang := c.Lang
	if !p.texts.Supported(lang) {
		lang = "nl"
	}
	// No Client on the message: if Telegram no longer takes messages for the
	// old chat (blocked, account gone) the coach is not told of that too.
	old, err := json.Marshal(bot.Outgoing{Op: bot.OpMessage, ChatID: prev, Key: MovedKey,
		Text: p.texts.Text(lang, MovedKey, map[string]any{"Name": c.FirstName, "Coach": c.Coach})})
	if err != nil {
		return nil, nil, err
	}
	post, err := json.Marshal(CoachPost{ClientID: clientID, Kind: dialogs.CoachInfo, Info: InfoChatMoved, Time: now, UpdateID: updateID})
	if err != nil {
		return nil, nil, err
	}
	return old, post, nil
}

// alertAlphabet makes the random part of alert ids (no look-alikes).
const alertAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newAlertID makes an alert id "a<10 random characters>-<client>": about
// 49 random bits, so alert ids cannot be guessed, and the client in it so
// an alert is found by its id alone.
func newAlertID(clientID string) string {
	const n = 10
	const limit = 256 - 256%len(alertAlphabet)
	out := make([]byte, 0, n+1+len(clientID))
	out = append(out, 'a')
	var buf [32]byte
	for len(out) < n+1 {
		_, _ = rand.Read(buf[:])
		for _, c := range buf {
			if int(c) < limit && len(out) < n+1 {
				out = append(out, alertAlphabet[int(c)%len(alertAlphabet)])
			}
		}
	}
	return string(append(append(out, '-'), clientID...))
}
