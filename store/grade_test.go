package store

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"examhall"
)

// engineInsertMarked inserts a marked attempt with the given result with raw
// SQL, so tests choose scores and times freely; PublishAttempts then
// publishes it the ordinary way.
func engineInsertMarked(tb testing.TB, db *DB, examID, userID string, score float64, used int) string {
	tb.Helper()
	id := examhall.NewID(16)
	begin := engineT0.Add(time.Hour)
	_, err := db.w.ExecContext(context.Background(), `INSERT INTO attempts (id, exam_id, user_id, seq, status,
		begin_time, deadline, end_time, used_seconds, score, passed, integral, seed)
		VALUES ($1, $2, $3, 1, 'marked', $4, $5, $6, $7, $8, $9, $10, 1)`,
		id, examID, userID, ms(begin), ms(begin.Add(time.Hour)), ms(begin.Add(time.Duration(used)*time.Second)),
		used, score, score >= 60, examhall.Round2(score*0.1))
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

func TestFindGradesRanks(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(t, db)
		type row struct {
			score float64
			used  int
		}
		rows := []row{
			{90, 100}, {90, 100}, {90, 100}, // rank 1, three ways
			{80, 50},           // 4
			{80, 60}, {80, 60}, // 5, 5
			{70, 10},           // 7
			{60, 10}, {60, 10}, // 8, 8
			{50, 5}, // 10
		}
		type want struct {
			id, account string
			rank        int
		}
		var all []want
		noDept := map[string]bool{}
		for i, r := range rows {
			dept := "Acme/Sales Center/Sales"
			if i%3 == 2 {
				dept = ""
			}
			user := engineMustUser(t, db, dept)
			noDept["acct-"+user] = dept == ""
			id := engineInsertMarked(t, db, exam.ID, user, r.score, r.used)
			all = append(all, want{id: id, account: "acct-" + user})
		}
		// A marked attempt of the exam and another exam's grades stay out.
		engineInsertMarked(t, db, exam.ID, engineMustUser(t, db, ""), 100, 1)
		ids := []string{}
		for _, w := range all {
			ids = append(ids, w.id)
		}
		if n, err := db.PublishAttempts(ctx, exam.ID, ids); err != nil || n != len(rows) {
			t.Fatalf("publish: %d, %v", n, err)
		}
		other := engineMustExam(t, db)
		engineInsertMarked(t, db, other.ID, engineMustUser(t, db, ""), 99, 1)
		if _, err := db.PublishAttempts(ctx, other.ID, nil); err != nil {
			t.Fatal(err)
		}

		// The expected order: score desc, used time asc, then ID.
		idx := make([]int, len(rows))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int {
			return cmp.Or(cmp.Compare(rows[b].score, rows[a].score), cmp.Compare(rows[a].used, rows[b].used),
				cmp.Compare(all[a].id, all[b].id))
		})
		var ranked []want
		for _, i := range idx {
			ranked = append(ranked, all[i])
		}
		wantRanks := []int{1, 1, 1, 4, 5, 5, 7, 8, 8, 10}
		for i := range ranked {
			ranked[i].rank = wantRanks[i]
		}

		for limit := 0; limit <= 4; limit++ {
			for offset := 0; offset <= len(rows); offset++ {
				got, total, err := db.FindGrades(ctx, exam.ID, offset, limit)
				if err != nil {
					t.Fatal(err)
				}
				end := len(ranked)
				if limit > 0 {
					end = min(offset+limit, end)
				}
				var gotRows []want
				for _, a := range got {
					gotRows = append(gotRows, want{id: a.ID, account: a.UserAccount, rank: a.Rank})
				}
				wantRows := ranked[min(offset, end):end]
				if len(wantRows) == 0 {
					wantRows = nil
				}
				if diff := gocmp.Diff(wantRows, gotRows, gocmp.AllowUnexported(want{})); diff != "" || total != len(rows) {
					t.Errorf("offset %d limit %d: total %d, rows (-want +got):\n%s", offset, limit, total, diff)
				}
			}
		}

		got, _, _ := db.FindGrades(ctx, exam.ID, 0, 1)
		a := got[0]
		wantPath, wantName := "Acme/Sales Center/Sales", "Sales"
		if noDept[a.UserAccount] {
			wantPath, wantName = "", ""
		}
		if a.UserName != "User "+a.UserID || a.DeptName != wantName || a.DeptPath != wantPath ||
			a.Status != examhall.AttemptPublished || a.Score != 90 || a.UsedSeconds != 100 || !a.Passed ||
			a.Integral != 9 || a.Answers != nil || a.Marks != nil {
			t.Errorf("grade row = %+v", a)
		}
		got, _, _ = db.FindGrades(ctx, exam.ID, 0, 0)
		for _, a := range got {
			if (a.DeptPath == "") != noDept[a.UserAccount] {
				t.Errorf("%s: department %q %q", a.UserAccount, a.DeptName, a.DeptPath)
			}
		}
		_, _, err := db.FindGrades(ctx, "nope", 0, 10)
		engineWantCode(t, "unknown exam", err, examhall.ENOTFOUND)
		empty := engineMustExam(t, db)
		if got, total, err := db.FindGrades(ctx, empty.ID, 0, 10); err != nil || total != 0 || len(got) != 0 {
			t.Errorf("no grades: %v %d %v", got, total, err)
		}
	})
}

// TestRegrade: a changed pass score or integral rate applies to the exam's
// marked and published attempts and to its pass count, not to other exams.
func TestRegrade(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam, other := engineMustExam(t, db), engineMustExam(t, db)
		scores := []float64{50, 65.5, 80, 95.25}
		ids := make([]string, len(scores))
		for i, s := range scores {
			ids[i] = engineInsertMarked(t, db, exam.ID, engineMustUser(t, db, ""), s, 60)
		}
		// 65.5 stays marked; the rest are published.
		if _, err := db.PublishAttempts(ctx, exam.ID, []string{ids[0], ids[2], ids[3]}); err != nil {
			t.Fatal(err)
		}
		otherID := engineInsertMarked(t, db, other.ID, engineMustUser(t, db, ""), 70, 60)
		if _, err := db.PublishAttempts(ctx, other.ID, nil); err != nil {
			t.Fatal(err)
		}

		check := func(what string, e *examhall.Exam, wantPassNum int) {
			t.Helper()
			for i, id := range ids {
				a, err := db.FindAttemptByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if a.Passed != e.Passed(scores[i]) || a.Integral != e.Integral(scores[i]) {
					t.Errorf("%s: score %v: passed %v, integral %v; want %v, %v", what, scores[i],
						a.Passed, a.Integral, e.Passed(scores[i]), e.Integral(scores[i]))
				}
			}
			stats, err := db.FindExamStats(ctx, []string{exam.ID, other.ID})
			if err != nil {
				t.Fatal(err)
			}
			if got := stats[exam.ID].PassNum; got != wantPassNum {
				t.Errorf("%s: passNum %d, want %d", what, got, wantPassNum)
			}
			if got := stats[other.ID]; got.PassNum != 1 || got.AttendNum != 1 {
				t.Errorf("%s: the other exam's stats changed: %+v", what, got)
			}
		}
		for _, tt := range []struct {
			name        string
			upd         examhall.ExamUpdate
			wantPassNum int // among 50, 80, 95.25
		}{
			{"pass score up", examhall.ExamUpdate{PassScore: new(85.0)}, 1},
			{"pass score down", examhall.ExamUpdate{PassScore: new(50.0)}, 3},
			{"integral rate", examhall.ExamUpdate{IntegralRate: new(0.35)}, 3},
			{"both", examhall.ExamUpdate{PassScore: new(90.0), IntegralRate: new(1.5)}, 1},
		} {
			e, err := db.UpdateExam(ctx, exam.ID, tt.upd)
			if err != nil {
				t.Fatal(err)
			}
			check(tt.name, e, tt.wantPassNum)
		}
		if a, err := db.FindAttemptByID(ctx, otherID); err != nil || !a.Passed || a.Integral != 7 {
			t.Errorf("the other exam's attempt = %+v, %v; want passed with integral 7", a, err)
		}
	})
}
