package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"examhall"
	"examhall/auth"
	"examhall/internal/browsertest"
)

// The proctoring pages in headless Chromium with a fake camera (issue 12's
// browser bars): a candidate on replica A and the invigilator on replica B,
// two processes on one PostgreSQL database, so every live update crosses
// LISTEN/NOTIFY; and the same on one process over SQLite. A switch shows on
// the invigilator's page, the limit submits, a message and extra time
// arrive, a snapshot shows, the replay lists the evidence, the room ends.

// proctorWorld is the replicas and the people and exam they serve.
type proctorWorld struct {
	a, b                    *Main  // replica A serves the candidates, B the invigilator
	urlA, urlB              string // their base URLs
	exam                    *examhall.Exam
	room                    *examhall.Room
	cand, cand2, inv, other *examhall.User
	pass                    string
}

// openReplica opens a Main on the data directory dir and dsn ("" for
// SQLite) with the JWT key key, and serves it on a loopback port.
func openReplica(t *testing.T, dir, dsn, key string) (*Main, string) {
	t.Helper()
	m := NewMain()
	m.Config.Data, m.Config.DB, m.Config.JWTKey = dir, dsn, key
	m.Log = slog.New(slog.DiscardHandler)
	if err := m.Open(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, serveMain(t, m) // its cleanup (stop serving) runs before Close
}

// mustProctorWorld starts one replica on SQLite (dsn "") or two on the
// PostgreSQL dsn, and seeds a proctored exam (switch limit 3, a snapshot
// every 5 s) with a room whose roster holds two candidates and an
// invigilator, and another invigilator who is not on it.
func mustProctorWorld(t *testing.T, dsn string) *proctorWorld {
	t.Helper()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	// One key, so that a session issued by one replica works on the other.
	// One data directory, so that both keep snapshots in the same place
	// (as replicas sharing a volume do; others configure S3).
	key, dir := "hex:"+hex.EncodeToString(raw), t.TempDir()
	w := &proctorWorld{pass: "proctor-pass-1"}
	w.a, w.urlA = openReplica(t, dir, dsn, key)
	w.b, w.urlB = w.a, w.urlA
	if dsn != "" {
		w.b, w.urlB = openReplica(t, dir, dsn, key)
	}
	ctx := context.Background()
	m := w.a
	w.cand = mustUser(t, m, "cand01", "Ada Candidate", w.pass)
	w.cand2 = mustUser(t, m, "cand02", "Bo Candidate", w.pass)
	w.inv = mustStaff(t, m, "inv01", "Ivy Invigilator", w.pass, examhall.RoleInvigilator)
	w.other = mustStaff(t, m, "inv02", "Eve Elsewhere", w.pass, examhall.RoleInvigilator)
	admin := mustStaff(t, m, "admin01", "Ann Admin", w.pass, examhall.RoleAdmin)
	now := time.Now()
	w.exam = &examhall.Exam{
		Name: "Proctored exam", BeginTime: now.Add(-time.Hour), EndTime: now.Add(2 * time.Hour),
		AnswerMinutes: 60, PassScore: 60, AllowTimes: 1, IntegralRate: examhall.DefaultIntegralRate,
		Audience: examhall.AudienceAll, Status: examhall.ExamPublished,
		Proctoring: examhall.Proctoring{SwitchLimit: 3, SnapshotSeconds: 5},
	}
	must(t, m.DB.CreateExam(ctx, w.exam))
	must(t, m.DB.SetPaper(ctx, w.exam.ID, []*examhall.Question{
		{ID: "q1", Type: examhall.QuestionSingle, Stem: "Which is a prime?", Score: 50, Options: []string{"4", "7"}, Correct: []int{1}},
		{ID: "q2", Type: examhall.QuestionTrueFalse, Stem: "Ice floats on water.", Score: 50, IsTrue: true},
	}))
	w.room = &examhall.Room{Name: "Hall A", ExamID: w.exam.ID, CreatedBy: admin.ID}
	must(t, m.DB.CreateRoom(ctx, w.room))
	must(t, m.DB.AddMembers(ctx, w.room.ID, []examhall.Member{
		{UserID: w.inv.ID, Role: examhall.RoleInvigilator},
		{UserID: w.cand.ID, Role: examhall.RoleExaminee},
		{UserID: w.cand2.ID, Role: examhall.RoleExaminee},
	}))
	return w
}

// mustStaff creates a staff member of role who signs in with password.
func mustStaff(t *testing.T, m *Main, account, name, password string, role examhall.Role) *examhall.User {
	t.Helper()
	h, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	u := &examhall.User{Account: account, Name: name, Role: role, PasswordHash: h}
	must(t, m.DB.CreateUser(context.Background(), u))
	return u
}

// signIn signs p in at base's / in English.
func (w *proctorWorld) signIn(p *browsertest.Page, base, account string) {
	p.Navigate(base + "/?lang=en")
	p.Type(`input[name="account"]`, account)
	p.Type(`input[name="password"]`, w.pass)
	p.ClickNavigate(`form[action="/signin"] button[type="submit"]`)
}

// attempt reads an attempt from the store.
func (w *proctorWorld) attempt(t *testing.T, id string) *examhall.Attempt {
	t.Helper()
	a, err := w.a.DB.FindAttemptByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// startProctored takes a signed-in candidate's page from the exam page
// through the device check to the take page, and returns the attempt.
func (w *proctorWorld) startProctored(t *testing.T, p *browsertest.Page) string {
	t.Helper()
	// The page keeps focus whatever the other tabs do: only the switches
	// the test makes count.
	p.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}))
	p.Navigate(w.urlA + "/v5/exam/" + w.exam.ID)
	p.ClickNavigate(fmt.Sprintf(`a[href="/v5/exam/%s/check"]`, w.exam.ID))
	p.WaitFor(`document.getElementById("preview").videoWidth > 0`)
	p.WaitText("#cam-status", "The camera works.")
	p.MustAxeClean("the device check")
	p.Click("#accept")
	p.ClickNavigate("#start-btn")
	id := attemptIDOf(t, p.Location())
	p.WaitFor(`document.getElementById("cam").videoWidth > 0`)
	p.WaitText("#cam-state", "Camera on")
	return id
}

// leaveAndComeBack makes the candidate's page lose the focus for a little
// over a second and get it back: one switch.
func leaveAndComeBack(p *browsertest.Page) {
	browsertest.Eval[bool](p, `window.dispatchEvent(new Event("blur")), true`)
	time.Sleep(1100 * time.Millisecond)
	browsertest.Eval[bool](p, `window.dispatchEvent(new Event("focus")), true`)
}

// timerSeconds reads the take page's countdown in seconds.
func timerSeconds(t *testing.T, p *browsertest.Page) int {
	t.Helper()
	text := browsertest.Eval[string](p, `document.querySelector('[role="timer"]').textContent`)
	s := 0
	for _, part := range strings.Split(text, ":") {
		n, err := strconv.Atoi(part)
		if err != nil {
			t.Fatalf("the timer reads %q", text)
		}
		s = s*60 + n
	}
	return s
}

// navStatus is the HTTP status of the page's document.
const navStatus = `performance.getEntriesByType("navigation")[0].responseStatus`

func TestBrowserProctoring(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		runBrowserProctoring(t, "")
	})
	t.Run("postgres two replicas", func(t *testing.T) {
		t.Parallel()
		dsn := os.Getenv("EXAMHALL_TEST_POSTGRES")
		if dsn == "" {
			t.Skip("EXAMHALL_TEST_POSTGRES is not set: the test of two replicas on one PostgreSQL database is skipped (set it, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
		}
		runBrowserProctoring(t, mustSchema(t, dsn))
	})
}

func runBrowserProctoring(t *testing.T, dsn string) {
	b := browsertest.New(t)
	w := mustProctorWorld(t, dsn)
	top := t
	candPage := b.NewPage(t, "candidate (replica A)")
	invPage := b.NewPage(t, "invigilator (replica B)")
	var attemptID string
	tile := fmt.Sprintf(`#tiles [data-user-id=%q]`, w.cand.ID)
	step := steps(t) // each step goes on from where the last left the pages

	step("candidate starts after the device check", func(t *testing.T) {
		cand := candPage.For(t)
		w.signIn(cand, w.urlA, w.cand.Account)
		attemptID = w.startProctored(t, cand)
		if got := cand.Text("#switch-count"); got != "Times you left the page: 0 of 3" {
			t.Errorf("the switch count reads %q", got)
		}
		cand.MustAxeClean("the proctored take page")
	})

	step("invigilator sees the candidate online", func(t *testing.T) {
		inv := invPage.For(t)
		w.signIn(inv, w.urlB, w.inv.Account)
		link := fmt.Sprintf(`a[href="/rooms/%s/live"]`, w.room.ID)
		if got := inv.Text(link); got != w.room.Name {
			t.Errorf("my rooms links %q, want the room %q", got, w.room.Name)
		}
		inv.ClickNavigate(link)
		inv.WaitText("#conn", "Live")
		inv.WaitFor(fmt.Sprintf(`document.querySelector(%q).dataset.online === "true"`, tile))
		inv.MustAxeClean("the live page")
	})

	step("a switch shows on the live page", func(t *testing.T) {
		cand, inv := candPage.For(t), invPage.For(t)
		inv.WaitFor(`!!(window.__marker = 1)`) // a reload would lose it
		leaveAndComeBack(cand)
		cand.WaitText("#switch-count", "1 of 3")
		inv.WaitFor(fmt.Sprintf(`document.querySelector(%q).dataset.cheats === "1"`, tile))
		if got := inv.Text(tile + ` [data-field="switches"]`); got != "1" {
			t.Errorf("the tile's switches read %q", got)
		}
		inv.WaitFor(`document.querySelector("#feed li img.thumb")`)
		feed := inv.Text("#feed li")
		if !strings.Contains(feed, w.cand.Name) || !strings.Contains(feed, "left the page") {
			t.Errorf("the feed's entry reads %q", feed)
		}
		inv.WaitFor(`document.querySelector("#feed li img.thumb").complete && document.querySelector("#feed li img.thumb").naturalWidth > 0`)
		inv.WaitFor(fmt.Sprintf(`(() => { const i = document.querySelector(%q); return !i.hidden && i.complete && i.naturalWidth > 0; })()`,
			tile+` img[data-field="snapshot"]`))
		// The counts and the filters follow too.
		inv.WaitText("#counts", "2 candidates · 1 online · 1 flagged")
		inv.Click("#f-flagged")
		if got := browsertest.Eval[[]string](inv, `[...document.querySelectorAll("#tiles .tile:not([hidden])")].map(t => t.dataset.userId)`); len(got) != 1 || got[0] != w.cand.ID {
			t.Errorf("flagged only shows the tiles of %v, want only %s", got, w.cand.ID)
		}
		inv.Click("#f-flagged")
		if !browsertest.Eval[bool](inv, `window.__marker === 1`) {
			t.Error("the live page was reloaded")
		}
		if recs, _, err := w.a.DB.FindCheatRecords(context.Background(), examhall.CheatRecordFilter{RoomID: w.room.ID}); err != nil || len(recs) != 1 {
			t.Errorf("cheat records: %d, %v", len(recs), err)
		}
	})

	step("a message arrives at once", func(t *testing.T) {
		cand, inv := candPage.For(t), invPage.For(t)
		inv.Click(tile + ` [data-act="message"]`)
		inv.WaitFor(`document.getElementById("act-dialog").open`)
		inv.Type("#act-text", "Eyes on your own screen, please.")
		inv.Click("#act-ok")
		inv.WaitFor(`!document.getElementById("act-dialog").open`)
		got := cand.WaitText(`[role="alert"]`, "Eyes on your own screen, please.")
		if want := "Invigilator " + w.inv.Name + ": Eyes on your own screen, please."; got != want {
			t.Errorf("the candidate's alert reads %q, want %q", got, want)
		}
	})

	step("extra time reaches the timer", func(t *testing.T) {
		cand, inv := candPage.For(t), invPage.For(t)
		before := timerSeconds(t, cand)
		inv.Click(tile + ` [data-act="extend"]`)
		inv.WaitFor(`document.getElementById("act-dialog").open`)
		inv.Do(chromedp.SetValue(chromedp.CSS("#act-minutes"), "10"))
		inv.Click("#act-ok")
		cand.WaitText(`[role="alert"]`, "10 more minutes")
		if after := timerSeconds(t, cand); after < before+9*60 {
			t.Errorf("the timer went from %ds to %ds, want 10 minutes more", before, after)
		}
		a := w.attempt(t, attemptID)
		if left := time.Until(a.Deadline); left < 69*time.Minute {
			t.Errorf("the stored deadline is %s away, want about 70 minutes", left)
		}
	})

	step("the switch limit submits", func(t *testing.T) {
		cand, inv := candPage.For(t), invPage.For(t)
		for n := 2; n <= 3; n++ {
			// The candidate is back (their page answered the last switch)
			// before they leave again.
			if n == 3 {
				cand.WaitText("#switch-count", "2 of 3")
			}
			leaveAndComeBack(cand)
		}
		done := cand.WaitText("#done", "You left the page too many times")
		if !strings.Contains(done, "your exam was submitted") {
			t.Errorf("the done panel reads %q", done)
		}
		if n := browsertest.Eval[int](cand, editable); n != 0 {
			t.Errorf("%d answer controls still editable", n)
		}
		if a := w.attempt(t, attemptID); a.Status == examhall.AttemptInProgress {
			t.Errorf("the attempt is still in progress after 3 switches")
		}
		inv.WaitFor(fmt.Sprintf(`document.querySelector(%q).dataset.status === "submitted"`, tile))
		if got := inv.Text(tile + ` [data-field="left"]`); got != "submitted" {
			t.Errorf("the tile's time left reads %q", got)
		}
		inv.WaitFor(fmt.Sprintf(`document.querySelector(%q).dataset.cheats === "3"`, tile))
		if !browsertest.Eval[bool](inv, `window.__marker === 1`) {
			t.Error("the live page was reloaded")
		}
	})

	step("replay", func(t *testing.T) {
		inv := invPage.For(t)
		inv.Navigate(w.urlB + "/attempts/" + attemptID + "/timeline")
		if n := browsertest.Eval[int](inv, `document.querySelectorAll('.entry[data-kind="signal"]').length`); n != 3 {
			t.Errorf("the replay lists %d signals, want 3", n)
		}
		snaps := browsertest.Eval[int](inv, `document.querySelectorAll('.entry[data-kind="snapshot"] img').length`)
		if snaps < 4 { // one at the start and one with each signal
			t.Errorf("the replay shows %d snapshots, want at least 4", snaps)
		}
		inv.WaitFor(`(() => { const i = document.querySelector('.entry[data-kind="snapshot"] img'); i.loading = "eager"; return i.complete && i.naturalWidth > 0; })()`)
		inv.MustAxeClean("the replay")

		other := b.NewPage(top, "another room's invigilator").For(t)
		other.Allow(`status of 403`)
		w.signIn(other, w.urlB, w.other.Account)
		other.Navigate(w.urlB + "/rooms/" + w.room.ID + "/live")
		if st := browsertest.Eval[int](other, navStatus); st != 403 {
			t.Errorf("another invigilator's live page: status %d, want 403", st)
		}
		if n := browsertest.Eval[int](other, `document.querySelectorAll("[data-user-id]").length`); n != 0 {
			t.Errorf("another invigilator sees %d tiles", n)
		}
	})

	step("ending the room ends a candidate's attempt", func(t *testing.T) {
		inv := invPage.For(t)
		cand2 := b.NewPage(top, "second candidate (replica A)").For(t)
		w.signIn(cand2, w.urlA, w.cand2.Account)
		id := w.startProctored(t, cand2)
		inv.Navigate(w.urlB + "/rooms/" + w.room.ID + "/live")
		inv.WaitText("#conn", "Live")
		// The same invigilator watches the room in another tab, on the
		// other replica: it learns that the room ended without a reload.
		watch := inv.NewTab(top, "invigilator, second tab (replica A)").For(t)
		watch.Navigate(w.urlA + "/rooms/" + w.room.ID + "/live")
		watch.WaitText("#conn", "Live")
		inv.Click("#end-btn")
		inv.WaitFor(`document.getElementById("end-dialog").open`)
		inv.ClickNavigate(`#end-dialog button[type="submit"]`)
		cand2.WaitText("#done", "The room was ended: your exam was submitted.")
		if a := w.attempt(t, id); a.Status == examhall.AttemptInProgress {
			t.Error("the second candidate's attempt is still in progress after the room ended")
		}
		if got := inv.Text("h1 .badge"); got != "Ended" {
			t.Errorf("the live page's badge reads %q after ending", got)
		}
		watch.WaitText("#live-alert", "The room has ended.")
		if got := watch.Text("#room-status"); got != "Ended" {
			t.Errorf("the other tab's badge reads %q after the room ended", got)
		}
		if browsertest.Eval[bool](watch, `!document.getElementById("end-btn").hidden`) {
			t.Error("the other tab still offers to end the room")
		}
	})
}

// TestBrowserFaceCheck: with @vladmandic/face-api installed (npm ci), an
// exam with the face check runs the detector in the page under the
// Content-Security-Policy; Chromium's fake camera shows no face, so after
// the debounce the candidate is told and one no_face cheat record is
// stored.
func TestBrowserFaceCheck(t *testing.T) {
	t.Parallel()
	root, err := browsertest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "node_modules", "@vladmandic", "face-api")
	if _, err := os.Stat(filepath.Join(dir, "dist", "face-api.js")); err != nil {
		if browsertest.InCI() {
			t.Fatalf("face-api is not installed at %s: run npm ci", dir)
		}
		t.Skipf("face-api is not installed at %s (run npm ci): the face check is not tested", dir)
	}
	b := browsertest.New(t)
	m := NewMain()
	m.Config.Data, m.Config.FaceAPIDir = t.TempDir(), dir
	m.Log = slog.New(slog.DiscardHandler)
	if err := m.Open(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	base := serveMain(t, m)
	w := &proctorWorld{a: m, b: m, urlA: base, urlB: base, pass: "face-pass-1"}
	ctx := context.Background()
	w.cand = mustUser(t, m, "face01", "Fay Candidate", w.pass)
	now := time.Now()
	w.exam = &examhall.Exam{
		Name: "Face-checked exam", BeginTime: now.Add(-time.Hour), EndTime: now.Add(2 * time.Hour),
		AnswerMinutes: 60, PassScore: 60, AllowTimes: 1, IntegralRate: examhall.DefaultIntegralRate,
		Audience: examhall.AudienceAll, Status: examhall.ExamPublished,
		Proctoring: examhall.Proctoring{Enabled: true, SnapshotSeconds: 30, FaceCheck: true},
	}
	must(t, m.DB.CreateExam(ctx, w.exam))
	must(t, m.DB.SetPaper(ctx, w.exam.ID, []*examhall.Question{
		{ID: "q1", Type: examhall.QuestionTrueFalse, Stem: "Ice floats on water.", Score: 100, IsTrue: true},
	}))

	p := b.NewPage(t, "candidate")
	w.signIn(p, base, w.cand.Account)
	id := w.startProctored(t, p)
	if !browsertest.Eval[bool](p, `!!window.faceapi`) {
		t.Fatal("the take page did not load the face detector")
	}
	// The detector runs on the CPU every 3 s and reports an absence of 6 s
	// or more: on a busy machine that takes a while.
	deadline := time.Now().Add(60 * time.Second)
	for {
		recs, _, err := m.DB.FindCheatRecords(ctx, examhall.CheatRecordFilter{ExamID: w.exam.ID, Limit: 10})
		must(t, err)
		if len(recs) == 1 && recs[0].DetectType == string(examhall.SignalNoFace) && recs[0].UserID == w.cand.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cheat records of attempt %s: %+v, want one no_face", id, recs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.WaitText(`[role="alert"]`, "You are not in the picture")
}
