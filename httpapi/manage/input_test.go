package manage

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// TestBadInput sends malformed or invalid requests: each must get a clear
// 4xx in the error shape and write nothing.
func TestBadInput(t *testing.T) {
	long := strings.Repeat("x", examhall.MaxTextLen+1)
	for _, tt := range []struct {
		name     string
		req      request
		status   int
		wantCode string
	}{
		{"malformed JSON", request{method: "POST", path: "/api/v1/departments", token: tokAdmin, body: `{"name":`}, 400, examhall.EINVALID},
		{"audit bad since", request{method: "GET", path: "/api/v1/audit?since=yesterday", token: tokAdmin}, 400, examhall.EINVALID},
		{"audit until before since", request{method: "GET", path: "/api/v1/audit?since=2025-06-02T00:00:00Z&until=2025-06-01T00:00:00Z", token: tokAdmin}, 400, examhall.EINVALID},
		{"audit bad export format", request{method: "GET", path: "/api/v1/audit/export?format=pdf", token: tokAdmin}, 400, examhall.EINVALID},
		{"webhook without url", request{method: "POST", path: "/api/v1/webhooks", token: tokAdmin, body: `{"events":["exam.published"]}`}, 400, examhall.EINVALID},
		{"webhook ftp url", request{method: "POST", path: "/api/v1/webhooks", token: tokAdmin, body: `{"url":"ftp://hooks.example/x"}`}, 400, examhall.EINVALID},
		{"webhook loopback url", request{method: "POST", path: "/api/v1/webhooks", token: tokAdmin, body: `{"url":"http://127.0.0.1:8080/x"}`}, 400, examhall.EINVALID},
		{"webhook private url", request{method: "POST", path: "/api/v1/webhooks", token: tokAdmin, body: `{"url":"http://10.1.2.3/x"}`}, 400, examhall.EINVALID},
		{"webhook localhost url", request{method: "POST", path: "/api/v1/webhooks", token: tokAdmin, body: `{"url":"http://localhost/x"}`}, 400, examhall.EINVALID},
		{"webhook unknown event", request{method: "POST", path: "/api/v1/webhooks", token: tokAdmin, body: `{"url":"https://hooks.example/x","events":["exam.deleted"]}`}, 400, examhall.EINVALID},
		{"webhook short secret", request{method: "POST", path: "/api/v1/webhooks", token: tokAdmin, body: `{"url":"https://hooks.example/x","secret":"short"}`}, 400, examhall.EINVALID},
		{"unknown webhook", request{method: "GET", path: "/api/v1/webhooks/nope", token: tokAdmin}, 404, examhall.ENOTFOUND},
		{"bad delivery status", request{method: "GET", path: "/api/v1/webhooks/wh1/deliveries?status=lost", token: tokAdmin}, 400, examhall.EINVALID},
		{"delivery id not a number", request{method: "GET", path: "/api/v1/webhooks/wh1/deliveries/x", token: tokAdmin}, 400, examhall.EINVALID},
		{"unknown delivery", request{method: "POST", path: "/api/v1/webhooks/wh1/deliveries/8/redeliver", token: tokAdmin}, 404, examhall.ENOTFOUND},
		{"empty body", request{method: "POST", path: "/api/v1/rooms", token: tokAdmin}, 400, examhall.EINVALID},
		{"two JSON values", request{method: "POST", path: "/api/v1/apps", token: tokAdmin, body: `{"name":"a"}{}`}, 400, examhall.EINVALID},
		{"wrong type", request{method: "POST", path: "/api/v1/rooms", token: tokAdmin, body: `{"name":5,"examId":"e1"}`}, 400, examhall.EINVALID},
		{"body too large", request{method: "POST", path: "/api/v1/apps", token: tokAdmin, body: `{"name":"` + strings.Repeat("a", examhall.MaxBodyBytes) + `"}`}, 413, examhall.ETOOLARGE},
		{"bad time", request{method: "POST", path: "/api/v1/exams", token: tokAdmin, body: `{"name":"X","beginTime":"tomorrow","endTime":"2025-06-02T11:00:00Z"}`}, 400, examhall.EINVALID},
		{"exam ends before it begins", request{method: "POST", path: "/api/v1/exams", token: tokAdmin, body: `{"name":"X","beginTime":"2025-06-02T11:00:00Z","endTime":"2025-06-02T09:00:00Z"}`}, 400, examhall.EINVALID},
		{"exam allowTimes 0", request{method: "POST", path: "/api/v1/exams", token: tokAdmin, body: `{"name":"X","beginTime":"2025-06-02T09:00:00Z","endTime":"2025-06-02T11:00:00Z","allowTimes":0}`}, 400, examhall.EINVALID},
		{"exam audience depts without depts", request{method: "POST", path: "/api/v1/exams", token: tokAdmin, body: `{"name":"X","beginTime":"2025-06-02T09:00:00Z","endTime":"2025-06-02T11:00:00Z","audience":"depts"}`}, 400, examhall.EINVALID},
		{"exam status by PATCH", request{method: "PATCH", path: "/api/v1/exams/e1", token: tokAdmin, body: `{"status":"archived"}`}, 400, examhall.EINVALID},
		{"exam PATCH breaking the window", request{method: "PATCH", path: "/api/v1/exams/e1", token: tokAdmin, body: `{"endTime":"2000-01-01T00:00:00Z"}`}, 400, examhall.EINVALID},
		{"unknown exam", request{method: "GET", path: "/api/v1/exams/nope", token: tokAdmin}, 404, examhall.ENOTFOUND},
		{"over-long id", request{method: "GET", path: "/api/v1/exams/" + strings.Repeat("e", 65), token: tokAdmin}, 400, examhall.EINVALID},
		{"id with a space", request{method: "GET", path: "/api/v1/users/a%20b", token: tokAdmin}, 400, examhall.EINVALID},
		{"bad offset", request{method: "GET", path: "/api/v1/users?offset=-1", token: tokAdmin}, 400, examhall.EINVALID},
		{"limit 0", request{method: "GET", path: "/api/v1/exams?limit=0", token: tokAdmin}, 400, examhall.EINVALID},
		{"limit over max", request{method: "GET", path: "/api/v1/rooms?limit=1001", token: tokAdmin}, 400, examhall.EINVALID},
		{"limit not a number", request{method: "GET", path: "/api/v1/audios?limit=ten", token: tokAdmin}, 400, examhall.EINVALID},
		{"bad role filter", request{method: "GET", path: "/api/v1/users?role=king", token: tokAdmin}, 400, examhall.EINVALID},
		{"bad disabled filter", request{method: "GET", path: "/api/v1/users?disabled=maybe", token: tokAdmin}, 400, examhall.EINVALID},
		{"bad exam status filter", request{method: "GET", path: "/api/v1/exams?status=open", token: tokAdmin}, 400, examhall.EINVALID},
		{"bad attempt status filter", request{method: "GET", path: "/api/v1/exams/e1/attempts?status=done", token: tokAdmin}, 400, examhall.EINVALID},
		{"bad classify", request{method: "GET", path: "/api/v1/audios?classify=x", token: tokAdmin}, 400, examhall.EINVALID},
		{"bad export format", request{method: "GET", path: "/api/v1/exams/e1/grades/export?format=pdf", token: tokAdmin}, 400, examhall.EINVALID},
		{"department name with slash", request{method: "POST", path: "/api/v1/departments", token: tokAdmin, body: `{"name":"A/B"}`}, 400, examhall.EINVALID},
		{"department PATCH without fields", request{method: "PATCH", path: "/api/v1/departments/d1", token: tokAdmin, body: `{}`}, 400, examhall.EINVALID},
		{"department as its own parent", request{method: "PATCH", path: "/api/v1/departments/d1", token: tokAdmin, body: `{"parentId":"d1"}`}, 409, examhall.ECONFLICT},
		{"user without account", request{method: "POST", path: "/api/v1/users", token: tokAdmin, body: `{"name":"N","role":"examinee"}`}, 400, examhall.EINVALID},
		{"user account with space", request{method: "POST", path: "/api/v1/users", token: tokAdmin, body: `{"account":"a b","name":"N","role":"examinee"}`}, 400, examhall.EINVALID},
		{"user bad role", request{method: "POST", path: "/api/v1/users", token: tokAdmin, body: `{"account":"a","name":"N","role":"root"}`}, 400, examhall.EINVALID},
		{"user deptId and deptPath", request{method: "POST", path: "/api/v1/users", token: tokAdmin, body: `{"account":"a","name":"N","role":"examinee","deptId":"d1","deptPath":"A"}`}, 400, examhall.EINVALID},
		{"user bad deptPath", request{method: "POST", path: "/api/v1/users", token: tokAdmin, body: `{"account":"a","name":"N","role":"examinee","deptPath":"A//B"}`}, 400, examhall.EINVALID},
		{"user weak password", request{method: "POST", path: "/api/v1/users", token: tokAdmin, body: `{"account":"a","name":"N","role":"examinee","password":"123"}`}, 400, examhall.EINVALID},
		{"user PATCH empty password", request{method: "PATCH", path: "/api/v1/users/u-exa", token: tokAdmin, body: `{"password":""}`}, 400, examhall.EINVALID},
		{"admin disables self", request{method: "PATCH", path: "/api/v1/users/u-admin", token: tokAdmin, body: `{"disabled":true}`}, 409, examhall.ECONFLICT},
		{"admin demotes self", request{method: "PATCH", path: "/api/v1/users/u-admin", token: tokAdmin, body: `{"role":"examinee"}`}, 409, examhall.ECONFLICT},
		{"room name too long", request{method: "POST", path: "/api/v1/rooms", token: tokInv, body: `{"name":"` + strings.Repeat("r", 64) + `","examId":"e1"}`}, 400, examhall.EINVALID},
		{"room of unknown exam", request{method: "POST", path: "/api/v1/rooms", token: tokAdmin, body: `{"name":"R","examId":"zz"}`}, 400, examhall.EINVALID},
		{"room of an exam the invigilator does not manage", request{method: "POST", path: "/api/v1/rooms", token: tokInv, body: `{"name":"R","examId":"e2"}`}, 403, examhall.EFORBIDDEN},
		{"exam created published", request{method: "POST", path: "/api/v1/exams", token: tokAdmin, body: `{"name":"X","beginTime":"2025-06-02T09:00:00Z","endTime":"2025-06-02T11:00:00Z","status":"published"}`}, 400, examhall.EINVALID},
		{"room bad status", request{method: "PATCH", path: "/api/v1/rooms/r1", token: tokInv, body: `{"status":7}`}, 400, examhall.EINVALID},
		{"unknown room", request{method: "GET", path: "/api/v1/rooms/r9", token: tokAdmin}, 404, examhall.ENOTFOUND},
		{"unknown audio", request{method: "GET", path: "/api/v1/audios/au9", token: tokAdmin}, 404, examhall.ENOTFOUND},
		{"member bad role", request{method: "POST", path: "/api/v1/rooms/r1/members", token: tokInv, body: `{"members":[{"userId":"u-other","role":"admin"}]}`}, 400, examhall.EINVALID},
		{"member listed twice", request{method: "POST", path: "/api/v1/rooms/r1/members", token: tokInv, body: `{"members":[{"userId":"u-other","role":"examinee"},{"userId":"u-other","role":"invigilator"}]}`}, 400, examhall.EINVALID},
		{"no members", request{method: "POST", path: "/api/v1/rooms/r1/members", token: tokInv, body: `{"members":[]}`}, 400, examhall.EINVALID},
		{"audio without url", request{method: "POST", path: "/api/v1/audios", token: tokAdmin, body: `{"name":"A"}`}, 400, examhall.EINVALID},
		{"audio url not http", request{method: "POST", path: "/api/v1/audios", token: tokAdmin, body: `{"name":"A","url":"javascript:alert(1)"}`}, 400, examhall.EINVALID},
		{"broadcast without time", request{method: "PUT", path: "/api/v1/exams/e1/broadcasts", token: tokAdmin, body: `[{"audioId":"au1"}]`}, 400, examhall.EINVALID},
		{"broadcasts not a list", request{method: "PUT", path: "/api/v1/exams/e1/broadcasts", token: tokAdmin, body: `{"audioId":"au1"}`}, 400, examhall.EINVALID},
		{"playlist of numbers", request{method: "PUT", path: "/api/v1/exams/e1/playlist", token: tokAdmin, body: `[1,2]`}, 400, examhall.EINVALID},
		{"cheat config not JSON text", request{method: "PUT", path: "/api/v1/exams/e1/cheat-config", token: tokAdmin, body: `{"data":"{oops"}`}, 400, examhall.EINVALID},
		{"cheat config missing", request{method: "PUT", path: "/api/v1/exams/e1/cheat-config", token: tokAdmin, body: `{}`}, 400, examhall.EINVALID},
		{"invalid question", request{method: "PUT", path: "/api/v1/exams/e1/paper", token: tokAdmin, body: `[{"type":"single","stem":"S","score":1,"options":["a","b"],"correct":[5]}]`}, 400, examhall.EINVALID},
		{"question without stem", request{method: "PUT", path: "/api/v1/exams/e1/paper", token: tokAdmin, body: `{"items":[{"type":"short","score":1}]}`}, 400, examhall.EINVALID},
		{"question ids repeated", request{method: "PUT", path: "/api/v1/exams/e1/paper", token: tokAdmin, body: `[{"id":"x","type":"short","stem":"a","score":1},{"id":"x","type":"short","stem":"b","score":1}]`}, 400, examhall.EINVALID},
		{"override negative", request{method: "PUT", path: "/api/v1/exams/e1/overrides/u-exa", token: tokAdmin, body: `{"extraMinutes":-5}`}, 400, examhall.EINVALID},
		{"override inverted window", request{method: "PUT", path: "/api/v1/exams/e1/overrides/u-exa", token: tokAdmin, body: `{"endTime":"2000-01-01T00:00:00Z"}`}, 400, examhall.EINVALID},
		{"override unknown user", request{method: "PUT", path: "/api/v1/exams/e1/overrides/u-nope", token: tokAdmin, body: `{"extraMinutes":5}`}, 404, examhall.ENOTFOUND},
		{"mark an objective question", request{method: "POST", path: "/api/v1/attempts/a2/marks", token: tokAdmin, body: `{"marks":{"q1":5}}`}, 400, examhall.EINVALID},
		{"mark above the score", request{method: "POST", path: "/api/v1/attempts/a2/marks", token: tokAdmin, body: `{"marks":{"q5":21}}`}, 400, examhall.EINVALID},
		{"mark unknown question", request{method: "POST", path: "/api/v1/attempts/a2/marks", token: tokAdmin, body: `{"marks":{"q9":1}}`}, 400, examhall.EINVALID},
		{"mark as string", request{method: "POST", path: "/api/v1/attempts/a2/marks", token: tokAdmin, body: `{"marks":{"q5":"ten"}}`}, 400, examhall.EINVALID},
		{"publish bad ids", request{method: "POST", path: "/api/v1/exams/e1/grades/publish", token: tokAdmin, body: `{"ids":"a1"}`}, 400, examhall.EINVALID},
		{"login without password", request{method: "POST", path: "/api/v1/login", body: `{"account":"admin"}`}, 400, examhall.EINVALID},
		{"login wrong password", request{method: "POST", path: "/api/v1/login", body: `{"account":"admin","password":"nope"}`}, 401, examhall.EUNAUTHORIZED},
		{"app without name", request{method: "POST", path: "/api/v1/apps", token: tokAdmin, body: `{"name":" "}`}, 400, examhall.EINVALID},
		{"search text too long", request{method: "GET", path: "/api/v1/users?q=" + long, token: tokAdmin}, 400, examhall.EINVALID},
		{"no such endpoint", request{method: "GET", path: "/api/v1/nope", token: tokAdmin}, 404, examhall.ENOTFOUND},
		// Issue 14 B4: numbers out of range.
		{"exam answerMinutes overflowing", request{method: "POST", path: "/api/v1/exams", token: tokAdmin, body: `{"name":"X","beginTime":"2025-06-02T09:00:00Z","endTime":"2025-06-02T11:00:00Z","answerMinutes":200000000}`}, 400, examhall.EINVALID},
		{"exam PATCH answerMinutes overflowing", request{method: "PATCH", path: "/api/v1/exams/e1", token: tokAdmin, body: `{"answerMinutes":200000000}`}, 400, examhall.EINVALID},
		{"exam allowTimes huge", request{method: "PATCH", path: "/api/v1/exams/e1", token: tokAdmin, body: `{"allowTimes":2000000000}`}, 400, examhall.EINVALID},
		{"exam passScore huge", request{method: "PATCH", path: "/api/v1/exams/e1", token: tokAdmin, body: `{"passScore":1e308}`}, 400, examhall.EINVALID},
		{"override extraMinutes huge", request{method: "PUT", path: "/api/v1/exams/e1/overrides/u-exa", token: tokAdmin, body: `{"extraMinutes":99999999}`}, 400, examhall.EINVALID},
		{"override year 1", request{method: "PUT", path: "/api/v1/exams/e1/overrides/u-exa", token: tokAdmin, body: `{"beginTime":"0001-01-01T00:00:00Z"}`}, 400, examhall.EINVALID},
		{"question score huge", request{method: "PUT", path: "/api/v1/exams/e1/paper", token: tokAdmin, body: `[{"type":"short","stem":"S","score":1e300}]`}, 400, examhall.EINVALID},
		// Issue 14 B6: text encoding/json would store as U+FFFD.
		{"department name not UTF-8", request{method: "POST", path: "/api/v1/departments", token: tokAdmin, body: "{\"name\":\"a\xffb\"}"}, 400, examhall.EINVALID},
		{"department name lone surrogate", request{method: "POST", path: "/api/v1/departments", token: tokAdmin, body: `{"name":"a\ud800b"}`}, 400, examhall.EINVALID},
		{"cheat config lone surrogate", request{method: "PUT", path: "/api/v1/exams/e1/cheat-config", token: tokAdmin, body: `{"data":"{\"a\":\"\udfff\"}"}`}, 400, examhall.EINVALID},
		// Issue 14 B7: unknown fields are refused, not ignored.
		{"exam PATCH unknown field", request{method: "PATCH", path: "/api/v1/exams/e1", token: tokAdmin, body: `{"nmae":"typo"}`}, 400, examhall.EINVALID},
		{"user POST unknown field", request{method: "POST", path: "/api/v1/users", token: tokAdmin, body: `{"account":"a","name":"N","role":"examinee","isAdmin":true}`}, 400, examhall.EINVALID},
		{"paper unknown question field", request{method: "PUT", path: "/api/v1/exams/e1/paper", token: tokAdmin, body: `[{"type":"short","stem":"S","score":1,"points":3}]`}, 400, examhall.EINVALID},
		{"wrong method", request{method: "DELETE", path: "/api/v1/exams", token: tokAdmin}, 405, examhall.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			rec := w.do(t, tt.req)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if got := errorCode(t, rec); got != tt.wantCode {
				t.Errorf("code = %q, want %q", got, tt.wantCode)
			}
			if got := w.writes(); len(got) > 0 {
				t.Errorf("bad input still wrote: %v", got)
			}
		})
	}
}

// TestAnswers checks autosave validation against each question type.
func TestAnswers(t *testing.T) {
	long := strings.Repeat("x", examhall.MaxTextLen+1)
	for _, tt := range []struct {
		name, answers string
		status        int
	}{
		{"every type", `[{"questionId":"q1","choices":[2]},{"questionId":"q2","choices":[0,3]},{"questionId":"q3","bool":false},{"questionId":"q4","blanks":["a","b"]},{"questionId":"q5","text":"because"}]`, 200},
		{"clearing answers", `[{"questionId":"q1"},{"questionId":"q4","blanks":[]}]`, 200},
		{"choice out of range", `[{"questionId":"q1","choices":[3]}]`, 400},
		{"negative choice", `[{"questionId":"q2","choices":[-1]}]`, 400},
		{"repeated choice", `[{"questionId":"q2","choices":[1,1]}]`, 400},
		{"two choices for single", `[{"questionId":"q1","choices":[0,1]}]`, 400},
		{"choices for truefalse", `[{"questionId":"q3","choices":[0]}]`, 400},
		{"bool for single", `[{"questionId":"q1","bool":true}]`, 400},
		{"too few blanks", `[{"questionId":"q4","blanks":["a"]}]`, 400},
		{"too many blanks", `[{"questionId":"q4","blanks":["a","b","c"]}]`, 400},
		{"blank too long", `[{"questionId":"q4","blanks":["a","` + long + `"]}]`, 400},
		{"text for fill", `[{"questionId":"q4","text":"x"}]`, 400},
		{"text too long", `[{"questionId":"q5","text":"` + long + `"}]`, 400},
		{"unknown question", `[{"questionId":"q9","text":"x"}]`, 400},
		{"question twice", `[{"questionId":"q5","text":"x"},{"questionId":"q5","text":"y"}]`, 400},
		{"no answers", `[]`, 400},
		{"choices as strings", `[{"questionId":"q1","choices":["a"]}]`, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			rec := w.do(t, request{method: "PUT", path: "/api/v1/attempts/a1/answers", token: tokExa, body: `{"answers":` + tt.answers + `}`})
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			var want []string
			if tt.status == http.StatusOK {
				want = []string{"SaveAnswers"}
			}
			if diff := cmp.Diff(want, w.writes()); diff != "" {
				t.Errorf("writes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Issue 14 B7: the 400 names every unknown field, and fields of the GET
// shape that a write ignores (a list's total, a broadcast's audio) are not
// unknown.
func TestUnknownFieldsNamed(t *testing.T) {
	for _, tt := range []struct {
		req  request
		want string // "" for success
	}{
		{request{method: "PATCH", path: "/api/v1/exams/e1", token: tokAdmin, body: `{"nmae":"x","zzz":1,"name":"ok"}`}, `unknown fields "nmae", "zzz"`},
		{request{method: "PATCH", path: "/api/v1/exams/e1", token: tokAdmin, body: `{"NAME":"Case is ignored, as encoding/json does"}`}, ""},
		{request{method: "PUT", path: "/api/v1/exams/e1/overrides/u-exa", token: tokAdmin, body: `{"extraMinuts":5}`}, `unknown field "extraMinuts"`},
		{request{method: "PUT", path: "/api/v1/exams/e1/paper", token: tokAdmin, body: `{"items":[{"type":"short","stem":"S","score":1,"points":3}],"total":1}`}, `unknown field "points"`},
		{request{method: "PUT", path: "/api/v1/exams/e1/broadcasts", token: tokAdmin, body: `{"items":[{"audioId":"au1","startTime":"2025-06-02T09:30:00Z","audio":{"id":"au1"}}],"total":1}`}, ""},
	} {
		w := newWorld(t)
		rec := w.do(t, tt.req)
		if tt.want == "" {
			if rec.Code != http.StatusOK {
				t.Errorf("%s %s %s: status %d, want 200: %s", tt.req.method, tt.req.path, tt.req.body, rec.Code, rec.Body)
			}
			continue
		}
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), strings.ReplaceAll(tt.want, `"`, `\"`)) {
			t.Errorf("%s %s %s: %d %s, want 400 naming %s", tt.req.method, tt.req.path, tt.req.body, rec.Code, rec.Body, tt.want)
		}
		if got := w.writes(); len(got) > 0 {
			t.Errorf("unknown fields still wrote: %v", got)
		}
	}
}
