package dialogs

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Crisis replies, the ask-back question and their buttons. Everything here
// is pure: which words the client gets depends on the event, the state and
// Env (the coach's working time), never on a clock or a random number.

// Info of the safety posts for the coach (ToCoach.Info).
const (
	InfoAskedBack = "asked_back" // a grey-zone message: the bot asked what the client means
	InfoAskYes    = "ask_yes"    // the client answered Ja to the ask-back question
	InfoAskUnsure = "ask_unsure" // the client answered Weet ik niet
	InfoAskNo     = "ask_no"     // the client answered Nee
	InfoNotSafe   = "not_safe"   // the client answered Nee to "Ben je nu veilig?"
	InfoSafe      = "safe"       // the client answered Ja to "Ben je nu veilig?"
)

// AskBackTTL is how long an ask-back question stays open. A later Nee is
// answered as an old question; a later Ja or Weet ik niet still takes the
// urgent path.
const AskBackTTL = 24 * time.Hour

// CrisisFloodLimit is how many messages in one flood window an unlinked
// chat may send and still get the helplines when it writes about a crisis:
// past FloodLimit a stranger gets no other answer, past this none at all.
const CrisisFloodLimit = 20

// Inline button data of the safety buttons:
//
//	ask:<y|n|d>:<category>[:<lang>]   answer to the ask-back question
//	safe:<y|n>:<category>[:<lang>]    answer to "Ben je nu veilig?"
//
// The category and language travel in the button, so an answer is
// understood even when the state has moved on, and for a stranger, who has
// no state at all.
const (
	dataAsk  = "ask"
	dataSafe = "safe"
)

// Answers in button data.
const (
	answerYes    = "y"
	answerNo     = "n"
	answerUnsure = "d"
)

// crisisCategories are the categories an ask-back question and the
// crisis buttons know.
var crisisCategories = map[string]bool{"suicide": true, "selfharm": true, "violence": true, "danger": true}

func crisisCategory(c string) bool { return crisisCategories[c] }

// helplineKeys are the number to call, per category of an urgent concern.
var helplineKeys = map[string]string{
	"suicide":  "safety.113",
	"selfharm": "safety.113",
	"violence": "safety.veiligthuis",
	"danger":   "safety.112",
}

func helplineKey(cat string) string {
	if k := helplineKeys[cat]; k != "" {
		return k
	}
	return "safety.112"
}

// openings are the first words of a crisis reply; which one a client gets
// follows from the update id, so golden files stay stable and a client
// who writes twice does not read the same words twice.
const openings = 3

func openingKey(ev Event) string {
	n := ev.UpdateID % openings
	if n < 0 {
		n = -n
	}
	return "safety.open_" + strconv.FormatInt(n+1, 10)
}

// safetyLang is the language of safety replies: the message's own when
// the texts have it, else the client's.
func (s stepper) safetyLang(lang string) string {
	if lang != "" && s.env.Texts.Supported(lang) {
		return lang
	}
	return s.c.Lang
}

// in returns the stepper speaking lang.
func (s stepper) in(lang string) stepper {
	if lang != "" && s.env.Texts.Supported(lang) {
		s.c.Lang = lang
	}
	return s
}

// textWith renders key with data besides the client's and coach's names.
func (s stepper) textWith(key string, data map[string]any) string {
	m := map[string]any{"Name": s.c.FirstName, "Coach": s.c.Coach}
	for k, v := range data {
		m[k] = v
	}
	return s.env.Texts.Text(s.c.Lang, key, m)
}

// crisis is what a client in crisis reads, on the urgent lane: a kind
// opening with who reads the message and when, the helpline of the
// category, and "Ben je nu veilig?" with Ja and Nee. A stranger (no coach)
// reads that the bot cannot pass the message on instead.
func (s stepper) crisis(cat string, ev Event) []Effect {
	key := openingKey(ev)
	first := Reply{Lane: Urgent, Key: key, Text: s.text(key) + " " + s.whoReads()}
	help := helplineKey(cat)
	second := Reply{Lane: Urgent, Key: help, Text: s.text(help)}
	if s.c.ID != "" {
		second = s.urgent(help) // a stranger's button would reach no dialog
	}
	return []Effect{first, second, s.safeQuestion(cat)}
}

// whoReads says who reads the message and when: the coach today in coach
// hours; outside them the coach when coach hours start again (113 and 112
// are there now: the helpline reply says so). A stranger is told that the
// bot cannot pass anything on.
func (s stepper) whoReads() string {
	switch {
	case s.c.ID == "":
		return s.text("safety.stranger_who")
	case s.env.CoachHours:
		return s.text("safety.coach_today")
	case s.env.CoachBack.IsZero() || !s.env.CoachBack.After(s.env.Now):
		return s.text("safety.coach_next")
	}
	back := s.env.CoachBack.In(s.env.Now.Location())
	data := map[string]any{"Clock": clockWords(back)}
	key := "safety.when_day"
	switch dayDiff(s.env.Now, back) {
	case 0:
		key = "safety.when_today"
	case 1:
		key = "safety.when_tomorrow"
	default:
		data["Day"] = s.text("weekday." + strconv.Itoa(int(back.Weekday())))
	}
	return s.textWith("safety.coach_later", map[string]any{"When": s.textWith(key, data)})
}

// urgent is a safety reply on the urgent lane, with ❓ Ik snap het niet
// when it has a simpler version.
func (s stepper) urgent(key string) Reply {
	return s.withSimpler(Reply{Lane: Urgent, Key: key, Text: s.text(key)})
}

// safeQuestion asks "Ben je nu veilig?" with Ja and Nee.
func (s stepper) safeQuestion(cat string) Reply {
	return Reply{Lane: Urgent, Key: "safety.safe_question", Text: s.text("safety.safe_question"),
		Keyboard: Keyboard{Kind: InlineKeyboard, Rows: [][]Button{{
			{Text: s.text("button.safe_yes"), Data: s.safetyData(dataSafe, answerYes, cat)},
			{Text: s.text("button.safe_no"), Data: s.safetyData(dataSafe, answerNo, cat)},
		}}}}
}

// askBack is the one gentle question for a grey-zone message, with Ja,
// Nee and Weet ik niet.
func (s stepper) askBack(cat string) Reply {
	key := "safety.ask_danger"
	if cat == "suicide" || cat == "selfharm" {
		key = "safety.ask_self"
	}
	return Reply{Lane: Urgent, Key: key, Text: s.text(key), Keyboard: Keyboard{Kind: InlineKeyboard, Rows: [][]Button{
		{
			{Text: s.text("button.ask_yes"), Data: s.safetyData(dataAsk, answerYes, cat)},
			{Text: s.text("button.ask_no"), Data: s.safetyData(dataAsk, answerNo, cat)},
		},
		{{Text: s.text("button.ask_unsure"), Data: s.safetyData(dataAsk, answerUnsure, cat)}},
	}}}
}

func (s stepper) safetyData(kind, answer, cat string) string {
	return kind + ":" + answer + ":" + cat + ":" + s.c.Lang
}

// safetyPress is a pressed safety button.
type safetyPress struct {
	kind, answer, cat, lang string
}

func parseSafetyData(d string) (safetyPress, bool) {
	parts := strings.Split(d, ":")
	if len(parts) < 3 || len(parts) > 4 {
		return safetyPress{}, false
	}
	p := safetyPress{kind: parts[0], answer: parts[1], cat: parts[2]}
	if len(parts) == 4 {
		p.lang = parts[3]
	}
	switch {
	case !crisisCategory(p.cat):
		return p, false
	case p.kind == dataAsk && (p.answer == answerYes || p.answer == answerNo || p.answer == answerUnsure):
	case p.kind == dataSafe && (p.answer == answerYes || p.answer == answerNo):
	default:
		return p, false
	}
	return p, true
}

// isSafetyData tells whether button data is meant for a safety button,
// readable or not.
func isSafetyData(d string) bool {
	return strings.HasPrefix(d, dataAsk+":") || strings.HasPrefix(d, dataSafe+":")
}

var askInfo = map[string]string{answerYes: InfoAskYes, answerNo: InfoAskNo, answerUnsure: InfoAskUnsure}

// safetyButton answers a pressed safety button of a linked client.
//
// Ask-back: Ja or Weet ik niet takes the urgent path (the crisis replies,
// a post for the coach saying what the client answered, an urgent alert),
// also on an old question: a client who says yes is never turned away.
// Nee gets a calm word and a quiet mark for the coach; Nee on an old
// question a kind word only. The same answer twice (a double tap) tells the
// coach nothing new.
//
// "Ben je nu veilig?": Nee gets the advice to call 112 and a post with a
// mention for the coach; Ja a calm word and a quiet post.
func (s stepper) safetyButton(st State, ev Event) (State, []Effect, bool) {
	if !isSafetyData(ev.Data) {
		return st, nil, false
	}
	p, ok := parseSafetyData(ev.Data)
	if !ok {
		return st, []Effect{AnswerButton{CallbackID: ev.CallbackID}, s.reply("unknown.button", MenuKeyboard)}, true
	}
	t := s.in(p.lang)
	out := []Effect{AnswerButton{CallbackID: ev.CallbackID}, ClearButtons{MessageID: ev.MessageID}}
	if p.kind == dataSafe {
		st.Safe = nil // answered
		if p.answer == answerNo {
			return st, append(out, Record{Kind: EventClientSignal},
				t.urgent("safety.not_safe"),
				ToCoach{Kind: CoachSignal, Priority: true, Info: InfoNotSafe, Severity: SevUrgent, Category: p.cat}), true
		}
		return st, append(out, t.urgent("safety.is_safe"),
			ToCoach{Kind: CoachInfo, Info: InfoSafe, Category: p.cat}), true
	}
	urgent := p.answer != answerNo
	open := st.Ask != nil && st.Ask.Category == p.cat && s.env.Now.Sub(st.Ask.At) < AskBackTTL
	if open && st.Ask.Answer != "" && (st.Ask.Answer != answerNo) == urgent {
		// Answered so already: the helpline again for a yes, a kind word
		// for a no, and nothing new for the coach.
		if urgent {
			return st, append(out, t.urgent(helplineKey(p.cat))), true
		}
		return st, append(out, t.urgent("safety.ask_no")), true
	}
	if !urgent && !open {
		return st, append(out, t.urgent("safety.ask_stale")), true
	}
	ask := AskBack{Category: p.cat, At: s.env.Now, Answer: p.answer}
	if open {
		ask.At = st.Ask.At
	}
	post := ToCoach{Kind: CoachSignal, Info: askInfo[p.answer], Category: p.cat}
	if !urgent {
		post.Severity = SevAttention
		st.Ask = &ask
		return st, append(out, t.urgent("safety.ask_no"), post), true
	}
	post.Priority, post.Severity = true, SevUrgent
	out = append(out, Record{Kind: EventClientSignal})
	out = append(out, t.crisis(p.cat, ev)...)
	// A crisis ends any dialog in progress.
	return State{Ask: &ask, Safe: t.safeOpen(p.cat)}, append(out, post, RaiseAlert{Severity: SevUrgent, Category: p.cat}), true
}

// SafeQuestionTTL is how long a typed answer counts as the answer to
// "Ben je nu veilig?".
const SafeQuestionTTL = time.Hour

// safeOpen records the "Ben je nu veilig?" that the crisis replies end with.
func (s stepper) safeOpen(cat string) *SafeQuestion {
	return &SafeQuestion{Category: cat, Lang: s.c.Lang, At: s.env.Now}
}

// Typed answers to a safety question. Many clients type rather than press
// a button; only a message that is nothing but an answer counts.
var (
	typedYes    = setOfAnswers("ja", "jaa", "jawel", "ja hoor", "yes", "yeah", "yep", "ok ja", "jep", "jup")
	typedNo     = setOfAnswers("nee", "neen", "no", "nope")
	typedUnsure = setOfAnswers("weet niet", "weet ik niet", "ik weet het niet", "geen idee", "misschien", "idk", "i dont know", "dont know", "maybe")
	// Words that only answer "Ben je nu veilig?"; a cry for help answers
	// either question as the one that gets help.
	typedSafe    = setOfAnswers("ja veilig", "ik ben veilig", "veilig", "i am safe", "im safe", "safe")
	typedNotSafe = setOfAnswers("nee niet veilig", "niet veilig", "ik ben niet veilig", "nee ik ben niet veilig", "not safe", "im not safe", "i am not safe")
	typedHelp    = setOfAnswers("help", "hulp", "nee help", "help me", "help mij")
)

// Answer classes of typedAnswer beyond y, n and d.
const (
	typedClassSafe    = "safe"
	typedClassNotSafe = "notsafe"
	typedClassHelp    = "help"
)

func setOfAnswers(ws ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// typedAnswer reads a message as y, n or d (weet ik niet), or "".
func typedAnswer(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case r == ' ' || r == ',' || r == '.' || r == '!':
			b.WriteByte(' ')
		}
	}
	t := strings.Join(strings.Fields(b.String()), " ")
	switch {
	case typedYes[t]:
		return answerYes
	case typedNo[t]:
		return answerNo
	case typedUnsure[t]:
		return answerUnsure
	case typedSafe[t]:
		return typedClassSafe
	case typedNotSafe[t]:
		return typedClassNotSafe
	case typedHelp[t]:
		return typedClassHelp
	}
	return ""
}

// typedSafetyAnswer takes a typed "ja", "nee" or "weet ik niet" as the
// answer to the open safety question, the newest one first: "Ben je nu
// veilig?" (where "weet ik niet" counts as not safe) or the ask-back
// question. It answers as the button would, without the button's
// acknowledgement, and the coach is told as for a press.
func (s stepper) typedSafetyAnswer(st State, ev Event) (State, []Effect, bool) {
	if ev.Kind != KindText {
		return st, nil, false
	}
	a := typedAnswer(ev.Text)
	if a == "" {
		return st, nil, false
	}
	safeOpen := st.Safe != nil && s.env.Now.Sub(st.Safe.At) < SafeQuestionTTL
	askOpen := st.Ask != nil && st.Ask.Answer == "" && s.env.Now.Sub(st.Ask.At) < AskBackTTL
	if safeOpen && askOpen && st.Ask.At.After(st.Safe.At) {
		safeOpen = false
	}
	var data string
	switch {
	case safeOpen:
		switch a {
		case answerUnsure, typedClassNotSafe, typedClassHelp:
			a = answerNo // not sure to be safe, or asking for help, is not safe
		case typedClassSafe:
			a = answerYes
		}
		data = dataSafe + ":" + a + ":" + st.Safe.Category + ":" + st.Safe.Lang
	case askOpen:
		switch a {
		case typedClassHelp:
			a = answerYes // a cry for help gets the help of a yes
		case typedClassSafe, typedClassNotSafe:
			return st, nil, false // no answer to this question: an ordinary message
		}
		data = dataAsk + ":" + a + ":" + st.Ask.Category + ":" + s.c.Lang
	default:
		return st, nil, false
	}
	press := ev
	press.Kind, press.Data, press.CallbackID, press.MessageID = KindButton, data, "", 0
	next, eff, ok := s.safetyButton(st, press)
	if !ok {
		return st, nil, false
	}
	if safeOpen {
		next.Safe = nil // answered
	}
	out := []Effect{Record{Kind: EventClientWrote}}
	for _, e := range eff {
		switch e.(type) {
		case AnswerButton, ClearButtons: // there was no button press
		default:
			out = append(out, e)
		}
	}
	return next, out, true
}

// strangerSafety answers what a chat without a client writes about a
// crisis. Urgent: the helplines, even past the flood limit (up to
// CrisisFloodLimit). In the grey zone, within the flood limit: the kind
// refusal and the ask-back question. Pressed safety buttons get the same
// answers as a client's, without a coach. ok is false when there is
// nothing to say about safety.
func strangerSafety(env Env, ev Event, lang string, seen int64) ([]Effect, bool) {
	if seen > CrisisFloodLimit {
		return nil, false
	}
	s := stepper{env: env, c: Client{Lang: lang}}
	if ev.Kind == KindButton {
		if !isSafetyData(ev.Data) {
			return nil, false
		}
		p, ok := parseSafetyData(ev.Data)
		if !ok {
			return nil, false
		}
		t := s.in(p.lang)
		out := []Effect{AnswerButton{CallbackID: ev.CallbackID}, ClearButtons{MessageID: ev.MessageID}}
		switch {
		case p.kind == dataSafe && p.answer == answerNo:
			return append(out, Reply{Lane: Urgent, Key: "safety.not_safe_stranger", Text: t.text("safety.not_safe_stranger")}), true
		case p.kind == dataSafe:
			return append(out, Reply{Lane: Urgent, Key: "safety.is_safe_stranger", Text: t.text("safety.is_safe_stranger")}), true
		case p.answer == answerNo:
			return append(out, Reply{Lane: Urgent, Key: "safety.ask_no_stranger", Text: t.text("safety.ask_no_stranger")}), true
		}
		return append(out, t.crisis(p.cat, ev)...), true
	}
	if env.Check == nil || strings.TrimSpace(ev.Text) == "" {
		return nil, false
	}
	switch ev.Kind {
	case KindText, KindMedia, KindEdited:
	default:
		return nil, false
	}
	c := env.Check(ev.Text)
	t := s.in(s.safetyLang(c.Lang))
	switch {
	case c.Severity == SevUrgent:
		return t.crisis(c.Category, ev), true
	case c.Severity == SevHigh && c.AskBack && crisisCategory(c.Category) && seen <= FloodLimit:
		return []Effect{
			// On the urgent lane too, so that the refusal comes before the question.
			Reply{Lane: Urgent, Key: "stranger.no_code", Text: s.text("stranger.no_code"), Keyboard: Keyboard{Kind: RemoveKeyboard}},
			t.askBack(c.Category),
		}, true
	}
	return nil, false
}
