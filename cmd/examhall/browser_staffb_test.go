package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"examhall"
	"examhall/auth"
	"examhall/internal/browsertest"
)

// The staff's part of an exam's life in headless Chromium (issue 13, pages
// 4–7): an invigilator marks the short answers (one refused score first),
// reviews a flagged attempt as a violation, publishes the grades and reads
// the results — histogram and item analysis with hand-computed numbers.
// Another invigilator may open neither that room's review nor admin pages.
// axe-core on every page.
func TestBrowserStaffMarkReviewResults(t *testing.T) {
	w := mustBrowserWorld(t)
	ctx := context.Background()
	m := w.m
	staff := func(account string) *examhall.User {
		h, err := auth.HashPassword("staff-pass-1")
		if err != nil {
			t.Fatal(err)
		}
		u := &examhall.User{Account: account, Name: "Staff " + account, Role: examhall.RoleInvigilator, PasswordHash: h}
		must(t, m.DB.CreateUser(ctx, u))
		return u
	}
	inv, other := staff("inv01"), staff("inv02")
	room := &examhall.Room{Name: "Hall A", ExamID: w.exam.ID, CreatedBy: inv.ID}
	must(t, m.DB.CreateRoom(ctx, room))
	otherRoom := &examhall.Room{Name: "Hall B", ExamID: w.exam.ID, CreatedBy: other.ID}
	must(t, m.DB.CreateRoom(ctx, otherRoom))

	// Three candidates in Hall A. cand01 answers every objective question
	// right (80) and is flagged; cand02 gets q1 and q3 (40), cand03 q3 (20).
	yes := true
	sit := func(u *examhall.User, answers []examhall.Answer) string {
		must(t, m.DB.AddMembers(ctx, room.ID, []examhall.Member{{UserID: u.ID, Role: examhall.RoleExaminee}}))
		a, err := m.DB.StartAttempt(ctx, w.exam.ID, u.ID, time.Now())
		must(t, err)
		_, err = m.DB.SaveAnswers(ctx, a.ID, answers, time.Now())
		must(t, err)
		_, err = m.DB.SubmitAttempt(ctx, a.ID, examhall.SubmitCandidate, time.Now())
		must(t, err)
		return a.ID
	}
	flagged := sit(w.cand, []examhall.Answer{{QuestionID: "q1", Choices: []int{1}}, {QuestionID: "q2", Choices: []int{0, 2}},
		{QuestionID: "q3", Bool: &yes}, {QuestionID: "q4", Blanks: []string{"Paris", "Rome"}}, {QuestionID: "q5", Text: "Plants make sugar."}})
	c2 := mustUser(t, m, "cand02", "Bo Candidate", w.pass)
	a2 := sit(c2, []examhall.Answer{{QuestionID: "q1", Choices: []int{1}}, {QuestionID: "q3", Bool: &yes}, {QuestionID: "q5", Text: "Light becomes sugar."}})
	c3 := mustUser(t, m, "cand03", "Cy Candidate", w.pass)
	a3 := sit(c3, []examhall.Answer{{QuestionID: "q3", Bool: &yes}, {QuestionID: "q5", Text: "No idea."}})
	must(t, m.DB.CreateCheatRecords(ctx, []*examhall.CheatRecord{
		{ExamID: w.exam.ID, RoomID: room.ID, UserID: w.cand.ID, DetectType: "switch", DetectTime: time.Now().UnixMilli(), IsMainMonitor: true},
		{ExamID: w.exam.ID, RoomID: room.ID, UserID: w.cand.ID, DetectType: "multiface", DetectTime: time.Now().UnixMilli() + 1000, IsMainMonitor: true},
	}))

	b := browsertest.New(t)
	p := b.NewPage(t, "invigilator")
	w.signIn(p, inv.Account, "staff-pass-1")
	p.Allow(`status of 400`) // the refused score

	// Marking q5 across candidates, oldest first; a score over 20 is refused.
	p.Navigate(w.url + "/marking/" + w.exam.ID + "?by=question&q=q5&a=" + flagged)
	p.MustAxeClean("marking queue")
	p.WaitText(`.response`, "Plants make sugar.")
	p.WaitText(`.reference`, "Light to chemical energy.")
	p.Do(chromedp.SetValue(chromedp.CSS(`#score-q5`), "25"))
	p.ClickNavigate(`form[action$="/` + flagged + `"] button.primary`)
	p.WaitText(`[role="alert"]`, "0 to 20")
	if got := browsertest.Eval[string](p, `document.querySelector("#score-q5").getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("refused score: aria-invalid %q", got)
	}
	p.MustAxeClean("marking queue with an error")
	if a := w.attempt(t, flagged); a.Status != examhall.AttemptMarking {
		t.Fatalf("a refused score was saved: %s", a.Status)
	}
	// Save and next walks the queue in the order the attempts began.
	for _, tt := range []struct {
		id, text, score string
	}{{flagged, "Plants make sugar.", "10"}, {a2, "Light becomes sugar.", "15"}, {a3, "No idea.", "5"}} {
		p.WaitText(`.response`, tt.text)
		p.Do(chromedp.SetValue(chromedp.CSS(`#score-q5`), tt.score))
		p.ClickNavigate(`form[action$="/` + tt.id + `"] button.primary`)
	}
	p.WaitText(`[data-progress]`, "3")
	if got := browsertest.Eval[string](p, `document.querySelector("[data-progress]").dataset.progress`); got != "3/3" {
		t.Errorf("progress %q, want 3/3", got)
	}

	// Review: cand01 first (severity 6), decided a violation.
	p.Navigate(w.url + "/rooms/" + room.ID + "/review")
	p.MustAxeClean("review queue")
	if got := browsertest.Eval[string](p, `document.querySelector("tbody tr").dataset.attemptId`); got != flagged {
		t.Errorf("first flagged attempt %q, want %q", got, flagged)
	}
	p.ClickNavigate(`tr[data-attempt-id="` + flagged + `"] a`)
	p.MustAxeClean("review of an attempt")
	p.WaitText(`tr[data-signal="multiface"]`, "multiface")
	p.Click(`#decision-violation`)
	p.Type(`#comment`, "A second face in view while switching away.")
	p.ClickNavigate(`form[action$="/review/` + flagged + `"] button[type="submit"]`)
	p.WaitText(`[role="status"]`, "saved")
	if a := w.attempt(t, flagged); !a.Invalid {
		t.Fatal("the violation did not make the attempt invalid")
	}

	// Publish with confirmation, then the results of cand02 (55) and cand03 (25).
	p.Navigate(w.url + "/results/" + w.exam.ID)
	p.Click(`#confirm`)
	p.ClickNavigate(`form[action$="/publish"] button[type="submit"]`)
	p.WaitText(`[role="status"]`, "3 grades published")
	p.MustAxeClean("results")
	for sel, want := range map[string]string{
		`[data-stat="attempts"]`: "2", `[data-stat="mean"]`: "40.00", `[data-stat="median"]`: "40.00", `[data-stat="sd"]`: "15.00",
		`[data-stat="max"]`: "55", `[data-stat="min"]`: "25",
	} {
		if got := strings.TrimSpace(p.Text(sel)); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	// Ten ranges of 10 points: 25 in the third, 55 in the sixth.
	if got := browsertest.Eval[string](p, `[...document.querySelectorAll("svg g.bar")].map(g => g.dataset.count).join(",")`); got != "0,0,1,0,0,1,0,0,0,0" {
		t.Errorf("histogram %s", got)
	}
	if got := browsertest.Eval[string](p, `document.querySelector("svg.chart").getAttribute("role")`); got != "img" {
		t.Errorf("histogram role %q", got)
	}
	// Facility = mean mark / 20; discrimination = the point-biserial
	// correlation with the totals 55, 25: q1 (20, 0) and q5 (15, 5) follow
	// them exactly, q3 (20, 20) does not vary.
	for _, tt := range []struct{ q, facility, disc string }{
		{"q1", "0.50", "1.00"}, {"q2", "0.00", "0.00"}, {"q3", "1.00", "0.00"}, {"q4", "0.00", "0.00"}, {"q5", "0.50", "1.00"},
	} {
		row := `tr[data-question-id="` + tt.q + `"] `
		if f, d := p.Text(row+"[data-facility]"), p.Text(row+"[data-discrimination]"); f != tt.facility || d != tt.disc {
			t.Errorf("%s: facility %s, discrimination %s; want %s, %s", tt.q, f, d, tt.facility, tt.disc)
		}
	}

	// The other invigilator: not Hall A's review, not admin pages.
	o := b.NewPage(t, "other invigilator")
	w.signIn(o, other.Account, "staff-pass-1")
	o.Allow(`status of 403`) // the refused pages
	for _, path := range []string{"/rooms/" + room.ID + "/review", "/rooms/" + room.ID + "/review/" + a2, "/admin/audio"} {
		o.Navigate(w.url + path)
		if got := browsertest.Eval[int](o, `performance.getEntriesByType("navigation")[0].responseStatus`); got != 403 {
			t.Errorf("other invigilator %s: status %d, want 403", path, got)
		}
	}
	o.Navigate(w.url + "/rooms/" + otherRoom.ID + "/review")
	if got := o.Text("h1"); !strings.Contains(got, "Hall B") {
		t.Errorf("Hall B's review queue: heading %q", got)
	}
	o.MustAxeClean("another room's review queue")
}

// TestBrowserStaffRooms: an admin creates a room of the exam (a nameless
// one is refused first), adds a department's candidates, and copies a join
// link (the Clipboard API, or the selected field where it is refused, each
// saying so in the status line). axe on each page.
func TestBrowserStaffRooms(t *testing.T) {
	w := mustBrowserWorld(t)
	ctx := context.Background()
	m := w.m
	h, err := auth.HashPassword("staff-pass-1")
	must(t, err)
	admin := &examhall.User{Account: "root", Name: "Root", Role: examhall.RoleAdmin, PasswordHash: h}
	must(t, m.DB.CreateUser(ctx, admin))
	dept := &examhall.Department{Name: "Sales"}
	must(t, m.DB.CreateDepartment(ctx, dept))
	for _, acct := range []string{"s01", "s02", "s03"} {
		must(t, m.DB.CreateUser(ctx, &examhall.User{Account: acct, Name: "Seller " + acct, Role: examhall.RoleExaminee, DeptID: dept.ID}))
	}

	b := browsertest.New(t)
	p := b.NewPage(t, "admin")
	w.signIn(p, admin.Account, "staff-pass-1")
	p.Allow(`status of 400`) // the refused form
	p.Navigate(w.url + "/rooms")
	p.MustAxeClean("rooms")
	p.Do(chromedp.SetValue(chromedp.CSS(`#room-exam`), w.exam.ID))
	p.ClickNavigate(`form[action="/rooms"] button[type="submit"]`)
	p.WaitText(`#room-name-err`, "")
	p.MustAxeClean("rooms with an error")
	p.Type(`#room-name`, "Hall C")
	p.ClickNavigate(`form[action="/rooms"] button[type="submit"]`)
	p.WaitText("h1", "Hall C")
	p.Do(chromedp.SetValue(chromedp.CSS(`#add-dept`), dept.ID))
	p.ClickNavigate(`#add-dept ~ button`)
	p.WaitText(`[role="status"]`, "3")
	if n := browsertest.Eval[int](p, `document.querySelectorAll("table.roster tbody tr").length`); n != 3 {
		t.Errorf("roster rows %d, want 3", n)
	}
	p.MustAxeClean("room")
	link := browsertest.Eval[string](p, `document.querySelector("#link-0").value`)
	if !strings.Contains(link, "roomId=") || !strings.Contains(link, "token=") {
		t.Errorf("join link %q", link)
	}
	p.Click(`button[data-copy-target="link-0"]`)
	p.WaitFor(`document.querySelector("#copy-status").textContent !== ""`)
}
