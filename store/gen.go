package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"examhall"
)

// GenOptions sizes a synthetic data set; zero fields take the defaults.
type GenOptions struct {
	Exams      int    // exams, default 1,000
	Candidates int    // examinees, default 100,000, in a 3-level department tree
	Attempts   int    // published attempts in all, default 1,000,000
	BigExam    int    // attempts of the first exam, default 100,000 (at most Attempts and Candidates)
	Prefix     string // prefix of accounts and department and exam names, default "gen"
	Seed       uint64 // random seed, default 1
	// Now anchors the exams' windows (they end around it); default the DB's clock.
	Now time.Time
}

func (o *GenOptions) defaults(now time.Time) {
	if o.Exams <= 0 {
		o.Exams = 1000
	}
	if o.Candidates <= 0 {
		o.Candidates = 100_000
	}
	if o.Attempts <= 0 {
		o.Attempts = 1_000_000
	}
	if o.BigExam <= 0 {
		o.BigExam = 100_000
	}
	o.BigExam = min(o.BigExam, o.Attempts, o.Candidates)
	if o.Exams == 1 {
		o.BigExam = min(o.Attempts, o.Candidates)
	}
	if o.Prefix == "" {
		o.Prefix = "gen"
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Now.IsZero() {
		o.Now = now
	}
}

// Generate fills the store with a synthetic data set for load tests and
// benchmarks: a department tree (1 root, 10 centres, 10 departments each),
// Candidates examinees spread over the leaves, Exams published exams with a
// 10-question paper of 100 points, and Attempts published attempts — BigExam
// of them in the first exam, the rest spread evenly — with scores drawn from
// a normal distribution around 70 ± 15 (whole points, so ties occur), used
// times between 10 and 60 minutes, and exam_stats consistent with them.
// Every candidate sits an exam at most once. Accounts and names carry the
// prefix (and department names the root), so generating twice into one
// store needs two prefixes.
//
// It writes with bulk paths (see genInsert): COPY on PostgreSQL, prepared
// INSERTs in transactions of 100,000 rows on SQLite; then it refreshes the
// planner statistics. The default set takes about 45 s on SQLite and 30 s on
// PostgreSQL on a 2-core machine.
func (db *DB) Generate(ctx context.Context, opt GenOptions) error {
	opt.defaults(db.now())
	rng := rand.New(rand.NewPCG(opt.Seed, 0x67656e))
	now := ms(opt.Now)
	const day = int64(24 * time.Hour / time.Millisecond)

	// Departments: root / 10 centres / 10 departments each.
	type dept struct{ id, parent, name, path string }
	root := dept{id: examhall.NewID(6), name: opt.Prefix + " Corp"}
	root.path = root.name
	depts := []dept{root}
	var leaves []dept
	for c := range 10 {
		centre := dept{id: examhall.NewID(6), parent: root.id, name: fmt.Sprintf("Centre %02d", c+1)}
		centre.path = root.path + "/" + centre.name
		depts = append(depts, centre)
		for d := range 10 {
			leaf := dept{id: examhall.NewID(6), parent: centre.id, name: fmt.Sprintf("Dept %02d", d+1)}
			leaf.path = centre.path + "/" + leaf.name
			depts = append(depts, leaf)
			leaves = append(leaves, leaf)
		}
	}
	err := db.genInsert(ctx, "departments", []string{"id", "parent_id", "name", "path", "created_at"},
		func(yield func([]any) bool) {
			for _, d := range depts {
				var parent any
				if d.parent != "" {
					parent = d.parent
				}
				if !yield([]any{d.id, parent, d.name, d.path, now - 400*day}) {
					return
				}
			}
		})
	if err != nil {
		return fmt.Errorf("generate departments: %w", err)
	}

	userIDs := make([]string, opt.Candidates)
	for i := range userIDs {
		userIDs[i] = examhall.NewID(6)
	}
	err = db.genInsert(ctx, "users", []string{"id", "account", "account_key", "name", "role", "dept_id", "password_hash",
		"disabled", "created_at", "updated_at"},
		func(yield func([]any) bool) {
			for i, id := range userIDs {
				created := now - 400*day + int64(i)
				account := fmt.Sprintf("%s%07d", opt.Prefix, i+1)
				if !yield([]any{id, account, examhall.AccountKey(account), genName(rng), "examinee",
					leaves[i%len(leaves)].id, "", false, created, created}) {
					return
				}
			}
		})
	if err != nil {
		return fmt.Errorf("generate users: %w", err)
	}

	// Exams: windows of 30 days ending between a year ago and a month from
	// now; created a week before they open, so the newest ends last.
	type exam struct {
		id                string
		begin, end        int64
		answerMinutes     int
		attempts, shift   int
		stats             statsDelta
		passScore, credit float64
	}
	exams := make([]exam, opt.Exams)
	rest, others := opt.Attempts-opt.BigExam, max(opt.Exams-1, 1)
	for i := range exams {
		e := &exams[i]
		e.id = examhall.NewID(6)
		e.end = now + 30*day - int64(opt.Exams-1-i)*365*day/int64(max(opt.Exams, 1))
		e.begin = e.end - 30*day
		e.answerMinutes = 60
		e.passScore = 60
		if i == 0 {
			e.attempts = opt.BigExam
		} else {
			e.attempts = rest / others
			if i <= rest%others {
				e.attempts++
			}
		}
		e.attempts = min(e.attempts, opt.Candidates)
		e.shift = rng.IntN(opt.Candidates)
	}
	err = db.genInsert(ctx, "exams", []string{"id", "name", "begin_time", "end_time", "answer_minutes",
		"pass_score", "paper_score", "allow_times", "integral_rate", "shuffle_questions", "shuffle_options",
		"partial_credit", "audience", "status", "created_by", "created_at", "updated_at"},
		func(yield func([]any) bool) {
			for i, e := range exams {
				created := e.begin - 7*day
				if !yield([]any{e.id, fmt.Sprintf("%s exam %04d", opt.Prefix, i+1), e.begin, e.end, e.answerMinutes,
					e.passScore, 100.0, 1, examhall.DefaultIntegralRate, false, false, false, "all", "published",
					"", created, created}) {
					return
				}
			}
		})
	if err != nil {
		return fmt.Errorf("generate exams: %w", err)
	}

	bodies := make([]string, 10)
	qids := make([]string, 10)
	for i := range bodies {
		qids[i] = fmt.Sprintf("q%02d", i+1)
		b, err := json.Marshal(&examhall.Question{ID: qids[i], Type: examhall.QuestionSingle,
			Stem: fmt.Sprintf("Question %d", i+1), Score: 10, Options: []string{"A", "B", "C", "D"}, Correct: []int{i % 4}})
		if err != nil {
			return err
		}
		bodies[i] = string(b)
	}
	err = db.genInsert(ctx, "questions", []string{"exam_id", "seq", "id", "body"},
		func(yield func([]any) bool) {
			for _, e := range exams {
				for i := range bodies {
					if !yield([]any{e.id, i + 1, qids[i], bodies[i]}) {
						return
					}
				}
			}
		})
	if err != nil {
		return fmt.Errorf("generate questions: %w", err)
	}

	// Attempts: exam e's k-th attempt belongs to candidate (shift+k) mod
	// Candidates, so no candidate sits an exam twice.
	err = db.genInsert(ctx, "attempts", []string{"id", "exam_id", "user_id", "seq", "status", "begin_time",
		"deadline", "end_time", "used_seconds", "score", "passed", "integral", "seed", "answers", "marks", "saved_at"},
		func(yield func([]any) bool) {
			for i := range exams {
				e := &exams[i]
				span := e.end - e.begin - int64(e.answerMinutes)*60_000
				for k := range e.attempts {
					score := math.Round(min(max(rng.NormFloat64()*15+70, 0), 100))
					used := 600 + rng.IntN(3001)
					begin := e.begin + rng.Int64N(span)
					passed := score >= e.passScore
					e.stats.add(score, passed)
					row := []any{examhall.NewID(16), e.id, userIDs[(e.shift+k)%opt.Candidates], 1, "published",
						begin, begin + int64(e.answerMinutes)*60_000, begin + int64(used)*1000, used, score, passed,
						examhall.Round2(score * examhall.DefaultIntegralRate), rng.Int64(), "{}", "{}", begin + int64(used)*1000}
					if !yield(row) {
						return
					}
				}
			}
		})
	if err != nil {
		return fmt.Errorf("generate attempts: %w", err)
	}

	err = db.genInsert(ctx, "exam_stats", []string{"exam_id", "attend_num", "pass_num", "score_sum", "max_score", "min_score"},
		func(yield func([]any) bool) {
			for _, e := range exams {
				if e.stats.n > 0 && !yield([]any{e.id, e.stats.n, e.stats.pass, e.stats.sum, e.stats.max, e.stats.min}) {
					return
				}
			}
		})
	if err != nil {
		return fmt.Errorf("generate stats: %w", err)
	}

	// Fresh planner statistics; on PostgreSQL VACUUM also sets the
	// visibility map that index-only scans (FindGrades) rely on.
	analyze := "ANALYZE"
	if db.dialect == Postgres {
		analyze = "VACUUM ANALYZE"
	}
	for _, t := range []string{"departments", "users", "exams", "questions", "attempts", "exam_stats"} {
		if _, err := db.w.ExecContext(ctx, analyze+" "+t); err != nil {
			return fmt.Errorf("generate: %s: %w", strings.ToLower(analyze), err)
		}
	}
	return nil
}

var (
	genSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	genGiven    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")
)

// genName returns a random two- or three-character Chinese name.
func genName(r *rand.Rand) string {
	n := []rune{genSurnames[r.IntN(len(genSurnames))], genGiven[r.IntN(len(genGiven))]}
	if r.IntN(2) == 0 {
		n = append(n, genGiven[r.IntN(len(genGiven))])
	}
	return string(n)
}

// genInsert writes rows into table: COPY on PostgreSQL; on SQLite, one
// prepared single-row INSERT per row, committed every 100,000 rows. Single
// rows beat multi-row INSERTs there (measured: 3x): a multi-row statement
// inside a transaction keeps a statement journal, and the driver binds each
// $N by looking its name up in a list as long as the statement's parameters.
func (db *DB) genInsert(ctx context.Context, table string, cols []string, rows iter.Seq[[]any]) error {
	if db.dialect == Postgres {
		return db.genCopy(ctx, table, cols, rows)
	}
	const txRows = 100_000
	q := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` + engineValues(1, len(cols), 1)
	var tx *sql.Tx
	var stmt *sql.Stmt
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	n := 0
	for row := range rows {
		if tx == nil {
			var err error
			if tx, err = db.w.BeginTx(ctx, nil); err != nil {
				return err
			}
			if stmt, err = tx.PrepareContext(ctx, q); err != nil {
				return err
			}
		}
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return err
		}
		if n++; n%txRows == 0 {
			stmt.Close()
			err := tx.Commit()
			tx = nil
			if err != nil {
				return err
			}
		}
	}
	if tx == nil {
		return nil
	}
	stmt.Close()
	err := tx.Commit()
	tx = nil
	return err
}

// genCopy streams rows into table with PostgreSQL's COPY, through the pgx
// connection under database/sql.
func (db *DB) genCopy(ctx context.Context, table string, cols []string, rows iter.Seq[[]any]) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		next, stop := iter.Pull(rows)
		defer stop()
		src := &genSource{next: next}
		_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, src)
		return err
	})
}

// genSource adapts a pulled iterator to pgx.CopyFromSource.
type genSource struct {
	next func() ([]any, bool)
	row  []any
}

func (s *genSource) Next() bool {
	var ok bool
	s.row, ok = s.next()
	return ok
}

func (s *genSource) Values() ([]any, error) { return s.row, nil }
func (s *genSource) Err() error             { return nil }
