package manage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// answerKeys are JSON keys that would carry a paper's answers.
var answerKeys = []string{"correct", "isTrue", "reference", "loose"}

// walkKeys calls f for every object key in the decoded JSON value v.
func walkKeys(v any, f func(key string, val any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			f(k, x)
			walkKeys(x, f)
		}
	case []any:
		for _, x := range v {
			walkKeys(x, f)
		}
	}
}

// TestPaperViewHidesAnswers reads an attempt (shuffled) and checks that
// the paper carries no answer key, in any role allowed to read it.
func TestPaperViewHidesAnswers(t *testing.T) {
	for _, req := range []request{
		{method: "GET", path: "/api/v1/attempts/a1", token: tokExa},
		{method: "GET", path: "/api/v1/attempts/a1", token: tokAdmin},
		{method: "POST", path: "/api/v1/exams/e1/attempts", token: tokExa},
	} {
		t.Run(req.method+" "+req.token, func(t *testing.T) {
			w := newWorld(t)
			rec := w.do(t, req)
			if rec.Code != http.StatusOK && rec.Code != http.StatusCreated {
				t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
			}
			var raw any
			MustDecode(t, rec, &raw)
			walkKeys(raw, func(k string, _ any) {
				if slices.Contains(answerKeys, k) {
					t.Errorf("the paper view has the key %q", k)
				}
			})
			for _, secret := range []string{"Paris", "paris", "Rome", "SECRET-REFERENCE"} {
				if strings.Contains(rec.Body.String(), secret) {
					t.Errorf("the paper view leaks %q", secret)
				}
			}

			var v attemptView
			MustDecode(t, rec, &v)
			if v.Score != nil || v.Passed != nil || v.Marks != nil {
				t.Errorf("an unpublished attempt shows results: %+v", v)
			}
			// Every question once; options keyed by their original index.
			byID := map[string]*examhall.Question{}
			for _, q := range testPaper() {
				byID[q.ID] = q
			}
			var ids []string
			for _, pq := range v.Questions {
				ids = append(ids, pq.ID)
				q := byID[pq.ID]
				if pq.Type != q.Type || pq.Stem != q.Stem || pq.Score != q.Score {
					t.Errorf("question %s = %+v", pq.ID, pq)
				}
				var keys []int
				for _, o := range pq.Options {
					keys = append(keys, o.Key)
					if q.Options[o.Key] != o.Text {
						t.Errorf("question %s option key %d has text %q, want %q", pq.ID, o.Key, o.Text, q.Options[o.Key])
					}
				}
				slices.Sort(keys)
				for i, k := range keys {
					if i != k {
						t.Errorf("question %s option keys %v are not a permutation", pq.ID, keys)
						break
					}
				}
				if q.Type == examhall.QuestionFill && pq.Blanks != 2 {
					t.Errorf("fill question blanks = %d, want 2", pq.Blanks)
				}
			}
			slices.Sort(ids)
			if diff := cmp.Diff([]string{"q1", "q2", "q3", "q4", "q5"}, ids); diff != "" {
				t.Errorf("questions mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAttemptOrder checks the paper follows Attempt.Order.
func TestAttemptOrder(t *testing.T) {
	w := newWorld(t)
	rec := w.do(t, request{method: "GET", path: "/api/v1/attempts/a1", token: tokExa})
	var v attemptView
	MustDecode(t, rec, &v)
	order, options := w.attempt["a1"].Order(w.exam, w.paper)
	var want, got []string
	var wantOpts, gotOpts [][]int
	for _, i := range order {
		want = append(want, w.paper[i].ID)
		if len(w.paper[i].Options) > 0 {
			wantOpts = append(wantOpts, options[i])
		}
	}
	for _, q := range v.Questions {
		got = append(got, q.ID)
		if len(q.Options) > 0 {
			gotOpts = append(gotOpts, convert(q.Options, func(o paperOption) int { return o.Key }))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("question order mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantOpts, gotOpts); diff != "" {
		t.Errorf("option order mismatch (-want +got):\n%s", diff)
	}
	if v.RemainingSeconds != 50*60 {
		t.Errorf("remainingSeconds = %d, want 3000", v.RemainingSeconds)
	}
}

// TestPublishedAttemptShowsResults checks results appear once published.
func TestPublishedAttemptShowsResults(t *testing.T) {
	w := newWorld(t)
	a := w.attempt["a1"]
	a.Status, a.Score, a.Passed, a.Marks = examhall.AttemptPublished, 42, true, map[string]float64{"q1": 10}
	rec := w.do(t, request{method: "GET", path: "/api/v1/my/attempts", token: tokExa})
	var got struct {
		Items []map[string]any
	}
	MustDecode(t, rec, &got)
	if len(got.Items) != 1 || got.Items[0]["score"] != 42.0 || got.Items[0]["passed"] != true || got.Items[0]["marks"] == nil {
		t.Errorf("published attempt = %v", got.Items)
	}
	if _, ok := got.Items[0]["questions"]; ok {
		t.Errorf("attempt lists carry no paper")
	}
}

// TestJoinLinks checks every member gets a link with a token bound to the
// room and valid until the exam's end plus the margin.
func TestJoinLinks(t *testing.T) {
	w := newWorld(t)
	rec := w.do(t, request{method: "GET", path: "/api/v1/rooms/r1/links", token: tokInv})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
	}
	var got struct {
		Items  []linkJSON
		Total  int
		Expire time.Time
	}
	MustDecode(t, rec, &got)
	exp := examhall.JoinExpiry(w.exam, 2*time.Hour, now) // the exam's end + 2h
	tok := func(u string) string { return "join:" + u + ":r1:" + exp.UTC().Format(time.RFC3339) }
	want := []linkJSON{
		{UserID: "u-exa", Account: "exa", Name: "Ezra", Role: examhall.RoleExaminee,
			URL: examhall.JoinLink("https://aui.example/examinee.html", "r1", "u-exa", tok("u-exa"), false)},
		{UserID: "u-inv", Account: "inv", Name: "Ivy", Role: examhall.RoleInvigilator,
			URL: examhall.JoinLink("https://aui.example/invigilator.html", "r1", "u-inv", tok("u-inv"), true)},
	}
	if diff := cmp.Diff(want, got.Items); diff != "" {
		t.Errorf("links mismatch (-want +got):\n%s", diff)
	}
	if !got.Expire.Equal(now.Add(5*time.Hour)) || got.Total != 2 {
		t.Errorf("expire = %v, total = %d", got.Expire, got.Total)
	}
	if !strings.HasSuffix(want[1].URL, "&role=0") || strings.Contains(want[0].URL, "role=") {
		t.Errorf("role marker wrong: %v", want)
	}

	w.srv.InvigilatorClientURL = ""
	if rec := w.do(t, request{method: "GET", path: "/api/v1/rooms/r1/links", token: tokInv}); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("unconfigured links: status = %d, want 503", rec.Code)
	}
}

// TestExamJSON checks entryUrl, the zone of times and create defaults.
func TestExamJSON(t *testing.T) {
	w := newWorld(t)
	var created *examhall.Exam
	w.exams.CreateExamFn = func(_ context.Context, e *examhall.Exam) error {
		created = e
		e.ID = "e-new"
		return nil
	}
	rec := w.do(t, request{method: "POST", path: "/api/v1/exams", token: tokAdmin,
		body: `{"name":"Final","beginTime":"2025-06-02T01:00:00Z","endTime":"2025-06-02T03:00:00Z","passScore":60}`})
	if rec.Code != http.StatusCreated {
		t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
	}
	want := &examhall.Exam{
		ID: "e-new", Name: "Final", BeginTime: time.Date(2025, 6, 2, 1, 0, 0, 0, time.UTC), EndTime: time.Date(2025, 6, 2, 3, 0, 0, 0, time.UTC),
		PassScore: 60, AllowTimes: 1, IntegralRate: examhall.DefaultIntegralRate, Audience: examhall.AudienceAll,
		Status: examhall.ExamDraft, CreatedBy: "u-admin", Proctoring: examhall.DefaultProctoring(),
	}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("created exam mismatch (-want +got):\n%s", diff)
	}
	var got map[string]any
	MustDecode(t, rec, &got)
	if got["entryUrl"] != "https://exam.example/v5/exam/e-new" {
		t.Errorf("entryUrl = %v", got["entryUrl"])
	}
	if got["beginTime"] != "2025-06-02T09:00:00+08:00" {
		t.Errorf("beginTime = %v, want it in Asia/Shanghai", got["beginTime"])
	}
}

// TestMyExams checks the candidate's allowance replaces the exam's.
func TestMyExams(t *testing.T) {
	w := newWorld(t)
	var gotUser string
	var gotOffset, gotLimit int
	w.exams.FindUserExamsFn = func(_ context.Context, userID string, at time.Time, offset, limit int) ([]*examhall.UserExam, int, error) {
		gotUser, gotOffset, gotLimit = userID, offset, limit
		return []*examhall.UserExam{{Exam: w.exam, AllowTimes: 3, Used: 1}}, 1, nil
	}
	rec := w.do(t, request{method: "GET", path: "/api/v1/my/exams?offset=0", token: tokExa})
	var got struct {
		Items []map[string]any
		Total int
	}
	MustDecode(t, rec, &got)
	if gotUser != "u-exa" || gotOffset != 0 || gotLimit != defaultLimit {
		t.Errorf("FindUserExams(%q, %d, %d)", gotUser, gotOffset, gotLimit)
	}
	if len(got.Items) != 1 || got.Items[0]["allowTimes"] != 3.0 || got.Items[0]["used"] != 1.0 || got.Items[0]["entryUrl"] == nil {
		t.Errorf("my exams = %v", got.Items)
	}
}

// TestSetPaper checks IDs are given and answers kept for admins.
func TestSetPaper(t *testing.T) {
	w := newWorld(t)
	var got []*examhall.Question
	w.exams.SetPaperFn = func(_ context.Context, examID string, qs []*examhall.Question) error {
		got = qs
		return nil
	}
	body, _ := json.Marshal(map[string]any{"items": []*examhall.Question{
		{Type: examhall.QuestionTrueFalse, Stem: "Sky is blue", Score: 2, IsTrue: true},
		{ID: "keep", Type: examhall.QuestionShort, Stem: "Why?", Score: 8, Reference: "ref"},
	}})
	rec := w.do(t, request{method: "PUT", path: "/api/v1/exams/e1/paper", token: tokAdmin, body: string(body)})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
	}
	if len(got) != 2 || len(got[0].ID) != 16 || got[1].ID != "keep" || !got[0].IsTrue || got[1].Reference != "ref" {
		t.Errorf("stored paper = %+v %+v", got[0], got[1])
	}
	w.exams.SetPaperFn = func(context.Context, string, []*examhall.Question) error {
		return examhall.Errorf(examhall.ECONFLICT, "attempts exist")
	}
	if rec := w.do(t, request{method: "PUT", path: "/api/v1/exams/e1/paper", token: tokAdmin, body: string(body)}); rec.Code != http.StatusConflict {
		t.Errorf("with attempts: status = %d, want 409", rec.Code)
	}
}

// TestPaging checks list routes pass offset and limit through.
func TestPaging(t *testing.T) {
	w := newWorld(t)
	var got examhall.UserFilter
	w.users.FindUsersFn = func(_ context.Context, f examhall.UserFilter) ([]*examhall.User, int, error) {
		got = f
		return nil, 120, nil
	}
	rec := w.do(t, request{method: "GET", path: "/api/v1/users?offset=100&limit=1000&q=ann&deptId=d1", token: tokAdmin})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
	}
	d := "d1"
	if diff := cmp.Diff(examhall.UserFilter{Offset: 100, Limit: 1000, Query: "ann", DeptID: &d}, got); diff != "" {
		t.Errorf("filter mismatch (-want +got):\n%s", diff)
	}
	if body := rec.Body.String(); body != "{\"items\":[],\"total\":120}\n" {
		t.Errorf("body = %q, want an empty list (not null)", body)
	}
}

// TestInvigilatorRoomsAreTheirs checks invigilators list only their rooms.
func TestInvigilatorRoomsAreTheirs(t *testing.T) {
	for _, tt := range []struct{ token, wantUser string }{{tokAdmin, ""}, {tokInv, "u-inv"}} {
		w := newWorld(t)
		var got examhall.RoomFilter
		w.rooms.FindRoomsFn = func(_ context.Context, f examhall.RoomFilter) ([]*examhall.Room, int, error) {
			got = f
			return nil, 0, nil
		}
		w.do(t, request{method: "GET", path: "/api/v1/rooms?examId=e1", token: tt.token})
		if want := (examhall.RoomFilter{ExamID: "e1", UserID: tt.wantUser, Limit: defaultLimit}); !cmp.Equal(want, got) {
			t.Errorf("%s: filter = %+v, want %+v", tt.token, got, want)
		}
	}
}

// TestLoginAndMe checks the session round trip and the raw token header.
func TestLoginAndMe(t *testing.T) {
	w := newWorld(t)
	rec := w.do(t, request{method: "POST", path: "/api/v1/login", body: `{"account":"admin","password":"secret"}`})
	var login struct {
		Token  string
		Expire string
	}
	MustDecode(t, rec, &login)
	if login.Token != tokAdmin || login.Expire != "2025-06-02T10:00:00+08:00" {
		t.Errorf("login = %+v", login)
	}
	hr := httptest.NewRequest("GET", "/api/v1/me", nil)
	hr.Header.Set("Authorization", login.Token) // raw, as the AUI clients send it
	rr := httptest.NewRecorder()
	w.srv.Handler().ServeHTTP(rr, hr)
	var me map[string]any
	MustDecode(t, rr, &me)
	if me["account"] != "admin" || me["role"] != "admin" {
		t.Errorf("me = %v", me)
	}
	if _, ok := me["passwordHash"]; ok {
		t.Error("me shows the password hash")
	}
}

// TestCheatConfigForms checks both forms of data are stored as text.
func TestCheatConfigForms(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{`{"data":"{\"face\": true}"}`, `{"face": true}`},
		{`{"data":{"face": true, "list":[1, 2]}}`, `{"face":true,"list":[1,2]}`},
	} {
		w := newWorld(t)
		var got string
		w.cheat.SetCheatConfigFn = func(_ context.Context, c *examhall.CheatConfig) error {
			got = c.Data
			return nil
		}
		if rec := w.do(t, request{method: "PUT", path: "/api/v1/exams/e1/cheat-config", token: tokAdmin, body: tt.body}); rec.Code != http.StatusOK {
			t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
		}
		if got != tt.want {
			t.Errorf("stored %q, want %q", got, tt.want)
		}
	}
}

// TestInternalErrors checks failures of the services and panics reach the
// client as a bare "internal error" and the log in full.
func TestInternalErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		breakIt func(w *world)
	}{
		{"service error", func(w *world) {
			w.apps.FindAppsFn = func(context.Context) ([]*examhall.App, error) {
				return nil, errors.New("db: connection refused to 10.0.0.5")
			}
		}},
		{"panic", func(w *world) {
			w.apps.FindAppsFn = func(context.Context) ([]*examhall.App, error) { panic("boom at 10.0.0.5") }
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			var logged bytes.Buffer
			w.srv.Log = slog.New(slog.NewTextHandler(&logged, nil))
			tt.breakIt(w)
			rec := w.do(t, request{method: "GET", path: "/api/v1/apps", token: tokAdmin})
			want := "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}\n"
			if rec.Code != http.StatusInternalServerError || rec.Body.String() != want {
				t.Errorf("got %d %q, want 500 %q", rec.Code, rec.Body, want)
			}
			if !strings.Contains(logged.String(), "10.0.0.5") {
				t.Errorf("the log lacks the cause: %q", logged.String())
			}
		})
	}
}
