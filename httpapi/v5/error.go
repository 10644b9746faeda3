package v5

import (
	"errors"
	"fmt"
	"net/http"

	"examhall"
	"examhall/httpapi"
)

// Error codes of the open API (the errcode field, a string on the wire). The
// vendor's contract lists 40006, 40501, 40502 and 40803; the others are ours
// and stable: clients may branch on them.
const (
	CodeTokenMissing   = "40001" // no token parameter
	CodeTokenInvalid   = "40002" // the token is malformed, badly signed or its app is disabled
	CodeBadCredentials = "40003" // token.ashx: appid or secret missing or wrong
	CodeBadParameter   = "40004" // a malformed parameter or request body
	CodeUnknownAction  = "40005" // missing or unknown action, unknown path, method other than GET/POST
	CodeTokenExpired   = "40006" // vendor: the token is past its expiry
	CodeExamIDMissing  = "40007" // getExamGrade without examID
	CodeAccountEmpty   = "40501" // vendor: getUserExam without account
	CodeAccountUnknown = "40502" // vendor: getUserExam for an account that does not exist
	CodeExamUnknown    = "40803" // vendor: getExamGrade for an exam that does not exist or is a draft
	CodeInternal       = "50000" // a failure of ours; the only code sent with an HTTP 5xx status
)

// CodeDoc documents one error code.
type CodeDoc struct {
	Code    string // the errcode
	Message string // the errmsg, or its pattern
	Meaning string // when it is sent
	Vendor  bool   // listed by the vendor's contract (else ours)
}

// Codes documents every error code in numeric order, for the README. Every
// error answer is HTTP 200 except CodeInternal, which is HTTP 500 (503 when a
// dependency is unavailable).
var Codes = []CodeDoc{
	{CodeTokenMissing, "token参数不允许为空", "the token parameter is missing or empty", false},
	{CodeTokenInvalid, "AccessToken is invalid", "the token is malformed, badly signed, or its app is disabled", false},
	{CodeBadCredentials, "appid or secret is invalid", "token.ashx: appid or secret is missing or wrong, or the app is disabled", false},
	{CodeBadParameter, "<parameter> must be …", "pageIndex or pageSize is not a positive integer, pageSize is over 1000, the query is malformed, or the body is over 1 MiB or malformed", false},
	{CodeUnknownAction, "unknown action \"…\"", "action is missing or not one this path serves, the path is unknown, or the method is not GET or POST", false},
	{CodeTokenExpired, "AccessToken has expired", "the token is past its expiry: get a new one from token.ashx", true},
	{CodeExamIDMissing, "examID参数不允许为空", "getExamGrade without examID", false},
	{CodeAccountEmpty, "account参数不允许为空", "getUserExam without account", true},
	{CodeAccountUnknown, "account:[<account>]在考试云中不存在", "getUserExam for an unknown account", true},
	{CodeExamUnknown, "examID不存在,获取失败", "getExamGrade for an unknown or draft exam", true},
	{CodeInternal, "internal error", "a failure on our side (logged); HTTP 500", false},
}

// Error is an error answer of the open API: {"errcode": Code, "errmsg": Message}.
// Handlers return it for every failure that is the caller's; any other error
// is internal.
type Error struct {
	Code    string `json:"errcode"`
	Message string `json:"errmsg"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("open API error %s: %s", e.Code, e.Message)
}

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// apiError returns the answer for err and its HTTP status: 200 for an *Error,
// else CodeInternal with the status of err's domain code (500 unless the
// domain says unavailable) and a message safe to show.
func apiError(err error) (*Error, int) {
	var e *Error
	if errors.As(err, &e) {
		return e, http.StatusOK
	}
	status := httpapi.Status(err)
	if status < 500 {
		status = http.StatusInternalServerError
	}
	msg := "internal error"
	if examhall.ErrorCode(err) == examhall.EUNAVAILABLE {
		msg = examhall.ErrorMessage(err)
	}
	return &Error{Code: CodeInternal, Message: msg}, status
}

// badParameter turns a domain EINVALID into CodeBadParameter and leaves other
// errors as they are (internal).
func badParameter(err error) error {
	if examhall.ErrorCode(err) == examhall.EINVALID {
		return &Error{Code: CodeBadParameter, Message: examhall.ErrorMessage(err)}
	}
	return err
}
