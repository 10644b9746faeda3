// Package v5 serves the exam data open API under /api/v5/, wire-compatible
// with the 考试云 (kaoshiyun) service: a client written against the vendor
// works against examhall by changing only its base URL and credentials.
//
// Routes (each GET or POST; parameters in the query or a form body, names
// matched case-insensitively, the query winning over the body):
//
//	/api/v5/token.ashx?appid=&secret=                          → {token, expires_in}
//	/api/v5/examaction.ashx?token=&action=getExamList           → exams with statistics
//	/api/v5/examaction.ashx?token=&action=getUserExam&account=  → a candidate's pending exams
//	/api/v5/gradeaction.ashx?token=&action=getExamGrade&examid= → an exam's published grades
//
// Success bodies carry no envelope; failures are {"errcode","errmsg"} with
// HTTP 200, except internal ones (HTTP 500). Codes lists every errcode.
package v5

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"examhall"
	"examhall/httpapi"
)

// Server is the /api/v5/ surface. Set the fields, then call Handler.
type Server struct {
	Apps     examhall.AppAuthenticator
	Exams    examhall.ExamService
	Attempts examhall.AttemptService
	Users    examhall.UserService

	// PublicURL is the server's public base URL; entry URLs are
	// PublicURL + "/v5/exam/" + examID (a trailing slash is trimmed).
	PublicURL string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Location is the zone times are rendered in; nil means UTC.
	Location *time.Location
	// Log receives internal errors and panics; nil discards them.
	Log *slog.Logger
}

// handlerFunc answers one request from its parameters: a value to encode as
// the success body, or an error (an *Error for the caller's mistakes).
type handlerFunc func(ctx context.Context, p params) (any, error)

// Handler returns the handler of every /api/v5/ path (full paths: mount it at
// "/api/v5/").
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	log := s.log()
	h := httpapi.Recover(log, mux, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusInternalServerError, &Error{Code: CodeInternal, Message: "internal error"})
	})
	return httpapi.Log(log, h)
}

// routes lists every route. The file names are matched case-insensitively
// too, as IIS does for the vendor (/api/v5/ExamAction.ashx): a path not
// registered in its exact spelling is looked up lower-cased by the catch-all,
// which answers CodeUnknownAction for anything else under /api/v5/.
func (s *Server) routes(mux *http.ServeMux) {
	routes := map[string]http.Handler{
		"/api/v5/token.ashx": s.endpoint(false, s.token),
		"/api/v5/examaction.ashx": s.endpoint(true, s.actions(map[string]handlerFunc{
			"getexamlist": s.examList,
			"getuserexam": s.userExams,
		})),
		"/api/v5/gradeaction.ashx": s.endpoint(true, s.actions(map[string]handlerFunc{
			"getexamgrade": s.examGrades,
		})),
	}
	for path, h := range routes {
		mux.Handle("GET "+path, h)
		mux.Handle("POST "+path, h)
	}
	mux.HandleFunc("/api/v5/", func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodPost:
		default:
			s.writeError(w, r, errorf(CodeUnknownAction, "method %s is not allowed; use GET or POST", r.Method))
			return
		}
		if h, ok := routes[strings.ToLower(r.URL.Path)]; ok {
			h.ServeHTTP(w, r)
			return
		}
		s.writeError(w, r, errorf(CodeUnknownAction, "unknown path %s", truncate(r.URL.Path, 100)))
	})
}

// endpoint adapts fn to HTTP: it reads the parameters, checks the token when
// auth is set, calls fn and writes its answer or error.
func (s *Server) endpoint(auth bool, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := readParams(w, r)
		if err == nil && auth {
			err = s.authenticate(r.Context(), p.get("token"))
		}
		var v any
		if err == nil {
			v, err = fn(r.Context(), p)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

// actions dispatches on the action parameter, matched case-insensitively.
func (s *Server) actions(m map[string]handlerFunc) handlerFunc {
	return func(ctx context.Context, p params) (any, error) {
		name := p.get("action")
		if fn, ok := m[strings.ToLower(name)]; ok {
			return fn(ctx, p)
		}
		if name == "" {
			return nil, errorf(CodeUnknownAction, "action参数不允许为空")
		}
		return nil, errorf(CodeUnknownAction, "unknown action %q", truncate(name, 40))
	}
}

// authenticate checks an access token.
func (s *Server) authenticate(ctx context.Context, token string) error {
	if token == "" {
		return errorf(CodeTokenMissing, "token参数不允许为空")
	}
	_, err := s.Apps.VerifyAppToken(ctx, token)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, examhall.ErrTokenExpired):
		return errorf(CodeTokenExpired, "AccessToken has expired")
	case examhall.ErrorCode(err) == examhall.EUNAUTHORIZED:
		return errorf(CodeTokenInvalid, "AccessToken is invalid")
	}
	return err
}

// writeError writes err's answer, logging internal errors in full.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, status := apiError(err)
	if e.Code == CodeInternal {
		s.log().Error("open API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, e)
}

// jsonAppender is an answer that encodes itself.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// writeJSON writes v without HTML escaping, as the vendor does ("&" stays
// "&" in URLs), and forbids caching: answers carry tokens and live data.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if a, ok := v.(jsonAppender); ok {
		_, _ = w.Write(a.appendJSON(nil))
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Server) location() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}
