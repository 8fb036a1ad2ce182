package store

// Fields of an intake stream entry. Every unit of work a worker does enters
// the partition's intake stream as one entry with these fields.
const (
	FieldType   = "t" // one of the Entry* values
	FieldBody   = "b" // payload, passed through the content codec
	FieldChat   = "c" // Telegram chat id, decimal, when known
	FieldUpdate = "u" // Telegram update id, decimal, for EntryTelegram
	FieldClient = "k" // client id, when known
)

// Entry types.
const (
	EntryTelegram = "tg"    // body: the Telegram update JSON
	EntryDue      = "due"   // body: a scheduler occurrence JSON
	EntryCoach    = "coach" // body: a coach reply from Mattermost
)
