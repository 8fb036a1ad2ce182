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

// Stranger answers a chat that is not linked to a client (a stopped
// client is one too). It keeps nothing: strangers get one short, friendly
// refusal and, past the flood limit, none. Every chat is safe: what a
// stranger writes is checked too, and a crisis gets the helplines even
// past the flood limit (up to CrisisFloodLimit).
func Stranger(env Env, ev Event, invite InviteResult, seen int64) []Effect {
	if ev.Kind == KindBlocked {
		return nil
	}
	lang := "nl"
	if env.Texts.Supported(ev.LangHint) {
		lang = ev.LangHint
	}
	if out, ok := strangerSafety(env, ev, lang, seen); ok {
		return out
	}
	if seen > FloodLimit {
		return nil
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
	dataStopYes    = "stop:yes"
	dataStopNo     = "stop:no"
	dataLangPfx    = "lang:"
	dataCancel     = "cancel"
	dataLetterDone = "letter:done"
	dataLetterFrom = "letter:from:"
	dataNoQuestion = "letter:noq"
)

// letterSenders are who a letter can be from, in button order.
var letterSenders = []string{"gemeente", "belasting", "zorg", "woning", "werk", "anders"}

func validSender(s string) bool {
	for _, v := range letterSenders {
		if v == s {
			return true
		}
	}
	return false
}

// Step moves a linked client's dialog one event on. Every text and caption
// the client wrote (not button presses) is checked for concerns first. The
// safety buttons (the ask-back question, "Ben je nu veilig?") are answered
// whatever dialog the client is in.
func Step(env Env, c Client, st State, ev Event) (State, []Effect) {
	if ev.Kind == KindButton {
		if next, effects, ok := (stepper{env: env, c: c}).safetyButton(st, ev); ok {
			return next, effects
		}
	}
	if next, effects, ok := (stepper{env: env, c: c}).typedSafetyAnswer(st, ev); ok {
		return next, effects
	}
	next, effects := step(env, c, st, ev)
	if next.Ask == nil && st.Ask != nil && env.Now.Sub(st.Ask.At) < AskBackTTL {
		next.Ask = st.Ask // an open question outlives the other dialog steps
	}
	if env.Check == nil || strings.TrimSpace(ev.Text) == "" {
		return next, effects
	}
	switch ev.Kind {
	case KindText, KindMedia, KindEdited:
		s := stepper{env: env, c: c}
		if ev.Kind == KindText && s.menuAction(ev.Text) != "" {
			return next, effects // a pressed menu button
		}
		if con := env.Check(ev.Text); con.Severity > SevNone {
			return s.concern(ev, con, next, effects)
		}
	}
	return next, effects
}

func step(env Env, c Client, st State, ev Event) (State, []Effect) {
	s := stepper{env: env, c: c}
	switch ev.Kind {
	case KindBlocked:
		return State{}, []Effect{Record{Kind: EventBlocked}}
	case KindCommand:
		return s.command(st, ev)
	case KindButton:
		if next, eff, ok := StructureButton(s.env, s.c, st, ev); ok {
			return next, eff
		}
		return s.button(st, ev)
	case KindCoachReply:
		return st, s.coachReply(ev)
	case KindText:
		if a := s.menuAction(ev.Text); a != "" {
			return s.menu(a)
		}
		if next, eff, ok := s.inDialog(st, ev); ok {
			return next, eff
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
		if next, eff, ok := s.inDialog(st, ev); ok {
			return next, eff
		}
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
	default:
		r = s.withSimpler(r)
	}
	return r
}

func (s stepper) inline(key string, buttons ...Button) Reply {
	return s.withSimpler(Reply{Lane: Normal, Key: key, Text: s.text(key), Keyboard: Keyboard{Kind: InlineKeyboard, Rows: [][]Button{buttons}}})
}

// withSimpler adds the ❓ Ik snap het niet button to a message that has a
// simpler version (its key plus ".simple"). A message with the big menu
// buttons cannot carry it: Telegram allows one kind of keyboard.
func (s stepper) withSimpler(r Reply) Reply {
	if r.Key == "" || !s.env.Texts.Has(s.c.Lang, r.Key+simpleSuffix) || r.Keyboard.Kind == MenuKeyboard || r.Keyboard.Kind == RemoveKeyboard {
		return r
	}
	r.Keyboard.Kind = InlineKeyboard
	r.Keyboard.Rows = append(r.Keyboard.Rows, []Button{{Text: s.text("button.simpler"), Data: dataSimpler + r.Key}})
	return r
}

const (
	simpleSuffix = ".simple"
	dataSimpler  = "simple:"
)

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
		// Every language with a file gets a button: adding a language is
		// adding a file.
		var btns []Button
		for _, l := range s.env.Texts.Languages() {
			btns = append(btns, Button{Text: s.env.Texts.Text(l, "lang.name", nil), Data: dataLangPfx + l})
		}
		return State{Step: StepChooseLang, Since: s.env.Now}, []Effect{s.inline("lang.choose", btns...)}
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
	case strings.HasPrefix(ev.Data, dataSimpler):
		key := strings.TrimPrefix(ev.Data, dataSimpler) + simpleSuffix
		if s.env.Texts.Has(s.c.Lang, key) {
			// The dialog stays where it was: the simpler words explain the
			// same step.
			return st, []Effect{AnswerButton{CallbackID: ev.CallbackID},
				Reply{Lane: Normal, Key: "simple.ok", Text: s.text("simple.ok")},
				Reply{Lane: Normal, Key: key, Text: s.text(key)}}
		}
	case ev.Data == dataCancel && st.Step != StepIdle:
		return State{}, append(done, s.reply("dialog.cancelled", MenuKeyboard))
	case ev.Data == dataLetterDone && st.Step == StepLetterPages:
		if len(st.Pages) == 0 {
			return st, []Effect{AnswerButton{CallbackID: ev.CallbackID}, s.reply("letter.no_pages", NoKeyboard)}
		}
		st.Step = StepLetterFrom
		return st, append(done, s.letterFromQuestion())
	case strings.HasPrefix(ev.Data, dataLetterFrom) && st.Step == StepLetterFrom:
		about := strings.TrimPrefix(ev.Data, dataLetterFrom)
		if !validSender(about) {
			break
		}
		st.Step, st.About = StepLetterAsk, about
		return st, append(done, s.inline("letter.question", Button{Text: s.text("button.no_question"), Data: dataNoQuestion}))
	case ev.Data == dataNoQuestion && st.Step == StepLetterAsk:
		return State{}, append(done, s.sendLetter(st, "", nil)...)
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
	case actionMyDay:
		return State{}, MyDay(s.env, s.c, s.env.Today, s.env.Now)
	case actionAskCoach:
		return State{Step: StepAskCoach, Since: s.env.Now}, []Effect{
			s.inline("ask.prompt", Button{Text: s.text("button.cancel"), Data: dataCancel}),
		}
	case actionLetter:
		return State{Step: StepLetterPages, Since: s.env.Now}, []Effect{
			s.inline("letter.prompt", Button{Text: s.text("button.done"), Data: dataLetterDone}, Button{Text: s.text("button.cancel"), Data: dataCancel}),
		}
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

// inDialog handles typed text and files while a dialog waits for them.
func (s stepper) inDialog(st State, ev Event) (State, []Effect, bool) {
	switch st.Step {
	case StepAskCoach:
		if ev.Kind != KindText && (ev.Media == nil || ev.Media.Type != "voice") {
			return st, nil, false
		}
		return State{}, []Effect{
			Record{Kind: EventClientWrote},
			ToCoach{Kind: CoachQuestion, Text: ev.Text, Media: ev.Media},
			s.reply("ask.sent", MenuKeyboard),
		}, true
	case StepLetterPages:
		if ev.Media != nil && (ev.Media.Type == "photo" || ev.Media.Type == "document") {
			if len(st.Pages) >= MaxLetterPages {
				return st, []Effect{s.inline("letter.too_many", Button{Text: s.text("button.done"), Data: dataLetterDone})}, true
			}
			st.Pages = append(st.Pages, *ev.Media)
			r := s.inline("letter.page", Button{Text: s.text("button.done"), Data: dataLetterDone})
			r.Text = s.env.Texts.Text(s.c.Lang, "letter.page", map[string]any{"Count": len(st.Pages), "Coach": s.c.Coach})
			return st, []Effect{r}, true
		}
		return st, []Effect{s.inline("letter.need_photo", Button{Text: s.text("button.done"), Data: dataLetterDone}, Button{Text: s.text("button.cancel"), Data: dataCancel})}, true
	case StepLetterFrom:
		// A client may type the answer instead of pressing the button.
		n := fold(ev.Text)
		for _, v := range letterSenders {
			for _, lang := range []string{s.c.Lang, "nl", "en"} {
				if n != "" && (n == v || n == fold(s.env.Texts.Text(lang, "button.from_"+v, nil))) {
					st.Step, st.About = StepLetterAsk, v
					return st, []Effect{s.inline("letter.question", Button{Text: s.text("button.no_question"), Data: dataNoQuestion})}, true
				}
			}
		}
		return st, []Effect{s.letterFromQuestion()}, true
	case StepLetterAsk:
		if ev.Kind == KindText || (ev.Media != nil && ev.Media.Type == "voice") {
			return State{}, s.sendLetter(st, ev.Text, ev.Media), true
		}
	}
	return st, nil, false
}

func (s stepper) letterFromQuestion() Reply {
	var rows [][]Button
	for i := 0; i < len(letterSenders); i += 2 {
		rows = append(rows, []Button{
			{Text: s.text("button.from_" + letterSenders[i]), Data: dataLetterFrom + letterSenders[i]},
			{Text: s.text("button.from_" + letterSenders[i+1]), Data: dataLetterFrom + letterSenders[i+1]},
		})
	}
	r := s.reply("letter.from", NoKeyboard)
	r.Keyboard = Keyboard{Kind: InlineKeyboard, Rows: rows}
	return r
}

func (s stepper) sendLetter(st State, question string, voice *Media) []Effect {
	return []Effect{
		Record{Kind: EventClientWrote},
		ToCoach{Kind: CoachLetter, Files: st.Pages, About: st.About, Text: question, Media: voice},
		s.reply("letter.sent", MenuKeyboard),
	}
}

// coachReply passes the coach's own words and files to the client at once:
// coach replies go on the urgent lane and are never held.
func (s stepper) coachReply(ev Event) []Effect {
	cr := ev.Coach
	if cr == nil {
		return nil
	}
	out := []Effect{Record{Kind: EventCoachAnswer}}
	if strings.TrimSpace(cr.Text) != "" {
		text := s.env.Texts.Text(s.c.Lang, "coach.says", map[string]any{"Coach": s.c.Coach}) + "\n" + cr.Text
		out = append(out, Reply{Lane: Urgent, Key: "coach.says", Text: text, Report: cr.PostID})
	}
	for _, f := range cr.Files {
		out = append(out, SendFile{Lane: Urgent, File: f, Report: cr.PostID})
	}
	return out
}

// WantsMyDay tells whether an event asks for 📅 Mijn dag, so the adapter
// can load the day's list first.
func WantsMyDay(env Env, c Client, ev Event) bool {
	return ev.Kind == KindText && (stepper{env: env, c: c}).menuAction(ev.Text) == actionMyDay
}
