package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"examhall"
	"examhall/httpapi/ws"
	"examhall/web"
)

// MustServeReplica opens a Main on dsn with the data directory dir (so
// replicas share the JWT key), starts its hub and serves it.
func MustServeReplica(tb testing.TB, dir, dsn string, configure ...func(*Config)) (*Main, *httptest.Server) {
	tb.Helper()
	m := NewMain()
	m.Config.Data, m.Config.DB = dir, dsn
	for _, f := range configure {
		f(&m.Config)
	}
	m.Log = slog.New(slog.DiscardHandler)
	if err := m.Open(context.Background()); err != nil {
		m.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Hub.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(m.Handler)
	tb.Cleanup(ts.Close)
	return m, ts
}

// wsDial opens the live room's WebSocket on ts with header h and says hello.
func wsDial(tb testing.TB, ts *httptest.Server, query string, h http.Header) *websocket.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws?"+query, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.CloseNow() })
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","v":1}`)); err != nil {
		tb.Fatal(err)
	}
	if m := wsRead(tb, c); m["type"] != "hello" {
		tb.Fatalf("got %v, want hello", m)
	}
	return c
}

func wsRead(tb testing.TB, c *websocket.Conn) map[string]any {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestLiveRoomAcrossReplicas: an invigilator's page on one replica (by its
// session cookie) sees a candidate connecting to another, and the events
// published there; a signal goes to the proctoring service, which refuses
// one for an attempt that does not exist. On SQLite both "replicas" are
// one process.
func TestLiveRoomAcrossReplicas(t *testing.T) {
	run := func(t *testing.T, dsn string) {
		dir := t.TempDir()
		m1, ts1 := MustServeReplica(t, dir, dsn)
		m2, ts2 := m1, ts1
		if dsn != "" {
			m2, ts2 = MustServeReplica(t, dir, dsn)
		}
		res := seed(t, m1)
		examinees, _ := joinLinks(t, res)
		bearer := bearerOf(t, m1, res, examhall.RoleInvigilator)
		cookie := http.Header{"Cookie": {ws.SessionCookie + "=" + strings.TrimPrefix(bearer, "Bearer ")},
			"Origin": {ts1.URL}}
		inv := wsDial(t, ts1, "roomId="+res.RoomID, cookie)

		// A foreign page cannot use the cookie.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		evil := cookie.Clone()
		evil.Set("Origin", "https://evil.example.com")
		if _, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts1.URL, "http")+"/ws?roomId="+res.RoomID,
			&websocket.DialOptions{HTTPHeader: evil}); err == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("foreign origin: %v", err)
		}

		var userID, token string
		for id, tok := range examinees {
			userID, token = id, tok
			break
		}
		cand := wsDial(t, ts2, "roomId="+res.RoomID, http.Header{"Authorization": {"Bearer " + token}})
		// (The invigilator's own presence comes first.)
		for m := wsRead(t, inv); m["type"] != "presence" || m["userId"] != userID; m = wsRead(t, inv) {
			if m["type"] != "presence" {
				t.Fatalf("invigilator got %v, want %s's presence", m, userID)
			}
		}
		// An event published on replica 2 reaches the invigilator on 1.
		e := &examhall.Event{ExamID: res.ExamID, RoomID: res.RoomID, UserID: userID, Type: examhall.EventCheat,
			Data: json.RawMessage(`{"detectType":"switch"}`)}
		if err := m2.Hub.Publish(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		if m := wsRead(t, inv); m["type"] != "cheat" || m["seq"] != float64(e.Seq) {
			t.Errorf("invigilator got %v, want the cheat event %d", m, e.Seq)
		}
		if m := wsRead(t, cand); m["type"] != "presence" {
			t.Errorf("candidate got %v, want own presence", m)
		}
		if m := wsRead(t, cand); m["type"] != "cheat" {
			t.Errorf("candidate got %v, want own cheat event", m)
		}
		if err := cand.Write(ctx, websocket.MessageText, []byte(`{"type":"signal","v":1,"id":"s1","data":{"attemptId":"x","type":"switch"}}`)); err != nil {
			t.Fatal(err)
		}
		if m := wsRead(t, cand); m["type"] != "error" || m["id"] != "s1" || !strings.Contains(toJSON(m["data"]), `"code":"not_found"`) {
			t.Errorf("signal for a made-up attempt: %v, want its not_found error", m)
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, "") })
	if dsn := os.Getenv("EXAMHALL_TEST_POSTGRES"); dsn != "" {
		t.Run("postgres", func(t *testing.T) { run(t, mustSchema(t, dsn)) })
	}
}

// TestLoadSignals: with --load-signals a candidate's signal is acked and
// reaches the room's invigilator as a cheat event; a session without a
// join link (no room) is refused.
func TestLoadSignals(t *testing.T) {
	m, ts := MustServeReplica(t, t.TempDir(), "", func(c *Config) { c.LoadSignals = true })
	res := seed(t, m)
	examinees, _ := joinLinks(t, res)
	bearer := bearerOf(t, m, res, examhall.RoleInvigilator)
	inv := wsDial(t, ts, "roomId="+res.RoomID, http.Header{"Authorization": {bearer}})
	var userID, token string
	for id, tok := range examinees {
		userID, token = id, tok
		break
	}
	cand := wsDial(t, ts, "roomId="+res.RoomID, http.Header{"Authorization": {"Bearer " + token}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cand.Write(ctx, websocket.MessageText, []byte(`{"type":"signal","v":1,"id":"s1","data":{"attemptId":"a1","type":"switch","seconds":2}}`)); err != nil {
		t.Fatal(err)
	}
	for m := wsRead(t, cand); m["type"] != "ack"; m = wsRead(t, cand) {
		if m["type"] == "error" {
			t.Fatalf("signal: %v", m)
		}
	}
	for m := wsRead(t, inv); ; m = wsRead(t, inv) {
		if m["type"] == "cheat" {
			if m["userId"] != userID || !strings.Contains(toJSON(m["data"]), `"detectType":"switch"`) {
				t.Errorf("cheat event %v", m)
			}
			break
		}
	}
	// A login session (not bound to a room) may not use the stand-in.
	stu := bearerOf(t, m, res, examhall.RoleExaminee)
	page := wsDial(t, ts, "roomId="+res.RoomID, http.Header{"Authorization": {stu}})
	if err := page.Write(ctx, websocket.MessageText, []byte(`{"type":"signal","v":1,"id":"s2","data":{"attemptId":"a1","type":"copy"}}`)); err != nil {
		t.Fatal(err)
	}
	for m := wsRead(t, page); m["type"] != "error"; m = wsRead(t, page) {
		if m["type"] == "ack" {
			t.Fatalf("login session's signal acked: %v", m)
		}
	}
}

// TestSessionCookieShared: the WebSocket reads the cookie the pages set.
func TestSessionCookieShared(t *testing.T) {
	if ws.SessionCookie != web.SessionCookie {
		t.Errorf("ws reads %q, web sets %q", ws.SessionCookie, web.SessionCookie)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
