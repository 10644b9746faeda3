// Package aui serves the /exam/ surface: an HTTP API wire-compatible with the
// AppServer of the AUI Kits remote-proctoring clients (the examinee and
// invigilator pages), so those clients work against examhall by changing only
// their base URL.
//
// Every answer is the vendor's envelope
// {"success":bool,"errorCode":string,"errorMsg":string,"data":...}; errors also
// carry a fitting HTTP status; errorCode is the examhall error code
// ("invalid", "not_found", ...). Handlers decode, authorize through
// examhall.Policy, call the domain services and encode; nothing else.
//
// Where the vendor's contract leaves room, this package decides:
//   - The legacy /exam/getIMToken mirrors the vendor's v1 endpoint: body
//     {userId, deviceId, deviceType}, answer {accessToken, refreshToken} of
//     the old Aliyun IM, flat. The legacy /exam/createRoom defaults imServer
//     to ["aliyun_old"], the IM of the vendor's v1 rooms.
//   - createRoom with examId requires an admin, or an invigilator who already
//     manages the exam (Policy.Exam with manage); see doCreateRoom.
//   - userStatus is the member's online state from the CDN's stream
//     callbacks: 1 while publishing, 0 otherwise (the vendor left it unused).
package aui

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"examhall"
	"examhall/httpapi"
)

// Server serves the /exam/ surface. Its fields are the domain services it
// calls; all must be set except Callback, Now, Location and Log.
type Server struct {
	Auth     examhall.Authenticator
	Policy   examhall.Policy // authorization rules
	Rooms    examhall.RoomService
	Exams    examhall.ExamService
	Audio    examhall.AudioService
	Cheat    examhall.CheatService
	Streams  examhall.StreamSigner
	IM       examhall.IM
	Uploads  examhall.Uploader
	Users    examhall.UserService // names of room creators not on the roster; nil: no name
	Callback CallbackVerifier     // nil: stream callbacks are not signature-checked
	Now      func() time.Time     // nil: time.Now
	Location *time.Location       // times are rendered in this zone; nil: UTC
	// ExamTimeRFC3339 renders examInfo's startTime and endTime (and its
	// broadcasts') in RFC 3339 with the zone's offset instead of the
	// seed's zoneless YYYY/MM/DD HH:mm:ss.
	ExamTimeRFC3339 bool
	Log             *slog.Logger // nil: slog.Default()
}

// CallbackVerifier checks the signature of a live CDN stream callback
// (/exam/userAct). It returns nil when the signature is good or when no key
// is configured, and an error otherwise.
type CallbackVerifier interface {
	VerifyCallback(host, timestamp, signature string, now time.Time) error
}

// handler is one endpoint: it returns the envelope's data or an error, and
// the adapter (Server.endpoint) writes either.
type handler func(w http.ResponseWriter, r *http.Request) (any, error)

// Handler returns the handler of the whole surface. It serves the full paths
// /exam/... and /login, so mount it at "/exam/" and "/login".
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	// ServeMux answers unknown paths and wrong methods in plain text; find
	// those requests first so they get the envelope too.
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Tokens, stream URLs and upload credentials: never cached.
		w.Header().Set("Cache-Control", "no-store")
		if h, pattern := mux.Handler(r); pattern == "" {
			s.unrouted(w, r, h)
			return
		}
		if err := httpapi.CheckURL(r); err != nil {
			s.fail(w, r, err)
			return
		}
		mux.ServeHTTP(w, r)
	})
	return httpapi.Recover(s.log(), next, func(w http.ResponseWriter, r *http.Request) {
		writeEnvelope(w, http.StatusInternalServerError, envelope{ErrorCode: examhall.EINTERNAL, ErrorMsg: "internal error"})
	})
}

// routes lists every endpoint. public endpoints take no token; the CDN
// authenticates userAct with its own signature.
func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("POST /exam/login", s.public(s.login))
	mux.Handle("POST /login", s.public(s.login))

	mux.Handle("POST /exam/v2/createRoom", s.private(s.createRoom))
	mux.Handle("POST /exam/createRoom", s.private(s.createRoomLegacy))
	mux.Handle("GET /exam/roomInfo", s.private(s.roomInfo))
	mux.Handle("GET /exam/examInfo", s.private(s.examInfo))
	mux.Handle("GET /exam/userInfo", s.private(s.userInfo))
	mux.Handle("GET /exam/userList", s.private(s.userList))
	mux.Handle("POST /exam/v2/getIMToken", s.private(s.imToken))
	mux.Handle("POST /exam/getIMToken", s.private(s.imTokenLegacy))
	mux.Handle("GET /exam/getOssConfig", s.private(s.ossConfig))
	mux.Handle("POST /exam/selectAudio", s.private(s.selectAudio))
	mux.Handle("POST /exam/updateRoomAudioStatus", s.private(s.updateRoomAudioStatus))
	mux.Handle("GET /exam/endRoom", s.private(s.endRoom))
	mux.Handle("POST /exam/endRoom", s.private(s.endRoom))

	mux.Handle("POST /exam/cheat/setCheatConfig", s.private(s.setCheatConfig))
	mux.Handle("POST /exam/cheat/getCheatConfig", s.private(s.getCheatConfig))
	mux.Handle("POST /exam/cheat/addCheatRecord", s.private(s.addCheatRecord))
	mux.Handle("POST /exam/cheat/listCheatRecord", s.private(s.listCheatRecord))

	mux.Handle("GET /exam/userAct", s.public(s.userAct))
	mux.Handle("POST /exam/userAct", s.public(s.userAct))
}

// envelope is the body of every answer.
type envelope struct {
	Success   bool   `json:"success"`
	ErrorCode string `json:"errorCode"`
	ErrorMsg  string `json:"errorMsg"`
	Data      any    `json:"data"`
}

func writeEnvelope(w http.ResponseWriter, status int, e envelope) {
	// The clients add a ts parameter against caches; make sure none keep answers
	// that may hold tokens or signed URLs.
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, status, e)
}

// public adapts h without authentication.
func (s *Server) public(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := h(w, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if raw, ok := data.(rawJSON); ok {
			writeRaw(w, raw)
			return
		}
		writeEnvelope(w, http.StatusOK, envelope{Success: true, Data: data})
	})
}

// private adapts h behind the caller's token: the header authorization,
// raw (as the clients send it) or as "Bearer <token>".
func (s *Server) private(h handler) http.Handler {
	return s.public(func(w http.ResponseWriter, r *http.Request) (any, error) {
		token := strings.TrimSpace(r.Header.Get("Authorization"))
		if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
			token = strings.TrimSpace(token[7:])
		}
		if token == "" {
			return nil, examhall.Errorf(examhall.EUNAUTHORIZED, "authentication required: send the token in the authorization header")
		}
		c, err := s.Auth.Authenticate(r.Context(), token)
		if err != nil {
			return nil, err
		}
		if c == nil || c.User == nil {
			return nil, fmt.Errorf("aui: Authenticate returned no caller")
		}
		return h(w, r.WithContext(examhall.NewContextWithCaller(r.Context(), c)))
	})
}

// fail writes err as an error envelope and logs it when it is internal.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.LogError(s.log(), r, err)
	writeEnvelope(w, httpapi.Status(err), envelope{ErrorCode: examhall.ErrorCode(err), ErrorMsg: examhall.ErrorMessage(err)})
}

// unrouted answers a request no route matched: 405 when the path exists for
// other methods, 404 otherwise. h is the mux's own answer, run on a scratch
// writer only to learn which of the two it is and the allowed methods.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &probeWriter{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeEnvelope(w, http.StatusMethodNotAllowed, envelope{
			ErrorCode: examhall.EINVALID,
			ErrorMsg:  fmt.Sprintf("method %s is not allowed on %s; use %s", r.Method, r.URL.Path, allow),
		})
		return
	}
	s.fail(w, r, examhall.Errorf(examhall.ENOTFOUND, "unknown endpoint %s", r.URL.Path))
}

// probeWriter records a status and headers and discards the body.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
func (p *probeWriter) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) loc() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return time.UTC
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// rfc3339 renders t as the clients expect createdAt and the like:
// RFC 3339 to the second, in the configured zone.
func (s *Server) rfc3339(t time.Time) string {
	return t.In(s.loc()).Format(time.RFC3339)
}

// callerOf returns the caller that private put into the request's context.
func callerOf(r *http.Request) *examhall.Caller {
	return examhall.CallerFromContext(r.Context())
}

// checkLen returns EINVALID naming field when value is required and empty,
// or longer than max characters.
func checkLen(field, value string, required bool, max int) error {
	if value == "" {
		if required {
			return examhall.Errorf(examhall.EINVALID, "%s is required", field)
		}
		return nil
	}
	if utf8.RuneCountInString(value) > max {
		return examhall.Errorf(examhall.EINVALID, "%s must be at most %d characters", field, max)
	}
	return nil
}

// checkID checks an identifier taken from a request.
func checkID(field, value string, required bool) error {
	return checkLen(field, value, required, examhall.MaxIDLen)
}

// queryID returns the required identifier name from the query string.
func queryID(r *http.Request, name string) (string, error) {
	v := queryValue(r.URL.RawQuery, name)
	return v, checkID(name, v, true)
}

// queryValue returns what r.URL.Query().Get(name) returns, without building
// the map: the hot GET endpoints read one or two parameters.
func queryValue(raw, name string) string {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" || strings.Contains(kv, ";") {
			continue // url.ParseQuery skips such pairs too
		}
		k, v, _ := strings.Cut(kv, "=")
		if k != name {
			if !strings.ContainsAny(k, "%+") {
				continue
			}
			if uk, err := url.QueryUnescape(k); err != nil || uk != name {
				continue
			}
		}
		if strings.ContainsAny(v, "%+") {
			uv, err := url.QueryUnescape(v)
			if err != nil {
				continue
			}
			return uv
		}
		return v
	}
	return ""
}
