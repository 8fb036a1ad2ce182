package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/internal/redact"
)

// Outgoing is one call to Telegram as it waits in the outbox.
type Outgoing struct {
	Op         string           `json:"op"` // "message", "answer", "clear"
	ChatID     int64            `json:"chat"`
	Text       string           `json:"text,omitempty"`
	Keyboard   dialogs.Keyboard `json:"kb,omitempty"`
	CallbackID string           `json:"cb,omitempty"`
	MessageID  int              `json:"msg,omitempty"`
	Key        string           `json:"key,omitempty"` // locale key, for tests and figures
	File       *dialogs.FileRef `json:"file,omitempty"`
	Report     string           `json:"report,omitempty"` // coach post to report delivery on
	Client     string           `json:"client,omitempty"` // whose message this is, for the report
	// Data is the file's content, fetched just before sending; never stored.
	Data []byte `json:"-"`
}

// Outgoing operations.
const (
	OpMessage = "message"
	OpAnswer  = "answer"
	OpClear   = "clear"
	OpFile    = "file"
)

// MaxUpload is the largest file the Bot API accepts from a bot (50 MB);
// MaxDownload the largest it lets a bot download (20 MB).
const (
	MaxUpload   = 50 << 20
	MaxDownload = 20 << 20
)

// SendError says how a failed send should be handled.
type SendError struct {
	Err        error
	Permanent  bool          // 400/403: retrying will not help
	RetryAfter time.Duration // 429: wait this long
}

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// Telegram sends messages through the Bot API.
type Telegram struct {
	b    *tg.Bot
	http *http.Client
	// rd masks the token in every error: the Bot API puts it in each URL,
	// and Go's *url.Error, a proxy's error page echoed in a decode error or
	// a malformed file path all carry the URL.
	rd *redact.Redactor
}

// Redactor masks a bot token (and its secret half) in texts.
func Redactor(token string) *redact.Redactor {
	_, part, _ := strings.Cut(token, ":")
	return redact.New(token, part)
}

// NewTelegram connects to the Bot API at serverURL ("" for the public one)
// without calling getMe, so that a process can start while Telegram is away.
func NewTelegram(token, serverURL string, hc *http.Client) (*Telegram, error) {
	rd := Redactor(token)
	opts := []tg.Option{tg.WithSkipGetMe(),
		// The library's own errors (by default on the standard logger).
		tg.WithErrorsHandler(func(err error) { slog.Warn("telegram client", "err", rd.Error(err)) }),
		tg.WithDebugHandler(func(string, ...any) {})}
	if serverURL != "" {
		opts = append(opts, tg.WithServerURL(serverURL))
	}
	if hc != nil {
		opts = append(opts, tg.WithHTTPClient(time.Minute, hc))
	}
	b, err := tg.New(token, opts...)
	if err != nil {
		return nil, rd.Error(fmt.Errorf("telegram client: %w", err))
	}
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	return &Telegram{b: b, http: hc, rd: rd}, nil
}

// Username asks Telegram for the bot's username.
func (t *Telegram) Username(ctx context.Context) (string, error) {
	me, err := t.b.GetMe(ctx)
	if err != nil {
		return "", t.rd.Error(fmt.Errorf("get bot name: %w", err))
	}
	return me.Username, nil
}

// Send carries out one outgoing operation.
func (t *Telegram) Send(ctx context.Context, o Outgoing) error {
	var err error
	switch o.Op {
	case OpAnswer:
		_, err = t.b.AnswerCallbackQuery(ctx, &tg.AnswerCallbackQueryParams{CallbackQueryID: o.CallbackID, Text: o.Text})
		if err != nil && errors.Is(err, tg.ErrorBadRequest) {
			// The query is too old to answer; the reply itself still goes out.
			return nil
		}
	case OpClear:
		_, err = t.b.EditMessageReplyMarkup(ctx, &tg.EditMessageReplyMarkupParams{ChatID: o.ChatID, MessageID: o.MessageID, ReplyMarkup: models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}})
		if err != nil && errors.Is(err, tg.ErrorBadRequest) {
			// Already cleared or too old: nothing to do.
			return nil
		}
	case OpFile:
		err = t.sendFile(ctx, o)
	default:
		_, err = t.b.SendMessage(ctx, &tg.SendMessageParams{ChatID: o.ChatID, Text: o.Text, ReplyMarkup: markup(o.Keyboard)})
	}
	return classify(t.rd.Error(err))
}

func classify(err error) error {
	if err == nil {
		return nil
	}
	var tmr *tg.TooManyRequestsError
	switch {
	case errors.As(err, &tmr):
		return &SendError{Err: err, RetryAfter: time.Duration(tmr.RetryAfter) * time.Second}
	case errors.Is(err, tg.ErrorForbidden), errors.Is(err, tg.ErrorBadRequest), errors.Is(err, tg.ErrorNotFound):
		return &SendError{Err: err, Permanent: true}
	}
	return &SendError{Err: err}
}

func markup(k dialogs.Keyboard) models.ReplyMarkup {
	switch k.Kind {
	case dialogs.MenuKeyboard:
		rows := make([][]models.KeyboardButton, len(k.Rows))
		for i, r := range k.Rows {
			for _, b := range r {
				rows[i] = append(rows[i], models.KeyboardButton{Text: b.Text})
			}
		}
		return &models.ReplyKeyboardMarkup{Keyboard: rows, ResizeKeyboard: true, IsPersistent: true}
	case dialogs.InlineKeyboard:
		rows := make([][]models.InlineKeyboardButton, len(k.Rows))
		for i, r := range k.Rows {
			for _, b := range r {
				rows[i] = append(rows[i], models.InlineKeyboardButton{Text: b.Text, CallbackData: b.Data})
			}
		}
		return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
	case dialogs.RemoveKeyboard:
		return &models.ReplyKeyboardRemove{RemoveKeyboard: true}
	}
	return nil
}

// Command is one entry of the bot's command menu.
type Command struct{ Name, Description string }

// SetCommands sets the command menu for one language ("" for the default).
func (t *Telegram) SetCommands(ctx context.Context, lang string, cmds []Command) error {
	bc := make([]models.BotCommand, len(cmds))
	for i, c := range cmds {
		bc[i] = models.BotCommand{Command: c.Name, Description: c.Description}
	}
	if _, err := t.b.SetMyCommands(ctx, &tg.SetMyCommandsParams{Commands: bc, LanguageCode: lang}); err != nil {
		return t.rd.Error(fmt.Errorf("set commands %q: %w", lang, err))
	}
	return nil
}

// SetWebhook points Telegram at our webhook with its secret.
func (t *Telegram) SetWebhook(ctx context.Context, url, secret string) error {
	if _, err := t.b.SetWebhook(ctx, &tg.SetWebhookParams{URL: url, SecretToken: secret, AllowedUpdates: allowedUpdates}); err != nil {
		return t.rd.Error(fmt.Errorf("set webhook: %w", err))
	}
	return nil
}

// DeleteWebhook switches Telegram back to getUpdates.
func (t *Telegram) DeleteWebhook(ctx context.Context) error {
	if _, err := t.b.DeleteWebhook(ctx, &tg.DeleteWebhookParams{}); err != nil {
		return t.rd.Error(fmt.Errorf("delete webhook: %w", err))
	}
	return nil
}

var allowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member"}

func (t *Telegram) sendFile(ctx context.Context, o Outgoing) error {
	if o.File == nil {
		return &SendError{Err: errors.New("file message without file"), Permanent: true}
	}
	if len(o.Data) > MaxUpload {
		return &SendError{Err: ErrTooLarge, Permanent: true}
	}
	name := o.File.Name
	if name == "" {
		name = "bestand"
	}
	in := &models.InputFileUpload{Filename: name, Data: bytes.NewReader(o.Data)}
	var err error
	switch {
	case strings.HasPrefix(o.File.MIME, "image/") && o.File.MIME != "image/gif" && len(o.Data) <= 10<<20:
		_, err = t.b.SendPhoto(ctx, &tg.SendPhotoParams{ChatID: o.ChatID, Photo: in, Caption: o.Text})
	case o.File.MIME == "audio/ogg":
		_, err = t.b.SendVoice(ctx, &tg.SendVoiceParams{ChatID: o.ChatID, Voice: in, Caption: o.Text})
	default:
		_, err = t.b.SendDocument(ctx, &tg.SendDocumentParams{ChatID: o.ChatID, Document: in, Caption: o.Text})
	}
	return err
}

// ErrTooLarge means a file is over Telegram's size limit.
var ErrTooLarge = errors.New("file too large for Telegram")

// Download fetches a file a client sent. Files over MaxDownload cannot be
// fetched through the Bot API and give ErrTooLarge.
func (t *Telegram) Download(ctx context.Context, fileID string) ([]byte, error) {
	data, err := t.download(ctx, fileID)
	return data, t.rd.Error(err)
}

func (t *Telegram) download(ctx context.Context, fileID string) ([]byte, error) {
	f, err := t.b.GetFile(ctx, &tg.GetFileParams{FileID: fileID})
	if err != nil {
		if errors.Is(err, tg.ErrorBadRequest) && strings.Contains(strings.ToLower(err.Error()), "too big") {
			return nil, ErrTooLarge
		}
		return nil, fmt.Errorf("get file: %w", err)
	}
	if f.FileSize > MaxDownload {
		return nil, ErrTooLarge
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.b.FileDownloadLink(f), nil)
	if err != nil {
		return nil, fmt.Errorf("download file: %w", err)
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download file: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download file: status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("download file: %w", err)
	}
	if len(data) > MaxDownload {
		return nil, ErrTooLarge
	}
	return data, nil
}
