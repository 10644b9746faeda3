package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

func TestStartAttemptRefusals(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		open := engineT0.Add(time.Hour)
		engineMustDept(t, db, "Acme/R&D")
		sales := engineMustDept(t, db, "Acme/Sales")
		user := engineMustUser(t, db, "Acme/R&D")
		exam := engineMustExam(t, db, func(e *examhall.Exam) { e.AllowTimes = 1 })
		draft := engineMustExam(t, db, func(e *examhall.Exam) { e.Status = examhall.ExamDraft })
		archived := engineMustExam(t, db, func(e *examhall.Exam) { e.Status = examhall.ExamArchived })
		deptOnly := engineMustExam(t, db, func(e *examhall.Exam) {
			e.Audience, e.AudienceDeptIDs = examhall.AudienceDepts, []string{sales}
		})
		usersOnly := engineMustExam(t, db, func(e *examhall.Exam) { e.Audience = examhall.AudienceUsers })

		for _, tt := range []struct {
			name   string
			examID string
			userID string
			at     time.Time
			want   string
		}{
			{"draft exam", draft.ID, user, open, examhall.EINVALID},
			{"archived exam", archived.ID, user, open, examhall.EINVALID},
			{"before the window", exam.ID, user, engineT0.Add(-time.Second), examhall.EINVALID},
			{"at the window's end", exam.ID, user, exam.EndTime, examhall.EINVALID},
			{"other department", deptOnly.ID, user, open, examhall.EINVALID},
			{"not listed", usersOnly.ID, user, open, examhall.EINVALID},
			{"unknown exam", "nope", user, open, examhall.ENOTFOUND},
			{"unknown user", exam.ID, "nope", open, examhall.ENOTFOUND},
			{"first attempt", exam.ID, user, open, ""},
			{"in progress", exam.ID, user, open.Add(time.Minute), examhall.ECONFLICT},
		} {
			_, err := db.StartAttempt(ctx, tt.examID, tt.userID, tt.at)
			engineWantCode(t, tt.name, err, tt.want)
		}
		as, _, _ := db.FindAttempts(ctx, examhall.AttemptFilter{ExamID: exam.ID, UserID: user})
		if len(as) != 1 {
			t.Fatalf("attempts = %d, want 1", len(as))
		}
		if _, err := db.SubmitAttempt(ctx, as[0].ID, "", open.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		_, err := db.StartAttempt(ctx, exam.ID, user, open.Add(3*time.Minute))
		engineWantCode(t, "no attempts left", err, examhall.ECONFLICT)
		if got := examhall.ErrorMessage(err); got != "no attempts left" {
			t.Errorf("message = %q", got)
		}
		_, err = db.StartAttempt(ctx, usersOnly.ID, user, open)
		if examhall.ErrorMessage(err) != "not in this exam's audience" {
			t.Errorf("not in audience message = %q", examhall.ErrorMessage(err))
		}
	})
}

func TestStartAttemptRules(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		user := engineMustUser(t, db, "")
		exam := engineMustExam(t, db, func(e *examhall.Exam) { e.AllowTimes = 1 })
		start := engineT0.Add(time.Hour)

		a, err := db.StartAttempt(ctx, exam.ID, user, start)
		if err != nil {
			t.Fatal(err)
		}
		want := &examhall.Attempt{ID: a.ID, ExamID: exam.ID, UserID: user, Status: examhall.AttemptInProgress,
			BeginTime: start, Deadline: start.Add(60 * time.Minute), Seed: a.Seed}
		if diff := cmp.Diff(want, a); diff != "" || len(a.ID) != 32 {
			t.Errorf("StartAttempt mismatch (-want +got):\n%s", diff)
		}
		got, err := db.FindAttemptByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("FindAttemptByID mismatch (-want +got):\n%s", diff)
		}
		if _, err := db.SubmitAttempt(ctx, a.ID, "", start.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}

		// An override gives one more attempt, 30 more minutes, and a window
		// reopened after the exam's end; the deadline is capped by the window.
		end := exam.EndTime.Add(time.Hour)
		if err := db.SetOverride(ctx, &examhall.Override{ExamID: exam.ID, UserID: user,
			ExtraAttempts: 1, ExtraMinutes: 30, EndTime: &end}); err != nil {
			t.Fatal(err)
		}
		late := exam.EndTime.Add(10 * time.Minute)
		b, err := db.StartAttempt(ctx, exam.ID, user, late)
		if err != nil {
			t.Fatal(err)
		}
		if !b.Deadline.Equal(end) {
			t.Errorf("deadline = %v, want the overridden end %v", b.Deadline, end)
		}
		var seq int
		if err := db.r.QueryRowContext(ctx, `SELECT seq FROM attempts WHERE id = $1`, b.ID).Scan(&seq); err != nil || seq != 2 {
			t.Errorf("seq = %d, %v; want 2", seq, err)
		}
		if _, err := db.SubmitAttempt(ctx, b.ID, "", late.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		_, err = db.StartAttempt(ctx, exam.ID, user, late.Add(2*time.Minute))
		engineWantCode(t, "override used up", err, examhall.ECONFLICT)

		// Extra minutes stretch the answer time when the window allows.
		other := engineMustUser(t, db, "")
		if err := db.SetOverride(ctx, &examhall.Override{ExamID: exam.ID, UserID: other, ExtraMinutes: 30}); err != nil {
			t.Fatal(err)
		}
		c, err := db.StartAttempt(ctx, exam.ID, other, start)
		if err != nil {
			t.Fatal(err)
		}
		if want := start.Add(90 * time.Minute); !c.Deadline.Equal(want) {
			t.Errorf("deadline = %v, want %v", c.Deadline, want)
		}
	})
}

func TestStartAttemptConcurrent(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		user := engineMustUser(t, db, "")
		exam := engineMustExam(t, db, func(e *examhall.Exam) { e.AllowTimes = 5 })
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 10, 0))
		const n = 20
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = db.StartAttempt(ctx, exam.ID, user, engineT0.Add(time.Hour))
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch examhall.ErrorCode(err) {
			case "":
				won++
			case examhall.ECONFLICT:
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d starts won, want exactly 1", won)
		}
		_, total, err := db.FindAttempts(ctx, examhall.AttemptFilter{ExamID: exam.ID})
		if err != nil || total != 1 {
			t.Errorf("attempts = %d, %v; want 1", total, err)
		}
	})
}

func TestSaveAnswersAndResume(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		user := engineMustUser(t, db, "")
		exam := engineMustExam(t, db)
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 50, 1),
			&examhall.Question{ID: "q2", Type: examhall.QuestionShort, Stem: "Why?", Score: 50})
		start := engineT0.Add(time.Hour)
		a, err := db.StartAttempt(ctx, exam.ID, user, start)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveAnswers(ctx, a.ID, []examhall.Answer{{QuestionID: "q1", Choices: []int{0}}}, start.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		saved, err := db.SaveAnswers(ctx, a.ID, []examhall.Answer{
			{QuestionID: "q1", Choices: []int{1}},
			{QuestionID: "q2", Text: "Because."},
		}, start.Add(2*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		// A candidate reconnecting finds the attempt as saved.
		got, err := db.FindAttemptByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]examhall.Answer{
			"q1": {QuestionID: "q1", Choices: []int{1}},
			"q2": {QuestionID: "q2", Text: "Because."},
		}
		if diff := cmp.Diff(want, got.Answers); diff != "" {
			t.Errorf("answers (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(saved, got); diff != "" {
			t.Errorf("SaveAnswers result differs from the stored attempt (-want +got):\n%s", diff)
		}
		if !got.SavedAt.Equal(start.Add(2 * time.Minute)) {
			t.Errorf("SavedAt = %v", got.SavedAt)
		}
		ongoing := examhall.AttemptInProgress
		if as, _, _ := db.FindAttempts(ctx, examhall.AttemptFilter{UserID: user, Status: &ongoing}); len(as) != 1 || as[0].ID != a.ID {
			t.Errorf("in-progress attempts = %v", as)
		}

		for _, tt := range []struct {
			name string
			ans  []examhall.Answer
			at   time.Time
			want string
		}{
			{"unknown question", []examhall.Answer{{QuestionID: "q9"}}, start, examhall.EINVALID},
			{"no question id", []examhall.Answer{{Text: "x"}}, start, examhall.EINVALID},
			{"too long", []examhall.Answer{{QuestionID: "q2", Text: string(make([]byte, examhall.MaxTextLen+1))}}, start, examhall.EINVALID},
			{"at the deadline", []examhall.Answer{{QuestionID: "q1"}}, a.Deadline, examhall.ECONFLICT},
		} {
			_, err := db.SaveAnswers(ctx, a.ID, tt.ans, tt.at)
			engineWantCode(t, tt.name, err, tt.want)
		}
		_, err = db.SaveAnswers(ctx, "nope", nil, start)
		engineWantCode(t, "unknown attempt", err, examhall.ENOTFOUND)

		if _, err := db.SubmitAttempt(ctx, a.ID, "", start.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		_, err = db.SaveAnswers(ctx, a.ID, []examhall.Answer{{QuestionID: "q1"}}, start.Add(4*time.Minute))
		engineWantCode(t, "after submit", err, examhall.ECONFLICT)
		_, err = db.SubmitAttempt(ctx, a.ID, "", start.Add(4*time.Minute))
		engineWantCode(t, "submit twice", err, examhall.ECONFLICT)
	})
}

// TestSaveAnswersConcurrent saves eight answers of one attempt at once, as
// racing clients of a candidate might: each save is kept (none overwrites
// another's answer) and the grading is that of all eight.
func TestSaveAnswersConcurrent(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(t, db)
		var qs []*examhall.Question
		for i := range 8 {
			qs = append(qs, engineSingle(fmt.Sprintf("q%d", i), 10, 0))
		}
		engineMustPaper(t, db, exam.ID, qs...)
		a, err := db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				// Every other answer right: 40 points in all.
				ans := examhall.Answer{QuestionID: fmt.Sprintf("q%d", i), Choices: []int{i % 2}}
				if _, err := db.SaveAnswers(ctx, a.ID, []examhall.Answer{ans}, engineT0.Add(time.Minute)); err != nil {
					t.Errorf("save %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		got, err := db.SubmitAttempt(ctx, a.ID, "", engineT0.Add(2*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Answers) != 8 || got.Score != 40 {
			t.Errorf("after 8 concurrent saves: %d answers, score %v; want 8 and 40", len(got.Answers), got.Score)
		}
	})
}

// engineGradingPaper has every question type.
func engineGradingPaper() []*examhall.Question {
	return []*examhall.Question{
		engineSingle("single", 10, 2),
		{ID: "multi", Type: examhall.QuestionMultiple, Stem: "Pick all", Score: 30,
			Options: []string{"A", "B", "C", "D"}, Correct: []int{0, 1, 3}},
		{ID: "tf", Type: examhall.QuestionTrueFalse, Stem: "True?", Score: 10, IsTrue: false},
		{ID: "fill", Type: examhall.QuestionFill, Stem: "Capital of _ and _", Score: 20,
			Blanks: [][]string{{"Paris"}, {"Beijing", "Peking"}}},
		{ID: "loose", Type: examhall.QuestionFill, Stem: "Say hello", Score: 30, Loose: true,
			Blanks: [][]string{{"Hello World"}}},
	}
}

func TestSubmitGrading(t *testing.T) {
	no, yes := false, true
	tests := []struct {
		name      string
		partial   bool
		answers   []examhall.Answer
		wantMarks map[string]float64
	}{
		{"unanswered", false, nil,
			map[string]float64{"single": 0, "multi": 0, "tf": 0, "fill": 0, "loose": 0}},
		{"all right", false, []examhall.Answer{
			{QuestionID: "single", Choices: []int{2}},
			{QuestionID: "multi", Choices: []int{3, 0, 1}},
			{QuestionID: "tf", Bool: &no},
			{QuestionID: "fill", Blanks: []string{" Paris ", "Peking"}},
			{QuestionID: "loose", Blanks: []string{"  hello   WORLD"}},
		}, map[string]float64{"single": 10, "multi": 30, "tf": 10, "fill": 20, "loose": 30}},
		{"all wrong", false, []examhall.Answer{
			{QuestionID: "single", Choices: []int{1}},
			{QuestionID: "multi", Choices: []int{0, 2}},
			{QuestionID: "tf", Bool: &yes},
			{QuestionID: "fill", Blanks: []string{"paris", "Beijing"}}, // strict: case matters
			{QuestionID: "loose", Blanks: []string{"hello"}},
		}, map[string]float64{"single": 0, "multi": 0, "tf": 0, "fill": 0, "loose": 0}},
		{"subset without partial credit", false, []examhall.Answer{
			{QuestionID: "multi", Choices: []int{0, 1}},
		}, map[string]float64{"single": 0, "multi": 0, "tf": 0, "fill": 0, "loose": 0}},
		{"subset with partial credit", true, []examhall.Answer{
			{QuestionID: "multi", Choices: []int{0, 1}},
			{QuestionID: "fill", Blanks: []string{"Paris"}}, // a missing blank scores nothing
		}, map[string]float64{"single": 0, "multi": 20, "tf": 0, "fill": 0, "loose": 0}},
		{"partial credit, one wrong option", true, []examhall.Answer{
			{QuestionID: "multi", Choices: []int{0, 2}},
		}, map[string]float64{"single": 0, "multi": 0, "tf": 0, "fill": 0, "loose": 0}},
	}
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		for _, tt := range tests {
			exam := engineMustExam(t, db, func(e *examhall.Exam) { e.PartialCredit = tt.partial })
			engineMustPaper(t, db, exam.ID, engineGradingPaper()...)
			user := engineMustUser(t, db, "")
			start := engineT0.Add(time.Hour)
			a, err := db.StartAttempt(ctx, exam.ID, user, start)
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.answers) > 0 {
				if _, err := db.SaveAnswers(ctx, a.ID, tt.answers, start.Add(time.Minute)); err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
			}
			end := start.Add(30*time.Minute + 4*time.Second + 500*time.Millisecond)
			got, err := db.SubmitAttempt(ctx, a.ID, "", end)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var score float64
			for _, m := range tt.wantMarks {
				score += m
			}
			want := *got
			want.Status, want.EndTime, want.UsedSeconds = examhall.AttemptPublished, end, 30*60+4
			want.Marks, want.Score, want.Passed, want.Integral = tt.wantMarks, score, score >= 60, examhall.Round2(score*0.1)
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("%s: submitted (-want +got):\n%s", tt.name, diff)
			}
			stored, _ := db.FindAttemptByID(ctx, a.ID)
			if diff := cmp.Diff(got, stored); diff != "" {
				t.Errorf("%s: stored (-want +got):\n%s", tt.name, diff)
			}
			stats, _ := db.FindExamStats(ctx, []string{exam.ID})
			if s := stats[exam.ID]; s.AttendNum != 1 || s.MaxScore != score {
				t.Errorf("%s: stats = %+v", tt.name, s)
			}
		}
	})
}

func TestSubmitAfterDeadline(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(t, db)
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 100, 0))
		a, err := db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.SubmitAttempt(ctx, a.ID, "", engineT0.Add(5*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if !got.EndTime.Equal(a.Deadline) || got.UsedSeconds != 3600 {
			t.Errorf("end %v used %d, want the deadline %v and 3600", got.EndTime, got.UsedSeconds, a.Deadline)
		}
	})
}

func TestSubmitExpiredAttempts(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(t, db, func(e *examhall.Exam) { e.AnswerMinutes = 30 })
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 60, 0), engineSingle("q2", 40, 1))
		short := engineMustExam(t, db)
		engineMustPaper(t, db, short.ID, &examhall.Question{ID: "s", Type: examhall.QuestionShort, Stem: "Why?", Score: 10})

		// Candidates who never come back, one who is still writing, and one
		// whose attempt needs marking.
		var gone []*examhall.Attempt
		for i := range 3 {
			a, err := db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0.Add(time.Duration(i)*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			gone = append(gone, a)
		}
		if _, err := db.SaveAnswers(ctx, gone[0].ID, []examhall.Answer{{QuestionID: "q1", Choices: []int{0}}}, engineT0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		writing, err := db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0.Add(20*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		marking, err := db.StartAttempt(ctx, short.ID, engineMustUser(t, db, ""), engineT0)
		if err != nil {
			t.Fatal(err)
		}

		now := engineT0.Add(40 * time.Minute)
		if n, err := db.SubmitExpiredAttempts(ctx, engineT0); err != nil || n != 0 {
			t.Errorf("nothing expired: n = %d, %v", n, err)
		}
		n, err := db.SubmitExpiredAttempts(ctx, now)
		if err != nil || n != 3 {
			t.Fatalf("expired: n = %d, %v; want 3", n, err)
		}
		for i, a := range gone {
			got, _ := db.FindAttemptByID(ctx, a.ID)
			wantScore := 0.0
			if i == 0 {
				wantScore = 60
			}
			if got.Status != examhall.AttemptPublished || !got.EndTime.Equal(a.Deadline) ||
				got.UsedSeconds != 1800 || got.Score != wantScore {
				t.Errorf("attempt %d: %s end %v used %d score %v; want published at %v, 1800 s, %v",
					i, got.Status, got.EndTime, got.UsedSeconds, got.Score, a.Deadline, wantScore)
			}
		}
		if got, _ := db.FindAttemptByID(ctx, writing.ID); got.Status != examhall.AttemptInProgress {
			t.Errorf("attempt still within its time: %s", got.Status)
		}
		if got, _ := db.FindAttemptByID(ctx, marking.ID); got.Status != examhall.AttemptInProgress {
			t.Errorf("short exam attempt within its hour: %s", got.Status)
		}
		stats, _ := db.FindExamStats(ctx, []string{exam.ID})
		if want := (examhall.ExamStats{AttendNum: 3, PassNum: 1, MaxScore: 60, AvgScore: 20, MinScore: 0}); stats[exam.ID] != want {
			t.Errorf("stats = %+v, want %+v", stats[exam.ID], want)
		}
		if n, err := db.SubmitExpiredAttempts(ctx, now); err != nil || n != 0 {
			t.Errorf("second run: n = %d, %v; want 0", n, err)
		}
		n, err = db.SubmitExpiredAttempts(ctx, engineT0.Add(2*time.Hour))
		if err != nil || n != 2 {
			t.Errorf("later: n = %d, %v; want 2", n, err)
		}
		if got, _ := db.FindAttemptByID(ctx, marking.ID); got.Status != examhall.AttemptMarking {
			t.Errorf("expired attempt with a short answer: %s, want marking", got.Status)
		}
	})
}

func TestMarkAndPublish(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(t, db)
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 40, 0),
			&examhall.Question{ID: "s1", Type: examhall.QuestionShort, Stem: "Why?", Score: 30},
			&examhall.Question{ID: "s2", Type: examhall.QuestionShort, Stem: "How?", Score: 30})
		other := engineMustExam(t, db)
		submit := func(choice int) *examhall.Attempt {
			t.Helper()
			a, err := db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.SaveAnswers(ctx, a.ID, []examhall.Answer{{QuestionID: "q1", Choices: []int{choice}},
				{QuestionID: "s1", Text: "because"}}, engineT0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if a, err = db.SubmitAttempt(ctx, a.ID, "", engineT0.Add(10*time.Minute)); err != nil {
				t.Fatal(err)
			}
			return a
		}
		a := submit(0)
		if a.Status != examhall.AttemptMarking || a.Score != 40 || a.Passed {
			t.Errorf("submitted: %s score %v passed %v; want marking, 40, not passed", a.Status, a.Score, a.Passed)
		}
		_, err := db.PublishAttempts(ctx, exam.ID, []string{a.ID})
		engineWantCode(t, "publish while marking", err, "")
		if got, _ := db.FindAttemptByID(ctx, a.ID); got.Status != examhall.AttemptMarking {
			t.Errorf("an unmarked attempt was published")
		}

		for _, tt := range []struct {
			name  string
			marks map[string]float64
			want  string
		}{
			{"objective question", map[string]float64{"q1": 10}, examhall.EINVALID},
			{"unknown question", map[string]float64{"zz": 1}, examhall.EINVALID},
			{"over the score", map[string]float64{"s1": 30.5}, examhall.EINVALID},
			{"negative", map[string]float64{"s1": -1}, examhall.EINVALID},
		} {
			_, err := db.MarkAttempt(ctx, a.ID, tt.marks)
			engineWantCode(t, tt.name, err, tt.want)
		}
		got, err := db.MarkAttempt(ctx, a.ID, map[string]float64{"s1": 25})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != examhall.AttemptMarking || got.Score != 65 {
			t.Errorf("half marked: %s %v; want marking, 65", got.Status, got.Score)
		}
		got, err = db.MarkAttempt(ctx, a.ID, map[string]float64{"s2": 0})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{"q1": 40, "s1": 25, "s2": 0}
		if got.Status != examhall.AttemptMarked || got.Score != 65 || !got.Passed || got.Integral != 6.5 ||
			!cmp.Equal(got.Marks, want) {
			t.Errorf("marked: %+v", got)
		}
		// Re-marking a marked attempt is allowed until it is published.
		if got, err = db.MarkAttempt(ctx, a.ID, map[string]float64{"s2": 10}); err != nil || got.Score != 75 {
			t.Errorf("re-mark: %v, %v", got, err)
		}

		b, c := submit(1), submit(1)
		for _, x := range []*examhall.Attempt{b, c} {
			if _, err := db.MarkAttempt(ctx, x.ID, map[string]float64{"s1": 5, "s2": 5}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.PublishAttempts(ctx, other.ID, nil); err != nil || n != 0 {
			t.Errorf("publish another exam: %d, %v", n, err)
		}
		if n, err := db.PublishAttempts(ctx, exam.ID, []string{a.ID, "nope"}); err != nil || n != 1 {
			t.Errorf("publish a: %d, %v; want 1", n, err)
		}
		stats, _ := db.FindExamStats(ctx, []string{exam.ID})
		if want := (examhall.ExamStats{AttendNum: 1, PassNum: 1, MaxScore: 75, AvgScore: 75, MinScore: 75}); stats[exam.ID] != want {
			t.Errorf("stats = %+v, want %+v", stats[exam.ID], want)
		}
		if n, err := db.PublishAttempts(ctx, exam.ID, nil); err != nil || n != 2 {
			t.Errorf("publish all: %d, %v; want 2", n, err)
		}
		_, err = db.MarkAttempt(ctx, a.ID, map[string]float64{"s2": 1})
		engineWantCode(t, "mark published", err, examhall.ECONFLICT)
		_, err = db.PublishAttempts(ctx, "nope", nil)
		engineWantCode(t, "publish unknown exam", err, examhall.ENOTFOUND)

		stats, _ = db.FindExamStats(ctx, []string{exam.ID, other.ID, "nope"})
		want2 := map[string]examhall.ExamStats{
			exam.ID:  {AttendNum: 3, PassNum: 1, MaxScore: 75, AvgScore: 31.67, MinScore: 10},
			other.ID: {},
			"nope":   {},
		}
		if diff := cmp.Diff(want2, stats); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
		grades, total, err := db.FindGrades(ctx, exam.ID, 0, 0)
		if err != nil || total != 3 || len(grades) != 3 || grades[0].ID != a.ID {
			t.Errorf("grades = %v, %d, %v", grades, total, err)
		}
	})
}

func TestSubmitConcurrent(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(t, db)
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 100, 0))
		var ids []string
		for range 5 {
			a, err := db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
		}
		// Every attempt submitted from 8 goroutines at once: each exactly once.
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := map[string]int{}
		for i := range 8 * len(ids) {
			wg.Go(func() {
				_, err := db.SubmitAttempt(ctx, ids[i%len(ids)], "", engineT0.Add(time.Minute))
				switch examhall.ErrorCode(err) {
				case "":
					mu.Lock()
					won[ids[i%len(ids)]]++
					mu.Unlock()
				case examhall.ECONFLICT:
				default:
					t.Errorf("unexpected error: %v", err)
				}
			})
		}
		wg.Wait()
		for _, id := range ids {
			if won[id] != 1 {
				t.Errorf("attempt %s submitted %d times, want 1", id, won[id])
			}
		}
		stats, _ := db.FindExamStats(ctx, []string{exam.ID})
		if got := stats[exam.ID].AttendNum; got != len(ids) {
			t.Errorf("attendNum = %d, want %d", got, len(ids))
		}
	})
}

// TestSubmitOwnAttempt: a candidate's submit closes only their own attempt
// of the exam asked for, also in a batch where another's request for the
// same attempt comes first.
func TestSubmitOwnAttempt(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		x, y := engineMustExam(t, db), engineMustExam(t, db)
		engineMustPaper(t, db, x.ID, engineSingle("q1", 100, 0))
		alice, bob := engineMustUser(t, db, ""), engineMustUser(t, db, "")
		startAs := func(userID string) string {
			t.Helper()
			a, err := db.StartAttempt(ctx, x.ID, userID, engineT0)
			if err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		mine, theirs := startAs(alice), startAs(bob)
		at := engineT0.Add(time.Minute)
		batch := []*closeReq{
			{id: mine, at: at, user: bob},
			{id: mine, at: at, user: alice, exam: x.ID},
			{id: theirs, at: at, user: alice},
			{id: theirs, at: at, user: bob, exam: y.ID},
			{id: "nope", at: at, user: alice},
		}
		db.closeBatch(ctx, batch)
		for i, want := range []string{examhall.EFORBIDDEN, "", examhall.EFORBIDDEN, examhall.EFORBIDDEN, examhall.ENOTFOUND} {
			if got := examhall.ErrorCode(batch[i].err); got != want {
				t.Errorf("request %d: %v, want code %q", i, batch[i].err, want)
			}
		}
		if a, err := db.FindAttemptByID(ctx, theirs); err != nil || a.Status != examhall.AttemptInProgress {
			t.Errorf("refused submits changed the attempt: %+v, %v", a, err)
		}
		_, err := db.SubmitOwnAttempt(ctx, mine, alice, "", at)
		engineWantCode(t, "submit twice", err, examhall.ECONFLICT)
		_, err = db.SubmitOwnAttempt(ctx, theirs, "", "", at)
		engineWantCode(t, "no candidate", err, examhall.EINVALID)
		if a, err := db.SubmitOwnAttempt(ctx, theirs, bob, x.ID, at); err != nil || a.Status != examhall.AttemptPublished {
			t.Errorf("own submit: %+v, %v", a, err)
		}
	})
}

// TestCloseBatch closes one batch holding every kind of request: attempts
// of two exams, one attempt twice, an unknown ID and a closed attempt.
func TestCloseBatch(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		start := func(examID string, choice int) string {
			t.Helper()
			a, err := db.StartAttempt(ctx, examID, engineMustUser(t, db, ""), engineT0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.SaveAnswers(ctx, a.ID, []examhall.Answer{{QuestionID: "q1", Choices: []int{choice}}}, engineT0); err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		x, y := engineMustExam(t, db), engineMustExam(t, db)
		engineMustPaper(t, db, x.ID, engineSingle("q1", 100, 0))
		engineMustPaper(t, db, y.ID, engineSingle("q1", 100, 1))
		right, wrong, twice, other, closed := start(x.ID, 0), start(x.ID, 2), start(x.ID, 0), start(y.ID, 1), start(y.ID, 1)
		if _, err := db.SubmitAttempt(ctx, closed, "", engineT0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		at := engineT0.Add(2 * time.Minute)
		batch := []*closeReq{{id: right, at: at}, {id: twice, at: at}, {id: wrong, at: at}, {id: twice, at: at},
			{id: "nope", at: at}, {id: other, at: at}, {id: closed, at: at}}
		db.closeBatch(ctx, batch)
		want := []struct {
			code  string
			score float64
		}{{"", 100}, {"", 100}, {"", 0}, {examhall.ECONFLICT, 0}, {examhall.ENOTFOUND, 0}, {"", 100}, {examhall.ECONFLICT, 0}}
		for i, r := range batch {
			if got := examhall.ErrorCode(r.err); got != want[i].code {
				t.Errorf("request %d (%s): error %v, want code %q", i, r.id, r.err, want[i].code)
				continue
			}
			if r.err != nil {
				continue
			}
			a, err := db.FindAttemptByID(ctx, r.id)
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != examhall.AttemptPublished || a.Score != want[i].score || !a.EndTime.Equal(at) ||
				a.UsedSeconds != 120 || len(a.Marks) != 1 || len(a.Answers) != 1 {
				t.Errorf("request %d: %+v, want published with %v at %v", i, a, want[i].score, at)
			}
			if db.dialect == Postgres {
				if returned, err := r.row.attempt(); err != nil || !cmp.Equal(returned, a) {
					t.Errorf("request %d: returned %+v, %v; stored %+v", i, returned, err, a)
				}
			}
		}
		stats, err := db.FindExamStats(ctx, []string{x.ID, y.ID})
		if err != nil {
			t.Fatal(err)
		}
		if s := stats[x.ID]; s.AttendNum != 3 || s.PassNum != 2 {
			t.Errorf("exam x stats %+v, want 3 attended, 2 passed", s)
		}
		if s := stats[y.ID]; s.AttendNum != 2 || s.PassNum != 2 {
			t.Errorf("exam y stats %+v, want 2 attended, 2 passed", s)
		}
	})
}

// TestSaveGrades: saves grade an attempt, the result stays hidden until it
// is submitted, and the submit takes the last save's grading.
func TestSaveGrades(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(t, db, func(e *examhall.Exam) { e.PassScore, e.IntegralRate = 50, 0.5 })
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 60, 0), engineSingle("q2", 40, 1))
		a, err := db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0)
		if err != nil {
			t.Fatal(err)
		}
		stored := func() (score float64, marks string) {
			t.Helper()
			if err := db.r.QueryRowContext(ctx, `SELECT score, marks FROM attempts WHERE id = $1`, a.ID).Scan(&score, &marks); err != nil {
				t.Fatal(err)
			}
			return score, marks
		}
		if score, marks := stored(); score != 0 || marks != `{"q1":0,"q2":0}` {
			t.Errorf("started: stored %v %s, want 0 with a zero mark each", score, marks)
		}
		for _, ans := range []examhall.Answer{{QuestionID: "q1", Choices: []int{0}}, {QuestionID: "q2", Choices: []int{0}}} {
			if _, err := db.SaveAnswers(ctx, a.ID, []examhall.Answer{ans}, engineT0); err != nil {
				t.Fatal(err)
			}
		}
		if score, marks := stored(); score != 60 || marks != `{"q1":60,"q2":0}` {
			t.Errorf("saved: stored %v %s, want 60", score, marks)
		}
		got, err := db.FindAttemptByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Score != 0 || got.Marks != nil || got.Passed || got.Integral != 0 {
			t.Errorf("in progress shows a result: %+v", got)
		}
		if _, err := db.UpdateExam(ctx, exam.ID, examhall.ExamUpdate{PartialCredit: new(true)}); examhall.ErrorCode(err) != examhall.ECONFLICT {
			t.Errorf("changing partialCredit of an exam with attempts: %v, want ECONFLICT", err)
		}
		// The pass score and integral rate apply when it is handed in.
		if _, err := db.UpdateExam(ctx, exam.ID, examhall.ExamUpdate{PassScore: new(70.0), IntegralRate: new(0.25)}); err != nil {
			t.Fatal(err)
		}
		got, err = db.SubmitAttempt(ctx, a.ID, "", engineT0.Add(90*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != examhall.AttemptPublished || got.Score != 60 || got.Passed || got.Integral != 15 ||
			got.UsedSeconds != 90 || got.Marks["q1"] != 60 || len(got.Answers) != 2 {
			t.Errorf("submitted: %+v, want published, 60, failed, integral 15, 90 s", got)
		}
		if _, err := db.SaveAnswers(ctx, a.ID, nil, engineT0.Add(2*time.Minute)); examhall.ErrorCode(err) != examhall.ECONFLICT {
			t.Errorf("save after submit: %v, want ECONFLICT", err)
		}
	})
}

// TestCloseIntegral: the integral that closing computes in SQL is
// examhall.Exam.Integral's, also for scores whose product with the rate
// lies next to a rounding tie.
func TestCloseIntegral(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		now := engineT0.Add(30 * time.Minute)
		rng := rand.New(rand.NewPCG(1, 2))
		for _, rate := range []float64{0.1, 0.15, 0.3, 0.7, 1.1, 3} {
			ids := engineInProgress(t, db, 300, now)
			scores := make(map[string]float64, len(ids))
			for i, id := range ids {
				// Two decimals, as Round2 keeps. With rate 0.1, 0.25 is a tie
				// (to even would give 2), 0.35 and 1.45 lie just under one
				// (rounding 15 digits, as a cast to numeric does, would go up).
				score := float64(rng.IntN(10000)) / 100
				if fixed := []float64{0.25, 0.35, 1.45, 72.45, 0.05, 99.99, 0, 100}; i < len(fixed) {
					score = fixed[i]
				}
				scores[id] = score
				if _, err := db.w.ExecContext(ctx, `UPDATE attempts SET score = $2 WHERE id = $1`, id, score); err != nil {
					t.Fatal(err)
				}
			}
			var examID string
			if err := db.r.QueryRowContext(ctx, `SELECT exam_id FROM attempts WHERE id = $1`, ids[0]).Scan(&examID); err != nil {
				t.Fatal(err)
			}
			if _, err := db.UpdateExam(ctx, examID, examhall.ExamUpdate{IntegralRate: new(rate)}); err != nil {
				t.Fatal(err)
			}
			e := examhall.Exam{IntegralRate: rate}
			batch := make([]*closeReq, len(ids))
			for i, id := range ids {
				batch[i] = &closeReq{id: id, at: now}
			}
			db.closeBatch(ctx, batch)
			for _, r := range batch {
				if r.err != nil {
					t.Fatal(r.err)
				}
				a, err := db.FindAttemptByID(ctx, r.id)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := a.Integral, e.Integral(scores[r.id]); got != want {
					t.Errorf("rate %v, score %v: integral %v, want %v", rate, scores[r.id], got, want)
				}
			}
		}
	})
}

// TestGradeInProgress: migration 3 grades attempts saved before attempts
// kept their grading.
func TestGradeInProgress(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		plain, marked := engineMustExam(t, db), engineMustExam(t, db)
		engineMustPaper(t, db, plain.ID, engineSingle("q1", 100, 0))
		engineMustPaper(t, db, marked.ID, engineSingle("q1", 40, 0), &examhall.Question{
			ID: "s1", Type: examhall.QuestionShort, Stem: "Why?", Score: 60})
		var ids []string
		for _, examID := range []string{plain.ID, marked.ID} {
			a, err := db.StartAttempt(ctx, examID, engineMustUser(t, db, ""), engineT0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.SaveAnswers(ctx, a.ID, []examhall.Answer{{QuestionID: "q1", Choices: []int{0}}}, engineT0); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
		}
		// As stored before migration 2.
		if _, err := db.w.ExecContext(ctx, `UPDATE attempts SET marks = '{}', score = 0, needs_marking = FALSE`); err != nil {
			t.Fatal(err)
		}
		tx, err := db.w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := gradeInProgress(ctx, tx); err != nil {
			tx.Rollback()
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		for i, want := range []struct {
			status examhall.AttemptStatus
			score  float64
		}{{examhall.AttemptPublished, 100}, {examhall.AttemptMarking, 40}} {
			a, err := db.SubmitAttempt(ctx, ids[i], "", engineT0.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != want.status || a.Score != want.score {
				t.Errorf("attempt %d: %s %v, want %s %v", i, a.Status, a.Score, want.status, want.score)
			}
		}
	})
}

// TestSaveAnswersFrom: numbered saves of a device are applied once and in
// order; an answer made earlier never replaces a later one, whichever device
// sends it last.
func TestSaveAnswersFrom(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(t, db)
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 10, 0), engineSingle("q2", 10, 1))
		a, err := db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0)
		if err != nil {
			t.Fatal(err)
		}
		now := engineT0.Add(time.Minute)
		at := engineT0.UnixMilli()
		save := func(device string, seq int64, choice int, at int64) bool {
			t.Helper()
			_, applied, err := db.SaveAnswersFrom(ctx, a.ID, device, seq, []examhall.Answer{{QuestionID: "q1", Choices: []int{choice}, At: at}}, now)
			if err != nil {
				t.Fatal(err)
			}
			return applied
		}
		steps := []struct {
			device  string
			seq     int64
			choice  int
			at      int64
			applied bool
			want    int // q1's choice afterwards
		}{
			{"A", 1, 1, at + 10, true, 1},
			{"A", 1, 2, at + 20, false, 1}, // a retry of save 1
			{"A", 2, 2, at + 20, true, 2},
			{"B", 1, 3, at + 5, true, 2}, // made before A's: kept out
			{"B", 2, 3, at + 30, true, 3},
			{"A", 2, 0, at + 40, false, 3}, // an old number
		}
		for i, st := range steps {
			if got := save(st.device, st.seq, st.choice, st.at); got != st.applied {
				t.Errorf("step %d: applied %v, want %v", i, got, st.applied)
			}
			got, err := db.FindAttemptByID(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c := got.Answers["q1"].Choices; len(c) != 1 || c[0] != st.want {
				t.Errorf("step %d: q1 is %v, want [%d]", i, c, st.want)
			}
		}
	})
}
