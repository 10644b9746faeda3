// Package web serves the pages people use: sign-in, a candidate's exams, the
// exam page and the take page (and, through the same machinery, the
// invigilator's and staff's pages).
//
// Pages are server-rendered html/template views over one layout, with small
// plain JavaScript and CSS, all embedded (templates/, static/, locale/). They
// call the same domain services as /api/v1, never the server over HTTP. A
// page session is the API session token in an HttpOnly cookie; every write
// carries a CSRF token; a Content-Security-Policy forbids inline script and
// third-party origins. Every route is listed in (*Server).routes.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"examhall"
	"examhall/httpapi"
)

// Server holds the domain services the pages call.
type Server struct {
	Auth     examhall.Authenticator
	AppAuth  examhall.AppAuthenticator
	Policy   examhall.Policy
	Users    examhall.UserService
	Depts    examhall.DepartmentService
	Exams    examhall.ExamService
	Attempts examhall.AttemptService
	Rooms    examhall.RoomService
	Audio    examhall.AudioService
	Cheat    examhall.CheatService
	Apps     examhall.AppService
	Reviews  examhall.ReviewService // decisions on flagged attempts (marking.go)
	Results  examhall.ResultService // exams' results (marking.go)

	// Proctor runs proctoring (nil: no proctoring pages); Publisher stores
	// and announces the candidates' progress to the live room;
	// LastEventSeq is where a freshly shown live page resumes its WebSocket;
	// Online tells whether a candidate has a page open in a room.
	Proctor      examhall.ProctorService
	Publisher    examhall.Publisher
	LastEventSeq func(ctx context.Context) (int64, error)
	Online       func(roomID, userID string) bool
	// FaceAPIDir is where @vladmandic/face-api is installed (npm ci): the
	// face check is served from there, and is off when it is missing.
	FaceAPIDir string

	// HashPassword hashes a new password; EINVALID for one the policy
	// refuses. auth.HashPassword in production.
	HashPassword func(password string) (string, error)

	PublicURL            string        // exam entry URLs are PublicURL + "/v5/exam/" + id
	ExamineeClientURL    string        // base of examinees' join links (examhall.JoinLink)
	InvigilatorClientURL string        // base of invigilators' join links
	JoinMargin           time.Duration // how long join links outlive their exam

	// CSRFKey signs the CSRF tokens of forms and page requests; at least 32
	// bytes, secret, the same on every replica.
	CSRFKey []byte
	// Secure marks cookies Secure: set when the public URL is https.
	Secure   bool
	Now      func() time.Time // defaults to time.Now
	Location *time.Location   // the zone times are shown in; defaults to UTC
	Log      *slog.Logger     // defaults to slog.Default()

	pages *pages
}

// handler is a page's handler: it writes the page itself and returns any
// error for serve to show as an error page (or, for JSON routes, as JSON).
type handler func(w http.ResponseWriter, r *http.Request) error

// access says who may open a route.
type access int

const (
	public    access = iota // anyone; the caller is loaded when signed in
	signedIn                // any signed-in user; others are sent to sign in
	staffOnly               // administrators and invigilators (pages check which rooms)
	adminOnly               // administrators
)

// route is one entry of the site.
type route struct {
	pattern string
	h       handler
	access  access
	json    bool // answers and errors are JSON (the pages' scripts call it)
}

// routes lists every route of the site: the candidate's here, the staff
// console's and the live room's in their own files.
func (s *Server) routes() []route {
	rs := []route{
		{pattern: "GET /{$}", h: s.home, access: public},
		{pattern: "POST /signin", h: s.signIn, access: public},
		{pattern: "POST /signout", h: s.signOut, access: public},
		{pattern: "GET /static/{file}", h: s.static, access: public},

		{pattern: "GET /v5/exam/{id}", h: s.examPage, access: public},
		{pattern: "POST /v5/exam/{id}/start", h: s.startAttempt, access: signedIn},

		{pattern: "GET /attempts/{id}", h: s.takePage, access: signedIn},
		{pattern: "POST /attempts/{id}/answers", h: s.saveAnswers, access: signedIn, json: true},
		{pattern: "POST /attempts/{id}/submit", h: s.submitAttempt, access: signedIn, json: true},
	}
	rs = append(rs, s.peopleRoutes()...)  // people.go: departments, users, imports, account
	rs = append(rs, s.examRoutes()...)    // exams.go: exams, papers, overrides
	rs = append(rs, s.roomRoutes()...)    // rooms.go: rooms, rosters, links, audio
	rs = append(rs, s.markingRoutes()...) // marking.go: marking, review, results
	rs = append(rs, s.liveRoutes()...)    // live.go: device check, live room, proctoring
	return rs
}

// Handler returns the site's handler, to be mounted at "/".
func (s *Server) Handler() http.Handler {
	if s.pages == nil {
		s.pages = mustParsePages()
	}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.serve(rt))
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w)
		if _, pattern := mux.Handler(r); pattern == "" {
			s.fail(w, r, false, examhall.Errorf(examhall.ENOTFOUND, "page not found"))
			return
		}
		if err := httpapi.CheckURL(r); err != nil {
			s.fail(w, r, false, err)
			return
		}
		mux.ServeHTTP(w, r)
	})
	return httpapi.Recover(s.log(), h, func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, false, examhall.Errorf(examhall.EINTERNAL, "internal error"))
	})
}

// serve adapts a route: it loads the session's caller, checks CSRF on
// writes, enforces the route's access and shows the handler's error.
func (s *Server) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, err := s.session(w, r)
		if err != nil {
			s.fail(w, r, rt.json, err)
			return
		}
		r = r.WithContext(ctx)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := s.checkCSRF(r); err != nil {
				s.fail(w, r, rt.json, err)
				return
			}
		}
		c := examhall.CallerFromContext(ctx)
		if rt.access != public && c == nil {
			if rt.json || r.Method != http.MethodGet {
				s.fail(w, r, rt.json, examhall.Errorf(examhall.EUNAUTHORIZED, "your session has ended: sign in again"))
				return
			}
			http.Redirect(w, r, signInURL(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		switch {
		case rt.access == adminOnly && c.Role != examhall.RoleAdmin:
			s.fail(w, r, rt.json, examhall.Errorf(examhall.EFORBIDDEN, "only administrators may open this page"))
			return
		case rt.access == staffOnly && c.Role != examhall.RoleAdmin && c.Role != examhall.RoleInvigilator:
			s.fail(w, r, rt.json, examhall.Errorf(examhall.EFORBIDDEN, "only invigilators and administrators may open this page"))
			return
		}
		if err := rt.h(w, r); err != nil {
			s.fail(w, r, rt.json, err)
		}
	})
}

// contentSecurityPolicy allows only this origin's scripts, styles, images
// and connections (WebSockets included), no inline script and no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
}

// fail shows err: as JSON {error: {code, message}} for the pages' scripts,
// else as an error page in the caller's language. Internal errors are
// logged in full and shown as "internal error".
func (s *Server) fail(w http.ResponseWriter, r *http.Request, asJSON bool, err error) {
	httpapi.LogError(s.log(), r, err)
	status := httpapi.Status(err)
	if asJSON {
		var body struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		body.Error.Code, body.Error.Message = examhall.ErrorCode(err), examhall.ErrorMessage(err)
		w.Header().Set("Cache-Control", "no-store")
		httpapi.WriteJSON(w, status, body)
		return
	}
	p := s.page(w, r)
	v := &errorView{Page: p, Status: status, Code: examhall.ErrorCode(err), Message: examhall.ErrorMessage(err)}
	v.Title = p.T("error.title")
	s.render(w, r, status, "error", v)
}

// safeNext returns a local path to return to after sign-in, or "/".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		len(next) > 512 || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Server) location() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return time.UTC
}

// callerOf returns the signed-in caller; routes with signedIn access always
// have one.
func callerOf(ctx context.Context) (*examhall.Caller, error) {
	c := examhall.CallerFromContext(ctx)
	if c == nil {
		return nil, examhall.Errorf(examhall.EUNAUTHORIZED, "sign in first")
	}
	return c, nil
}
