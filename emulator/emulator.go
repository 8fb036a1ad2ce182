// Package emulator is an in-process Telegram Bot API server. It speaks the
// Bot API wire format for the methods Waakvlam uses, plays the client's
// phone (typed messages, pressed buttons) and records what the bot sent.
// The demo runs on it and the tests use it as a strict fake: an unknown
// method or a malformed request is recorded as a protocol error.
package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Button is an inline button as the bot sent it.
type Button struct{ Text, Data string }

// Message is one call the bot made that the client can see or that changes
// what the client sees.
type Message struct {
	Method         string
	ChatID         int64
	MessageID      int
	Text           string
	Menu           [][]string // reply keyboard
	Inline         [][]Button // inline keyboard
	RemoveKeyboard bool
	CallbackID     string
	FileName       string // for sendPhoto, sendDocument, sendVoice
	FileData       []byte
	At             time.Time
}

// Failure makes the next calls of a method fail.
type Failure struct {
	Code       int // 429, 500, 403, ...
	RetryAfter int // seconds, for 429
	Times      int
}

// Server is the emulated Bot API.
type Server struct {
	Token    string
	Username string

	mu         sync.Mutex
	updates    []update
	nextUpdate int64
	nextMsg    int
	sent       []Message
	errs       []string
	commands   map[string][]string
	webhook    string
	polls      int // getUpdates calls in flight: Telegram allows one per token (409)
	failures   map[string]*Failure
	notify     chan struct{}
	onSend     func(Message)
	calls      map[string]int
	langs      map[int64]string
	// Limit, when set, is asked before every call that sends to a chat; a
	// positive answer makes the call fail with 429 and that retry_after,
	// as Telegram does when a bot sends too fast.
	Limit   func(method string, chatID int64, now time.Time) (retryAfter int)
	limited int
	files   map[string]file
}

type file struct {
	name string
	data []byte
}

// AddFile makes a file available under fileID, as if a client had sent it.
func (s *Server) AddFile(fileID, name string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[fileID] = file{name: name, data: data}
}

// Limited returns how many calls were answered with 429 by Limit.
func (s *Server) Limited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

type update struct {
	id  int64
	raw json.RawMessage
}

// New returns an emulator for token.
func New(token string) *Server {
	return &Server{Token: token, Username: "WaakvlamDemoBot", nextUpdate: 100, nextMsg: 1,
		commands: map[string][]string{}, failures: map[string]*Failure{}, notify: make(chan struct{}),
		calls: map[string]int{}, langs: map[int64]string{}, files: map[string]file{}}
}

// OnSend registers a function called for every message the bot sends.
func (s *Server) OnSend(f func(Message)) { s.mu.Lock(); s.onSend = f; s.mu.Unlock() }

// Fail makes the next f.Times calls of method fail with f.Code.
func (s *Server) Fail(method string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = &f
}

// SetLanguage sets the language code the client's app reports.
func (s *Server) SetLanguage(chatID int64, lang string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.langs[chatID] = lang
}

// Sent returns a copy of everything the bot sent.
func (s *Server) Sent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.sent...)
}

// Errors returns the protocol errors seen: unknown methods, bad requests.
func (s *Server) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

// Calls returns how often a method was called.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Commands returns the command menu set for a language ("" default).
func (s *Server) Commands(lang string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[lang]
}

// Pending returns how many updates wait for getUpdates.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// WaitSent waits until at least n messages were sent or timeout passes.
func (s *Server) WaitSent(n int, timeout time.Duration) []Message {
	deadline := time.Now().Add(timeout)
	for {
		got := s.Sent()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *Server) push(chatID int64, body map[string]any) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdate++
	body["update_id"] = s.nextUpdate
	raw, _ := json.Marshal(body)
	s.updates = append(s.updates, update{id: s.nextUpdate, raw: raw})
	close(s.notify)
	s.notify = make(chan struct{})
	return s.nextUpdate
}

func (s *Server) from(chatID int64) map[string]any {
	lang := s.langs[chatID]
	if lang == "" {
		lang = "nl"
	}
	return map[string]any{"id": chatID, "is_bot": false, "first_name": "Client", "language_code": lang}
}

func (s *Server) message(chatID int64, extra map[string]any) map[string]any {
	s.mu.Lock()
	s.nextMsg++
	id := s.nextMsg
	from := s.from(chatID)
	s.mu.Unlock()
	m := map[string]any{"message_id": id, "date": time.Now().Unix(), "from": from,
		"chat": map[string]any{"id": chatID, "type": "private", "first_name": "Client"}}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// UserSays queues a text message from the client; it returns the update id.
func (s *Server) UserSays(chatID int64, text string) int64 {
	extra := map[string]any{"text": text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		extra["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len(cmd)}}
	}
	return s.push(chatID, map[string]any{"message": s.message(chatID, extra)})
}

// UserSends queues a message with the given fields (sticker, photo, ...).
func (s *Server) UserSends(chatID int64, fields map[string]any) int64 {
	return s.push(chatID, map[string]any{"message": s.message(chatID, fields)})
}

// UserEdits queues an edit of an earlier message.
func (s *Server) UserEdits(chatID int64, text string) int64 {
	m := s.message(chatID, map[string]any{"text": text, "edit_date": time.Now().Unix()})
	return s.push(chatID, map[string]any{"edited_message": m})
}

// UserPresses queues a press on an inline button under messageID.
func (s *Server) UserPresses(chatID int64, messageID int, data string) int64 {
	s.mu.Lock()
	from := s.from(chatID)
	s.nextMsg++
	qid := "q" + strconv.Itoa(s.nextMsg)
	s.mu.Unlock()
	return s.push(chatID, map[string]any{"callback_query": map[string]any{
		"id": qid, "from": from, "chat_instance": "ci", "data": data,
		"message": map[string]any{"message_id": messageID, "date": time.Now().Unix(),
			"chat": map[string]any{"id": chatID, "type": "private"}},
	}})
}

// UserBlocks queues the update Telegram sends when the client blocks the bot.
func (s *Server) UserBlocks(chatID int64) int64 {
	s.mu.Lock()
	from := s.from(chatID)
	s.mu.Unlock()
	return s.push(chatID, map[string]any{"my_chat_member": map[string]any{
		"chat": map[string]any{"id": chatID, "type": "private"}, "from": from, "date": time.Now().Unix(),
		"old_chat_member": map[string]any{"status": "member", "user": map[string]any{"id": 1, "is_bot": true, "first_name": "bot"}},
		"new_chat_member": map[string]any{"status": "kicked", "until_date": 0, "user": map[string]any{"id": 1, "is_bot": true, "first_name": "bot"}},
	}})
}

// RawUpdate returns the JSON of a queued update, for webhook tests.
func (s *Server) RawUpdate(id int64) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.updates {
		if u.id == id {
			return u.raw
		}
	}
	return nil
}

var sendsToChat = map[string]bool{"sendMessage": true, "sendPhoto": true, "sendDocument": true, "sendVoice": true}

// ServeHTTP answers /bot<token>/<method>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if path, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+s.Token+"/"); ok {
		s.download(w, path)
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+s.Token+"/")
	if !ok {
		s.fail(w, http.StatusUnauthorized, "Unauthorized", "request to %s without the bot token", r.URL.Path)
		return
	}
	params, err := readParams(r)
	if err != nil {
		s.fail(w, http.StatusBadRequest, "Bad Request: "+err.Error(), "%s: %v", method, err)
		return
	}
	s.mu.Lock()
	s.calls[method]++
	if f := s.failures[method]; f != nil && f.Times > 0 {
		f.Times--
		s.mu.Unlock()
		resp := map[string]any{"ok": false, "error_code": f.Code, "description": http.StatusText(f.Code)}
		if f.Code == http.StatusTooManyRequests {
			resp["description"] = "Too Many Requests: retry after " + strconv.Itoa(f.RetryAfter)
			resp["parameters"] = map[string]any{"retry_after": f.RetryAfter}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Code)
		_ = json.NewEncoder(w).Encode(resp)
		return
	}
	limit := s.Limit
	s.mu.Unlock()
	if limit != nil && sendsToChat[method] {
		chat, _ := strconv.ParseInt(params["chat_id"], 10, 64)
		if ra := limit(method, chat, time.Now()); ra > 0 {
			s.mu.Lock()
			s.limited++
			s.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error_code": 429,
				"description": "Too Many Requests: retry after " + strconv.Itoa(ra), "parameters": map[string]any{"retry_after": ra}})
			return
		}
	}
	switch method {
	case "getMe":
		s.ok(w, map[string]any{"id": 1, "is_bot": true, "first_name": "Waakvlam", "username": s.Username})
	case "getUpdates":
		s.getUpdates(w, r.Context(), params)
	case "sendMessage":
		s.sendMessage(w, params)
	case "sendPhoto", "sendDocument", "sendVoice":
		s.sendFile(w, r, method, params)
	case "getFile":
		s.mu.Lock()
		f, ok := s.files[params["file_id"]]
		s.mu.Unlock()
		if !ok {
			s.fail(w, 400, "Bad Request: invalid file_id", "getFile for unknown file")
			return
		}
		s.ok(w, map[string]any{"file_id": params["file_id"], "file_unique_id": "u" + params["file_id"], "file_size": len(f.data), "file_path": "files/" + params["file_id"]})
	case "answerCallbackQuery":
		if params["callback_query_id"] == "" {
			s.fail(w, 400, "Bad Request: query id missing", "answerCallbackQuery without callback_query_id")
			return
		}
		s.record(Message{Method: method, CallbackID: params["callback_query_id"], Text: params["text"]})
		s.ok(w, true)
	case "editMessageReplyMarkup":
		chat, err1 := strconv.ParseInt(params["chat_id"], 10, 64)
		msg, err2 := strconv.Atoi(params["message_id"])
		if err1 != nil || err2 != nil {
			s.fail(w, 400, "Bad Request: chat_id and message_id needed", "editMessageReplyMarkup bad ids")
			return
		}
		s.record(Message{Method: method, ChatID: chat, MessageID: msg})
		// Telegram answers an edit of a chat message with the message itself.
		s.ok(w, map[string]any{"message_id": msg, "date": time.Now().Unix(), "chat": map[string]any{"id": chat, "type": "private"}})
	case "setMyCommands":
		var cmds []struct{ Command, Description string }
		if err := json.Unmarshal([]byte(params["commands"]), &cmds); err != nil || len(cmds) == 0 {
			s.fail(w, 400, "Bad Request: commands", "setMyCommands: %v", err)
			return
		}
		s.mu.Lock()
		var names []string
		for _, c := range cmds {
			names = append(names, c.Command+" - "+c.Description)
		}
		s.commands[params["language_code"]] = names
		s.mu.Unlock()
		s.ok(w, true)
	case "setWebhook":
		s.mu.Lock()
		s.webhook = params["url"]
		s.mu.Unlock()
		s.ok(w, true)
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook = ""
		s.mu.Unlock()
		s.ok(w, true)
	default:
		s.fail(w, http.StatusNotFound, "Not Found", "unknown method %q", method)
	}
}

// pollOverlapGrace is how long a second getUpdates waits for a first one
// whose client went away to be noticed as ended.
const pollOverlapGrace = 500 * time.Millisecond

func (s *Server) getUpdates(w http.ResponseWriter, ctx context.Context, params map[string]string) {
	s.mu.Lock()
	hook := s.webhook
	s.mu.Unlock()
	if hook != "" {
		s.fail(w, http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active", "getUpdates while a webhook is set")
		return
	}
	s.mu.Lock()
	s.polls++
	two := s.polls > 1
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.polls--; s.mu.Unlock() }()
	// A poller that cancelled its request and polls again at once (after a
	// lease hiccup) is no second poller: its old connection is closed, and
	// the server notices within milliseconds. Only a poll that is still
	// open after pollOverlapGrace counts as two pollers at once.
	for wait := time.Now().Add(pollOverlapGrace); two && time.Now().Before(wait); {
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
		s.mu.Lock()
		two = s.polls > 1
		s.mu.Unlock()
	}
	if two {
		s.fail(w, http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
			"two getUpdates at once (one poller per token)")
		return
	}
	offset, _ := strconv.ParseInt(params["offset"], 10, 64)
	timeout, _ := strconv.Atoi(params["timeout"])
	limit, _ := strconv.Atoi(params["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	deadline := time.Now().Add(time.Duration(timeout) * time.Second)
	for {
		s.mu.Lock()
		// Telegram forgets updates below the offset: they are confirmed.
		kept := s.updates[:0]
		for _, u := range s.updates {
			if u.id >= offset {
				kept = append(kept, u)
			}
		}
		s.updates = kept
		n := min(len(kept), limit)
		out := make([]json.RawMessage, n)
		for i := 0; i < n; i++ {
			out[i] = kept[i].raw
		}
		wait := s.notify
		s.mu.Unlock()
		if n > 0 || !time.Now().Before(deadline) {
			s.ok(w, out)
			return
		}
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wait:
		case <-t.C:
		}
		t.Stop()
	}
}

func (s *Server) sendMessage(w http.ResponseWriter, params map[string]string) {
	chat, err := strconv.ParseInt(params["chat_id"], 10, 64)
	if err != nil || params["text"] == "" {
		s.fail(w, 400, "Bad Request: chat_id and text needed", "sendMessage without chat_id or text")
		return
	}
	if n := len([]rune(params["text"])); n > 4096 {
		s.fail(w, 400, "Bad Request: message is too long", "sendMessage text of %d characters", n)
		return
	}
	m := Message{Method: "sendMessage", ChatID: chat, Text: params["text"]}
	if rm := params["reply_markup"]; rm != "" {
		var mk struct {
			Keyboard       [][]struct{ Text string } `json:"keyboard"`
			InlineKeyboard [][]struct {
				Text         string `json:"text"`
				CallbackData string `json:"callback_data"`
			} `json:"inline_keyboard"`
			RemoveKeyboard bool `json:"remove_keyboard"`
		}
		if err := json.Unmarshal([]byte(rm), &mk); err != nil {
			s.fail(w, 400, "Bad Request: can't parse reply keyboard markup JSON object", "sendMessage reply_markup: %v", err)
			return
		}
		for _, row := range mk.Keyboard {
			var r []string
			for _, b := range row {
				r = append(r, b.Text)
			}
			m.Menu = append(m.Menu, r)
		}
		for _, row := range mk.InlineKeyboard {
			var r []Button
			for _, b := range row {
				if len(b.CallbackData) > 64 {
					s.fail(w, 400, "Bad Request: BUTTON_DATA_INVALID", "callback_data over 64 bytes")
					return
				}
				r = append(r, Button{Text: b.Text, Data: b.CallbackData})
			}
			m.Inline = append(m.Inline, r)
		}
		m.RemoveKeyboard = mk.RemoveKeyboard
	}
	s.mu.Lock()
	s.nextMsg++
	m.MessageID = s.nextMsg
	s.mu.Unlock()
	s.record(m)
	s.ok(w, map[string]any{"message_id": m.MessageID, "date": time.Now().Unix(), "text": m.Text,
		"chat": map[string]any{"id": chat, "type": "private"}})
}

func (s *Server) record(m Message) {
	m.At = time.Now()
	s.mu.Lock()
	s.sent = append(s.sent, m)
	f := s.onSend
	s.mu.Unlock()
	if f != nil {
		f(m)
	}
}

func (s *Server) ok(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func (s *Server) fail(w http.ResponseWriter, code int, desc, format string, args ...any) {
	s.mu.Lock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error_code": code, "description": desc})
}

// readParams reads a Bot API request in any of its three encodings.
func readParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "", "application/x-www-form-urlencoded":
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			return nil, err
		}
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k := range vals {
			out[k] = vals.Get(k)
		}
		for k := range r.URL.Query() {
			out[k] = r.URL.Query().Get(k)
		}
	case "application/json":
		var m map[string]any
		if err := json.NewDecoder(io.LimitReader(r.Body, 10<<20)).Decode(&m); err != nil && err != io.EOF {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				out[k] = v
			default:
				b, _ := json.Marshal(v)
				out[k] = string(b)
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(20 << 20); err != nil {
			return nil, fmt.Errorf("bad form: %w", err)
		}
		for k, v := range r.MultipartForm.Value {
			if len(v) > 0 {
				out[k] = v[0]
			}
		}
	default:
		return nil, fmt.Errorf("unsupported content type %q", ct)
	}
	return out, nil
}

func (s *Server) download(w http.ResponseWriter, path string) {
	s.mu.Lock()
	f, ok := s.files[strings.TrimPrefix(path, "files/")]
	s.calls["download"]++
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, nil)
		return
	}
	_, _ = w.Write(f.data)
}

var fileField = map[string]string{"sendPhoto": "photo", "sendDocument": "document", "sendVoice": "voice"}

func (s *Server) sendFile(w http.ResponseWriter, r *http.Request, method string, params map[string]string) {
	chat, err := strconv.ParseInt(params["chat_id"], 10, 64)
	if err != nil {
		s.fail(w, 400, "Bad Request: chat_id needed", "%s without chat_id", method)
		return
	}
	if r.MultipartForm == nil || len(r.MultipartForm.File[fileField[method]]) == 0 {
		s.fail(w, 400, "Bad Request: there is no "+fileField[method]+" in the request", "%s without an uploaded file", method)
		return
	}
	fh := r.MultipartForm.File[fileField[method]][0]
	fr, err := fh.Open()
	if err != nil {
		s.fail(w, 400, "Bad Request: file", "%s: %v", method, err)
		return
	}
	data, _ := io.ReadAll(fr)
	_ = fr.Close()
	m := Message{Method: method, ChatID: chat, Text: params["caption"], FileName: fh.Filename, FileData: data}
	s.mu.Lock()
	s.nextMsg++
	m.MessageID = s.nextMsg
	s.mu.Unlock()
	s.record(m)
	s.ok(w, map[string]any{"message_id": m.MessageID, "date": time.Now().Unix(), "chat": map[string]any{"id": chat, "type": "private"}})
}
