package dialogs

// Effect is something a step asks the adapters to do.
type Effect interface{ effect() }

// Lane says how urgent an outgoing message is.
type Lane string

// Lanes.
const (
	Urgent Lane = "u" // safety replies, coach replies
	Normal Lane = "n" // dialog replies
	Bulk   Lane = "b" // scheduled reminders and check-ins
)

// KeyboardKind says what buttons come with a reply.
type KeyboardKind int

// Keyboard kinds.
const (
	NoKeyboard     KeyboardKind = iota // leave the client's keyboard as it is
	MenuKeyboard                       // the big reply buttons of the main menu
	InlineKeyboard                     // buttons under the message
	RemoveKeyboard                     // take the reply buttons away
)

// Button is one button; Data is set for inline buttons only.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data,omitempty"`
}

// Keyboard is the set of buttons that goes with a reply.
type Keyboard struct {
	Kind KeyboardKind `json:"kind,omitempty"`
	Rows [][]Button   `json:"rows,omitempty"`
}

// Reply is a message to the client.
type Reply struct {
	Lane     Lane
	Key      string // locale key, for tests and the language lint
	Text     string
	Keyboard Keyboard
	Report   string // coach post to report delivery on
}

// SendFile sends a file to the client.
type SendFile struct {
	Lane    Lane
	File    FileRef
	Caption string
	Report  string // coach post to report delivery on
}

// AnswerButton stops the spinner on a pressed inline button.
type AnswerButton struct {
	CallbackID string
	Text       string
}

// ClearButtons removes the inline buttons from a message once used.
type ClearButtons struct{ MessageID int }

// CoachKind says what a post for the coach is about.
type CoachKind string

// Coach post kinds.
const (
	CoachMessage  CoachKind = "message"  // a free message
	CoachMedia    CoachKind = "media"    // a photo, file or voice note
	CoachSignal   CoachKind = "signal"   // the client says it is not going well
	CoachInfo     CoachKind = "info"     // something the coach should know (linked, stopped)
	CoachQuestion CoachKind = "question" // asked with 💬 Vraag aan mijn coach
	CoachLetter   CoachKind = "letter"   // pages of a letter, who it is from, the question
)

// ToCoach is a post for the client's coach.
type ToCoach struct {
	Kind     CoachKind
	Priority bool
	Text     string // the client's own words, never changed
	Info     string // a fixed marker for CoachInfo posts, e.g. "linked"
	Media    *Media
	Files    []Media // letter pages
	About    string  // who a letter is from
	Severity Severity
	Category string
	Matched  []string
	Location *Location
	Contact  *Contact
}

// Unlink detaches the client's chat; the client's data stays for the coach.
type Unlink struct{}

// SetLang changes the client's language.
type SetLang struct{ Lang string }

// Record appends a domain event (never message text) for the monitoring figures.
type Record struct{ Kind string }

// Domain event kinds.
const (
	EventLinked       = "client_linked"
	EventUnlinked     = "client_unlinked"
	EventClientWrote  = "client_wrote"
	EventClientSignal = "client_signal"
	EventBlocked      = "client_blocked"
	EventCoachAnswer  = "coach_answered"
)

func (Reply) effect()        {}
func (SendFile) effect()     {}
func (AnswerButton) effect() {}
func (ClearButtons) effect() {}
func (ToCoach) effect()      {}
func (Unlink) effect()       {}
func (SetLang) effect()      {}
func (Record) effect()       {}
