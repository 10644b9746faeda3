package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"examhall"
	"examhall/auth"
	"examhall/blob"
	"examhall/proctor"
	"examhall/store"
	"examhall/web"
)

// fixture is a site on a real SQLite store with one open exam of every
// question type and two candidates.
type fixture struct {
	t      testing.TB
	db     *store.DB
	srv    *httptest.Server
	exam   *examhall.Exam
	alice  *examhall.User
	bob    *examhall.User
	now    time.Time
	passwd string
}

func mustFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "examhall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, now: time.Now(), passwd: "correct horse battery"}
	hash, err := auth.HashPassword(f.passwd)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []**examhall.User{&f.alice, &f.bob} {
		*u = &examhall.User{Name: "Candidate", Role: examhall.RoleExaminee, PasswordHash: hash}
	}
	f.alice.Account, f.bob.Account = "alice", "bob"
	for _, u := range []*examhall.User{f.alice, f.bob} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	f.exam = &examhall.Exam{Name: "Open exam", BeginTime: f.now.Add(-time.Hour), EndTime: f.now.Add(time.Hour),
		AnswerMinutes: 30, PassScore: 60, AllowTimes: 2, Audience: examhall.AudienceAll, Status: examhall.ExamPublished}
	if err := db.CreateExam(ctx, f.exam); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPaper(ctx, f.exam.ID, []*examhall.Question{
		{ID: "s", Type: examhall.QuestionSingle, Stem: "Single", Score: 20, Options: []string{"a", "b", "c"}, Correct: []int{1}},
		{ID: "m", Type: examhall.QuestionMultiple, Stem: "Multiple", Score: 20, Options: []string{"a", "b", "c"}, Correct: []int{0, 2}},
		{ID: "t", Type: examhall.QuestionTrueFalse, Stem: "True?", Score: 20, IsTrue: true},
		{ID: "f", Type: examhall.QuestionFill, Stem: "Fill __ and __", Score: 20, Blanks: [][]string{{"x"}, {"y"}}},
		{ID: "q", Type: examhall.QuestionShort, Stem: "Explain", Score: 20},
	}); err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{Key: []byte(strings.Repeat("k", 32))}, db, db)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	policy := examhall.Policy{Rooms: db}
	pr := &proctor.Service{Exams: db, Attempts: db, Rooms: db, Store: db, Blobs: blobs, Policy: policy}
	s := &web.Server{Auth: a, Policy: policy, Users: db, Exams: db, Attempts: db, Rooms: db,
		Proctor: pr, LastEventSeq: db.LastEventSeq,
		Depts: db, Audio: db, Cheat: db, Reviews: db, Results: db, AppAuth: a,
		ExamineeClientURL: "https://client.example/exam", InvigilatorClientURL: "https://client.example/invigilate",
		JoinMargin: examhall.DefaultJoinMargin, PublicURL: "https://exams.example",
		CSRFKey: []byte(strings.Repeat("c", 32))}
	f.srv = httptest.NewServer(s.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// browser is a client with its own cookie jar that keeps the CSRF token of
// the last page it read.
type browser struct {
	f    *fixture
	c    *http.Client
	csrf string
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get reads a page and remembers its CSRF token.
func (b *browser) get(path string) (int, string) {
	b.f.t.Helper()
	res, err := b.c.Get(b.f.srv.URL + path)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return res.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) *http.Response {
	b.f.t.Helper()
	res, err := b.c.PostForm(b.f.srv.URL+path, form)
	if err != nil {
		b.f.t.Fatal(err)
	}
	return res
}

func (b *browser) postJSON(path string, v any, csrf string) (int, map[string]any) {
	b.f.t.Helper()
	body, _ := json.Marshal(v)
	req, _ := http.NewRequest("POST", b.f.srv.URL+path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set(web.CSRFHeader, csrf)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// signIn signs in and returns the redirect location.
func (b *browser) signIn(account, password, next string) *http.Response {
	b.f.t.Helper()
	b.get("/")
	res := b.post("/signin", url.Values{"csrf": {b.csrf}, "account": {account}, "password": {password}, "next": {next}})
	res.Body.Close()
	return res
}

// start signs in as u and starts an attempt of the fixture's exam.
func (b *browser) start(u *examhall.User) string {
	b.f.t.Helper()
	if res := b.signIn(u.Account, b.f.passwd, "/"); res.StatusCode != http.StatusSeeOther {
		b.f.t.Fatalf("sign in: status %d", res.StatusCode)
	}
	b.get("/v5/exam/" + b.f.exam.ID)
	res := b.post("/v5/exam/"+b.f.exam.ID+"/start", url.Values{"csrf": {b.csrf}, "accept": {"yes"}})
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/attempts/") {
		b.f.t.Fatalf("start: status %d, location %q", res.StatusCode, loc)
	}
	b.get(loc)
	return strings.TrimPrefix(loc, "/attempts/")
}

func TestSignIn(t *testing.T) {
	f := mustFixture(t)
	b := f.browser()
	status, body := b.get("/")
	if status != 200 || !strings.Contains(body, `name="account"`) || !strings.Contains(body, `<html lang="zh-CN">`) {
		t.Fatalf("sign-in page: status %d\n%s", status, body)
	}
	// A wrong password re-shows the form with a message and the account.
	res := b.post("/signin", url.Values{"csrf": {b.csrf}, "account": {"alice"}, "password": {"wrong"}})
	body2, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body2), `role="alert"`) || !strings.Contains(string(body2), `value="alice"`) {
		t.Fatalf("wrong password: status %d\n%s", res.StatusCode, body2)
	}
	// Without the CSRF token nothing happens.
	res = b.post("/signin", url.Values{"account": {"alice"}, "password": {f.passwd}})
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || res.Header.Get("Set-Cookie") != "" && strings.Contains(res.Header.Get("Set-Cookie"), web.SessionCookie+"=ey") {
		t.Fatalf("no CSRF: status %d", res.StatusCode)
	}
	// The right one sets an HttpOnly, SameSite=Lax session cookie and goes
	// back to where the user was going; an outside "next" is ignored.
	res = b.signIn("alice", f.passwd, "/v5/exam/"+f.exam.ID)
	ck := res.Header.Get("Set-Cookie")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/v5/exam/"+f.exam.ID ||
		!strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
		t.Fatalf("sign in: status %d location %q cookie %q", res.StatusCode, res.Header.Get("Location"), ck)
	}
	if res := f.browser().signIn("alice", f.passwd, "//evil.example/"); res.Header.Get("Location") != "/" {
		t.Fatalf("next to another site: location %q", res.Header.Get("Location"))
	}
	// Signed in: my exams lists the open exam with a link to its entry URL.
	_, body = b.get("/")
	if !strings.Contains(body, `href="/v5/exam/`+f.exam.ID+`"`) {
		t.Fatalf("my exams lacks the exam:\n%s", body)
	}
	// Sign out ends it.
	res = b.post("/signout", url.Values{"csrf": {b.csrf}})
	res.Body.Close()
	if _, body = b.get("/"); !strings.Contains(body, `name="password"`) {
		t.Fatal("still signed in after signing out")
	}
}

func TestLanguage(t *testing.T) {
	f := mustFixture(t)
	for _, tt := range []struct {
		name, path, accept, want string
	}{
		{"default", "/", "", `lang="zh-CN"`},
		{"accept-language", "/", "en-US,en;q=0.9,zh;q=0.5", `lang="en"`},
		{"chinese preferred", "/", "zh-CN,zh;q=0.9,en;q=0.8", `lang="zh-CN"`},
		{"query", "/?lang=en", "zh-CN", `lang="en"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", f.srv.URL+tt.path, nil)
			if tt.accept != "" {
				req.Header.Set("Accept-Language", tt.accept)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if !strings.Contains(string(body), "<html "+tt.want+">") {
				t.Errorf("got %s, want %s", regexp.MustCompile(`<html[^>]*>`).Find(body), tt.want)
			}
		})
	}
	// ?lang= is remembered.
	b := f.browser()
	b.get("/?lang=en")
	if _, body := b.get("/"); !strings.Contains(body, `<html lang="en">`) {
		t.Error("the language choice was not remembered")
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := mustFixture(t)
	res, err := http.Get(f.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "http") {
		t.Errorf("CSP %q allows inline script or another origin", csp)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
}

func TestExamPageSignedOut(t *testing.T) {
	f := mustFixture(t)
	b := f.browser()
	status, body := b.get("/v5/exam/" + f.exam.ID)
	if status != 200 || !strings.Contains(body, `name="next" value="/v5/exam/`+f.exam.ID+`"`) || strings.Contains(body, f.exam.Name) {
		t.Fatalf("signed out exam page: status %d\n%s", status, body)
	}
	if status, _ := b.get("/v5/exam/nope"); status != 200 {
		t.Fatalf("unknown exam signed out: status %d, want the sign-in form", status)
	}
	b.signIn("alice", f.passwd, "/")
	if status, body := b.get("/v5/exam/nope"); status != 404 || !strings.Contains(body, `role="alert"`) {
		t.Fatalf("unknown exam: status %d\n%s", status, body)
	}
	// Attempts of another person's are not found either.
	if status, _ := b.get("/attempts/nope"); status != 404 {
		t.Fatalf("unknown attempt: status %d", status)
	}
}

func TestTakeAndSave(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	alice := f.browser()
	id := alice.start(f.alice)
	_, page := alice.get("/attempts/" + id)
	for _, q := range []string{"s", "m", "t", "f", "q"} {
		if !strings.Contains(page, `data-question-id="`+q+`"`) {
			t.Errorf("take page lacks question %s", q)
		}
	}
	for _, want := range []string{`role="timer"`, `role="status"`, `type="radio"`, `type="checkbox"`, `data-blank="1"`, "<textarea", `role="dialog"`} {
		if !strings.Contains(page, want) {
			t.Errorf("take page lacks %s", want)
		}
	}
	save := func(b *browser, device string, seq int, answers []examhall.Answer, csrf string) (int, map[string]any) {
		return b.postJSON("/attempts/"+id+"/answers", map[string]any{"device": device, "seq": seq, "answers": answers}, csrf)
	}
	tru := true
	good := []examhall.Answer{{QuestionID: "s", Choices: []int{1}}, {QuestionID: "t", Bool: &tru}, {QuestionID: "f", Blanks: []string{"x", "y"}}}
	if status, out := save(alice, "d1", 1, good, alice.csrf); status != 200 || out["applied"] != true {
		t.Fatalf("save: %d %v", status, out)
	}
	// A retry of the same save, and an older one, change nothing.
	older := []examhall.Answer{{QuestionID: "s", Choices: []int{0}}}
	for _, seq := range []int{1} {
		if status, out := save(alice, "d1", seq, older, alice.csrf); status != 200 || out["applied"] != false {
			t.Fatalf("repeated save %d: %d %v", seq, status, out)
		}
	}
	a, err := f.db.FindAttemptByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Answers["s"].Choices; len(got) != 1 || got[0] != 1 {
		t.Fatalf("a repeated save overwrote a newer answer: %v", got)
	}

	// Bad input: each a 4xx that writes nothing.
	bob := f.browser()
	bob.signIn("bob", f.passwd, "/")
	bob.get("/")
	for _, tt := range []struct {
		name    string
		b       *browser
		body    map[string]any
		csrf    string
		want    int
		attempt string
	}{
		{"no CSRF token", alice, map[string]any{"device": "d1", "seq": 9, "answers": older}, "", 403, id},
		{"wrong CSRF token", alice, map[string]any{"device": "d1", "seq": 9, "answers": older}, "x" + alice.csrf, 403, id},
		{"another's attempt", bob, map[string]any{"device": "d1", "seq": 9, "answers": older}, bob.csrf, 404, id},
		{"forged attempt id", alice, map[string]any{"device": "d1", "seq": 9, "answers": older}, alice.csrf, 404, "nope"},
		{"unknown question", alice, map[string]any{"device": "d1", "seq": 9, "answers": []examhall.Answer{{QuestionID: "zz", Text: "x"}}}, alice.csrf, 400, id},
		{"wrong type", alice, map[string]any{"device": "d1", "seq": 9, "answers": []examhall.Answer{{QuestionID: "s", Text: "x"}}}, alice.csrf, 400, id},
		{"no seq", alice, map[string]any{"device": "d1", "answers": older}, alice.csrf, 400, id},
		{"unknown field", alice, map[string]any{"device": "d1", "seq": 9, "answers": older, "extra": 1}, alice.csrf, 400, id},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, out := tt.b.postJSON("/attempts/"+tt.attempt+"/answers", tt.body, tt.csrf)
			if status != tt.want || out["error"] == nil {
				t.Fatalf("status %d, want %d; body %v", status, tt.want, out)
			}
		})
	}
	if a2, _ := f.db.FindAttemptByID(ctx, id); a2.SavedAt != a.SavedAt {
		t.Fatal("a refused save wrote")
	}

	// Submit, then no more saves.
	if status, out := alice.postJSON("/attempts/"+id+"/submit", map[string]any{}, alice.csrf); status != 200 || out["status"] == nil {
		t.Fatalf("submit: %d %v", status, out)
	}
	if status, _ := save(alice, "d1", 10, good, alice.csrf); status != 409 {
		t.Fatalf("save after submit: %d, want 409", status)
	}
	if status, _ := alice.postJSON("/attempts/"+id+"/submit", map[string]any{}, alice.csrf); status != 409 {
		t.Fatalf("second submit: %d, want 409", status)
	}
	// The take page of a closed attempt goes to the exam page.
	res, err := alice.c.Get(f.srv.URL + "/attempts/" + id)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/v5/exam/"+f.exam.ID) {
		t.Fatalf("closed take page: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestSessionEnded(t *testing.T) {
	f := mustFixture(t)
	b := f.browser()
	id := b.start(f.alice)
	// Lose the session cookie (expired): the save says so in JSON, the
	// page redirects to sign in and back.
	u, _ := url.Parse(f.srv.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: "", Path: "/", MaxAge: -1}})
	status, out := b.postJSON("/attempts/"+id+"/answers", map[string]any{"device": "d", "seq": 1, "answers": []examhall.Answer{{QuestionID: "q", Text: "x"}}}, b.csrf)
	if status != 401 || out["error"] == nil {
		t.Fatalf("save without a session: %d %v", status, out)
	}
	res, err := b.c.Get(f.srv.URL + "/attempts/" + id)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/?next="+url.QueryEscape("/attempts/"+id) {
		t.Fatalf("take page without a session: %d %q", res.StatusCode, loc)
	}
}

func TestWhyNotStart(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	closed := &examhall.Exam{Name: "Closed", BeginTime: f.now.Add(-2 * time.Hour), EndTime: f.now.Add(-time.Hour),
		AllowTimes: 1, Audience: examhall.AudienceAll, Status: examhall.ExamPublished}
	later := &examhall.Exam{Name: "Later", BeginTime: f.now.Add(time.Hour), EndTime: f.now.Add(2 * time.Hour),
		AllowTimes: 1, Audience: examhall.AudienceAll, Status: examhall.ExamPublished}
	others := &examhall.Exam{Name: "Others", BeginTime: f.now.Add(-time.Hour), EndTime: f.now.Add(time.Hour),
		AllowTimes: 1, Audience: examhall.AudienceUsers, AudienceUserIDs: []string{f.bob.ID}, Status: examhall.ExamPublished}
	for _, e := range []*examhall.Exam{closed, later, others} {
		if err := f.db.CreateExam(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	b := f.browser()
	b.signIn("alice", f.passwd, "/")
	for _, tt := range []struct {
		exam *examhall.Exam
		want string
	}{{closed, "exam.why.closed"}, {later, "exam.why.notYet"}, {others, "exam.why.audience"}} {
		status, body := b.get("/v5/exam/" + tt.exam.ID)
		if status != 200 || !strings.Contains(body, `data-reason="`+tt.want+`"`) {
			t.Errorf("%s: status %d, want reason %s", tt.exam.Name, status, tt.want)
		}
	}
	// Starting anyway is refused with the reason and writes nothing.
	res := b.post("/v5/exam/"+others.ID+"/start", url.Values{"csrf": {b.csrf}})
	res.Body.Close()
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("start outside the audience: %d", res.StatusCode)
	}
	if _, n, _ := f.db.FindAttempts(ctx, examhall.AttemptFilter{ExamID: others.ID}); n != 0 {
		t.Fatalf("%d attempts written", n)
	}
}
