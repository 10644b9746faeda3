package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"examhall"
	"examhall/auth"
)

// staffB is the fixture's exam with staff: an admin, inv1 managing room1
// (alice) and inv2 managing room2 (bob); alice and bob have submitted, so
// their short answers await marking.
type staffB struct {
	*fixture
	admin, inv1, inv2 *examhall.User
	room1, room2      *examhall.Room
	aliceAttempt      string
	bobAttempt        string
	otherExam         *examhall.Exam
}

func mustStaffB(t *testing.T) *staffB {
	t.Helper()
	f := mustFixture(t)
	ctx := context.Background()
	s := &staffB{fixture: f}
	hash, err := auth.HashPassword(f.passwd)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		p       **examhall.User
		account string
		role    examhall.Role
	}{{&s.admin, "root", examhall.RoleAdmin}, {&s.inv1, "inv1", examhall.RoleInvigilator}, {&s.inv2, "inv2", examhall.RoleInvigilator}} {
		*u.p = &examhall.User{Account: u.account, Name: "Staff " + u.account, Role: u.role, PasswordHash: hash}
		if err := f.db.CreateUser(ctx, *u.p); err != nil {
			t.Fatal(err)
		}
	}
	s.room1 = &examhall.Room{Name: "Room 1", ExamID: f.exam.ID, CreatedBy: s.inv1.ID}
	s.room2 = &examhall.Room{Name: "Room 2", ExamID: f.exam.ID, CreatedBy: s.inv2.ID}
	for _, r := range []*examhall.Room{s.room1, s.room2} {
		if err := f.db.CreateRoom(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.db.AddMembers(ctx, s.room1.ID, []examhall.Member{{UserID: f.alice.ID, Role: examhall.RoleExaminee}}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.AddMembers(ctx, s.room2.ID, []examhall.Member{{UserID: f.bob.ID, Role: examhall.RoleExaminee}}); err != nil {
		t.Fatal(err)
	}
	// alice: single right (20) and a short answer; bob: single wrong.
	sit := func(u *examhall.User, choice int, text string) string {
		a, err := f.db.StartAttempt(ctx, f.exam.ID, u.ID, f.now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.SaveAnswers(ctx, a.ID, []examhall.Answer{{QuestionID: "s", Choices: []int{choice}}, {QuestionID: "q", Text: text}}, f.now); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.SubmitAttempt(ctx, a.ID, examhall.SubmitCandidate, f.now); err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	s.aliceAttempt = sit(f.alice, 1, "Because of entropy.")
	s.bobAttempt = sit(f.bob, 0, "No idea.")
	s.otherExam = &examhall.Exam{Name: "Other exam", BeginTime: f.now.Add(-1e12), EndTime: f.now.Add(1e12),
		PassScore: 1, AllowTimes: 1, Audience: examhall.AudienceAll, Status: examhall.ExamPublished}
	if err := f.db.CreateExam(ctx, s.otherExam); err != nil {
		t.Fatal(err)
	}
	return s
}

// as returns a browser signed in as u.
func (s *staffB) as(u *examhall.User) *browser {
	s.t.Helper()
	b := s.browser()
	if res := b.signIn(u.Account, s.passwd, "/"); res.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign in as %s: %d", u.Account, res.StatusCode)
	}
	return b
}

func TestMarkingQueue(t *testing.T) {
	s := mustStaffB(t)
	ctx := context.Background()
	b := s.as(s.inv1)
	status, body := b.get("/marking")
	if status != 200 {
		t.Fatalf("marking index: %d", status)
	}
	mustContain(t, "marking index", body, `data-exam-id="`+s.exam.ID+`"`)

	status, body = b.get("/marking/" + s.exam.ID + "?by=question&q=q&a=" + s.aliceAttempt)
	if status != 200 {
		t.Fatalf("queue: %d\n%s", status, body)
	}
	mustContain(t, "queue", body, "Because of entropy.", `data-progress="0/2"`, `max="20"`, "Candidate")
	// Names hidden: the candidate shows as a number.
	_, hidden := b.get("/marking/" + s.exam.ID + "?by=question&q=q&names=hide")
	if strings.Contains(hidden, "alice") {
		t.Error("names hidden, yet the account shows")
	}

	// Out of range: 400 naming the maximum, nothing written.
	for _, bad := range []string{"25", "-1", "abc", ""} {
		status, _, body := b.send("/marking/"+s.exam.ID+"/"+s.aliceAttempt, url.Values{"by": {"question"}, "q": {"q"}, "score-q": {bad}})
		if status != http.StatusBadRequest {
			t.Errorf("score %q: status %d", bad, status)
		}
		mustContain(t, "bad score "+bad, body, `aria-invalid="true"`, `role="alert"`, "20")
	}
	if a, _ := s.db.FindAttemptByID(ctx, s.aliceAttempt); a.Status != examhall.AttemptMarking {
		t.Fatalf("a refused mark changed the attempt: %s", a.Status)
	}
	// Save and next: on to bob's response.
	status, loc, _ := b.send("/marking/"+s.exam.ID+"/"+s.aliceAttempt, url.Values{"by": {"question"}, "q": {"q"}, "score-q": {"15.5"}})
	if status != http.StatusSeeOther || !strings.Contains(loc, "saved=1") {
		t.Fatalf("save: %d %q", status, loc)
	}
	if a, _ := s.db.FindAttemptByID(ctx, s.aliceAttempt); a.Status != examhall.AttemptMarked || a.Score != 35.5 {
		t.Fatalf("marked attempt: %s %v", a.Status, a.Score)
	}
	_, body = b.get(loc)
	mustContain(t, "next", body, "No idea.", `data-progress="1/2"`, `role="status"`)

	// By candidate: every short answer of one attempt.
	_, body = b.get("/marking/" + s.exam.ID + "?by=candidate")
	mustContain(t, "by candidate", body, `name="score-q"`, "No idea.")

	// Another exam: not the invigilator's.
	if status, _ := b.get("/marking/" + s.otherExam.ID); status != http.StatusForbidden {
		t.Errorf("another exam's queue: %d", status)
	}
	if status, _, _ := b.send("/marking/"+s.otherExam.ID+"/"+s.aliceAttempt, url.Values{"score-q": {"1"}}); status != http.StatusForbidden {
		t.Errorf("marking another exam: %d", status)
	}
	// A candidate: no staff pages.
	c := s.as(s.alice)
	for _, p := range []string{"/marking", "/marking/" + s.exam.ID, "/results/" + s.exam.ID, "/review", "/rooms", "/rooms/" + s.room1.ID + "/review"} {
		if status, _ := c.get(p); status != http.StatusForbidden {
			t.Errorf("candidate %s: %d", p, status)
		}
	}
	// An invigilator: no admin pages.
	if status, _ := b.get("/admin/audio"); status != http.StatusForbidden {
		t.Errorf("invigilator /admin/audio: %d", status)
	}
}

func TestReviewAndResults(t *testing.T) {
	s := mustStaffB(t)
	ctx := context.Background()
	// bob's short answer marked 0, alice's 20; both marked, then alice
	// flagged in room 1.
	for id, m := range map[string]float64{s.aliceAttempt: 20, s.bobAttempt: 0} {
		if _, err := s.db.MarkAttempt(ctx, id, map[string]float64{"q": m}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.db.CreateCheatRecords(ctx, []*examhall.CheatRecord{
		{ExamID: s.exam.ID, RoomID: s.room1.ID, UserID: s.alice.ID, DetectType: "switch", DetectTime: 1_700_000_000_000},
		{ExamID: s.exam.ID, RoomID: s.room1.ID, UserID: s.alice.ID, DetectType: "switch", DetectTime: 1_700_000_001_000},
		{ExamID: s.exam.ID, RoomID: s.room1.ID, UserID: s.alice.ID, DetectType: "noface", DetectTime: 1_700_000_002_000},
	}); err != nil {
		t.Fatal(err)
	}

	b := s.as(s.inv1)
	status, body := b.get("/rooms/" + s.room1.ID + "/review")
	if status != 200 {
		t.Fatalf("review queue: %d", status)
	}
	mustContain(t, "review queue", body, `data-attempt-id="`+s.aliceAttempt+`"`, `data-severity="8"`, "switch × 2")
	// inv2 may not see room 1's review, nor its attempts.
	other := s.as(s.inv2)
	for _, p := range []string{"/rooms/" + s.room1.ID + "/review", "/rooms/" + s.room1.ID + "/review/" + s.aliceAttempt} {
		if status, _ := other.get(p); status != http.StatusForbidden {
			t.Errorf("inv2 %s: %d", p, status)
		}
	}
	// Nor reach room 1's attempt through room 2.
	if status, _ := other.get("/rooms/" + s.room2.ID + "/review/" + s.aliceAttempt); status != http.StatusNotFound {
		t.Errorf("inv2 through room 2: %d", status)
	}

	path := "/rooms/" + s.room1.ID + "/review/" + s.aliceAttempt
	status, body = b.get(path)
	if status != 200 {
		t.Fatalf("review page: %d", status)
	}
	mustContain(t, "review page", body, `data-signal="noface"`, "Because of entropy.", `name="decision"`)
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no decision", url.Values{"comment": {"x"}}, `aria-describedby="decision-err"`},
		{"unknown decision", url.Values{"decision": {"guilty"}}, `aria-describedby="decision-err"`},
		{"violation without comment", url.Values{"decision": {"violation"}}, `aria-describedby="comment-err"`},
	} {
		status, _, body := b.send(path, tt.form)
		if status != http.StatusBadRequest {
			t.Errorf("%s: status %d", tt.name, status)
		}
		mustContain(t, tt.name, body, tt.want, `role="alert"`)
	}
	if _, err := s.db.FindReview(ctx, s.aliceAttempt); examhall.ErrorCode(err) != examhall.ENOTFOUND {
		t.Fatalf("a refused decision was recorded: %v", err)
	}
	status, loc, _ := b.send(path, url.Values{"decision": {"violation"}, "comment": {"Two switches and nobody in view."}})
	if status != http.StatusSeeOther || !strings.HasSuffix(loc, "/review?decided=1") {
		t.Fatalf("decide: %d %q", status, loc)
	}
	r, err := s.db.FindReview(ctx, s.aliceAttempt)
	if err != nil || r.Decision != examhall.DecisionViolation || r.ReviewerID != s.inv1.ID {
		t.Fatalf("review = %+v, %v", r, err)
	}
	_, body = b.get(loc)
	mustContain(t, "queue after", body, `role="status"`, `class="badge bad"`)

	// Publish: without the confirmation nothing happens.
	status, _, body = b.send("/results/"+s.exam.ID+"/publish", nil)
	if status != http.StatusBadRequest {
		t.Errorf("publish unconfirmed: %d", status)
	}
	mustContain(t, "unconfirmed", body, `aria-invalid="true"`, `role="alert"`)
	if a, _ := s.db.FindAttemptByID(ctx, s.bobAttempt); a.Status != examhall.AttemptMarked {
		t.Fatal("published without confirmation")
	}
	status, loc, _ = b.send("/results/"+s.exam.ID+"/publish", url.Values{"confirm": {"yes"}})
	if status != http.StatusSeeOther || !strings.Contains(loc, "published=2") {
		t.Fatalf("publish: %d %q", status, loc)
	}
	// Results: bob only (alice is invalid): 0 + 0 of 100.
	status, body = b.get(loc)
	if status != 200 {
		t.Fatalf("results: %d", status)
	}
	mustContain(t, "results", body, `data-stat="attempts">1<`, `data-stat="mean">0.00<`, `role="img"`, `<title id="hist-title">`,
		`data-count="1"`, `data-question-id="s"`, `id="hist-table"`)
	// Export.
	for _, format := range []string{"csv", "xlsx"} {
		res, err := b.c.Get(s.srv.URL + "/results/" + s.exam.ID + "/export?format=" + format)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || len(data) == 0 || (format == "csv" && !strings.Contains(string(data), "attempts,1")) {
			t.Errorf("export %s: %d\n%s", format, res.StatusCode, data)
		}
	}
	if status, _ := b.get("/results/" + s.exam.ID + "/export?format=pdf"); status != http.StatusBadRequest {
		t.Errorf("export pdf: %d", status)
	}
	// The other exam's results are not inv1's.
	if status, _ := b.get("/results/" + s.otherExam.ID); status != http.StatusForbidden {
		t.Errorf("another exam's results: %d", status)
	}
}

// TestReviewShowsReviewer: the page's header names the signed-in reviewer,
// not the candidate under review.
func TestReviewShowsReviewer(t *testing.T) {
	s := mustStaffB(t)
	b := s.as(s.inv1)
	_, body := b.get("/rooms/" + s.room1.ID + "/review/" + s.aliceAttempt)
	mustContain(t, "review page", body, `<li class="who">Staff inv1`)
}
