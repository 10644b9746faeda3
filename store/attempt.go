package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
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

// The statements of the hot write paths, prepared once on SQLite (see
// prepareHot). On PostgreSQL the reads get a row lock clause appended.
const (
	qAttemptWithExam = `SELECT ` + attemptColumns + `, ` + examColumns + `
		FROM attempts a JOIN exams e ON e.id = a.exam_id WHERE a.id = $1`
	qAttemptSlots = `SELECT COUNT(*), COALESCE(MAX(seq), 0),
		COALESCE(SUM(CASE WHEN status = 'in_progress' THEN 1 ELSE 0 END), 0)
		FROM attempts WHERE exam_id = $1 AND user_id = $2`
	qInsertAttempt = `INSERT INTO attempts (id, exam_id, user_id, seq, status, begin_time, deadline, seed)
		VALUES ($1, $2, $3, $4, 'in_progress', $5, $6, $7)`
	qSaveAnswers = `UPDATE attempts SET answers = $2, saved_at = $3 WHERE id = $1`
	// The status guard makes closing idempotent under races: a second
	// closer (the reaper, a resubmit on another replica) changes nothing.
	qCloseAttempt = `UPDATE attempts SET status = $2, end_time = $3, used_seconds = $4, score = $5,
		passed = $6, integral = $7, marks = $8 WHERE id = $1 AND status = 'in_progress'`
	qMarkAttempt = `UPDATE attempts SET status = $2, score = $3, passed = $4, integral = $5, marks = $6
		WHERE id = $1`
)

var hotQueries = []string{qAttemptWithExam, qAttemptSlots, qInsertAttempt, qSaveAnswers, qCloseAttempt, qAddStats}

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
		a.SavedAt = now
		_, err = db.hotExec(ctx, tx, qSaveAnswers, attemptID, body, ms(now))
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

// storeClosed writes what closeAttempt computed; false when the attempt was
// no longer in progress (someone else closed it first).
func (db *DB) storeClosed(ctx context.Context, tx *sql.Tx, a *examhall.Attempt) (bool, error) {
	marks, err := jsonObject(a.Marks)
	if err != nil {
		return false, err
	}
	res, err := db.hotExec(ctx, tx, qCloseAttempt, a.ID, string(a.Status), ms(a.EndTime), a.UsedSeconds,
		a.Score, a.Passed, a.Integral, marks)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SubmitAttempt grades and closes an in-progress attempt at now, or at its
// deadline when that came first. Without short-answer questions it is
// published at once and the exam's statistics include it (same
// transaction); otherwise it waits for marking. ENOTFOUND; ECONFLICT when it
// is not in progress.
//
// The transaction is kept small for SQLite's one writer: prepared
// statements, the paper from the in-memory cache, one read, one update and
// at most one statistics upsert.
func (db *DB) SubmitAttempt(ctx context.Context, attemptID string, now time.Time) (*examhall.Attempt, error) {
	if err := db.prepareHot(ctx); err != nil {
		return nil, fmt.Errorf("submit attempt: %w", err)
	}
	now = msTime(now)
	var a *examhall.Attempt
	err := db.transact(ctx, func(tx *sql.Tx) error {
		var e *examhall.Exam
		var err error
		if a, e, err = db.lockAttempt(ctx, tx, attemptID); err != nil {
			return err
		}
		if a.Status != examhall.AttemptInProgress {
			return examhall.Errorf(examhall.ECONFLICT, "the attempt is not in progress")
		}
		p, err := db.attemptPaper(ctx, tx, a.ExamID)
		if err != nil {
			return err
		}
		closeAttempt(a, e, p, now)
		if ok, err := db.storeClosed(ctx, tx, a); err != nil {
			return err
		} else if !ok {
			return examhall.Errorf(examhall.ECONFLICT, "the attempt is not in progress")
		}
		if a.Status != examhall.AttemptPublished {
			return nil
		}
		var d statsDelta
		d.add(a.Score, a.Passed)
		return db.addStats(ctx, tx, a.ExamID, d)
	})
	if err != nil {
		return nil, fmt.Errorf("submit attempt: %w", err)
	}
	return a, nil
}

// expiredBatch is how many expired attempts one transaction submits.
const expiredBatch = 256

// SubmitExpiredAttempts submits every in-progress attempt whose deadline is
// before now, at its deadline, with the answers saved; it returns how many.
// A background reaper calls it every few seconds, so the common case —
// nothing expired — is one probe of the small partial index
// attempts_deadline on a reader, taking no write lock.
func (db *DB) SubmitExpiredAttempts(ctx context.Context, now time.Time) (int, error) {
	now = msTime(now)
	total := 0
	for {
		rows, err := db.r.QueryContext(ctx, `SELECT id FROM attempts
			WHERE status = 'in_progress' AND deadline < $1 ORDER BY deadline LIMIT $2`, ms(now), expiredBatch)
		if err != nil {
			return total, fmt.Errorf("submit expired attempts: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return total, fmt.Errorf("submit expired attempts: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, fmt.Errorf("submit expired attempts: %w", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		n, err := db.submitExpired(ctx, ids, now)
		total += n
		if err != nil {
			return total, fmt.Errorf("submit expired attempts: %w", err)
		}
		if n == 0 || len(ids) < expiredBatch {
			// n == 0: others closed them meanwhile; nothing is left to chase.
			return total, nil
		}
	}
}

// submitExpired closes the given attempts, when still in progress and
// expired, in one transaction.
func (db *DB) submitExpired(ctx context.Context, ids []string, now time.Time) (int, error) {
	if err := db.prepareHot(ctx); err != nil {
		return 0, err
	}
	n := 0
	err := db.transact(ctx, func(tx *sql.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT `+attemptColumns+`, `+examColumns+`
			FROM attempts a JOIN exams e ON e.id = a.exam_id
			WHERE a.id IN (`+db.engineList(2)+`) AND a.status = 'in_progress' AND a.deadline < $1`+
			db.engineLock("FOR UPDATE OF a"), ms(now), db.engineListArg(ids))
		if err != nil {
			return err
		}
		type due struct {
			a *examhall.Attempt
			e *examhall.Exam
		}
		var list []due
		for rows.Next() {
			var ar attemptRow
			var er examRow
			if err := rows.Scan(append(ar.dest(), er.dest()...)...); err != nil {
				rows.Close()
				return err
			}
			a, err := ar.attempt()
			if err != nil {
				rows.Close()
				return err
			}
			list = append(list, due{a, er.exam()})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		stats := map[string]*statsDelta{}
		for _, d := range list {
			p, err := db.attemptPaper(ctx, tx, d.a.ExamID)
			if err != nil {
				return err
			}
			closeAttempt(d.a, d.e, p, d.a.Deadline)
			ok, err := db.storeClosed(ctx, tx, d.a)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			n++
			if d.a.Status == examhall.AttemptPublished {
				if stats[d.a.ExamID] == nil {
					stats[d.a.ExamID] = &statsDelta{}
				}
				stats[d.a.ExamID].add(d.a.Score, d.a.Passed)
			}
		}
		// In exam ID order, so concurrent reapers lock stats rows alike.
		for _, examID := range slices.Sorted(maps.Keys(stats)) {
			if err := db.addStats(ctx, tx, examID, *stats[examID]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
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
		_, err = tx.ExecContext(ctx, qMarkAttempt, a.ID, string(a.Status), a.Score, a.Passed, a.Integral, body)
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
