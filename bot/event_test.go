package bot

import (
	"testing"

	"github.com/waakvlam/waakvlam/dialogs"
)

func TestToEvent(t *testing.T) {
	const chat = `"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"x","language_code":"en-GB"}`
	tests := []struct {
		name    string
		raw     string
		ok      bool
		kind    dialogs.Kind
		check   func(dialogs.Event) bool
		chatID  int64
		comment string
	}{
		{"text", `{"update_id":1,"message":{"message_id":2,"date":1,` + chat + `,"text":"hoi"}}`, true, dialogs.KindText, func(e dialogs.Event) bool { return e.Text == "hoi" && e.LangHint == "en" }, 5, ""},
		{"start with code", `{"update_id":1,"message":{"message_id":2,"date":1,` + chat + `,"text":"/start@WaakBot  K7M2 "}}`, true, dialogs.KindCommand, func(e dialogs.Event) bool { return e.Command == "start" && e.Args == "K7M2" }, 5, ""},
		{"upper command", `{"update_id":1,"message":{"message_id":2,"date":1,` + chat + `,"text":"/HELP"}}`, true, dialogs.KindCommand, func(e dialogs.Event) bool { return e.Command == "help" }, 5, ""},
		{"sticker", `{"update_id":1,"message":{"message_id":2,"date":1,` + chat + `,"sticker":{"file_id":"s","file_unique_id":"u","type":"regular","width":1,"height":1,"is_animated":false,"is_video":false}}}`, true, dialogs.KindSticker, nil, 5, ""},
		{"photo takes largest", `{"update_id":1,"message":{"message_id":2,"date":1,` + chat + `,"caption":"brief","photo":[{"file_id":"small","file_unique_id":"a","width":1,"height":1},{"file_id":"big","file_unique_id":"b","width":9,"height":9}]}}`, true, dialogs.KindMedia, func(e dialogs.Event) bool { return e.Media.FileID == "big" && e.Text == "brief" }, 5, ""},
		{"voice", `{"update_id":1,"message":{"message_id":2,"date":1,` + chat + `,"voice":{"file_id":"v","file_unique_id":"u","duration":3,"mime_type":"audio/ogg"}}}`, true, dialogs.KindMedia, func(e dialogs.Event) bool { return e.Media.Type == "voice" }, 5, ""},
		{"location", `{"update_id":1,"message":{"message_id":2,"date":1,` + chat + `,"location":{"latitude":52.1,"longitude":5.1}}}`, true, dialogs.KindLocation, func(e dialogs.Event) bool { return e.Location.Lat == 52.1 }, 5, ""},
		{"poll", `{"update_id":1,"message":{"message_id":2,"date":1,` + chat + `,"poll":{"id":"p","question":"q","options":[],"total_voter_count":0,"is_closed":false,"is_anonymous":true,"type":"regular","allows_multiple_answers":false}}}`, true, dialogs.KindUnsupported, nil, 5, ""},
		{"edit", `{"update_id":1,"edited_message":{"message_id":2,"date":1,"edit_date":3,` + chat + `,"text":"x"}}`, true, dialogs.KindEdited, func(e dialogs.Event) bool { return e.Text == "x" }, 5, ""},
		{"button", `{"update_id":1,"callback_query":{"id":"q","from":{"id":5,"is_bot":false,"first_name":"x"},"chat_instance":"c","data":"stop:yes","message":{"message_id":9,"date":1,"chat":{"id":5,"type":"private"}}}}`, true, dialogs.KindButton, func(e dialogs.Event) bool { return e.Data == "stop:yes" && e.MessageID == 9 && e.CallbackID == "q" }, 5, ""},
		{"button on old message", `{"update_id":1,"callback_query":{"id":"q","from":{"id":5,"is_bot":false,"first_name":"x"},"chat_instance":"c","data":"x","message":{"message_id":9,"date":0,"chat":{"id":5,"type":"private"}}}}`, true, dialogs.KindButton, nil, 5, ""},
		{"blocked", `{"update_id":1,"my_chat_member":{"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"x"},"date":1,"old_chat_member":{"status":"member","user":{"id":1,"is_bot":true,"first_name":"b"}},"new_chat_member":{"status":"kicked","until_date":0,"user":{"id":1,"is_bot":true,"first_name":"b"}}}}`, true, dialogs.KindBlocked, nil, 5, ""},
		{"group message dropped", `{"update_id":1,"message":{"message_id":2,"date":1,"chat":{"id":-100,"type":"group"},"text":"hoi"}}`, false, 0, nil, 0, ""},
		{"inline query dropped", `{"update_id":1,"inline_query":{"id":"i","from":{"id":5,"is_bot":false,"first_name":"x"},"query":"","offset":""}}`, false, 0, nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok, err := ToEvent([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			if ev.Kind != tt.kind || ev.ChatID != tt.chatID {
				t.Fatalf("kind %v chat %d", ev.Kind, ev.ChatID)
			}
			if tt.check != nil && !tt.check(ev) {
				t.Fatalf("event %+v", ev)
			}
		})
	}
}

func TestParseUpdateRefusesGarbage(t *testing.T) {
	for _, raw := range []string{``, `{}`, `{"update_id":0}`, `[1,2]`, `{"update_id":"x"}`} {
		if _, err := ParseUpdate([]byte(raw)); err == nil {
			t.Errorf("%q accepted", raw)
		}
	}
}

func FuzzToEvent(f *testing.F) {
	f.Add([]byte(`{"update_id":1,"message":{"message_id":2,"date":1,"chat":{"id":5,"type":"private"},"text":"/start X"}}`))
	f.Add([]byte(`{"update_id":1,"callback_query":{"id":"q","from":{"id":5},"data":"x","message":{"message_id":9,"date":0,"chat":{"id":5,"type":"private"}}}}`))
	f.Add([]byte(`{"update_id":7,"edited_message":{"chat":{"id":1,"type":"private"}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		u, err := ParseUpdate(raw)
		ev, ok, err2 := ToEvent(raw)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("ParseUpdate and ToEvent disagree: %v / %v", err, err2)
		}
		if ok && (ev.ChatID == 0 || ev.ChatID != u.ChatID) {
			t.Fatalf("event chat %d, update chat %d", ev.ChatID, u.ChatID)
		}
	})
}
