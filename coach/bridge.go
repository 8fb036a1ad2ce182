// Package coach owns the bridge between clients and their coaches in
// Mattermost: each client has a private channel where everything the
// client sends arrives as a post, and where a coach's post goes back to the
// client on Telegram. It also answers the staff commands (/waakvlam or a
// direct message to the bot). Posts for coaches wait in Redis while
// Mattermost is away and go out in order when it returns.
package coach

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/bot"
	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/metrics"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

// NotePrefix starts a coach's internal note: it stays in Mattermost.
const NotePrefix = "//"

// Telegram fetches files clients sent.
type Telegram interface {
	Download(ctx context.Context, fileID string) ([]byte, error)
}

// Replies takes coach posts on to the client's worker.
type Replies interface {
	EnqueueCoachReply(ctx context.Context, in pipeline.CoachInbound) (bool, error)
}

// Config is what the bridge needs to know.
type Config struct {
	Team        string
	BotUsername string // the Telegram bot, for invite links
	InviteTTL   time.Duration
	Location    *time.Location
	CommandURL  string // where Mattermost posts slash commands; "" for none
	// ActionKey signs the "Ik pak het op" buttons. All replicas need the
	// same key (and keep it over restarts); empty: a random key per
	// process (tests).
	ActionKey []byte
}

// Bridge connects Waakvlam with Mattermost.
type Bridge struct {
	mm      *mattermost.Client
	st      *store.Store
	tg      Telegram
	staff   *staff.Directory
	cfg     Config
	log     *slog.Logger
	Replies Replies
	Texts   dialogs.Texts // client texts, for notices to clients
	// Structure serves the reminder, level and settings commands; nil: off.
	Structure *Structure
	// Verdicts counts the coaches' verdicts on client posts by kind
	// (metrics.Waakvlam.Verdicts); nil: not counted.
	Verdicts *metrics.CounterVec
	// Access records each read or change of a client's data; nil: none.
	Access AccessLog
	Now    func() time.Time

	mu        sync.Mutex
	ready     bool
	teamID    string
	botID     string
	cmdToken  string
	users     map[string]string // user id -> staff username
	userIDs   map[string]string // staff username -> user id
	dmChannel map[string]string // channel id -> staff username (direct messages with the bot)
	actionKey []byte            // signs the "Ik pak het op" buttons
	// noModeration: the server cannot restrict channel members (no licence).
	noModeration bool
}

// New returns a bridge; Start connects it.
func New(mm *mattermost.Client, st *store.Store, tg Telegram, dir *staff.Directory, cfg Config, log *slog.Logger) *Bridge {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	key := cfg.ActionKey
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = crand.Read(key)
	}
	return &Bridge{mm: mm, st: st, tg: tg, staff: dir, cfg: cfg, log: log, Now: time.Now,
		users: map[string]string{}, userIDs: map[string]string{}, dmChannel: map[string]string{}, actionKey: key}
}

// Start resolves the team, the bot user and the staff, retrying while
// Mattermost is away, then listens for coach posts until ctx ends.
func (b *Bridge) Start(ctx context.Context) error {
	delay := time.Second
	for {
		err := b.connect(ctx)
		if err == nil {
			break
		}
		if !mattermost.IsUnavailable(err) {
			return fmt.Errorf("mattermost setup: %w", err)
		}
		b.log.Warn("mattermost away, will retry", "err", err)
		if !sleep(ctx, delay) {
			return nil
		}
		delay = min(delay*2, time.Minute)
	}
	// Catch-up runs beside the listener: after every (re)connect, and every
	// minute for posts that could not be taken before.
	wake := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Minute)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				b.auditChannels(ctx) // members added while no socket was open
				b.catchUp(ctx, true)
			case <-tick.C:
				b.catchUp(ctx, false)
			}
		}
	}()
	err := b.mm.ListenEvents(ctx, mattermost.Handlers{
		Post:        func(p mattermost.Post) { b.onPost(ctx, p) },
		Reaction:    func(r mattermost.Reaction) { b.onReaction(ctx, r) },
		MemberAdded: func(ch, user string) { b.onMemberAdded(ctx, ch, user) },
		Connect: func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		},
	})
	<-done
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("mattermost listen: %w", err)
	}
	return nil
}

func (b *Bridge) connect(ctx context.Context) error {
	botID, _, err := b.mm.Me(ctx)
	if err != nil {
		return err
	}
	teamID, err := b.mm.TeamID(ctx, b.cfg.Team)
	if err != nil {
		return err
	}
	users, ids := map[string]string{}, map[string]string{}
	for _, u := range b.staff.Usernames() {
		id, err := b.mm.UserID(ctx, u)
		if err != nil {
			if mattermost.IsUnavailable(err) {
				return err
			}
			b.log.Warn("staff user not in mattermost", "err", err)
			continue
		}
		users[id], ids[u] = u, id
	}
	var token string
	if b.cfg.CommandURL != "" {
		if err := b.mm.RegisterSlashCommand(ctx, teamID, "waakvlam", b.cfg.CommandURL, "client nieuw|lijst|code|overdragen|stop", "Waakvlam: cliënten beheren"); err != nil {
			return err
		}
		if token, err = b.mm.SlashCommandToken(ctx, teamID, "waakvlam"); err != nil {
			return err
		}
	}
	b.mu.Lock()
	b.ready, b.botID, b.teamID, b.users, b.userIDs, b.cmdToken = true, botID, teamID, users, ids, token
	b.mu.Unlock()
	return nil
}

// SetBotUsername sets the Telegram bot's username for invite links, once
// Telegram told it.
func (b *Bridge) SetBotUsername(u string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg.BotUsername = u
}

func (b *Bridge) botUsername() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cfg.BotUsername
}

// Ready reports whether the bridge is connected to Mattermost.
func (b *Bridge) Ready() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ready
}

func (b *Bridge) ids() (botID, teamID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.botID, b.teamID
}

// onPost handles a post the bot can see: a coach's answer in a client's
// channel, or a staff command in a direct message.
func (b *Bridge) onPost(ctx context.Context, p mattermost.Post) {
	botID, _ := b.ids()
	if p.UserID == botID || p.Type != "" {
		return
	}
	clientID, err := b.st.ClientOfChannel(ctx, p.ChannelID)
	if err != nil {
		b.log.Warn("look up channel", "post", p.ID, "err", err)
		return
	}
	if clientID == "" {
		b.maybeCommand(ctx, p)
		return
	}
	if isAckWord(p.Message) {
		if first, err := b.st.Claim(ctx, "mm:"+p.ID, 48*time.Hour); err == nil && first {
			b.ackInChannel(ctx, clientID, p)
		}
		return
	}
	if v, ok := parseVerdict(p.Message); ok {
		b.verdictInChannel(ctx, clientID, p, v)
		return
	}
	if err := b.takeCoachPost(ctx, clientID, p); err != nil {
		b.log.Warn("coach post not taken, catch-up will retry", "post", p.ID, "err", err)
		if err := b.st.HoldCoachCursor(ctx, clientID, p.CreateAt); err != nil {
			b.log.Error("coach post may be missed: cursor not held", "post", p.ID, "err", err)
		}
	}
}

// ackInChannel picks up the client's open alert from a post in the
// client's channel; the post does not go to the client.
func (b *Bridge) ackInChannel(ctx context.Context, clientID string, p mattermost.Post) {
	username := b.usernameOf(ctx, p.UserID)
	ctx = as(ctx, username, p.UserID, accesslog.SourceChannel)
	var reply string
	c, ok, err := b.st.LoadClient(ctx, clientID)
	switch {
	case username == "":
		b.access(ctx, clientID, "alert.pickup", accesslog.Change, accesslog.Denied)
		reply = notResponsible
	case err != nil || !ok:
		reply = "⚠️ Dat lukte niet. Probeer het zo nog eens."
	case c.OpenAlert == "":
		reply = "🤔 Er is geen zorgsignaal van " + c.FirstName + " om op te pakken. Dit bericht is niet naar de cliënt gestuurd."
	default:
		reply = b.ack(ctx, username, c.OpenAlert)
	}
	if err := b.mm.SendEphemeral(ctx, p.UserID, mattermost.Post{ChannelID: p.ChannelID, Message: reply}); err != nil {
		b.log.Warn("answer ack", "post", p.ID, "err", err)
	}
	_ = b.st.AdvanceCoachCursor(ctx, clientID, p.CreateAt)
}

func (b *Bridge) takeCoachPost(ctx context.Context, clientID string, p mattermost.Post) error {
	if !strings.HasPrefix(strings.TrimSpace(p.Message), NotePrefix) && !isAckWord(p.Message) && !isVerdictWord(p.Message) &&
		(strings.TrimSpace(p.Message) != "" || len(p.FileIDs) > 0) {
		if refused, err := b.refusePost(ctx, clientID, p); err != nil || refused {
			if err != nil {
				return err
			}
			return b.st.AdvanceCoachCursor(ctx, clientID, p.CreateAt)
		}
		reply := dialogs.CoachReply{PostID: p.ID, Text: p.Message}
		for _, id := range p.FileIDs {
			reply.Files = append(reply.Files, dialogs.FileRef{Source: "mm", ID: id})
		}
		fresh, err := b.Replies.EnqueueCoachReply(ctx, pipeline.CoachInbound{ClientID: clientID, Reply: reply})
		if err != nil {
			return err
		}
		if fresh {
			b.access(as(ctx, b.usernameOf(ctx, p.UserID), p.UserID, accesslog.SourceChannel), clientID, "coach-post.send", accesslog.Create, accesslog.OK)
			b.hint(ctx, p)
		}
	}
	return b.st.AdvanceCoachCursor(ctx, clientID, p.CreateAt)
}

// catchUp takes the coach posts written while no socket was open, per
// client channel since the last one taken; with all false only the
// channels where a post could not be taken before. Posts seen twice are dropped by
// the intake dedupe on the post id.
func (b *Bridge) catchUp(ctx context.Context, all bool) {
	ids, err := b.st.ClientIDs(ctx)
	if err != nil {
		b.log.Warn("catch up: list clients", "err", err)
		return
	}
	botID, _ := b.ids()
	n := 0
	for _, id := range ids {
		c, ok, err := b.st.LoadClient(ctx, id)
		if err != nil || !ok || c.Channel == "" {
			continue
		}
		since, held, err := b.st.CoachCursor(ctx, id)
		if err != nil || (!all && !held) {
			continue
		}
		if since.IsZero() {
			since = c.Created
		}
		posts, err := b.mm.PostsAfter(ctx, c.Channel, since)
		if err != nil {
			b.log.Warn("catch up channel", "client", id, "err", err)
			continue
		}
		took := true
		for _, p := range posts {
			if p.UserID == botID || p.Type != "" {
				continue
			}
			if isAckWord(p.Message) {
				continue // picked up in the channel: never for the client
			}
			if v, ok := parseVerdict(p.Message); ok {
				b.verdictInChannel(ctx, id, p, v) // once: claimed on the post id
				continue
			}
			if err := b.takeCoachPost(ctx, id, p); err != nil {
				b.log.Warn("catch up post", "post", p.ID, "err", err)
				took = false
				break
			}
			n++
		}
		if held && took {
			_ = b.st.ReleaseCoachCursor(ctx, id)
		}
	}
	if n > 0 {
		b.log.Info("caught up on coach posts", "posts", n)
	}
}

// Fetch gives the pipeline a coach's file just before it goes to the client.
func (b *Bridge) Fetch(ctx context.Context, ref dialogs.FileRef) ([]byte, string, string, error) {
	if ref.Source != "mm" {
		return nil, "", "", &bot.SendError{Err: fmt.Errorf("unknown file source %q", ref.Source), Permanent: true}
	}
	f, err := b.mm.GetFile(ctx, ref.ID)
	if err != nil {
		if mattermost.IsUnavailable(err) {
			return nil, "", "", err
		}
		return nil, "", "", &bot.SendError{Err: err, Permanent: true}
	}
	if len(f.Data) > bot.MaxUpload {
		return nil, "", "", &bot.SendError{Err: bot.ErrTooLarge, Permanent: true}
	}
	return f.Data, f.Name, f.MIME, nil
}

// Loop delivers the coach queue of one partition to Mattermost, in order.
// The pipeline runs it for each partition this replica holds.
func (b *Bridge) Loop(ctx context.Context, part store.Partition) {
	pending := true
	for ctx.Err() == nil {
		if !b.Ready() {
			sleep(ctx, time.Second)
			continue
		}
		posts, err := b.st.ReadCoach(ctx, part, 20, time.Second, pending)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("read coach queue", "partition", int(part), "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if pending && len(posts) == 0 {
			pending = false
			continue
		}
		for _, qp := range posts {
			if !b.deliver(ctx, part, qp) {
				return
			}
		}
	}
}

// deliver posts one queued item, retrying while Mattermost is away; it
// returns false when ctx ended first (the item stays pending).
func (b *Bridge) deliver(ctx context.Context, part store.Partition, qp store.CoachPost) bool {
	var cp pipeline.CoachPost
	if err := json.Unmarshal(qp.Payload, &cp); err != nil {
		b.log.Warn("unreadable coach post dropped", "entry", qp.ID)
		return b.ackQueued(ctx, part, qp.ID)
	}
	backoff := 500 * time.Millisecond
	// The client's post carries a pending_post_id made from the queue entry:
	// a retry of this entry (here, or by another replica after a crash)
	// within Mattermost's 30 s window gets the post already made.
	ctx = withQueueEntry(ctx, part, qp.ID)
	for attempt := 1; ; attempt++ {
		err := b.post(ctx, cp, attempt)
		if err == nil {
			b.access(accesslog.With(ctx, bridgeActor), cp.ClientID, "mattermost.post."+string(cp.Kind), accesslog.Disclose, accesslog.OK)
			return b.ackQueued(ctx, part, qp.ID)
		}
		if ctx.Err() != nil {
			return false
		}
		if !mattermost.IsUnavailable(err) && attempt >= 5 {
			// Mattermost keeps refusing this one: keep the queue moving and
			// leave the id in the log so an operator can look.
			b.log.Error("coach post given up", "entry", qp.ID, "client", cp.ClientID, "err", err)
			return b.ackQueued(ctx, part, qp.ID)
		}
		b.log.Warn("coach post waits for mattermost", "entry", qp.ID, "attempt", attempt, "err", err)
		if !sleep(ctx, backoff/2+rand.N(backoff/2+1)) {
			return false
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

func (b *Bridge) ackQueued(ctx context.Context, part store.Partition, id string) bool {
	if err := b.st.AckCoach(context.WithoutCancel(ctx), part, id); err != nil {
		b.log.Warn("ack coach post", "entry", id, "err", err)
	}
	return true
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

var errNoChannel = errors.New("client has no channel")
