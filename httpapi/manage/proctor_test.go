package manage

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// testJPEGBytes stands in for a JPEG: the handler passes the body on, and
// the proctor service (mocked here) checks it.
var testJPEGBytes = []byte{0xFF, 0xD8, 0xFF, 0xE0, 'f', 'a', 'k', 'e'}

// fakeProctor gives the world a proctoring service that authorizes like
// the real one, in small: the candidate of a1 (u-exa) for snapshots and
// signals, room r1's staff (u-inv, admins) for the rest.
func (w *world) fakeProctor() {
	candidate := func(ctx context.Context, attemptID string) error {
		c := examhall.CallerFromContext(ctx)
		a, ok := w.attempt[attemptID]
		switch {
		case !ok:
			return notFound("attempt")
		case a.UserID != c.ID:
			return examhall.Errorf(examhall.EFORBIDDEN, "attempt %q is another candidate's", attemptID)
		}
		return nil
	}
	staff := func(ctx context.Context, roomID string) error {
		c := examhall.CallerFromContext(ctx)
		switch {
		case roomID != "r1":
			return notFound("room")
		case c.Role != examhall.RoleAdmin && c.ID != "u-inv":
			return examhall.Errorf(examhall.EFORBIDDEN, "only this room's invigilators may do this")
		}
		return nil
	}
	staffAttempt := func(ctx context.Context, attemptID string) (*examhall.Attempt, error) {
		a, ok := w.attempt[attemptID]
		if !ok {
			return nil, notFound("attempt")
		}
		return a, staff(ctx, "r1")
	}
	w.proctor.AddSnapshotFn = func(ctx context.Context, attemptID string, b []byte) (*examhall.Snapshot, error) {
		if err := candidate(ctx, attemptID); err != nil {
			return nil, err
		}
		w.record("AddSnapshot")
		return &examhall.Snapshot{ID: "s1", AttemptID: attemptID, ExamID: "e1", RoomID: "r1", UserID: "u-exa", TakenAt: now, Size: int64(len(b))}, nil
	}
	w.proctor.OpenSnapshotFn = func(ctx context.Context, id string) (*examhall.Snapshot, io.ReadCloser, error) {
		if id != "s1" {
			return nil, nil, notFound("snapshot")
		}
		if c := examhall.CallerFromContext(ctx); c.ID != "u-exa" {
			if err := staff(ctx, "r1"); err != nil {
				return nil, nil, err
			}
		}
		return &examhall.Snapshot{ID: "s1", Size: int64(len(testJPEGBytes))}, io.NopCloser(bytes.NewReader(testJPEGBytes)), nil
	}
	w.proctor.RecordSignalFn = func(ctx context.Context, attemptID string, s examhall.Signal) (*examhall.SignalResult, error) {
		if err := candidate(ctx, attemptID); err != nil {
			return nil, err
		}
		w.record("RecordSignal:" + string(s.Type))
		return &examhall.SignalResult{Switches: 1}, nil
	}
	w.proctor.SendMessageFn = func(ctx context.Context, roomID, userID, text string) (*examhall.Action, error) {
		if err := staff(ctx, roomID); err != nil {
			return nil, err
		}
		w.record("SendMessage:" + userID + ":" + text)
		return &examhall.Action{ID: "act1", Type: examhall.ActionMessage, ExamID: "e1", RoomID: roomID, UserID: userID,
			ActorID: examhall.CallerFromContext(ctx).ID, Detail: text, CreatedAt: now}, nil
	}
	w.proctor.ExtendAttemptFn = func(ctx context.Context, attemptID string, minutes int) (*examhall.Attempt, error) {
		a, err := staffAttempt(ctx, attemptID)
		if err != nil {
			return nil, err
		}
		w.record("ExtendAttempt")
		c := *a
		c.Deadline = c.Deadline.Add(time.Duration(minutes) * time.Minute)
		return &c, nil
	}
	w.proctor.ForceSubmitFn = func(ctx context.Context, attemptID string) (*examhall.Attempt, error) {
		a, err := staffAttempt(ctx, attemptID)
		if err != nil {
			return nil, err
		}
		w.record("ForceSubmit")
		c := *a
		c.Status = examhall.AttemptPublished
		return &c, nil
	}
	w.proctor.EndRoomFn = func(ctx context.Context, roomID string) (*examhall.Room, int, error) {
		if err := staff(ctx, roomID); err != nil {
			return nil, 0, err
		}
		w.record("EndRoom")
		r := *w.room
		r.Status = examhall.RoomEnded
		return &r, 1, nil
	}
	w.proctor.TimelineFn = func(ctx context.Context, attemptID string) ([]*examhall.TimelineEntry, error) {
		if _, err := staffAttempt(ctx, attemptID); err != nil {
			return nil, err
		}
		return []*examhall.TimelineEntry{
			{At: now, Kind: "signal", Signal: &examhall.CheatRecord{ID: 7, DetectType: "switch", DetectTime: now.UnixMilli()}},
			{At: now.Add(time.Second), Kind: "snapshot", Snapshot: &examhall.Snapshot{ID: "s1", TakenAt: now.Add(time.Second)}},
		}, nil
	}
	w.proctor.LiveFn = func(ctx context.Context, roomID string) (*examhall.RoomLive, error) {
		if err := staff(ctx, roomID); err != nil {
			return nil, err
		}
		return &examhall.RoomLive{Room: w.room, Exam: w.exam, At: now, Members: []*examhall.LiveMember{
			{UserID: "u-exa", Account: "exa", Name: "Ezra", AttemptID: "a1", Status: examhall.AttemptInProgress,
				Answered: 2, Total: 5, Deadline: now.Add(90 * time.Second), Switches: 1, Cheats: 2, SnapshotID: "s1",
				LastSignal: &examhall.LastSignal{Type: examhall.SignalSwitch, At: now}},
			{UserID: "u-other", Account: "other", Name: "Otto", Total: 5},
		}}, nil
	}
}

// proctorRoutes are one valid request per proctoring route.
var proctorRoutes = []request{
	{method: "POST", path: "/api/v1/attempts/a1/snapshots", body: string(testJPEGBytes), contentType: "image/jpeg"},
	{method: "GET", path: "/api/v1/snapshots/s1"},
	{method: "POST", path: "/api/v1/attempts/a1/signals", body: `{"type":"switch","seconds":3}`},
	{method: "POST", path: "/api/v1/attempts/a1/extend", body: `{"minutes":10}`},
	{method: "POST", path: "/api/v1/attempts/a1/force-submit"},
	{method: "GET", path: "/api/v1/attempts/a1/timeline"},
	{method: "POST", path: "/api/v1/rooms/r1/messages", body: `{"text":"hello"}`},
	{method: "POST", path: "/api/v1/rooms/r1/end"},
	{method: "GET", path: "/api/v1/rooms/r1/live"},
}

func TestProctorAuth(t *testing.T) {
	for _, req := range proctorRoutes {
		t.Run(req.method+" "+req.path, func(t *testing.T) {
			w := newWorld(t)
			for _, token := range []string{"", "not-a-token"} {
				req.token = token
				rec := w.do(t, req)
				if rec.Code != http.StatusUnauthorized || errorCode(t, rec) != examhall.EUNAUTHORIZED {
					t.Errorf("token %q: status %d, body %s; want 401", token, rec.Code, rec.Body)
				}
			}
			if got := w.writes(); len(got) > 0 {
				t.Errorf("unauthenticated requests wrote %v", got)
			}
		})
	}
}

// TestProctorForbidden: candidates may not act as staff, staff may not act
// as candidates, and another candidate may not touch a1.
func TestProctorForbidden(t *testing.T) {
	staffOnly := map[string]bool{"extend": true, "force-submit": true, "timeline": true, "messages": true, "end": true, "live": true}
	for _, req := range proctorRoutes {
		parts := strings.Split(req.path, "/")
		last := parts[len(parts)-1]
		token := tokInv // not a1's candidate
		if staffOnly[last] {
			token = tokExa
		}
		if last == "s1" {
			continue // the candidate and the staff both read it
		}
		t.Run(req.method+" "+req.path, func(t *testing.T) {
			w := newWorld(t)
			req.token = token
			rec := w.do(t, req)
			if rec.Code != http.StatusForbidden || errorCode(t, rec) != examhall.EFORBIDDEN {
				t.Errorf("status %d, body %s; want 403", rec.Code, rec.Body)
			}
			if got := w.writes(); len(got) > 0 {
				t.Errorf("a refused request wrote %v", got)
			}
		})
	}
}

func TestProctorBadInput(t *testing.T) {
	big := strings.Repeat("x", examhall.MaxSnapshotBytes+1)
	for _, tt := range []struct {
		name   string
		req    request
		status int
	}{
		{"snapshot without content type", request{method: "POST", path: "/api/v1/attempts/a1/snapshots", token: tokExa, body: string(testJPEGBytes)}, 400},
		{"snapshot as PNG", request{method: "POST", path: "/api/v1/attempts/a1/snapshots", token: tokExa, body: "\x89PNG", contentType: "image/png"}, 400},
		{"snapshot as JSON", request{method: "POST", path: "/api/v1/attempts/a1/snapshots", token: tokExa, body: `{"jpeg":"..."}`, contentType: "application/json"}, 400},
		{"snapshot too large", request{method: "POST", path: "/api/v1/attempts/a1/snapshots", token: tokExa, body: big, contentType: "image/jpeg"}, 413},
		{"snapshot of an over-long id", request{method: "POST", path: "/api/v1/attempts/" + strings.Repeat("a", 65) + "/snapshots", token: tokExa, body: "x", contentType: "image/jpeg"}, 400},
		{"unknown snapshot", request{method: "GET", path: "/api/v1/snapshots/s9", token: tokExa}, 404},
		{"signal malformed", request{method: "POST", path: "/api/v1/attempts/a1/signals", token: tokExa, body: `{"type":`}, 400},
		{"signal without type", request{method: "POST", path: "/api/v1/attempts/a1/signals", token: tokExa, body: `{"seconds":3}`}, 400},
		{"signal seconds as text", request{method: "POST", path: "/api/v1/attempts/a1/signals", token: tokExa, body: `{"type":"switch","seconds":"3"}`}, 400},
		{"signal bad time", request{method: "POST", path: "/api/v1/attempts/a1/signals", token: tokExa, body: `{"type":"switch","at":"yesterday"}`}, 400},
		{"signal of unknown attempt", request{method: "POST", path: "/api/v1/attempts/a9/signals", token: tokExa, body: `{"type":"switch"}`}, 404},
		{"extend without minutes", request{method: "POST", path: "/api/v1/attempts/a1/extend", token: tokInv, body: `{}`}, 400},
		{"extend by text", request{method: "POST", path: "/api/v1/attempts/a1/extend", token: tokInv, body: `{"minutes":"ten"}`}, 400},
		{"extend by a fraction", request{method: "POST", path: "/api/v1/attempts/a1/extend", token: tokInv, body: `{"minutes":1.5}`}, 400},
		{"message malformed", request{method: "POST", path: "/api/v1/rooms/r1/messages", token: tokInv, body: `hello`}, 400},
		{"message to a bad user id", request{method: "POST", path: "/api/v1/rooms/r1/messages", token: tokInv, body: `{"userId":"a b","text":"hi"}`}, 400},
		{"message with NUL", request{method: "POST", path: "/api/v1/rooms/r1/messages", token: tokInv, body: `{"text":"a\u0000b"}`}, 400},
		{"live of unknown room", request{method: "GET", path: "/api/v1/rooms/r9/live", token: tokInv}, 404},
		{"end of unknown room", request{method: "POST", path: "/api/v1/rooms/r9/end", token: tokInv}, 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			rec := w.do(t, tt.req)
			if rec.Code != tt.status || errorCode(t, rec) == "" {
				t.Errorf("status %d, body %s; want %d in the error shape", rec.Code, rec.Body, tt.status)
			}
			if got := w.writes(); len(got) > 0 {
				t.Errorf("bad input wrote %v", got)
			}
		})
	}
}

func TestProctorUnavailable(t *testing.T) {
	w := newWorld(t)
	w.srv.Proctor = nil
	rec := w.do(t, request{method: "GET", path: "/api/v1/rooms/r1/live", token: tokInv})
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", rec.Code)
	}
}

func TestProctorRoutes(t *testing.T) {
	w := newWorld(t)
	tokens := map[string]string{"snapshots": tokExa, "signals": tokExa, "s1": tokInv}
	wantStatus := map[string]int{"snapshots": 201, "messages": 201}
	for _, req := range proctorRoutes {
		parts := strings.Split(req.path, "/")
		last := parts[len(parts)-1]
		req.token = tokInv
		if tok, ok := tokens[last]; ok {
			req.token = tok
		}
		rec := w.do(t, req)
		want := 200
		if s, ok := wantStatus[last]; ok {
			want = s
		}
		if rec.Code != want {
			t.Errorf("%s %s: status %d, body %s; want %d", req.method, req.path, rec.Code, rec.Body, want)
		}
	}
	want := []string{"AddSnapshot", "RecordSignal:switch", "ExtendAttempt", "ForceSubmit", "SendMessage::hello", "EndRoom"}
	if diff := cmp.Diff(want, w.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}

	rec := w.do(t, request{method: "GET", path: "/api/v1/snapshots/s1", token: tokExa})
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), testJPEGBytes) || rec.Header().Get("Content-Type") != "image/jpeg" ||
		rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("snapshot: %d %v %q", rec.Code, rec.Header(), rec.Body.Bytes())
	}

	var snap struct {
		ID, URL, TakenAt string
	}
	rec = w.do(t, request{method: "POST", path: "/api/v1/attempts/a1/snapshots", token: tokExa, body: string(testJPEGBytes), contentType: "image/jpeg; charset=binary"})
	MustDecode(t, rec, &snap)
	if snap.ID != "s1" || snap.URL != "/api/v1/snapshots/s1" || !strings.HasSuffix(snap.TakenAt, "+08:00") {
		t.Errorf("snapshot view = %+v", snap)
	}

	var live struct {
		Members []struct {
			UserID      string `json:"userId"`
			SecondsLeft *int   `json:"secondsLeft"`
			SnapshotURL string `json:"snapshotUrl"`
			Answered    int    `json:"answered"`
			Total       int    `json:"total"`
			Switches    int    `json:"switches"`
			Cheats      int    `json:"cheats"`
			LastSignal  *struct{ Type, At string }
		} `json:"members"`
		Exam struct {
			Proctoring examhall.Proctoring `json:"proctoring"`
		} `json:"exam"`
	}
	MustDecode(t, w.do(t, request{method: "GET", path: "/api/v1/rooms/r1/live", token: tokInv}), &live)
	if len(live.Members) != 2 {
		t.Fatalf("live members = %+v", live.Members)
	}
	m := live.Members[0]
	if m.SecondsLeft == nil || *m.SecondsLeft != 90 || m.SnapshotURL != "/api/v1/snapshots/s1" || m.Answered != 2 ||
		m.Total != 5 || m.Switches != 1 || m.Cheats != 2 || m.LastSignal == nil || m.LastSignal.Type != "switch" {
		t.Errorf("live member = %+v", m)
	}
	if o := live.Members[1]; o.SecondsLeft != nil || o.SnapshotURL != "" {
		t.Errorf("member without attempt = %+v", o)
	}
	if live.Exam.Proctoring.SnapshotSeconds != examhall.DefaultSnapshotSeconds {
		t.Errorf("live exam proctoring = %+v", live.Exam.Proctoring)
	}

	var tl struct {
		Items []struct{ Kind string }
		Total int
	}
	MustDecode(t, w.do(t, request{method: "GET", path: "/api/v1/attempts/a1/timeline", token: tokAdmin}), &tl)
	if tl.Total != 2 || tl.Items[0].Kind != "signal" || tl.Items[1].Kind != "snapshot" {
		t.Errorf("timeline = %+v", tl)
	}
}

func TestExamProctoringSettings(t *testing.T) {
	w := newWorld(t)
	var created struct {
		Proctoring examhall.Proctoring `json:"proctoring"`
	}
	rec := w.do(t, request{method: "POST", path: "/api/v1/exams", token: tokAdmin,
		body: `{"name":"X","beginTime":"2025-06-02T09:00:00Z","endTime":"2025-06-02T11:00:00Z","proctoring":{"switchLimit":3,"faceCheck":true}}`})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	MustDecode(t, rec, &created)
	if want := (examhall.Proctoring{SwitchLimit: 3, FaceCheck: true, SnapshotSeconds: 30}); created.Proctoring != want {
		t.Errorf("created proctoring = %+v, want %+v", created.Proctoring, want)
	}

	rec = w.do(t, request{method: "PATCH", path: "/api/v1/exams/e1", token: tokAdmin, body: `{"proctoring":{"enabled":true,"switchMaxSeconds":20}}`})
	var patched struct {
		Proctoring examhall.Proctoring `json:"proctoring"`
	}
	MustDecode(t, rec, &patched)
	if want := (examhall.Proctoring{Enabled: true, SwitchMaxSeconds: 20, SnapshotSeconds: 30}); rec.Code != 200 || patched.Proctoring != want {
		t.Errorf("patched: %d %+v, want %+v", rec.Code, patched.Proctoring, want)
	}

	for _, tt := range []struct{ body, field string }{
		{`{"proctoring":{"switchLimit":-1}}`, "proctoring.switchLimit"},
		{`{"proctoring":{"switchLimit":1001}}`, "proctoring.switchLimit"},
		{`{"proctoring":{"switchMaxSeconds":3601}}`, "proctoring.switchMaxSeconds"},
		{`{"proctoring":{"snapshotSeconds":-1}}`, "proctoring.snapshotSeconds"},
		{`{"proctoring":{"snapshotSeconds":4}}`, "proctoring.snapshotSeconds"},
		{`{"proctoring":{"snapshotSeconds":86400}}`, "proctoring.snapshotSeconds"},
		{`{"proctoring":{"faceCheck":"yes"}}`, "faceCheck"},
		{`{"proctoring":true}`, "proctoring"},
	} {
		w := newWorld(t)
		rec := w.do(t, request{method: "PATCH", path: "/api/v1/exams/e1", token: tokAdmin, body: tt.body})
		var e errorJSON
		MustDecode(t, rec, &e)
		if rec.Code != 400 || !strings.Contains(e.Error.Message, tt.field) {
			t.Errorf("%s: %d %q; want 400 naming %s", tt.body, rec.Code, e.Error.Message, tt.field)
		}
		if got := w.writes(); len(got) > 0 {
			t.Errorf("%s wrote %v", tt.body, got)
		}
	}
	rec = w.do(t, request{method: "POST", path: "/api/v1/exams", token: tokAdmin,
		body: `{"name":"X","beginTime":"2025-06-02T09:00:00Z","endTime":"2025-06-02T11:00:00Z","proctoring":{"snapshotSeconds":1}}`})
	if rec.Code != 400 {
		t.Errorf("create with snapshotSeconds 1: %d", rec.Code)
	}
}
