package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/mattermost/mattermost-server/v6/model"
)

// ErrFileTooLarge matches (errors.Is) an upload that Mattermost refused with
// 413 Request Entity Too Large. Retrying the same file will not help.
var ErrFileTooLarge = errors.New("mattermost: file too large")

// Error is what every Client method returns on failure: the operation, the
// HTTP status when the server answered, and Mattermost's error id. Its text
// holds ids and statuses only, never message text, file names or user names
// (Mattermost's own error messages may contain those, so they are left out).
type Error struct {
	Op     string // what was being done, e.g. "create post"
	Status int    // HTTP status; 0 when no answer came (network, timeout)
	ID     string // Mattermost's error id, e.g. "api.context.permissions.app_error"
	Err    error  // the underlying error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		if e.ID != "" {
			return fmt.Sprintf("mattermost: %s: HTTP %d (%s)", e.Op, e.Status, e.ID)
		}
		return fmt.Sprintf("mattermost: %s: HTTP %d", e.Op, e.Status)
	}
	cause := e.Err
	var ue *url.Error // its text carries the request URL, which may hold a user name
	if errors.As(cause, &ue) {
		cause = ue.Err
	}
	var ae *model.AppError
	if errors.As(cause, &ae) {
		// Only raised without an HTTP status for WebSocket failures, whose
		// detail is a network error.
		return fmt.Sprintf("mattermost: %s: unreachable: %s", e.Op, ae.DetailedError)
	}
	return fmt.Sprintf("mattermost: %s: unreachable: %v", e.Op, cause)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrFileTooLarge) true for a 413 answer.
func (e *Error) Is(target error) bool {
	return target == ErrFileTooLarge && e.Status == http.StatusRequestEntityTooLarge
}

// IsUnavailable reports whether err means Mattermost could not be reached or
// failed on its side (network error, timeout, 5xx, 429, 408): the same call
// may succeed later, so retry it. Any other 4xx means Mattermost refused the
// request (bad token, no permission, not found, invalid input); retrying the
// same request will not help. A cancelled context is neither: the caller is
// stopping.
func IsUnavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		switch {
		case e.Status == 0:
			return true
		case e.Status >= 500, e.Status == http.StatusTooManyRequests, e.Status == http.StatusRequestTimeout:
			return true
		default:
			return false
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// StatusCode returns the HTTP status in err, or 0 when there is none.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// wrap turns what a model.Client4 call returned into an *Error.
func wrap(op string, resp *model.Response, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Err: err}
	var ae *model.AppError
	isApp := errors.As(err, &ae)
	if isApp {
		e.ID = ae.Id
	}
	switch {
	case resp != nil && resp.StatusCode != 0:
		e.Status = resp.StatusCode
	case isApp && ae.Id != "model.websocket_client.connect_fail.app_error":
		// Checked by the client before sending (bad id: 400) or a body it
		// could not decode (500).
		e.Status = ae.StatusCode
	}
	return e
}
