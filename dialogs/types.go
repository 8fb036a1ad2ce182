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
}

// Media is a file the client sent. Only the Telegram file id is kept; the
// coach bridge downloads the file when it posts it.
type Media struct {
	Type     string // photo, document, voice, video, audio, video_note
	FileID   string
	FileName string
	MIME     string
	Size     int64
}

// Location is a shared place.
type Location struct{ Lat, Lon float64 }

// Contact is a shared contact card.
type Contact struct{ Name, Phone string }

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
}

// Steps.
const (
	StepIdle        = ""
	StepConfirmStop = "confirm_stop"
	StepChooseLang  = "choose_lang"
)

// Texts renders client texts from the locale files.
type Texts interface {
	Text(lang, key string, data map[string]any) string
	Supported(lang string) bool
}

// Env is what a step may read besides state and event.
type Env struct {
	Texts Texts
	Now   time.Time
}
