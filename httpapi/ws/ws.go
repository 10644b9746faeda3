// Package ws is the WebSocket surface of the live room: GET /ws, one
// connection per open page, over which the server sends a room's (or an
// exam's) real-time events and the page sends heartbeats, signals and
// acknowledgements. The protocol is documented in docs/websocket.md.
//
// A connection subscribes to the hub (package hub) for live events and
// replays missed ones from the store (examhall.EventService), and hands the
// candidate's signals to an examhall.SignalRecorder.
package ws

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"examhall"
	"examhall/httpapi"
	"examhall/hub"
)

// SessionCookie is the cookie holding a page's session token: the token
// examhall.Authenticator.Login issues.
const SessionCookie = "examhall_session"

// Version is the protocol version, every message's "v".
const Version = 1

// Close codes beyond the standard ones (docs/websocket.md).
const (
	// CloseIdle: no message from the client for Limits.Idle.
	CloseIdle websocket.StatusCode = 4000
	// CloseTooFarBehind: more events were missed than a resume replays;
	// reload the page's state and say hello without lastSeq.
	CloseTooFarBehind websocket.StatusCode = 4002
)

// Limits bounds a connection. The zero value of a field takes its default.
type Limits struct {
	MaxMessageBytes int64         // read limit per message (default 16 KiB): larger closes with 1009
	Rate            float64       // client messages per second a connection may sustain (default 5)
	Burst           int           // and in a burst (default 20)
	MaxRefused      int           // messages refused in a row before closing with 1008 (default 20)
	Idle            time.Duration // no client message this long closes with 4000 (default 60 s)
	Hello           time.Duration // the first hello/resume must come within (default 10 s)
	Ping            time.Duration // ping interval (default 30 s); no pong within WriteTimeout closes
	WriteTimeout    time.Duration // per message written (default 10 s)
	MaxReplay       int           // events a resume replays at most (default 10,000)
	StaffBuffer     int           // events buffered for a staff page before it is dropped (default 4096)
	CandidateBuffer int           // for a candidate page (default 32)
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = 16 << 10
	}
	if l.Rate <= 0 {
		l.Rate = 5
	}
	def(&l.Burst, 20)
	def(&l.MaxRefused, 20)
	defDur(&l.Idle, 60*time.Second)
	defDur(&l.Hello, 10*time.Second)
	defDur(&l.Ping, 30*time.Second)
	defDur(&l.WriteTimeout, 10*time.Second)
	def(&l.MaxReplay, 10000)
	def(&l.StaffBuffer, 4096)
	def(&l.CandidateBuffer, 32)
	return l
}

// Server serves GET /ws.
type Server struct {
	Auth   examhall.Authenticator
	Policy examhall.Policy
	Events examhall.EventService
	Hub    *hub.Hub
	// Signals records candidates' signals; nil answers each with the error
	// "proctoring not available".
	Signals examhall.SignalRecorder
	// OriginPatterns are the browser origins' hosts allowed besides the
	// request's own Host (the public URL's host); the library refuses
	// others with 403.
	OriginPatterns []string
	Limits         Limits
	Log            *slog.Logger

	conns sync.WaitGroup
}

// Wait waits until every connection has ended, or ctx. Closing the hub
// closes them (1001); the HTTP server's Shutdown does not wait for them.
func (s *Server) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Handler returns the handler of GET /ws.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", s.serveWS)
	return mux
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// errorJSON is the body of an error answered before the upgrade, the shape
// of /api/v1's errors.
type errorJSON struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, err error) {
	httpapi.LogError(s.log(), r, err)
	var body errorJSON
	body.Error.Code, body.Error.Message = examhall.ErrorCode(err), examhall.ErrorMessage(err)
	if status == 0 {
		status = httpapi.Status(err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="examhall"`)
	}
	httpapi.WriteJSON(w, status, body)
}

// token returns the request's credentials: Authorization (Bearer), then
// ?token=, then the page session cookie.
func token(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get("Authorization")); t != "" {
		if len(t) > 7 && strings.EqualFold(t[:7], "bearer ") {
			t = strings.TrimSpace(t[7:])
		}
		return t
	}
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// serveWS authenticates and authorizes the request, then upgrades it and
// runs the connection until either side closes it.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if err := httpapi.CheckURL(r); err != nil {
		s.writeError(w, r, 0, err)
		return
	}
	if !headerHas(r.Header, "Connection", "upgrade") || !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		w.Header().Set("Upgrade", "websocket")
		s.writeError(w, r, http.StatusUpgradeRequired, examhall.Errorf(examhall.EINVALID, "GET /ws must be a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)"))
		return
	}
	q := r.URL.Query()
	roomID, examID := q.Get("roomId"), q.Get("examId")
	switch {
	case (roomID == "") == (examID == ""):
		s.writeError(w, r, 0, examhall.Errorf(examhall.EINVALID, "give exactly one of the query parameters roomId and examId"))
		return
	case len(roomID) > examhall.MaxIDLen || len(examID) > examhall.MaxIDLen:
		s.writeError(w, r, 0, examhall.Errorf(examhall.EINVALID, "roomId and examId must be at most %d bytes", examhall.MaxIDLen))
		return
	}
	tok := token(r)
	if tok == "" {
		s.writeError(w, r, 0, examhall.Errorf(examhall.EUNAUTHORIZED,
			"authentication required: the %s cookie, Authorization: Bearer <token> or ?token=", SessionCookie))
		return
	}
	caller, err := s.Auth.Authenticate(r.Context(), tok)
	if err != nil {
		s.writeError(w, r, 0, err)
		return
	}
	ctx := examhall.NewContextWithCaller(r.Context(), caller)
	scope := hub.Scope{ExamID: examID, RoomID: roomID, UserID: caller.ID}
	if roomID != "" {
		room, err := s.Policy.Room(ctx, roomID, false)
		if err != nil {
			s.writeError(w, r, 0, err)
			return
		}
		scope.ExamID = room.ExamID
		_, err = s.Policy.Room(ctx, roomID, true)
		scope.Staff = err == nil
	} else {
		if err := s.Policy.Exam(ctx, examID, false); err != nil {
			s.writeError(w, r, 0, err)
			return
		}
		scope.Staff = s.Policy.Exam(ctx, examID, true) == nil
	}

	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OriginPatterns:  s.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return // Accept answered (403 for a foreign origin, 426/400 for a bad handshake)
	}
	l := s.Limits.withDefaults()
	c.SetReadLimit(l.MaxMessageBytes)
	conn := &conn{
		srv: s, c: c, scope: scope, caller: caller, l: l,
		hello: make(chan int64, 1), out: make(chan *message, 4), done: make(chan struct{}), closed: make(chan struct{}),
		bucket: newBucket(l.Rate, l.Burst, time.Now()),
	}
	// The connection runs on its own goroutines: returning lets net/http
	// free the request, its headers and its connection goroutine's stack,
	// which matter at thousands of idle pages (docs/performance.md).
	s.conns.Add(1)
	go func() {
		defer s.conns.Done()
		conn.run(examhall.NewContextWithCaller(context.Background(), caller))
	}()
}

// headerHas reports whether the comma-separated header name holds token.
func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// message is one protocol message, either way.
type message struct {
	Type   string          `json:"type"`
	V      int             `json:"v"`
	Seq    int64           `json:"seq,omitempty"`
	ID     string          `json:"id,omitempty"`     // a client request's id, echoed in its ack or error
	UserID string          `json:"userId,omitempty"` // events: the candidate concerned; none for everyone
	At     *time.Time      `json:"at,omitempty"`     // events: when it was stored
	Data   json.RawMessage `json:"data,omitempty"`

	close *closeWith // not a message: the reader asks the writer to close
}

// errorData is the data of an error message.
type errorData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func errorMessage(id string, err error) *message {
	d, _ := json.Marshal(errorData{Code: examhall.ErrorCode(err), Message: examhall.ErrorMessage(err)})
	return &message{Type: "error", V: Version, ID: id, Data: d}
}

// eventMessage is the message of e.
func eventMessage(e *examhall.Event) *message {
	at := e.CreatedAt
	return &message{Type: string(e.Type), V: Version, Seq: e.Seq, UserID: e.UserID, At: &at, Data: e.Data}
}

// errClosed ends a connection's goroutines; its close code is already sent.
var errClosed = errors.New("ws: connection closed")

// closeWith is an error that closes the connection with a code and reason.
type closeWith struct {
	code   websocket.StatusCode
	reason string
}

func (c *closeWith) Error() string { return c.reason }
