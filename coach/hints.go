package coach

import (
	"context"
	"strings"

	"github.com/waakvlam/waakvlam/easytext"
	"github.com/waakvlam/waakvlam/mattermost"
)

// Hint returns a private tip for a coach whose reply is hard to read for
// the client: the long sentences and hard words with easier ones. "" when
// the reply reads well. The reply is sent either way.
func Hint(text string) string {
	r := easytext.CheckText(text)
	var lines []string
	for _, f := range r.Findings {
		if f.Severity != easytext.Error {
			continue
		}
		switch f.Rule {
		case easytext.RuleSentenceLength:
			lines = append(lines, "Lange zin"+after(f.Detail, " words"))
		case easytext.RuleHardWord:
			lines = append(lines, "Moeilijk woord: "+f.Detail)
		case easytext.RuleUForm:
			lines = append(lines, "Schrijf je, niet u: "+f.Detail)
		case easytext.RuleAbbreviation:
			lines = append(lines, "Afkorting: "+f.Detail)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "💡 Tip voor makkelijke taal (je bericht is wel verstuurd):\n- " + strings.Join(lines, "\n- ") +
		"\nKorte zinnen en gewone woorden helpen je cliënt. Geen tips meer? Typ `tips uit` in een bericht aan de bot."
}

// after turns `sentence of 14 words (max 12): "..."` into ` (14 woorden): "..."`.
func after(detail, unit string) string {
	n := ""
	if i := strings.Index(detail, " of "); i >= 0 {
		rest := detail[i+4:]
		if j := strings.Index(rest, unit); j >= 0 {
			n = rest[:j]
		}
	}
	quote := ""
	if i := strings.Index(detail, `: "`); i >= 0 {
		quote = detail[i:]
	}
	if n == "" {
		return quote
	}
	return " (" + n + " woorden)" + quote
}

// hintsOff is the set of coaches (Mattermost user ids) who turned tips off.
const hintsOff = "wv:{staff}:nohints"

func (b *Bridge) hint(ctx context.Context, p mattermost.Post) {
	tip := Hint(p.Message)
	if tip == "" {
		return
	}
	if off, err := b.st.Redis().SIsMember(ctx, hintsOff, p.UserID).Result(); err == nil && off {
		return
	}
	if err := b.mm.SendEphemeral(ctx, p.UserID, mattermost.Post{ChannelID: p.ChannelID, RootID: p.RootID, Message: tip}); err != nil {
		b.log.Warn("language tip for coach", "post", p.ID, "err", err)
	}
}

// setHints turns the language tips on or off for a coach.
func (b *Bridge) setHints(ctx context.Context, userID string, on bool) string {
	var err error
	if on {
		err = b.st.Redis().SRem(ctx, hintsOff, userID).Err()
	} else {
		err = b.st.Redis().SAdd(ctx, hintsOff, userID).Err()
	}
	if err != nil {
		return oops
	}
	if on {
		return "💡 Tips voor makkelijke taal staan weer aan."
	}
	return "💡 Tips voor makkelijke taal staan uit. Typ `tips aan` om ze terug te krijgen."
}
