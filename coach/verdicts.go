package coach

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/mattermost"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/store"
)

// The coach's verdict teaches the recogniser. On a post with a client's
// words the coach reacts (or answers in the thread):
//
//	flagged post (urgent, high, let op):  👍 / terecht     right
//	                                      👎 / onterecht   wrong: nothing to worry about
//	                                      🚩 / zorgelijk   right, or "under" on a "let op" post
//	unflagged post:                       🚩 / zorgelijk   missed: a miss found by a coach
//
// "zorgelijk" may name how bad and what: `zorgelijk urgent geweld`.
// Verdict words and reactions never go to the client. Only the client's
// coach, backup coach and project leaders count. The verdict, with the
// client's words (sealed by the store's codec) and what the recogniser
// said, is kept for the verdict retention and exported by
// `waakvlam signals export-verdicts` as training examples.
//
// The client's words and the classification travel with the bot's post as
// props, so nothing is kept in Redis for posts nobody judges.
const (
	propSeverity = "wv_severity" // what the recogniser said: none, attention, high, urgent
	propCategory = "wv_category" // "" for none
	propText     = "wv_text"     // the client's words, unchanged
)

// Reactions a coach gives as a verdict, by Mattermost emoji name.
var verdictEmoji = map[string]string{
	"+1": actRight, "thumbsup": actRight,
	"-1": actWrong, "thumbsdown": actWrong,
	"triangular_flag_on_post": actWorrying, "warning": actWorrying,
}

// What the coach says: before it is matched with what the recogniser said.
const (
	actRight    = "right"
	actWrong    = "wrong"
	actWorrying = "worrying"
)

var verdictWords = map[string]string{"terecht": actRight, "onterecht": actWrong, "zorgelijk": actWorrying}

// labelWords name a category or a severity after "zorgelijk".
var labelWords = map[string]string{
	"zelfmoord": "suicide", "suïcide": "suicide", "suicide": "suicide",
	"zelfbeschadiging": "selfharm", "selfharm": "selfharm",
	"gevaar": "danger", "danger": "danger",
	"geweld": "violence", "violence": "violence",
	"misbruik": "exploitation", "uitbuiting": "exploitation", "exploitation": "exploitation",
	"wonen": "housing", "housing": "housing",
	"geld": "money", "money": "money",
	"politie": "police", "police": "police",
	"gezondheid": "health", "health": "health",
	"stemming": "mood", "mood": "mood",
}

var severityRank = map[string]int{"none": 0, "attention": 1, "high": 2, "urgent": 3}

// verdictCmd is a verdict typed in a client's channel.
type verdictCmd struct {
	act      string
	severity string // "" or urgent/high (only after zorgelijk)
	category string // "" or a category (only after zorgelijk)
}

// parseVerdict reads "terecht", "onterecht" or "zorgelijk [urgent|hoog]
// [categorie]". Anything else is a message for the client.
func parseVerdict(msg string) (verdictCmd, bool) {
	m := strings.ToLower(strings.Trim(strings.TrimSpace(msg), "/!. "))
	f := strings.Fields(m)
	if len(f) == 0 {
		return verdictCmd{}, false
	}
	v := verdictCmd{act: verdictWords[f[0]]}
	if v.act == "" || (v.act != actWorrying && len(f) > 1) || len(f) > 3 {
		return verdictCmd{}, false
	}
	for _, w := range f[1:] {
		w = strings.Trim(w, ",.!")
		switch {
		case (w == "urgent" || w == "hoog") && v.severity == "":
			v.severity = map[string]string{"urgent": "urgent", "hoog": "high"}[w]
		case labelWords[w] != "" && v.category == "":
			v.category = labelWords[w]
		default:
			return verdictCmd{}, false
		}
	}
	return v, true
}

func isVerdictWord(msg string) bool {
	_, ok := parseVerdict(msg)
	return ok
}

// verdictProps marks a post with the client's words so that a coach can
// judge it; posts without words (a photo, a button press) get none.
func verdictProps(p mattermost.Post, cp pipeline.CoachPost) mattermost.Post {
	if cp.Text == "" {
		return p
	}
	switch cp.Kind {
	case dialogs.CoachMessage, dialogs.CoachQuestion, dialogs.CoachSignal, dialogs.CoachMedia, dialogs.CoachLetter:
	default:
		return p
	}
	sev := cp.Severity
	if severityRank[sev] == 0 {
		sev = "none"
	}
	props := map[string]any{}
	for k, v := range p.Props {
		props[k] = v
	}
	props[propSeverity], props[propCategory], props[propText] = sev, cp.Category, cp.Text
	p.Props = props
	return p
}

// judged is a verdict matched with what the recogniser said.
type judged struct {
	kind, severity, category string
}

// judge turns what the coach said about a post into a verdict kind and the
// label for training. ok is false when it does not apply (👍 on a post
// the recogniser did not flag).
//
// "Worrying" on an unflagged post is labelled high unless the coach says
// urgent: the coach says it worries them, not how much; high is the level
// at which the coach is told at once, so training on it buys recall
// without claiming a crisis nobody saw. On a "let op" post it raises the
// label to high (kind "under"); on a high or urgent post it agrees.
func judge(sev, cat string, v verdictCmd) (judged, bool) {
	flagged := severityRank[sev] > 0
	switch {
	case v.act == actRight && flagged:
		return judged{store.VerdictRight, sev, cat}, true
	case v.act == actWrong && flagged:
		return judged{store.VerdictWrong, "none", ""}, true
	case v.act != actWorrying:
		return judged{}, false
	}
	label := "high"
	if severityRank[v.severity] > severityRank[label] {
		label = v.severity
	}
	if !flagged {
		return judged{store.VerdictMissed, label, v.category}, true
	}
	if v.category != "" {
		cat = v.category
	}
	if severityRank[label] > severityRank[sev] {
		return judged{store.VerdictUnder, label, cat}, true
	}
	return judged{store.VerdictRight, sev, cat}, true
}

// clientPost reads the classification and words from a bot post; ok is
// false for any other post.
func (b *Bridge) clientPost(ctx context.Context, postID string) (sev, cat, text string, ok bool, err error) {
	p, err := b.mm.GetPost(ctx, postID)
	if err != nil {
		return "", "", "", false, err
	}
	botID, _ := b.ids()
	sev, _ = p.Props[propSeverity].(string)
	cat, _ = p.Props[propCategory].(string)
	text, _ = p.Props[propText].(string)
	if p.UserID != botID || (severityRank[sev] == 0 && sev != "none") || text == "" {
		return "", "", "", false, nil
	}
	return sev, cat, text, true, nil
}

// mayJudge tells whether the Mattermost user may give a verdict on the
// client's posts: the coach, the backup coach and project leaders.
func (b *Bridge) mayJudge(ctx context.Context, userID, clientID string) (username string, c store.Client, ok bool) {
	b.mu.Lock()
	username = b.users[userID]
	b.mu.Unlock()
	if username == "" {
		return "", c, false
	}
	c, found, err := b.st.LoadClient(ctx, clientID)
	if err != nil || !found {
		return username, c, false
	}
	return username, c, b.staff.CanManage(username, c.CoachUser, c.BackupUser)
}

const verdictHelp = "Zo geef je je oordeel over een bericht van een cliënt: zet 👍 (terecht) of 👎 (onterecht) op een zorgsignaal, " +
	"of 🚩 op een bericht dat je zorgen geeft. Of antwoord in de draad van het bericht met `terecht`, `onterecht` of `zorgelijk`."

// verdictInChannel handles a verdict word typed in a client's channel. It
// never goes to the client; the coach gets a private answer.
func (b *Bridge) verdictInChannel(ctx context.Context, clientID string, p mattermost.Post, v verdictCmd) {
	if first, err := b.st.Claim(ctx, "mm:"+p.ID, 48*time.Hour); err != nil || !first {
		return
	}
	defer func() { _ = b.st.AdvanceCoachCursor(ctx, clientID, p.CreateAt) }()
	reply := func(msg string) {
		if err := b.mm.SendEphemeral(ctx, p.UserID, mattermost.Post{ChannelID: p.ChannelID, RootID: p.RootID, Message: msg}); err != nil {
			b.log.Warn("answer verdict", "post", p.ID, "err", err)
		}
	}
	const notSent = " Dit bericht is niet naar de cliënt gestuurd."
	username, _, ok := b.mayJudge(ctx, p.UserID, clientID)
	ctx = as(ctx, username, p.UserID, accesslog.SourceChannel)
	if !ok {
		b.access(ctx, clientID, "verdict.record", accesslog.Create, accesslog.Denied)
		reply("Sorry, alleen de coach, de back-up coach en projectleiders kunnen een bericht van deze cliënt beoordelen." + notSent)
		return
	}
	if p.RootID == "" {
		reply("🤔 Over welk bericht gaat het? Antwoord in de draad van het bericht van de cliënt." + notSent + "\n" + verdictHelp)
		return
	}
	sev, cat, text, isClient, err := b.clientPost(ctx, p.RootID)
	switch {
	case err != nil:
		reply("⚠️ Dat lukte niet. Probeer het zo nog eens." + notSent)
		return
	case !isClient:
		reply("🤔 Je kunt alleen een bericht met woorden van de cliënt beoordelen." + notSent + "\n" + verdictHelp)
		return
	}
	j, ok := judge(sev, cat, v)
	if !ok {
		reply("🤔 De bot zag hier geen zorgsignaal, dus er is niets om goed of fout te rekenen. Geeft het je zorgen? Typ `zorgelijk` of zet er 🚩 op." + notSent)
		return
	}
	reply(b.recordVerdict(ctx, clientID, p.RootID, username, "word", p.UserID, sev, cat, text, j) + notSent)
}

// onReaction handles an emoji on a post in a client's channel: a verdict
// (👍 👎 🚩) given or taken back. Other emoji are the coaches' own.
func (b *Bridge) onReaction(ctx context.Context, r mattermost.Reaction) {
	botID, _ := b.ids()
	act := verdictEmoji[r.EmojiName]
	if r.UserID == botID || act == "" || r.ChannelID == "" {
		return
	}
	clientID, err := b.st.ClientOfChannel(ctx, r.ChannelID)
	if err != nil || clientID == "" {
		return
	}
	username, _, ok := b.mayJudge(ctx, r.UserID, clientID)
	ctx = as(ctx, username, r.UserID, accesslog.SourceChannel)
	if !ok {
		b.access(ctx, clientID, "verdict.record", accesslog.Create, accesslog.Denied)
		return // a reaction is no command: nobody else is told
	}
	if r.Removed {
		// Idempotent: of all replicas only one finds the verdict to drop.
		done, err := b.st.WithdrawVerdict(ctx, clientID, r.PostID, username, r.EmojiName, b.Now())
		if err != nil {
			b.log.Warn("withdraw verdict", "post", r.PostID, "err", err)
			return
		}
		if done {
			b.access(ctx, clientID, "verdict.withdraw", accesslog.Delete, accesslog.OK)
			b.log.Info("coach verdict withdrawn", "client", clientID, "post", r.PostID, "user_id", r.UserID)
			b.tell(ctx, r.UserID, r.ChannelID, "↩️ Je oordeel over dit bericht is weggehaald.")
		}
		return
	}
	// Every replica sees the reaction; one handles it. A reaction taken
	// off and given again has a new create time, so it counts again.
	claim := "mmr:" + r.PostID + ":" + r.UserID + ":" + r.EmojiName + ":" + strconv.FormatInt(r.CreateAt.UnixMilli(), 10)
	if first, err := b.st.Claim(ctx, claim, 48*time.Hour); err != nil || !first {
		return
	}
	sev, cat, text, isClient, err := b.clientPost(ctx, r.PostID)
	if err != nil {
		b.log.Warn("read judged post", "post", r.PostID, "err", err)
		return
	}
	if !isClient {
		return
	}
	j, ok := judge(sev, cat, verdictCmd{act: act})
	if !ok {
		return // 👍 on an ordinary message is just a 👍
	}
	b.tell(ctx, r.UserID, r.ChannelID, b.recordVerdict(ctx, clientID, r.PostID, username, r.EmojiName, r.UserID, sev, cat, text, j))
}

func (b *Bridge) tell(ctx context.Context, userID, channelID, msg string) {
	if err := b.mm.SendEphemeral(ctx, userID, mattermost.Post{ChannelID: channelID, Message: msg}); err != nil {
		b.log.Warn("answer verdict", "user_id", userID, "err", err)
	}
}

// recordVerdict stores a verdict, counts it once and returns the answer
// for the coach.
func (b *Bridge) recordVerdict(ctx context.Context, clientID, postID, username, via, userID, sev, cat, text string, j judged) string {
	res, err := b.st.RecordVerdict(ctx, store.Verdict{PostID: postID, ClientID: clientID, Kind: j.kind, By: username, Via: via,
		At: b.Now(), Text: text, Severity: sev, Category: cat, LabelSeverity: j.severity, LabelCategory: j.category})
	b.access(ctx, clientID, "verdict.record", accesslog.Create, outcome(err))
	if err != nil {
		b.log.Warn("record verdict", "post", postID, "err", err)
		return "⚠️ Je oordeel is niet opgeslagen. Probeer het zo nog eens."
	}
	if res == store.VerdictNew || res == store.VerdictChanged {
		if b.Verdicts != nil {
			b.Verdicts.With(j.kind).Inc()
		}
		b.log.Info("coach verdict", "client", clientID, "post", postID, "kind", j.kind, "user_id", userID)
	}
	var what string
	switch j.kind {
	case store.VerdictRight:
		what = "👍 Genoteerd: terecht gemeld."
	case store.VerdictWrong:
		what = "👎 Genoteerd: hier was niets om je zorgen over te maken."
	case store.VerdictUnder:
		what = "🚩 Genoteerd: zorgelijker dan de bot dacht."
	default:
		what = "🚩 Genoteerd: de bot had dit moeten zien."
	}
	if res == store.VerdictSame {
		what = "Dit oordeel stond al genoteerd."
	}
	msg := what + " Dank je, hiermee leert de bot."
	if j.kind == store.VerdictMissed && j.category == "" {
		msg += " Wil je zeggen waar het over gaat? Antwoord in de draad met bijvoorbeeld `zorgelijk geweld` of `zorgelijk urgent zelfmoord`."
	}
	if j.category != "" && (j.kind == store.VerdictMissed || j.kind == store.VerdictUnder) {
		msg += fmt.Sprintf(" (%s, %s)", severityNames[j.severity], categoryNames[j.category])
	}
	return msg
}
