package dialogs

import "time"

// Kind says what a client did.
type Kind int

// Event kinds.
const (
	KindText        Kind = iota // a typed message (or a pressed menu button)
	KindCommand                 // /start, /help, ...
	KindButton                  // a pressed inline button
	KindSticker                 // sticker, GIF, dice: nothing to read
	KindMedia                   // photo, document, voice, video, audio
	KindLocation                // a shared location
	KindContact                 // a shared contact
	KindEdited                  // an edited earlier message
	KindUnsupported             // polls, games and other things we do not read
	KindBlocked                 // the client blocked or removed the bot
	KindCoachReply              // the coach answered in Mattermost
)

// Event is one thing a client did, in our own terms.
type Event struct {
	Kind       Kind
	UpdateID   int64
	ChatID     int64
	MessageID  int
	Time       time.Time
	Text       string // message text or caption
	Command    string // without the slash and bot name, lower case
	Args       string
	Data       string // inline button data
	CallbackID string
	Media      *Media
	Location   *Location
	Contact    *Contact
	LangHint   string // the language the client's Telegram app uses
	Coach      *CoachReply
}

// CoachReply is what a coach posted for the client.
type CoachReply struct {
	PostID string    `json:"post"`
	Text   string    `json:"text,omitempty"`
	Files  []FileRef `json:"files,omitempty"`
}

// FileRef points at a file kept elsewhere (Mattermost or Telegram).
type FileRef struct {
	Source string `json:"src"` // "mm" or "tg"
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	MIME   string `json:"mime,omitempty"`
	Size   int64  `json:"size,omitempty"`
}

// Media is a file the client sent. Only the Telegram file id is kept; the
// coach bridge downloads the file when it posts it.
type Media struct {
	Type     string `json:"type"` // photo, document, voice, video, audio, video_note
	FileID   string `json:"id"`
	FileName string `json:"name,omitempty"`
	MIME     string `json:"mime,omitempty"`
	Size     int64  `json:"size,omitempty"`
}

// Location is a shared place.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Contact is a shared contact card.
type Contact struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Client is what the dialogs know about a linked client.
type Client struct {
	ID        string
	FirstName string
	Coach     string
	Lang      string
	ChatID    int64
	// LinkedUpdate is the update that linked the chat: its /start is the
	// one that gets the welcome.
	LinkedUpdate int64
}

// State is the per-client dialog state, stored between events.
type State struct {
	Step  string    `json:"s,omitempty"`
	Since time.Time `json:"t,omitempty"`
	Pages []Media   `json:"p,omitempty"` // letter pages sent so far
	About string    `json:"a,omitempty"` // who the letter is from
	// Ask is the open ask-back question, kept beside any dialog step so
	// that the client can answer it while doing something else.
	Ask *AskBack `json:"k,omitempty"`
	// Safe is the open "Ben je nu veilig?" question after a crisis reply,
	// so that a typed "nee" counts as much as the button.
	Safe *SafeQuestion `json:"v,omitempty"`
}

// SafeQuestion is an open "Ben je nu veilig?".
type SafeQuestion struct {
	Category string    `json:"c"`
	Lang     string    `json:"l,omitempty"` // the language it was asked in
	At       time.Time `json:"t"`
}

// AskBack is a question the bot asked about a grey-zone message: "Bedoel
// je dat je jezelf iets wil aandoen?" or "Ben je nu in gevaar?".
type AskBack struct {
	Category string    `json:"c"`           // the suspected category
	At       time.Time `json:"t"`           // when it was asked
	Answer   string    `json:"a,omitempty"` // y, n or d (weet ik niet) once answered
}

// Steps.
const (
	StepIdle        = ""
	StepConfirmStop = "confirm_stop"
	StepChooseLang  = "choose_lang"
	StepAskCoach    = "ask_coach"
	StepLetterPages = "letter_pages"
	StepLetterFrom  = "letter_from"
	StepLetterAsk   = "letter_question"
)

// MaxLetterPages is how many pages one letter may have.
const MaxLetterPages = 10

// Texts renders client texts from the locale files.
type Texts interface {
	Text(lang, key string, data map[string]any) string
	Supported(lang string) bool
	Has(lang, key string) bool
	Languages() []string
}

// Env is what a step may read besides state and event.
type Env struct {
	Texts Texts
	Now   time.Time
	// Check looks for concerns in a client's own words; nil checks nothing.
	Check func(text string) Concern
	// Today is the client's list for 📅 Mijn dag, filled by the pipeline
	// when WantsMyDay says the event asks for it.
	Today []DayItem
	// CoachHours says whether Now falls in the coaches' working time;
	// outside it CoachBack is when that time starts again (zero: not
	// known). Crisis replies use them to say who reads a message and when,
	// and never promise the coach "now" at night.
	CoachHours bool
	CoachBack  time.Time
}
