package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"examhall"
	"examhall/auth"
	"examhall/sheet"
	"examhall/store"
	"examhall/web"
)

// staff is a site with every service the staff console uses, an
// administrator, an invigilator and a candidate, all with password
// staffPassword.
type staff struct {
	*fixture
	admin, invig, cand *examhall.User
}

const staffPassword = "correct horse battery"

// fastHash applies auth's password policy with bcrypt's lowest cost, so
// imports stay quick in tests.
func fastHash(p string) (string, error) {
	if utf8.RuneCountInString(p) < auth.MinPasswordLen {
		return "", examhall.Errorf(examhall.EINVALID, "password must be at least %d characters", auth.MinPasswordLen)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
	return string(h), err
}

func mustStaff(t testing.TB) *staff {
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
	hash, err := fastHash(staffPassword)
	if err != nil {
		t.Fatal(err)
	}
	s := &staff{fixture: &fixture{t: t, db: db, now: time.Now(), passwd: staffPassword}}
	for _, u := range []struct {
		p    **examhall.User
		acct string
		role examhall.Role
	}{{&s.admin, "root", examhall.RoleAdmin}, {&s.invig, "inv", examhall.RoleInvigilator}, {&s.cand, "cand", examhall.RoleExaminee}} {
		*u.p = &examhall.User{Account: u.acct, Name: "Person " + u.acct, Role: u.role, PasswordHash: hash}
		if err := db.CreateUser(ctx, *u.p); err != nil {
			t.Fatal(err)
		}
	}
	a, err := auth.New(auth.Config{Key: []byte(strings.Repeat("k", 32))}, db, db)
	if err != nil {
		t.Fatal(err)
	}
	srv := &web.Server{Auth: a, AppAuth: a, Policy: examhall.Policy{Rooms: db}, Users: db, Depts: db, Exams: db, Attempts: db,
		Rooms: db, Audio: db, Apps: db, HashPassword: fastHash, CSRFKey: []byte(strings.Repeat("c", 32)), Location: time.UTC}
	s.srv = httptestServer(t, srv.Handler())
	return s
}

// as returns a browser signed in as u, in English.
func (s *staff) as(u *examhall.User) *browser {
	s.t.Helper()
	b := s.browser()
	b.get("/?lang=en")
	if res := b.signIn(u.Account, staffPassword, "/"); res.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign in as %s: %d", u.Account, res.StatusCode)
	}
	return b
}

// send posts form (with the browser's CSRF token) and returns the status,
// the Location and the body.
func (b *browser) send(path string, form url.Values) (int, string, string) {
	b.f.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	res := b.post(path, form)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(body)
}

// upload posts a file in the multipart field "file" with extra fields.
func (b *browser) upload(path, name string, data []byte, fields url.Values) (int, string, string) {
	b.f.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", b.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.f.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.c.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(body)
}

// mustContain fails unless body has every want.
func mustContain(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
	if t.Failed() {
		t.Logf("%s:\n%s", what, body)
		t.FailNow()
	}
}

// hidden returns the value of the hidden field name in body.
func hidden(t *testing.T, body, name string) string {
	t.Helper()
	i := strings.Index(body, `name="`+name+`" value="`)
	if i < 0 {
		t.Fatalf("no hidden field %s in:\n%s", name, body)
	}
	rest := body[i+len(`name="`+name+`" value="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

func (s *staff) userCount() int {
	s.t.Helper()
	_, n, err := s.db.FindUsers(context.Background(), examhall.UserFilter{Limit: 1})
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

func TestStaffRoles(t *testing.T) {
	s := mustStaff(t)
	e := &examhall.Exam{Name: "E", BeginTime: s.now, EndTime: s.now.Add(time.Hour), AllowTimes: 1, Audience: examhall.AudienceAll, Status: examhall.ExamDraft}
	if err := s.db.CreateExam(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/admin/people", "/admin/people/new", "/admin/people/import", "/admin/people/" + s.cand.ID, "/admin/departments",
		"/admin/exams", "/admin/exams/new", "/admin/exams/" + e.ID, "/admin/exams/" + e.ID + "/paper", "/admin/exams/" + e.ID + "/paper/preview",
		"/admin/apps", "/admin/people/template?format=csv", "/admin/exams/" + e.ID + "/paper/export?format=csv"}
	for _, u := range []*examhall.User{s.invig, s.cand} {
		b := s.as(u)
		for _, p := range pages {
			if status, _ := b.get(p); status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", u.Role, p, status)
			}
		}
		b.get("/account")
		for _, p := range []string{"/admin/people", "/admin/departments", "/admin/exams", "/admin/apps", "/admin/exams/" + e.ID + "/paper"} {
			if status, _, _ := b.send(p, url.Values{"name": {"x"}, "account": {"x"}, "role": {"admin"}}); status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", u.Role, p, status)
			}
		}
		// Everyone has an account page.
		if status, body := b.get("/account"); status != 200 || !strings.Contains(body, `name="old"`) {
			t.Errorf("%s account page: %d", u.Role, status)
		}
	}
	if n := s.userCount(); n != 3 {
		t.Errorf("%d users after refused writes, want 3", n)
	}
	// Signed out: sent to sign in.
	res, err := s.browser().c.Get(s.srv.URL + "/admin/people")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/?next=") {
		t.Errorf("signed out: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// The admin sees them all.
	b := s.as(s.admin)
	for _, p := range pages {
		if status, body := b.get(p); status != 200 {
			t.Errorf("admin GET %s: %d\n%s", p, status, body)
		}
	}
}

func TestDepartmentPages(t *testing.T) {
	s := mustStaff(t)
	ctx := context.Background()
	b := s.as(s.admin)
	b.get("/admin/departments")
	status, loc, _ := b.send("/admin/departments", url.Values{"name": {"Acme"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/departments") {
		t.Fatalf("create: %d %s", status, loc)
	}
	ds, _ := s.db.FindDepartments(ctx)
	if len(ds) != 1 {
		t.Fatalf("%d departments", len(ds))
	}
	acme := ds[0]
	// Writes through the pages are audited like those through /api/v1.
	if es, _, err := s.db.FindAuditEntries(ctx, examhall.AuditFilter{ObjectType: "department", ObjectID: acme.ID}); err != nil || len(es) != 1 ||
		es[0].ActorID != s.admin.ID || es[0].Action != "create" {
		t.Fatalf("audit of the page's write: %+v %v", es, err)
	}
	if status, _, _ := b.send("/admin/departments", url.Values{"name": {"Sales"}, "parent": {acme.ID}}); status != http.StatusSeeOther {
		t.Fatalf("create child: %d", status)
	}
	for _, tt := range []struct {
		name string
		form url.Values
		want int
	}{
		{"empty name", url.Values{"name": {" "}}, 400},
		{"slash", url.Values{"name": {"A/B"}}, 400},
		{"unknown parent", url.Values{"name": {"X"}, "parent": {"nope"}}, 400},
		{"taken", url.Values{"name": {"Sales"}, "parent": {acme.ID}}, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := b.send("/admin/departments", tt.form)
			if status != tt.want {
				t.Fatalf("status %d, want %d", status, tt.want)
			}
			mustContain(t, "page", body, `role="alert"`, `aria-invalid="true"`)
		})
	}
	if ds, _ = s.db.FindDepartments(ctx); len(ds) != 2 {
		t.Fatalf("%d departments after bad input, want 2", len(ds))
	}
	sales := ds[1]
	// Moving Acme under its own child is refused with the store's reason.
	b.get("/admin/departments/" + acme.ID)
	if status, _, body := b.send("/admin/departments/"+acme.ID, url.Values{"name": {"Acme"}, "parent": {sales.ID}}); status != 400 || !strings.Contains(body, "err-parent") {
		t.Fatalf("move under itself: %d\n%s", status, body)
	}
	// Rename.
	if status, _, _ := b.send("/admin/departments/"+sales.ID, url.Values{"name": {"Sales EU"}, "parent": {acme.ID}}); status != http.StatusSeeOther {
		t.Fatalf("rename: %d", status)
	}
	if d, _ := s.db.FindDepartmentByID(ctx, sales.ID); d.Path != "Acme/Sales EU" {
		t.Fatalf("renamed path %q", d.Path)
	}
	// Deleting a department with a child is refused with the reason.
	status, _, body := b.send("/admin/departments/"+acme.ID+"/delete", nil)
	if status != http.StatusConflict {
		t.Fatalf("delete non-empty: %d", status)
	}
	mustContain(t, "refused delete", body, `id="err-delete"`, "was not deleted")
	if status, _, _ := b.send("/admin/departments/"+sales.ID+"/delete", nil); status != http.StatusSeeOther {
		t.Fatalf("delete empty: %d", status)
	}
	if ds, _ = s.db.FindDepartments(ctx); len(ds) != 1 {
		t.Fatalf("%d departments after delete", len(ds))
	}
}

func TestUserPages(t *testing.T) {
	s := mustStaff(t)
	ctx := context.Background()
	b := s.as(s.admin)
	b.get("/admin/people/new")
	good := url.Values{"account": {"zhang"}, "name": {"张三"}, "role": {"examinee"}, "password": {"long enough pw"}, "password2": {"long enough pw"}}
	for _, tt := range []struct {
		name  string
		with  url.Values
		field string
	}{
		{"no account", url.Values{"account": {""}}, "account"},
		{"space in account", url.Values{"account": {"a b"}}, "account"},
		{"taken account", url.Values{"account": {"cand"}}, "account"},
		{"no name", url.Values{"name": {""}}, "name"},
		{"bad role", url.Values{"role": {"king"}}, "role"},
		{"unknown dept", url.Values{"dept": {"nope"}}, "dept"},
		{"short password", url.Values{"password": {"short"}, "password2": {"short"}}, "password"},
		{"passwords differ", url.Values{"password2": {"other one!!"}}, "password"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range good {
				form[k] = v
			}
			for k, v := range tt.with {
				form[k] = v
			}
			status, _, body := b.send("/admin/people", form)
			if status != 400 {
				t.Fatalf("status %d, want 400", status)
			}
			mustContain(t, "form", body, `id="err-`+tt.field+`"`, `aria-describedby="err-`+tt.field+`"`, `class="error-summary" role="alert"`)
		})
	}
	if n := s.userCount(); n != 3 {
		t.Fatalf("%d users after bad input, want 3", n)
	}
	status, loc, _ := b.send("/admin/people", good)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/people/") {
		t.Fatalf("create: %d %s", status, loc)
	}
	zhang, err := s.db.FindUserByAccount(ctx, "zhang")
	if err != nil {
		t.Fatal(err)
	}
	if res := s.browser().signIn("zhang", "long enough pw", "/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the new user cannot sign in: %d", res.StatusCode)
	}
	// Edit: disable them; an admin cannot demote or disable themself.
	b.get("/admin/people/" + zhang.ID)
	if status, _, _ := b.send("/admin/people/"+zhang.ID, url.Values{"name": {"Zhang San"}, "role": {"examinee"}, "disabled": {"1"}}); status != http.StatusSeeOther {
		t.Fatalf("edit: %d", status)
	}
	if u, _ := s.db.FindUserByID(ctx, zhang.ID); !u.Disabled || u.Name != "Zhang San" {
		t.Fatalf("edited user: %+v", u)
	}
	if status, _, body := b.send("/admin/people/"+s.admin.ID, url.Values{"name": {"Root"}, "role": {"examinee"}}); status != 400 || !strings.Contains(body, "err-role") {
		t.Fatalf("self-demotion: %d", status)
	}
	if u, _ := s.db.FindUserByID(ctx, s.admin.ID); u.Role != examhall.RoleAdmin || u.Name != s.admin.Name {
		t.Fatal("self-demotion wrote")
	}
	// Reset a password: mismatched refused, then set.
	if status, _, _ := b.send("/admin/people/"+s.cand.ID+"/password", url.Values{"new": {"brand new pass"}, "new2": {"brand new pas"}}); status != 400 {
		t.Fatalf("mismatched reset: %d", status)
	}
	if status, _, _ := b.send("/admin/people/"+s.cand.ID+"/password", url.Values{"new": {"brand new pass"}, "new2": {"brand new pass"}}); status != http.StatusSeeOther {
		t.Fatalf("reset: %d", status)
	}
	if res := s.browser().signIn("cand", "brand new pass", "/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with the reset password: %d", res.StatusCode)
	}
}

func TestUserSearchAndPaging(t *testing.T) {
	s := mustStaff(t)
	var users []*examhall.User
	for i := range 120 {
		dept := "Acme/North"
		if i%2 == 1 {
			dept = "Acme/South"
		}
		users = append(users, &examhall.User{Account: fmt.Sprintf("u%03d", i), Name: fmt.Sprintf("Person %d", i), Role: examhall.RoleExaminee, DeptPath: dept})
	}
	if err := s.db.ImportUsers(context.Background(), users); err != nil {
		t.Fatal(err)
	}
	b := s.as(s.admin)
	_, body := b.get("/admin/people?page=2")
	mustContain(t, "page 2", body, "51–100 of 123", `rel="prev"`, `rel="next"`)
	_, body = b.get("/admin/people?q=u11")
	mustContain(t, "search", body, "u110", "u119", "1–10 of 10")
	if strings.Contains(body, "u109") {
		t.Error("search shows a user that does not match")
	}
	ds, _ := s.db.FindDepartments(context.Background())
	var south string
	for _, d := range ds {
		if d.Path == "Acme/South" {
			south = d.ID
		}
	}
	_, body = b.get("/admin/people?dept=" + south + "&q=u00")
	mustContain(t, "dept filter", body, "u001", "u009", "1–5 of 5")
	if status, _ := b.get("/admin/people?role=king"); status != 400 {
		t.Errorf("bad role filter: %d", status)
	}
}

// importCSV is a user import with a bad row on line 3.
const importCSV = "account,name,department,role,password\n" +
	"li,李四,Acme/Sales,examinee,\n" +
	"wang,,Acme/Sales,pirate,\n" +
	"zhao,赵六,Acme/Support,考生,long enough pw\n"

func TestImportPages(t *testing.T) {
	s := mustStaff(t)
	ctx := context.Background()
	b := s.as(s.admin)
	b.get("/admin/people/import")
	// Bad rows: each listed with its line and reason; nothing written.
	status, _, body := b.upload("/admin/people/import", "people.csv", []byte(importCSV), nil)
	if status != 400 {
		t.Fatalf("bad file: %d", status)
	}
	mustContain(t, "preview", body, `data-line="3"`, "name is required", `role must be admin, invigilator or examinee, not &#34;pirate&#34;`, "1 of 3 rows", `role="alert"`)
	if strings.Contains(body, "import/commit") {
		t.Error("a file with bad rows can be committed")
	}
	// A repeated account and one already taken are bad rows too.
	status, _, body = b.upload("/admin/people/import", "people.csv", []byte("account,name,department,role\ncand,C,X,examinee\nnew,N,X,examinee\nnew,N,X,examinee\n"), nil)
	if status != 400 {
		t.Fatalf("duplicates: %d", status)
	}
	mustContain(t, "duplicates", body, `data-line="2"`, `already exists`, `data-line="4"`, "repeats line 3")
	// A file that is not a sheet, or has no header, is refused whole.
	for _, bad := range []string{"", "account,name\nx,y\n"} {
		if status, _, body := b.upload("/admin/people/import", "x.csv", []byte(bad), nil); status != 400 || !strings.Contains(body, `id="import-error"`) {
			t.Errorf("file %q: %d", bad, status)
		}
	}
	if n := s.userCount(); n != 3 {
		t.Fatalf("%d users after refused imports, want 3", n)
	}
	// The fixed file previews with the button that imports it.
	fixed := strings.Replace(importCSV, "wang,,Acme/Sales,pirate,", "wang,王五,Acme/Sales,invigilator,", 1)
	status, _, body = b.upload("/admin/people/import", "people.xlsx", mustUserXLSX(t, fixed), nil)
	if status != 200 {
		t.Fatalf("fixed file: %d\n%s", status, body)
	}
	mustContain(t, "clean preview", body, "3 rows are ready", "王五", `id="import-commit"`)
	if n := s.userCount(); n != 3 {
		t.Fatal("the preview wrote")
	}
	payload, sig := hidden(t, body, "payload"), hidden(t, body, "sig")
	// An altered payload is refused.
	if status, _, _ := b.send("/admin/people/import/commit", url.Values{"payload": {payload + "x"}, "sig": {sig}}); status != 400 {
		t.Fatalf("altered payload: %d", status)
	}
	if status, loc, _ := b.send("/admin/people/import/commit", url.Values{"payload": {payload}, "sig": {sig}}); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/people") {
		t.Fatalf("commit: %d %s", status, loc)
	}
	if n := s.userCount(); n != 6 {
		t.Fatalf("%d users after import, want 6", n)
	}
	zhao, err := s.db.FindUserByAccount(ctx, "zhao")
	if err != nil || zhao.DeptPath != "Acme/Support" || zhao.Role != examhall.RoleExaminee {
		t.Fatalf("imported user: %+v %v", zhao, err)
	}
	if res := s.browser().signIn("zhao", "long enough pw", "/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("imported password does not sign in: %d", res.StatusCode)
	}
	// Committing the same preview again writes nothing: the accounts exist.
	if status, _, _ := b.send("/admin/people/import/commit", url.Values{"payload": {payload}, "sig": {sig}}); status != http.StatusConflict {
		t.Fatalf("second commit: %d", status)
	}
	if n := s.userCount(); n != 6 {
		t.Fatalf("%d users after a second commit", n)
	}
	// The template downloads in both formats and reads back.
	for _, f := range []string{"csv", "xlsx"} {
		res, err := b.c.Get(s.srv.URL + "/admin/people/template?format=" + f)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		rows, err := sheet.Read(data, sheet.Detect(data), 10)
		if err != nil || len(rows) != 2 || rows[0].Cells[0] != "account" || !strings.Contains(res.Header.Get("Content-Disposition"), "users-template."+f) {
			t.Errorf("template %s: %v %v %q", f, rows, err, res.Header.Get("Content-Disposition"))
		}
	}
}

// mustUserXLSX converts a CSV text to an XLSX file.
func mustUserXLSX(t *testing.T, csv string) []byte {
	t.Helper()
	rows, err := sheet.Read([]byte(csv), sheet.CSV, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, r := range rows[1:] {
		out = append(out, r.Cells)
	}
	var buf bytes.Buffer
	if err := sheet.Write(&buf, sheet.XLSX, "users", rows[0].Cells, out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAccountAndApps(t *testing.T) {
	s := mustStaff(t)
	ctx := context.Background()
	c := s.as(s.cand)
	c.get("/account")
	for _, tt := range []struct {
		name  string
		form  url.Values
		field string
	}{
		{"wrong old", url.Values{"old": {"nope nope"}, "new": {"a new password"}, "new2": {"a new password"}}, "old"},
		{"mismatch", url.Values{"old": {staffPassword}, "new": {"a new password"}, "new2": {"a new passwor"}}, "new2"},
		{"too short", url.Values{"old": {staffPassword}, "new": {"short"}, "new2": {"short"}}, "new"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := c.send("/account/password", tt.form)
			if status != 400 {
				t.Fatalf("status %d", status)
			}
			mustContain(t, "form", body, `id="err-`+tt.field+`"`)
		})
	}
	if res := s.browser().signIn("cand", staffPassword, "/"); res.StatusCode != http.StatusSeeOther {
		t.Fatal("a refused change changed the password")
	}
	if status, _, _ := c.send("/account/password", url.Values{"old": {staffPassword}, "new": {"a new password"}, "new2": {"a new password"}}); status != http.StatusSeeOther {
		t.Fatalf("change: %d", status)
	}
	if res := s.browser().signIn("cand", "a new password", "/"); res.StatusCode != http.StatusSeeOther {
		t.Fatal("the new password does not sign in")
	}
	// This browser stays signed in.
	if status, body := c.get("/account"); status != 200 || !strings.Contains(body, "<dd>cand</dd>") {
		t.Fatalf("after the change: %d\n%s", status, body)
	}

	b := s.as(s.admin)
	b.get("/admin/apps")
	if status, _, body := b.send("/admin/apps", url.Values{"name": {""}}); status != 400 || !strings.Contains(body, "err-name") {
		t.Fatalf("empty name: %d", status)
	}
	if apps, _ := s.db.FindApps(ctx); len(apps) != 0 {
		t.Fatal("a refused create wrote")
	}
	status, _, body := b.send("/admin/apps", url.Values{"name": {"HR system"}})
	if status != http.StatusCreated {
		t.Fatalf("create: %d", status)
	}
	secret := body[strings.Index(body, `id="new-secret">`)+len(`id="new-secret">`):]
	secret = secret[:strings.Index(secret, "<")]
	apps, _ := s.db.FindApps(ctx)
	if len(apps) != 1 || secret == "" {
		t.Fatalf("apps %v, secret %q", apps, secret)
	}
	if _, body := b.get("/admin/apps"); strings.Contains(body, secret) {
		t.Fatal("the secret is shown again")
	}
	_, body = b.get("/admin/apps/" + apps[0].ID + "/disable")
	mustContain(t, "confirmation", body, "Disable the credentials HR system?", `action="/admin/apps/`+apps[0].ID+`/disable"`)
	if a, _ := s.db.FindAppByID(ctx, apps[0].ID); a.Disabled {
		t.Fatal("the confirmation page disabled")
	}
	if status, _, _ := b.send("/admin/apps/"+apps[0].ID+"/disable", nil); status != http.StatusSeeOther {
		t.Fatalf("disable: %d", status)
	}
	if a, _ := s.db.FindAppByID(ctx, apps[0].ID); !a.Disabled {
		t.Fatal("not disabled")
	}
}

func httptestServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// BenchmarkUsersPage measures the people page over 100,000 users: the
// first page, a deep page and a search, each counted and paged by the store.
func BenchmarkUsersPage(b *testing.B) {
	s := mustStaff(b)
	users := make([]*examhall.User, 100_000)
	for i := range users {
		users[i] = &examhall.User{Account: fmt.Sprintf("c%06d", i), Name: fmt.Sprintf("Candidate %d", i), Role: examhall.RoleExaminee,
			DeptPath: fmt.Sprintf("Org/Unit %d", i%50)}
	}
	if err := s.db.ImportUsers(context.Background(), users); err != nil {
		b.Fatal(err)
	}
	br := s.as(s.admin)
	for _, path := range []string{"/admin/people", "/admin/people?page=1500", "/admin/people?q=c0999"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				if status, _ := br.get(path); status != 200 {
					b.Fatalf("status %d", status)
				}
			}
		})
	}
}
