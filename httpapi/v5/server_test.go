package v5_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
	v5 "examhall/httpapi/v5"
)

// gradeCall records a FindGrades call.
type gradeCall struct {
	ExamID        string
	Offset, Limit int
}

// withGrades makes exam "e1" (published) and "draft" exist and records
// FindGrades calls, which return no grades and a total of 3.
func withGrades(f *fixture) *[]gradeCall {
	var calls []gradeCall
	f.Exams.FindExamByIDFn = func(_ context.Context, id string) (*examhall.Exam, error) {
		switch id {
		case "e1", "e2":
			return &examhall.Exam{ID: id, Name: "Exam " + id, Status: examhall.ExamPublished}, nil
		case "old":
			return &examhall.Exam{ID: id, Name: "Old", Status: examhall.ExamArchived}, nil
		case "draft":
			return &examhall.Exam{ID: id, Name: "Draft", Status: examhall.ExamDraft}, nil
		case "boom":
			return nil, fmt.Errorf("find exam: %w", errors.New("connection refused"))
		}
		return nil, examhall.Errorf(examhall.ENOTFOUND, "exam not found")
	}
	f.Attempts.FindGradesFn = func(_ context.Context, examID string, offset, limit int) ([]*examhall.Attempt, int, error) {
		calls = append(calls, gradeCall{examID, offset, limit})
		return nil, 3, nil
	}
	return &calls
}

// TestParams checks where parameters may come from and how their names match.
func TestParams(t *testing.T) {
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name string
		rq   request
		want gradeCall
	}{
		{"GET query", request{Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examid=e1"}, gradeCall{"e1", 0, 1000}},
		{"examID", request{Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examID=e1"}, gradeCall{"e1", 0, 1000}},
		{"EXAMID", request{Path: "/api/v5/gradeaction.ashx", Query: "TOKEN=tok&ACTION=getExamGrade&EXAMID=e1"}, gradeCall{"e1", 0, 1000}},
		{"mixed case names and action", request{Path: "/api/v5/gradeaction.ashx", Query: "Token=tok&Action=GETEXAMGRADE&ExamId=e1&PageIndex=2&PAGESIZE=5"}, gradeCall{"e1", 5, 5}},
		{"path case", request{Path: "/api/v5/GradeAction.ASHX", Query: "token=tok&action=getExamGrade&examid=e1"}, gradeCall{"e1", 0, 1000}},
		{"escaped values", request{Path: "/api/v5/gradeaction.ashx", Query: "token=t%6Fk&action=getExamGrade&exam%49D=%65%31"}, gradeCall{"e1", 0, 1000}},
		{"spaces trimmed", request{Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examid=+e1+&pageSize=+7+"}, gradeCall{"e1", 0, 7}},
		{"first of repeated names", request{Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examID=e1&examid=e2"}, gradeCall{"e1", 0, 1000}},
		{"unknown parameters ignored", request{Path: "/api/v5/gradeaction.ashx", Query: "ts=123&token=tok&action=getExamGrade&examid=e1&&x"}, gradeCall{"e1", 0, 1000}},
		{"archived exam", request{Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examid=old"}, gradeCall{"old", 0, 1000}},
		{"POST query", request{Method: "POST", Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examid=e1"}, gradeCall{"e1", 0, 1000}},
		{"POST urlencoded form", request{Method: "POST", Path: "/api/v5/gradeaction.ashx",
			Form: form("Token", "tok", "action", "getExamGrade", "examID", "e1", "pageIndex", "3", "pageSize", "10")}, gradeCall{"e1", 20, 10}},
		{"POST multipart form", request{Method: "POST", Path: "/api/v5/gradeaction.ashx", Multipart: true,
			Form: form("token", "tok", "ACTION", "getExamGrade", "ExamID", "e1", "pageSize", "50")}, gradeCall{"e1", 0, 50}},
		{"POST query and form combined", request{Method: "POST", Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade",
			Form: form("examid", "e1")}, gradeCall{"e1", 0, 1000}},
		{"POST query wins over form", request{Method: "POST", Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examID=e1",
			Form: form("EXAMID", "e2", "pageSize", "9")}, gradeCall{"e1", 0, 9}},
		{"POST query wins over multipart", request{Method: "POST", Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examid=e1", Multipart: true,
			Form: form("examid", "e2")}, gradeCall{"e1", 0, 1000}},
		{"POST form with charset", request{Method: "POST", Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade",
			Body: strings.NewReader("examid=e1"), Type: "application/x-www-form-urlencoded; charset=UTF-8"}, gradeCall{"e1", 0, 1000}},
		{"POST JSON body ignored", request{Method: "POST", Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examid=e1",
			Body: strings.NewReader(`{"examid":"e2"}`), Type: "application/json"}, gradeCall{"e1", 0, 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			calls := withGrades(f)
			status, body := f.Do(t, tt.rq)
			if status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", status, body)
			}
			if diff := cmp.Diff([]gradeCall{tt.want}, *calls); diff != "" {
				t.Errorf("FindGrades calls (-want +got):\n%s; body %s", diff, body)
			}
		})
	}
}

// TestGETBodyIgnored checks that only POST bodies are read.
func TestGETBodyIgnored(t *testing.T) {
	f := newFixture()
	withGrades(f)
	_, body := f.Do(t, request{Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade",
		Body: strings.NewReader("examid=e1"), Type: "application/x-www-form-urlencoded"})
	if got := MustDecode(t, body)["errcode"]; got != v5.CodeExamIDMissing {
		t.Errorf("errcode = %v, want %s; body %s", got, v5.CodeExamIDMissing, body)
	}
}

func TestToken(t *testing.T) {
	tests := []struct {
		name string
		rq   request
	}{
		{"GET", request{Path: "/api/v5/token.ashx", Query: "appid=app1&secret=s3cret"}},
		{"GET upper case", request{Path: "/api/v5/Token.ashx", Query: "AppID=app1&Secret=s3cret"}},
		{"POST form", request{Method: "POST", Path: "/api/v5/token.ashx", Form: url.Values{"appid": {"app1"}, "secret": {"s3cret"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			status, body := f.Do(t, tt.rq)
			if status != http.StatusOK {
				t.Fatalf("status = %d, want 200", status)
			}
			want := map[string]any{"token": "tok", "expires_in": json.Number("7200")}
			if diff := cmp.Diff(want, MustDecode(t, body)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrors checks every error code, its message and its HTTP status.
func TestErrors(t *testing.T) {
	const (
		exams  = "/api/v5/examaction.ashx"
		grades = "/api/v5/gradeaction.ashx"
	)
	big := "examid=" + strings.Repeat("x", examhall.MaxBodyBytes)
	tests := []struct {
		name    string
		setup   func(f *fixture)
		rq      request
		status  int
		code    string
		msg     string // checked when set
		logged  string // a substring the log must hold, when set
		noCalls bool
	}{
		{name: "token missing", rq: request{Path: exams, Query: "action=getExamList"}, code: v5.CodeTokenMissing, msg: "token参数不允许为空"},
		{name: "token empty", rq: request{Path: grades, Query: "token=&action=getExamGrade&examid=e1"}, code: v5.CodeTokenMissing},
		{name: "token missing before action", rq: request{Path: exams, Query: "action=nope"}, code: v5.CodeTokenMissing},
		{name: "token invalid", rq: request{Path: exams, Query: "token=forged&action=getExamList"}, code: v5.CodeTokenInvalid, msg: "AccessToken is invalid"},
		{name: "token expired", rq: request{Path: exams, Query: "token=old&action=getExamList"}, code: v5.CodeTokenExpired, msg: "AccessToken has expired"},
		{name: "token expired, grades", rq: request{Path: grades, Query: "token=old&action=getExamGrade&examid=e1"}, code: v5.CodeTokenExpired, msg: "AccessToken has expired"},
		{name: "token check fails", rq: request{Path: exams, Query: "token=boom&action=getExamList"}, status: 500, code: v5.CodeInternal, msg: "internal error", logged: "disk on fire"},
		{name: "secret wrong", rq: request{Path: "/api/v5/token.ashx", Query: "appid=app1&secret=nope"}, code: v5.CodeBadCredentials, msg: "appid or secret is invalid"},
		{name: "secret missing", rq: request{Path: "/api/v5/token.ashx", Query: "appid=app1"}, code: v5.CodeBadCredentials},
		{name: "appid missing", rq: request{Path: "/api/v5/token.ashx", Query: "secret=s3cret"}, code: v5.CodeBadCredentials},
		{name: "pageSize not a number", rq: request{Path: exams, Query: "token=tok&action=getExamList&pageSize=ten"}, code: v5.CodeBadParameter, msg: `pageSize must be an integer from 1 to 1000, not "ten"`},
		{name: "pageSize zero", rq: request{Path: exams, Query: "token=tok&action=getUserExam&account=a&pageSize=0"}, code: v5.CodeBadParameter},
		{name: "pageSize too large", rq: request{Path: grades, Query: "token=tok&action=getExamGrade&examid=e1&pageSize=1001"}, code: v5.CodeBadParameter},
		{name: "pageIndex negative", rq: request{Path: grades, Query: "token=tok&action=getExamGrade&examid=e1&pageIndex=-1"}, code: v5.CodeBadParameter},
		{name: "pageIndex fraction", rq: request{Path: exams, Query: "token=tok&action=getExamList&pageIndex=1.5"}, code: v5.CodeBadParameter},
		{name: "pageIndex huge", rq: request{Path: exams, Query: "token=tok&action=getExamList&pageIndex=99999999999999999999"}, code: v5.CodeBadParameter},
		{name: "offset overflow", rq: request{Path: exams, Query: "token=tok&action=getExamList&pageIndex=2147483647&pageSize=1000"}, code: v5.CodeBadParameter, msg: "pageIndex is too large"},
		{name: "malformed query", rq: request{Path: exams, Query: "token=tok&action=getExamList&x=%zz"}, code: v5.CodeBadParameter},
		{name: "body too large", rq: request{Method: "POST", Path: grades, Query: "token=tok&action=getExamGrade",
			Body: strings.NewReader(big), Type: "application/x-www-form-urlencoded"}, code: v5.CodeBadParameter, msg: "request body is larger than 1048576 bytes"},
		{name: "multipart too large", rq: request{Method: "POST", Path: grades, Query: "token=tok&action=getExamGrade", Multipart: true,
			Form: url.Values{"examid": {big}}}, code: v5.CodeBadParameter, msg: "request body is larger than 1048576 bytes"},
		{name: "body too large, unsized", rq: request{Method: "POST", Path: grades, Query: "token=tok&action=getExamGrade", Unsized: true,
			Body: strings.NewReader(big), Type: "application/x-www-form-urlencoded"}, code: v5.CodeBadParameter, msg: "request body is larger than 1048576 bytes"},
		{name: "multipart too large, unsized", rq: request{Method: "POST", Path: grades, Query: "token=tok&action=getExamGrade", Multipart: true, Unsized: true,
			Form: url.Values{"examid": {big}}}, code: v5.CodeBadParameter, msg: "request body is larger than 1048576 bytes"},
		{name: "multipart malformed", rq: request{Method: "POST", Path: grades, Query: "token=tok&action=getExamGrade",
			Body: strings.NewReader("garbage"), Type: "multipart/form-data; boundary=xyz"}, code: v5.CodeBadParameter},
		{name: "multipart without boundary", rq: request{Method: "POST", Path: grades, Query: "token=tok&action=getExamGrade",
			Body: strings.NewReader("x"), Type: "multipart/form-data"}, code: v5.CodeBadParameter},
		{name: "action missing", rq: request{Path: exams, Query: "token=tok"}, code: v5.CodeUnknownAction},
		{name: "action unknown", rq: request{Path: exams, Query: "token=tok&action=dropTables"}, code: v5.CodeUnknownAction, msg: `unknown action "dropTables"`},
		{name: "action of another path", rq: request{Path: exams, Query: "token=tok&action=getExamGrade&examid=e1"}, code: v5.CodeUnknownAction},
		{name: "path unknown", rq: request{Path: "/api/v5/useraction.ashx", Query: "token=tok&action=getExamList"}, code: v5.CodeUnknownAction, msg: "unknown path /api/v5/useraction.ashx"},
		{name: "method not allowed", rq: request{Method: "PUT", Path: exams, Query: "token=tok&action=getExamList"}, code: v5.CodeUnknownAction, msg: "method PUT is not allowed; use GET or POST"},
		{name: "examid missing", rq: request{Path: grades, Query: "token=tok&action=getExamGrade"}, code: v5.CodeExamIDMissing, msg: "examID参数不允许为空"},
		{name: "examid blank", rq: request{Path: grades, Query: "token=tok&action=getExamGrade&examid=+"}, code: v5.CodeExamIDMissing},
		{name: "account missing", rq: request{Path: exams, Query: "token=tok&action=getUserExam"}, code: v5.CodeAccountEmpty, msg: "account参数不允许为空"},
		{name: "account empty", rq: request{Path: exams, Query: "token=tok&action=getUserExam&account="}, code: v5.CodeAccountEmpty, msg: "account参数不允许为空"},
		{name: "account unknown", rq: request{Path: exams, Query: "token=tok&action=getUserExam&account=nobody"}, code: v5.CodeAccountUnknown, msg: "account:[nobody]在考试云中不存在"},
		{name: "account too long", rq: request{Path: exams, Query: "token=tok&action=getUserExam&account=" + strings.Repeat("a", 65)},
			code: v5.CodeAccountUnknown, msg: "account:[" + strings.Repeat("a", 64) + "…]在考试云中不存在"},
		{name: "account lookup fails", rq: request{Path: exams, Query: "token=tok&action=getUserExam&account=boom"}, status: 500, code: v5.CodeInternal, logged: "connection reset"},
		{name: "exam unknown", rq: request{Path: grades, Query: "token=tok&action=getExamGrade&examid=nope"}, code: v5.CodeExamUnknown, msg: "examID不存在,获取失败"},
		{name: "exam draft", rq: request{Path: grades, Query: "token=tok&action=getExamGrade&examid=draft"}, code: v5.CodeExamUnknown, msg: "examID不存在,获取失败"},
		{name: "exam id too long", rq: request{Path: grades, Query: "token=tok&action=getExamGrade&examid=" + strings.Repeat("f", 65)}, code: v5.CodeExamUnknown},
		{name: "exam lookup fails", rq: request{Path: grades, Query: "token=tok&action=getExamGrade&examid=boom"}, status: 500, code: v5.CodeInternal, msg: "internal error", logged: "connection refused"},
		{name: "store unavailable", setup: func(f *fixture) {
			f.Exams.FindExamsFn = func(context.Context, examhall.ExamFilter) ([]*examhall.Exam, int, error) {
				return nil, 0, examhall.Errorf(examhall.EUNAVAILABLE, "database unavailable")
			}
		}, rq: request{Path: exams, Query: "token=tok&action=getExamList"}, status: 503, code: v5.CodeInternal, msg: "database unavailable", logged: "database unavailable"},
		{name: "stats fail", setup: func(f *fixture) {
			f.Exams.FindExamsFn = func(context.Context, examhall.ExamFilter) ([]*examhall.Exam, int, error) {
				return []*examhall.Exam{{ID: "e1"}}, 1, nil
			}
			f.Exams.FindExamStatsFn = func(context.Context, []string) (map[string]examhall.ExamStats, error) {
				return nil, errors.New("stats query timed out")
			}
		}, rq: request{Path: exams, Query: "token=tok&action=getExamList"}, status: 500, code: v5.CodeInternal, logged: "stats query timed out"},
		{name: "panic", setup: func(f *fixture) {
			f.Attempts.FindGradesFn = func(context.Context, string, int, int) ([]*examhall.Attempt, int, error) {
				panic("nil map")
			}
		}, rq: request{Path: grades, Query: "token=tok&action=getExamGrade&examid=e1"}, status: 500, code: v5.CodeInternal, msg: "internal error", logged: "nil map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			withGrades(f)
			f.Users.FindUserByAccountFn = func(_ context.Context, account string) (*examhall.User, error) {
				if account == "boom" {
					return nil, errors.New("connection reset")
				}
				return nil, examhall.Errorf(examhall.ENOTFOUND, "user not found")
			}
			if tt.setup != nil {
				tt.setup(f)
			}
			status, body := f.Do(t, tt.rq)
			wantStatus := tt.status
			if wantStatus == 0 {
				wantStatus = http.StatusOK
			}
			if status != wantStatus {
				t.Errorf("status = %d, want %d", status, wantStatus)
			}
			got := MustDecode(t, body)
			if diff := cmp.Diff([]string{"errcode", "errmsg"}, MustKeys(t, body)); diff != "" {
				t.Errorf("keys (-want +got):\n%s; body %s", diff, body)
			}
			if got["errcode"] != tt.code {
				t.Errorf("errcode = %v, want %s; body %s", got["errcode"], tt.code, body)
			}
			if tt.msg != "" && got["errmsg"] != tt.msg {
				t.Errorf("errmsg = %v, want %s", got["errmsg"], tt.msg)
			}
			if tt.logged != "" && !strings.Contains(f.Logs.String(), tt.logged) {
				t.Errorf("log = %q, want it to contain %q", f.Logs.String(), tt.logged)
			}
			if tt.logged == "" && f.Logs.Len() > 0 {
				t.Errorf("unexpected log: %s", f.Logs)
			}
		})
	}
}

// TestCodes checks that the documented table lists every code once, in order.
func TestCodes(t *testing.T) {
	var got []string
	for _, c := range v5.Codes {
		if c.Message == "" || c.Meaning == "" {
			t.Errorf("code %s is undocumented", c.Code)
		}
		got = append(got, c.Code)
	}
	want := []string{
		v5.CodeTokenMissing, v5.CodeTokenInvalid, v5.CodeBadCredentials, v5.CodeBadParameter,
		v5.CodeUnknownAction, v5.CodeTokenExpired, v5.CodeExamIDMissing, v5.CodeAccountEmpty,
		v5.CodeAccountUnknown, v5.CodeExamUnknown, v5.CodeInternal,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Codes (-want +got):\n%s", diff)
	}
	if !slices.IsSorted(got) {
		t.Errorf("Codes are not in numeric order: %v", got)
	}
}

// fakeExams serves FindExams and FindExamStats from a list, newest first,
// and records the stats calls.
type fakeExams struct {
	exams      []*examhall.Exam
	statsCalls [][]string
}

func (fe *fakeExams) install(f *fixture) {
	f.Exams.FindExamsFn = func(_ context.Context, flt examhall.ExamFilter) ([]*examhall.Exam, int, error) {
		var match []*examhall.Exam
		for _, e := range fe.exams {
			if flt.Status == nil || e.Status == *flt.Status {
				match = append(match, e)
			}
		}
		page := match[min(flt.Offset, len(match)):]
		if flt.Limit > 0 {
			page = page[:min(flt.Limit, len(page))]
		}
		return page, len(match), nil
	}
	f.Exams.FindExamStatsFn = func(_ context.Context, ids []string) (map[string]examhall.ExamStats, error) {
		fe.statsCalls = append(fe.statsCalls, ids)
		stats := make(map[string]examhall.ExamStats)
		for _, id := range ids {
			if id != "p2" { // p2 has no published attempts: absent from the map
				stats[id] = examhall.ExamStats{AttendNum: 2, PassNum: 1, MaxScore: 90, AvgScore: 62.25, MinScore: 34.5}
			}
		}
		return stats, nil
	}
}

// TestExamListPaging checks that getExamList lists published exams, then
// archived ones, never drafts, across page boundaries.
func TestExamListPaging(t *testing.T) {
	at := time.Date(2022, 3, 18, 9, 12, 0, 0, time.UTC)
	exam := func(id string, st examhall.ExamStatus) *examhall.Exam {
		return &examhall.Exam{ID: id, Name: "Exam " + id, BeginTime: at, EndTime: at.Add(time.Hour), CreatedAt: at, Status: st}
	}
	all := []*examhall.Exam{
		exam("a1", examhall.ExamArchived), exam("p1", examhall.ExamPublished), exam("d1", examhall.ExamDraft),
		exam("p2", examhall.ExamPublished), exam("a2", examhall.ExamArchived), exam("p3", examhall.ExamPublished),
	}
	tests := []struct {
		query string
		index int
		ids   []string
	}{
		{"pageSize=2", 1, []string{"p1", "p2"}},
		{"pageIndex=2&pageSize=2", 2, []string{"p3", "a1"}},
		{"pageIndex=3&pageSize=2", 3, []string{"a2"}},
		{"pageIndex=4&pageSize=2", 4, []string{}},
		{"pageIndex=99&pageSize=2", 99, []string{}},
		{"pageIndex=2&pageSize=3", 2, []string{"a1", "a2"}},
		{"", 1, []string{"p1", "p2", "p3", "a1", "a2"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			f := newFixture()
			fe := &fakeExams{exams: all}
			fe.install(f)
			status, body := f.Do(t, request{Path: "/api/v5/examaction.ashx", Query: "token=tok&action=getExamList&" + tt.query})
			if status != http.StatusOK {
				t.Fatalf("status = %d; body %s", status, body)
			}
			var got struct {
				TotalCount       int
				CurrentPageIndex int
				Items            []map[string]string // fails to decode unless every value is a string
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("decode: %v; body %s", err, body)
			}
			if got.TotalCount != 5 || got.CurrentPageIndex != tt.index {
				t.Errorf("totalCount, currentPageIndex = %d, %d, want 5, %d", got.TotalCount, got.CurrentPageIndex, tt.index)
			}
			if got.Items == nil {
				t.Fatalf("items is null, want []; body %s", body)
			}
			ids := []string{}
			for _, it := range got.Items {
				ids = append(ids, it["examID"])
			}
			if diff := cmp.Diff(tt.ids, ids); diff != "" {
				t.Errorf("exams (-want +got):\n%s", diff)
			}
			wantStats := [][]string{tt.ids}
			if len(tt.ids) == 0 {
				wantStats = nil // no stats query for an empty page
			}
			if diff := cmp.Diff(wantStats, fe.statsCalls); diff != "" {
				t.Errorf("FindExamStats calls (-want +got):\n%s", diff)
			}
			for _, it := range got.Items {
				want := map[string]string{
					"attendNum": "2", "passNum": "1", "maxScore": "90.0", "avgScore": "62.25", "minScore": "34.5",
					"beginTime": "2022-03-18 17:12", "endTime": "2022-03-18 18:12", "creatTime": "2022-03-18 17:12:00",
					"examTime": "0", "passScore": "0", "paperScore": "0",
				}
				if it["examID"] == "p2" {
					want["attendNum"], want["passNum"], want["maxScore"], want["avgScore"], want["minScore"] = "0", "0", "0.0", "0.0", "0.0"
				}
				for k, v := range want {
					if it[k] != v {
						t.Errorf("%s: %s = %q, want %q", it["examID"], k, it[k], v)
					}
				}
			}
		})
	}
}

// TestEmptyPages checks that pages past the end keep the total and send [].
func TestEmptyPages(t *testing.T) {
	f := newFixture()
	withGrades(f)
	f.Users.FindUserByAccountFn = func(context.Context, string) (*examhall.User, error) {
		return &examhall.User{ID: "u1"}, nil
	}
	var userCall []int
	f.Exams.FindUserExamsFn = func(_ context.Context, _ string, _ time.Time, offset, limit int) ([]*examhall.UserExam, int, error) {
		userCall = []int{offset, limit}
		return nil, 12, nil
	}
	tests := []struct {
		name  string
		rq    request
		total int
		index int
	}{
		{"grades", request{Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examid=e1&pageIndex=5"}, 3, 5},
		{"user exams", request{Path: "/api/v5/examaction.ashx", Query: "token=tok&action=getUserExam&account=x&pageIndex=3"}, 12, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := f.Do(t, tt.rq)
			got := MustDecode(t, body)
			if got["totalCount"] != json.Number(strconv.Itoa(tt.total)) || got["currentPageIndex"] != json.Number(strconv.Itoa(tt.index)) {
				t.Errorf("body %s, want totalCount %d and currentPageIndex %d", body, tt.total, tt.index)
			}
			if !strings.Contains(string(body), `"items":[]`) {
				t.Errorf("body %s, want \"items\":[]", body)
			}
		})
	}
	if diff := cmp.Diff([]int{20, 10}, userCall); diff != "" {
		t.Errorf("FindUserExams offset, limit (-want +got):\n%s", diff)
	}
}

// TestGradeEscaping checks that grade items, which are encoded by hand, stay
// valid JSON whatever the names hold.
func TestGradeEscaping(t *testing.T) {
	f := newFixture()
	withGrades(f)
	names := []string{`quote " backslash \ slash /`, "ctl \x00\x01\x1f\t\n\r", "<b>&amp;</b>", "sep \u2028\u2029", "bad \xff utf8", "emoji 😀 张三"}
	f.Attempts.FindGradesFn = func(context.Context, string, int, int) ([]*examhall.Attempt, int, error) {
		var as []*examhall.Attempt
		for _, n := range names {
			as = append(as, &examhall.Attempt{UserName: n, Rank: 1})
		}
		return as, len(as), nil
	}
	_, body := f.Do(t, request{Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examid=e1"})
	var got struct{ Items []map[string]string }
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("decode: %v; body %s", err, body)
	}
	if len(got.Items) != len(names) {
		t.Fatalf("%d items, want %d", len(got.Items), len(names))
	}
	for i, n := range names {
		want := strings.ToValidUTF8(n, "\ufffd")
		if got.Items[i]["userName"] != want {
			t.Errorf("userName = %q, want %q", got.Items[i]["userName"], want)
		}
	}
	if !strings.Contains(string(body), "<b>&amp;</b>") {
		t.Errorf("HTML was escaped: %s", body)
	}
}

func BenchmarkExamList(b *testing.B) {
	f := newFixture()
	var exams []*examhall.Exam
	for i := range 100 {
		exams = append(exams, &examhall.Exam{ID: fmt.Sprintf("%06x", i), Name: "会计基础考试A卷", PassScore: 60, PaperScore: 100, AnswerMinutes: 60, Status: examhall.ExamPublished})
	}
	(&fakeExams{exams: exams}).install(f)
	bench(b, f, request{Path: "/api/v5/examaction.ashx", Query: "token=tok&action=getExamList"})
}

func BenchmarkUserExam(b *testing.B) {
	f := newFixture()
	f.Users.FindUserByAccountFn = func(context.Context, string) (*examhall.User, error) {
		return &examhall.User{ID: "u1"}, nil
	}
	var ues []*examhall.UserExam
	for i := range 10 {
		ues = append(ues, &examhall.UserExam{Exam: &examhall.Exam{ID: fmt.Sprintf("%06x", i), Name: "会计基础考试A卷", PassScore: 60, PaperScore: 100, AnswerMinutes: 60}, AllowTimes: 3})
	}
	f.Exams.FindUserExamsFn = func(context.Context, string, time.Time, int, int) ([]*examhall.UserExam, int, error) {
		return ues, len(ues), nil
	}
	bench(b, f, request{Path: "/api/v5/examaction.ashx", Query: "token=tok&action=getUserExam&account=c089d6"})
}

func BenchmarkExamGrade(b *testing.B) {
	f := newFixture()
	withGrades(f)
	var grades []*examhall.Attempt
	for i := range 100 {
		grades = append(grades, &examhall.Attempt{
			ID: examhall.NewID(16), UserAccount: "c089d6", UserName: "陈翰林", DeptName: "销售部", DeptPath: "考试云/销售中心/销售部",
			UsedSeconds: 1804, Score: 75, Integral: 7.5, Rank: i + 1,
		})
	}
	f.Attempts.FindGradesFn = func(context.Context, string, int, int) ([]*examhall.Attempt, int, error) {
		return grades, len(grades), nil
	}
	bench(b, f, request{Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examid=e1"})
}

// bench serves rq repeatedly through one handler.
func bench(b *testing.B, f *fixture, rq request) {
	b.Helper()
	h := f.Server.Handler()
	b.ReportAllocs()
	for b.Loop() {
		w := &discardWriter{header: http.Header{}}
		h.ServeHTTP(w, rq.build(b))
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(code int) { w.status = code }
