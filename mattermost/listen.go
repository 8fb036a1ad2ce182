package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mattermost/mattermost-server/v6/model"
)

// Listen streams "posted" events: new posts in every channel the bot is a
// member of, direct messages to the bot and the bot's own posts included
// (compare Post.UserID with Me to skip those). onPost is called for each, in
// order, from Listen's goroutine; onConnect (may be nil) after every
// (re)connect, once the server has accepted the socket, so that the caller
// can catch up with PostsAfter on what was posted while no socket was open.
// Delivery is at least once: a post can come both from the stream and from
// a catch-up, so callers dedupe on Post.ID. Keep onPost and onConnect short
// or hand work to another goroutine: while they run, events wait.
//
// When the socket drops or cannot be opened, Listen reconnects with
// exponential backoff and jitter (0.5 s doubling to 30 s, back to 0.5 s after
// a successful connect). It returns ctx.Err() when ctx ends, or an error at
// once when the server refuses the token (see IsUnavailable).
func (c *Client) Listen(ctx context.Context, onPost func(Post), onConnect func()) error {
	return c.ListenEvents(ctx, Handlers{Post: onPost, Connect: onConnect})
}

// Handlers are the callbacks of ListenEvents; nil ones are skipped.
type Handlers struct {
	Post     func(Post)     // "posted"
	Reaction func(Reaction) // "reaction_added" and "reaction_removed"
	Connect  func()         // after every (re)connect
	// MemberAdded: "user_added", someone joined or was added to a channel
	// the bot is a member of. Additions while no socket was open are not
	// caught up (compare Members after Connect).
	MemberAdded func(channelID, userID string)
}

// Reaction is an emoji added to or removed from a post in a channel the
// bot is a member of (the bot's own reactions included: compare UserID with
// Me to skip those).
type Reaction struct {
	PostID    string
	ChannelID string
	UserID    string
	EmojiName string    // without colons, e.g. "+1", "triangular_flag_on_post"
	CreateAt  time.Time // when it was added; zero for a removal
	Removed   bool
}

// ListenEvents is Listen with reactions as well: the same stream, backoff
// and at-least-once delivery. Reactions given while no socket was open are
// not caught up.
func (c *Client) ListenEvents(ctx context.Context, h Handlers) error {
	minB, maxB := c.backoffMin, c.backoffMax
	if minB <= 0 {
		minB = 500 * time.Millisecond
	}
	if maxB <= 0 {
		maxB = 30 * time.Second
	}
	backoff := minB
	for {
		connected, err := c.listenOnce(ctx, h)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !IsUnavailable(err) {
			c.log().Error("mattermost: websocket refused; not reconnecting", "err", err)
			return err
		}
		if connected {
			backoff = minB
		}
		wait := jitter(backoff)
		c.log().Warn("mattermost: websocket down; reconnecting", "err", err, "in", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, maxB)
	}
}

// listenOnce runs one WebSocket connection until it fails or ctx ends.
// connected tells whether the server said hello on it.
func (c *Client) listenOnce(ctx context.Context, h Handlers) (connected bool, err error) {
	// A REST call first: it tells a refused token (stop) from an unreachable
	// server (retry), which the WebSocket handshake cannot.
	meID, _, err := c.Me(ctx)
	if err != nil {
		return false, err
	}
	dialer := &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 15 * time.Second,
		NetDialContext: func(_ context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	ws, err := model.NewWebSocketClient4WithDialer(dialer, wsURL(c.baseURL), c.token)
	if err != nil {
		return false, &Error{Op: "open websocket", Err: err}
	}
	ws.Listen()
	events, responses := ws.EventChannel, ws.ResponseChannel
	// The loop below sets events and responses to nil once they are closed;
	// draining those would block for ever (a goroutine leaked per
	// reconnect), so the drain ranges over the channels themselves.
	allEvents, allResponses := ws.EventChannel, ws.ResponseChannel
	defer func() {
		ws.Close()
		// The reader goroutine closes both channels when it ends; drain them
		// so that it never blocks on a full channel. Both drains end when it
		// does.
		go func() {
			for range allEvents {
			}
		}()
		go func() {
			for range allResponses {
			}
		}()
	}()

	helloTimeout := c.helloTimeout
	if helloTimeout <= 0 {
		helloTimeout = 15 * time.Second
	}
	hello := time.NewTimer(helloTimeout)
	defer hello.Stop()
	for {
		select {
		case <-ctx.Done():
			return connected, ctx.Err()
		case <-hello.C:
			return false, &Error{Op: "websocket hello", Err: errors.New("no hello from server in time")}
		case <-ws.PingTimeoutChannel:
			return connected, &Error{Op: "websocket", Err: errors.New("no ping from server in time")}
		case r, ok := <-responses:
			if !ok {
				responses = nil
				continue
			}
			if r.Status != model.StatusOk && r.Error != nil {
				c.log().Warn("mattermost: websocket request failed", "seq", r.SeqReply, "error_id", r.Error.Id)
			}
		case ev, ok := <-events:
			if !ok {
				events = nil
				var cause error = errors.New("socket closed")
				if ws.ListenError != nil {
					cause = ws.ListenError
				}
				return connected, &Error{Op: "read websocket", Err: cause}
			}
			switch ev.EventType() {
			case model.WebsocketEventHello:
				if connected {
					continue
				}
				connected = true
				hello.Stop()
				c.log().Info("mattermost: websocket connected", "user_id", meID)
				if h.Connect != nil {
					h.Connect()
				}
			case model.WebsocketEventPosted:
				p, err := decodePostedEvent(ev.GetData())
				if err != nil {
					c.log().Warn("mattermost: bad posted event", "err", err)
					continue
				}
				if h.Post != nil {
					h.Post(p)
				}
			case model.WebsocketEventUserAdded:
				if h.MemberAdded == nil {
					continue
				}
				user, _ := ev.GetData()["user_id"].(string)
				var channel string
				if b := ev.GetBroadcast(); b != nil {
					channel = b.ChannelId
				}
				if user != "" && channel != "" {
					h.MemberAdded(channel, user)
				}
			case model.WebsocketEventReactionAdded, model.WebsocketEventReactionRemoved:
				if h.Reaction == nil {
					continue
				}
				r, err := decodeReactionEvent(ev)
				if err != nil {
					c.log().Warn("mattermost: bad reaction event", "err", err)
					continue
				}
				h.Reaction(r)
			}
		}
	}
}

// decodeReactionEvent returns the reaction in a "reaction_added" or
// "reaction_removed" WebSocket event.
func decodeReactionEvent(ev *model.WebSocketEvent) (Reaction, error) {
	raw, ok := ev.GetData()["reaction"].(string)
	if !ok {
		return Reaction{}, errors.New("reaction event without reaction")
	}
	var mr model.Reaction
	if err := json.Unmarshal([]byte(raw), &mr); err != nil {
		return Reaction{}, fmt.Errorf("decode reaction event: %w", err)
	}
	if mr.PostId == "" || mr.UserId == "" || mr.EmojiName == "" {
		return Reaction{}, errors.New("reaction event without post, user or emoji")
	}
	r := Reaction{PostID: mr.PostId, UserID: mr.UserId, EmojiName: mr.EmojiName,
		Removed: ev.EventType() == model.WebsocketEventReactionRemoved}
	if b := ev.GetBroadcast(); b != nil {
		r.ChannelID = b.ChannelId
	}
	if mr.CreateAt > 0 && !r.Removed {
		r.CreateAt = time.UnixMilli(mr.CreateAt)
	}
	return r, nil
}

// wsURL turns http(s)://host/path into ws(s)://host/path.
func wsURL(base string) string {
	switch {
	case strings.HasPrefix(base, "https://"):
		return "wss://" + strings.TrimPrefix(base, "https://")
	case strings.HasPrefix(base, "http://"):
		return "ws://" + strings.TrimPrefix(base, "http://")
	}
	return base
}
