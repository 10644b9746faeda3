package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"examhall"
)

var _ examhall.AttemptService = (*DB)(nil)

// attemptColumns are the columns attemptRow scans, from attempts aliased a.
const attemptColumns = `a.id, a.exam_id, a.user_id, a.status, a.begin_time, a.deadline, a.end_time, a.used_seconds,
	a.score, a.passed, a.integral, a.seed, a.answers, a.marks, a.saved_at`

// attemptRow scans attemptColumns (and gradeColumns).
type attemptRow struct {
	a                           examhall.Attempt
	begin, deadline, end, saved int64
	answers, marks              string
}

func (r *attemptRow) dest() []any {
	a := &r.a
	return []any{&a.ID, &a.ExamID, &a.UserID, &a.Status, &r.begin, &r.deadline, &r.end, &a.UsedSeconds,
		&a.Score, &a.Passed, &a.Integral, &a.Seed, &r.answers, &r.marks, &r.saved}
}

func (r *attemptRow) attempt() (*examhall.Attempt, error) {
	a := r.a
	a.BeginTime, a.Deadline, a.EndTime, a.SavedAt = fromMS(r.begin), fromMS(r.deadline), fromMS(r.end), fromMS(r.saved)
	if r.answers != "" && r.answers != "{}" {
		if err := json.Unmarshal([]byte(r.answers), &a.Answers); err != nil {
			return nil, fmt.Errorf("answers of attempt %s: %w", a.ID, err)
		}
	}
	if r.marks != "" && r.marks != "{}" {
		if err := json.Unmarshal([]byte(r.marks), &a.Marks); err != nil {
			return nil, fmt.Errorf("marks of attempt %s: %w", a.ID, err)
		}
	}
	return &a, nil
}

// jsonObject encodes answers or marks; nil is "{}".
func jsonObject[V any](m map[string]V) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// The statements of the hot paths, prepared once on SQLite (see prepareHot
// and hotRead). qAttemptWithExam also serves writes, with a row lock clause
// appended on PostgreSQL.
const (
	qAttemptWithExam = `SELECT ` + attemptColumns + `, ` + examColumns + `
		FROM attempts a JOIN exams e ON e.id = a.exam_id WHERE a.id = $1`
	qAttemptSlots = `SELECT COUNT(*), COALESCE(MAX(seq), 0),
		COALESCE(SUM(CASE WHEN status = 'in_progress' THEN 1 ELSE 0 END), 0)
		FROM attempts WHERE exam_id = $1 AND user_id = $2`
	qInsertAttempt = `INSERT INTO attempts (id, exam_id, user_id, seq, status, begin_time, deadline, seed)
		VALUES ($1, $2, $3, $4, 'in_progress', $5, $6, $7)`
	qSaveAnswers = `UPDATE attempts SET answers = $2, saved_at = $3 WHERE id = $1`
)

// hotQueries lists the statements prepareHot prepares.
func (db *DB) hotQueries() []string {
	return []string{qAttemptWithExam, qAttemptSlots, qInsertAttempt, qSaveAnswers, qAddStats, qCloseOne}
}

// lockAttempt reads an attempt and its exam for a write; on PostgreSQL it
// locks the attempt row (only it: the exam row stays free for the others).
func (db *DB) lockAttempt(ctx context.Context, tx *sql.Tx, id string) (*examhall.Attempt, *examhall.Exam, error) {
	var ar attemptRow
	var er examRow
	err := db.hotQueryRow(ctx, tx, qAttemptWithExam+db.engineLock("FOR UPDATE OF a"), id).
		Scan(append(ar.dest(), er.dest()...)...)
	if err != nil {
		return nil, nil, notFound(err, "attempt %q not found", id)
	}
	a, err := ar.attempt()
	if err != nil {
		return nil, nil, err
	}
	return a, er.exam(), nil
}

// msTime truncates a caller's time to the stored precision, in UTC.
func msTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// StartAttempt begins the user's next attempt of the exam at now, with its
// deadline from the user's rules and a random shuffling seed. ENOTFOUND for
// an unknown exam or user; EINVALID for an unpublished exam, a user outside
// the audience, or now outside the user's window; ECONFLICT while another
// attempt is in progress or when no attempts are left.
//
// Concurrent starts for one candidate cannot both win: the second insert
// breaks the unique (exam, user, seq) or the one-in-progress index and
// becomes ECONFLICT.
func (db *DB) StartAttempt(ctx context.Context, examID, userID string, now time.Time) (*examhall.Attempt, error) {
	if err := db.prepareHot(ctx); err != nil {
		return nil, fmt.Errorf("start attempt: %w", err)
	}
	now = msTime(now)
	var a *examhall.Attempt
	err := db.transact(ctx, func(tx *sql.Tx) error {
		// The share lock keeps SetPaper from changing the paper under a
		// starting attempt (see attemptPaper); starts do not block each other.
		e, err := findExam(ctx, tx, examID, db.engineLock("FOR SHARE"))
		if err != nil {
			return err
		}
		if e.Status != examhall.ExamPublished {
			return examhall.Errorf(examhall.EINVALID, "the exam is not published")
		}
		c, err := findCandidate(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := inAudience(ctx, tx, e, c); err != nil {
			return err
		}
		o, err := findOverride(ctx, tx, examID, userID)
		if err != nil {
			return err
		}
		rules := e.RulesFor(o)
		switch {
		case now.Before(rules.BeginTime):
			return examhall.Errorf(examhall.EINVALID, "the exam has not begun")
		case !now.Before(rules.EndTime):
			return examhall.Errorf(examhall.EINVALID, "the exam is over")
		}
		var used, lastSeq, inProgress int
		if err := db.hotQueryRow(ctx, tx, qAttemptSlots, examID, userID).Scan(&used, &lastSeq, &inProgress); err != nil {
			return err
		}
		switch {
		case inProgress > 0:
			return examhall.Errorf(examhall.ECONFLICT, "an attempt is already in progress")
		case used >= rules.AllowTimes:
			return examhall.Errorf(examhall.ECONFLICT, "no attempts left")
		}
		a = &examhall.Attempt{
			ID:        examhall.NewID(16),
			ExamID:    examID,
			UserID:    userID,
			Status:    examhall.AttemptInProgress,
			BeginTime: now,
			Deadline:  rules.Deadline(now),
			Seed:      rand.Int64(),
		}
		_, err = db.hotExec(ctx, tx, qInsertAttempt, a.ID, examID, userID, lastSeq+1, ms(a.BeginTime), ms(a.Deadline), a.Seed)
		if isUnique(err) {
			return examhall.Errorf(examhall.ECONFLICT, "an attempt is already in progress")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("start attempt: %w", err)
	}
	return a, nil
}

// FindAttemptByID returns the attempt with its answers and marks; ENOTFOUND.
func (db *DB) FindAttemptByID(ctx context.Context, id string) (*examhall.Attempt, error) {
	var r attemptRow
	err := db.r.QueryRowContext(ctx, `SELECT `+attemptColumns+` FROM attempts a WHERE a.id = $1`, id).Scan(r.dest()...)
	if err != nil {
		return nil, fmt.Errorf("find attempt: %w", notFound(err, "attempt %q not found", id))
	}
	a, err := r.attempt()
	if err != nil {
		return nil, fmt.Errorf("find attempt: %w", err)
	}
	return a, nil
}

// FindAttempts returns the matching attempts, newest first, and the total
// count ignoring Offset and Limit.
func (db *DB) FindAttempts(ctx context.Context, f examhall.AttemptFilter) ([]*examhall.Attempt, int, error) {
	var where []string
	var args []any
	if f.ExamID != "" {
		args = append(args, f.ExamID)
		where = append(where, fmt.Sprintf("a.exam_id = $%d", len(args)))
	}
	if f.UserID != "" {
		args = append(args, f.UserID)
		where = append(where, fmt.Sprintf("a.user_id = $%d", len(args)))
	}
	if f.Status != nil {
		args = append(args, string(*f.Status))
		where = append(where, fmt.Sprintf("a.status = $%d", len(args)))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var out []*examhall.Attempt
	var total int
	err := db.engineSnapshot(ctx, func(tx *sql.Tx) error {
		q := `SELECT ` + attemptColumns + `, COUNT(*) OVER () FROM attempts a` + cond +
			fmt.Sprintf(` ORDER BY a.begin_time DESC, a.id DESC LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2)
		rows, err := tx.QueryContext(ctx, q, append(args, engineLimit(f.Limit), max(f.Offset, 0))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r attemptRow
			if err := rows.Scan(append(r.dest(), &total)...); err != nil {
				return err
			}
			a, err := r.attempt()
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 && f.Offset > 0 {
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM attempts a`+cond, args...).Scan(&total)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find attempts: %w", err)
	}
	return out, total, nil
}

// SaveAnswers merges answers (by question ID) into an in-progress attempt
// and returns it. ENOTFOUND; ECONFLICT when it is no longer in progress or
// now is at or past its deadline; EINVALID for a question the paper does not
// have or an over-long answer.
func (db *DB) SaveAnswers(ctx context.Context, attemptID string, answers []examhall.Answer, now time.Time) (*examhall.Attempt, error) {
	for _, ans := range answers {
		if err := checkAnswer(ans); err != nil {
			return nil, err
		}
	}
	if err := db.prepareHot(ctx); err != nil {
		return nil, fmt.Errorf("save answers: %w", err)
	}
	now = msTime(now)
	var a *examhall.Attempt
	err := db.transact(ctx, func(tx *sql.Tx) error {
		var err error
		if a, _, err = db.lockAttempt(ctx, tx, attemptID); err != nil {
			return err
		}
		switch {
		case a.Status != examhall.AttemptInProgress:
			return examhall.Errorf(examhall.ECONFLICT, "the attempt is no longer in progress")
		case !now.Before(a.Deadline):
			return examhall.Errorf(examhall.ECONFLICT, "the attempt's time is up")
		}
		p, err := db.attemptPaper(ctx, tx, a.ExamID)
		if err != nil {
			return err
		}
		if a.Answers == nil {
			a.Answers = make(map[string]examhall.Answer, len(answers))
		}
		for _, ans := range answers {
			if p.byID[ans.QuestionID] == nil {
				return examhall.Errorf(examhall.EINVALID, "the paper has no question %q", ans.QuestionID)
			}
			a.Answers[ans.QuestionID] = ans
		}
		body, err := jsonObject(a.Answers)
		if err != nil {
			return err
		}
		// saved_at grows with every save, even two within a millisecond:
		// SubmitAttempt relies on it to notice a save after its read.
		saved := now
		if !saved.After(a.SavedAt) {
			saved = a.SavedAt.Add(time.Millisecond)
		}
		a.SavedAt = saved
		_, err = db.hotExec(ctx, tx, qSaveAnswers, attemptID, body, ms(saved))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("save answers: %w", err)
	}
	return a, nil
}

// checkAnswer bounds what a candidate may store.
func checkAnswer(a examhall.Answer) error {
	size := len(a.Text)
	for _, b := range a.Blanks {
		size += len(b)
	}
	switch {
	case a.QuestionID == "":
		return examhall.Errorf(examhall.EINVALID, "an answer has no questionId")
	case size > examhall.MaxTextLen:
		return examhall.Errorf(examhall.EINVALID, "the answer to %q is longer than %d bytes", a.QuestionID, examhall.MaxTextLen)
	case len(a.Choices) > 64 || len(a.Blanks) > 64:
		return examhall.Errorf(examhall.EINVALID, "the answer to %q has too many parts", a.QuestionID)
	}
	return nil
}

// closeAttempt grades an in-progress attempt submitted at now (never later
// than its deadline): objective marks, and the result unless short answers
// wait for a marker.
func closeAttempt(a *examhall.Attempt, e *examhall.Exam, p *paper, now time.Time) {
	end := now
	if a.Deadline.Before(end) {
		end = a.Deadline
	}
	if end.Before(a.BeginTime) {
		end = a.BeginTime
	}
	a.EndTime = end
	a.UsedSeconds = int(end.Sub(a.BeginTime) / time.Second)
	marks, total, needsMarking := examhall.Grade(e, p.questions, a.Answers)
	a.Marks = marks
	if needsMarking {
		// Score shows the objective part meanwhile; pass and integral wait.
		a.Status, a.Score, a.Passed, a.Integral = examhall.AttemptMarking, total, false, 0
		return
	}
	a.Finish(e)
	a.Status = examhall.AttemptPublished
}

// closeReq is one attempt to close: a candidate's submit or the reaper's.
type closeReq struct {
	id string
	at time.Time // closing time; the attempt ends then or at its deadline

	a       *examhall.Attempt // graded and closed by gradeBatch
	marks   string            // a.Marks as stored, by gradeBatch
	rowid   int64             // on SQLite, by gradeBatch
	written bool              // stored by writeBatch
	err     error             // why it was not closed
	done    chan bool         // group commit: true when done, false to lead
}

// closeRounds bounds how often a close grades again because the attempt was
// saved between its read and its write.
const closeRounds = 3

// SubmitAttempt grades and closes an in-progress attempt at now, or at its
// deadline when that came first. Without short-answer questions it is
// published at once and the exam's statistics include it (same
// transaction); otherwise it waits for marking. ENOTFOUND; ECONFLICT when it
// is not in progress.
//
// Concurrent submits are closed together (see closeGrouped): one read of
// all their attempts, one write transaction.
func (db *DB) SubmitAttempt(ctx context.Context, attemptID string, now time.Time) (*examhall.Attempt, error) {
	req := &closeReq{id: attemptID, at: msTime(now)}
	db.closeGrouped(ctx, req)
	if req.err != nil {
		return nil, fmt.Errorf("submit attempt: %w", req.err)
	}
	return req.a, nil
}

// closeBatch closes a batch of attempts: it reads them in one query on a
// reader, grades them, and writes them in one transaction. The write is
// optimistic: it applies only to attempts neither closed nor saved since the
// read; those saved meanwhile are read and graded again. Each request ends
// with r.a closed or r.err set.
func (db *DB) closeBatch(ctx context.Context, batch []*closeReq) {
	todo := batch
	for range closeRounds {
		graded, err := db.gradeBatch(ctx, todo)
		if err != nil {
			for _, r := range todo {
				r.err = err
			}
			return
		}
		db.runWriteBatch(ctx, graded)
		todo = nil
		for _, r := range graded {
			if r.err == nil && !r.written {
				todo = append(todo, r) // saved after the read
			}
		}
		if len(todo) == 0 {
			return
		}
	}
	for _, r := range todo {
		r.a, r.err = nil, examhall.Errorf(examhall.ECONFLICT, "the attempt keeps changing; submit again")
	}
}

// qSubmitRead reads what closing attempts needs: of each attempt, the
// fields an in-progress attempt has (closeAttempt sets the others, marks
// included), and of its exam only the grading rules. Fewer columns make a
// noticeably cheaper scan than qAttemptWithExam's 32. The first column is
// the attempt's rowid on SQLite (see qCloseOne), 0 on PostgreSQL.
const qSubmitRead = ` a.id, a.exam_id, a.user_id, a.status, a.begin_time, a.deadline, a.seed, a.answers,
	a.saved_at, e.partial_credit, e.pass_score, e.integral_rate
	FROM attempts a JOIN exams e ON e.id = a.exam_id WHERE a.id `

const (
	qSubmitReadSQLite   = `SELECT a.rowid,` + qSubmitRead + `IN (SELECT value FROM json_each($1))`
	qSubmitReadPostgres = `SELECT 0,` + qSubmitRead + `= ANY($1::text[])`
)

// gradeBatch reads the attempts of reqs in one query and closes each in
// memory (r.a); it returns the requests it graded. A request for an unknown
// attempt gets ENOTFOUND, one for an attempt not in progress (or repeated in
// reqs) ECONFLICT. Only a failing read is an error.
func (db *DB) gradeBatch(ctx context.Context, reqs []*closeReq) ([]*closeReq, error) {
	ids := make([]string, len(reqs))
	for i, r := range reqs {
		r.a, r.marks, r.written, r.err = nil, "", false, nil
		ids[i] = r.id
	}
	q := qSubmitReadPostgres
	if db.dialect == SQLite {
		q = qSubmitReadSQLite
	}
	type read struct {
		a     *examhall.Attempt
		e     examhall.Exam
		rowid int64
	}
	found := make(map[string]*read, len(reqs))
	rows, err := db.hotRead(ctx, q, db.engineListArg(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		a, x := &examhall.Attempt{}, &read{}
		var begin, deadline, saved int64
		var answers sql.RawBytes // valid until the next Next: decoded before
		if err := rows.Scan(&x.rowid, &a.ID, &a.ExamID, &a.UserID, &a.Status, &begin, &deadline, &a.Seed, &answers,
			&saved, &x.e.PartialCredit, &x.e.PassScore, &x.e.IntegralRate); err != nil {
			return nil, err
		}
		a.BeginTime, a.Deadline, a.SavedAt = fromMS(begin), fromMS(deadline), fromMS(saved)
		if a.Status == examhall.AttemptInProgress {
			if a.Answers, err = decodeAnswers(answers); err != nil {
				return nil, fmt.Errorf("answers of attempt %s: %w", a.ID, err)
			}
		}
		x.a = a
		found[a.ID] = x
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	graded := make([]*closeReq, 0, len(reqs))
	for _, r := range reqs {
		x := found[r.id]
		switch {
		case x == nil:
			r.err = examhall.Errorf(examhall.ENOTFOUND, "attempt %q not found", r.id)
			continue
		case x.a == nil || x.a.Status != examhall.AttemptInProgress:
			// x.a == nil: the same attempt earlier in reqs; one close wins.
			r.err = examhall.Errorf(examhall.ECONFLICT, "the attempt is not in progress")
			continue
		}
		p, err := db.attemptPaper(ctx, db.r, x.a.ExamID)
		if err != nil {
			return nil, err
		}
		closeAttempt(x.a, &x.e, p, r.at)
		if r.marks, err = encodeMarks(x.a.Marks); err != nil {
			return nil, err
		}
		r.a, r.rowid, x.a = x.a, x.rowid, nil
		graded = append(graded, r)
	}
	return graded, nil
}

// closeQueue groups concurrent submits of this process into shared batches
// (group commit). On SQLite every write queues for the one connection, so a
// transaction per submit would make 200 candidates handing in together wait
// for 200 commits in turn; one transaction for all of them costs little more
// than one. PostgreSQL gains too: one read, one update, one statistics
// update and one commit per batch instead of four round trips per submit.
type closeQueue struct {
	mu      sync.Mutex
	pending []*closeReq // waiting for a leader
	leaders int

	batches, items atomic.Int64 // for benchmarks: the mean batch size
}

const (
	// maxCloseBatch bounds one batch.
	maxCloseBatch = 256
	// maxCloseLeaders batches run at once, so one is read and graded while
	// the other is written.
	maxCloseLeaders = 2
)

// closeGrouped closes req in a batch. A caller finding fewer than
// maxCloseLeaders batches running leads one: it closes its own request with
// those waiting (up to maxCloseBatch), answers them, and hands the lead to
// the oldest request still waiting. No goroutine lives beyond the calls.
// Each waiting request gets one message: done, or lead.
func (db *DB) closeGrouped(ctx context.Context, req *closeReq) {
	q := &db.engine.closeQ
	req.done = make(chan bool, 1)
	q.mu.Lock()
	if q.leaders < maxCloseLeaders {
		q.leaders++
		q.mu.Unlock()
	} else {
		q.pending = append(q.pending, req)
		q.mu.Unlock()
		if finished := <-req.done; finished {
			return
		}
	}
	q.mu.Lock()
	n := min(len(q.pending), maxCloseBatch-1)
	batch := append([]*closeReq{req}, q.pending[:n]...)
	q.pending = slices.Clone(q.pending[n:])
	q.mu.Unlock()

	q.batches.Add(1)
	q.items.Add(int64(len(batch)))
	// A caller giving up must not fail the others' submits.
	db.closeBatch(context.WithoutCancel(ctx), batch)

	for _, r := range batch[1:] {
		r.done <- true
	}
	q.mu.Lock()
	if len(q.pending) == 0 {
		q.leaders--
		q.mu.Unlock()
		return
	}
	next := q.pending[0]
	q.pending = q.pending[1:]
	q.mu.Unlock()
	next.done <- false
}

// runWriteBatch writes a batch. Should the transaction fail, each request is
// written alone, so one cannot fail the rest.
func (db *DB) runWriteBatch(ctx context.Context, batch []*closeReq) {
	err := db.writeBatch(ctx, batch)
	if err == nil || len(batch) == 1 {
		for _, r := range batch {
			r.err = err
		}
		return
	}
	for _, r := range batch {
		r.err = db.writeBatch(ctx, []*closeReq{r})
	}
}

// writeBatch stores closed attempts and adds the published ones to their
// exams' statistics, in one transaction: a few statements whatever the
// batch size. r.written reports which were still as read.
func (db *DB) writeBatch(ctx context.Context, batch []*closeReq) error {
	if len(batch) == 0 {
		return nil
	}
	if err := db.prepareHot(ctx); err != nil {
		return err
	}
	// In ID order, so two batches touching one attempt lock alike.
	closed := slices.Clone(batch)
	slices.SortFunc(closed, func(x, y *closeReq) int { return strings.Compare(x.a.ID, y.a.ID) })
	return db.transact(ctx, func(tx *sql.Tx) error {
		written, err := db.storeClosed(ctx, tx, closed)
		if err != nil {
			return err
		}
		stats := map[string]*statsDelta{}
		for _, r := range closed {
			r.written = written[r.a.ID] // gradeBatch gives each attempt once
			if r.written && r.a.Status == examhall.AttemptPublished {
				if stats[r.a.ExamID] == nil {
					stats[r.a.ExamID] = &statsDelta{}
				}
				stats[r.a.ExamID].add(r.a.Score, r.a.Passed)
			}
		}
		// In exam ID order, so concurrent batches lock stats rows alike.
		for _, examID := range slices.Sorted(maps.Keys(stats)) {
			if err := db.addStats(ctx, tx, examID, *stats[examID]); err != nil {
				return err
			}
		}
		return nil
	})
}

// storeClosed writes closed attempts and reports which it changed: those
// still in progress (end_time = 0, which only in-progress attempts have)
// and saved last when they were read. The in-progress test is on end_time
// rather than status on purpose: with status = 'in_progress' SQLite's
// planner may scan every in-progress attempt through the partial index
// attempts_deadline instead of looking the IDs up.
//
// SQLite takes one prepared single-row UPDATE per attempt: within the
// process that is cheaper than a set-based UPDATE, which builds temporary
// tables and a statement journal. PostgreSQL takes one UPDATE for the
// batch, as each statement is a round trip.
func (db *DB) storeClosed(ctx context.Context, tx *sql.Tx, closed []*closeReq) (map[string]bool, error) {
	written := make(map[string]bool, len(closed))
	if db.dialect == SQLite {
		// One statement bound to tx for the batch: binding is not free.
		var stmt *sql.Stmt
		if s := db.hotStmt(ctx, tx, qCloseOne); s != nil {
			stmt = s
			defer stmt.Close()
		}
		for _, r := range closed {
			a := r.a
			args := []any{a.ID, ms(a.SavedAt), string(a.Status), ms(a.EndTime),
				a.UsedSeconds, a.Score, a.Passed, a.Integral, r.marks, r.rowid}
			var res sql.Result
			var err error
			if stmt != nil {
				res, err = stmt.ExecContext(ctx, args...)
			} else {
				res, err = tx.ExecContext(ctx, qCloseOne, args...)
			}
			if err != nil {
				return nil, err
			}
			if n, err := res.RowsAffected(); err != nil {
				return nil, err
			} else if n == 1 {
				written[a.ID] = true
			}
		}
		return written, nil
	}
	upd := make([]any, 0, len(closed))
	for _, r := range closed {
		a := r.a
		upd = append(upd, []any{a.ID, ms(a.SavedAt), string(a.Status), ms(a.EndTime), a.UsedSeconds,
			a.Score, a.Passed, a.Integral, r.marks})
	}
	arg, err := json.Marshal(upd)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, qCloseMany, string(arg))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		written[id] = true
	}
	return written, rows.Err()
}

const (
	// qCloseOne stores one closed attempt (SQLite). It finds the row by
	// the rowid read ($10), which skips a descent of the ID index on the
	// single writer; should a VACUUM have renumbered the rows meanwhile,
	// id = $1 fails the update and the submit reads again.
	qCloseOne = `UPDATE attempts SET status = $3, end_time = $4, used_seconds = $5, score = $6,
		passed = $7, integral = $8, marks = $9
		WHERE rowid = $10 AND id = $1 AND end_time = 0 AND saved_at = $2`
	// qCloseMany stores closed attempts given as a JSON array bound to $1
	// of qCloseOne's first nine parameters each, and returns the IDs it changed
	// (PostgreSQL).
	qCloseMany = `UPDATE attempts SET status = v.status, end_time = v.end_time, used_seconds = v.used_seconds,
			score = v.score, passed = v.passed, integral = v.integral, marks = v.marks
		FROM (SELECT value ->> 0 AS id, (value ->> 1)::bigint AS saved_at, value ->> 2 AS status,
				(value ->> 3)::bigint AS end_time, (value ->> 4)::integer AS used_seconds,
				(value ->> 5)::double precision AS score, (value ->> 6)::boolean AS passed,
				(value ->> 7)::double precision AS integral, value ->> 8 AS marks
			FROM jsonb_array_elements($1::jsonb) AS value) AS v
		WHERE attempts.id = v.id AND attempts.end_time = 0 AND attempts.saved_at = v.saved_at
		RETURNING attempts.id`
)

// SubmitExpiredAttempts submits every in-progress attempt whose deadline is
// before now, at its deadline, with the answers saved; it returns how many.
// A background reaper calls it every few seconds, so the common case —
// nothing expired — is one probe of the small partial index
// attempts_deadline on a reader, taking no write lock. Expired attempts are
// closed in batches of one read and one write transaction each.
func (db *DB) SubmitExpiredAttempts(ctx context.Context, now time.Time) (int, error) {
	now = msTime(now)
	total := 0
	for {
		rows, err := db.r.QueryContext(ctx, `SELECT id FROM attempts
			WHERE status = 'in_progress' AND deadline < $1 ORDER BY deadline LIMIT $2`, ms(now), maxCloseBatch)
		if err != nil {
			return total, fmt.Errorf("submit expired attempts: %w", err)
		}
		var todo []*closeReq
		for rows.Next() {
			// The deadline has passed, so closing at now ends them at it.
			r := &closeReq{at: now}
			if err := rows.Scan(&r.id); err != nil {
				rows.Close()
				return total, fmt.Errorf("submit expired attempts: %w", err)
			}
			todo = append(todo, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, fmt.Errorf("submit expired attempts: %w", err)
		}
		if len(todo) == 0 {
			return total, nil
		}
		db.closeBatch(ctx, todo)
		n := 0
		for _, r := range todo {
			var e *examhall.Error
			switch {
			case r.err == nil:
				n++
			case !errors.As(r.err, &e):
				return total + n, fmt.Errorf("submit expired attempts: %w", r.err)
			}
			// A domain error: submitted meanwhile, not ours to count.
		}
		total += n
		if n == 0 || len(todo) < maxCloseBatch {
			// n == 0: others closed them meanwhile; nothing is left to chase.
			return total, nil
		}
	}
}

// MarkAttempt sets marks of short-answer questions, each between 0 and the
// question's score; once every short answer has a mark the attempt's result
// is computed and it becomes marked (awaiting publication). ENOTFOUND;
// EINVALID for a mark of another question or out of range; ECONFLICT unless
// the attempt is marking or marked.
func (db *DB) MarkAttempt(ctx context.Context, attemptID string, marks map[string]float64) (*examhall.Attempt, error) {
	var a *examhall.Attempt
	err := db.transact(ctx, func(tx *sql.Tx) error {
		var e *examhall.Exam
		var err error
		if a, e, err = db.lockAttempt(ctx, tx, attemptID); err != nil {
			return err
		}
		if a.Status != examhall.AttemptMarking && a.Status != examhall.AttemptMarked {
			return examhall.Errorf(examhall.ECONFLICT, "the attempt is not awaiting marking")
		}
		p, err := db.attemptPaper(ctx, tx, a.ExamID)
		if err != nil {
			return err
		}
		for id, m := range marks {
			q := p.byID[id]
			switch {
			case q == nil:
				return examhall.Errorf(examhall.EINVALID, "the paper has no question %q", id)
			case q.Objective():
				return examhall.Errorf(examhall.EINVALID, "question %q is graded automatically", id)
			case math.IsNaN(m) || m < 0 || m > q.Score:
				return examhall.Errorf(examhall.EINVALID, "the mark of question %q must be between 0 and %s",
					id, examhall.FormatNumber(q.Score))
			}
		}
		if a.Marks == nil {
			a.Marks = make(map[string]float64, len(marks))
		}
		for id, m := range marks {
			a.Marks[id] = examhall.Round2(m)
		}
		complete := true
		for _, q := range p.questions {
			if _, ok := a.Marks[q.ID]; !ok && !q.Objective() {
				complete = false
				break
			}
		}
		if complete {
			a.Finish(e)
			a.Status = examhall.AttemptMarked
		} else {
			var total float64
			for _, m := range a.Marks {
				total += m
			}
			a.Score = examhall.Round2(total)
		}
		body, err := jsonObject(a.Marks)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE attempts SET status = $2, score = $3, passed = $4, integral = $5,
			marks = $6 WHERE id = $1`, a.ID, string(a.Status), a.Score, a.Passed, a.Integral, body)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("mark attempt: %w", err)
	}
	return a, nil
}

// PublishAttempts publishes the exam's marked attempts among ids, or all of
// them when ids is empty, and adds them to the exam's statistics in the same
// transaction; it returns how many it published (ids that are not marked
// attempts of the exam are skipped). ENOTFOUND for an unknown exam.
func (db *DB) PublishAttempts(ctx context.Context, examID string, ids []string) (int, error) {
	ids = uniqueIDs(ids)
	n := 0
	err := db.transact(ctx, func(tx *sql.Tx) error {
		n = 0
		if _, err := findExam(ctx, tx, examID, ""); err != nil {
			return err
		}
		var d statsDelta
		publish := func(cond string, args []any) error {
			// RETURNING hands back exactly the rows this statement changed,
			// which is what the running totals must add.
			rows, err := tx.QueryContext(ctx, `UPDATE attempts SET status = 'published'
				WHERE exam_id = $1 AND status = 'marked'`+cond+` RETURNING score, passed`, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var score float64
				var passed bool
				if err := rows.Scan(&score, &passed); err != nil {
					return err
				}
				d.add(score, passed)
			}
			return rows.Err()
		}
		var err error
		if len(ids) == 0 {
			err = publish("", []any{examID})
		} else {
			err = publish(` AND id IN (`+db.engineList(2)+`)`, []any{examID, db.engineListArg(ids)})
		}
		if err != nil {
			return err
		}
		n = d.n
		return db.addStats(ctx, tx, examID, d)
	})
	if err != nil {
		return 0, fmt.Errorf("publish attempts: %w", err)
	}
	return n, nil
}
