package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"examhall"
)

// engineState is what the exam and attempt services keep in memory for one
// DB: parsed papers and, on SQLite, the hot statements prepared once.
type engineState struct {
	mu     sync.Mutex
	papers map[string]*paper // by exam ID
	// gen counts paper invalidations, so a load that raced with SetPaper
	// does not put the old paper back into the cache.
	gen int64

	// Prepared statements by query text. Preparing waits for a connection,
	// which a transaction looking a statement up may hold: so lookups take
	// no lock that is held while preparing.
	prepMu    sync.Mutex                           // serialises prepareHot
	stmts     atomic.Pointer[map[string]*sql.Stmt] // on db.w; nil until prepareHot ran
	readMu    sync.RWMutex
	readStmts map[string]*sql.Stmt // on db.r

	closeQ group[*closeReq] // SubmitAttempt's group commit (attempt.go)
}

// maxCachedPapers bounds the paper cache; past it the cache starts over.
const maxCachedPapers = 4096

// paper is an exam's parsed paper.
type paper struct {
	questions []*examhall.Question
	byID      map[string]*examhall.Question
}

func newPaper(qs []*examhall.Question) *paper {
	p := &paper{questions: qs, byID: make(map[string]*examhall.Question, len(qs))}
	for _, q := range qs {
		p.byID[q.ID] = q
	}
	return p
}

// attemptPaper returns the paper of an exam that has attempts, from the cache
// when it can. Only attempt operations use the cache: once an exam has
// attempts its paper is frozen (SetPaper refuses, and StartAttempt holds a
// share lock on the exam row against a concurrent SetPaper on PostgreSQL), so
// a cached paper is right in every process sharing the database. A miss reads
// through q, normally the caller's transaction.
func (db *DB) attemptPaper(ctx context.Context, q querier, examID string) (*paper, error) {
	p, gen := db.cachedPaper(examID)
	if p != nil {
		return p, nil
	}
	qs, err := findPaper(ctx, q, examID)
	if err != nil {
		return nil, err
	}
	p = newPaper(qs)
	db.cachePaper(examID, p, gen)
	return p, nil
}

// cachedPaper returns the exam's cached paper, or nil, and the cache
// generation to give cachePaper.
func (db *DB) cachedPaper(examID string) (*paper, int64) {
	st := &db.engine
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.papers[examID], st.gen
}

// cachePaper caches the paper of an exam that has attempts, unless the
// cache was invalidated since gen.
func (db *DB) cachePaper(examID string, p *paper, gen int64) {
	st := &db.engine
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.gen != gen {
		return
	}
	if st.papers == nil || len(st.papers) >= maxCachedPapers {
		st.papers = make(map[string]*paper)
	}
	st.papers[examID] = p
}

// forgetPaper drops an exam's cached paper.
func (db *DB) forgetPaper(examID string) {
	st := &db.engine
	st.mu.Lock()
	delete(st.papers, examID)
	st.gen++
	st.mu.Unlock()
}

// prepareHot prepares the statements of the hottest write paths
// (submitting, saving, starting) once on SQLite's single writer connection.
// modernc's driver does not cache statements, and compiling them anew in
// every transaction lengthens the time each write holds the one connection.
// It must run outside a transaction: it needs that connection. PostgreSQL
// needs none of this: pgx caches prepared statements per connection itself.
func (db *DB) prepareHot(ctx context.Context) error {
	st := &db.engine
	if db.dialect != SQLite || st.stmts.Load() != nil {
		return nil
	}
	st.prepMu.Lock()
	defer st.prepMu.Unlock()
	if st.stmts.Load() != nil {
		return nil
	}
	queries := db.hotQueries()
	m := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		s, err := db.w.PrepareContext(ctx, q)
		if err != nil {
			for _, s := range m {
				s.Close()
			}
			return fmt.Errorf("prepare: %w", err)
		}
		m[q] = s
	}
	st.stmts.Store(&m)
	return nil
}

// hotStmt returns query's prepared statement bound to tx, or nil when it has
// none (PostgreSQL, or prepareHot not run).
func (db *DB) hotStmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	m := db.engine.stmts.Load()
	if m == nil || (*m)[query] == nil {
		return nil
	}
	return tx.StmtContext(ctx, (*m)[query])
}

// hotExec runs one of db.hotQueries() in tx.
func (db *DB) hotExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if s := db.hotStmt(ctx, tx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// hotReadRow runs a frequent one-row read on the readers, through a
// statement prepared once (per reader connection, which database/sql
// handles) on SQLite, where preparing costs about as much as the read.
func (db *DB) hotReadRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s := db.readStmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.r.QueryRowContext(ctx, query, args...)
}

// readStmt returns query prepared on the readers, or nil on PostgreSQL
// (whose driver caches prepared statements itself) or when preparing fails
// (the query then reports the error).
func (db *DB) readStmt(ctx context.Context, query string) *sql.Stmt {
	if db.dialect != SQLite {
		return nil
	}
	st := &db.engine
	st.readMu.RLock()
	s := st.readStmts[query]
	st.readMu.RUnlock()
	if s != nil {
		return s
	}
	p, err := db.r.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	st.readMu.Lock()
	defer st.readMu.Unlock()
	if s = st.readStmts[query]; s != nil {
		p.Close() // another caller was first
		return s
	}
	if st.readStmts == nil {
		st.readStmts = make(map[string]*sql.Stmt)
	}
	st.readStmts[query] = p
	return p
}

// writeOne runs a write statement as a transaction of its own (prepared
// when it is one of db.hotQueries()) and returns the rows it changed: on
// PostgreSQL one round trip.
func (db *DB) writeOne(ctx context.Context, query string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if m := db.engine.stmts.Load(); m != nil && (*m)[query] != nil {
		res, err = (*m)[query].ExecContext(ctx, args...)
	} else {
		res, err = db.w.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, mapError(err)
	}
	if db.ckpt != nil {
		db.ckpt.written()
	}
	return res.RowsAffected()
}

// hotQueryRow runs one of db.hotQueries() in tx.
func (db *DB) hotQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if s := db.hotStmt(ctx, tx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// SetPaper replaces the exam's questions, in order, and sets its PaperScore
// to their sum. Questions without an ID get one. EINVALID for an invalid
// question or a repeated ID, ENOTFOUND, ECONFLICT once the exam has attempts.
func (db *DB) SetPaper(ctx context.Context, examID string, questions []*examhall.Question) error {
	ids := make(map[string]bool, len(questions))
	for i, q := range questions {
		if q == nil {
			return examhall.Errorf(examhall.EINVALID, "question %d is empty", i+1)
		}
		if err := q.Validate(); err != nil {
			return examhall.Errorf(examhall.EINVALID, "question %d: %s", i+1, examhall.ErrorMessage(err))
		}
		if q.ID == "" {
			q.ID = examhall.NewID(6)
		}
		if len(q.ID) > examhall.MaxIDLen {
			return examhall.Errorf(examhall.EINVALID, "question %d: id is longer than %d characters", i+1, examhall.MaxIDLen)
		}
		if ids[q.ID] {
			return examhall.Errorf(examhall.EINVALID, "question id %q is repeated", q.ID)
		}
		ids[q.ID] = true
	}
	bodies := make([]string, len(questions))
	for i, q := range questions {
		b, err := json.Marshal(q)
		if err != nil {
			return fmt.Errorf("set paper: %w", err)
		}
		bodies[i] = string(b)
	}
	now := db.now()
	err := db.transact(ctx, func(tx *sql.Tx) error {
		// Updating the exam row first locks it (PostgreSQL), so a StartAttempt
		// holding its share lock finishes first and the check below sees it,
		// or waits for us.
		res, err := tx.ExecContext(ctx, `UPDATE exams SET paper_score = $2, updated_at = $3 WHERE id = $1`,
			examID, examhall.PaperScore(questions), ms(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return examhall.Errorf(examhall.ENOTFOUND, "exam %q not found", examID)
		}
		var started bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM attempts WHERE exam_id = $1)`, examID).Scan(&started); err != nil {
			return err
		}
		if started {
			return examhall.Errorf(examhall.ECONFLICT, "the exam has attempts; its paper can no longer change")
		}
		var before int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM questions WHERE exam_id = $1`, examID).Scan(&before); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM questions WHERE exam_id = $1`, examID); err != nil {
			return err
		}
		if err := insertQuestions(ctx, tx, examID, questions, bodies); err != nil {
			return err
		}
		qids := make([]string, len(questions))
		for i, q := range questions {
			qids[i] = q.ID
		}
		// The questions themselves are in the paper: the log keeps which and
		// how many, not every stem and answer key.
		return db.audit(ctx, tx, "paper", examID, "set", map[string]any{"questions": before},
			map[string]any{"questions": len(questions), "questionIds": qids, "paperScore": examhall.PaperScore(questions)})
	})
	db.forgetPaper(examID)
	if err != nil {
		return fmt.Errorf("set paper: %w", err)
	}
	return nil
}

// insertQuestions inserts a paper's rows in multi-row statements.
func insertQuestions(ctx context.Context, tx *sql.Tx, examID string, qs []*examhall.Question, bodies []string) error {
	const perStmt = 200 // 4 parameters each: far below both dialects' limits
	for start := 0; start < len(qs); start += perStmt {
		end := min(start+perStmt, len(qs))
		args := make([]any, 0, 4*(end-start))
		for i := start; i < end; i++ {
			args = append(args, examID, i+1, qs[i].ID, bodies[i])
		}
		q := `INSERT INTO questions (exam_id, seq, id, body) VALUES ` + engineValues(end-start, 4, 1)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// FindPaper returns the exam's questions in order, answers included; an
// empty slice when it has none. ENOTFOUND when the exam does not exist.
func (db *DB) FindPaper(ctx context.Context, examID string) ([]*examhall.Question, error) {
	var qs []*examhall.Question
	err := db.engineSnapshot(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM exams WHERE id = $1`, examID).Scan(&one); err != nil {
			return notFound(err, "exam %q not found", examID)
		}
		var err error
		qs, err = findPaper(ctx, tx, examID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find paper: %w", err)
	}
	return qs, nil
}

// findPaper reads an exam's questions in order.
func findPaper(ctx context.Context, q querier, examID string) ([]*examhall.Question, error) {
	rows, err := q.QueryContext(ctx, `SELECT body FROM questions WHERE exam_id = $1 ORDER BY seq`, examID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	qs := []*examhall.Question{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var q examhall.Question
		if err := json.Unmarshal([]byte(body), &q); err != nil {
			return nil, fmt.Errorf("question of exam %s: %w", examID, err)
		}
		qs = append(qs, &q)
	}
	return qs, rows.Err()
}

// engineSnapshot runs fn in a read-only transaction on the readers, so a read of
// several statements sees one state of the database (SQLite's WAL snapshot;
// REPEATABLE READ on PostgreSQL).
func (db *DB) engineSnapshot(ctx context.Context, fn func(tx *sql.Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.r.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// engineValues returns "($s, $s+1, …), (…)…": rows groups of cols placeholders
// numbered from start.
func engineValues(rows, cols, start int) string {
	b := make([]byte, 0, rows*cols*6)
	n := start
	for r := range rows {
		if r > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '(')
		for c := range cols {
			if c > 0 {
				b = append(b, ", "...)
			}
			b = append(b, '$')
			b = fmt.Appendf(b, "%d", n)
			n++
		}
		b = append(b, ')')
	}
	return string(b)
}

// engineParams returns "$start, …" for n parameters, for IN lists.
func engineParams(n, start int) string {
	b := make([]byte, 0, n*6)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "$%d", start+i)
	}
	return string(b)
}
