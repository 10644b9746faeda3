package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"examhall"
	"examhall/httpapi/ws"
	"examhall/hub"
	"examhall/mock"
	"examhall/store"
)

// users of the fixture, by token.
var users = map[string]*examhall.User{
	"tok-inv":   {ID: "inv", Name: "Invigilator", Role: examhall.RoleInvigilator},
	"tok-alice": {ID: "alice", Name: "Alice", Role: examhall.RoleExaminee},
	"tok-bob":   {ID: "bob", Name: "Bob", Role: examhall.RoleExaminee},
	"tok-eve":   {ID: "eve", Name: "Eve", Role: examhall.RoleExaminee}, // on no roster
}

// fakeSignals records signals of the attempts it knows: attempt "a-<user>"
// belongs to <user>.
type fakeSignals struct {
	mu       sync.Mutex
	recorded map[string][]examhall.Signal
}

func (f *fakeSignals) RecordSignal(ctx context.Context, attemptID string, s examhall.Signal) (*examhall.SignalResult, error) {
	c := examhall.CallerFromContext(ctx)
	if c == nil {
		return nil, examhall.Errorf(examhall.EUNAUTHORIZED, "no caller")
	}
	if attemptID != "a-"+c.ID {
		return nil, examhall.Errorf(examhall.EFORBIDDEN, "attempt %q is not yours", attemptID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recorded[attemptID] = append(f.recorded[attemptID], s)
	return &examhall.SignalResult{Switches: len(f.recorded[attemptID])}, nil
}

func (f *fakeSignals) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.recorded {
		n += len(v)
	}
	return n
}

// fixture is a ws server over a real SQLite store and an in-memory hub.
type fixture struct {
	srv     *ws.Server
	http    *httptest.Server
	db      *store.DB
	hub     *hub.Hub
	signals *fakeSignals
}

// MustServe starts a fixture: room r1 of exam e1 with invigilator inv and
// examinees alice and bob.
func MustServe(tb testing.TB, limits ws.Limits) *fixture {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(tb.TempDir(), "examhall.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	h := hub.New(hub.Config{Events: db})
	if err := h.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	rooms := &mock.RoomService{
		FindRoomByIDFn: func(ctx context.Context, id string) (*examhall.Room, error) {
			if id != "r1" {
				return nil, examhall.Errorf(examhall.ENOTFOUND, "room %q not found", id)
			}
			return &examhall.Room{ID: "r1", ExamID: "e1", CreatedBy: "inv"}, nil
		},
		FindMemberFn: func(ctx context.Context, roomID, userID string) (*examhall.Member, error) {
			if userID == "alice" || userID == "bob" {
				return &examhall.Member{RoomID: roomID, UserID: userID, Role: examhall.RoleExaminee}, nil
			}
			return nil, examhall.Errorf(examhall.ENOTFOUND, "not a member")
		},
		InExamFn: func(ctx context.Context, examID, userID string) (bool, error) {
			return examID == "e1" && userID != "eve", nil
		},
	}
	auth := &mock.Authenticator{AuthenticateFn: func(ctx context.Context, token string) (*examhall.Caller, error) {
		u, ok := users[token]
		if !ok {
			return nil, examhall.Errorf(examhall.EUNAUTHORIZED, "invalid token")
		}
		return &examhall.Caller{User: u}, nil
	}}
	f := &fixture{db: db, hub: h, signals: &fakeSignals{recorded: map[string][]examhall.Signal{}}}
	f.srv = &ws.Server{Auth: auth, Policy: examhall.Policy{Rooms: rooms}, Events: db, Hub: h, Signals: f.signals,
		OriginPatterns: []string{"exam.example.edu"}, Limits: limits}
	f.http = httptest.NewServer(f.srv.Handler())
	tb.Cleanup(f.http.Close)
	return f
}

func (f *fixture) url(query string) string {
	return "ws" + strings.TrimPrefix(f.http.URL, "http") + "/ws?" + query
}

// MustDial connects with a bearer token and fails the test on error.
func (f *fixture) MustDial(tb testing.TB, token, query string) *websocket.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, f.url(query), &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.CloseNow() })
	return c
}

// msg is a protocol message as a client reads it.
type msg struct {
	Type   string          `json:"type"`
	V      int             `json:"v"`
	Seq    int64           `json:"seq"`
	ID     string          `json:"id"`
	UserID string          `json:"userId"`
	Data   json.RawMessage `json:"data"`
}

func send(tb testing.TB, c *websocket.Conn, v any) {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		tb.Fatal(err)
	}
}

// next reads the next message that is not a presence event.
func next(tb testing.TB, c *websocket.Conn) msg {
	tb.Helper()
	for {
		m, err := read(c, 5*time.Second)
		if err != nil {
			tb.Fatal(err)
		}
		if m.Type != string(examhall.EventPresence) {
			return m
		}
	}
}

func read(c *websocket.Conn, timeout time.Duration) (msg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var m msg
	_, b, err := c.Read(ctx)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, err
	}
	if m.V != ws.Version {
		return m, fmt.Errorf("message %s without v=1", b)
	}
	return m, nil
}

// closed reads until the connection closes and returns its close code.
func closed(tb testing.TB, c *websocket.Conn) websocket.StatusCode {
	tb.Helper()
	for {
		_, err := read(c, 10*time.Second)
		if err != nil {
			var ce websocket.CloseError
			if !errors.As(err, &ce) {
				tb.Fatalf("connection ended without a close frame: %v", err)
			}
			return ce.Code
		}
	}
}

// hello says hello (resuming after lastSeq when positive) and reads the
// server's hello.
func hello(tb testing.TB, c *websocket.Conn, lastSeq int64) msg {
	tb.Helper()
	m := map[string]any{"type": "hello", "v": 1}
	if lastSeq > 0 {
		m = map[string]any{"type": "resume", "v": 1, "data": map[string]int64{"lastSeq": lastSeq}}
	}
	send(tb, c, m)
	got := next(tb, c)
	if got.Type != "hello" {
		tb.Fatalf("got %s, want hello", got.Type)
	}
	return got
}

func (f *fixture) publish(tb testing.TB, user string, typ examhall.EventType) *examhall.Event {
	tb.Helper()
	e := &examhall.Event{ExamID: "e1", RoomID: "r1", UserID: user, Type: typ, Data: json.RawMessage(`{"n":1}`)}
	if err := f.hub.Publish(context.Background(), e); err != nil {
		tb.Fatal(err)
	}
	return e
}

// errorCode returns the code of an error message.
func errorCode(tb testing.TB, m msg) string {
	tb.Helper()
	if m.Type != "error" {
		tb.Fatalf("got %s %s, want an error", m.Type, m.Data)
	}
	var d struct{ Code, Message string }
	if err := json.Unmarshal(m.Data, &d); err != nil || d.Message == "" {
		tb.Fatalf("error data %s: %v", m.Data, err)
	}
	return d.Code
}

func TestRefusedBeforeUpgrade(t *testing.T) {
	f := MustServe(t, ws.Limits{})
	for _, tt := range []struct {
		name, query string
		header      http.Header
		status      int
		code        string
	}{
		{"no credentials", "roomId=r1", nil, 401, examhall.EUNAUTHORIZED},
		{"bad token", "roomId=r1", http.Header{"Authorization": {"Bearer nope"}}, 401, examhall.EUNAUTHORIZED},
		{"bad cookie", "roomId=r1", http.Header{"Cookie": {ws.SessionCookie + "=nope"}}, 401, examhall.EUNAUTHORIZED},
		{"no room or exam", "", http.Header{"Authorization": {"Bearer tok-alice"}}, 400, examhall.EINVALID},
		{"both", "roomId=r1&examId=e1", http.Header{"Authorization": {"Bearer tok-alice"}}, 400, examhall.EINVALID},
		{"not on the roster", "roomId=r1", http.Header{"Authorization": {"Bearer tok-eve"}}, 403, examhall.EFORBIDDEN},
		{"no such room", "roomId=r9", http.Header{"Authorization": {"Bearer tok-alice"}}, 404, examhall.ENOTFOUND},
		{"exam without a room of hers", "examId=e1", http.Header{"Authorization": {"Bearer tok-eve"}}, 403, examhall.EFORBIDDEN},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, resp, err := websocket.Dial(ctx, f.url(tt.query), &websocket.DialOptions{HTTPHeader: tt.header})
			if err == nil || resp == nil {
				t.Fatalf("dial succeeded (%v)", err)
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || json.Unmarshal(b, &body) != nil || body.Error.Code != tt.code || body.Error.Message == "" {
				t.Errorf("got %d %s, want %d with code %s", resp.StatusCode, b, tt.status, tt.code)
			}
		})
	}
	t.Run("not an upgrade", func(t *testing.T) {
		req, _ := http.NewRequest("GET", f.http.URL+"/ws?roomId=r1", nil)
		req.Header.Set("Authorization", "Bearer tok-alice")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusUpgradeRequired || !strings.Contains(string(b), "WebSocket upgrade") {
			t.Errorf("got %d %s", resp.StatusCode, b)
		}
	})
}

func TestCookieAndOrigin(t *testing.T) {
	f := MustServe(t, ws.Limits{})
	cookie := http.Header{"Cookie": {ws.SessionCookie + "=tok-alice"}}
	for _, tt := range []struct {
		origin string
		ok     bool
	}{
		{"", true},                               // not a browser
		{f.http.URL, true},                       // the page's own origin
		{"https://exam.example.edu", true},       // the public URL's host
		{"https://evil.example.com", false},      // another site
		{"https://exam.example.edu.evil", false}, // not the same host
	} {
		t.Run(tt.origin, func(t *testing.T) {
			h := cookie.Clone()
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, resp, err := websocket.Dial(ctx, f.url("roomId=r1"), &websocket.DialOptions{HTTPHeader: h})
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				defer c.CloseNow()
				if m := hello(t, c, 0); !strings.Contains(string(m.Data), `"userId":"alice"`) || !strings.Contains(string(m.Data), `"role":"candidate"`) {
					t.Errorf("hello: %s", m.Data)
				}
				return
			}
			if err == nil {
				c.CloseNow()
				t.Fatal("a foreign origin was accepted")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("foreign origin: %v", err)
			}
		})
	}
	// ?token= works for clients that cannot set headers.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, f.url("roomId=r1&token=tok-inv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if m := hello(t, c, 0); !strings.Contains(string(m.Data), `"role":"staff"`) {
		t.Errorf("invigilator's hello: %s", m.Data)
	}
}

func TestEventsAndScopes(t *testing.T) {
	f := MustServe(t, ws.Limits{})
	inv := f.MustDial(t, "tok-inv", "roomId=r1")
	alice := f.MustDial(t, "tok-alice", "roomId=r1")
	hello(t, inv, 0)
	hello(t, alice, 0)
	bobs := f.publish(t, "bob", examhall.EventCheat)
	all := f.publish(t, "", examhall.EventMessage)
	alices := f.publish(t, "alice", examhall.EventTime)
	for _, want := range []*examhall.Event{bobs, all, alices} {
		if m := next(t, inv); m.Seq != want.Seq || m.Type != string(want.Type) || m.UserID != want.UserID || string(m.Data) != `{"n":1}` {
			t.Errorf("invigilator got %+v, want seq %d", m, want.Seq)
		}
	}
	for _, want := range []*examhall.Event{all, alices} { // not bob's
		if m := next(t, alice); m.Seq != want.Seq {
			t.Errorf("alice got %+v, want seq %d", m, want.Seq)
		}
	}
}

func TestPresenceOverWebSocket(t *testing.T) {
	f := MustServe(t, ws.Limits{})
	inv := f.MustDial(t, "tok-inv", "roomId=r1")
	hello(t, inv, 0)
	f.MustDial(t, "tok-bob", "roomId=r1")
	for {
		m, err := read(inv, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == "presence" && m.UserID == "bob" {
			if string(m.Data) != `{"userId":"bob","online":true}` {
				t.Errorf("presence data %s", m.Data)
			}
			break
		}
	}
}

func TestResumeWithoutGaps(t *testing.T) {
	f := MustServe(t, ws.Limits{})
	first := f.publish(t, "", examhall.EventMessage)
	var want []int64
	for range 5 {
		want = append(want, f.publish(t, "bob", examhall.EventCheat).Seq)
	}
	// Events keep coming while the invigilator's page reconnects.
	var wg sync.WaitGroup
	wg.Add(1)
	var mu sync.Mutex
	go func() {
		defer wg.Done()
		for range 50 {
			e := f.publish(t, "alice", examhall.EventCheat)
			mu.Lock()
			want = append(want, e.Seq)
			mu.Unlock()
		}
	}()
	inv := f.MustDial(t, "tok-inv", "roomId=r1")
	if m := hello(t, inv, first.Seq); !strings.Contains(string(m.Data), fmt.Sprintf(`"lastSeq":%d`, first.Seq)) {
		t.Errorf("hello: %s", m.Data)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	var got []int64
	for len(got) < len(want) {
		m := next(t, inv)
		got = append(got, m.Seq)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v,\nwant %v", got, want)
		}
	}
	// Nothing more: no duplicates.
	last := f.publish(t, "", examhall.EventRoomEnded)
	if m := next(t, inv); m.Seq != last.Seq {
		t.Errorf("after the replay: seq %d, want %d", m.Seq, last.Seq)
	}

	// A candidate resumes with her own and the room-wide events only.
	alice := f.MustDial(t, "tok-alice", "roomId=r1")
	hello(t, alice, want[4]) // after bob's cheats
	if m := next(t, alice); m.Seq != want[5] || m.UserID != "alice" {
		t.Errorf("alice's first replayed event: %+v, want seq %d", m, want[5])
	}
}

func TestResumeTooFarBehind(t *testing.T) {
	f := MustServe(t, ws.Limits{MaxReplay: 3})
	first := f.publish(t, "", examhall.EventMessage)
	for range 4 {
		f.publish(t, "", examhall.EventMessage)
	}
	inv := f.MustDial(t, "tok-inv", "roomId=r1")
	hello(t, inv, first.Seq)
	if code := closed(t, inv); code != ws.CloseTooFarBehind {
		t.Errorf("close code %d, want %d", code, ws.CloseTooFarBehind)
	}
}

func TestBadMessages(t *testing.T) {
	f := MustServe(t, ws.Limits{})
	alice := f.MustDial(t, "tok-alice", "roomId=r1")
	hello(t, alice, 0)
	for _, tt := range []struct {
		name, raw, code string
	}{
		{"unknown type", `{"type":"shout","v":1,"id":"x1"}`, examhall.EINVALID},
		{"no version", `{"type":"heartbeat"}`, examhall.EINVALID},
		{"other version", `{"type":"heartbeat","v":2}`, examhall.EINVALID},
		{"malformed", `{"type":`, examhall.EINVALID},
		{"not an object", `[1,2]`, examhall.EINVALID},
		{"NUL", `{"type":"heart\u0000beat","v":1}`, examhall.EINVALID},
		{"second hello", `{"type":"hello","v":1}`, examhall.ECONFLICT},
		{"signal without data", `{"type":"signal","v":1,"id":"s0"}`, examhall.EINVALID},
		{"signal without attempt", `{"type":"signal","v":1,"id":"s0","data":{"type":"switch"}}`, examhall.EINVALID},
		{"signal with a bad time", `{"type":"signal","v":1,"id":"s0","data":{"attemptId":"a-alice","type":"switch","at":"noon"}}`, examhall.EINVALID},
		{"another's attempt", `{"type":"signal","v":1,"id":"s1","data":{"attemptId":"a-bob","type":"switch","seconds":3}}`, examhall.EFORBIDDEN},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := alice.Write(context.Background(), websocket.MessageText, []byte(tt.raw)); err != nil {
				t.Fatal(err)
			}
			if code := errorCode(t, next(t, alice)); code != tt.code {
				t.Errorf("code %s, want %s", code, tt.code)
			}
		})
	}
	if n := f.signals.count(); n != 0 {
		t.Errorf("%d signals recorded from bad messages", n)
	}
	// The connection still serves: her own signal is acknowledged.
	send(t, alice, map[string]any{"type": "signal", "v": 1, "id": "s2",
		"data": map[string]any{"attemptId": "a-alice", "type": "switch", "at": time.Now(), "seconds": 2.5}})
	m := next(t, alice)
	if m.Type != "ack" || m.ID != "s2" || string(m.Data) != `{"switches":1,"submitted":false}` {
		t.Errorf("ack: %+v %s", m, m.Data)
	}
	send(t, alice, map[string]any{"type": "ack", "v": 1, "seq": 1})
	send(t, alice, map[string]any{"type": "heartbeat", "v": 1})
	e := f.publish(t, "alice", examhall.EventMessage)
	if m := next(t, alice); m.Seq != e.Seq {
		t.Errorf("after bad messages: %+v", m)
	}
}

func TestSignalsNotWired(t *testing.T) {
	f := MustServe(t, ws.Limits{})
	f.srv.Signals = nil
	alice := f.MustDial(t, "tok-alice", "roomId=r1")
	send(t, alice, map[string]any{"type": "signal", "v": 1, "id": "s1", "data": map[string]any{"attemptId": "a-alice", "type": "copy"}})
	m := next(t, alice)
	if errorCode(t, m) != examhall.EUNAVAILABLE || !strings.Contains(string(m.Data), "proctoring not available") || m.ID != "s1" {
		t.Errorf("got %+v %s", m, m.Data)
	}
}

// TestAbuseClosesOnlyTheAbuser: a flood and an oversized frame close their
// connection with 1008 and 1009; the other pages keep receiving.
func TestAbuseClosesOnlyTheAbuser(t *testing.T) {
	f := MustServe(t, ws.Limits{Rate: 1, Burst: 5, MaxRefused: 10, MaxMessageBytes: 1024})
	inv := f.MustDial(t, "tok-inv", "roomId=r1")
	hello(t, inv, 0)

	t.Run("flood", func(t *testing.T) {
		bob := f.MustDial(t, "tok-bob", "roomId=r1")
		hello(t, bob, 0)
		for range 30 {
			if err := bob.Write(context.Background(), websocket.MessageText, []byte(`{"type":"heartbeat","v":1}`)); err != nil {
				break // closed under us
			}
		}
		if code := errorCode(t, next(t, bob)); code != examhall.ETOOMANY {
			t.Errorf("code %s, want too_many", code)
		}
		if code := closed(t, bob); code != websocket.StatusPolicyViolation {
			t.Errorf("close code %d, want 1008", code)
		}
	})
	t.Run("oversized", func(t *testing.T) {
		alice := f.MustDial(t, "tok-alice", "roomId=r1")
		hello(t, alice, 0)
		big := `{"type":"heartbeat","v":1,"id":"` + strings.Repeat("x", 2000) + `"}`
		_ = alice.Write(context.Background(), websocket.MessageText, []byte(big))
		if code := closed(t, alice); code != websocket.StatusMessageTooBig {
			t.Errorf("close code %d, want 1009", code)
		}
	})
	e := f.publish(t, "", examhall.EventMessage)
	if m := next(t, inv); m.Seq != e.Seq {
		t.Errorf("invigilator after the abuse: %+v, want seq %d", m, e.Seq)
	}
}

func TestHelloRequired(t *testing.T) {
	f := MustServe(t, ws.Limits{Hello: 100 * time.Millisecond})
	alice := f.MustDial(t, "tok-alice", "roomId=r1")
	if code := closed(t, alice); code != websocket.StatusPolicyViolation {
		t.Errorf("close code %d, want 1008", code)
	}
}

func TestIdleClosed(t *testing.T) {
	f := MustServe(t, ws.Limits{Idle: 200 * time.Millisecond})
	alice := f.MustDial(t, "tok-alice", "roomId=r1")
	hello(t, alice, 0)
	if code := closed(t, alice); code != ws.CloseIdle {
		t.Errorf("close code %d, want %d", code, ws.CloseIdle)
	}
}

func TestShutdownGoingAway(t *testing.T) {
	f := MustServe(t, ws.Limits{})
	alice := f.MustDial(t, "tok-alice", "roomId=r1")
	hello(t, alice, 0)
	f.hub.Close()
	if code := closed(t, alice); code != websocket.StatusGoingAway {
		t.Errorf("close code %d, want 1001", code)
	}
}
