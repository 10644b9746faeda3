package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"examhall"
	"examhall/auth"
	"examhall/client"
)

// TestClient drives a whole exam through the Go client: an admin sets it
// up, an examinee takes it, and the grades come out of both APIs.
func TestClient(t *testing.T) {
	testMains(t, func(t *testing.T, m *Main) {
		ctx := context.Background()
		ts := httptest.NewServer(m.Handler)
		t.Cleanup(ts.Close)

		hash, err := auth.HashPassword("admin-password")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.DB.CreateUser(ctx, &examhall.User{Account: "root", Name: "Root", Role: examhall.RoleAdmin, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}

		// Without a token the API refuses.
		anon := client.New(ts.URL + "/")
		if _, err := anon.Me(ctx); examhall.ErrorCode(err) != examhall.EUNAUTHORIZED {
			t.Fatalf("Me without a token: err %v, want code %s", err, examhall.EUNAUTHORIZED)
		}
		if _, err := anon.Login(ctx, "root", "wrong-password"); examhall.ErrorCode(err) != examhall.EUNAUTHORIZED {
			t.Fatalf("Login with a wrong password: err %v, want code %s", err, examhall.EUNAUTHORIZED)
		}

		admin := client.New(ts.URL, client.WithHTTPClient(ts.Client()))
		sess, err := admin.Login(ctx, "root", "admin-password")
		if err != nil {
			t.Fatal(err)
		}
		if sess.Token == "" || !sess.Expire.After(time.Now()) || admin.SessionToken() != sess.Token {
			t.Fatalf("Login: %+v, client token %q", sess, admin.SessionToken())
		}
		me, err := admin.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if me.Account != "root" || me.Role != examhall.RoleAdmin || me.RoomID != "" {
			t.Errorf("Me: %+v, want root, admin, no room", me)
		}

		dept, err := admin.CreateDepartment(ctx, "Physics", "")
		if err != nil {
			t.Fatal(err)
		}
		if dept.ID == "" || dept.Path != "Physics" {
			t.Errorf("CreateDepartment: %+v", dept)
		}
		alice, err := admin.CreateUser(ctx, client.UserCreate{
			Account: "alice", Name: "Alice", Role: examhall.RoleExaminee, DeptID: dept.ID, Password: "alice-password",
		})
		if err != nil {
			t.Fatal(err)
		}
		if alice.ID == "" || alice.DeptID != dept.ID {
			t.Errorf("CreateUser: %+v", alice)
		}
		users, total, err := admin.ListUsers(ctx, client.UserFilter{Role: examhall.RoleExaminee, DeptID: dept.ID})
		if err != nil {
			t.Fatal(err)
		}
		if total != 1 || len(users) != 1 || users[0].ID != alice.ID {
			t.Errorf("ListUsers: %d users of %d, want alice alone", len(users), total)
		}
		_, err = admin.CreateUser(ctx, client.UserCreate{Account: "alice", Name: "Other", Role: examhall.RoleExaminee})
		var herr *examhall.Error
		if examhall.ErrorCode(err) != examhall.ECONFLICT || !errors.As(err, &herr) || herr.Message == "" {
			t.Errorf("CreateUser with a taken account: err %v, want an *examhall.Error with code %s", err, examhall.ECONFLICT)
		}

		now := time.Now()
		exam, err := admin.CreateExam(ctx, client.ExamRequest{
			Name:          new("Mechanics"),
			BeginTime:     new(now.Add(-time.Hour)),
			EndTime:       new(now.Add(time.Hour)),
			AnswerMinutes: new(30),
			PassScore:     new(6.0),
		})
		if err != nil {
			t.Fatal(err)
		}
		if exam.Status != examhall.ExamDraft || exam.AllowTimes != 1 || !strings.HasSuffix(exam.EntryURL, "/v5/exam/"+exam.ID) {
			t.Errorf("CreateExam: %+v", exam)
		}
		if _, err := admin.PublishExam(ctx, exam.ID); examhall.ErrorCode(err) != examhall.ECONFLICT {
			t.Errorf("PublishExam without a paper: err %v, want code %s", err, examhall.ECONFLICT)
		}
		paper, err := admin.SetPaper(ctx, exam.ID, []*examhall.Question{
			{Type: examhall.QuestionSingle, Stem: "g on Earth?", Score: 4, Options: []string{"1.6", "9.8", "24.8"}, Correct: []int{1}},
			{Type: examhall.QuestionMultiple, Stem: "Vectors?", Score: 3, Options: []string{"mass", "force", "velocity"}, Correct: []int{1, 2}},
			{Type: examhall.QuestionTrueFalse, Stem: "Heavier bodies fall faster.", Score: 3, IsTrue: false},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(paper) != 3 || paper[0].ID == "" {
			t.Fatalf("SetPaper: %d questions, first ID %q", len(paper), paper[0].ID)
		}
		exam, err = admin.PublishExam(ctx, exam.ID)
		if err != nil {
			t.Fatal(err)
		}
		if exam.Status != examhall.ExamPublished || exam.PaperScore != 10 {
			t.Errorf("PublishExam: status %s, paper score %v; want published, 10", exam.Status, exam.PaperScore)
		}

		room, err := admin.CreateRoom(ctx, "Room 1", exam.ID)
		if err != nil {
			t.Fatal(err)
		}
		members, err := admin.AddMembers(ctx, room.ID, []client.NewMember{{UserID: alice.ID, Role: examhall.RoleExaminee}})
		if err != nil {
			t.Fatal(err)
		}
		if len(members) != 1 || members[0].Account != "alice" {
			t.Errorf("AddMembers: %+v", members)
		}
		links, err := admin.JoinLinks(ctx, room.ID)
		if err != nil {
			t.Fatal(err)
		}
		if links.Total != 1 || len(links.Items) != 1 || links.Items[0].UserID != alice.ID || !strings.Contains(links.Items[0].URL, "token=") || links.Expire.IsZero() {
			t.Errorf("JoinLinks: %+v", links)
		}

		// The examinee takes the exam.
		exa := client.New(ts.URL)
		if _, err := exa.Login(ctx, "alice", "alice-password"); err != nil {
			t.Fatal(err)
		}
		mine, total, err := exa.MyExams(ctx, client.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if total != 1 || len(mine) != 1 || mine[0].ID != exam.ID || mine[0].AllowTimes != 1 || mine[0].Used != 0 {
			t.Fatalf("MyExams: %d of %d: %+v", len(mine), total, mine)
		}
		att, err := exa.StartAttempt(ctx, exam.ID)
		if err != nil {
			t.Fatal(err)
		}
		if att.Status != examhall.AttemptInProgress || att.RemainingSeconds <= 0 || len(att.Questions) != 3 || att.Exam == nil {
			t.Fatalf("StartAttempt: %+v", att)
		}
		// The one attempt allowed is in progress: the exam stays listed, to resume.
		if mine, _, err := exa.MyExams(ctx, client.Page{}); err != nil || len(mine) != 1 || mine[0].AttemptID != att.ID || mine[0].Used != 1 {
			t.Fatalf("MyExams while taking it: %+v, %v; want attempt %s", mine, err, att.ID)
		}
		got, err := exa.GetAttempt(ctx, att.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != att.ID || len(got.Questions) != 3 || got.Score != nil {
			t.Errorf("GetAttempt: %+v", got)
		}
		byStem := map[string]client.PaperQuestion{}
		for _, q := range got.Questions {
			byStem[q.Stem] = q
		}
		if q := byStem["g on Earth?"]; len(q.Options) != 3 || q.Score != 4 {
			t.Errorf("GetAttempt: single-choice question %+v", q)
		}
		// The wire carries no answers either.
		if body := rawGet(t, ts.URL+"/api/v1/attempts/"+att.ID, exa.SessionToken()); strings.Contains(body, `"correct"`) || strings.Contains(body, `"isTrue"`) {
			t.Errorf("GET /attempts/{id} leaks answers: %s", body)
		}

		yes := true
		saved, err := exa.SaveAnswers(ctx, att.ID, []examhall.Answer{
			{QuestionID: paper[0].ID, Choices: []int{1}},
			{QuestionID: paper[1].ID, Choices: []int{1, 2}},
			{QuestionID: paper[2].ID, Bool: &yes}, // wrong
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(saved.Answers) != 3 || saved.SavedAt.IsZero() {
			t.Errorf("SaveAnswers: %d answers, savedAt %v", len(saved.Answers), saved.SavedAt)
		}
		if _, err := exa.SaveAnswers(ctx, att.ID, []examhall.Answer{{QuestionID: "nope", Choices: []int{0}}}); examhall.ErrorCode(err) != examhall.EINVALID {
			t.Errorf("SaveAnswers for an unknown question: err %v, want code %s", err, examhall.EINVALID)
		}
		done, err := exa.SubmitAttempt(ctx, att.ID)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != examhall.AttemptPublished || done.Score == nil || *done.Score != 7 || done.Passed == nil || !*done.Passed {
			t.Fatalf("SubmitAttempt: status %s, score %v, passed %v; want published, 7, true", done.Status, done.Score, done.Passed)
		}
		if mine, _, err := exa.MyExams(ctx, client.Page{}); err != nil || len(mine) != 0 {
			t.Fatalf("MyExams with no attempts left: %+v, %v; want none", mine, err)
		}

		// An accommodation gives alice a second attempt and more time.
		o, err := admin.SetOverride(ctx, exam.ID, alice.ID, client.OverrideRequest{ExtraAttempts: 1, ExtraMinutes: 15})
		if err != nil {
			t.Fatal(err)
		}
		if o.ExamID != exam.ID || o.UserID != alice.ID || o.ExtraAttempts != 1 || o.ExtraMinutes != 15 {
			t.Errorf("SetOverride: %+v", o)
		}
		if _, err := exa.SetOverride(ctx, exam.ID, alice.ID, client.OverrideRequest{ExtraAttempts: 5}); examhall.ErrorCode(err) != examhall.EFORBIDDEN {
			t.Errorf("SetOverride as the examinee: err %v, want code %s", err, examhall.EFORBIDDEN)
		}
		if list, err := admin.ListOverrides(ctx, exam.ID); err != nil || len(list) != 1 || *list[0] != *o {
			t.Errorf("ListOverrides: %+v, %v; want %+v", list, err, o)
		}
		if mine, _, err := exa.MyExams(ctx, client.Page{}); err != nil || len(mine) != 1 || mine[0].AllowTimes != 2 || mine[0].Used != 1 || mine[0].AttemptID != "" {
			t.Errorf("MyExams after the override: %+v, %v; want 2 allowed, 1 used, none in progress", mine, err)
		}
		if err := admin.DeleteOverride(ctx, exam.ID, alice.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.GetOverride(ctx, exam.ID, alice.ID); examhall.ErrorCode(err) != examhall.ENOTFOUND {
			t.Errorf("GetOverride after DeleteOverride: err %v, want code %s", err, examhall.ENOTFOUND)
		}

		if _, err := exa.CreateDepartment(ctx, "Chemistry", ""); examhall.ErrorCode(err) != examhall.EFORBIDDEN {
			t.Errorf("CreateDepartment as an examinee: err %v, want code %s", err, examhall.EFORBIDDEN)
		}

		grades, total, err := admin.Grades(ctx, exam.ID, client.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if total != 1 || len(grades) != 1 || grades[0].ID != att.ID || grades[0].Rank != 1 || grades[0].Score != 7 || grades[0].UserAccount != "alice" {
			t.Fatalf("Grades: %d of %d: %+v", len(grades), total, grades)
		}

		// The open API.
		app, err := admin.CreateApp(ctx, "HR system")
		if err != nil {
			t.Fatal(err)
		}
		if app.ID == "" || app.Secret == "" {
			t.Fatalf("CreateApp: %+v", app)
		}
		if _, err := anon.Token(ctx, app.ID, "wrong"); openCode(err) != "40003" {
			t.Errorf("Token with a wrong secret: err %v, want errcode 40003", err)
		}
		tok, err := anon.Token(ctx, app.ID, app.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Token == "" || tok.ExpiresIn <= 0 {
			t.Fatalf("Token: %+v", tok)
		}
		list, err := anon.ExamList(ctx, tok.Token, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if list.TotalCount != 1 || list.CurrentPageIndex != 1 || len(list.Items) != 1 {
			t.Fatalf("ExamList: %+v", list)
		}
		want := client.ExamListItem{
			ExamID: exam.ID, ExamName: "Mechanics",
			BeginTime: exam.BeginTime.Format(examhall.MinuteLayout), EndTime: exam.EndTime.Format(examhall.MinuteLayout),
			ExamTime: "30", PassScore: "6", PaperScore: "10", AttendNum: "1", PassNum: "1",
			MaxScore: "7.0", AvgScore: "7.0", MinScore: "7.0",
			CreatTime: exam.CreatedAt.Format(examhall.SecondLayout), ExamURL: exam.EntryURL,
		}
		if list.Items[0] != want {
			t.Errorf("ExamList item:\n got %+v\nwant %+v", list.Items[0], want)
		}
		gp, err := anon.ExamGrades(ctx, tok.Token, exam.ID, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if gp.ExamID != exam.ID || gp.TotalCount != 1 || gp.PageSize != 10 || len(gp.Items) != 1 {
			t.Fatalf("ExamGrades: %+v", gp)
		}
		if g := gp.Items[0]; g.GradeID != att.ID || g.Account != "alice" || g.DeptName != "Physics" || g.GradeScore != "7.0" ||
			g.Order != "1" || g.IsPass != "Y" || g.PaperScore != "10.0" || g.Status != examhall.PublishedLabel {
			t.Errorf("ExamGrades item: %+v", g)
		}
		ue, err := anon.UserExams(ctx, tok.Token, "alice", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ue.CurrentPageIndex != 1 || len(ue.Items) != ue.TotalCount {
			t.Errorf("UserExams: %+v", ue)
		}
		if _, err := anon.UserExams(ctx, tok.Token, "nobody", 0, 0); openCode(err) != "40502" {
			t.Errorf("UserExams of an unknown account: err %v, want errcode 40502", err)
		}
		_, err = anon.ExamGrades(ctx, tok.Token, "no-such-exam", 0, 0)
		var oerr *client.OpenAPIError
		if !errors.As(err, &oerr) || oerr.Code != "40803" || oerr.Message == "" {
			t.Errorf("ExamGrades of an unknown exam: err %v, want *client.OpenAPIError 40803", err)
		}
		if _, err := anon.ExamList(ctx, "bad-token", 0, 0); openCode(err) != "40002" {
			t.Errorf("ExamList with a bad token: err %v, want errcode 40002", err)
		}
	})
}

// openCode returns the errcode of an *client.OpenAPIError, "" for others.
func openCode(err error) string {
	var e *client.OpenAPIError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// rawGet returns the body of an authenticated GET.
func rawGet(t *testing.T, url, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, err %v", url, resp.StatusCode, err)
	}
	return string(b)
}
