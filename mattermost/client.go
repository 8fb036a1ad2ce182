// Package mattermost is Waakvlam's thin adapter to a Mattermost server
// (v6 API, through the model.Client4 and model.WebSocketClient of
// github.com/mattermost/mattermost-server/v6).
//
// It owns the wire: REST calls with context cancellation, file uploads and
// downloads, pagination, idempotent set-up (private channels and their
// members, slash commands), the WebSocket stream of "posted" events (and
// reactions, for callers that ask) with reconnecting, and the
// classification of failures into "unavailable, retry later"
// (IsUnavailable) versus "refused". It owns nothing of Waakvlam's:
// which channel belongs to which client, what a post means, and whether to
// forward it live in the caller.
//
// It logs ids only (post, channel, user, file ids), never message text, file
// names or user names, and its errors follow the same rule.
package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"
)

// Post is a Mattermost post as the rest of Waakvlam sees it.
type Post struct {
	ID        string
	ChannelID string
	RootID    string // thread root; "" for a post that starts a thread
	UserID    string
	Message   string
	FileIDs   []string
	CreateAt  time.Time
	Props     map[string]any
	// Type is "" for a normal post; system messages (someone joined or
	// left, header changed, ...) have a "system_" type and are usually
	// skipped by callers.
	Type string
	// PendingID is sent as pending_post_id (CreatePost only): Mattermost
	// answers a second create with the same one, within 30 s of the first,
	// with the post already made instead of a new one. Give the same value
	// for the same logical post (a queue entry id, for example) so that a
	// caller's own retry does not post twice either; empty: CreatePost
	// makes one for its own retries.
	PendingID string
}

// File is an attachment: name, media type and content.
type File struct {
	Name string
	MIME string
	Data []byte
}

// Client talks to one Mattermost server as one user (normally the bot). It is
// safe for concurrent use.
type Client struct {
	baseURL   string
	token     string
	transport http.RoundTripper

	// Logger receives connection events and ids; nil means slog.Default().
	Logger *slog.Logger
	// RequestTimeout bounds each REST call when the context has no earlier
	// deadline; 0 means 2 minutes.
	RequestTimeout time.Duration

	// Reconnect backoff of Listen, and how long a new socket may take to say
	// hello; zero values mean 500 ms, 30 s and 15 s.
	backoffMin, backoffMax, helloTimeout time.Duration
	// createTimeout bounds one create-post request (0: createAttemptTimeout).
	createTimeout time.Duration

	mu       sync.Mutex
	meID     string
	meName   string
	channels map[string]string // DM channel id by other user id
}

// New returns a client for the server at baseURL (for example
// "https://chat.example.org") that authenticates with a personal access
// token or bot token. It does not contact the server.
func New(baseURL, token string) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	return &Client{
		baseURL:   strings.TrimRight(baseURL, "/"),
		token:     token,
		transport: tr,
		channels:  map[string]string{},
	}
}

func (c *Client) log() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// ctxTransport gives every request of one call the call's context, because
// the v6 model.Client4 methods take none.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// api returns a model.Client4 bound to ctx. Call the returned cancel when
// the call's response body has been read.
func (c *Client) api(ctx context.Context) (*model.Client4, context.CancelFunc) {
	timeout := c.RequestTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	api := model.NewAPIv4Client(c.baseURL)
	api.SetToken(c.token)
	api.HTTPClient = &http.Client{Transport: ctxTransport{ctx: ctx, base: c.transport}}
	return api, cancel
}

// Me returns the id and username of the authenticated user (the bot).
func (c *Client) Me(ctx context.Context) (userID, username string, err error) {
	api, cancel := c.api(ctx)
	defer cancel()
	u, resp, err := api.GetMe("")
	if err != nil {
		return "", "", wrap("get me", resp, err)
	}
	c.mu.Lock()
	c.meID, c.meName = u.Id, u.Username
	c.mu.Unlock()
	return u.Id, u.Username, nil
}

// myID returns the bot's user id, asking the server once.
func (c *Client) myID(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.meID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	id, _, err := c.Me(ctx)
	return id, err
}

// TeamID returns the id of the team with the given name (the URL name, not
// the display name).
func (c *Client) TeamID(ctx context.Context, teamName string) (string, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	t, resp, err := api.GetTeamByName(teamName, "")
	if err != nil {
		return "", wrap("get team by name", resp, err)
	}
	return t.Id, nil
}

// UserID returns the id of the user with the given username.
func (c *Client) UserID(ctx context.Context, username string) (string, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	u, resp, err := api.GetUserByUsername(strings.TrimPrefix(username, "@"), "")
	if err != nil {
		return "", wrap("get user by username", resp, err)
	}
	return u.Id, nil
}

// EnsurePrivateChannel creates the private channel name in the team, or finds
// it when it exists (restoring it when archived), and makes sure memberIDs
// are members. The bot is a member as its creator. Safe to call repeatedly
// and from several replicas at once. name must be a valid Mattermost channel
// name (lowercase letters, digits, '-' and '_', 2 to 64 characters).
func (c *Client) EnsurePrivateChannel(ctx context.Context, teamID, name, displayName string, memberIDs []string) (string, error) {
	id, err := c.ensureChannel(ctx, teamID, name, displayName)
	if err != nil {
		return "", err
	}
	if err := c.AddMembers(ctx, id, memberIDs); err != nil {
		return id, err
	}
	return id, nil
}

func (c *Client) ensureChannel(ctx context.Context, teamID, name, displayName string) (string, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	for attempt := 0; ; attempt++ {
		ch, resp, err := api.GetChannelByNameIncludeDeleted(name, teamID, "")
		if err == nil {
			if ch.DeleteAt != 0 {
				if _, resp, err := api.RestoreChannel(ch.Id); err != nil {
					return "", wrap("restore channel", resp, err)
				}
				c.log().Info("mattermost: channel restored", "channel_id", ch.Id)
			}
			return ch.Id, nil
		}
		if resp == nil || resp.StatusCode != http.StatusNotFound {
			return "", wrap("get channel by name", resp, err)
		}
		ch, resp, err = api.CreateChannel(&model.Channel{
			TeamId:      teamID,
			Name:        name,
			DisplayName: displayName,
			Type:        model.ChannelTypePrivate,
		})
		if err == nil {
			c.log().Info("mattermost: channel created", "channel_id", ch.Id, "team_id", teamID)
			return ch.Id, nil
		}
		// Another replica may have created it between our get and create.
		if attempt == 0 && resp != nil && resp.StatusCode == http.StatusBadRequest {
			continue
		}
		return "", wrap("create channel", resp, err)
	}
}

// AddMembers makes sure the users are members of the channel; existing
// members are left alone, so no "joined" system post is repeated.
func (c *Client) AddMembers(ctx context.Context, channelID string, userIDs []string) error {
	if len(userIDs) == 0 {
		return nil
	}
	api, cancel := c.api(ctx)
	defer cancel()
	members, resp, err := api.GetChannelMembersByIds(channelID, userIDs)
	if err != nil {
		return wrap("get channel members", resp, err)
	}
	have := make(map[string]bool, len(members))
	for _, m := range members {
		have[m.UserId] = true
	}
	for _, id := range userIDs {
		if have[id] {
			continue
		}
		if _, resp, err := api.AddChannelMember(channelID, id); err != nil {
			return wrap("add channel member", resp, err)
		}
		have[id] = true
		c.log().Info("mattermost: member added", "channel_id", channelID, "user_id", id)
	}
	return nil
}

// RemoveMember removes the user from the channel. Removing someone who is not
// a member is not an error.
func (c *Client) RemoveMember(ctx context.Context, channelID, userID string) error {
	api, cancel := c.api(ctx)
	defer cancel()
	members, resp, err := api.GetChannelMembersByIds(channelID, []string{userID})
	if err != nil {
		return wrap("get channel members", resp, err)
	}
	if len(members) == 0 {
		return nil
	}
	if resp, err := api.RemoveUserFromChannel(channelID, userID); err != nil {
		return wrap("remove channel member", resp, err)
	}
	c.log().Info("mattermost: member removed", "channel_id", channelID, "user_id", userID)
	return nil
}

// CreatePost uploads the files to p.ChannelID, then creates the post with
// their ids. Set p.RootID to reply in a thread. ID, UserID and CreateAt of p
// are ignored; the created post is returned. A file that is too large gives
// an error matching ErrFileTooLarge.
func (c *Client) CreatePost(ctx context.Context, p Post, files []File) (Post, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	mp := &model.Post{
		ChannelId: p.ChannelID,
		RootId:    p.RootID,
		Message:   p.Message,
		FileIds:   append(model.StringArray(nil), p.FileIDs...),
	}
	if len(p.Props) > 0 {
		mp.SetProps(copyProps(p.Props))
	}
	for i, f := range files {
		up, resp, err := api.UploadFile(f.Data, p.ChannelID, uploadName(f, i))
		if err != nil {
			return Post{}, wrap("upload file", resp, err)
		}
		for _, info := range up.FileInfos {
			mp.FileIds = append(mp.FileIds, info.Id)
		}
	}
	mp.PendingPostId = p.PendingID
	if mp.PendingPostId == "" {
		mp.PendingPostId = model.NewId()
	}
	created, err := c.createPost(ctx, mp)
	if err != nil {
		return Post{}, err
	}
	c.log().Debug("mattermost: post created", "post_id", created.Id, "channel_id", created.ChannelId, "files", len(created.FileIds))
	return fromModel(created), nil
}

// Mattermost (6.7.2, app.deduplicateCreatePost) remembers a pending_post_id
// for 30 s after the create that carried it, in the memory of the node that
// took it: a second create with it gets the first post back, or a 500
// (api.post.deduplicate_create_post.pending) while the first is still being
// saved. So a create whose answer was lost (timeout, 5xx, dropped
// connection) is sent again with the same id, each try bounded by
// createAttemptTimeout, for as long as the first try is less than
// createRetryWindow old: within that window a retry never posts twice.
// After it, the error goes back to the caller (its own retry is safe within
// 30 s of the first try too when it sets Post.PendingID).
const (
	createAttemptTimeout = 8 * time.Second
	createRetryWindow    = 22 * time.Second
)

func (c *Client) createPost(ctx context.Context, mp *model.Post) (*model.Post, error) {
	timeout := c.createTimeout
	if timeout <= 0 {
		timeout = createAttemptTimeout
	}
	first := time.Now()
	wait := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, timeout)
		api, cancelAPI := c.api(actx)
		created, resp, err := api.CreatePost(mp)
		cancelAPI()
		cancel()
		if err == nil {
			if attempt > 1 {
				c.log().Info("mattermost: post created on a retry", "post_id", created.Id, "attempt", attempt)
			}
			return created, nil
		}
		err = wrap("create post", resp, err)
		if ctx.Err() != nil || !IsUnavailable(err) || time.Since(first)+wait > createRetryWindow {
			return nil, err
		}
		c.log().Warn("mattermost: create post failed; retrying with the same pending_post_id", "attempt", attempt, "err", err)
		t := time.NewTimer(jitter(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// uploadName gives a file a name with an extension, so that Mattermost (which
// goes by the extension) shows images and plays audio inline.
func uploadName(f File, i int) string {
	name := path.Base(strings.ReplaceAll(f.Name, "\\", "/"))
	if name == "." || name == "/" || name == "" {
		name = fmt.Sprintf("file-%d", i+1)
	}
	if path.Ext(name) == "" && f.MIME != "" {
		if ext := extensionFor(f.MIME); ext != "" {
			name += ext
		}
	}
	return name
}

func extensionFor(mimeType string) string {
	mt, _, err := mime.ParseMediaType(mimeType)
	if err != nil {
		return ""
	}
	switch mt {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	case "audio/ogg":
		return ".ogg"
	case "audio/mpeg":
		return ".mp3"
	case "video/mp4":
		return ".mp4"
	case "application/pdf":
		return ".pdf"
	case "text/plain":
		return ".txt"
	}
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ""
}

// AddReaction adds the emoji (name without colons, e.g. "white_check_mark")
// to the post as the bot. Adding the same reaction twice is not an error.
func (c *Client) AddReaction(ctx context.Context, postID, emojiName string) error {
	me, err := c.myID(ctx)
	if err != nil {
		return err
	}
	api, cancel := c.api(ctx)
	defer cancel()
	_, resp, err := api.SaveReaction(&model.Reaction{
		UserId:    me,
		PostId:    postID,
		EmojiName: strings.Trim(emojiName, ":"),
	})
	return wrap("add reaction", resp, err)
}

// RemoveReaction takes the authenticated user's emoji off the post.
func (c *Client) RemoveReaction(ctx context.Context, postID, emojiName string) error {
	me, err := c.myID(ctx)
	if err != nil {
		return err
	}
	api, cancel := c.api(ctx)
	defer cancel()
	resp, err := api.DeleteReaction(&model.Reaction{UserId: me, PostId: postID, EmojiName: strings.Trim(emojiName, ":")})
	return wrap("remove reaction", resp, err)
}

// ReactionCount counts the reactions with one emoji on a post.
func (c *Client) ReactionCount(ctx context.Context, postID, emojiName string) (int, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	rs, resp, err := api.GetReactions(postID)
	if err != nil {
		return 0, wrap("get reactions", resp, err)
	}
	n := 0
	for _, r := range rs {
		if r.EmojiName == strings.Trim(emojiName, ":") {
			n++
		}
	}
	return n, nil
}

// GetFile downloads a file with its name and media type.
func (c *Client) GetFile(ctx context.Context, fileID string) (File, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	info, resp, err := api.GetFileInfo(fileID)
	if err != nil {
		return File{}, wrap("get file info", resp, err)
	}
	data, resp, err := api.GetFile(fileID)
	if err != nil {
		return File{}, wrap("get file", resp, err)
	}
	return File{Name: info.Name, MIME: info.MimeType, Data: data}, nil
}

// GetPost returns one post (with its props) by id.
func (c *Client) GetPost(ctx context.Context, postID string) (Post, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	mp, resp, err := api.GetPost(postID, "")
	if err != nil {
		return Post{}, wrap("get post", resp, err)
	}
	return fromModel(mp), nil
}

// postsPerPage is the page size of PostsAfter (Mattermost allows up to 200).
var postsPerPage = 200

// PostsAfter returns the channel's posts (thread replies included, deleted
// posts not) created at or after afterCreateAt, oldest first. The bound is
// inclusive so that posts sharing the millisecond of the last one seen are not
// lost; callers dedupe on Post.ID. Use it to catch up after a WebSocket drop.
func (c *Client) PostsAfter(ctx context.Context, channelID string, afterCreateAt time.Time) ([]Post, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	after := afterCreateAt.UnixMilli()
	seen := map[string]bool{}
	var out []Post
	// Pages run newest first; new posts arriving meanwhile only push older
	// ones to later pages, so a post may show up twice (deduped) but is never
	// skipped.
	for page := 0; ; page++ {
		list, resp, err := api.GetPostsForChannel(channelID, page, postsPerPage, "", false)
		if err != nil {
			return nil, wrap("get channel posts", resp, err)
		}
		older := false
		for _, id := range list.Order {
			mp := list.Posts[id]
			if mp == nil {
				continue
			}
			if mp.CreateAt < after {
				older = true
				continue
			}
			if !seen[mp.Id] {
				seen[mp.Id] = true
				out = append(out, fromModel(mp))
			}
		}
		if older || len(list.Order) < postsPerPage {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, &Error{Op: "get channel posts", Err: err}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreateAt.Equal(out[j].CreateAt) {
			return out[i].CreateAt.Before(out[j].CreateAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// SendEphemeral shows p (ChannelID and Message) to one user only; it is not
// stored. Mattermost allows this to system admins by default (permission
// create_post_ephemeral); without it the error is a 403 (refused).
func (c *Client) SendEphemeral(ctx context.Context, userID string, p Post) error {
	api, cancel := c.api(ctx)
	defer cancel()
	mp := &model.Post{ChannelId: p.ChannelID, RootId: p.RootID, Message: p.Message}
	if len(p.Props) > 0 {
		mp.SetProps(copyProps(p.Props))
	}
	_, resp, err := api.CreatePostEphemeral(&model.PostEphemeral{UserID: userID, Post: mp})
	return wrap("create ephemeral post", resp, err)
}

// RegisterSlashCommand makes sure the team has a custom slash command with
// this trigger (with or without the leading '/') that POSTs to url; an
// existing one with the same trigger is updated when it differs. Needs the
// manage_slash_commands permission (team or system admin by default).
func (c *Client) RegisterSlashCommand(ctx context.Context, teamID, trigger, url, autocompleteHint, autocompleteDesc string) error {
	_, err := c.registerSlashCommand(ctx, teamID, trigger, url, autocompleteHint, autocompleteDesc)
	return err
}

// SlashCommandToken returns the token Mattermost sends with every request of
// the team's slash command with this trigger, so the receiving handler can
// check that a request really comes from Mattermost.
func (c *Client) SlashCommandToken(ctx context.Context, teamID, trigger string) (string, error) {
	cmd, err := c.findCommand(ctx, teamID, trigger)
	if err != nil {
		return "", err
	}
	if cmd == nil {
		return "", &Error{Op: "find slash command", Status: http.StatusNotFound, Err: errors.New("no such command")}
	}
	return cmd.Token, nil
}

func (c *Client) findCommand(ctx context.Context, teamID, trigger string) (*model.Command, error) {
	api, cancel := c.api(ctx)
	defer cancel()
	trigger = strings.ToLower(strings.TrimPrefix(trigger, "/"))
	cmds, resp, err := api.ListCommands(teamID, true)
	if err != nil {
		return nil, wrap("list commands", resp, err)
	}
	for _, cmd := range cmds {
		if cmd.Trigger == trigger && cmd.DeleteAt == 0 {
			return cmd, nil
		}
	}
	return nil, nil
}

func (c *Client) registerSlashCommand(ctx context.Context, teamID, trigger, url, hint, desc string) (*model.Command, error) {
	existing, err := c.findCommand(ctx, teamID, trigger)
	if err != nil {
		return nil, err
	}
	api, cancel := c.api(ctx)
	defer cancel()
	want := model.Command{
		TeamId:           teamID,
		Trigger:          strings.ToLower(strings.TrimPrefix(trigger, "/")),
		Method:           model.CommandMethodPost,
		URL:              url,
		AutoComplete:     true,
		AutoCompleteHint: hint,
		AutoCompleteDesc: desc,
		DisplayName:      strings.ToLower(strings.TrimPrefix(trigger, "/")),
	}
	if existing == nil {
		cmd, resp, err := api.CreateCommand(&want)
		if err != nil {
			return nil, wrap("create command", resp, err)
		}
		c.log().Info("mattermost: slash command created", "command_id", cmd.Id, "team_id", teamID)
		return cmd, nil
	}
	if existing.URL == want.URL && existing.Method == want.Method && existing.AutoComplete &&
		existing.AutoCompleteHint == want.AutoCompleteHint && existing.AutoCompleteDesc == want.AutoCompleteDesc {
		return existing, nil
	}
	upd := *existing
	upd.URL, upd.Method, upd.AutoComplete = want.URL, want.Method, true
	upd.AutoCompleteHint, upd.AutoCompleteDesc = want.AutoCompleteHint, want.AutoCompleteDesc
	cmd, resp, err := api.UpdateCommand(&upd)
	if err != nil {
		return nil, wrap("update command", resp, err)
	}
	c.log().Info("mattermost: slash command updated", "command_id", cmd.Id, "team_id", teamID)
	return cmd, nil
}

// DirectChannel returns the id of the direct-message channel between the bot
// and the other user, creating it when needed.
func (c *Client) DirectChannel(ctx context.Context, otherUserID string) (string, error) {
	c.mu.Lock()
	id := c.channels[otherUserID]
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	me, err := c.myID(ctx)
	if err != nil {
		return "", err
	}
	api, cancel := c.api(ctx)
	defer cancel()
	ch, resp, err := api.CreateDirectChannel(me, otherUserID)
	if err != nil {
		return "", wrap("create direct channel", resp, err)
	}
	c.mu.Lock()
	c.channels[otherUserID] = ch.Id
	c.mu.Unlock()
	return ch.Id, nil
}

func fromModel(mp *model.Post) Post {
	p := Post{
		ID:        mp.Id,
		ChannelID: mp.ChannelId,
		RootID:    mp.RootId,
		UserID:    mp.UserId,
		Message:   mp.Message,
		CreateAt:  time.UnixMilli(mp.CreateAt),
		Type:      mp.Type,
	}
	if len(mp.FileIds) > 0 {
		p.FileIDs = append([]string(nil), mp.FileIds...)
	}
	if props := mp.GetProps(); len(props) > 0 {
		p.Props = copyProps(props)
	}
	return p
}

func copyProps(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// decodePostedEvent returns the post in a "posted" WebSocket event.
func decodePostedEvent(data map[string]any) (Post, error) {
	raw, ok := data["post"].(string)
	if !ok {
		return Post{}, errors.New("posted event without post")
	}
	var mp model.Post
	if err := json.Unmarshal([]byte(raw), &mp); err != nil {
		return Post{}, fmt.Errorf("decode posted event: %w", err)
	}
	if mp.Id == "" {
		return Post{}, errors.New("posted event without post id")
	}
	return fromModel(&mp), nil
}

// jitter returns a random duration in [d/2, d].
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}
