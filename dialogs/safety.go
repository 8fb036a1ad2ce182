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
}

// RaiseAlert opens an alert that escalates until a person picks it up.
type RaiseAlert struct {
	Severity Severity
	Category string
}

func (RaiseAlert) effect() {}

// safetyKeys are the replies for an urgent concern, per category: first a
// calm word that the coach is told, then the right number.
var safetyKeys = map[string][]string{
	"suicide":  {"safety.urgent", "safety.113"},
	"selfharm": {"safety.urgent", "safety.113"},
	"violence": {"safety.urgent", "safety.veiligthuis"},
	"danger":   {"safety.urgent", "safety.112"},
}

// concern answers a worrying message. Urgent: at once, on the urgent lane,
// a calm reply with the right helpline, and an alert that escalates. High:
// an alert post with a mention and a word that the coach is told.
// Attention: the usual answer, and the coach's post is marked. The client's
// own words always go with it, unchanged.
func (s stepper) concern(ev Event, c Concern, next State, normal []Effect) (State, []Effect) {
	post := ToCoach{Kind: CoachSignal, Priority: c.Severity >= SevHigh, Text: ev.Text, Media: ev.Media,
		Severity: c.Severity, Category: c.Category, Matched: c.Matched}
	out := []Effect{Record{Kind: EventClientWrote}, Record{Kind: EventClientSignal}}
	if c.Severity == SevUrgent {
		keys := safetyKeys[c.Category]
		if keys == nil {
			keys = []string{"safety.urgent", "safety.112"}
		}
		for i, k := range keys {
			r := s.withSimpler(Reply{Lane: Urgent, Key: k, Text: s.text(k)})
			if i == len(keys)-1 {
				r.Keyboard = s.menuKeyboard()
			}
			out = append(out, r)
		}
		// A crisis ends any dialog in progress.
		return State{}, append(out, post, RaiseAlert{Severity: c.Severity, Category: c.Category})
	}
	posted := false
	for _, e := range normal {
		switch e := e.(type) {
		case ToCoach:
			// The post the dialog made anyway becomes the signal: the coach
			// gets one post, not two.
			e.Kind, e.Priority, e.Severity, e.Category, e.Matched = CoachSignal, post.Priority, c.Severity, c.Category, c.Matched
			out = append(out, e)
			posted = true
		case Record:
			if e.Kind != EventClientWrote {
				out = append(out, e)
			}
		case Reply:
			if c.Severity == SevHigh && (e.Key == "message.saved" || e.Key == "message.long" || e.Key == "media.saved") {
				key := "safety.high"
				if c.Category == "exploitation" {
					key = "safety.high_exploitation"
				}
				e = Reply{Lane: Urgent, Key: key, Text: s.text(key), Keyboard: e.Keyboard}
				if e.Keyboard.Kind == NoKeyboard {
					e = s.withSimpler(e)
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
	if c.Severity == SevHigh {
		if c.Category == "violence" {
			out = append(out, s.withSimpler(Reply{Lane: Urgent, Key: "safety.veiligthuis", Text: s.text("safety.veiligthuis")}))
		}
		out = append(out, RaiseAlert{Severity: c.Severity, Category: c.Category})
	}
	return next, out
}
