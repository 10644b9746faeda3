package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"examhall"
	"examhall/auth"
	"examhall/internal/browsertest"
)

// The staff console's first half in headless Chromium against the whole
// program (issue 13): an administrator imports candidates from a file with
// one bad row (refused with its line, nothing written), then the fixed
// file; creates an exam, writes its paper and publishes it. axe-core finds
// no serious issue on any of these pages, in English and in Chinese.

func TestBrowserStaffLifecycle(t *testing.T) {
	b := browsertest.New(t)
	m := MustOpenMain(t, "")
	hs := httptest.NewServer(m.Handler)
	t.Cleanup(hs.Close)
	srv := hs.URL
	ctx := context.Background()
	hash, err := auth.HashPassword("admin-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	admin := &examhall.User{Account: "root", Name: "Root Admin", Role: examhall.RoleAdmin, PasswordHash: hash}
	if err := m.DB.CreateUser(ctx, admin); err != nil {
		t.Fatal(err)
	}
	p := b.NewPage(t, "admin")
	p.Allow("status of 40[09]") // refused files answer 400 by design
	axe := func(t *testing.T, p *browsertest.Page, what string) {
		t.Helper()
		for _, v := range p.Axe() {
			t.Errorf("%s: %s", what, v)
		}
	}
	p.Navigate(srv + "/?lang=en")
	p.Type(`input[name="account"]`, "root")
	p.Type(`input[name="password"]`, "admin-pass-1")
	p.ClickNavigate(`form[action="/signin"] button[type="submit"]`)

	// shot saves a screenshot when EXAMHALL_SCREENSHOTS names a directory.
	shot := func(p *browsertest.Page, name string) {
		if os.Getenv("EXAMHALL_SCREENSHOTS") != "" {
			p.Screenshot(name)
		}
	}
	dir := t.TempDir()
	file := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	users := func() int {
		_, n, err := m.DB.FindUsers(ctx, examhall.UserFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("import", func(t *testing.T) {
		p := p.For(t)
		p.Navigate(srv + "/admin/people/import")
		axe(t, p, "import form")
		bad := file("bad.csv", "account,name,department,role\nc01,Ann,Acme/Sales,examinee\nc02,Bob,Acme/Sales,pirate\nc03,Cy,Acme/Support,examinee\n")
		p.Do(chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{bad}))
		p.ClickNavigate(`form[action="/admin/people/import"] button[type="submit"]`)
		if got := p.Text(`tr[data-line="3"]`); !strings.Contains(got, "pirate") {
			t.Errorf("line 3 shows %q", got)
		}
		if n := users(); n != 1 {
			t.Fatalf("%d users after a refused import, want 1", n)
		}
		axe(t, p, "import with bad rows")
		shot(p, "import-bad-rows")
		fixed := file("fixed.csv", strings.Replace("account,name,department,role\nc01,Ann,Acme/Sales,examinee\nc02,Bob,Acme/Sales,pirate\nc03,Cy,Acme/Support,examinee\n", "pirate", "examinee", 1))
		p.Do(chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{fixed}))
		p.ClickNavigate(`form[action="/admin/people/import"] button[type="submit"]`)
		axe(t, p, "import preview")
		p.ClickNavigate(`#import-commit`)
		if n := users(); n != 4 {
			t.Fatalf("%d users after the import, want 4", n)
		}
		if !strings.Contains(p.Location(), "/admin/people") || !strings.Contains(p.Text("main"), "c03") {
			t.Errorf("after the import: %s\n%s", p.Location(), p.Text("main"))
		}
		axe(t, p, "people")
	})

	var examURL string
	t.Run("exam and paper", func(t *testing.T) {
		p := p.For(t)
		p.Navigate(srv + "/admin/exams/new")
		axe(t, p, "new exam")
		loc := time.UTC
		if m.Location != nil {
			loc = m.Location
		}
		now := time.Now().In(loc)
		p.Do(chromedp.SetValue(chromedp.CSS(`#f-name`), "Browser safety exam"))
		p.Do(chromedp.SetValue(chromedp.CSS(`#f-begin`), now.Add(-time.Hour).Format("2006-01-02T15:04")))
		p.Do(chromedp.SetValue(chromedp.CSS(`#f-end`), now.Add(3*time.Hour).Format("2006-01-02T15:04")))
		p.ClickNavigate(`.exam-form button[type="submit"]`)
		examURL, _, _ = strings.Cut(p.Location(), "?")
		if !strings.Contains(examURL, "/admin/exams/") {
			t.Fatalf("after create: %s\n%s", examURL, p.Text("main"))
		}
		axe(t, p, "exam page")
		p.ClickNavigate(`a[href$="/paper"]`)
		axe(t, p, "empty paper")
		p.ClickNavigate(`a[href$="/paper/new"]`)
		p.Navigate(p.Location() + "?lang=zh-CN")
		p.Type(`#f-stem`, "?")
		p.Do(chromedp.SetValue(chromedp.CSS(`#f-answer`), "E"))
		p.ClickNavigate(`.question-form button[type="submit"]`)
		axe(t, p, "question form with errors")
		shot(p, "question-errors-zh")
		p.Navigate(srv + "/admin/exams?lang=en")
		p.Navigate(examURL + "/paper/new")
		p.Type(`#f-stem`, "Which is a prime?")
		p.Do(chromedp.SetValue(chromedp.CSS(`#f-options`), "4\n7\n9"))
		p.Type(`#f-answer`, "B")
		axe(t, p, "question form")
		p.ClickNavigate(`.question-form button[type="submit"]`)
		if got := p.Text(`#paper-total`); !strings.Contains(got, "1 question(s), total 2 points") {
			t.Errorf("total: %q", got)
		}
		p.ClickNavigate(`a[href$="/paper/new"]`)
		p.Do(chromedp.SetValue(chromedp.CSS(`#f-type`), "truefalse"))
		p.Type(`#f-stem`, "Seven is odd.")
		p.Type(`#f-answer`, "true")
		p.ClickNavigate(`.question-form button[type="submit"]`)
		// Reordering works from the keyboard alone, and lands back on the
		// moved question.
		p.TabTo(`button[aria-label="Move question 2 up"]`)
		p.KeyNavigate(kb.Enter)
		if got := p.Text(`table.paper tbody tr:first-child`); !strings.Contains(got, "Seven is odd.") {
			t.Errorf("after moving question 2 up, the first row is %q", got)
		}
		if !strings.Contains(p.Location(), "#row-") {
			t.Errorf("after the move the page is at %s, not the moved row", p.Location())
		}
		axe(t, p, "paper")
		p.ClickNavigate(`a[href$="/paper/preview"]`)
		axe(t, p, "preview")
		shot(p, "paper-preview")
		p.Navigate(examURL)
		p.ClickNavigate(`a[href$="status?to=published"]`)
		axe(t, p, "publish confirmation")
		p.ClickNavigate(`#confirm-status`)
		if got := p.Text(`#exam-status`); got != "Published" {
			t.Errorf("status %q", got)
		}
		// Once a candidate starts, the editor is locked, and says why.
		c01, err := m.DB.FindUserByAccount(ctx, "c01")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.DB.StartAttempt(ctx, strings.TrimPrefix(examURL, srv+"/admin/exams/"), c01.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		p.Navigate(examURL + "/paper")
		if got := p.Text(`#paper-locked`); !strings.Contains(got, "can no longer change") {
			t.Errorf("locked notice: %q", got)
		}
		if n := browsertest.Eval[int](p, `document.querySelectorAll("table.paper button:not([disabled])").length`); n != 0 {
			t.Errorf("%d enabled buttons on a locked paper", n)
		}
		axe(t, p, "locked paper")
	})

	t.Run("invigilators are kept out", func(t *testing.T) {
		h, err := auth.HashPassword("invig-pass-1")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.DB.CreateUser(ctx, &examhall.User{Account: "inv1", Name: "Ivy", Role: examhall.RoleInvigilator, PasswordHash: h}); err != nil {
			t.Fatal(err)
		}
		inv := b.NewPage(t, "invigilator")
		inv.Allow("status of 403") // the refusals below, by design
		inv.Navigate(srv + "/?lang=en")
		inv.Type(`input[name="account"]`, "inv1")
		inv.Type(`input[name="password"]`, "invig-pass-1")
		inv.ClickNavigate(`form[action="/signin"] button[type="submit"]`)
		for _, path := range []string{"/admin/people", "/admin/people/import", "/admin/exams", strings.TrimPrefix(examURL, srv) + "/paper", "/admin/apps"} {
			inv.Navigate(srv + path)
			if got := inv.Text("main"); !strings.Contains(got, "only administrators") {
				t.Errorf("invigilator at %s sees %q", path, got)
			}
		}
		if strings.Contains(inv.Text("header"), "People") {
			t.Error("an invigilator's navigation offers People")
		}
		inv.CheckErrors()
	})

	t.Run("pages in both languages", func(t *testing.T) {
		p := p.For(t)
		paths := []string{"/admin/people", "/admin/departments", "/admin/people/new", "/admin/apps", "/account", "/admin/exams",
			strings.TrimPrefix(examURL, srv), strings.TrimPrefix(examURL, srv) + "/paper"}
		for _, lang := range []string{"zh-CN", "en"} {
			for _, path := range paths {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				p.Navigate(srv + path + sep + "lang=" + lang)
				axe(t, p, lang+" "+path)
				shot(p, lang+path)
			}
		}
		p.CheckErrors()
	})
}
