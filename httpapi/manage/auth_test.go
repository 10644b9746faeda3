package manage

import (
	"net/http"
	"strings"
	"testing"
)

// TestAuthorization calls every route as an admin, an invigilator (who
// created room r1 of exam e1), an examinee (u-exa, on r1's roster and owner
// of attempt a1) and nobody, and checks each gets the status it should.
func TestAuthorization(t *testing.T) {
	const (
		ok  = http.StatusOK
		cr  = http.StatusCreated
		nc  = http.StatusNoContent
		fb  = http.StatusForbidden
		una = http.StatusUnauthorized
	)
	covered := map[string]bool{}
	importCSV := "account,name,department,role,password\nnew1,New One,Acme/Sales,examinee,\n"
	for _, tt := range []struct {
		pattern, path, body string
		contentType         string
		admin, inv, exa     int
		none                int // 0: 401
	}{
		{pattern: "GET /api/v1/openapi.json", path: "/api/v1/openapi.json", admin: ok, inv: ok, exa: ok, none: ok},
		{pattern: "POST /api/v1/login", path: "/api/v1/login", body: `{"account":"admin","password":"secret"}`, admin: ok, inv: ok, exa: ok, none: ok},
		{pattern: "GET /api/v1/me", path: "/api/v1/me", admin: ok, inv: ok, exa: ok},

		{pattern: "GET /api/v1/departments", path: "/api/v1/departments", admin: ok, inv: fb, exa: fb},
		{pattern: "POST /api/v1/departments", path: "/api/v1/departments", body: `{"name":"HR","parentId":"d0"}`, admin: cr, inv: fb, exa: fb},
		{pattern: "PATCH /api/v1/departments/{id}", path: "/api/v1/departments/d1", body: `{"name":"Sales 2"}`, admin: ok, inv: fb, exa: fb},
		{pattern: "DELETE /api/v1/departments/{id}", path: "/api/v1/departments/d1", admin: nc, inv: fb, exa: fb},

		{pattern: "GET /api/v1/users", path: "/api/v1/users?role=examinee&disabled=false", admin: ok, inv: fb, exa: fb},
		{pattern: "POST /api/v1/users", path: "/api/v1/users", body: `{"account":"n1","name":"N","role":"examinee","deptPath":"Acme/HR","password":"secret1"}`, admin: cr, inv: fb, exa: fb},
		{pattern: "POST /api/v1/users/import", path: "/api/v1/users/import", body: importCSV, contentType: "text/csv", admin: cr, inv: fb, exa: fb},
		{pattern: "GET /api/v1/users/{id}", path: "/api/v1/users/u-exa", admin: ok, inv: fb, exa: fb},
		{pattern: "PATCH /api/v1/users/{id}", path: "/api/v1/users/u-exa", body: `{"disabled":true}`, admin: ok, inv: fb, exa: fb},

		{pattern: "GET /api/v1/exams", path: "/api/v1/exams?status=published", admin: ok, inv: ok, exa: fb},
		{pattern: "POST /api/v1/exams", path: "/api/v1/exams", body: `{"name":"X","beginTime":"2025-06-02T09:00:00+08:00","endTime":"2025-06-02T11:00:00+08:00"}`, admin: cr, inv: fb, exa: fb},
		{pattern: "GET /api/v1/exams/{id}", path: "/api/v1/exams/e1", admin: ok, inv: ok, exa: fb},
		{pattern: "PATCH /api/v1/exams/{id}", path: "/api/v1/exams/e1", body: `{"passScore":40}`, admin: ok, inv: fb, exa: fb},
		{pattern: "POST /api/v1/exams/{id}/publish", path: "/api/v1/exams/e1/publish", admin: ok, inv: fb, exa: fb},
		{pattern: "POST /api/v1/exams/{id}/archive", path: "/api/v1/exams/e1/archive", admin: ok, inv: fb, exa: fb},
		{pattern: "GET /api/v1/exams/{id}/paper", path: "/api/v1/exams/e1/paper", admin: ok, inv: fb, exa: fb},
		{pattern: "PUT /api/v1/exams/{id}/paper", path: "/api/v1/exams/e1/paper", body: `[{"type":"truefalse","stem":"S","score":1,"isTrue":true}]`, admin: ok, inv: fb, exa: fb},
		{pattern: "GET /api/v1/exams/{id}/overrides", path: "/api/v1/exams/e1/overrides", admin: ok, inv: fb, exa: fb},
		{pattern: "GET /api/v1/exams/{id}/overrides/{userId}", path: "/api/v1/exams/e1/overrides/u-exa", admin: ok, inv: fb, exa: fb},
		{pattern: "PUT /api/v1/exams/{id}/overrides/{userId}", path: "/api/v1/exams/e1/overrides/u-exa", body: `{"extraMinutes":15}`, admin: ok, inv: fb, exa: fb},
		{pattern: "DELETE /api/v1/exams/{id}/overrides/{userId}", path: "/api/v1/exams/e1/overrides/u-exa", admin: nc, inv: fb, exa: fb},
		{pattern: "GET /api/v1/exams/{id}/broadcasts", path: "/api/v1/exams/e1/broadcasts", admin: ok, inv: ok, exa: fb},
		{pattern: "PUT /api/v1/exams/{id}/broadcasts", path: "/api/v1/exams/e1/broadcasts", body: `[{"audioId":"au1","startTime":"2025-06-01T10:00:00+08:00"}]`, admin: ok, inv: fb, exa: fb},
		{pattern: "GET /api/v1/exams/{id}/playlist", path: "/api/v1/exams/e1/playlist", admin: ok, inv: ok, exa: fb},
		{pattern: "PUT /api/v1/exams/{id}/playlist", path: "/api/v1/exams/e1/playlist", body: `{"items":["au1"]}`, admin: ok, inv: fb, exa: fb},
		{pattern: "GET /api/v1/exams/{id}/cheat-config", path: "/api/v1/exams/e1/cheat-config", admin: ok, inv: ok, exa: fb},
		{pattern: "PUT /api/v1/exams/{id}/cheat-config", path: "/api/v1/exams/e1/cheat-config", body: `{"data":"{\"face\":true}"}`, admin: ok, inv: fb, exa: fb},

		{pattern: "GET /api/v1/exams/{id}/attempts", path: "/api/v1/exams/e1/attempts?status=marking", admin: ok, inv: ok, exa: fb},
		{pattern: "GET /api/v1/exams/{id}/grades", path: "/api/v1/exams/e1/grades", admin: ok, inv: ok, exa: fb},
		{pattern: "POST /api/v1/exams/{id}/grades/publish", path: "/api/v1/exams/e1/grades/publish", admin: ok, inv: ok, exa: fb},
		{pattern: "GET /api/v1/exams/{id}/grades/export", path: "/api/v1/exams/e1/grades/export?format=csv", admin: ok, inv: ok, exa: fb},
		{pattern: "POST /api/v1/attempts/{id}/marks", path: "/api/v1/attempts/a2/marks", body: `{"marks":{"q5":12.5}}`, admin: ok, inv: ok, exa: fb},

		{pattern: "GET /api/v1/my/exams", path: "/api/v1/my/exams", admin: ok, inv: ok, exa: ok},
		{pattern: "GET /api/v1/my/attempts", path: "/api/v1/my/attempts", admin: ok, inv: ok, exa: ok},
		{pattern: "POST /api/v1/exams/{id}/attempts", path: "/api/v1/exams/e1/attempts", admin: cr, inv: cr, exa: cr},
		{pattern: "GET /api/v1/attempts/{id}", path: "/api/v1/attempts/a1", admin: ok, inv: fb, exa: ok},
		{pattern: "PUT /api/v1/attempts/{id}/answers", path: "/api/v1/attempts/a1/answers", body: `{"answers":[{"questionId":"q1","choices":[1]}]}`, admin: fb, inv: fb, exa: ok},
		{pattern: "POST /api/v1/attempts/{id}/submit", path: "/api/v1/attempts/a1/submit", admin: fb, inv: fb, exa: ok},

		{pattern: "GET /api/v1/rooms", path: "/api/v1/rooms?examId=e1", admin: ok, inv: ok, exa: fb},
		{pattern: "POST /api/v1/rooms", path: "/api/v1/rooms", body: `{"name":"Room 2","examId":"e1"}`, admin: cr, inv: cr, exa: fb},
		{pattern: "GET /api/v1/rooms/{id}", path: "/api/v1/rooms/r1", admin: ok, inv: ok, exa: fb},
		{pattern: "PATCH /api/v1/rooms/{id}", path: "/api/v1/rooms/r1", body: `{"status":1}`, admin: ok, inv: ok, exa: fb},
		{pattern: "DELETE /api/v1/rooms/{id}", path: "/api/v1/rooms/r1", admin: nc, inv: nc, exa: fb},
		{pattern: "GET /api/v1/rooms/{id}/members", path: "/api/v1/rooms/r1/members", admin: ok, inv: ok, exa: fb},
		{pattern: "POST /api/v1/rooms/{id}/members", path: "/api/v1/rooms/r1/members", body: `{"members":[{"userId":"u-other","role":"examinee"}]}`, admin: ok, inv: ok, exa: fb},
		{pattern: "DELETE /api/v1/rooms/{id}/members/{userId}", path: "/api/v1/rooms/r1/members/u-exa", admin: nc, inv: nc, exa: fb},
		{pattern: "GET /api/v1/rooms/{id}/links", path: "/api/v1/rooms/r1/links", admin: ok, inv: ok, exa: fb},

		{pattern: "POST /api/v1/attempts/{id}/snapshots", path: "/api/v1/attempts/a1/snapshots", body: "\xff\xd8\xff\xe0", contentType: "image/jpeg", admin: fb, inv: fb, exa: cr},
		{pattern: "GET /api/v1/snapshots/{id}", path: "/api/v1/snapshots/s1", admin: ok, inv: ok, exa: ok},
		{pattern: "POST /api/v1/attempts/{id}/signals", path: "/api/v1/attempts/a1/signals", body: `{"type":"switch","seconds":2}`, admin: fb, inv: fb, exa: ok},
		{pattern: "POST /api/v1/attempts/{id}/extend", path: "/api/v1/attempts/a1/extend", body: `{"minutes":5}`, admin: ok, inv: ok, exa: fb},
		{pattern: "POST /api/v1/attempts/{id}/force-submit", path: "/api/v1/attempts/a1/force-submit", admin: ok, inv: ok, exa: fb},
		{pattern: "GET /api/v1/attempts/{id}/timeline", path: "/api/v1/attempts/a1/timeline", admin: ok, inv: ok, exa: fb},
		{pattern: "POST /api/v1/rooms/{id}/messages", path: "/api/v1/rooms/r1/messages", body: `{"userId":"u-exa","text":"Look up"}`, admin: cr, inv: cr, exa: fb},
		{pattern: "POST /api/v1/rooms/{id}/end", path: "/api/v1/rooms/r1/end", admin: ok, inv: ok, exa: fb},
		{pattern: "GET /api/v1/rooms/{id}/live", path: "/api/v1/rooms/r1/live", admin: ok, inv: ok, exa: fb},

		{pattern: "GET /api/v1/audios", path: "/api/v1/audios?classify=1", admin: ok, inv: ok, exa: fb},
		{pattern: "POST /api/v1/audios", path: "/api/v1/audios", body: `{"name":"Start","url":"https://cdn.example/s.mp3"}`, admin: cr, inv: fb, exa: fb},
		{pattern: "GET /api/v1/audios/{id}", path: "/api/v1/audios/au1", admin: ok, inv: ok, exa: fb},
		{pattern: "PATCH /api/v1/audios/{id}", path: "/api/v1/audios/au1", body: `{"classify":2}`, admin: ok, inv: fb, exa: fb},
		{pattern: "DELETE /api/v1/audios/{id}", path: "/api/v1/audios/au1", admin: nc, inv: fb, exa: fb},

		{pattern: "GET /api/v1/apps", path: "/api/v1/apps", admin: ok, inv: fb, exa: fb},
		{pattern: "POST /api/v1/apps", path: "/api/v1/apps", body: `{"name":"HR system"}`, admin: cr, inv: fb, exa: fb},
		{pattern: "POST /api/v1/apps/{id}/disable", path: "/api/v1/apps/app1/disable", admin: ok, inv: fb, exa: fb},

		{pattern: "GET /api/v1/audit", path: "/api/v1/audit?actorId=u-admin&since=2025-01-01T00:00:00Z", admin: ok, inv: fb, exa: fb},
		{pattern: "GET /api/v1/audit/export", path: "/api/v1/audit/export?objectType=user", admin: ok, inv: fb, exa: fb},
		{pattern: "GET /api/v1/webhooks", path: "/api/v1/webhooks", admin: ok, inv: fb, exa: fb},
		{pattern: "POST /api/v1/webhooks", path: "/api/v1/webhooks", body: `{"url":"https://hooks.example/y","events":["attempt.submitted"]}`, admin: cr, inv: fb, exa: fb},
		{pattern: "GET /api/v1/webhooks/{id}", path: "/api/v1/webhooks/wh1", admin: ok, inv: fb, exa: fb},
		{pattern: "PATCH /api/v1/webhooks/{id}", path: "/api/v1/webhooks/wh1", body: `{"enabled":false}`, admin: ok, inv: fb, exa: fb},
		{pattern: "DELETE /api/v1/webhooks/{id}", path: "/api/v1/webhooks/wh1", admin: nc, inv: fb, exa: fb},
		{pattern: "GET /api/v1/webhooks/{id}/deliveries", path: "/api/v1/webhooks/wh1/deliveries?status=failed", admin: ok, inv: fb, exa: fb},
		{pattern: "GET /api/v1/webhooks/{id}/deliveries/{deliveryId}", path: "/api/v1/webhooks/wh1/deliveries/7", admin: ok, inv: fb, exa: fb},
		{pattern: "POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver", path: "/api/v1/webhooks/wh1/deliveries/7/redeliver", admin: http.StatusAccepted, inv: fb, exa: fb},
	} {
		method, _, _ := strings.Cut(tt.pattern, " ")
		none := tt.none
		if none == 0 {
			none = una
		}
		for _, who := range []struct {
			token string
			want  int
		}{{tokAdmin, tt.admin}, {tokInv, tt.inv}, {tokExa, tt.exa}, {"", none}, {"bogus", none}} {
			t.Run(tt.pattern+"/"+who.token, func(t *testing.T) {
				w := newWorld(t)
				rec := w.do(t, request{method: method, path: tt.path, token: who.token, body: tt.body, contentType: tt.contentType})
				if rec.Code != who.want {
					t.Errorf("status = %d, want %d; body %s", rec.Code, who.want, rec.Body)
				}
				if rec.Code >= 400 {
					if got := w.writes(); len(got) > 0 {
						t.Errorf("refused request still wrote: %v", got)
					}
				}
			})
		}
		covered[tt.pattern] = true
	}
	// Every route must have a case, so new routes get their rules tested.
	for _, rt := range (&Server{}).routes() {
		if !covered[rt.pattern] {
			t.Errorf("route %s has no authorization case", rt.pattern)
		}
	}
}

// TestJoinTokenLimits checks that a join-link token, bound to room r1, does
// not open the rest of the API even when its user is an admin.
func TestJoinTokenLimits(t *testing.T) {
	for _, tt := range []struct {
		name   string
		req    request
		status int
	}{
		{"admin's join token cannot list users", request{method: "GET", path: "/api/v1/users", token: tokAJoin}, http.StatusForbidden},
		{"admin's join token cannot create exams", request{method: "POST", path: "/api/v1/exams", token: tokAJoin, body: `{}`}, http.StatusForbidden},
		{"admin's join token manages its own room", request{method: "GET", path: "/api/v1/rooms/r1", token: tokAJoin}, http.StatusOK},
		{"examinee's join token reads its attempt", request{method: "GET", path: "/api/v1/attempts/a1", token: tokJoin}, http.StatusOK},
		{"examinee's join token lists its exams", request{method: "GET", path: "/api/v1/my/exams", token: tokJoin}, http.StatusOK},
		{"examinee's join token starts its room's exam", request{method: "POST", path: "/api/v1/exams/e1/attempts", token: tokJoin}, http.StatusCreated},
		{"examinee's join token cannot start another exam", request{method: "POST", path: "/api/v1/exams/e2/attempts", token: tokJoin}, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if rec := w.do(t, tt.req); rec.Code != tt.status {
				t.Errorf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
		})
	}
}
