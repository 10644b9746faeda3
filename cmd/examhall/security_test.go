package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"examhall"
	"examhall/auth"
	"examhall/demo"
)

// demoLogin returns the demo's last login of the role.
func demoLogin(t *testing.T, res *demo.Result, role examhall.Role) demo.Login {
	t.Helper()
	var l demo.Login
	for _, x := range res.Logins {
		if x.Role == role {
			l = x
		}
	}
	if l.Account == "" {
		t.Fatalf("the demo has no %s login", role)
	}
	return l
}

// meID returns the user ID of a token through GET /api/v1/me.
func meID(t *testing.T, m *Main, token string) string {
	t.Helper()
	code, out := call(t, m, "GET", "/api/v1/me", token, nil)
	id, _ := out["id"].(string)
	if code != 200 || id == "" {
		t.Fatalf("GET /api/v1/me: %d %v", code, out)
	}
	return id
}

// Issue 14 B1, end to end on each store: hundreds of concurrent wrong
// passwords for one account check at most MaxLoginFailures of them (the
// others answer 429 at once), and the right password sent after them is
// refused too. The bcrypt count itself is asserted in auth
// (TestLoginThrottleConcurrent); here the store's reservation is under test.
func TestLoginThrottleConcurrentStore(t *testing.T) {
	testMains(t, func(t *testing.T, m *Main) {
		res := seed(t, m)
		l := demoLogin(t, res, examhall.RoleExaminee)
		const guesses = 200
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int]int{}
		for i := range guesses {
			wg.Go(func() {
				// Spellings differ: accounts are one ignoring case.
				account := l.Account
				if i%2 == 1 {
					account = strings.ToUpper(account)
				}
				code, _ := call(t, m, "POST", "/api/v1/login", "", map[string]string{"account": account, "password": "wrong-guess-" + account})
				mu.Lock()
				codes[code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[401] != auth.MaxLoginFailures || codes[429] != guesses-auth.MaxLoginFailures || len(codes) != 2 {
			t.Errorf("answers by status %v: want %d × 401 (passwords checked) and the rest 429", codes, auth.MaxLoginFailures)
		}
		if code, _ := call(t, m, "POST", "/api/v1/login", "", map[string]string{"account": l.Account, "password": l.Password}); code != 429 {
			t.Errorf("the right password after the guesses: %d, want 429", code)
		}
		if code, _ := call(t, m, "POST", "/exam/login", "", map[string]string{"username": l.Account, "password": l.Password}); code != 429 {
			t.Errorf("the right password on /exam/login: %d, want 429", code)
		}
	})
}

// Issue 14 B2: a password reset, a role change and a disable end every
// earlier session and join token of the user at once.
func TestSessionRevocation(t *testing.T) {
	testMains(t, func(t *testing.T, m *Main) {
		res := seed(t, m)
		admin := bearerOf(t, m, res, examhall.RoleAdmin)
		l := demoLogin(t, res, examhall.RoleExaminee)
		examinees, _ := joinLinks(t, res)
		for _, tc := range []struct {
			name string
			body map[string]any
		}{
			{"password reset", map[string]any{"password": "a-brand-new-password"}},
			{"role change", map[string]any{"role": "invigilator"}},
			{"disable and enable", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// Log in afresh (the password may have changed above).
				_, out := call(t, m, "POST", "/api/v1/login", "", map[string]string{"account": l.Account, "password": l.Password})
				session, _ := out["token"].(string)
				if session == "" {
					t.Fatalf("login: %v", out)
				}
				id := meID(t, m, session)
				join := examinees[id]
				if tc.body == nil {
					for _, d := range []bool{true, false} {
						if code, out := call(t, m, "PATCH", "/api/v1/users/"+id, admin, map[string]any{"disabled": d}); code != 200 {
							t.Fatalf("PATCH disabled=%v: %d %v", d, code, out)
						}
					}
				} else if code, out := call(t, m, "PATCH", "/api/v1/users/"+id, admin, tc.body); code != 200 {
					t.Fatalf("PATCH %v: %d %v", tc.body, code, out)
				}
				if code, out := call(t, m, "GET", "/api/v1/me", session, nil); code != 401 || !strings.Contains(errorMessage(out), "session has ended") {
					t.Errorf("old session after %s: %d %v, want 401", tc.name, code, out)
				}
				if join != "" {
					if code, _ := call(t, m, "GET", "/exam/roomInfo?roomId="+res.RoomID, join, nil); code != 401 {
						t.Errorf("old join token after %s: %d, want 401", tc.name, code)
					}
				}
				if tc.body != nil && tc.body["password"] != nil {
					l.Password = tc.body["password"].(string)
				}
				if tc.body != nil && tc.body["role"] != nil {
					call(t, m, "PATCH", "/api/v1/users/"+id, admin, map[string]any{"role": "examinee"})
				}
				// A new login works.
				if code, out := call(t, m, "POST", "/api/v1/login", "", map[string]string{"account": l.Account, "password": l.Password}); code != 200 {
					t.Errorf("login after %s: %d %v", tc.name, code, out)
				}
			})
		}
	})
}

func errorMessage(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// Issue 14 B3: a join token issues no join links, and ends with its
// holder's place on the roster.
func TestJoinTokenLimits(t *testing.T) {
	testMains(t, func(t *testing.T, m *Main) {
		res := seed(t, m)
		examinees, inv := joinLinks(t, res)
		if code, out := call(t, m, "GET", "/api/v1/rooms/"+res.RoomID+"/links", inv, nil); code != 403 {
			t.Errorf("links with the invigilator's join token: %d %v, want 403", code, out)
		}
		invSession := bearerOf(t, m, res, examhall.RoleInvigilator)
		if code, _ := call(t, m, "GET", "/api/v1/rooms/"+res.RoomID+"/links", invSession, nil); code != 200 {
			t.Errorf("links with the invigilator's session: %d, want 200", code)
		}
		var id, tok string
		for id, tok = range examinees {
			break
		}
		if code, out := call(t, m, "GET", "/api/v1/my/exams", tok, nil); code != 200 || out["total"] != float64(1) {
			t.Fatalf("my exams on the roster: %d %v", code, out)
		}
		r := httptest.NewRequest("DELETE", "/api/v1/rooms/"+res.RoomID+"/members/"+id, nil)
		r.Header.Set("Authorization", invSession)
		w := httptest.NewRecorder()
		m.Handler.ServeHTTP(w, r)
		if w.Code != 204 {
			t.Fatalf("remove member: %d %s", w.Code, w.Body)
		}
		if code, out := call(t, m, "GET", "/api/v1/my/exams", tok, nil); code != 403 {
			t.Errorf("my exams after removal from the room: %d %v, want 403", code, out)
		}
	})
}

// Issue 14 B5: invigilators read the exams of their rooms only, on /api/v1
// as on /exam/.
func TestInvigilatorExamScope(t *testing.T) {
	testMains(t, func(t *testing.T, m *Main) {
		res := seed(t, m)
		inv := bearerOf(t, m, res, examhall.RoleInvigilator)
		admin := bearerOf(t, m, res, examhall.RoleAdmin)
		_, all := call(t, m, "GET", "/api/v1/exams", admin, nil)
		_, mine := call(t, m, "GET", "/api/v1/exams", inv, nil)
		items, _ := mine["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["id"] != res.ExamID || all["total"].(float64) < 2 {
			t.Errorf("invigilator's exam list = %v (admin sees %v), want only %s", mine, all["total"], res.ExamID)
		}
		for _, it := range all["items"].([]any) {
			id := it.(map[string]any)["id"].(string)
			want := 403
			if id == res.ExamID {
				want = 200
			}
			for _, path := range []string{"", "/broadcasts", "/playlist", "/cheat-config"} {
				code, _ := call(t, m, "GET", "/api/v1/exams/"+id+path, inv, nil)
				if code != want && !(want == 200 && code == 404 && path == "/cheat-config") {
					t.Errorf("invigilator GET /exams/%s%s: %d, want %d", id, path, code, want)
				}
			}
			// The same rule as /exam/examInfo.
			code, _ := call(t, m, "GET", "/exam/examInfo?examId="+id, inv, nil)
			if code != want {
				t.Errorf("invigilator examInfo %s: %d, want %d", id, code, want)
			}
		}
	})
}

// Issue 14 B8: nosniff everywhere; no-store on /api/v1 answers carrying
// tokens or personal data.
func TestSecurityHeaders(t *testing.T) {
	m := MustOpenMain(t, "")
	res := seed(t, m)
	l := demoLogin(t, res, examhall.RoleAdmin)
	for _, tt := range []struct {
		method, target, body string
		noStore              bool
	}{
		{"POST", "/api/v1/login", `{"account":"` + l.Account + `","password":"` + l.Password + `"}`, true},
		{"GET", "/api/v1/me", "", true},
		{"GET", "/api/v1/nope", "", true},
		{"GET", "/api/v1/openapi.json", "", false},
		{"POST", "/exam/login", `{"username":"` + l.Account + `","password":"` + l.Password + `"}`, true},
		{"GET", "/healthz", "", false},
		{"GET", "/api/v5/token.ashx", "", false},
	} {
		r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		m.Handler.ServeHTTP(w, r)
		if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options %q, want nosniff", tt.method, tt.target, got)
		}
		if got := w.Header().Get("Cache-Control"); tt.noStore && got != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store", tt.method, tt.target, got)
		}
	}
}

// Issue 14 B9: accounts are unique ignoring case, and logins ignore it.
func TestAccountsIgnoreCase(t *testing.T) {
	testMains(t, func(t *testing.T, m *Main) {
		res := seed(t, m)
		admin := bearerOf(t, m, res, examhall.RoleAdmin)
		l := demoLogin(t, res, examhall.RoleAdmin)
		code, out := call(t, m, "POST", "/api/v1/users", admin, map[string]string{"account": strings.ToUpper(l.Account), "name": "Shadow", "role": "admin", "password": "shadow-password"})
		if code != 409 {
			t.Errorf("creating %s beside %s: %d %v, want 409", strings.ToUpper(l.Account), l.Account, code, out)
		}
		if code, _ := call(t, m, "POST", "/api/v1/login", "", map[string]string{"account": strings.ToUpper(l.Account), "password": l.Password}); code != 200 {
			t.Errorf("login as %s: %d, want 200", strings.ToUpper(l.Account), code)
		}
	})
}

// Issue 14 B10: without EXAMHALL_LIVE_CALLBACK_KEY, /exam/userAct refuses
// unsigned callbacks, except under --demo.
func TestUnsignedCallbacks(t *testing.T) {
	for _, demoMode := range []bool{false, true} {
		m := mustOpenMainWith(t, func(c *Config) { c.Demo = demoMode })
		res := seed(t, m)
		examinees, _ := joinLinks(t, res)
		var user string
		for user = range examinees {
			break
		}
		target := "/exam/userAct?action=publish&id=" + res.ExamID + "-" + res.RoomID + "-" + user
		code, out := call(t, m, "GET", target, "", nil)
		switch {
		case !demoMode && (code != http.StatusServiceUnavailable || !strings.Contains(out["errorMsg"].(string), "EXAMHALL_LIVE_CALLBACK_KEY")):
			t.Errorf("unsigned callback outside --demo: %d %v, want 503 naming EXAMHALL_LIVE_CALLBACK_KEY", code, out)
		case demoMode && code != 200:
			t.Errorf("unsigned callback under --demo: %d %v, want 200", code, out)
		}
	}
}
