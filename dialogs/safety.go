package dialogs

// Severity says how worrying a client's words are.
type Severity int

// Severities, from no concern to a crisis. They match package signals.
const (
	SevNone Severity = iota
	SevAttention
	SevHigh
	SevUrgent
)

func (s Severity) String() string {
	return [...]string{"none", "attention", "high", "urgent"}[s]
}

// Concern is what the concern check found in a client's text.
type Concern struct {
	Severity Severity
	Category string   // suicide, selfharm, violence, danger, exploitation, housing, money, police, health, mood
	Matched  []string // pattern ids, never the text
	// AskBack: the check is unsure (a grey zone). Severity is then High and
	// Category the suspected one (suicide, selfharm, danger or violence):
	// the client gets one gentle question instead of the helplines.
	AskBack bool
	// Lang is the language the text is written in ("nl", "en"; "" when
	// not known). Safety replies go out in it when the texts have it.
	Lang string
}

// RaiseAlert opens an alert that escalates until a person picks it up.
type RaiseAlert struct {
	Severity Severity
	Category string
}

func (RaiseAlert) effect() {}

// concern answers a worrying message. Urgent: at once, on the urgent lane,
// the crisis replies (see crisis) and an alert that escalates. High: an
// alert post with a mention and a word that the coach is told; in the grey
// zone (AskBack) that word is one gentle question instead. Attention: the
// usual answer, and the coach's post is marked. The client's own words
// always go with it, unchanged. Safety replies are in the language the
// message is written in when the texts have it.
func (s stepper) concern(ev Event, c Concern, next State, normal []Effect) (State, []Effect) {
	post := ToCoach{Kind: CoachSignal, Priority: c.Severity >= SevHigh, Text: ev.Text, Media: ev.Media,
		Severity: c.Severity, Category: c.Category, Matched: c.Matched}
	out := []Effect{Record{Kind: EventClientWrote}, Record{Kind: EventClientSignal}}
	safe := s.in(s.safetyLang(c.Lang))
	if c.Severity == SevUrgent {
		// Help first, never a question first, even when the check was unsure.
		out = append(out, safe.crisis(c.Category, ev)...)
		// A crisis ends any dialog in progress; an open question stays.
		return State{Ask: next.Ask, Safe: safe.safeOpen(c.Category)}, append(out, post, RaiseAlert{Severity: c.Severity, Category: c.Category})
	}
	askBack := c.AskBack && c.Severity == SevHigh && crisisCategory(c.Category)
	if askBack {
		post.Info = InfoAskedBack
	}
	posted := false
	for _, e := range normal {
		switch e := e.(type) {
		case ToCoach:
			// The post the dialog made anyway becomes the signal: the coach
			// gets one post, not two.
			e.Kind, e.Priority, e.Severity, e.Category, e.Matched = CoachSignal, post.Priority, c.Severity, c.Category, c.Matched
			if askBack {
				e.Info = InfoAskedBack
			}
			out = append(out, e)
			posted = true
		case Record:
			if e.Kind != EventClientWrote {
				out = append(out, e)
			}
		case Reply:
			saved := e.Key == "message.saved" || e.Key == "message.long" || e.Key == "media.saved"
			if askBack && saved {
				continue // the question below says it better
			}
			if c.Severity == SevHigh && saved {
				key := "safety.high"
				if c.Category == "exploitation" {
					key = "safety.high_exploitation"
				}
				e = Reply{Lane: Urgent, Key: key, Text: safe.text(key), Keyboard: e.Keyboard}
				if e.Keyboard.Kind == NoKeyboard {
					e = safe.withSimpler(e)
				}
			}
			out = append(out, e)
		default:
			out = append(out, e)
		}
	}
	if !posted {
		out = append(out, post)
	}
	if askBack {
		next.Ask = &AskBack{Category: c.Category, At: s.env.Now}
		out = append(out, safe.askBack(c.Category))
	} else if c.Severity == SevHigh && c.Category == "violence" {
		out = append(out, safe.withSimpler(Reply{Lane: Urgent, Key: "safety.veiligthuis", Text: safe.text("safety.veiligthuis")}))
	}
	if c.Severity == SevHigh {
		out = append(out, RaiseAlert{Severity: c.Severity, Category: c.Category})
	}
	return next, out
}
