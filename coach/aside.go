package coach

import (
	"context"
	"fmt"

	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/store"
)

// postSetAside tells about an item set aside after repeated failures
// (pipeline.KindSetAside), once: in the client's channel when it belongs to
// a client, else to the project leaders (the on-call when there are none).
func (b *Bridge) postSetAside(ctx context.Context, cp pipeline.CoachPost) error {
	what := "Een bericht uit Telegram"
	after := "Het kon niet gelezen worden en is apart gezet voor de beheerder. De bot werkt gewoon door."
	if cp.Info == store.AsideSchedule {
		what = "Een herinnering of check-in"
		after = "De planning ervan kon niet gelezen worden; ze is apart gezet voor de beheerder en gaat niet af. " +
			"Kijk met `herinnering lijst` of ze er nog staat, en zet haar zo nodig opnieuw."
	}
	text := fmt.Sprintf("⚠️ **Apart gezet** · %s\n%s (`%s`) lukte %d keer niet. %s", b.when(cp.Time), what, cp.Report, cp.Level, after)
	if cp.ClientID != "" {
		c, ok, err := b.st.LoadClient(ctx, cp.ClientID)
		if err != nil {
			return err
		}
		if ok {
			ch, err := b.ensureChannel(ctx, c)
			if err != nil {
				return err
			}
			_, err = b.mm.CreatePost(ctx, mattermost.Post{ChannelID: ch, Message: text, PendingID: pendingID(ctx, "aside")}, nil)
			return err
		}
	}
	return b.toLeaders(ctx, "set aside notice", text)
}

// toLeaders sends text to every project leader (the on-call when there
// are none) in a direct message. It returns an error only when nobody was
// reached and Mattermost may take it later.
func (b *Bridge) toLeaders(ctx context.Context, what, text string) error {
	to := append([]string(nil), b.staff.ProjectLeaders...)
	if len(to) == 0 && b.staff.OnCall != "" {
		to = []string{b.staff.OnCall}
	}
	if len(to) == 0 {
		b.log.Warn(what + ": no project leader to tell")
		return nil
	}
	var firstErr error
	sent := 0
	for _, u := range to {
		id, err := b.userID(ctx, u)
		if err == nil {
			var dm string
			if dm, err = b.mm.DirectChannel(ctx, id); err == nil {
				_, err = b.mm.CreatePost(ctx, mattermost.Post{ChannelID: dm, Message: text, PendingID: pendingID(ctx, "dm-"+id)}, nil)
			}
		}
		if err != nil {
			b.log.Warn(what, "to_user", u, "err", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		sent++
	}
	if sent == 0 && mattermost.IsUnavailable(firstErr) {
		return firstErr
	}
	return nil
}
