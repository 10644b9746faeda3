package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"examhall"
	"examhall/auth"
	"examhall/demo"
	"examhall/live"
)

// testMains runs fn against a whole program on SQLite and, when
// EXAMHALL_TEST_POSTGRES is set, on PostgreSQL in a fresh schema.
func testMains(t *testing.T, fn func(t *testing.T, m *Main)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, MustOpenMain(t, "")) })
	if dsn := os.Getenv("EXAMHALL_TEST_POSTGRES"); dsn != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, MustOpenMain(t, mustSchema(t, dsn))) })
	}
}

// mustSchema returns dsn pointing at a new schema dropped after the test.
func mustSchema(t testing.TB, dsn string) string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := "e2e_" + examhall.NewID(6)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", dsn); err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// MustOpenMain opens a Main on a temporary data directory (and dsn, when
// given) with live streaming configured with test keys.
func MustOpenMain(tb testing.TB, dsn string) *Main {
	tb.Helper()
	m := NewMain()
	m.Config.Data = tb.TempDir()
	m.Config.DB = dsn
	m.Config.Live = live.Config{
		PushDomain: "push.example.com", PullDomain: "pull.example.com",
		PushAuthKey: "push-test-key", PullAuthKey: "pull-test-key",
	}
	m.Log = slog.New(slog.DiscardHandler) // the warnings about unconfigured providers are expected
	if err := m.Open(context.Background()); err != nil {
		m.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// call sends a request to the program's handler and decodes the JSON answer.
func call(tb testing.TB, m *Main, method, target, token string, body any) (int, map[string]any) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r := httptest.NewRequest(method, target, rd)
	if token != "" {
		r.Header.Set("authorization", token)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	m.Handler.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		tb.Fatalf("%s %s: status %d, body %q is not a JSON object", method, target, w.Code, w.Body.String())
	}
	return w.Code, out
}

// joinLinks parses the demo's links into userId → token, and the invigilator's.
func joinLinks(t *testing.T, res *demo.Result) (examinees map[string]string, invigilator string) {
	examinees = map[string]string{}
	for _, l := range res.Links {
		u, err := url.Parse(l.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("roomId") != res.RoomID {
			t.Fatalf("link %s: roomId %q, want %q", l.URL, q.Get("roomId"), res.RoomID)
		}
		if l.Role == examhall.RoleInvigilator {
			if q.Get("role") != "0" || u.Host != "localhost:8000" {
				t.Errorf("invigilator link %s: want role=0 on localhost:8000", l.URL)
			}
			invigilator = q.Get("token")
		} else {
			examinees[q.Get("userId")] = q.Get("token")
		}
	}
	return examinees, invigilator
}

// bearerOf logs in through /api/v1 as the last demo login of the role and
// returns its Authorization header.
func bearerOf(tb testing.TB, m *Main, res *demo.Result, role examhall.Role) string {
	tb.Helper()
	var login demo.Login
	for _, l := range res.Logins {
		if l.Role == role {
			login = l
		}
	}
	_, out := call(tb, m, "POST", "/api/v1/login", "", map[string]string{"account": login.Account, "password": login.Password})
	tok, _ := out["token"].(string)
	if tok == "" {
		tb.Fatalf("login as %s = %v", role, out)
	}
	return "Bearer " + tok
}

func seed(t *testing.T, m *Main) *demo.Result {
	t.Helper()
	res, err := demo.Seed(context.Background(), demo.Deps{
		Users: m.DB, Depts: m.DB, Exams: m.DB, Attempts: m.DB, Rooms: m.DB, Audio: m.DB, Cheat: m.DB,
		Auth: m.Auth, Apps: m.Auth, HashPassword: auth.HashPassword,
		ExamineeClientURL: m.Config.ExamineeClientURL, InvigilatorClientURL: m.Config.InvigilatorClientURL,
		JoinMargin: m.Config.JoinMargin, Now: time.Now(), Candidates: 40,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestEndToEnd(t *testing.T) {
	testMains(t, func(t *testing.T, m *Main) {
		res := seed(t, m)
		examinees, inv := joinLinks(t, res)
		if len(examinees) < 5 || inv == "" {
			t.Fatalf("demo links: %d examinees, invigilator %q; want ≥ 5 and one", len(examinees), inv)
		}
		var self, other string
		for id := range examinees {
			if self == "" {
				self = id
			} else if other == "" {
				other = id
			}
		}
		tok := examinees[self]
		room := res.RoomID

		t.Run("roomInfo", func(t *testing.T) {
			code, out := call(t, m, "GET", "/exam/roomInfo?roomId="+room+"&ts=1", tok, nil)
			data, _ := out["data"].(map[string]any)
			if code != 200 || out["success"] != true || data["id"] != room || data["cheatConfig"] == nil {
				t.Errorf("roomInfo = %d %v", code, out)
			}
		})
		t.Run("userInfo self and other", func(t *testing.T) {
			code, out := call(t, m, "GET", "/exam/userInfo?userId="+self+"&roomId="+room, tok, nil)
			data, _ := out["data"].(map[string]any)
			push, _ := data["rtcPushUrl"].(string)
			if code != 200 || !strings.HasPrefix(push, "artc://push.example.com/exam/") || !strings.Contains(push, "auth_key=") {
				t.Errorf("userInfo self = %d %v", code, out)
			}
			if code, out := call(t, m, "GET", "/exam/userInfo?userId="+other+"&roomId="+room, tok, nil); code != 403 || out["success"] != false {
				t.Errorf("userInfo other = %d %v, want 403", code, out)
			}
		})
		t.Run("userList", func(t *testing.T) {
			if code, _ := call(t, m, "GET", "/exam/userList?roomId="+room, tok, nil); code != 403 {
				t.Errorf("examinee userList = %d, want 403", code)
			}
			code, out := call(t, m, "GET", "/exam/userList?roomId="+room, inv, nil)
			list, _ := out["data"].([]any)
			if code != 200 || len(list) != len(examinees) {
				t.Errorf("invigilator userList = %d with %d entries, want 200 with %d", code, len(list), len(examinees))
			}
		})
		t.Run("cheat records", func(t *testing.T) {
			data := fmt.Sprintf(`[{"detectTime":232323,"isMainMonitor":true,"detectType":"11","userId":%q,"extraInfo":"{222}2"},{"detectTime":232324,"isMainMonitor":true,"detectType":"12","userId":%q,"extraInfo":"{222}2"}]`, self, self)
			body := map[string]any{"examId": res.ExamID, "roomId": room, "data": data}
			if code, out := call(t, m, "POST", "/exam/cheat/addCheatRecord", tok, body); code != 200 || out["success"] != true {
				t.Fatalf("addCheatRecord = %d %v", code, out)
			}
			code, out := call(t, m, "POST", "/exam/cheat/listCheatRecord", inv, map[string]any{"examId": res.ExamID, "roomId": room, "pageSize": 10, "scrollToken": ""})
			d, _ := out["data"].(map[string]any)
			recs, _ := d["cheatRecordEntitys"].([]any)
			if code != 200 || len(recs) != 2 {
				t.Fatalf("listCheatRecord = %d %v", code, out)
			}
			first := recs[0].(map[string]any)
			if first["detectType"] != "12" || first["isMainMonitor"] != "true" || first["detectTime"] != "1970-01-01T08:03:52+08:00" {
				t.Errorf("newest record = %v", first)
			}
		})
		t.Run("endRoom", func(t *testing.T) {
			if code, _ := call(t, m, "GET", "/exam/endRoom?roomId="+room, tok, nil); code != 403 {
				t.Errorf("examinee endRoom = %d, want 403", code)
			}
			if code, out := call(t, m, "GET", "/exam/endRoom?roomId="+room, inv, nil); code != 200 || out["data"] != true {
				t.Errorf("invigilator endRoom = %d %v", code, out)
			}
		})
		t.Run("login", func(t *testing.T) {
			for _, l := range res.Logins {
				code, out := call(t, m, "POST", "/exam/login", "", map[string]string{"username": l.Account, "password": l.Password})
				data, _ := out["data"].(map[string]any)
				if code != 200 || data["token"] == nil || data["expire"] == nil {
					t.Errorf("login %s = %d %v", l.Account, code, out)
				}
			}
			if code, out := call(t, m, "POST", "/login", "", map[string]string{"username": "admin", "password": "wrong-password"}); code != 401 || out["success"] != false {
				t.Errorf("bad login = %d %v, want 401", code, out)
			}
			// Password guessing is throttled per account.
			code := 0
			for range auth.MaxLoginFailures + 1 {
				code, _ = call(t, m, "POST", "/exam/login", "", map[string]string{"username": "teacher1", "password": "guess-guess"})
			}
			if code != 429 {
				t.Errorf("login after %d failures = %d, want 429", auth.MaxLoginFailures, code)
			}
		})
		t.Run("take the exam through /api/v1", func(t *testing.T) {
			bearer := bearerOf(t, m, res, examhall.RoleExaminee)
			code, out := call(t, m, "POST", "/api/v1/exams/"+res.ExamID+"/attempts", bearer, nil)
			id, _ := out["id"].(string)
			if code != 201 && code != 200 || id == "" {
				t.Fatalf("start = %d %v", code, out)
			}
			if code, _ := call(t, m, "POST", "/api/v1/exams/"+res.ExamID+"/attempts", bearer, nil); code != 409 {
				t.Errorf("second start = %d, want 409", code)
			}
			_, view := call(t, m, "GET", "/api/v1/attempts/"+id, bearer, nil)
			qs, _ := view["questions"].([]any)
			if len(qs) == 0 {
				t.Fatalf("attempt view has no questions: %v", view)
			}
			raw, _ := json.Marshal(view)
			if strings.Contains(string(raw), `"correct"`) || strings.Contains(string(raw), `"isTrue"`) {
				t.Errorf("attempt view leaks answers: %s", raw)
			}
			// Answer every question wrongly but validly, then submit.
			var answers []map[string]any
			for _, q := range qs {
				q := q.(map[string]any)
				a := map[string]any{"questionId": q["id"]}
				switch q["type"] {
				case "single":
					a["choices"] = []int{3}
				case "multiple":
					a["choices"] = []int{2}
				case "truefalse":
					a["bool"] = false
				case "fill":
					a["blanks"] = []string{"单式"}
				}
				answers = append(answers, a)
			}
			if code, out := call(t, m, "PUT", "/api/v1/attempts/"+id+"/answers", bearer, map[string]any{"answers": answers}); code != 200 {
				t.Fatalf("save answers = %d %v", code, out)
			}
			code, out = call(t, m, "POST", "/api/v1/attempts/"+id+"/submit", bearer, nil)
			if code != 200 || out["status"] != "published" || out["score"] != float64(0) {
				t.Errorf("submit = %d %v, want published with score 0", code, out)
			}
		})
		t.Run("overrides through /api/v1", func(t *testing.T) {
			bearer := bearerOf(t, m, res, examhall.RoleAdmin)
			path := "/api/v1/exams/" + res.ExamID + "/overrides"
			if code, out := call(t, m, "PUT", path+"/"+self, bearer, map[string]any{"extraMinutes": 20}); code != 200 {
				t.Fatalf("set override = %d %v", code, out)
			}
			code, out := call(t, m, "GET", path, bearer, nil)
			items, _ := out["items"].([]any)
			var mine map[string]any
			for _, it := range items {
				if o := it.(map[string]any); o["userId"] == self {
					mine = o
				}
			}
			if code != 200 || mine == nil || mine["extraMinutes"] != float64(20) || out["total"] != float64(len(items)) {
				t.Errorf("list overrides = %d %v, want %s with 20 extra minutes", code, out, self)
			}
		})
		t.Run("text PostgreSQL cannot store", func(t *testing.T) {
			admin := bearerOf(t, m, res, examhall.RoleAdmin)
			_, out := call(t, m, "GET", "/api/v5/token.ashx?appid="+res.AppID+"&secret="+res.AppSecret, "", nil)
			token, _ := out["token"].(string)
			cheat := fmt.Sprintf(`[{"detectTime":1,"detectType":"11","userId":%q,"extraInfo":"a\u0000b"}]`, self)
			for _, tt := range []struct {
				method, target, token string
				body                  any
				status                int
				field, want           string // in the answer
			}{
				{"POST", "/api/v1/departments", admin, map[string]string{"name": "nul\x00dept"}, 400, "", ""},
				{"GET", "/api/v1/users?name=a%00b", admin, nil, 400, "", ""},
				{"GET", "/api/v1/users/u%FF", admin, nil, 400, "", ""},
				{"GET", "/exam/roomInfo?roomId=" + room + "%00", tok, nil, 400, "errorCode", examhall.EINVALID},
				{"POST", "/exam/cheat/addCheatRecord", tok, map[string]string{"examId": res.ExamID, "roomId": room, "data": cheat}, 400, "errorCode", examhall.EINVALID},
				{"GET", "/api/v5/examaction.ashx?token=" + token + "&action=getUserExam&account=c0001%00", "", nil, 200, "errcode", "40004"},
				{"GET", "/api/v5/examaction.ashx?token=" + token + "&action=getUserExam&account=%FF", "", nil, 200, "errcode", "40004"},
			} {
				code, out := call(t, m, tt.method, tt.target, tt.token, tt.body)
				if code != tt.status || tt.field != "" && out[tt.field] != tt.want {
					t.Errorf("%s %s = %d %v, want %d with %s %s", tt.method, tt.target, code, out, tt.status, tt.field, tt.want)
				}
			}
			_, out = call(t, m, "GET", "/api/v1/departments", admin, nil)
			if raw, _ := json.Marshal(out); strings.Contains(string(raw), "nul") {
				t.Errorf("a department with a NUL was stored: %s", raw)
			}
			code, out := call(t, m, "POST", "/exam/cheat/listCheatRecord", inv, map[string]any{"examId": res.ExamID, "roomId": room, "pageSize": 100, "scrollToken": ""})
			if raw, _ := json.Marshal(out); code != 200 || strings.Contains(string(raw), `\u0000`) {
				t.Errorf("a cheat record with a NUL was stored: %d %s", code, raw)
			}
		})
		t.Run("open API", func(t *testing.T) {
			_, out := call(t, m, "GET", "/api/v5/token.ashx?appid="+res.AppID+"&secret="+res.AppSecret, "", nil)
			token, _ := out["token"].(string)
			if token == "" || out["expires_in"] != float64(7200) {
				t.Fatalf("token.ashx = %v", out)
			}
			_, list := call(t, m, "GET", "/api/v5/examaction.ashx?token="+token+"&action=getExamList", "", nil)
			items, _ := list["items"].([]any)
			var graded map[string]any
			for _, it := range items {
				e := it.(map[string]any)
				if e["examName"] == "会计基础考试A卷" {
					graded = e
				}
			}
			if graded == nil || graded["attendNum"] == "0" {
				t.Fatalf("getExamList has no graded exam A: %v", list)
			}
			_, grades := call(t, m, "POST", "/api/v5/gradeaction.ashx?token="+token+"&action=getExamGrade&examID="+graded["examID"].(string), "", nil)
			gi, _ := grades["items"].([]any)
			if fmt.Sprint(len(gi)) != graded["attendNum"] || gi[0].(map[string]any)["order"] != "1" {
				t.Errorf("getExamGrade: %d items (attendNum %v), first %v", len(gi), graded["attendNum"], gi[0])
			}
			_, pending := call(t, m, "GET", "/api/v5/examaction.ashx?token="+token+"&action=getUserExam&account=c0001", "", nil)
			if pending["totalCount"] == nil {
				t.Errorf("getUserExam = %v", pending)
			}
			_, bad := call(t, m, "GET", "/api/v5/gradeaction.ashx?token="+token+"&action=getExamGrade&examid=nope", "", nil)
			if bad["errcode"] != "40803" {
				t.Errorf("unknown exam = %v, want 40803", bad)
			}
		})
		t.Run("a violation leaves the open API", func(t *testing.T) {
			admin := bearerOf(t, m, res, examhall.RoleAdmin)
			_, out := call(t, m, "GET", "/api/v5/token.ashx?appid="+res.AppID+"&secret="+res.AppSecret, "", nil)
			token, _ := out["token"].(string)
			examOf := func() map[string]any {
				_, list := call(t, m, "GET", "/api/v5/examaction.ashx?token="+token+"&action=getExamList", "", nil)
				items, _ := list["items"].([]any)
				for _, it := range items {
					if e := it.(map[string]any); e["examName"] == "会计基础考试A卷" {
						return e
					}
				}
				t.Fatalf("getExamList has no exam A: %v", list)
				return nil
			}
			before := examOf()
			grades := func() []any {
				_, g := call(t, m, "POST", "/api/v5/gradeaction.ashx?token="+token+"&action=getExamGrade&examID="+before["examID"].(string), "", nil)
				gi, _ := g["items"].([]any)
				return gi
			}
			gi := grades()
			top := gi[0].(map[string]any)["gradeID"].(string)
			if code, out := call(t, m, "PUT", "/api/v1/attempts/"+top+"/review", admin, map[string]any{"decision": "violation", "comment": "impersonation"}); code != 200 || out["decision"] != "violation" {
				t.Fatalf("review = %d %v", code, out)
			}
			if code, out := call(t, m, "GET", "/api/v1/attempts/"+top+"/review", admin, nil); code != 200 || out["comment"] != "impersonation" {
				t.Errorf("read review = %d %v", code, out)
			}
			after := examOf()
			n0, _ := strconv.Atoi(before["attendNum"].(string))
			if n1, _ := strconv.Atoi(after["attendNum"].(string)); n1 != n0-1 {
				t.Errorf("attendNum %d after a violation, want %d", n1, n0-1)
			}
			gi = grades()
			for _, g := range gi {
				if g.(map[string]any)["gradeID"] == top {
					t.Errorf("the invalid attempt %s is still among the grades", top)
				}
			}
			if len(gi) > 0 && gi[0].(map[string]any)["order"] != "1" {
				t.Errorf("first grade after the violation: %v", gi[0])
			}
			// Cleared again, it is back.
			call(t, m, "PUT", "/api/v1/attempts/"+top+"/review", admin, map[string]any{"decision": "clear"})
			if again := examOf(); again["attendNum"] != before["attendNum"] || again["maxScore"] != before["maxScore"] {
				t.Errorf("after clearing: %v, want %v", again, before)
			}
		})
	})
}

// With the debug listener configured, every request is counted by its
// route pattern, never by the IDs in its path or query.
func TestMetricsByRoute(t *testing.T) {
	m := NewMain()
	m.Config.Data = t.TempDir()
	m.Config.DebugAddr = "127.0.0.1:0"
	m.Log = slog.New(slog.DiscardHandler)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	call(t, m, "GET", "/exam/roomInfo?roomId=nope", "", nil)
	call(t, m, "GET", "/api/v5/examaction.ashx?action=getExamList", "", nil)
	call(t, m, "GET", "/api/v1/me", "", nil)
	w := httptest.NewRecorder()
	m.debugHandler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body := w.Body.String()
	for _, want := range []string{
		`examhall_http_requests_total{code="401",route="GET /exam/roomInfo"} 1`,
		`examhall_http_requests_total{code="401",route="GET /api/v1/me"} 1`,
		`examhall_http_requests_total{code="200",route="GET /api/v5/examaction.ashx"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "nope") {
		t.Error("/metrics leaks a request's query value")
	}
}
