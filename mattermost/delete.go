package mattermost

import (
	"context"
	"errors"
	"net/http"
)

// ChannelRemoval says what became of a channel DeleteChannel was asked to
// remove.
type ChannelRemoval int

// Outcomes of DeleteChannel.
const (
	// ChannelDeleted: deleted permanently, with its posts and files.
	ChannelDeleted ChannelRemoval = iota + 1
	// ChannelArchived: the server refused a permanent delete, so the
	// channel was archived: hidden, read-only, posts kept on the server.
	ChannelArchived
	// ChannelGone: there was no such channel (deleted before).
	ChannelGone
)

// DeleteChannel removes a channel as far as the server allows: first a
// permanent delete (Mattermost 6.7.2 allows it only with
// ServiceSettings.EnableAPIChannelDeletion on, to a user who may delete the
// channel; a system admin may), and when the server refuses that, an
// archive (Mattermost's DeleteChannel). An error means neither worked; a
// network or server failure is not taken as a refusal.
func (c *Client) DeleteChannel(ctx context.Context, channelID string) (ChannelRemoval, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	resp, err := api.PermanentDeleteChannel(channelID)
	if err == nil {
		c.log().Info("mattermost: channel deleted permanently", "channel_id", channelID)
		return ChannelDeleted, nil
	}
	perr := wrap("delete channel permanently", resp, err)
	switch st := StatusCode(perr); {
	case st == http.StatusNotFound:
		return ChannelGone, nil
	case IsUnavailable(perr):
		return 0, perr
	}
	c.log().Info("mattermost: permanent delete refused, archiving the channel", "channel_id", channelID, "status", StatusCode(perr))
	resp, err = api.DeleteChannel(channelID)
	if err != nil {
		aerr := wrap("archive channel", resp, err)
		var e *Error
		if errors.As(aerr, &e) && e.ID == "api.channel.delete_channel.deleted.app_error" {
			return ChannelArchived, nil // archived before
		}
		if StatusCode(aerr) == http.StatusNotFound {
			return ChannelGone, nil
		}
		return 0, aerr
	}
	c.log().Info("mattermost: channel archived", "channel_id", channelID)
	return ChannelArchived, nil
}
