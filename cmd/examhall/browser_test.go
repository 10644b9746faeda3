package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"examhall"
	"examhall/auth"
	"examhall/demo"
	"examhall/internal/browsertest"
)

// The candidate's pages in headless Chromium against the whole program on
// SQLite (issue 11's quality bars): sign-in, my exams, the exam page, the
// take page with each question type, offline and back, reload, a lost tab,
// a second device, submit with confirmation, the deadline's auto-submit and
// the published result; axe-core on every page, no script errors anywhere.

// takeBudget is the take page's weight limit (HTML + CSS + JS, uncompressed).
const takeBudget = 60_000

// browserWorld is the server and data the browser tests share.
type browserWorld struct {
	m    *Main
	url  string // the server's base URL
	cand *examhall.User
	pass string
	exam *examhall.Exam // open now, all five question types
	qs   []*examhall.Question
}

// mustBrowserWorld starts the program on SQLite behind a loopback HTTP server
// and seeds a candidate and an exam open now with one question of each type.
func mustBrowserWorld(t *testing.T) *browserWorld {
	t.Helper()
	m := MustOpenMain(t, "")
	srv := httptest.NewServer(m.Handler)
	t.Cleanup(srv.Close)
	w := &browserWorld{m: m, url: srv.URL, pass: "candidate-pass-1"}
	ctx := context.Background()
	w.cand = mustUser(t, m, "cand01", "Ada Candidate", w.pass)
	now := time.Now()
	w.exam = &examhall.Exam{
		Name: "Browser exam", BeginTime: now.Add(-time.Hour), EndTime: now.Add(2 * time.Hour),
		AnswerMinutes: 60, PassScore: 60, AllowTimes: 2, IntegralRate: examhall.DefaultIntegralRate,
		Audience: examhall.AudienceAll, Status: examhall.ExamPublished,
	}
	if err := m.DB.CreateExam(ctx, w.exam); err != nil {
		t.Fatal(err)
	}
	w.qs = []*examhall.Question{
		{ID: "q1", Type: examhall.QuestionSingle, Stem: "Which is a prime?", Score: 20, Options: []string{"4", "7", "9", "10"}, Correct: []int{1}},
		{ID: "q2", Type: examhall.QuestionMultiple, Stem: "Which are even?", Score: 20, Options: []string{"2", "3", "8", "9"}, Correct: []int{0, 2}},
		{ID: "q3", Type: examhall.QuestionTrueFalse, Stem: "Water boils at 100 °C at sea level.", Score: 20, IsTrue: true},
		{ID: "q4", Type: examhall.QuestionFill, Stem: "The capital of France is ____ and of Italy ____.", Score: 20, Blanks: [][]string{{"Paris"}, {"Rome"}}},
		{ID: "q5", Type: examhall.QuestionShort, Stem: "Explain photosynthesis briefly.", Score: 20, Reference: "Light to chemical energy."},
	}
	if err := m.DB.SetPaper(ctx, w.exam.ID, w.qs); err != nil {
		t.Fatal(err)
	}
	return w
}

// mustUser creates an examinee who signs in with password.
func mustUser(t *testing.T, m *Main, account, name, password string) *examhall.User {
	t.Helper()
	h, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	u := &examhall.User{Account: account, Name: name, Role: examhall.RoleExaminee, PasswordHash: h}
	if err := m.DB.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// signIn signs p in at / (in English) and waits for the candidate's home.
func (w *browserWorld) signIn(p *browsertest.Page, account, password string) {
	p.Navigate(w.url + "/?lang=en")
	p.Type(`input[name="account"]`, account)
	p.Type(`input[name="password"]`, password)
	p.ClickNavigate(`form[action="/signin"] button[type="submit"]`)
}

// attempt reads an attempt from the store.
func (w *browserWorld) attempt(t *testing.T, id string) *examhall.Attempt {
	t.Helper()
	a, err := w.m.DB.FindAttemptByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// waitAttempt polls the store until ok holds for the attempt, failing after
// timeout with what the store holds.
func (w *browserWorld) waitAttempt(t *testing.T, id string, timeout time.Duration, what string, ok func(*examhall.Attempt) bool) *examhall.Attempt {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		a := w.attempt(t, id)
		if ok(a) {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the store still does not hold %s: status %s, answers %s", timeout, what, a.Status, answersString(a.Answers))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func answersString(as map[string]examhall.Answer) string {
	var b strings.Builder
	for _, id := range []string{"q1", "q2", "q3", "q4", "q5"} {
		a, ok := as[id]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "%s:", id)
		if a.Choices != nil {
			fmt.Fprintf(&b, "%v", a.Choices)
		}
		if a.Bool != nil {
			fmt.Fprintf(&b, "%v", *a.Bool)
		}
		if a.Blanks != nil {
			fmt.Fprintf(&b, "%q", a.Blanks)
		}
		if a.Text != "" {
			fmt.Fprintf(&b, "%q", a.Text)
		}
		b.WriteString(" ")
	}
	return b.String()
}

// q is the CSS selector of question id's element on the take page.
func q(id string) string { return fmt.Sprintf(`[data-question-id=%q]`, id) }

// attemptIDOf returns the attempt ID of a take page's URL.
func attemptIDOf(t *testing.T, u string) string {
	t.Helper()
	_, id, ok := strings.Cut(u, "/attempts/")
	if !ok || id == "" {
		t.Fatalf("%s is not a take page", u)
	}
	id, _, _ = strings.Cut(id, "?")
	id, _, _ = strings.Cut(id, "#")
	return id
}

// editable counts the take page's question controls a person can still change.
const editable = `[...document.querySelectorAll("[data-question-id] input, [data-question-id] textarea")]
	.filter(e => !e.disabled && !e.readOnly && e.offsetParent !== null).length`

func TestBrowserCandidate(t *testing.T) {
	t.Parallel() // with TestBrowserDeadline, which mostly waits for the clock
	b := browsertest.New(t)
	w := mustBrowserWorld(t)
	top := t
	page := b.NewPage(t, "candidate") // the candidate's tab; each subtest takes it For itself
	var attemptID string
	step := steps(t) // each step goes on from where the last left the pages

	step("language", func(t *testing.T) {
		cand := page.For(t)
		// No Accept-Language at all: zh-CN.
		if lang := htmlLang(t, w.url+"/", ""); lang != "zh-CN" {
			t.Errorf(`<html lang> with no Accept-Language = %q, want "zh-CN"`, lang)
		}
		// Chromium as installed asks for en-US: English.
		if lang := htmlLang(t, w.url+"/", "en-US,en;q=0.9"); lang != "en" {
			t.Errorf(`<html lang> for Accept-Language en-US = %q, want "en"`, lang)
		}
		// The candidate's browser prefers Chinese.
		cand.SetAcceptLanguage("zh-CN,zh;q=0.9")
		cand.Navigate(w.url + "/")
		if got := browsertest.Eval[string](cand, `document.documentElement.lang`); got != "zh-CN" {
			t.Errorf(`<html lang> for a Chinese browser = %q, want "zh-CN"`, got)
		}
		cand.MustAxeClean("the sign-in page (zh-CN)")
		cand.Navigate(w.url + "/?lang=en")
		if got := browsertest.Eval[string](cand, `document.documentElement.lang`); got != "en" {
			t.Errorf(`<html lang> with ?lang=en = %q, want "en"`, got)
		}
		// Remembered: the next page without ?lang stays English.
		cand.Navigate(w.url + "/")
		if got := browsertest.Eval[string](cand, `document.documentElement.lang`); got != "en" {
			t.Errorf(`<html lang> after ?lang=en was chosen = %q, want "en"`, got)
		}
	})

	step("sign in", func(t *testing.T) {
		cand := page.For(t)
		cand.Allow(`status of 401`) // the wrong password's answer
		w.signIn(cand, w.cand.Account, "not-the-password")
		msg := cand.Text(`[role="alert"]`)
		if msg == "" {
			t.Error("a wrong password shows no message")
		}
		if got := browsertest.Eval[string](cand, `document.querySelector('input[name="account"]').value`); got != w.cand.Account {
			t.Errorf("the form after a wrong password has account %q, want %q kept", got, w.cand.Account)
		}
		if n := browsertest.Eval[int](cand, `document.querySelectorAll('input[name="password"]').length`); n != 1 {
			t.Errorf("the form is not shown again after a wrong password (%d password fields)", n)
		}
		cand.MustAxeClean("the sign-in page with an error")

		w.signIn(cand, w.cand.Account, w.pass)
		link := fmt.Sprintf(`a[href="/v5/exam/%s"]`, w.exam.ID)
		if got := cand.Text(link); got != w.exam.Name {
			t.Errorf("my exams links %q, want the exam's name %q", got, w.exam.Name)
		}
		if n := browsertest.Eval[int](cand, fmt.Sprintf(`document.querySelectorAll('[data-section="open"] [data-exam-id=%q]').length`, w.exam.ID)); n != 1 {
			t.Errorf("the exam is not listed under open now")
		}
		cand.MustAxeClean("my exams")
	})

	step("start", func(t *testing.T) {
		cand := page.For(t)
		cand.ClickNavigate(fmt.Sprintf(`a[href="/v5/exam/%s"]`, w.exam.ID))
		text := cand.Text("main")
		// The rules: time allowed, attempts, total and pass score.
		for _, want := range []string{w.exam.Name, "60 minutes", "0 of 2 used", "Total score\n100", "Pass score\n60"} {
			if !strings.Contains(text, want) {
				t.Errorf("exam page lacks %q:\n%s", want, text)
			}
		}
		cand.MustAxeClean("the exam page")
		cand.ClickNavigate(fmt.Sprintf(`form[action="/v5/exam/%s/start"] button[type="submit"]`, w.exam.ID))
		attemptID = attemptIDOf(t, cand.Location())
		a := w.attempt(t, attemptID)
		if a.UserID != w.cand.ID || a.Status != examhall.AttemptInProgress {
			t.Fatalf("attempt %s: user %s status %s", a.ID, a.UserID, a.Status)
		}
		ids := browsertest.Eval[[]string](cand, `[...document.querySelectorAll("[data-question-id]")].map(e => e.dataset.questionId)`)
		if want := []string{"q1", "q2", "q3", "q4", "q5"}; !reflect.DeepEqual(ids, want) {
			t.Errorf("questions on the take page = %v, want %v", ids, want)
		}
		if n := browsertest.Eval[int](cand, `document.querySelectorAll('[role="timer"]').length`); n != 1 {
			t.Errorf("%d elements with role=timer, want 1", n)
		}
		cand.WaitFor(`/\d+:\d\d/.test(document.querySelector('[role="timer"]').textContent)`)
		cand.MustAxeClean("the take page")
		weight := cand.PageWeight()
		t.Logf("take page weight: %s", weight)
		if weight.Total() > takeBudget {
			t.Errorf("take page weighs %s, over the %d-byte budget; by URL: %v", weight, takeBudget, weight.URLs)
		}
	})
	step("answer each type", func(t *testing.T) {
		cand := page.For(t)
		cand.Click(q("q1") + ` input[type="radio"][value="1"]`)
		cand.Click(q("q2") + ` input[type="checkbox"][value="0"]`)
		cand.Click(q("q2") + ` input[type="checkbox"][value="2"]`)
		cand.Click(q("q3") + ` input[type="radio"][value="true"]`)
		cand.Type(q("q4")+` input[data-blank="0"]`, "Paris")
		cand.Type(q("q4")+` input[data-blank="1"]`, "Rome")
		cand.Type(q("q5")+` textarea`, "Plants turn light into sugar.")
		want := map[string]examhall.Answer{
			"q1": {QuestionID: "q1", Choices: []int{1}},
			"q2": {QuestionID: "q2", Choices: []int{0, 2}},
			"q3": {QuestionID: "q3", Bool: new(true)},
			"q4": {QuestionID: "q4", Blanks: []string{"Paris", "Rome"}},
			"q5": {QuestionID: "q5", Text: "Plants turn light into sugar."},
		}
		a := w.waitAttempt(t, attemptID, 5*time.Second, "the five answers", func(a *examhall.Attempt) bool {
			return sameAnswers(a.Answers, want)
		})
		cand.WaitText(`[role="status"]`, "aved") // "Saved at …" / "All saved"
		// The navigator shows the answered questions.
		if n := browsertest.Eval[int](cand, `document.querySelectorAll(".navigator .answered[data-nav]").length`); n != 5 {
			t.Errorf("navigator marks %d questions answered, want 5", n)
		}
		if a.SavedAt.IsZero() {
			t.Error("savedAt not set after autosave")
		}
		// Flag one for review.
		cand.Click(`[data-flag="q2"]`)
		if got := browsertest.Eval[string](cand, `document.querySelector('[data-flag="q2"]').getAttribute("aria-pressed")`); got != "true" {
			t.Errorf(`flag button aria-pressed = %q after flagging, want "true"`, got)
		}
		if n := browsertest.Eval[int](cand, `document.querySelectorAll('.navigator .flagged[data-nav="q2"]').length`); n != 1 {
			t.Error("navigator does not show q2 flagged")
		}
	})

	step("offline then reconnect", func(t *testing.T) {
		cand := page.For(t)
		before := w.attempt(t, attemptID)
		cand.SetOffline(true)
		cand.Click(q("q1") + ` input[type="radio"][value="0"]`)
		appendText(cand, q("q5")+` textarea`, " Oxygen too.")
		cand.WaitText(`[role="status"]`, "Offline — 2 changes waiting") // q1 and q5
		if !browsertest.Eval[bool](cand, `Object.keys(localStorage).some(k => (localStorage.getItem(k) || "").includes("Oxygen too."))`) {
			t.Error("the answer typed offline is not kept in localStorage")
		}
		time.Sleep(1500 * time.Millisecond) // more than the autosave's debounce
		if now := w.attempt(t, attemptID); !sameAnswers(now.Answers, before.Answers) {
			t.Fatalf("answers changed on the server while offline: %s", answersString(now.Answers))
		}
		cand.SetOffline(false)
		w.waitAttempt(t, attemptID, 10*time.Second, "the answers changed offline", func(a *examhall.Attempt) bool {
			return reflect.DeepEqual(a.Answers["q1"].Choices, []int{0}) &&
				a.Answers["q5"].Text == "Plants turn light into sugar. Oxygen too."
		})
		cand.WaitText(`[role="status"]`, "aved")
	})

	step("reload", func(t *testing.T) {
		cand := page.For(t)
		cand.Reload()
		checked := browsertest.Eval[[]string](cand, `[...document.querySelectorAll("[data-question-id] input:checked")].map(e => e.name + "=" + e.value)`)
		if want := []string{"a-q1=0", "a-q2=0", "a-q2=2", "a-q3=true"}; !reflect.DeepEqual(checked, want) {
			t.Errorf("after reload checked = %v, want %v", checked, want)
		}
		if got := browsertest.Eval[string](cand, `document.querySelector('[data-question-id="q5"] textarea').value`); got != "Plants turn light into sugar. Oxygen too." {
			t.Errorf("after reload the short answer reads %q", got)
		}
		blanks := browsertest.Eval[[]string](cand, `[...document.querySelectorAll('[data-question-id="q4"] input')].map(e => e.value)`)
		if !reflect.DeepEqual(blanks, []string{"Paris", "Rome"}) {
			t.Errorf("after reload the blanks read %q", blanks)
		}
	})

	step("lost tab keeps what was typed offline", func(t *testing.T) {
		cand := page.For(t)
		// Typed while offline, then the tab is lost before the network comes
		// back: the page opened again in the same browser sends it. The page
		// takes over only the queue of a tab silent for 10 s (a live tab
		// sends its own), so it is opened again after that.
		cand.SetOffline(true)
		appendText(cand, q("q5")+` textarea`, " Chlorophyll.")
		cand.WaitText(`[role="status"]`, "ffline")
		again := cand.NewTab(top, "candidate, reopened").For(t)
		cand.CloseTab()
		time.Sleep(10500 * time.Millisecond)
		again.Navigate(w.url + "/attempts/" + attemptID)
		w.waitAttempt(t, attemptID, 5*time.Second, "the answer typed before the tab was lost", func(a *examhall.Attempt) bool {
			return a.Answers["q5"].Text == "Plants turn light into sugar. Oxygen too. Chlorophyll."
		})
		if got := browsertest.Eval[string](again, `document.querySelector('[data-question-id="q5"] textarea').value`); got != "Plants turn light into sugar. Oxygen too. Chlorophyll." {
			t.Errorf("the reopened page shows %q", got)
		}
		again.WaitText(`[role="status"]`, "aved")
		page = again
	})

	var second *browsertest.Page // the candidate's second device, open until the end
	step("second device", func(t *testing.T) {
		other := b.NewPage(top, "candidate, second device").For(t)
		second = other
		// The exam's entry URL, signed out: sign in there, and back to it.
		other.Navigate(w.url + "/v5/exam/" + w.exam.ID + "?lang=en")
		other.Type(`input[name="account"]`, w.cand.Account)
		other.Type(`input[name="password"]`, w.pass)
		other.ClickNavigate(`form[action="/signin"] button[type="submit"]`)
		if u := other.Location(); !strings.Contains(u, "/v5/exam/"+w.exam.ID) {
			t.Errorf("signing in from the entry URL leads to %s, want the exam page", u)
		}
		other.ClickNavigate(fmt.Sprintf(`a[href="/attempts/%s"]`, attemptID))
		if got := browsertest.Eval[string](other, `document.querySelector('[data-question-id="q5"] textarea').value`); got != "Plants turn light into sugar. Oxygen too. Chlorophyll." {
			t.Errorf("second device shows the short answer %q", got)
		}
		if !browsertest.Eval[bool](other, `document.querySelector('[data-question-id="q1"] input[value="0"]').checked`) {
			t.Error("second device does not show the server's single-choice answer")
		}
		// An answer given there reaches the store too.
		other.Click(q("q1") + ` input[type="radio"][value="1"]`)
		w.waitAttempt(t, attemptID, 5*time.Second, "the second device's answer", func(a *examhall.Attempt) bool {
			return reflect.DeepEqual(a.Answers["q1"].Choices, []int{1})
		})
		other.WaitText(`[role="status"]`, "aved")
	})

	step("session ends mid-exam", func(t *testing.T) {
		cand := page.For(t)
		cand.Reload() // the second device changed q1
		// Signing out in another tab of the same browser ends the session
		// the take page runs on.
		tab := cand.NewTab(top, "candidate, another tab").For(t)
		tab.Navigate(w.url + "/")
		tab.ClickNavigate(`form[action="/signout"] button[type="submit"]`)
		cand.Allow(`status of 401`)
		appendText(cand, q("q5")+` textarea`, " Sugar.")
		alert := cand.WaitText(`[role="alert"]`, "Sign in")
		if !strings.Contains(alert, "session") {
			t.Errorf("alert after the session ended reads %q", alert)
		}
		time.Sleep(300 * time.Millisecond)
		if a := w.attempt(t, attemptID); strings.HasSuffix(a.Answers["q5"].Text, "Sugar.") {
			t.Fatal("an answer was saved without a session")
		}
		// Sign in again from the alert's link: back on the take page, the
		// answer kept on the device is sent.
		cand.ClickNavigate(`[role="alert"] a`)
		cand.Type(`input[name="account"]`, w.cand.Account)
		cand.Type(`input[name="password"]`, w.pass)
		cand.ClickNavigate(`form[action="/signin"] button[type="submit"]`)
		if u := cand.Location(); !strings.Contains(u, "/attempts/"+attemptID) {
			t.Errorf("signing in again leads to %s, want the take page", u)
		}
		w.waitAttempt(t, attemptID, 5*time.Second, "the answer typed while signed out", func(a *examhall.Attempt) bool {
			return a.Answers["q5"].Text == "Plants turn light into sugar. Oxygen too. Chlorophyll. Sugar."
		})
		cand.WaitText(`[role="status"]`, "aved")
	})

	step("submit with confirmation", func(t *testing.T) {
		cand := page.For(t)
		cand.Click(`[data-flag="q4"]`)
		cand.Click("#submit-btn")
		cand.WaitFor(`document.querySelector('[role="dialog"]').open`)
		body := cand.Text(`[role="dialog"]`)
		// Every question is answered; q2 (flagged in the first tab, whose
		// state this one took over) and q4 are flagged.
		for _, want := range []string{"0 questions are unanswered", "2 are flagged"} {
			if !strings.Contains(body, want) {
				t.Errorf("confirmation %q does not say %q", body, want)
			}
		}
		cand.MustAxeClean("the take page's submit dialog")
		cand.Click("#confirm-no")
		cand.WaitFor(`!document.querySelector('[role="dialog"]').open`)
		if a := w.attempt(t, attemptID); a.Status != examhall.AttemptInProgress {
			t.Fatalf("cancelled confirmation left the attempt %s", a.Status)
		}
		cand.Click("#submit-btn")
		cand.WaitFor(`document.querySelector('[role="dialog"]').open`)
		cand.Click("#confirm-yes")
		a := w.waitAttempt(t, attemptID, 5*time.Second, "a submitted attempt", func(a *examhall.Attempt) bool {
			return a.Status != examhall.AttemptInProgress
		})
		if a.Status != examhall.AttemptMarking {
			t.Errorf("submitted attempt is %s, want marking (a short answer waits)", a.Status)
		}
		cand.WaitFor(`location.pathname.startsWith("/v5/exam/") || !document.getElementById("done").hidden`)
		if n := browsertest.Eval[int](cand, editable); n != 0 {
			t.Errorf("%d editable answer controls after submit", n)
		}
		// The second device, still open, learns it at its next save.
		other := second.For(t)
		other.Allow(`status of 409`)
		appendText(other, q("q5")+` textarea`, " Too late.")
		done := other.WaitText("#done", "another device")
		if n := browsertest.Eval[int](other, editable); n != 0 {
			t.Errorf("%d editable answer controls on the second device after submit (%q)", n, done)
		}
		if a := w.attempt(t, attemptID); strings.Contains(a.Answers["q5"].Text, "Too late") {
			t.Error("a save after submit was written")
		}
		// The take page of a submitted attempt shows no inputs either.
		cand.Navigate(w.url + "/attempts/" + attemptID)
		if n := browsertest.Eval[int](cand, editable); n != 0 {
			t.Errorf("%d editable answer controls on the take page of a submitted attempt", n)
		}
	})

	step("published result", func(t *testing.T) {
		cand := page.For(t)
		// Submitted, awaiting the short answer's mark: no result yet.
		cand.Navigate(w.url + "/v5/exam/" + w.exam.ID)
		if row := cand.Text(`tr.attempt`); !strings.Contains(row, "Result not published yet") || strings.Contains(row, "Passed") {
			t.Errorf("exam page's attempt before publishing reads %q", row)
		}
		ctx := context.Background()
		if _, err := w.m.DB.MarkAttempt(ctx, attemptID, map[string]float64{"q5": 15}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.DB.PublishAttempts(ctx, w.exam.ID, nil); err != nil {
			t.Fatal(err)
		}
		a := w.attempt(t, attemptID)
		// q1 7 ✓, q2 ✓, q3 ✓, q4 ✓, q5 marked 15.
		if a.Score != 95 {
			t.Fatalf("score %v, want 95", a.Score)
		}
		cand.Navigate(w.url + "/v5/exam/" + w.exam.ID)
		row := cand.Text(`tr.attempt[data-published="true"]`)
		score := browsertest.Eval[[]string](cand, `[...document.querySelectorAll('tr.attempt[data-published="true"] td')].map(td => td.innerText.trim())`)
		// #, started, time used, status, score, result, rank
		if len(score) != 7 || score[4] != "95" || score[5] != "Passed" || score[6] != "1" {
			t.Errorf("exam page's published attempt reads %q (%q), want score 95, Passed, rank 1", row, score)
		}
		cand.MustAxeClean("the exam page with a result")
	})

	step("error pages", func(t *testing.T) {
		cand := page.For(t)
		cand.Allow(`status of 404`)
		// Another person's attempt and a made-up one look the same: not found,
		// a page in the candidate's language, never a stack trace.
		other := mustUser(t, w.m, "cand02", "Bo Other", "other-pass-1")
		theirs, err := w.m.DB.StartAttempt(context.Background(), w.exam.ID, other.ID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{theirs.ID, "no-such-attempt"} {
			cand.Navigate(w.url + "/attempts/" + id)
			msg := cand.Text(`[role="alert"]`)
			if !strings.Contains(msg, "not found") || strings.Contains(cand.Text("main"), "goroutine") {
				t.Errorf("/attempts/%s shows %q", id, cand.Text("main"))
			}
			if n := browsertest.Eval[int](cand, editable); n != 0 {
				t.Errorf("/attempts/%s shows %d answer fields", id, n)
			}
		}
		cand.MustAxeClean("the error page")
		if a := w.attempt(t, theirs.ID); len(a.Answers) != 0 || a.Status != examhall.AttemptInProgress {
			t.Errorf("another's attempt changed: %s %s", a.Status, answersString(a.Answers))
		}
	})
}

// appendText types text at the end of the text field matching css, as a
// person clicking after the text already there would.
func appendText(p *browsertest.Page, css, text string) {
	browsertest.Eval[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.focus();
		e.setSelectionRange(e.value.length, e.value.length); return true; })()`, css))
	p.Do(chromedp.KeyEvent(text))
}

// htmlLang fetches url with the Accept-Language header (none when "") and
// returns the lang attribute of its <html>.
func htmlLang(t *testing.T, url, acceptLanguage string) string {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<html[^>]*\slang="([^"]*)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("GET %s: %d, no <html lang> in %.200q", url, res.StatusCode, body)
	}
	return string(m[1])
}

// sameAnswers compares stored answers, ignoring empty ones and when each
// was made.
func sameAnswers(got, want map[string]examhall.Answer) bool {
	norm := func(m map[string]examhall.Answer) map[string]examhall.Answer {
		out := map[string]examhall.Answer{}
		for k, a := range m {
			if len(a.Choices) == 0 && a.Bool == nil && len(a.Blanks) == 0 && a.Text == "" {
				continue
			}
			a.QuestionID, a.At = k, 0
			out[k] = a
		}
		return out
	}
	return reflect.DeepEqual(norm(got), norm(want))
}

// TestBrowserDeadline: the take page submits by itself at the deadline.
func TestBrowserDeadline(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	w := mustBrowserWorld(t)
	p := b.NewPage(t, "candidate")
	w.signIn(p, w.cand.Account, w.pass)
	p.Navigate(w.url + "/v5/exam/" + w.exam.ID)
	// The candidate's window now ends in a few seconds (an override), so
	// the attempt started next has its deadline then. Set only now, so that
	// a slow start on a loaded machine cannot miss the window.
	end := time.Now().Add(7 * time.Second)
	if err := w.m.DB.SetOverride(context.Background(), &examhall.Override{ExamID: w.exam.ID, UserID: w.cand.ID, EndTime: &end}); err != nil {
		t.Fatal(err)
	}
	p.ClickNavigate(fmt.Sprintf(`form[action="/v5/exam/%s/start"] button[type="submit"]`, w.exam.ID))
	id := attemptIDOf(t, p.Location())
	p.Click(q("q3") + ` input[type="radio"][value="true"]`)
	a := w.waitAttempt(t, id, time.Until(end)+8*time.Second, "the attempt submitted at its deadline", func(a *examhall.Attempt) bool {
		return a.Status != examhall.AttemptInProgress
	})
	if !a.EndTime.After(end.Add(-time.Second)) {
		t.Errorf("submitted at %s, before the deadline %s", a.EndTime, end)
	}
	if a.Answers["q3"].Bool == nil || !*a.Answers["q3"].Bool {
		t.Errorf("the answer given before the deadline is lost: %s", answersString(a.Answers))
	}
	p.WaitText("#done", "Time is up")
	if n := browsertest.Eval[int](p, editable); n != 0 {
		t.Errorf("%d editable answer controls after the deadline", n)
	}
	if got := p.Text(`[role="alert"]`); !strings.Contains(got, "1 minute left") {
		t.Errorf("alert before the deadline reads %q, want the 1-minute warning", got)
	}
}

// TestBrowserDemo: a newcomer signs in to the demo with the printed login, in
// a Chinese browser, and sits the practice exam (issue 11, "The demo").
func TestBrowserDemo(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	m := MustOpenMain(t, "")
	srv := httptest.NewServer(m.Handler)
	t.Cleanup(srv.Close)
	res := seed(t, m)
	if res.PracticeExamID == "" {
		t.Fatal("the demo seeds no practice exam")
	}
	var login demo.Login
	for _, l := range res.Logins {
		if l.Role == examhall.RoleExaminee {
			login = l
			break
		}
	}
	if login.Account == "" {
		t.Fatal("the demo prints no examinee login")
	}

	p := b.NewPage(t, "demo candidate")
	p.SetAcceptLanguage("zh-CN,zh;q=0.9")
	p.Navigate(srv.URL + "/")
	p.Type(`input[name="account"]`, login.Account)
	p.Type(`input[name="password"]`, login.Password)
	p.ClickNavigate(`form[action="/signin"] button[type="submit"]`)
	if got := browsertest.Eval[string](p, `document.documentElement.lang`); got != "zh-CN" {
		t.Errorf(`<html lang> = %q, want "zh-CN"`, got)
	}
	open := fmt.Sprintf(`[data-section="open"] a[href="/v5/exam/%s"]`, res.PracticeExamID)
	if n := browsertest.Eval[int](p, fmt.Sprintf(`document.querySelectorAll(%q).length`, open)); n != 1 {
		t.Fatalf("my exams does not list the practice exam under open now:\n%s", p.Text("main"))
	}
	if n := browsertest.Eval[int](p, `document.querySelectorAll('[data-section="upcoming"] [data-exam-id]').length`); n == 0 {
		t.Error("my exams lists no upcoming exam (the demo seeds one)")
	}
	p.MustAxeClean("my exams (zh-CN, demo)")

	p.ClickNavigate(open)
	p.MustAxeClean("the practice exam's page (zh-CN)")
	p.ClickNavigate(fmt.Sprintf(`form[action="/v5/exam/%s/start"] button[type="submit"]`, res.PracticeExamID))
	id := attemptIDOf(t, p.Location())
	types := browsertest.Eval[[]string](p, `[...new Set([...document.querySelectorAll("[data-question-id]")].map(e => e.dataset.type))].sort()`)
	if want := []string{"fill", "multiple", "short", "single", "truefalse"}; !reflect.DeepEqual(types, want) {
		t.Errorf("question types on the practice exam = %v, want %v", types, want)
	}
	p.MustAxeClean("the take page (zh-CN)")
	if weight := p.PageWeight(); weight.Total() > takeBudget {
		t.Errorf("take page (zh-CN) weighs %s, over the %d-byte budget", weight, takeBudget)
	}
	p.Type(`[data-type="short"] textarea`, "有借必有贷, 借贷必相等。")
	w := &browserWorld{m: m}
	w.waitAttempt(t, id, 5*time.Second, "the short answer", func(a *examhall.Attempt) bool {
		return a.Answers["q05"].Text == "有借必有贷, 借贷必相等。"
	})
	p.WaitText(`[role="status"]`, "已保存 ") // "saved at HH:MM:SS"
}

// TestBrowserKeyboard: a candidate with a keyboard alone signs in, starts
// the exam, answers, uses the navigator and the flag, and submits through
// the confirmation dialog.
func TestBrowserKeyboard(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	w := mustBrowserWorld(t)
	p := b.NewPage(t, "keyboard candidate")

	p.Navigate(w.url + "/?lang=en")
	p.TabTo(`input[name="account"]`)
	p.Key(w.cand.Account)
	p.TabTo(`input[name="password"]`)
	p.Key(w.pass)
	p.KeyNavigate(kb.Enter)
	p.TabTo(fmt.Sprintf(`a[href="/v5/exam/%s"]`, w.exam.ID))
	p.KeyNavigate(kb.Enter)
	p.TabTo(fmt.Sprintf(`form[action="/v5/exam/%s/start"] button`, w.exam.ID))
	p.KeyNavigate(kb.Enter)
	id := attemptIDOf(t, p.Location())

	// A radio group is one Tab stop; Space checks, the arrows move the choice.
	p.TabTo(q("q1") + ` input[type="radio"]`)
	p.Key(" ")
	p.Key(kb.ArrowDown)
	p.TabTo(q("q3") + ` input[type="radio"]`)
	p.Key(" ")
	// The navigator takes the focus to the question.
	p.TabTo(`[data-nav="q5"]`)
	p.Key(kb.Enter)
	if f := p.Focused(); !strings.HasPrefix(f, "textarea") {
		t.Errorf("after the navigator's link to q5 the focus is on %q, want its answer field", f)
	}
	p.Key("Typed with the keyboard.")
	p.TabTo(`[data-flag="q5"]`)
	p.Key(" ")
	if got := browsertest.Eval[string](p, `document.querySelector('[data-flag="q5"]').getAttribute("aria-pressed")`); got != "true" {
		t.Errorf(`flag aria-pressed = %q after Space, want "true"`, got)
	}
	w.waitAttempt(t, id, 5*time.Second, "the answers given with the keyboard", func(a *examhall.Attempt) bool {
		return reflect.DeepEqual(a.Answers["q1"].Choices, []int{1}) && a.Answers["q3"].Bool != nil && *a.Answers["q3"].Bool &&
			a.Answers["q5"].Text == "Typed with the keyboard."
	})

	// Submit: the dialog takes the focus, Escape cancels it.
	p.TabTo("#submit-btn")
	p.Key(kb.Enter)
	p.WaitFor(`document.querySelector('[role="dialog"]').open`)
	if !browsertest.Eval[bool](p, `document.querySelector('[role="dialog"]').contains(document.activeElement)`) {
		t.Errorf("the open dialog does not hold the focus (on %q)", p.Focused())
	}
	p.Key(kb.Escape)
	p.WaitFor(`!document.querySelector('[role="dialog"]').open`)
	if a := w.attempt(t, id); a.Status != examhall.AttemptInProgress {
		t.Fatalf("Escape in the dialog left the attempt %s", a.Status)
	}
	p.TabTo("#submit-btn")
	p.Key(kb.Enter)
	p.WaitFor(`document.querySelector('[role="dialog"]').open`)
	p.TabTo("#confirm-yes")
	p.Key(kb.Enter)
	w.waitAttempt(t, id, 5*time.Second, "the submitted attempt", func(a *examhall.Attempt) bool {
		return a.Status != examhall.AttemptInProgress
	})
	p.WaitFor(`!document.getElementById("done").hidden`)
	if f := p.Focused(); !strings.HasPrefix(f, "div#done") {
		t.Errorf("after submitting the focus is on %q, want the confirmation that says so", f)
	}
}

// TestBrowserOlderChangeLoses: an answer changed on a device that was
// offline must not overwrite a later answer another device saved meanwhile
// ("newer local unsent changes win over older server ones", and so older
// ones lose). Both ways an old change can come back are tried: the device
// reconnecting, and a tab that took over a lost tab's queue.
func TestBrowserOlderChangeLoses(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	w := mustBrowserWorld(t)
	a := b.NewPage(t, "device A")
	w.signIn(a, w.cand.Account, w.pass)
	a.Navigate(w.url + "/v5/exam/" + w.exam.ID)
	a.ClickNavigate(fmt.Sprintf(`form[action="/v5/exam/%s/start"] button[type="submit"]`, w.exam.ID))
	id := attemptIDOf(t, a.Location())
	a.Type(q("q5")+" textarea", "W")
	w.waitAttempt(t, id, 5*time.Second, `"W"`, func(x *examhall.Attempt) bool { return x.Answers["q5"].Text == "W" })

	t.Run("device reconnecting", func(t *testing.T) {
		a := a.For(t)
		a.SetOffline(true)
		appendText(a, q("q5")+" textarea", "X") // first, offline
		a.WaitText(`[role="status"]`, "ffline")
		bp := b.NewPage(t, "device B")
		w.signIn(bp, w.cand.Account, w.pass)
		bp.Navigate(w.url + "/attempts/" + id)
		appendText(bp, q("q5")+" textarea", "Y") // later, saved
		w.waitAttempt(t, id, 5*time.Second, `"WY"`, func(x *examhall.Attempt) bool { return x.Answers["q5"].Text == "WY" })
		a.SetOffline(false)
		time.Sleep(3 * time.Second)
		if got := w.attempt(t, id).Answers["q5"].Text; got != "WY" {
			t.Errorf("after device A reconnects the server holds %q, want the later %q", got, "WY")
		}
	})

	t.Run("lost tab taken over", func(t *testing.T) {
		a := a.For(t)
		a.Reload()
		a.SetOffline(true)
		appendText(a, q("q5")+" textarea", "Z") // first, offline, then the tab is lost
		a.WaitText(`[role="status"]`, "ffline")
		before := w.attempt(t, id).Answers["q5"].Text
		again := a.NewTab(t, "device A, reopened at once").For(t)
		a.CloseTab()
		again.Navigate(w.url + "/attempts/" + id)   // within 10 s: not taken over yet
		appendText(again, q("q5")+" textarea", "V") // later, saved
		// The later answer is the one ending in "V" (a queue the new tab
		// shares with the lost one may reach the server first).
		w.waitAttempt(t, id, 5*time.Second, "the later answer", func(x *examhall.Attempt) bool {
			return x.Answers["q5"].Text != before && strings.HasSuffix(x.Answers["q5"].Text, "V")
		})
		later := w.attempt(t, id).Answers["q5"].Text
		time.Sleep(11 * time.Second)
		again.Reload() // now the lost tab's queue is taken over
		time.Sleep(2 * time.Second)
		if got := w.attempt(t, id).Answers["q5"].Text; got != later {
			t.Errorf("after the reopened tab took over the lost one's queue the server holds %q, want the later %q", got, later)
		}
	})
}

// steps returns a function that runs one step of a browser test as a
// subtest of t. Each step goes on from where the last one left the pages:
// after one stops (t.Fatal) the rest cannot run and are skipped, saying
// so.
func steps(t *testing.T) func(name string, f func(t *testing.T)) {
	stopped := ""
	return func(name string, f func(t *testing.T)) {
		if stopped != "" {
			t.Logf("%s: not run, as %q stopped", name, stopped)
			return
		}
		completed := false
		t.Run(name, func(t *testing.T) {
			f(t)
			completed = true
		})
		if !completed {
			stopped = name
		}
	}
}
