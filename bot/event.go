package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/waakvlam/waakvlam/dialogs"
)

// Update is a Telegram update as it arrived, with the two ids the pipeline
// routes by. The raw JSON is kept, so nothing is lost in translation.
type Update struct {
	ID     int64
	ChatID int64 // 0 when the update has no private chat
	Raw    []byte
}

// ParseUpdate reads the ids of a raw update.
func ParseUpdate(raw []byte) (Update, error) {
	var u models.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		return Update{}, fmt.Errorf("parse update: %w", err)
	}
	if u.ID <= 0 {
		return Update{}, fmt.Errorf("parse update: no update_id")
	}
	return Update{ID: u.ID, ChatID: privateChat(&u), Raw: raw}, nil
}

// privateChat is the chat the update belongs to. Groups and channels are
// not for clients: they get 0 and are dropped.
func privateChat(u *models.Update) int64 {
	var chat *models.Chat
	switch {
	case u.Message != nil:
		chat = &u.Message.Chat
	case u.EditedMessage != nil:
		chat = &u.EditedMessage.Chat
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message.Message; m != nil {
			chat = &m.Chat
		} else if im := u.CallbackQuery.Message.InaccessibleMessage; im != nil {
			chat = &im.Chat
		} else {
			return u.CallbackQuery.From.ID
		}
	case u.MyChatMember != nil:
		chat = &u.MyChatMember.Chat
	}
	if chat == nil || chat.Type != models.ChatTypePrivate {
		return 0
	}
	return chat.ID
}

// ToEvent turns a raw update into a dialog event. ok is false for updates
// that need no dialog at all.
func ToEvent(raw []byte) (ev dialogs.Event, ok bool, err error) {
	var u models.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		return dialogs.Event{}, false, fmt.Errorf("decode update: %w", err)
	}
	if u.ID <= 0 {
		return dialogs.Event{}, false, fmt.Errorf("decode update: no update_id")
	}
	ev = dialogs.Event{UpdateID: u.ID, ChatID: privateChat(&u)}
	if ev.ChatID == 0 {
		return ev, false, nil
	}
	switch {
	case u.Message != nil:
		fromMessage(&ev, u.Message)
	case u.EditedMessage != nil:
		ev.Kind = dialogs.KindEdited
		ev.MessageID = u.EditedMessage.ID
		// The new words are checked for concerns like any message: a client
		// may edit a harmless message into a cry for help.
		ev.Text = u.EditedMessage.Text
		if ev.Text == "" {
			ev.Text = u.EditedMessage.Caption
		}
		ev.Time = time.Unix(int64(u.EditedMessage.EditDate), 0)
		ev.LangHint = lang(u.EditedMessage.From)
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		ev.Kind = dialogs.KindButton
		ev.CallbackID = q.ID
		ev.Data = q.Data
		ev.LangHint = lang(&q.From)
		if m := q.Message.Message; m != nil {
			ev.MessageID = m.ID
		}
	case u.MyChatMember != nil:
		if s := u.MyChatMember.NewChatMember.Type; s == models.ChatMemberTypeBanned || s == models.ChatMemberTypeLeft {
			ev.Kind = dialogs.KindBlocked
			return ev, true, nil
		}
		return ev, false, nil
	default:
		return ev, false, nil
	}
	return ev, true, nil
}

func lang(u *models.User) string {
	if u == nil {
		return ""
	}
	l, _, _ := strings.Cut(u.LanguageCode, "-")
	return l
}

func fromMessage(ev *dialogs.Event, m *models.Message) {
	ev.MessageID = m.ID
	ev.Time = time.Unix(int64(m.Date), 0)
	ev.LangHint = lang(m.From)
	ev.Text = m.Text
	switch {
	case strings.HasPrefix(m.Text, "/"):
		ev.Kind = dialogs.KindCommand
		cmd, args, _ := strings.Cut(strings.TrimPrefix(m.Text, "/"), " ")
		cmd, _, _ = strings.Cut(cmd, "@") // "/start@WaakvlamBot"
		ev.Command = strings.ToLower(cmd)
		ev.Args = strings.TrimSpace(args)
	case m.Text != "":
		ev.Kind = dialogs.KindText
	case m.Sticker != nil || m.Animation != nil || m.Dice != nil:
		ev.Kind = dialogs.KindSticker
	case len(m.Photo) > 0:
		p := m.Photo[len(m.Photo)-1] // the largest size
		ev.Kind, ev.Text = dialogs.KindMedia, m.Caption
		ev.Media = &dialogs.Media{Type: "photo", FileID: p.FileID, Size: int64(p.FileSize), MIME: "image/jpeg"}
	case m.Document != nil:
		ev.Kind, ev.Text = dialogs.KindMedia, m.Caption
		ev.Media = &dialogs.Media{Type: "document", FileID: m.Document.FileID, FileName: m.Document.FileName, MIME: m.Document.MimeType, Size: m.Document.FileSize}
	case m.Voice != nil:
		ev.Kind, ev.Text = dialogs.KindMedia, m.Caption
		ev.Media = &dialogs.Media{Type: "voice", FileID: m.Voice.FileID, MIME: m.Voice.MimeType, Size: m.Voice.FileSize}
	case m.Audio != nil:
		ev.Kind, ev.Text = dialogs.KindMedia, m.Caption
		ev.Media = &dialogs.Media{Type: "audio", FileID: m.Audio.FileID, FileName: m.Audio.FileName, MIME: m.Audio.MimeType, Size: m.Audio.FileSize}
	case m.Video != nil:
		ev.Kind, ev.Text = dialogs.KindMedia, m.Caption
		ev.Media = &dialogs.Media{Type: "video", FileID: m.Video.FileID, FileName: m.Video.FileName, MIME: m.Video.MimeType, Size: m.Video.FileSize}
	case m.VideoNote != nil:
		ev.Kind = dialogs.KindMedia
		ev.Media = &dialogs.Media{Type: "video_note", FileID: m.VideoNote.FileID, Size: int64(m.VideoNote.FileSize)}
	case m.Location != nil:
		ev.Kind = dialogs.KindLocation
		ev.Location = &dialogs.Location{Lat: m.Location.Latitude, Lon: m.Location.Longitude}
	case m.Contact != nil:
		ev.Kind = dialogs.KindContact
		ev.Contact = &dialogs.Contact{Name: strings.TrimSpace(m.Contact.FirstName + " " + m.Contact.LastName), Phone: m.Contact.PhoneNumber}
	default:
		ev.Kind = dialogs.KindUnsupported
	}
}
