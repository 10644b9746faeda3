package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// engineT0 is the start of the test exams' window.
var engineT0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// engineMustDept returns the department at path ("A/B/C"), inserting the
// missing ones along it with raw SQL (the department service is not ours).
func engineMustDept(tb testing.TB, db *DB, path string) string {
	tb.Helper()
	ctx := context.Background()
	parts := strings.Split(path, "/")
	var parent any
	var id string
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		err := db.w.QueryRowContext(ctx, `SELECT id FROM departments WHERE path = $1`, p).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			id = examhall.NewID(6)
			_, err = db.w.ExecContext(ctx, `INSERT INTO departments (id, parent_id, name, path, created_at)
				VALUES ($1, $2, $3, $4, $5)`, id, parent, parts[i], p, ms(engineT0))
		}
		if err != nil {
			tb.Fatalf("dept %q: %v", p, err)
		}
		parent = id
	}
	return id
}

// engineMustUser inserts an examinee in the department at deptPath ("" for
// none) and returns its ID.
func engineMustUser(tb testing.TB, db *DB, deptPath string) string {
	tb.Helper()
	return engineMustUserRole(tb, db, deptPath, examhall.RoleExaminee)
}

// engineMustUserRole inserts a user with the given role.
func engineMustUserRole(tb testing.TB, db *DB, deptPath string, role examhall.Role) string {
	tb.Helper()
	var dept any
	if deptPath != "" {
		dept = engineMustDept(tb, db, deptPath)
	}
	id := examhall.NewID(6)
	_, err := db.w.ExecContext(context.Background(), `INSERT INTO users
		(id, account, account_key, name, role, dept_id, password_hash, disabled, created_at, updated_at)
		VALUES ($1, $2, $2, $3, $4, $5, '', $6, $7, $7)`,
		id, "acct-"+id, "User "+id, string(role), dept, false, ms(engineT0))
	if err != nil {
		tb.Fatalf("user: %v", err)
	}
	return id
}

// engineNewExam returns a valid published exam open to everyone for a week
// from engineT0, changed by mods.
func engineNewExam(mods ...func(*examhall.Exam)) *examhall.Exam {
	e := &examhall.Exam{
		Name:          "会计基础考试A卷",
		BeginTime:     engineT0,
		EndTime:       engineT0.Add(7 * 24 * time.Hour),
		AnswerMinutes: 60,
		PassScore:     60,
		PaperScore:    100,
		AllowTimes:    2,
		IntegralRate:  0.1,
		Audience:      examhall.AudienceAll,
		Status:        examhall.ExamPublished,
	}
	for _, m := range mods {
		m(e)
	}
	return e
}

// engineMustExam creates engineNewExam(mods...).
func engineMustExam(tb testing.TB, db *DB, mods ...func(*examhall.Exam)) *examhall.Exam {
	tb.Helper()
	e := engineNewExam(mods...)
	if err := db.CreateExam(context.Background(), e); err != nil {
		tb.Fatalf("create exam: %v", err)
	}
	return e
}

// engineMustPaper sets the exam's paper.
func engineMustPaper(tb testing.TB, db *DB, examID string, qs ...*examhall.Question) {
	tb.Helper()
	if err := db.SetPaper(context.Background(), examID, qs); err != nil {
		tb.Fatalf("set paper: %v", err)
	}
}

// engineSingle returns a single-choice question.
func engineSingle(id string, score float64, correct int) *examhall.Question {
	return &examhall.Question{ID: id, Type: examhall.QuestionSingle, Stem: "Pick " + id, Score: score,
		Options: []string{"A", "B", "C", "D"}, Correct: []int{correct}}
}

// engineWantCode reports err's code unless it is want.
func engineWantCode(tb testing.TB, what string, err error, want string) {
	tb.Helper()
	if got := examhall.ErrorCode(err); got != want {
		tb.Errorf("%s: code = %q (%v), want %q", what, got, err, want)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCreateExamValidation(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		dept := engineMustDept(t, db, "Acme/Sales")
		user := engineMustUser(t, db, "")
		tests := []struct {
			name string
			mod  func(*examhall.Exam)
			want string
		}{
			{"valid", func(e *examhall.Exam) {}, ""},
			{"no name", func(e *examhall.Exam) { e.Name = "" }, examhall.EINVALID},
			{"end before begin", func(e *examhall.Exam) { e.EndTime = e.BeginTime.Add(-time.Hour) }, examhall.EINVALID},
			{"no times", func(e *examhall.Exam) { e.BeginTime = time.Time{} }, examhall.EINVALID},
			{"zero attempts", func(e *examhall.Exam) { e.AllowTimes = 0 }, examhall.EINVALID},
			{"bad audience", func(e *examhall.Exam) { e.Audience = "everyone" }, examhall.EINVALID},
			{"bad status", func(e *examhall.Exam) { e.Status = "open" }, examhall.EINVALID},
			{"dept audience", func(e *examhall.Exam) {
				e.Audience, e.AudienceDeptIDs = examhall.AudienceDepts, []string{dept}
			}, ""},
			{"unknown dept", func(e *examhall.Exam) {
				e.Audience, e.AudienceDeptIDs = examhall.AudienceDepts, []string{dept, "nope"}
			}, examhall.EINVALID},
			{"user audience", func(e *examhall.Exam) {
				e.Audience, e.AudienceUserIDs = examhall.AudienceUsers, []string{user, user}
			}, ""},
			{"unknown user", func(e *examhall.Exam) {
				e.Audience, e.AudienceUserIDs = examhall.AudienceUsers, []string{"nope"}
			}, examhall.EINVALID},
			{"own id", func(e *examhall.Exam) { e.ID = "d7310f" }, ""},
			{"taken id", func(e *examhall.Exam) { e.ID = "d7310f" }, examhall.ECONFLICT},
			{"id with dash", func(e *examhall.Exam) { e.ID = "a-b" }, examhall.EINVALID},
		}
		for _, tt := range tests {
			e := engineNewExam(tt.mod)
			err := db.CreateExam(ctx, e)
			engineWantCode(t, tt.name, err, tt.want)
			if err != nil {
				continue
			}
			if tt.mod == nil || e.ID == "" {
				t.Errorf("%s: no ID", tt.name)
			}
			if tt.name == "valid" && (len(e.ID) != 12 || strings.Contains(e.ID, "-")) {
				t.Errorf("ID = %q, want 12 hex characters", e.ID)
			}
		}
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM exam_audience_depts`).Scan(&n); err != nil || n != 1 {
			t.Errorf("audience dept rows = %d, %v; want 1 (failed creates leave none)", n, err)
		}
	})
}

func TestExamCRUD(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		dept1 := engineMustDept(t, db, "Acme/Sales")
		dept2 := engineMustDept(t, db, "Acme/R&D")
		clock := engineT0.Add(-24 * time.Hour)
		db.Now = func() time.Time { clock = clock.Add(time.Minute); return clock }

		a := engineMustExam(t, db, func(e *examhall.Exam) {
			e.Name, e.Audience, e.AudienceDeptIDs = "Accounting 100%", examhall.AudienceDepts, []string{dept2, dept1}
			e.CreatedBy = "admin1"
		})
		b := engineMustExam(t, db, func(e *examhall.Exam) { e.Name, e.Status = "Law_B", examhall.ExamDraft })
		c := engineMustExam(t, db, func(e *examhall.Exam) { e.Name = "accounting basics" })

		got, err := db.FindExamByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("FindExamByID mismatch (-want +got):\n%s", diff)
		}
		if want := []string{min(dept1, dept2), max(dept1, dept2)}; !cmp.Equal(got.AudienceDeptIDs, want) {
			t.Errorf("audience = %v, want sorted %v", got.AudienceDeptIDs, want)
		}
		_, err = db.FindExamByID(ctx, "nope")
		engineWantCode(t, "FindExamByID(nope)", err, examhall.ENOTFOUND)

		ids := func(es []*examhall.Exam) []string {
			var out []string
			for _, e := range es {
				out = append(out, e.ID)
			}
			return out
		}
		published := examhall.ExamPublished
		for _, tt := range []struct {
			name      string
			filter    examhall.ExamFilter
			want      []string
			wantTotal int
		}{
			{"all newest first", examhall.ExamFilter{}, []string{c.ID, b.ID, a.ID}, 3},
			{"page", examhall.ExamFilter{Offset: 1, Limit: 1}, []string{b.ID}, 3},
			{"past the end", examhall.ExamFilter{Offset: 5, Limit: 1}, nil, 3},
			{"status", examhall.ExamFilter{Status: &published}, []string{c.ID, a.ID}, 2},
			{"query ignores case", examhall.ExamFilter{Query: "ACCOUNTING"}, []string{c.ID, a.ID}, 2},
			{"query escapes %", examhall.ExamFilter{Query: "100%"}, []string{a.ID}, 1},
			{"query escapes _", examhall.ExamFilter{Query: "w_"}, []string{b.ID}, 1},
			{"id", examhall.ExamFilter{ID: &b.ID}, []string{b.ID}, 1},
		} {
			es, total, err := db.FindExams(ctx, tt.filter)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, ids(es)); diff != "" || total != tt.wantTotal {
				t.Errorf("%s: total %d (want %d), ids (-want +got):\n%s", tt.name, total, tt.wantTotal, diff)
			}
		}
		es, _, _ := db.FindExams(ctx, examhall.ExamFilter{ID: &a.ID})
		if len(es) != 1 || len(es[0].AudienceDeptIDs) != 2 {
			t.Errorf("FindExams does not load audiences: %+v", es)
		}

		// Update: fields, audience switch, and a failing validation changes nothing.
		user := engineMustUser(t, db, "")
		upd, err := db.UpdateExam(ctx, a.ID, examhall.ExamUpdate{
			Name:            ptr("Accounting II"),
			PassScore:       ptr(70.0),
			PaperScore:      ptr(120.0),
			Audience:        ptr(examhall.AudienceUsers),
			AudienceUserIDs: &[]string{user},
			AudienceDeptIDs: &[]string{},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := *a
		want.Name, want.PassScore, want.PaperScore = "Accounting II", 70, 120
		want.Audience, want.AudienceUserIDs, want.AudienceDeptIDs = examhall.AudienceUsers, []string{user}, nil
		want.UpdatedAt = upd.UpdatedAt
		if diff := cmp.Diff(&want, upd); diff != "" {
			t.Errorf("UpdateExam mismatch (-want +got):\n%s", diff)
		}
		if !upd.UpdatedAt.After(a.UpdatedAt) {
			t.Errorf("UpdatedAt %v not after %v", upd.UpdatedAt, a.UpdatedAt)
		}
		got, _ = db.FindExamByID(ctx, a.ID)
		if diff := cmp.Diff(upd, got); diff != "" {
			t.Errorf("stored update mismatch (-want +got):\n%s", diff)
		}
		_, err = db.UpdateExam(ctx, a.ID, examhall.ExamUpdate{Name: ptr("x"), AllowTimes: ptr(0)})
		engineWantCode(t, "invalid update", err, examhall.EINVALID)
		_, err = db.UpdateExam(ctx, a.ID, examhall.ExamUpdate{Name: ptr("x"), AudienceUserIDs: &[]string{"nope"}})
		engineWantCode(t, "unknown audience user", err, examhall.EINVALID)
		got, _ = db.FindExamByID(ctx, a.ID)
		if diff := cmp.Diff(upd, got); diff != "" {
			t.Errorf("failed updates changed the exam (-want +got):\n%s", diff)
		}
		_, err = db.UpdateExam(ctx, "nope", examhall.ExamUpdate{Name: ptr("x")})
		engineWantCode(t, "update unknown", err, examhall.ENOTFOUND)
	})
}

func TestSetPaper(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		e := engineMustExam(t, db)
		if qs, err := db.FindPaper(ctx, e.ID); err != nil || len(qs) != 0 || qs == nil {
			t.Errorf("empty paper = %v, %v; want an empty slice", qs, err)
		}
		_, err := db.FindPaper(ctx, "nope")
		engineWantCode(t, "FindPaper(nope)", err, examhall.ENOTFOUND)

		paper := []*examhall.Question{
			engineSingle("q1", 10, 0),
			{Type: examhall.QuestionTrueFalse, Stem: "The sky is blue", Score: 5, IsTrue: true},
			{Type: examhall.QuestionShort, Stem: "Explain", Score: 12.5},
		}
		engineMustPaper(t, db, e.ID, paper...)
		if paper[1].ID == "" || paper[2].ID == "" || paper[1].ID == paper[2].ID {
			t.Errorf("IDs not given: %q %q", paper[1].ID, paper[2].ID)
		}
		got, err := db.FindPaper(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(paper, got); diff != "" {
			t.Errorf("FindPaper mismatch (-want +got):\n%s", diff)
		}
		ex, _ := db.FindExamByID(ctx, e.ID)
		if ex.PaperScore != 27.5 {
			t.Errorf("PaperScore = %v, want 27.5", ex.PaperScore)
		}
		_, err = db.UpdateExam(ctx, e.ID, examhall.ExamUpdate{PaperScore: ptr(50.0)})
		engineWantCode(t, "PaperScore with a paper", err, examhall.ECONFLICT)
		_, err = db.UpdateExam(ctx, e.ID, examhall.ExamUpdate{PaperScore: ptr(27.5)})
		engineWantCode(t, "unchanged PaperScore with a paper", err, "")

		for _, tt := range []struct {
			name string
			qs   []*examhall.Question
		}{
			{"repeated id", []*examhall.Question{engineSingle("x", 1, 0), engineSingle("x", 1, 1)}},
			{"invalid question", []*examhall.Question{{Type: examhall.QuestionSingle, Stem: "?", Score: 1}}},
			{"zero score", []*examhall.Question{engineSingle("x", 0, 0)}},
		} {
			engineWantCode(t, tt.name, db.SetPaper(ctx, e.ID, tt.qs), examhall.EINVALID)
		}
		engineWantCode(t, "unknown exam", db.SetPaper(ctx, "nope", paper[:1]), examhall.ENOTFOUND)

		// Replacing works until the first attempt; then the paper is frozen.
		engineMustPaper(t, db, e.ID, engineSingle("only", 100, 2))
		if got, _ := db.FindPaper(ctx, e.ID); len(got) != 1 || got[0].ID != "only" {
			t.Errorf("replaced paper = %v", got)
		}
		user := engineMustUser(t, db, "")
		if _, err := db.StartAttempt(ctx, e.ID, user, engineT0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		engineWantCode(t, "SetPaper after attempts", db.SetPaper(ctx, e.ID, paper), examhall.ECONFLICT)
		if got, _ := db.FindPaper(ctx, e.ID); len(got) != 1 {
			t.Errorf("refused SetPaper changed the paper: %v", got)
		}
	})
}

func TestOverrides(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		e := engineMustExam(t, db)
		user := engineMustUser(t, db, "")
		_, err := db.FindOverride(ctx, e.ID, user)
		engineWantCode(t, "no override", err, examhall.ENOTFOUND)

		end := engineT0.Add(10 * 24 * time.Hour)
		o := &examhall.Override{ExamID: e.ID, UserID: user, ExtraAttempts: 1, ExtraMinutes: 30, EndTime: &end}
		if err := db.SetOverride(ctx, o); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindOverride(ctx, e.ID, user)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(o, got); diff != "" {
			t.Errorf("FindOverride mismatch (-want +got):\n%s", diff)
		}
		// Replace.
		begin := engineT0.Add(-time.Hour)
		o2 := &examhall.Override{ExamID: e.ID, UserID: user, BeginTime: &begin}
		if err := db.SetOverride(ctx, o2); err != nil {
			t.Fatal(err)
		}
		got, _ = db.FindOverride(ctx, e.ID, user)
		if diff := cmp.Diff(o2, got); diff != "" {
			t.Errorf("replaced override mismatch (-want +got):\n%s", diff)
		}

		// Listed by user, only the exam's own.
		other := engineMustUser(t, db, "")
		o3 := &examhall.Override{ExamID: e.ID, UserID: other, ExtraMinutes: 5}
		if err := db.SetOverride(ctx, o3); err != nil {
			t.Fatal(err)
		}
		e2 := engineMustExam(t, db)
		if err := db.SetOverride(ctx, &examhall.Override{ExamID: e2.ID, UserID: user, ExtraAttempts: 2}); err != nil {
			t.Fatal(err)
		}
		want := []*examhall.Override{o2, o3}
		slices.SortFunc(want, func(a, b *examhall.Override) int { return strings.Compare(a.UserID, b.UserID) })
		list, err := db.FindOverrides(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, list); diff != "" {
			t.Errorf("FindOverrides mismatch (-want +got):\n%s", diff)
		}
		if list, err := db.FindOverrides(ctx, "nope"); err != nil || len(list) != 0 {
			t.Errorf("FindOverrides(unknown exam) = %v, %v; want none", list, err)
		}

		early := engineT0.Add(-time.Hour)
		for _, tt := range []struct {
			name string
			o    examhall.Override
			want string
		}{
			{"negative", examhall.Override{ExamID: e.ID, UserID: user, ExtraAttempts: -1}, examhall.EINVALID},
			{"window inverted", examhall.Override{ExamID: e.ID, UserID: user, EndTime: &early}, examhall.EINVALID},
			{"unknown user", examhall.Override{ExamID: e.ID, UserID: "nope"}, examhall.EINVALID},
			{"unknown exam", examhall.Override{ExamID: "nope", UserID: user}, examhall.ENOTFOUND},
		} {
			engineWantCode(t, tt.name, db.SetOverride(ctx, &tt.o), tt.want)
		}

		if err := db.DeleteOverride(ctx, e.ID, user); err != nil {
			t.Fatal(err)
		}
		engineWantCode(t, "delete twice", db.DeleteOverride(ctx, e.ID, user), examhall.ENOTFOUND)
		_, err = db.FindOverride(ctx, e.ID, user)
		engineWantCode(t, "deleted", err, examhall.ENOTFOUND)
	})
}

func TestFindUserExams(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		now := engineT0.Add(24 * time.Hour)
		sales := engineMustDept(t, db, "Acme/Sales Center")
		engineMustDept(t, db, "Acme/Sales Center/Sales")
		rd := engineMustDept(t, db, "Acme/R&D")
		// A sibling whose name extends "Sales Center" must not count as below it.
		engineMustDept(t, db, "Acme/Sales Center 2")
		me := engineMustUser(t, db, "Acme/Sales Center/Sales")
		other := engineMustUser(t, db, "Acme/Sales Center 2")
		invigilator := engineMustUserRole(t, db, "Acme/Sales Center/Sales", examhall.RoleInvigilator)

		at := func(d time.Duration) time.Time { return engineT0.Add(d) }
		mk := func(name string, begin time.Duration, mod func(*examhall.Exam)) *examhall.Exam {
			return engineMustExam(t, db, func(e *examhall.Exam) {
				e.Name, e.BeginTime, e.EndTime = name, at(begin), at(begin+72*time.Hour)
				if mod != nil {
					mod(e)
				}
			})
		}
		all := mk("all", 0, nil)
		subtree := mk("subtree", time.Hour, func(e *examhall.Exam) {
			e.Audience, e.AudienceDeptIDs = examhall.AudienceDepts, []string{sales}
		})
		mk("other dept", 2*time.Hour, func(e *examhall.Exam) {
			e.Audience, e.AudienceDeptIDs = examhall.AudienceDepts, []string{rd}
		})
		listed := mk("listed", 3*time.Hour, func(e *examhall.Exam) {
			e.Audience, e.AudienceUserIDs = examhall.AudienceUsers, []string{me, invigilator}
		})
		mk("draft", 4*time.Hour, func(e *examhall.Exam) { e.Status = examhall.ExamDraft })
		over := mk("over", -96*time.Hour, nil)
		later := mk("later", 48*time.Hour, nil)
		used := mk("used up", 5*time.Hour, func(e *examhall.Exam) { e.AllowTimes = 1 })
		taking := mk("taking", 5*time.Hour+30*time.Minute, func(e *examhall.Exam) { e.AllowTimes = 1 })

		// Use up "used up" (then an override gives one more), and extend
		// "over" for me only.
		a, err := db.StartAttempt(ctx, used.ID, me, at(6*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SubmitAttempt(ctx, a.ID, "", at(7*time.Hour)); err != nil {
			t.Fatal(err)
		}
		// "taking" has no attempts left but one in progress: listed, to resume.
		current, err := db.StartAttempt(ctx, taking.ID, me, at(23*time.Hour+30*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		names := func(ues []*examhall.UserExam) []string {
			var out []string
			for _, ue := range ues {
				out = append(out, ue.Exam.Name)
			}
			return out
		}
		check := func(name, user string, offset, limit int, want []string, wantTotal int) []*examhall.UserExam {
			t.Helper()
			got, total, err := db.FindUserExams(ctx, user, now, offset, limit)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if diff := cmp.Diff(want, names(got)); diff != "" || total != wantTotal {
				t.Errorf("%s: total %d (want %d), names (-want +got):\n%s", name, total, wantTotal, diff)
			}
			return got
		}
		got := check("me", me, 0, 0, []string{"all", "subtree", "listed", "taking", "later"}, 5)
		if ue := got[3]; ue.InProgress != current.ID || ue.Used != 1 || ue.AllowTimes != 1 {
			t.Errorf("taking: InProgress %q Used %d AllowTimes %d, want %q, 1, 1", ue.InProgress, ue.Used, ue.AllowTimes, current.ID)
		}
		if got[0].InProgress != "" {
			t.Errorf("all: InProgress %q, want none", got[0].InProgress)
		}
		check("other dept's sibling", other, 0, 0, []string{"all", "used up", "taking", "later"}, 4)
		check("invigilator: listed only", invigilator, 0, 0, []string{"listed"}, 1)
		check("page", me, 1, 2, []string{"subtree", "listed"}, 5)
		check("past the end", me, 9, 2, nil, 5)

		if err := db.SetOverride(ctx, &examhall.Override{ExamID: used.ID, UserID: me, ExtraAttempts: 1}); err != nil {
			t.Fatal(err)
		}
		newEnd, newBegin := at(48*time.Hour), at(-96*time.Hour+30*time.Minute)
		if err := db.SetOverride(ctx, &examhall.Override{ExamID: over.ID, UserID: me,
			BeginTime: &newBegin, EndTime: &newEnd, ExtraMinutes: 15}); err != nil {
			t.Fatal(err)
		}
		got = check("after overrides", me, 0, 0, []string{"over", "all", "subtree", "listed", "used up", "taking", "later"}, 7)
		if ue := got[0]; !ue.Exam.BeginTime.Equal(newBegin) || !ue.Exam.EndTime.Equal(newEnd) ||
			ue.Exam.AnswerMinutes != 75 || ue.AllowTimes != 2 || ue.Used != 0 {
			t.Errorf("over: %+v %+v, want the overridden rules", ue, ue.Exam)
		}
		if ue := got[4]; ue.AllowTimes != 2 || ue.Used != 1 {
			t.Errorf("used up: AllowTimes %d Used %d, want 2 and 1", ue.AllowTimes, ue.Used)
		}
		if got[1].Exam.ID != all.ID || got[2].Exam.ID != subtree.ID || got[3].Exam.ID != listed.ID || got[6].Exam.ID != later.ID {
			t.Errorf("unexpected exam ids")
		}
		_, _, err = db.FindUserExams(ctx, "nope", now, 0, 10)
		engineWantCode(t, "unknown user", err, examhall.ENOTFOUND)
	})
}
