package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"examhall"
	"examhall/internal/burst"
)

func TestGenerate(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		opt := GenOptions{Exams: 6, Candidates: 300, Attempts: 1400, BigExam: 300, Now: engineT0}
		if err := db.Generate(ctx, opt); err != nil {
			t.Fatal(err)
		}
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := db.r.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		for _, c := range []struct {
			q    string
			want int
		}{
			{`SELECT COUNT(*) FROM departments`, 111},
			{`SELECT COUNT(*) FROM users WHERE role = 'examinee'`, 300},
			{`SELECT COUNT(*) FROM exams WHERE status = 'published'`, 6},
			{`SELECT COUNT(*) FROM questions`, 60},
			{`SELECT COUNT(*) FROM attempts WHERE status = 'published'`, 1400},
			{`SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM attempts GROUP BY exam_id) x`, 300},
			{`SELECT COUNT(*) FROM exam_stats`, 6},
		} {
			if got := count(c.q); got != c.want {
				t.Errorf("%s = %d, want %d", c.q, got, c.want)
			}
		}
		// Running totals match a recomputation from the attempts.
		exams, total, err := db.FindExams(ctx, examhall.ExamFilter{})
		if err != nil || total != 6 {
			t.Fatal(total, err)
		}
		var ids []string
		for _, e := range exams {
			ids = append(ids, e.ID)
			if e.PaperScore != 100 {
				t.Errorf("paper score %v", e.PaperScore)
			}
		}
		stats, err := db.FindExamStats(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			var s examhall.ExamStats
			var sum float64
			err := db.r.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN passed THEN 1 ELSE 0 END), 0),
				SUM(score), MAX(score), MIN(score) FROM attempts WHERE exam_id = $1 AND status = 'published'`, id).
				Scan(&s.AttendNum, &s.PassNum, &sum, &s.MaxScore, &s.MinScore)
			if err != nil {
				t.Fatal(err)
			}
			s.AvgScore = examhall.Round2(sum / float64(s.AttendNum))
			if stats[id] != s {
				t.Errorf("exam %s: stats %+v, recomputed %+v", id, stats[id], s)
			}
			if s.AvgScore < 55 || s.AvgScore > 85 || s.MaxScore > 100 || s.MinScore < 0 {
				t.Errorf("implausible spread: %+v", s)
			}
		}
		// The data serves the read paths.
		big := exams[len(exams)-1] // the first generated is the oldest
		grades, n, err := db.FindGrades(ctx, big.ID, 250, 100)
		if err != nil || n != 300 || len(grades) != 50 {
			t.Fatalf("grades: %d of %d, %v", len(grades), n, err)
		}
		for i := 1; i < len(grades); i++ {
			if grades[i].Rank < grades[i-1].Rank || grades[i].Score > grades[i-1].Score {
				t.Errorf("grades out of order at %d", i)
			}
		}
		var user string
		if err := db.r.QueryRowContext(ctx, `SELECT id FROM users LIMIT 1`).Scan(&user); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.FindUserExams(ctx, user, engineT0, 0, 10); err != nil {
			t.Fatal(err)
		}
		if count(`SELECT COUNT(*) FROM (SELECT DISTINCT exam_id, user_id FROM attempts) x`) != 1400 {
			t.Errorf("a candidate sat an exam twice")
		}
	})
}

// engineBenchDBs runs fn against a fresh SQLite store and, with
// EXAMHALL_TEST_POSTGRES set, a fresh PostgreSQL schema.
func engineBenchDBs(b *testing.B, fn func(b *testing.B, db *DB)) {
	b.Helper()
	b.Run("sqlite", func(b *testing.B) { fn(b, MustOpenSQLite(b)) })
	if dsn := os.Getenv("EXAMHALL_TEST_POSTGRES"); dsn != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, MustOpenPostgres(b, dsn)) })
	}
}

// engineMustGenerate generates a data set and reports how long it took.
func engineMustGenerate(b *testing.B, db *DB, opt GenOptions) {
	b.Helper()
	start := time.Now()
	if err := db.Generate(context.Background(), opt); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: generated %d attempts in %v", db.Dialect(), max(opt.Attempts, 0), time.Since(start).Round(time.Millisecond))
}

// BenchmarkGenerate times the default data set: 1,000 exams, 100,000
// candidates, 1,000,000 published attempts.
func BenchmarkGenerate(b *testing.B) {
	if testing.Short() {
		b.Skip("big data set")
	}
	engineBenchDBs(b, func(b *testing.B, db *DB) {
		for b.Loop() {
			// One run is a data set; a second would clash with the first's accounts.
			b.StopTimer()
			db = engineFreshDB(b, db)
			b.StartTimer()
			if err := db.Generate(context.Background(), GenOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// engineFreshDB returns an empty store of db's dialect.
func engineFreshDB(b *testing.B, db *DB) *DB {
	if db.Dialect() == Postgres {
		return MustOpenPostgres(b, os.Getenv("EXAMHALL_TEST_POSTGRES"))
	}
	return MustOpenSQLite(b)
}

// BenchmarkFindGrades100k reads pages of 1,000 grades of an exam with
// 100,000 published attempts.
func BenchmarkFindGrades100k(b *testing.B) {
	if testing.Short() {
		b.Skip("big data set")
	}
	engineBenchDBs(b, func(b *testing.B, db *DB) {
		ctx := context.Background()
		engineMustGenerate(b, db, GenOptions{Exams: 1, Candidates: 100_000, Attempts: 100_000})
		var examID string
		if err := db.r.QueryRowContext(ctx, `SELECT id FROM exams`).Scan(&examID); err != nil {
			b.Fatal(err)
		}
		for _, p := range []struct {
			name   string
			offset int
		}{{"first", 0}, {"middle", 49_500}, {"last", 99_000}} {
			b.Run(p.name, func(b *testing.B) {
				for b.Loop() {
					page, total, err := db.FindGrades(ctx, examID, p.offset, 1000)
					if err != nil || total != 100_000 || len(page) != 1000 {
						b.Fatalf("%d of %d, %v", len(page), total, err)
					}
				}
			})
		}
	})
}

// BenchmarkExamList1000 reads the open API's exam list, a page of 1,000
// exams with their statistics, and a candidate's pending exams among them.
func BenchmarkExamList1000(b *testing.B) {
	if testing.Short() {
		b.Skip("big data set")
	}
	engineBenchDBs(b, func(b *testing.B, db *DB) {
		ctx := context.Background()
		engineMustGenerate(b, db, GenOptions{Exams: 1000, Candidates: 10_000, Attempts: 100_000, BigExam: 10_000})
		b.Run("page", func(b *testing.B) {
			for b.Loop() {
				exams, total, err := db.FindExams(ctx, examhall.ExamFilter{Limit: 1000})
				if err != nil || total != 1000 || len(exams) != 1000 {
					b.Fatalf("%d of %d, %v", len(exams), total, err)
				}
				ids := make([]string, len(exams))
				for i, e := range exams {
					ids[i] = e.ID
				}
				stats, err := db.FindExamStats(ctx, ids)
				if err != nil || len(stats) != 1000 {
					b.Fatal(err)
				}
			}
		})
		// A candidate's pending exams among the 1,000 (the open API's
		// getUserExam, page size 10).
		var user string
		if err := db.r.QueryRowContext(ctx, `SELECT id FROM users LIMIT 1`).Scan(&user); err != nil {
			b.Fatal(err)
		}
		b.Run("user", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := db.FindUserExams(ctx, user, db.now(), 0, 10); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkSubmitParallel measures SubmitAttempt with 200 candidates at
// once, reporting latency percentiles:
//
//   - closed: about 200 goroutines (b.SetParallelism) submit one attempt
//     after another without pause — a saturation test, where by Little's law
//     the latency is 200 / throughput;
//   - burst: 200 candidates hand in at the same moment (the end of an
//     exam), wave after wave, each 50 ms after the previous one is done
//     (the pause is not timed).
func BenchmarkSubmitParallel(b *testing.B) {
	if testing.Short() {
		b.Skip("big data set")
	}
	engineBenchDBs(b, func(b *testing.B, db *DB) {
		ctx := context.Background()
		now := engineT0.Add(30 * time.Minute)
		b.Run("closed", func(b *testing.B) {
			ids := engineInProgress(b, db, b.N, now)
			engineCheckpoint(b, db)
			q := &db.engine.closeQ
			batches, items := q.batches.Load(), q.items.Load()
			engineRunCallers(b, func(i int64) error {
				_, err := db.SubmitAttempt(ctx, ids[i], "", now)
				return err
			})
			b.ReportMetric(float64(q.items.Load()-items)/float64(max(q.batches.Load()-batches, 1)), "batch")
		})
		b.Run("burst", func(b *testing.B) {
			const candidates = 200
			waves := max(1, b.N/candidates)
			ids := engineInProgress(b, db, waves*candidates, now)
			engineCheckpoint(b, db)
			burst.Run(b, waves, candidates, nil, func(i int) error {
				_, err := db.SubmitAttempt(ctx, ids[i], "", now)
				return err
			})
		})
		// The burst with an endpoint subscribed to every event: each submit
		// also writes attempt.submitted and attempt.graded to the outbox,
		// in its batch's transaction (no sender runs).
		b.Run("burst-hooked", func(b *testing.B) {
			if err := db.CreateWebhook(ctx, &examhall.Webhook{URL: "https://hooks.example.com/bench",
				Secret: "0123456789abcdef", Enabled: true}); err != nil {
				b.Fatal(err)
			}
			const candidates = 200
			waves := max(1, b.N/candidates)
			ids := engineInProgress(b, db, waves*candidates, now)
			engineCheckpoint(b, db)
			burst.Run(b, waves, candidates, nil, func(i int) error {
				_, err := db.SubmitAttempt(ctx, ids[i], "", now)
				return err
			})
		})
	})
}

// engineCheckpoint has PostgreSQL write out what a benchmark's set-up wrote
// (as engineInProgress has SQLite do), as it would have long before the
// candidates hand in: otherwise the set-up's WAL starts checkpoints during
// the timed part. Skipped without the privilege to CHECKPOINT.
func engineCheckpoint(b *testing.B, db *DB) {
	if db.dialect != Postgres {
		return
	}
	if _, err := db.w.ExecContext(context.Background(), "CHECKPOINT"); err != nil {
		b.Logf("no checkpoint after the set-up: %v", err)
	}
}

// engineInProgress makes n in-progress attempts of a new published exam with
// a 20-question paper, each by its own new candidate, with every question
// answered; it returns their IDs.
func engineInProgress(b testing.TB, db *DB, n int, now time.Time) []string {
	b.Helper()
	ctx := context.Background()
	exam := engineMustExam(b, db)
	var qs []*examhall.Question
	answers := map[string]examhall.Answer{}
	for i := range 20 {
		q := engineSingle(fmt.Sprintf("q%02d", i), 5, i%4)
		qs = append(qs, q)
		answers[q.ID] = examhall.Answer{QuestionID: q.ID, Choices: []int{(i / 3) % 4}}
	}
	engineMustPaper(b, db, exam.ID, qs...)
	body, err := json.Marshal(answers)
	if err != nil {
		b.Fatal(err)
	}
	g, err := gradeSaved(exam, newPaper(qs), answers) // as the last save did
	if err != nil {
		b.Fatal(err)
	}
	users := make([]string, n)
	ids := make([]string, n)
	for i := range users {
		users[i], ids[i] = examhall.NewID(8), examhall.NewID(16)
	}
	err = db.genInsert(ctx, "users", []string{"id", "account", "name", "role", "password_hash", "disabled",
		"created_at", "updated_at"}, func(yield func([]any) bool) {
		for _, u := range users {
			if !yield([]any{u, "bench-" + u, "Bench", "examinee", "", false, ms(now), ms(now)}) {
				return
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	begin := now.Add(-10 * time.Minute)
	err = db.genInsert(ctx, "attempts", []string{"id", "exam_id", "user_id", "seq", "status", "begin_time",
		"deadline", "seed", "answers", "saved_at", "marks", "score", "needs_marking"}, func(yield func([]any) bool) {
		for i, id := range ids {
			if !yield([]any{id, exam.ID, users[i], 1, "in_progress", ms(begin), ms(begin.Add(time.Hour)),
				int64(i), string(body), ms(now), g.marks, g.score, g.needsMarking}) {
				return
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.dialect == SQLite {
		// Copy what the set-up wrote into the database file, as the
		// checkpointer would while the set-up's candidates sit the exam.
		if _, err := db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// BenchmarkSubmitExpiredIdle is the reaper's usual call: nothing expired
// among 100,000 attempts.
func BenchmarkSubmitExpiredIdle(b *testing.B) {
	if testing.Short() {
		b.Skip("big data set")
	}
	engineBenchDBs(b, func(b *testing.B, db *DB) {
		ctx := context.Background()
		engineMustGenerate(b, db, GenOptions{Exams: 10, Candidates: 10_000, Attempts: 100_000, BigExam: 10_000})
		engineInProgress(b, db, 1000, engineT0)
		b.Run("idle", func(b *testing.B) {
			for b.Loop() {
				if n, err := db.SubmitExpiredAttempts(ctx, engineT0); err != nil || n != 0 {
					b.Fatal(n, err)
				}
			}
		})
	})
}

// BenchmarkSaveAnswers measures autosaves: 200 candidates (b.SetParallelism)
// each saving one answer after another without pause, to attempts in
// progress of one exam, reporting saves/s and latency percentiles.
func BenchmarkSaveAnswers(b *testing.B) {
	engineBenchDBs(b, func(b *testing.B, db *DB) {
		ctx := context.Background()
		now := engineT0.Add(30 * time.Minute)
		const candidates = 2000
		ids := engineInProgress(b, db, candidates, now)
		engineCheckpoint(b, db)
		engineRunCallers(b, func(i int64) error {
			ans := []examhall.Answer{{QuestionID: fmt.Sprintf("q%02d", i%20), Choices: []int{int(i % 4)}}}
			_, err := db.SaveAnswers(ctx, ids[i%candidates], ans, now)
			return err
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
	})
}

// engineRunCallers runs call(0) … call(b.N-1) from about 200 goroutines
// (b.SetParallelism) without pause, timing only the calls, and reports
// their latency percentiles.
func engineRunCallers(b *testing.B, call func(i int64) error) {
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(max(1, 200/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			i := next.Add(1) - 1
			start := time.Now()
			if err := call(i); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	burst.Report(b, lat)
}
