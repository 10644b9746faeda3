package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer is a tiny stand-in for examhall: the /api/v1 calls of the
// setup and the /exam/ calls of the scenarios, checking what they send.
type fakeServer struct {
	t          *testing.T
	mu         sync.Mutex
	users      map[string]string // id -> account
	roster     []string
	examID     string
	roomID     string
	records    atomic.Int64
	linksShape string // "array" or "items"
	failUsers  bool
	paperSet   bool
	published  bool
}

const adminTok = "admin-token"

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var body map[string]any
	var paper []map[string]any
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		if len(b) > 0 {
			into := any(&body)
			if strings.HasSuffix(r.URL.Path, "/paper") {
				into = &paper
			}
			if err := json.Unmarshal(b, into); err != nil {
				http.Error(w, "bad json", 400)
				return
			}
		}
	}
	writeJSON := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	ok := func(data any) { writeJSON(map[string]any{"success": true, "errorCode": "", "data": data}) }
	fail := func(status int, code string) {
		w.WriteHeader(status)
		writeJSON(map[string]any{"success": false, "errorCode": code})
	}
	if strings.HasPrefix(r.URL.Path, "/api/v1/") && r.URL.Path != "/api/v1/login" &&
		r.Header.Get("Authorization") != "Bearer "+adminTok {
		http.Error(w, `{"error":"unauthorized"}`, 401)
		return
	}
	switch p := r.URL.Path; {
	case p == "/api/v1/login":
		if body["account"] != "admin" || body["password"] != "pw" {
			http.Error(w, `{"error":"wrong password"}`, 401)
			return
		}
		writeJSON(map[string]any{"token": adminTok, "expire": "2030-01-01T00:00:00Z"})
	case p == "/api/v1/users":
		if f.failUsers {
			http.Error(w, `{"error":"role: unknown"}`, 400)
			return
		}
		if body["role"] != "examinee" || body["account"] == "" {
			http.Error(w, "bad user", 400)
			return
		}
		id := len(f.users) + 100 // numeric ids: flexID must take them
		f.users[fmt.Sprint(id)] = body["account"].(string)
		writeJSON(map[string]any{"id": id, "account": body["account"]})
	case p == "/api/v1/exams":
		for _, k := range []string{"name", "beginTime", "endTime", "answerMinutes"} {
			if body[k] == nil {
				http.Error(w, "missing "+k, 400)
				return
			}
		}
		if _, err := time.Parse(time.RFC3339, body["beginTime"].(string)); err != nil {
			http.Error(w, "beginTime", 400)
			return
		}
		f.examID = "exam-1"
		writeJSON(map[string]any{"id": f.examID})
	case p == "/api/v1/exams/exam-1/paper":
		if len(paper) != 1 || paper[0]["type"] != "single" {
			http.Error(w, "paper", 400)
			return
		}
		f.paperSet = true
		writeJSON(map[string]any{"items": paper})
	case p == "/api/v1/exams/exam-1/publish":
		if !f.paperSet {
			http.Error(w, "publish before paper", 409)
			return
		}
		f.published = true
		writeJSON(map[string]any{"id": f.examID, "status": "published"})
	case p == "/api/v1/rooms":
		if body["examId"] != f.examID || !f.published {
			http.Error(w, "examId", 400)
			return
		}
		f.roomID = "room/1" // needs escaping in paths and queries
		writeJSON(map[string]any{"id": f.roomID})
	case p == "/api/v1/rooms/room/1/members" && r.URL.RawPath == "/api/v1/rooms/room%2F1/members":
		for _, m := range body["members"].([]any) {
			f.roster = append(f.roster, m.(map[string]any)["userId"].(string))
		}
		w.WriteHeader(http.StatusNoContent)
	case p == "/api/v1/rooms/room/1/links":
		links := []map[string]any{{"userId": "1", "name": "Admin", "role": "admin", "url": "http://x/?token=nope"}}
		for _, id := range f.roster {
			links = append(links, map[string]any{"userId": id, "role": "examinee",
				"url": "https://aui.example/exam/#/student?roomId=room%2F1&token=tok-" + id + "&x=1"})
		}
		if f.linksShape == "items" {
			writeJSON(map[string]any{"items": links})
		} else {
			writeJSON(links)
		}
	case strings.HasPrefix(p, "/exam/"):
		tok := r.Header.Get("Authorization")
		_, examinee := f.users[strings.TrimPrefix(tok, "tok-")]
		if tok != adminTok && !examinee {
			fail(401, "unauthorized")
			return
		}
		switch p {
		case "/exam/roomInfo", "/exam/userList":
			if r.URL.Query().Get("roomId") != f.roomID {
				fail(404, "not_found")
				return
			}
			ok(map[string]any{"id": f.roomID})
		case "/exam/userInfo":
			if "tok-"+r.URL.Query().Get("userId") != tok {
				fail(403, "forbidden")
				return
			}
			ok(map[string]any{"id": r.URL.Query().Get("userId")})
		case "/exam/updateRoomAudioStatus":
			if body["id"] != f.roomID {
				fail(400, "invalid")
				return
			}
			ok(true)
		case "/exam/cheat/addCheatRecord":
			var recs []map[string]any
			if err := json.Unmarshal([]byte(body["data"].(string)), &recs); err != nil || len(recs) == 0 || len(recs) > 1000 {
				fail(400, "invalid")
				return
			}
			for _, rec := range recs {
				if "tok-"+rec["userId"].(string) != tok {
					fail(403, "forbidden")
					return
				}
			}
			f.records.Add(int64(len(recs)))
			ok(nil)
		case "/exam/cheat/listCheatRecord":
			ok(map[string]any{"cheatRecordEntitys": []any{}})
		default:
			fail(404, "not_found")
		}
	default:
		http.NotFound(w, r)
	}
}

func newFake(t *testing.T, shape string) (*fakeServer, *httptest.Server) {
	f := &fakeServer{t: t, users: map[string]string{}, linksShape: shape}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return f, ts
}

func TestSetup(t *testing.T) {
	for _, shape := range []string{"array", "items"} {
		_, ts := newFake(t, shape)
		client := NewClient(4, 5*time.Second)
		f, err := Setup(context.Background(), client, ts.URL, "admin", "pw", 3)
		if err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		if f.AdminToken != adminTok || f.ExamID != "exam-1" || f.RoomID != "room/1" || len(f.Examinees) != 3 {
			t.Fatalf("%s: fixtures %+v", shape, f)
		}
		for _, e := range f.Examinees {
			if e.Token != "tok-"+e.ID || !strings.HasPrefix(e.Account, f.Prefix+"-e") {
				t.Errorf("%s: examinee %+v", shape, e)
			}
		}
	}
}

func TestSetupErrorsShowStatusAndBody(t *testing.T) {
	fake, ts := newFake(t, "array")
	client := NewClient(4, 5*time.Second)
	_, err := Setup(context.Background(), client, ts.URL, "admin", "wrong", 3)
	if err == nil || !strings.Contains(err.Error(), "POST /api/v1/login: HTTP 401") ||
		!strings.Contains(err.Error(), "wrong password") {
		t.Errorf("wrong password: %v", err)
	}
	fake.failUsers = true
	_, err = Setup(context.Background(), client, ts.URL, "admin", "pw", 3)
	if err == nil || !strings.Contains(err.Error(), "POST /api/v1/users: HTTP 400") ||
		!strings.Contains(err.Error(), "role: unknown") {
		t.Errorf("failing user creation: %v", err)
	}
}

func TestTokenFromURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://h/exam?token=abc", "abc"},
		{"http://h/exam?roomId=1&token=abc&x=2", "abc"},
		{"http://h/#/student?token=a.b.c", "a.b.c"},
		{"http://h/exam?imtoken=no&token=yes", "yes"},
		{"http://h/exam?token=a%2Bb", "a+b"},
		{"http://h/exam?token=abc#frag", "abc"},
		{"http://h/exam?imtoken=no", ""},
		{"http://h/exam", ""},
		{"token=bare", "bare"},
	}
	for _, tt := range tests {
		if got := tokenFromURL(tt.in); got != tt.want {
			t.Errorf("tokenFromURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLinkList(t *testing.T) {
	for _, in := range []string{
		`[{"userId":"u1","role":"examinee","url":"x?token=t"}]`,
		`{"items":[{"userId":"u1","role":"examinee","url":"x?token=t"}],"total":1}`,
	} {
		var l linkList
		if err := json.Unmarshal([]byte(in), &l); err != nil || len(l) != 1 || l[0].UserID != "u1" {
			t.Errorf("decode %s: %v %+v", in, err, l)
		}
	}
	var l linkList
	if err := json.Unmarshal([]byte(`{"links":[]}`), &l); err == nil {
		t.Error("an object without items decoded")
	}
	var id flexID
	if err := json.Unmarshal([]byte(`12345678901234567890`), &id); err != nil || id != "12345678901234567890" {
		t.Errorf("flexID from a number: %q %v", id, err)
	}
}

// The whole tool, ceiling and every scenario, against the fake.
func TestRunAgainstFake(t *testing.T) {
	fake, ts := newFake(t, "items")
	var stdout, stderr bytes.Buffer
	cfg, err := parseFlags([]string{"-url", ts.URL, "-c", "4", "-d", "100ms", "-warmup", "20ms",
		"-password", "pw", "-examinees", "5", "-preload", "2500", "-json"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), cfg, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	jsonOut := stdout.String()
	var rep Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if len(rep.Results) != 1+len(Scenarios) || rep.Results[0].Name != "ceiling" {
		t.Fatalf("results %+v", rep.Results)
	}
	for i, s := range rep.Results {
		if s.Requests == 0 || s.Errors != 0 {
			t.Errorf("%s: %d requests, errors %v", s.Name, s.Requests, s.ErrorKinds)
		}
		if i > 0 && (s.Name != Scenarios[i-1].Name || s.TargetMet == nil || s.CeilingRatio <= 0) {
			t.Errorf("result %d: %+v", i, s)
		}
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings: %v", rep.Warnings)
	}
	if rep.Preload == nil || rep.Preload.Records != 2500 {
		t.Errorf("preload %+v", rep.Preload)
	}
	add := rep.Results[5]
	if add.Name != "addCheatRecord" || add.RecordsSec <= 0 {
		t.Errorf("addCheatRecord %+v", add)
	}
	// The probe, warm-up and measured requests all inserted 10 records
	// each; the preload 2500.
	if got := fake.records.Load(); got < 2500+int64(add.Requests*cheatBatch) {
		t.Errorf("server stored %d records, fewer than %d", got, 2500+add.Requests*cheatBatch)
	}

	// The table form of the same run.
	var table bytes.Buffer
	if err := WriteTable(&table, &rep); err != nil {
		t.Fatal(err)
	}
	out := table.String()
	t.Logf("table:\n%s\njson:\n%s", out, jsonOut)
	for _, want := range []string{"scenario", "ceiling", "listCheatRecord", "100.0%", "p99 ms",
		"(>=60% ceiling, p99<15ms, 0 errors)", "preload: 2500 records"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// A scenario that fails its probe is still run, and the failure is shown.
func TestRunProbeWarning(t *testing.T) {
	_, ts := newFake(t, "array")
	var stdout, stderr bytes.Buffer
	cfg, err := parseFlags([]string{"-url", ts.URL, "-c", "2", "-d", "50ms", "-warmup", "0",
		"-password", "pw", "-examinees", "2", "-scenarios", "roomInfo"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	// Break the scenario: ask for another room.
	s := cfg.Scenarios[0]
	build := s.Build
	s.Build = func(base string, f *Fixtures) func(int) RequestFunc {
		g := *f
		g.RoomID = "other"
		return build(base, &g)
	}
	cfg.Scenarios[0] = s
	if err := run(context.Background(), cfg, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	for _, want := range []string{"HTTP 404 not_found", "probe request failed", "MISS", "some targets missed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
