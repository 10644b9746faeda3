// Package manage serves the management API, /api/v1/: the JSON API that
// administrators, the web console and scripts use to run examhall
// (departments, users and their import, exams with papers and overrides,
// grading and grade exports, rooms with rosters and join links, the audio
// library and open-API credentials), and through which examinees take exams.
//
// Every route is listed in (*Server).routes and described in openapi.json,
// served at GET /api/v1/openapi.json; a test keeps the two in step.
package manage

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"examhall"
	"examhall/httpapi"
)

// Server holds the domain services the management API calls.
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
	// Proctor runs proctoring (snapshots, signals, invigilators' actions);
	// nil answers its routes with 503.
	Proctor  examhall.ProctorService
	Audit    examhall.AuditService
	Webhooks examhall.WebhookService

	// HashPassword hashes a new password; it returns EINVALID for a password
	// the policy refuses. auth.HashPassword in production.
	HashPassword func(password string) (string, error)

	PublicURL            string        // exam entry URLs are PublicURL + "/v5/exam/" + id
	ExamineeClientURL    string        // base of examinees' join links (examhall.JoinLink)
	InvigilatorClientURL string        // base of invigilators' join links
	JoinMargin           time.Duration // how long join links outlive their exam (examhall.JoinExpiry)

	Now      func() time.Time // defaults to time.Now
	Location *time.Location   // the zone times are rendered in; defaults to UTC
	Log      *slog.Logger     // defaults to slog.Default()
}

// handler is a route's handler: it writes a success response itself and
// returns any error for serve to write.
type handler func(w http.ResponseWriter, r *http.Request) error

// route is one entry of the API.
type route struct {
	pattern string // a ServeMux pattern with its method
	h       handler
	public  bool // served without authentication
}

// routes lists every route of the API.
func (s *Server) routes() []route {
	return []route{
		{pattern: "GET /api/v1/openapi.json", h: s.openAPI, public: true},
		{pattern: "POST /api/v1/login", h: s.login, public: true},
		{pattern: "GET /api/v1/me", h: s.me},

		{pattern: "GET /api/v1/departments", h: s.listDepartments},
		{pattern: "POST /api/v1/departments", h: s.createDepartment},
		{pattern: "PATCH /api/v1/departments/{id}", h: s.updateDepartment},
		{pattern: "DELETE /api/v1/departments/{id}", h: s.deleteDepartment},

		{pattern: "GET /api/v1/users", h: s.listUsers},
		{pattern: "POST /api/v1/users", h: s.createUser},
		{pattern: "POST /api/v1/users/import", h: s.importUsers},
		{pattern: "GET /api/v1/users/{id}", h: s.getUser},
		{pattern: "PATCH /api/v1/users/{id}", h: s.updateUser},

		{pattern: "GET /api/v1/exams", h: s.listExams},
		{pattern: "POST /api/v1/exams", h: s.createExam},
		{pattern: "GET /api/v1/exams/{id}", h: s.getExam},
		{pattern: "PATCH /api/v1/exams/{id}", h: s.updateExam},
		{pattern: "POST /api/v1/exams/{id}/publish", h: s.publishExam},
		{pattern: "POST /api/v1/exams/{id}/archive", h: s.archiveExam},
		{pattern: "GET /api/v1/exams/{id}/paper", h: s.getPaper},
		{pattern: "PUT /api/v1/exams/{id}/paper", h: s.setPaper},
		{pattern: "GET /api/v1/exams/{id}/overrides", h: s.listOverrides},
		{pattern: "GET /api/v1/exams/{id}/overrides/{userId}", h: s.getOverride},
		{pattern: "PUT /api/v1/exams/{id}/overrides/{userId}", h: s.setOverride},
		{pattern: "DELETE /api/v1/exams/{id}/overrides/{userId}", h: s.deleteOverride},
		{pattern: "GET /api/v1/exams/{id}/broadcasts", h: s.getBroadcasts},
		{pattern: "PUT /api/v1/exams/{id}/broadcasts", h: s.setBroadcasts},
		{pattern: "GET /api/v1/exams/{id}/playlist", h: s.getPlaylist},
		{pattern: "PUT /api/v1/exams/{id}/playlist", h: s.setPlaylist},
		{pattern: "GET /api/v1/exams/{id}/cheat-config", h: s.getCheatConfig},
		{pattern: "PUT /api/v1/exams/{id}/cheat-config", h: s.setCheatConfig},

		{pattern: "GET /api/v1/exams/{id}/attempts", h: s.listExamAttempts},
		{pattern: "GET /api/v1/exams/{id}/grades", h: s.listGrades},
		{pattern: "POST /api/v1/exams/{id}/grades/publish", h: s.publishGrades},
		{pattern: "GET /api/v1/exams/{id}/grades/export", h: s.exportGrades},
		{pattern: "POST /api/v1/attempts/{id}/marks", h: s.markAttempt},

		{pattern: "GET /api/v1/my/exams", h: s.myExams},
		{pattern: "GET /api/v1/my/attempts", h: s.myAttempts},
		{pattern: "POST /api/v1/exams/{id}/attempts", h: s.startAttempt},
		{pattern: "GET /api/v1/attempts/{id}", h: s.getAttempt},
		{pattern: "PUT /api/v1/attempts/{id}/answers", h: s.saveAnswers},
		{pattern: "POST /api/v1/attempts/{id}/submit", h: s.submitAttempt},

		{pattern: "GET /api/v1/rooms", h: s.listRooms},
		{pattern: "POST /api/v1/rooms", h: s.createRoom},
		{pattern: "GET /api/v1/rooms/{id}", h: s.getRoom},
		{pattern: "PATCH /api/v1/rooms/{id}", h: s.updateRoom},
		{pattern: "DELETE /api/v1/rooms/{id}", h: s.deleteRoom},
		{pattern: "GET /api/v1/rooms/{id}/members", h: s.listMembers},
		{pattern: "POST /api/v1/rooms/{id}/members", h: s.addMembers},
		{pattern: "DELETE /api/v1/rooms/{id}/members/{userId}", h: s.removeMember},
		{pattern: "GET /api/v1/rooms/{id}/links", h: s.joinLinks},

		{pattern: "POST /api/v1/attempts/{id}/snapshots", h: s.addSnapshot},
		{pattern: "GET /api/v1/snapshots/{id}", h: s.getSnapshot},
		{pattern: "POST /api/v1/attempts/{id}/signals", h: s.recordSignal},
		{pattern: "POST /api/v1/attempts/{id}/extend", h: s.extendAttempt},
		{pattern: "POST /api/v1/attempts/{id}/force-submit", h: s.forceSubmit},
		{pattern: "GET /api/v1/attempts/{id}/timeline", h: s.timeline},
		{pattern: "POST /api/v1/rooms/{id}/messages", h: s.sendMessage},
		{pattern: "POST /api/v1/rooms/{id}/end", h: s.endRoom},
		{pattern: "GET /api/v1/rooms/{id}/live", h: s.live},

		{pattern: "GET /api/v1/audios", h: s.listAudios},
		{pattern: "POST /api/v1/audios", h: s.createAudio},
		{pattern: "GET /api/v1/audios/{id}", h: s.getAudio},
		{pattern: "PATCH /api/v1/audios/{id}", h: s.updateAudio},
		{pattern: "DELETE /api/v1/audios/{id}", h: s.deleteAudio},

		{pattern: "GET /api/v1/apps", h: s.listApps},
		{pattern: "POST /api/v1/apps", h: s.createApp},
		{pattern: "POST /api/v1/apps/{id}/disable", h: s.disableApp},

		{pattern: "GET /api/v1/audit", h: s.listAudit},
		{pattern: "GET /api/v1/audit/export", h: s.exportAudit},

		{pattern: "GET /api/v1/webhooks", h: s.listWebhooks},
		{pattern: "POST /api/v1/webhooks", h: s.createWebhook},
		{pattern: "GET /api/v1/webhooks/{id}", h: s.getWebhook},
		{pattern: "PATCH /api/v1/webhooks/{id}", h: s.updateWebhook},
		{pattern: "DELETE /api/v1/webhooks/{id}", h: s.deleteWebhook},
		{pattern: "GET /api/v1/webhooks/{id}/deliveries", h: s.listDeliveries},
		{pattern: "GET /api/v1/webhooks/{id}/deliveries/{deliveryId}", h: s.getDelivery},
		{pattern: "POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver", h: s.redeliver},
	}
}

// Handler returns the http.Handler of the API. It serves full paths
// (/api/v1/...), so mount it at "/api/v1/" without stripping the prefix.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.serve(rt))
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answers carry tokens and personal data: no cache may keep them.
		// The OpenAPI document, the same for everyone, may be cached.
		if r.URL.Path != "/api/v1/openapi.json" {
			w.Header().Set("Cache-Control", "no-store")
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			s.unrouted(w, r, mux)
			return
		}
		if err := httpapi.CheckURL(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		mux.ServeHTTP(w, r)
	})
	return httpapi.Recover(s.log(), h, func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, examhall.Errorf(examhall.EINTERNAL, "internal error"))
	})
}

// serve adapts a route to http.Handler: it authenticates the caller (unless
// the route is public), runs the handler and writes its error.
func (s *Server) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rt.public {
			ctx, err := s.authenticate(r)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="examhall"`)
				s.writeError(w, r, err)
				return
			}
			r = r.WithContext(ctx)
		}
		if err := rt.h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticate returns the request's context with its caller, taken from
// "Authorization: Bearer <token>" or a raw token in that header.
func (s *Server) authenticate(r *http.Request) (context.Context, error) {
	token := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	if token == "" {
		return nil, examhall.Errorf(examhall.EUNAUTHORIZED, "authentication required: send Authorization: Bearer <token>")
	}
	c, err := s.Auth.Authenticate(r.Context(), token)
	if err != nil {
		return nil, err
	}
	return examhall.NewContextWithCaller(r.Context(), c), nil
}

// errorJSON is the body of every error response. Rows lists the bad rows of
// a rejected import.
type errorJSON struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Rows []RowError `json:"rows,omitempty"`
}

// RowError is one bad row of an import: its line in the file (the header is
// line 1) and what is wrong with it.
type RowError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// rowsError is an error that carries the bad rows of an import.
type rowsError struct {
	err  *examhall.Error
	rows []RowError
}

func (e *rowsError) Error() string { return e.err.Error() }
func (e *rowsError) Unwrap() error { return e.err }

// writeError logs err when it is internal and writes it in the error shape.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.LogError(s.log(), r, err)
	body := errorBody(examhall.ErrorCode(err), examhall.ErrorMessage(err))
	var re *rowsError
	if errors.As(err, &re) {
		body.Rows = re.rows
	}
	httpapi.WriteJSON(w, httpapi.Status(err), body)
}

// unrouted answers a request no route matches (404, or 405 for a known path
// with another method) in the API's error shape instead of the mux's text.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	rec := &statusRecorder{header: w.Header(), status: http.StatusOK}
	h, _ := mux.Handler(r)
	h.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusNotFound:
		s.writeError(w, r, examhall.Errorf(examhall.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
	case http.StatusMethodNotAllowed:
		// There is no examhall code for 405; keep the status and Allow header.
		httpapi.WriteJSON(w, http.StatusMethodNotAllowed, errorBody(examhall.EINVALID,
			"method "+r.Method+" is not allowed here; allowed: "+w.Header().Get("Allow")))
	default: // a redirect to the cleaned path: its headers are already set
		w.WriteHeader(rec.status)
	}
}

func errorBody(code, msg string) errorJSON {
	var body errorJSON
	body.Error.Code, body.Error.Message = code, msg
	return body
}

// statusRecorder records a status and discards the body.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(status int)      { r.status = status }

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

// local returns t in the configured zone; zero times stay as they are so
// they are still omitted.
func (s *Server) local(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(s.location())
}

func (s *Server) location() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return time.UTC
}

func (s *Server) localPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	l := s.local(*t)
	return &l
}
