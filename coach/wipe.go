package coach

import (
	"context"
	"fmt"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/store"
)

// WipeResult says what Wipe did.
type WipeResult struct {
	Store store.WipeReport
	// Channel is what became of the client's Mattermost channel: 0 when
	// the client had none or it could not be removed (ChannelErr).
	Channel    mattermost.ChannelRemoval
	ChannelErr error
}

// Wipe removes everything Waakvlam keeps about a client
// (store.WipeClient: every key family, the data key too) and then its
// Mattermost channel, as far as the server allows: deleted with its posts
// where Mattermost permits a permanent delete (EnableAPIChannelDeletion),
// archived where not. note, when given, is posted in the channel first, so
// that an archived channel says why it was archived. A channel that could
// not be removed is reported in the result, not as an error: the data in
// Redis is gone either way.
func (b *Bridge) Wipe(ctx context.Context, c store.Client, note string) (WipeResult, error) {
	var res WipeResult
	rep, err := b.st.WipeClient(ctx, c.ID)
	res.Store = rep
	b.access(ctx, c.ID, "client.delete", accesslog.Delete, outcome(err))
	if err != nil || c.Channel == "" {
		return res, err
	}
	if note != "" {
		if _, err := b.mm.CreatePost(ctx, mattermost.Post{ChannelID: c.Channel, Message: note}, nil); err != nil {
			b.log.Warn("note in client channel before removing it", "client", c.ID, "err", err)
		}
	}
	res.Channel, res.ChannelErr = b.mm.DeleteChannel(ctx, c.Channel)
	b.access(ctx, c.ID, "client.channel.delete", accesslog.Delete, outcome(res.ChannelErr))
	if res.ChannelErr != nil {
		b.log.Warn("client channel not removed", "client", c.ID, "channel", c.Channel, "err", res.ChannelErr)
	}
	return res, nil
}

// wipeAnswer tells the coach what was wiped and what became of the
// channel.
func wipeAnswer(id string, res WipeResult) string {
	text := fmt.Sprintf("🗑️ De gegevens van `%s` zijn gewist.", id)
	switch {
	case res.ChannelErr != nil:
		text += " Het kanaal kon niet worden verwijderd of gearchiveerd: Mattermost gaf een fout. Archiveer of verwijder het kanaal zelf."
	case res.Channel == mattermost.ChannelDeleted:
		text += " Het kanaal is ook verwijderd, met alle berichten."
	case res.Channel == mattermost.ChannelArchived:
		text += " Het kanaal is gearchiveerd, niet verwijderd: deze Mattermost staat definitief verwijderen niet toe." +
			" De berichten staan dus nog op de Mattermost-server." +
			" Een beheerder kan het kanaal definitief verwijderen (`mmctl channel delete`), of `ServiceSettings.EnableAPIChannelDeletion` aanzetten zodat de bot dat voortaan zelf doet."
	case res.Channel == mattermost.ChannelGone:
		text += " Het kanaal bestond al niet meer."
	}
	return text
}
