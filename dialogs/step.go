package dialogs

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// LongText is the length in characters from which a message counts as long.
const LongText = 1000

// FloodLimit is how many messages an unlinked chat gets an answer to in one
// flood window; after that it gets none.
const FloodLimit = 3

// InviteResult is what became of an invite code an unlinked chat sent.
type InviteResult int

// Invite results. A valid code never reaches Stranger: the adapter links the
// chat and hands the /start to the client's own dialog.
const (
	NoInvite  InviteResult = iota // no code given
	BadInvite                     // unknown, used or expired
)

// Stranger answers a chat that is not linked to a client. It keeps nothing:
// strangers get one short, friendly refusal and, past the flood limit, none.
func Stranger(env Env, ev Event, invite InviteResult, seen int64) []Effect {
	if ev.Kind == KindBlocked || seen > FloodLimit {
		return nil
	}
	lang := "nl"
	if env.Texts.Supported(ev.LangHint) {
		lang = ev.LangHint
	}
	var out []Effect
	if ev.Kind == KindButton {
		out = append(out, AnswerButton{CallbackID: ev.CallbackID})
	}
	key := "stranger.no_code"
	if invite == BadInvite {
		key = "stranger.bad_code"
	}
	return append(out, Reply{Lane: Normal, Key: key, Text: env.Texts.Text(lang, key, nil), Keyboard: Keyboard{Kind: RemoveKeyboard}})
}

// Menu actions a reply-keyboard button stands for.
const (
	actionAskCoach = "ask_coach"
	actionMyDay    = "my_day"
	actionLetter   = "letter"
	actionNotOK    = "not_ok"
	actionHelp     = "help"
)

var menuActions = []string{actionAskCoach, actionMyDay, actionLetter, actionNotOK, actionHelp}

// Inline button data.
const (
	dataStopYes = "stop:yes"
	dataStopNo  = "stop:no"
	dataLangPfx = "lang:"
)

// Step moves a linked client's dialog one event on.
func Step(env Env, c Client, st State, ev Event) (State, []Effect) {
	s := stepper{env: env, c: c}
	switch ev.Kind {
	case KindBlocked:
		return State{}, []Effect{Record{Kind: EventBlocked}}
	case KindCommand:
		return s.command(st, ev)
	case KindButton:
		return s.button(st, ev)
	case KindText:
		if a := s.menuAction(ev.Text); a != "" {
			return s.menu(a)
		}
		key := "message.saved"
		if utf8.RuneCountInString(ev.Text) > LongText {
			key = "message.long"
		}
		return State{}, []Effect{
			Record{Kind: EventClientWrote},
			ToCoach{Kind: CoachMessage, Text: ev.Text},
			s.reply(key, NoKeyboard),
		}
	case KindMedia, KindLocation, KindContact:
		return State{}, []Effect{
			Record{Kind: EventClientWrote},
			ToCoach{Kind: CoachMedia, Text: ev.Text, Media: ev.Media, Location: ev.Location, Contact: ev.Contact},
			s.reply("media.saved", NoKeyboard),
		}
	case KindSticker:
		return st, []Effect{Record{Kind: EventClientWrote}, s.reply("sticker.reply", MenuKeyboard)}
	case KindEdited:
		return st, []Effect{s.reply("edited.reply", NoKeyboard)}
	default:
		return st, []Effect{s.reply("unsupported.reply", MenuKeyboard)}
	}
}

type stepper struct {
	env Env
	c   Client
}

func (s stepper) text(key string) string {
	return s.env.Texts.Text(s.c.Lang, key, map[string]any{"Name": s.c.FirstName, "Coach": s.c.Coach})
}

func (s stepper) reply(key string, kb KeyboardKind) Reply {
	r := Reply{Lane: Normal, Key: key, Text: s.text(key)}
	switch kb {
	case MenuKeyboard:
		r.Keyboard = s.menuKeyboard()
	case RemoveKeyboard:
		r.Keyboard = Keyboard{Kind: RemoveKeyboard}
	}
	return r
}

func (s stepper) inline(key string, buttons ...Button) Reply {
	return Reply{Lane: Normal, Key: key, Text: s.text(key), Keyboard: Keyboard{Kind: InlineKeyboard, Rows: [][]Button{buttons}}}
}

func (s stepper) menuKeyboard() Keyboard {
	b := func(a string) Button { return Button{Text: s.text("button." + a)} }
	return Keyboard{Kind: MenuKeyboard, Rows: [][]Button{
		{b(actionAskCoach)},
		{b(actionMyDay), b(actionLetter)},
		{b(actionNotOK)},
		{b(actionHelp)},
	}}
}

func (s stepper) command(st State, ev Event) (State, []Effect) {
	switch ev.Command {
	case "start":
		if ev.UpdateID == s.c.LinkedUpdate {
			return State{}, []Effect{
				Record{Kind: EventLinked},
				ToCoach{Kind: CoachInfo, Info: EventLinked},
				s.reply("onboarding.welcome", NoKeyboard),
				s.reply("onboarding.coach", NoKeyboard),
				s.reply("menu.intro", MenuKeyboard),
			}
		}
		return State{}, []Effect{s.reply("onboarding.already", NoKeyboard), s.reply("menu.intro", MenuKeyboard)}
	case "help", "hulp":
		return s.menu(actionHelp)
	case "stop":
		return State{Step: StepConfirmStop, Since: s.env.Now}, []Effect{
			s.inline("stop.confirm", Button{Text: s.text("button.stop_yes"), Data: dataStopYes}, Button{Text: s.text("button.stop_no"), Data: dataStopNo}),
		}
	case "taal", "language":
		return State{Step: StepChooseLang, Since: s.env.Now}, []Effect{
			s.inline("lang.choose", Button{Text: s.text("button.lang_nl"), Data: dataLangPfx + "nl"}, Button{Text: s.text("button.lang_en"), Data: dataLangPfx + "en"}),
		}
	case "menu":
		return State{}, []Effect{s.reply("menu.intro", MenuKeyboard)}
	}
	return st, []Effect{s.reply("unknown.command", MenuKeyboard)}
}

func (s stepper) button(st State, ev Event) (State, []Effect) {
	done := []Effect{AnswerButton{CallbackID: ev.CallbackID}, ClearButtons{MessageID: ev.MessageID}}
	switch {
	case ev.Data == dataStopYes && st.Step == StepConfirmStop:
		return State{}, append(done,
			Unlink{},
			Record{Kind: EventUnlinked},
			ToCoach{Kind: CoachInfo, Info: EventUnlinked},
			s.reply("stop.done", RemoveKeyboard))
	case ev.Data == dataStopNo && st.Step == StepConfirmStop:
		return State{}, append(done, s.reply("stop.kept", MenuKeyboard))
	case strings.HasPrefix(ev.Data, dataLangPfx) && st.Step == StepChooseLang:
		lang := strings.TrimPrefix(ev.Data, dataLangPfx)
		if s.env.Texts.Supported(lang) {
			s.c.Lang = lang
			return State{}, append(done, SetLang{Lang: lang}, s.reply("lang.done", MenuKeyboard))
		}
	}
	// A stale or unknown button: answer it so the spinner stops, and offer the menu.
	return st, []Effect{AnswerButton{CallbackID: ev.CallbackID}, s.reply("unknown.button", MenuKeyboard)}
}

func (s stepper) menu(action string) (State, []Effect) {
	switch action {
	case actionHelp:
		return State{}, []Effect{s.reply("help.text", NoKeyboard), s.reply("help.more", MenuKeyboard)}
	case actionNotOK:
		// Before the safety issue lands this already gives the helplines and
		// tells the coach with priority: a person who says it is not going
		// well must never get "coming soon".
		return State{}, []Effect{
			Record{Kind: EventClientSignal},
			ToCoach{Kind: CoachSignal, Priority: true, Info: actionNotOK},
			Reply{Lane: Urgent, Key: "not_ok.reply", Text: s.text("not_ok.reply")},
			Reply{Lane: Urgent, Key: "not_ok.help", Text: s.text("not_ok.help"), Keyboard: s.menuKeyboard()},
		}
	default:
		return State{}, []Effect{s.reply("coming."+action, MenuKeyboard)}
	}
}

// menuAction finds the menu button a typed text stands for, in any
// language, ignoring emoji, case and spacing, so that a client who types
// "help" or "vraag aan mijn coach" is understood too.
func (s stepper) menuAction(text string) string {
	n := fold(text)
	if n == "" {
		return ""
	}
	for _, a := range menuActions {
		for _, lang := range []string{s.c.Lang, "nl", "en"} {
			if fold(s.env.Texts.Text(lang, "button."+a, nil)) == n {
				return a
			}
		}
	}
	return ""
}

// fold keeps letters and digits, lower case, single spaces.
func fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}
