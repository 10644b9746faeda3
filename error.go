package examhall

import (
	"errors"
	"fmt"
)

// Error codes. Each surface maps them to its own wire format; httpapi keeps the
// one table from code to HTTP status.
const (
	EINVALID      = "invalid"      // the request is malformed or breaks a rule (400)
	EUNAUTHORIZED = "unauthorized" // no valid credentials (401)
	EFORBIDDEN    = "forbidden"    // valid credentials, not allowed (403)
	ENOTFOUND     = "not_found"    // the thing does not exist (404)
	ECONFLICT     = "conflict"     // the state forbids it: duplicate, in use, already running (409)
	ETOOLARGE     = "too_large"    // body or batch over its limit (413)
	ETOOMANY      = "too_many"     // too many attempts; try again later (429)
	EUNAVAILABLE  = "unavailable"  // a provider is not configured or not reachable (503)
	EINTERNAL     = "internal"     // a bug or an infrastructure failure (500)
)

// Error is the one error type of examhall. Message is safe to show to callers;
// anything else (driver errors, stack context) stays in wrapped errors and logs.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("examhall error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return "" // before e is declared: errors.As makes it escape to the heap
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or
// "internal error" for any other non-nil error, so raw driver text never
// reaches a caller.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
