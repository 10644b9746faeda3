package store

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"examhall"
)

// reviewInsert inserts a closed attempt with the given status and marks
// (its score their sum) with raw SQL.
func reviewInsert(tb testing.TB, db *DB, e *examhall.Exam, userID string, status examhall.AttemptStatus, marks map[string]float64) string {
	tb.Helper()
	id := examhall.NewID(16)
	var score float64
	for _, m := range marks {
		score += m
	}
	body, err := jsonObject(marks)
	if err != nil {
		tb.Fatal(err)
	}
	begin := engineT0.Add(time.Hour)
	end := int64(0)
	if status != examhall.AttemptInProgress {
		end = ms(begin.Add(10 * time.Minute))
	}
	_, err = db.w.ExecContext(context.Background(), `INSERT INTO attempts (id, exam_id, user_id, seq, status,
		begin_time, deadline, end_time, used_seconds, score, passed, integral, seed, marks)
		VALUES ($1, $2, $3, 1, $4, $5, $6, $7, 600, $8, $9, 0, 1, $10)`,
		id, e.ID, userID, string(status), ms(begin), ms(begin.Add(time.Hour)), end, score, e.Passed(score), body)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// reviewFixture is an exam of two 10-point questions (pass 12) with four
// published attempts: A 10+10, B 10+5 (both in Acme/X), C 0+5 (Acme/Y),
// D 0+0 (no department).
type reviewFixture struct {
	exam       *examhall.Exam
	a, b, c, d string // attempt IDs
	users      map[string]string
}

func mustReviewFixture(t *testing.T, db *DB) *reviewFixture {
	t.Helper()
	ctx := context.Background()
	e := engineMustExam(t, db, func(e *examhall.Exam) { e.PassScore = 12 })
	engineMustPaper(t, db, e.ID, engineSingle("q1", 10, 0),
		&examhall.Question{ID: "q2", Type: examhall.QuestionShort, Stem: "Explain", Score: 10})
	f := &reviewFixture{exam: e, users: map[string]string{}}
	for _, r := range []struct {
		id     *string
		dept   string
		q1, q2 float64
	}{{&f.a, "Acme/X", 10, 10}, {&f.b, "Acme/X", 10, 5}, {&f.c, "Acme/Y", 0, 5}, {&f.d, "", 0, 0}} {
		u := engineMustUser(t, db, r.dept)
		*r.id = reviewInsert(t, db, e, u, examhall.AttemptMarked, map[string]float64{"q1": r.q1, "q2": r.q2})
		f.users[*r.id] = u
	}
	if n, err := db.PublishAttempts(ctx, e.ID, nil); err != nil || n != 4 {
		t.Fatalf("publish: %d, %v", n, err)
	}
	return f
}

var approx = cmpopts.EquateApprox(0, 1e-6)

func TestFindResults(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		f := mustReviewFixture(t, db)
		// Scores 20, 15, 5, 0: mean 10, median (15+5)/2, SD sqrt(250/4).
		// Item q1 marks 10,10,0,0 against totals 20,15,5,0:
		// r = (4·350 − 20·40) / sqrt((4·200 − 400)(4·650 − 1600)) = 600/sqrt(400000).
		// q2 marks 10,5,5,0: r = (4·300 − 800) / sqrt((600 − 400)·1000) = 400/sqrt(200000).
		want := &examhall.Results{
			ExamID: f.exam.ID, Attempts: 4, Passed: 2, Mean: 10, Median: 10, SD: math.Sqrt(62.5),
			Max: 20, Min: 0, PaperScore: 20,
			Buckets: []int{1, 0, 1, 0, 0, 0, 0, 1, 0, 1},
			Items: []examhall.ItemStats{
				{QuestionID: "q1", N: 4, Mean: 5, Facility: 0.5, Discrimination: 600 / math.Sqrt(400000)},
				{QuestionID: "q2", N: 4, Mean: 5, Facility: 0.5, Discrimination: 400 / math.Sqrt(200000)},
			},
			Departments: []examhall.DeptStats{
				{DeptPath: "", Attempts: 1, Passed: 0, Mean: 0},
				{DeptPath: "Acme/X", Attempts: 2, Passed: 2, Mean: 17.5},
				{DeptPath: "Acme/Y", Attempts: 1, Passed: 0, Mean: 5},
			},
		}
		for i := range 2 { // computed, then from exam_results
			got, err := db.FindResults(ctx, f.exam.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(want, got, approx); diff != "" {
				t.Errorf("read %d: results (-want +got):\n%s", i, diff)
			}
		}

		// A violation on A leaves 15, 5, 0 (one pass).
		if err := db.SetReview(ctx, &examhall.Review{AttemptID: f.a, Decision: examhall.DecisionViolation,
			Comment: "phone", ReviewerID: f.users[f.b]}); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindResults(ctx, f.exam.ID)
		if err != nil {
			t.Fatal(err)
		}
		// q1: marks 10,0,0, totals 15,5,0: (3·150 − 10·20)/sqrt((300 − 100)(750 − 400)).
		want2 := &examhall.Results{
			ExamID: f.exam.ID, Attempts: 3, Passed: 1, Mean: 20.0 / 3, Median: 5,
			SD: math.Sqrt(250.0/3 - 400.0/9), Max: 15, Min: 0, PaperScore: 20,
			Buckets: []int{1, 0, 1, 0, 0, 0, 0, 1, 0, 0},
			Items: []examhall.ItemStats{
				{QuestionID: "q1", N: 3, Mean: 10.0 / 3, Facility: 1.0 / 3, Discrimination: 250 / math.Sqrt(70000)},
				// q2: 5,5,0 vs 15,5,0: (3·100 − 10·20)/sqrt((150 − 100)·350).
				{QuestionID: "q2", N: 3, Mean: 10.0 / 3, Facility: 1.0 / 3, Discrimination: 100 / math.Sqrt(17500)},
			},
			Departments: []examhall.DeptStats{
				{DeptPath: "", Attempts: 1, Passed: 0, Mean: 0},
				{DeptPath: "Acme/X", Attempts: 1, Passed: 1, Mean: 15},
				{DeptPath: "Acme/Y", Attempts: 1, Passed: 0, Mean: 5},
			},
		}
		if diff := gocmp.Diff(want2, got, approx); diff != "" {
			t.Errorf("after the violation: results (-want +got):\n%s", diff)
		}

		if _, err := db.FindResults(ctx, "nope"); examhall.ErrorCode(err) != examhall.ENOTFOUND {
			t.Errorf("unknown exam: %v", err)
		}
		empty := engineMustExam(t, db)
		if r, err := db.FindResults(ctx, empty.ID); err != nil || r.Attempts != 0 || r.SD != 0 || len(r.Buckets) != 10 {
			t.Errorf("empty exam: %+v, %v", r, err)
		}
	})
}

// TestReviewInvalidates: a violation takes the attempt out of grades, ranks
// and statistics, keeps its score, and another decision puts it back.
func TestReviewInvalidates(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		f := mustReviewFixture(t, db)
		check := func(what string, wantIDs []string, wantStats examhall.ExamStats) {
			t.Helper()
			grades, total, err := db.FindGrades(ctx, f.exam.ID, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for i, g := range grades {
				ids = append(ids, g.ID)
				if g.Rank != i+1 {
					t.Errorf("%s: %s rank %d, want %d", what, g.ID, g.Rank, i+1)
				}
				if r, err := db.FindRank(ctx, g.ID); err != nil || r != i+1 {
					t.Errorf("%s: FindRank(%s) = %d, %v; want %d", what, g.ID, r, err, i+1)
				}
			}
			if diff := gocmp.Diff(wantIDs, ids); diff != "" || total != len(wantIDs) {
				t.Errorf("%s: total %d, grades (-want +got):\n%s", what, total, diff)
			}
			stats, err := db.FindExamStats(ctx, []string{f.exam.ID})
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(wantStats, stats[f.exam.ID]); diff != "" {
				t.Errorf("%s: stats (-want +got):\n%s", what, diff)
			}
		}
		check("before", []string{f.a, f.b, f.c, f.d}, examhall.ExamStats{AttendNum: 4, PassNum: 2, MaxScore: 20, AvgScore: 10, MinScore: 0})

		reviewer := engineMustUserRole(t, db, "", examhall.RoleInvigilator)
		r := &examhall.Review{AttemptID: f.b, Decision: examhall.DecisionViolation, Comment: "a second person", ReviewerID: reviewer}
		if err := db.SetReview(ctx, r); err != nil {
			t.Fatal(err)
		}
		check("B violation", []string{f.a, f.c, f.d}, examhall.ExamStats{AttendNum: 3, PassNum: 1, MaxScore: 20, AvgScore: 8.33, MinScore: 0})
		if rank, err := db.FindRank(ctx, f.b); err != nil || rank != 0 {
			t.Errorf("rank of the invalid attempt = %d, %v; want 0", rank, err)
		}
		a, err := db.FindAttemptByID(ctx, f.b)
		if err != nil || !a.Invalid || a.Score != 15 || a.Status != examhall.AttemptPublished {
			t.Errorf("invalid attempt = %+v, %v; want invalid with its score 15 kept", a, err)
		}
		got, err := db.FindReview(ctx, f.b)
		if err != nil {
			t.Fatal(err)
		}
		wantReview := &examhall.Review{AttemptID: f.b, Decision: examhall.DecisionViolation, Comment: "a second person",
			ReviewerID: reviewer, ReviewerName: "User " + reviewer, DecidedAt: r.DecidedAt}
		if diff := gocmp.Diff(wantReview, got); diff != "" || r.DecidedAt.IsZero() {
			t.Errorf("review (-want +got):\n%s", diff)
		}

		// A and D too: max and min follow.
		for _, id := range []string{f.a, f.d} {
			if err := db.SetReview(ctx, &examhall.Review{AttemptID: id, Decision: examhall.DecisionViolation, Comment: "x", ReviewerID: reviewer}); err != nil {
				t.Fatal(err)
			}
		}
		check("A, B, D violations", []string{f.c}, examhall.ExamStats{AttendNum: 1, PassNum: 0, MaxScore: 5, AvgScore: 5, MinScore: 5})

		// Suspicious and clear put them back; deciding the same twice changes nothing.
		for _, d := range []examhall.Decision{examhall.DecisionSuspicious, examhall.DecisionClear, examhall.DecisionClear} {
			for _, id := range []string{f.a, f.b, f.d} {
				if err := db.SetReview(ctx, &examhall.Review{AttemptID: id, Decision: d, ReviewerID: reviewer}); err != nil {
					t.Fatal(err)
				}
			}
		}
		check("cleared", []string{f.a, f.b, f.c, f.d}, examhall.ExamStats{AttendNum: 4, PassNum: 2, MaxScore: 20, AvgScore: 10, MinScore: 0})

		// Decided while marked: it stays out when published.
		e := reviewInsert(t, db, f.exam, engineMustUser(t, db, ""), examhall.AttemptMarked, map[string]float64{"q1": 10, "q2": 9})
		if err := db.SetReview(ctx, &examhall.Review{AttemptID: e, Decision: examhall.DecisionViolation, Comment: "notes", ReviewerID: reviewer}); err != nil {
			t.Fatal(err)
		}
		if n, err := db.PublishAttempts(ctx, f.exam.ID, nil); err != nil || n != 1 {
			t.Fatalf("publish: %d, %v", n, err)
		}
		check("violation before publishing", []string{f.a, f.b, f.c, f.d}, examhall.ExamStats{AttendNum: 4, PassNum: 2, MaxScore: 20, AvgScore: 10, MinScore: 0})
		// A pass-score change recounts passes among valid attempts only.
		if _, err := db.UpdateExam(ctx, f.exam.ID, examhall.ExamUpdate{PassScore: ptr(5.0)}); err != nil {
			t.Fatal(err)
		}
		check("regraded", []string{f.a, f.b, f.c, f.d}, examhall.ExamStats{AttendNum: 4, PassNum: 3, MaxScore: 20, AvgScore: 10, MinScore: 0})

		// Refusals write nothing.
		inProgress := reviewInsert(t, db, f.exam, engineMustUser(t, db, ""), examhall.AttemptInProgress, nil)
		for _, tt := range []struct {
			name string
			r    examhall.Review
			code string
		}{
			{"in progress", examhall.Review{AttemptID: inProgress, Decision: examhall.DecisionViolation, Comment: "x"}, examhall.ECONFLICT},
			{"unknown attempt", examhall.Review{AttemptID: "nope", Decision: examhall.DecisionClear}, examhall.ENOTFOUND},
			{"bad decision", examhall.Review{AttemptID: f.a, Decision: "guilty"}, examhall.EINVALID},
			{"violation without comment", examhall.Review{AttemptID: f.a, Decision: examhall.DecisionViolation}, examhall.EINVALID},
		} {
			r := tt.r
			r.ReviewerID = reviewer
			engineWantCode(t, tt.name, db.SetReview(ctx, &r), tt.code)
		}
		if _, err := db.FindReview(ctx, inProgress); examhall.ErrorCode(err) != examhall.ENOTFOUND {
			t.Errorf("review of an undecided attempt: %v", err)
		}
		check("after refusals", []string{f.a, f.b, f.c, f.d}, examhall.ExamStats{AttendNum: 4, PassNum: 3, MaxScore: 20, AvgScore: 10, MinScore: 0})
	})
}

func TestFindFlagged(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		f := mustReviewFixture(t, db)
		inv := engineMustUserRole(t, db, "", examhall.RoleInvigilator)
		room1 := &examhall.Room{Name: "R1", ExamID: f.exam.ID, CreatedBy: inv}
		room2 := &examhall.Room{Name: "R2", ExamID: f.exam.ID, CreatedBy: inv}
		for _, r := range []*examhall.Room{room1, room2} {
			if err := db.CreateRoom(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		rec := func(room *examhall.Room, attempt, typ string) *examhall.CheatRecord {
			return &examhall.CheatRecord{ExamID: f.exam.ID, RoomID: room.ID, UserID: f.users[attempt], DetectType: typ, DetectTime: 1}
		}
		if err := db.CreateCheatRecords(ctx, []*examhall.CheatRecord{
			rec(room1, f.a, "switch"), rec(room1, f.a, "switch"), rec(room1, f.a, "noface"),
			rec(room1, f.c, "weird"),
			rec(room2, f.d, "phone"),
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetReview(ctx, &examhall.Review{AttemptID: f.c, Decision: examhall.DecisionSuspicious, ReviewerID: inv}); err != nil {
			t.Fatal(err)
		}
		type row struct {
			ID       string
			Severity int
			Signals  map[string]int
			Decision examhall.Decision
		}
		rows := func(filter examhall.FlaggedFilter) []row {
			fs, err := db.FindFlagged(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			examhall.SortFlagged(fs)
			var out []row
			for _, x := range fs {
				r := row{ID: x.Attempt.ID, Severity: x.Severity, Signals: x.Signals}
				if x.Review != nil {
					r.Decision = x.Review.Decision
				}
				if x.Attempt.UserAccount == "" {
					t.Errorf("%s: no account", x.Attempt.ID)
				}
				out = append(out, r)
			}
			return out
		}
		// D was submitted by the switch limit (2 switches, limit 2).
		if _, err := db.w.ExecContext(ctx, `UPDATE exams SET switch_limit = 2 WHERE id = $1`, f.exam.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.w.ExecContext(ctx, `UPDATE attempts SET switches = 2 WHERE id = $1`, f.d); err != nil {
			t.Fatal(err)
		}
		// switch 3 each, noface 2, phone 3, others 1; the switch limit 1000.
		want := []row{
			{f.d, 1003, map[string]int{"phone": 1}, ""},
			{f.a, 8, map[string]int{"switch": 2, "noface": 1}, ""},
			{f.c, 1, map[string]int{"weird": 1}, examhall.DecisionSuspicious},
		}
		if diff := gocmp.Diff(want, rows(examhall.FlaggedFilter{ExamID: f.exam.ID})); diff != "" {
			t.Errorf("exam (-want +got):\n%s", diff)
		}
		if diff := gocmp.Diff([]row{want[1], want[2]}, rows(examhall.FlaggedFilter{ExamID: f.exam.ID, RoomID: room1.ID})); diff != "" {
			t.Errorf("room 1 (-want +got):\n%s", diff)
		}
		if got := rows(examhall.FlaggedFilter{ExamID: engineMustExam(t, db).ID}); len(got) != 0 {
			t.Errorf("another exam: %v", got)
		}
		// The timeline: the candidate's records, oldest first, by room.
		types := func(room string, limit int) []string {
			rs, err := db.FindSignals(ctx, f.exam.ID, room, f.users[f.a], limit)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rs {
				out = append(out, r.DetectType)
			}
			return out
		}
		if diff := gocmp.Diff([]string{"switch", "switch", "noface"}, types(room1.ID, 0)); diff != "" {
			t.Errorf("signals (-want +got):\n%s", diff)
		}
		if diff := gocmp.Diff([]string{"switch", "switch"}, types("", 2)); diff != "" {
			t.Errorf("signals, limit 2 (-want +got):\n%s", diff)
		}
		if got := types(room2.ID, 0); len(got) != 0 {
			t.Errorf("signals in room 2: %v", got)
		}
	})
}

func TestSeverity(t *testing.T) {
	for _, tt := range []struct {
		counts      map[string]int
		switchLimit bool
		want        int
	}{
		{nil, false, 0},
		{map[string]int{"switch": 2}, false, 6},
		{map[string]int{"noface": 1, "unknown": 4}, false, 6},
		{nil, true, examhall.SwitchLimitSeverity},
	} {
		if got := examhall.Severity(tt.counts, tt.switchLimit); got != tt.want {
			t.Errorf("Severity(%v, %v) = %d, want %d", tt.counts, tt.switchLimit, got, tt.want)
		}
	}
}

func TestCountPending(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		f := mustReviewFixture(t, db) // four published
		for _, st := range []examhall.AttemptStatus{examhall.AttemptMarking, examhall.AttemptMarking, examhall.AttemptMarked, examhall.AttemptInProgress} {
			reviewInsert(t, db, f.exam, engineMustUser(t, db, ""), st, nil)
		}
		if marking, marked, err := db.CountPending(ctx, f.exam.ID); err != nil || marking != 2 || marked != 1 {
			t.Errorf("CountPending = %d, %d, %v; want 2, 1", marking, marked, err)
		}
	})
}

// TestReviewAudited: a staff member's decision is in the audit log with
// what it was before.
func TestReviewAudited(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		f := mustReviewFixture(t, db)
		rev := coreMustUser(t, db, "reviewer", examhall.RoleInvigilator, "")
		ctx := auditCtx(rev, "203.0.113.9")
		for _, d := range []examhall.Decision{examhall.DecisionSuspicious, examhall.DecisionViolation} {
			if err := db.SetReview(ctx, &examhall.Review{AttemptID: f.a, Decision: d, Comment: "seen", ReviewerID: rev.ID}); err != nil {
				t.Fatal(err)
			}
		}
		es, _, err := db.FindAuditEntries(context.Background(), examhall.AuditFilter{ObjectID: f.a, Action: "review"})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 2 {
			t.Fatalf("%d audit entries, want 2", len(es))
		}
		// Newest first: suspicious → violation, invalid from false to true.
		if got := string(es[0].Before) + " " + string(es[0].After); !strings.Contains(got, `"suspicious"`) || !strings.Contains(got, `"violation"`) ||
			es[0].ActorID != rev.ID || es[0].ObjectType != "attempt" {
			t.Errorf("audit entry = %+v (%s)", es[0], got)
		}
	})
}
