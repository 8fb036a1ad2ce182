package mattermost

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/mattermost/mattermost-server/v6/model"
)

// Username returns the username of a user id.
func (c *Client) Username(ctx context.Context, userID string) (string, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	u, resp, err := api.GetUser(userID, "")
	if err != nil {
		return "", wrap("get user", resp, err)
	}
	return strings.ToLower(u.Username), nil
}

// Members lists the user ids of a channel's members.
func (c *Client) Members(ctx context.Context, channelID string) ([]string, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	const perPage = 200
	var out []string
	for page := 0; ; page++ {
		ms, resp, err := api.GetChannelMembers(channelID, page, perPage, "")
		if err != nil {
			return nil, wrap("get channel members", resp, err)
		}
		for _, m := range ms {
			out = append(out, m.UserId)
		}
		if len(ms) < perPage {
			return out, nil
		}
	}
}

// ErrNotLicensed means the server refused a call that needs an enterprise
// licence (HTTP 501 from the API).
var ErrNotLicensed = errors.New("mattermost: needs a licensed server")

// RestrictMembers takes from the channel's members the right to add or
// remove members (channel moderation, "manage_members"), so only admins
// and the bot change who is in the channel. Mattermost allows channel
// moderation on licensed servers only; on others (the free edition, such
// as the 6.7.2 the tests use) the answer matches ErrNotLicensed and
// nothing changes: the caller must watch the channel's members itself.
func (c *Client) RestrictMembers(ctx context.Context, channelID string) error {
	api, cancel := c.api(ctx)
	defer cancel()
	name, no := "manage_members", false
	_, resp, err := api.PatchChannelModerations(channelID, []*model.ChannelModerationPatch{
		{Name: &name, Roles: &model.ChannelModeratedRolesPatch{Members: &no}},
	})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotImplemented {
			return ErrNotLicensed
		}
		return wrap("restrict channel members", resp, err)
	}
	return nil
}
