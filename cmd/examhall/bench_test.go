package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"examhall"
	"examhall/internal/burst"
)

// benchRoom is a running room with an invigilator and 30 examinees.
type benchRoom struct {
	m         *Main
	exam      *examhall.Exam
	room      *examhall.Room
	adminTok  string
	examinees []*examhall.User
	tokens    []string
}

func newBenchRoom(b *testing.B) *benchRoom {
	b.Helper()
	ctx := context.Background()
	m := MustOpenMain(b, "")
	br := &benchRoom{m: m}
	admin := &examhall.User{Account: "admin", Name: "Admin", Role: examhall.RoleAdmin}
	must(b, m.DB.CreateUser(ctx, admin))
	now := time.Now()
	br.exam = &examhall.Exam{Name: "bench", BeginTime: now.Add(-time.Hour), EndTime: now.Add(3 * time.Hour),
		AnswerMinutes: 60, PassScore: 60, PaperScore: 100, AllowTimes: 1, IntegralRate: 0.1,
		Audience: examhall.AudienceAll, Status: examhall.ExamPublished}
	must(b, m.DB.CreateExam(ctx, br.exam))
	must(b, m.DB.SetCheatConfig(ctx, &examhall.CheatConfig{ExamID: br.exam.ID, Data: `{"pc":{"manyPeople":true}}`}))
	br.room = &examhall.Room{Name: "bench room", ExamID: br.exam.ID, CreatedBy: admin.ID}
	must(b, m.DB.CreateRoom(ctx, br.room))
	var members []examhall.Member
	for i := range 30 {
		u := &examhall.User{Account: fmt.Sprintf("s%02d", i), Name: fmt.Sprintf("Student %d", i), Role: examhall.RoleExaminee}
		must(b, m.DB.CreateUser(ctx, u))
		br.examinees = append(br.examinees, u)
		members = append(members, examhall.Member{UserID: u.ID, Role: examhall.RoleExaminee})
		tok, err := m.Auth.JoinToken(u, br.room.ID, now.Add(time.Hour))
		must(b, err)
		br.tokens = append(br.tokens, tok)
	}
	must(b, m.DB.AddMembers(ctx, br.room.ID, members))
	tok, err := m.Auth.JoinToken(admin, br.room.ID, now.Add(time.Hour))
	must(b, err)
	br.adminTok = tok
	return br
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// serve runs one request through the whole handler and fails on anything
// but a successful envelope.
func (br *benchRoom) serve(b *testing.B, method, target, token, body string) {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	r.Header.Set("authorization", token)
	w := httptest.NewRecorder()
	br.m.Handler.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"success":true`) {
		b.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body.String())
	}
}

// parallel runs fn on GOMAXPROCS goroutines, each with its own examinee index.
func parallel(b *testing.B, fn func(i int)) {
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1))
		for pb.Next() {
			fn(i)
		}
	})
}

func BenchmarkRoomInfo(b *testing.B) {
	br := newBenchRoom(b)
	target := "/exam/roomInfo?roomId=" + br.room.ID
	parallel(b, func(i int) { br.serve(b, "GET", target, br.tokens[i%30], "") })
}

func BenchmarkUserInfo(b *testing.B) {
	br := newBenchRoom(b)
	parallel(b, func(i int) {
		u := br.examinees[i%30]
		br.serve(b, "GET", "/exam/userInfo?userId="+u.ID+"&roomId="+br.room.ID, br.tokens[i%30], "")
	})
}

func BenchmarkUserList30(b *testing.B) {
	br := newBenchRoom(b)
	target := "/exam/userList?roomId=" + br.room.ID
	parallel(b, func(int) { br.serve(b, "GET", target, br.adminTok, "") })
}

func BenchmarkUpdateRoomAudioStatus(b *testing.B) {
	br := newBenchRoom(b)
	var n atomic.Int64
	parallel(b, func(int) {
		body := fmt.Sprintf(`{"id":%q,"audioStatus":%d}`, br.room.ID, n.Add(1)%2)
		br.serve(b, "POST", "/exam/updateRoomAudioStatus", br.adminTok, body)
	})
}

// cheatBody is an addCheatRecord body with a batch of n records of u.
func cheatBody(exam, room, user string, n int) string {
	var recs []string
	for i := range n {
		recs = append(recs, fmt.Sprintf(`{\"detectTime\":%d,\"isMainMonitor\":true,\"detectType\":\"%d\",\"userId\":\"%s\",\"extraInfo\":\"{222}2\"}`, 1700000000000+i, 11+i%2, user))
	}
	return fmt.Sprintf(`{"examId":%q,"roomId":%q,"data":"[%s]"}`, exam, room, strings.Join(recs, ","))
}

func BenchmarkAddCheatRecord10(b *testing.B) {
	br := newBenchRoom(b)
	bodies := make([]string, 30)
	for i, u := range br.examinees {
		bodies[i] = cheatBody(br.exam.ID, br.room.ID, u.ID, 10)
	}
	start := time.Now()
	parallel(b, func(i int) { br.serve(b, "POST", "/exam/cheat/addCheatRecord", br.tokens[i%30], bodies[i%30]) })
	b.ReportMetric(float64(b.N*10)/time.Since(start).Seconds(), "records/s")
}

func BenchmarkListCheatRecord(b *testing.B) {
	br := newBenchRoom(b)
	ctx := context.Background()
	// 100,000 records in the room; the page query is indexed, so its cost
	// does not grow with the table (docs/performance.md has the 1M figure).
	batch := make([]*examhall.CheatRecord, 1000)
	for range 100 {
		for i := range batch {
			batch[i] = &examhall.CheatRecord{ExamID: br.exam.ID, RoomID: br.room.ID, UserID: br.examinees[i%30].ID,
				DetectType: "11", IsMainMonitor: true, DetectTime: 1700000000000, ExtraInfo: "{222}2"}
		}
		must(b, br.m.DB.CreateCheatRecords(ctx, batch))
	}
	body := fmt.Sprintf(`{"examId":%q,"roomId":%q,"pageSize":20,"scrollToken":"50000"}`, br.exam.ID, br.room.ID)
	parallel(b, func(int) { br.serve(b, "POST", "/exam/cheat/listCheatRecord", br.adminTok, body) })
}

// BenchmarkSubmitBurstHTTP is the store's BenchmarkSubmitParallel burst
// through the whole handler: 200 candidates POST /api/v1/attempts/{id}/submit
// at once (authentication, the ownership check, the submit and the answer's
// JSON), waves 50 ms apart; p50 and p99 in ms. -benchtime 10000x is 50
// waves. With EXAMHALL_TEST_POSTGRES set, on PostgreSQL too.
func BenchmarkSubmitBurstHTTP(b *testing.B) {
	run := func(b *testing.B, m *Main, hooked bool) {
		if hooked {
			// Each submit also writes attempt.submitted and attempt.graded
			// to the outbox (no sender runs).
			must(b, m.DB.CreateWebhook(context.Background(), &examhall.Webhook{URL: "https://hooks.example.com/bench",
				Secret: "0123456789abcdef", Enabled: true}))
		}
		const candidates = 200
		waves := max(1, b.N/candidates)
		ids, tokens := benchInProgress(b, m, waves*candidates)
		reqs, recs := make([]*http.Request, len(ids)), make([]*httptest.ResponseRecorder, len(ids))
		burst.Run(b, waves, candidates, func(i int) {
			reqs[i] = httptest.NewRequest("POST", "/api/v1/attempts/"+ids[i]+"/submit", nil)
			reqs[i].Header.Set("Authorization", "Bearer "+tokens[i])
			recs[i] = httptest.NewRecorder()
		}, func(i int) error {
			m.Handler.ServeHTTP(recs[i], reqs[i])
			if recs[i].Code != http.StatusOK {
				return fmt.Errorf("submit: %d %s", recs[i].Code, recs[i].Body.String())
			}
			return nil
		})
	}
	b.Run("sqlite", func(b *testing.B) { run(b, MustOpenMain(b, ""), false) })
	b.Run("sqlite-hooked", func(b *testing.B) { run(b, MustOpenMain(b, ""), true) })
	if dsn := os.Getenv("EXAMHALL_TEST_POSTGRES"); dsn != "" {
		b.Run("postgres", func(b *testing.B) { run(b, MustOpenMain(b, mustSchema(b, dsn)), false) })
		b.Run("postgres-hooked", func(b *testing.B) { run(b, MustOpenMain(b, mustSchema(b, dsn)), true) })
	}
}

// benchInProgress starts n attempts of a new exam with a 20-question paper,
// each by its own candidate with every question answered, and returns them
// with each candidate's token (a join link's, bound to the exam's room, on
// whose roster they are).
func benchInProgress(b *testing.B, m *Main, n int) (ids, tokens []string) {
	b.Helper()
	ctx := context.Background()
	now := time.Now()
	exam := &examhall.Exam{Name: "submit bench", BeginTime: now.Add(-time.Hour), EndTime: now.Add(3 * time.Hour),
		AnswerMinutes: 120, PassScore: 60, PaperScore: 100, AllowTimes: 1, IntegralRate: 0.1,
		Audience: examhall.AudienceAll, Status: examhall.ExamPublished}
	must(b, m.DB.CreateExam(ctx, exam))
	var qs []*examhall.Question
	var answers []examhall.Answer
	for i := range 20 {
		qs = append(qs, &examhall.Question{ID: fmt.Sprintf("q%02d", i), Type: examhall.QuestionSingle,
			Stem: fmt.Sprintf("Question %d", i), Score: 5, Options: []string{"A", "B", "C", "D"}, Correct: []int{i % 4}})
		answers = append(answers, examhall.Answer{QuestionID: qs[i].ID, Choices: []int{(i / 3) % 4}})
	}
	must(b, m.DB.SetPaper(ctx, exam.ID, qs))
	users := make([]*examhall.User, n)
	for i := range users {
		users[i] = &examhall.User{Account: fmt.Sprintf("c%06d", i), Name: "Candidate", Role: examhall.RoleExaminee}
	}
	must(b, m.DB.ImportUsers(ctx, users))
	room := &examhall.Room{Name: "submit bench", ExamID: exam.ID, CreatedBy: users[0].ID}
	must(b, m.DB.CreateRoom(ctx, room))
	members := make([]examhall.Member, n)
	for i, u := range users {
		members[i] = examhall.Member{UserID: u.ID, Role: examhall.RoleExaminee}
	}
	must(b, m.DB.AddMembers(ctx, room.ID, members))
	for _, u := range users {
		a, err := m.DB.StartAttempt(ctx, exam.ID, u.ID, now)
		must(b, err)
		_, err = m.DB.SaveAnswers(ctx, a.ID, answers, now)
		must(b, err)
		tok, err := m.Auth.JoinToken(u, room.ID, now.Add(time.Hour))
		must(b, err)
		ids, tokens = append(ids, a.ID), append(tokens, tok)
	}
	return ids, tokens
}
