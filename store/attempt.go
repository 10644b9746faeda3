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
	"time"

	"examhall"
)

var _ examhall.AttemptService = (*DB)(nil)

// attemptColumns are the columns attemptRow scans, from attempts aliased a.
const attemptColumns = `a.id, a.exam_id, a.user_id, a.status, a.begin_time, a.deadline, a.end_time, a.used_seconds,
	a.score, a.passed, a.integral, a.seed, a.answers, a.marks, a.saved_at, a.invalid`

// attemptRow scans attemptColumns (and gradeColumns).
type attemptRow struct {
	a                           examhall.Attempt
	begin, deadline, end, saved int64
	answers, marks              string
}

func (r *attemptRow) dest() []any {
	a := &r.a
	return []any{&a.ID, &a.ExamID, &a.UserID, &a.Status, &r.begin, &r.deadline, &r.end, &a.UsedSeconds,
		&a.Score, &a.Passed, &a.Integral, &a.Seed, &r.answers, &r.marks, &r.saved, &a.Invalid}
}

func (r *attemptRow) attempt() (*examhall.Attempt, error) {
	a := r.a
	a.BeginTime, a.Deadline, a.EndTime, a.SavedAt = fromMS(r.begin), fromMS(r.deadline), fromMS(r.end), fromMS(r.saved)
	var err error
	if a.Answers, err = decodeAnswers([]byte(r.answers)); err != nil {
		return nil, fmt.Errorf("answers of attempt %s: %w", a.ID, err)
	}
	if a.Status == examhall.AttemptInProgress {
		// Graded as it is saved (see gradeSaved), but it has no result
		// before it is handed in.
		a.Score, a.Passed, a.Integral = 0, false, 0
		return &a, nil
	}
	if a.Marks, err = decodeMarks([]byte(r.marks)); err != nil {
		return nil, fmt.Errorf("marks of attempt %s: %w", a.ID, err)
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

// The statements of the hot paths, prepared once on SQLite (see prepareHot,
// hotReadRow and writeOne). qAttemptWithExam also serves MarkAttempt, with
// a row lock clause appended on PostgreSQL.
const (
	qAttemptWithExam = `SELECT ` + attemptColumns + `, ` + examColumns + `
		FROM attempts a JOIN exams e ON e.id = a.exam_id WHERE a.id = $1`
	qAttemptSlots = `SELECT COUNT(*), COALESCE(MAX(seq), 0),
		COALESCE(SUM(CASE WHEN status = 'in_progress' THEN 1 ELSE 0 END), 0)
		FROM attempts WHERE exam_id = $1 AND user_id = $2`
	qInsertAttempt = `INSERT INTO attempts (id, exam_id, user_id, seq, status, begin_time, deadline, seed,
			marks, score, needs_marking)
		VALUES ($1, $2, $3, $4, 'in_progress', $5, $6, $7, $8, $9, $10)`
	// qSaveRead reads what a save needs: the attempt, its exam, and the
	// last save numbers of its devices.
	qSaveRead = `SELECT ` + attemptColumns + `, ` + examColumns + `, a.save_seqs
		FROM attempts a JOIN exams e ON e.id = a.exam_id WHERE a.id = $1`
	// qSaveAnswers writes a save, unless the attempt was saved ($6 is the
	// saved_at read) or closed since.
	qSaveAnswers = `UPDATE attempts SET answers = $2, saved_at = $3, marks = $4, score = $5, save_seqs = $7
		WHERE id = $1 AND saved_at = $6 AND end_time = 0`
)

// hotQueries lists the statements prepareHot prepares.
func (db *DB) hotQueries() []string {
	return []string{qAttemptWithExam, qSaveRead, qAttemptSlots, qInsertAttempt, qSaveAnswers, qAddStats, qCloseSQLite}
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
	// The paper is cached only once an attempt is stored: until then
	// SetPaper may still change it.
	p, gen := db.cachedPaper(examID)
	cache := p == nil
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
		if cache {
			qs, err := findPaper(ctx, tx, examID)
			if err != nil {
				return err
			}
			p = newPaper(qs)
		}
		g, err := gradeSaved(e, p, nil)
		if err != nil {
			return err
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
		_, err = db.hotExec(ctx, tx, qInsertAttempt, a.ID, examID, userID, lastSeq+1, ms(a.BeginTime), ms(a.Deadline), a.Seed,
			g.marks, g.score, g.needsMarking)
		if isUnique(err) {
			return examhall.Errorf(examhall.ECONFLICT, "an attempt is already in progress")
		} else if err != nil {
			return err
		}
		return db.enqueue(ctx, tx, examhall.HookAttemptStarted, a.ID, startedData{AttemptID: a.ID, ExamID: examID,
			UserID: userID, BeginTime: hookTime(a.BeginTime), Deadline: hookTime(a.Deadline)})
	})
	if err != nil {
		return nil, fmt.Errorf("start attempt: %w", err)
	}
	if cache {
		db.cachePaper(examID, p, gen)
	}
	return a, nil
}

// startedData is attempt.started's data.
type startedData struct {
	AttemptID string `json:"attemptId"`
	ExamID    string `json:"examId"`
	UserID    string `json:"userId"`
	BeginTime string `json:"beginTime"`
	Deadline  string `json:"deadline"`
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
//
// A save reads the attempt on a reader and writes it back in one statement
// that only applies if nothing changed it meanwhile (its saved_at, which
// every save moves, and still in progress); otherwise it reads again. On
// PostgreSQL that is two round trips instead of a transaction's four and no
// row lock held between them; on SQLite the writer only writes.
func (db *DB) SaveAnswers(ctx context.Context, attemptID string, answers []examhall.Answer, now time.Time) (*examhall.Attempt, error) {
	a, _, err := db.SaveAnswersFrom(ctx, attemptID, "", 0, answers, now)
	return a, err
}

// SaveAnswersFrom is SaveAnswers for save number seq of a device: a save
// whose number is not above the device's last applied one changes nothing
// and returns applied false (a retry, or one overtaken by a later save).
// An empty device is not numbered.
func (db *DB) SaveAnswersFrom(ctx context.Context, attemptID, device string, seq int64, answers []examhall.Answer, now time.Time) (*examhall.Attempt, bool, error) {
	for _, ans := range answers {
		if err := checkAnswer(ans); err != nil {
			return nil, false, err
		}
	}
	if len(device) > examhall.MaxIDLen {
		return nil, false, examhall.Errorf(examhall.EINVALID, "device is longer than %d bytes", examhall.MaxIDLen)
	}
	if err := db.prepareHot(ctx); err != nil {
		return nil, false, fmt.Errorf("save answers: %w", err)
	}
	now = msTime(now)
	for range maxSaveTries {
		a, saved, applied, err := db.trySave(ctx, attemptID, device, seq, answers, now)
		if err != nil {
			return nil, false, fmt.Errorf("save answers: %w", err)
		}
		if saved {
			return a, applied, nil
		}
	}
	return nil, false, fmt.Errorf("save answers: %w", examhall.Errorf(examhall.ECONFLICT,
		"the attempt is being saved by another request; try again"))
}

// maxSaveTries bounds SaveAnswers' reads of an attempt other saves keep
// changing (the candidate's own clients, racing).
const maxSaveTries = 8

// maxSaveDevices bounds the devices whose save numbers an attempt keeps;
// beyond it the one with the lowest number is forgotten.
const maxSaveDevices = 16

// trySave is one read and conditional write of SaveAnswersFrom; saved is
// false when the attempt changed in between, applied false when the save
// was a repeat (nothing written).
func (db *DB) trySave(ctx context.Context, attemptID, device string, seq int64, answers []examhall.Answer, now time.Time) (a *examhall.Attempt, saved, applied bool, err error) {
	var ar attemptRow
	var er examRow
	var seqsJSON string
	err = db.hotReadRow(ctx, qSaveRead, attemptID).Scan(append(append(ar.dest(), er.dest()...), &seqsJSON)...)
	if err != nil {
		return nil, false, false, notFound(err, "attempt %q not found", attemptID)
	}
	if a, err = ar.attempt(); err != nil {
		return nil, false, false, err
	}
	switch {
	case a.Status != examhall.AttemptInProgress:
		return nil, false, false, examhall.Errorf(examhall.ECONFLICT, "the attempt is no longer in progress")
	case !now.Before(a.Deadline):
		return nil, false, false, examhall.Errorf(examhall.ECONFLICT, "the attempt's time is up")
	}
	seqs := map[string]int64{}
	if err := json.Unmarshal([]byte(seqsJSON), &seqs); err != nil {
		return nil, false, false, fmt.Errorf("save numbers of attempt %s: %w", a.ID, err)
	}
	if device != "" {
		if seq <= seqs[device] {
			return a, true, false, nil
		}
		seqs[device] = seq
		for len(seqs) > maxSaveDevices {
			oldest := device
			for d, n := range seqs {
				if n < seqs[oldest] {
					oldest = d
				}
			}
			delete(seqs, oldest)
		}
	}
	p, err := db.attemptPaper(ctx, db.r, a.ExamID)
	if err != nil {
		return nil, false, false, err
	}
	if a.Answers == nil {
		a.Answers = make(map[string]examhall.Answer, len(answers))
	}
	for _, ans := range answers {
		if p.byID[ans.QuestionID] == nil {
			return nil, false, false, examhall.Errorf(examhall.EINVALID, "the paper has no question %q", ans.QuestionID)
		}
		if old, ok := a.Answers[ans.QuestionID]; ok && ans.At > 0 && old.At > ans.At {
			continue // a newer answer is saved already
		}
		a.Answers[ans.QuestionID] = ans
	}
	body, err := jsonObject(a.Answers)
	if err != nil {
		return nil, false, false, err
	}
	seqsOut, err := jsonObject(seqs)
	if err != nil {
		return nil, false, false, err
	}
	g, err := gradeSaved(er.exam(), p, a.Answers)
	if err != nil {
		return nil, false, false, err
	}
	// saved_at grows with every save, even two within a millisecond, so a
	// client can tell its saves apart and the write can tell it was the
	// only one.
	last := a.SavedAt
	a.SavedAt = now
	if !a.SavedAt.After(last) {
		a.SavedAt = last.Add(time.Millisecond)
	}
	n, err := db.writeOne(ctx, qSaveAnswers, attemptID, body, ms(a.SavedAt), g.marks, g.score, ms(last), seqsOut)
	return a, n == 1, true, err
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

// savedGrade is an in-progress attempt's grading as stored with its
// answers: the objective marks of the answers so far and their total.
type savedGrade struct {
	marks        string // encoded
	score        float64
	needsMarking bool // the paper has short answers
}

// gradeSaved grades an in-progress attempt's answers as they stand. Starting
// and saving run it, holding the paper and the answers already, so that a
// submit — when 200 candidates hand in at once — only closes attempts in
// SQL, reading and decoding nothing (qClose). The grading depends on the
// paper and the exam's PartialCredit, which are frozen once the exam has
// attempts. The result stays hidden until the attempt is closed
// (attemptRow.attempt).
func gradeSaved(e *examhall.Exam, p *paper, answers map[string]examhall.Answer) (savedGrade, error) {
	marks, total, needsMarking := examhall.Grade(e, p.questions, answers)
	body, err := encodeMarks(marks)
	return savedGrade{marks: body, score: total, needsMarking: needsMarking}, err
}

// qClose closes attempts in one statement: each ends at its closing time
// {at} or its deadline if that came first (never before it began), and
// takes the grading of its last save. Without short answers it is published,
// with pass and integral by the exam's rules now; otherwise it waits for
// marking with the objective score shown. The integral is
// examhall.Exam.Integral exactly: Round2 of score × rate, math.Round rounding
// half away from zero; both databases compute in IEEE doubles as Go does and
// trunc is exact (TestCloseIntegral). "In progress" is end_time = 0, which
// only in-progress attempts have: with status = 'in_progress' SQLite's
// planner may scan every in-progress attempt through attempts_deadline.
var qClose = `UPDATE attempts AS a
	SET status = CASE WHEN a.needs_marking THEN 'marking' ELSE 'published' END,
		end_time = {end}, used_seconds = ({end} - a.begin_time) / 1000,
		passed = NOT a.needs_marking AND a.score >= e.pass_score,
		integral = CASE WHEN a.needs_marking THEN 0 ELSE ` + qIntegral + ` END
	FROM exams e{from}
	WHERE {id} AND e.id = a.exam_id AND a.end_time = 0`

// qIntegral is the integral of attempt a by exam e's rate (see qClose).
var qIntegral = strings.ReplaceAll(`(trunc({y}) + CASE WHEN {y} - trunc({y}) >= 0.5 THEN 1 ELSE 0 END)
	/ CAST(100 AS DOUBLE PRECISION)`, "{y}", "(a.score * e.integral_rate * 100)")

var (
	// qCloseSQLite closes attempt $1 at $2 if it is user $3's and of exam
	// $4 (either '' for any).
	qCloseSQLite = closeQuery("max(a.begin_time, min(a.deadline, $2))", "",
		"a.id = $1 AND ($3 = '' OR a.user_id = $3) AND ($4 = '' OR a.exam_id = $4)")
	// qClosePostgres closes the attempts $1 (text[]) at $2 (bigint[]) if
	// they are of the users $3 and the exams $4 (text[], '' for any), adds
	// the published ones to their exams' statistics (as addStats, in exam ID
	// order, so that concurrent batches lock stats rows alike) and returns
	// them: one statement, so one round trip and its own transaction.
	qClosePostgres = `WITH c AS (` + closeQuery("GREATEST(a.begin_time, LEAST(a.deadline, v.at))",
		", unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) AS v (id, at, uid, exam)",
		"a.id = v.id AND (v.uid = '' OR a.user_id = v.uid) AND (v.exam = '' OR a.exam_id = v.exam)") +
		` RETURNING ` + attemptColumns + `),
	s AS (` + strings.Replace(qAddStats, `VALUES ($1, $2, $3, $4, $5, $6)`, `SELECT exam_id, count(*),
		count(*) FILTER (WHERE passed), sum(score), max(score), min(score)
		FROM c WHERE status = 'published' GROUP BY exam_id ORDER BY exam_id`, 1) + `),
	h AS (` + qCloseEvents + `)
	SELECT * FROM c`
)

// qCloseEvents writes the outbox rows of qClosePostgres' closed attempts c
// (enqueue's, in SQL: the statement is the transaction): attempt.submitted
// for each, with the event IDs $5, reasons $7, and attempt.graded after it
// for the published ones, event IDs $6; created at $8, retried until $9.
// Without enabled subscribers it joins no row of the small webhooks table.
var qCloseEvents = `INSERT INTO webhook_deliveries (event_id, webhook_id, type, okey, data, created_at, next_at, expires_at)
	SELECT CASE WHEN t.typ = '` + examhall.HookAttemptSubmitted + `' THEN ev.sid ELSE ev.gid END, w.id, t.typ, c.id,
		(CASE WHEN t.typ = '` + examhall.HookAttemptSubmitted + `' THEN json_build_object('attemptId', c.id,
			'examId', c.exam_id, 'userId', c.user_id, 'reason', ev.reason, 'status', c.status,
			'endTime', to_char(TIMESTAMP 'epoch' + c.end_time * INTERVAL '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
			'usedSeconds', c.used_seconds)
		ELSE json_build_object('attemptId', c.id, 'examId', c.exam_id, 'userId', c.user_id, 'status', c.status,
			'score', c.score, 'passed', c.passed) END)::text,
		$8, $8, $9
	FROM c JOIN unnest($1::text[], $5::text[], $6::text[], $7::text[]) AS ev (id, sid, gid, reason) ON ev.id = c.id
	CROSS JOIN (VALUES ('` + examhall.HookAttemptSubmitted + `'), ('` + examhall.HookAttemptGraded + `')) AS t (typ)
	JOIN webhooks w ON w.enabled AND (w.events = '' OR w.events LIKE '%,' || t.typ || ',%')
	WHERE t.typ = '` + examhall.HookAttemptSubmitted + `' OR c.status = 'published'
	ORDER BY c.id, t.typ DESC`

// submittedData is attempt.submitted's data, as qCloseEvents builds it.
type submittedData struct {
	AttemptID   string                 `json:"attemptId"`
	ExamID      string                 `json:"examId"`
	UserID      string                 `json:"userId"`
	Reason      examhall.SubmitReason  `json:"reason"`
	Status      examhall.AttemptStatus `json:"status"`
	EndTime     string                 `json:"endTime"`
	UsedSeconds int                    `json:"usedSeconds"`
}

// gradedData is attempt.graded's data.
type gradedData struct {
	AttemptID string                 `json:"attemptId"`
	ExamID    string                 `json:"examId"`
	UserID    string                 `json:"userId"`
	Status    examhall.AttemptStatus `json:"status"`
	Score     float64                `json:"score"`
	Passed    bool                   `json:"passed"`
}

func newGradedData(a *examhall.Attempt) gradedData {
	return gradedData{AttemptID: a.ID, ExamID: a.ExamID, UserID: a.UserID, Status: a.Status, Score: a.Score, Passed: a.Passed}
}

// closeQuery fills in qClose for a dialect: the end time, more FROM items,
// the attempts' condition.
func closeQuery(end, from, id string) string {
	return strings.NewReplacer("{end}", end, "{from}", from, "{id}", id).Replace(qClose)
}

// closeReq is one attempt to close: a candidate's submit or the reaper's.
type closeReq struct {
	id         string
	at         time.Time // closing time; the attempt ends then or at its deadline
	user, exam string    // the attempt's candidate and exam must be these, unless ""
	reason     examhall.SubmitReason
	ctx        context.Context // the caller's, for the audit row of a staff submit

	row    attemptRow // the closed attempt as stored, for SubmitAttempt
	closed bool       // by writeBatch
	err    error      // why it was not closed
}

// SubmitAttempt closes an in-progress attempt at now, or at its deadline
// when that came first, with the grading of its last save. Without
// short-answer questions it is published at once and the exam's statistics
// include it (same transaction); otherwise it waits for marking. ENOTFOUND;
// ECONFLICT when it is not in progress.
//
// Concurrent submits are closed together (group commit, closeQ), in one
// write transaction.
//
// reason goes into the attempt.submitted event; "" means invigilator when
// ctx carries a staff caller, candidate otherwise. A staff caller's submit
// is audited.
func (db *DB) SubmitAttempt(ctx context.Context, attemptID string, reason examhall.SubmitReason, now time.Time) (*examhall.Attempt, error) {
	if reason == "" {
		reason = examhall.SubmitCandidate
		if examhall.CallerFromContext(ctx).Staff() {
			reason = examhall.SubmitInvigilator
		}
	}
	if !reason.Valid() {
		return nil, fmt.Errorf("submit attempt: %w", examhall.Errorf(examhall.EINVALID, "unknown submit reason %q", reason))
	}
	return db.submit(ctx, &closeReq{id: attemptID, at: msTime(now), reason: reason, ctx: ctx})
}

// SubmitOwnAttempt is SubmitAttempt by the candidate userID, checked by
// the close itself, so that a submit reads nothing first: EFORBIDDEN when
// the attempt is another's or, with examID set, of another exam.
func (db *DB) SubmitOwnAttempt(ctx context.Context, attemptID, userID, examID string, now time.Time) (*examhall.Attempt, error) {
	if userID == "" {
		return nil, fmt.Errorf("submit attempt: %w", examhall.Errorf(examhall.EINVALID, "the candidate is required"))
	}
	return db.submit(ctx, &closeReq{id: attemptID, at: msTime(now), user: userID, exam: examID,
		reason: examhall.SubmitCandidate, ctx: ctx})
}

func (db *DB) submit(ctx context.Context, req *closeReq) (*examhall.Attempt, error) {
	db.engine.closeQ.do(ctx, req, db.closeBatch)
	if req.err != nil {
		return nil, fmt.Errorf("submit attempt: %w", req.err)
	}
	// Decoded by each caller, not by the batch's leader.
	a, err := req.row.attempt()
	if err != nil {
		return nil, fmt.Errorf("submit attempt: %w", err)
	}
	return a, nil
}

// closeBatch closes a batch of attempts in one transaction. Should it fail,
// each is closed alone, so one cannot fail the rest. Each request ends with
// r.closed or r.err set.
func (db *DB) closeBatch(ctx context.Context, batch []*closeReq) {
	if err := db.writeBatch(ctx, batch); err != nil {
		if len(batch) == 1 {
			batch[0].err = err
			return
		}
		for _, r := range batch {
			r.err = db.writeBatch(ctx, []*closeReq{r})
		}
	}
	var missed []string
	for _, r := range batch {
		if r.err == nil && !r.closed {
			missed = append(missed, r.id)
		}
	}
	if len(missed) == 0 {
		return
	}
	// Not closed: unknown, another's, or not in progress (closed before, or
	// earlier in this batch).
	found, err := db.attemptOwners(ctx, missed)
	for _, r := range batch {
		o, ok := found[r.id]
		switch {
		case r.err != nil || r.closed:
		case err != nil:
			r.err = err
		case !ok:
			r.err = examhall.Errorf(examhall.ENOTFOUND, "attempt %q not found", r.id)
		case r.user != "" && o.user != r.user:
			r.err = examhall.Errorf(examhall.EFORBIDDEN, "only the candidate may change an attempt")
		case r.exam != "" && o.exam != r.exam:
			r.err = examhall.Errorf(examhall.EFORBIDDEN, "this token is for another exam")
		default:
			r.err = examhall.Errorf(examhall.ECONFLICT, "the attempt is not in progress")
		}
	}
}

// attemptOwner is an attempt's candidate and exam.
type attemptOwner struct{ user, exam string }

// attemptOwners returns the candidate and exam of those of ids that are
// attempts.
func (db *DB) attemptOwners(ctx context.Context, ids []string) (map[string]attemptOwner, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, user_id, exam_id FROM attempts WHERE id IN (`+db.engineList(1)+`)`,
		db.engineListArg(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make(map[string]attemptOwner, len(ids))
	for rows.Next() {
		var id string
		var o attemptOwner
		if err := rows.Scan(&id, &o.user, &o.exam); err != nil {
			return nil, err
		}
		found[id] = o
	}
	return found, rows.Err()
}

// maxCloseBatch bounds one batch of submits (closeQ).
const maxCloseBatch = 256

// writeBatch closes the batch's attempts still in progress (r.closed) and
// adds the published ones to their exams' statistics, in one transaction:
// on SQLite a few statements whatever the batch size, on PostgreSQL one
// (closePostgres). An attempt twice in the batch is closed once.
func (db *DB) writeBatch(ctx context.Context, batch []*closeReq) (err error) {
	for _, r := range batch {
		r.closed = false
	}
	defer func() {
		if err != nil {
			for _, r := range batch {
				r.closed = false // rolled back
			}
		}
	}()
	staff := false
	for _, r := range batch {
		staff = staff || staffSubmit(r)
	}
	if db.dialect == Postgres && !staff {
		// The common case, candidates handing in: one statement, which may
		// have written outbox rows (qCloseEvents).
		err := db.closePostgres(ctx, db.w, false, batch)
		for _, r := range batch {
			if r.closed {
				db.wakeOutbox()
				break
			}
		}
		return mapError(err)
	}
	if db.dialect == SQLite {
		if err := db.prepareHot(ctx); err != nil {
			return err
		}
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		if db.dialect == Postgres {
			if err := db.closePostgres(ctx, tx, true, batch); err != nil {
				return err
			}
		} else {
			stats, err := db.closeSQLite(ctx, tx, batch)
			if err != nil {
				return err
			}
			for examID, d := range stats {
				if err := db.addStats(ctx, tx, examID, *d); err != nil {
					return err
				}
			}
			if err := db.enqueueAll(ctx, tx, closeEvents(batch)); err != nil {
				return err
			}
		}
		for _, r := range batch {
			if r.closed && staffSubmit(r) {
				a := &r.row.a
				if err := db.audit(context.WithoutCancel(r.ctx), tx, "attempt", r.id, "submit",
					map[string]any{"status": examhall.AttemptInProgress},
					map[string]any{"status": a.Status, "reason": r.reason}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// staffSubmit reports a submit to audit: staff closing an attempt, not
// a staff member handing in their own (reason candidate).
func staffSubmit(r *closeReq) bool {
	return r.ctx != nil && r.reason != examhall.SubmitCandidate && examhall.CallerFromContext(r.ctx).Staff()
}

// closeEvents returns the outbox events of the batch's closed attempts:
// attempt.submitted, and attempt.graded for those published at once.
func closeEvents(batch []*closeReq) []hookEvent {
	var events []hookEvent
	for _, r := range batch {
		if !r.closed {
			continue
		}
		a, end := r.row.a, fromMS(r.row.end)
		events = append(events, hookEvent{typ: examhall.HookAttemptSubmitted, key: a.ID, data: submittedData{
			AttemptID: a.ID, ExamID: a.ExamID, UserID: a.UserID, Reason: r.reason, Status: a.Status,
			EndTime: hookTime(end), UsedSeconds: a.UsedSeconds}})
		if a.Status == examhall.AttemptPublished {
			events = append(events, hookEvent{typ: examhall.HookAttemptGraded, key: a.ID, data: newGradedData(&a)})
		}
	}
	return events
}

// published gathers the statistics of closed attempts by exam.
type published map[string]*statsDelta

func (p published) add(examID string, score float64, passed bool) {
	if p[examID] == nil {
		p[examID] = &statsDelta{}
	}
	p[examID].add(score, passed)
}

// closeSQLite closes the batch's attempts one prepared statement each:
// within the process that is cheaper than a set-based UPDATE, which builds
// temporary tables and a statement journal. Then it reads them back (r.row)
// and returns what they published.
func (db *DB) closeSQLite(ctx context.Context, tx *sql.Tx, batch []*closeReq) (published, error) {
	stmt := db.hotStmt(ctx, tx, qCloseSQLite)
	if stmt != nil {
		defer stmt.Close()
	}
	closed := make(map[string]*closeReq, len(batch))
	for _, r := range batch {
		var res sql.Result
		var err error
		if stmt != nil {
			res, err = stmt.ExecContext(ctx, r.id, ms(r.at), r.user, r.exam)
		} else {
			res, err = tx.ExecContext(ctx, qCloseSQLite, r.id, ms(r.at), r.user, r.exam)
		}
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n == 1 {
			r.closed = true
			closed[r.id] = r
		}
	}
	if len(closed) == 0 {
		return nil, nil
	}
	// Read back on the writer, whose cache holds the pages just written: a
	// reader's cache starts empty after every write (WAL), so reading them
	// there costs twice as much, after the commit, while the candidates wait.
	rows, err := tx.QueryContext(ctx, `SELECT `+attemptColumns+` FROM attempts a
		WHERE a.id IN (SELECT value FROM json_each($1))`, db.engineListArg(slices.Collect(maps.Keys(closed))))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanClosed(rows, closed)
}

// closePostgres closes the batch's attempts in one statement (qClosePostgres),
// as each statement is a round trip, and so in a transaction of its own. The
// IDs go in order, so two batches sharing attempts lock them alike. An
// attempt asked for twice gets its later requests in a statement after:
// the first may be another candidate's, which must not stand in for them.
//
// In a transaction (inTx) a failure of that second statement fails the
// whole; otherwise the first has committed and only the later requests fail.
func (db *DB) closePostgres(ctx context.Context, q querier, inTx bool, batch []*closeReq) error {
	first := make(map[string]*closeReq, len(batch))
	var again []*closeReq
	for _, r := range batch {
		if first[r.id] == nil {
			first[r.id] = r
		} else {
			again = append(again, r)
		}
	}
	ids := slices.Sorted(maps.Keys(first))
	ats, users, exams := make([]int64, len(ids)), make([]string, len(ids)), make([]string, len(ids))
	for i, id := range ids {
		r := first[id]
		ats[i], users[i], exams[i] = ms(r.at), r.user, r.exam
	}
	sids, gids, reasons := make([]string, len(ids)), make([]string, len(ids)), make([]string, len(ids))
	for i, id := range ids {
		sids[i], gids[i], reasons[i] = examhall.NewID(16), examhall.NewID(16), string(first[id].reason)
	}
	now := db.now()
	rows, err := q.QueryContext(ctx, qClosePostgres, ids, ats, users, exams, sids, gids, reasons,
		ms(now), ms(now.Add(deliveryWindow)))
	if err != nil {
		return err
	}
	defer rows.Close()
	// The statement has committed once the rows are all read without error.
	if _, err := scanClosed(rows, first); err != nil {
		return err
	}
	if len(again) > 0 {
		if err := db.closePostgres(ctx, q, inTx, again); err != nil {
			if inTx {
				return err
			}
			for _, r := range again {
				r.closed, r.err = false, mapError(err)
			}
		}
	}
	return nil
}

// scanClosed scans the closed attempts into their requests (r.row,
// r.closed) and returns what they published.
func scanClosed(rows *sql.Rows, byID map[string]*closeReq) (published, error) {
	p := published{}
	for rows.Next() {
		var row attemptRow
		if err := rows.Scan(row.dest()...); err != nil {
			return nil, err
		}
		r := byID[row.a.ID]
		r.row, r.closed = row, true
		if a := &row.a; a.Status == examhall.AttemptPublished {
			p.add(a.ExamID, a.Score, a.Passed)
		}
	}
	return p, rows.Err()
}

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
			r := &closeReq{at: now, reason: examhall.SubmitDeadline, ctx: ctx}
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
			case r.closed:
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
		before := markFields(a)
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
		if err != nil {
			return err
		}
		if err := db.audit(ctx, tx, "attempt", a.ID, "mark", before, markFields(a)); err != nil {
			return err
		}
		if complete {
			return db.enqueue(ctx, tx, examhall.HookAttemptGraded, a.ID, newGradedData(a))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark attempt: %w", err)
	}
	return a, nil
}

// markFields are the fields of an attempt marking changes, for the audit log.
func markFields(a *examhall.Attempt) map[string]any {
	return map[string]any{"status": a.Status, "score": a.Score, "passed": a.Passed, "marks": maps.Clone(a.Marks)}
}

// PublishAttempts publishes the exam's marked attempts among ids, or all of
// them when ids is empty, and adds them to the exam's statistics in the same
// transaction; it returns how many it published (ids that are not marked
// attempts of the exam are skipped). ENOTFOUND for an unknown exam.
func (db *DB) PublishAttempts(ctx context.Context, examID string, ids []string) (int, error) {
	ids = uniqueIDs(ids)
	n := 0
	var published []string
	err := db.transact(ctx, func(tx *sql.Tx) error {
		n, published = 0, nil
		if _, err := findExam(ctx, tx, examID, ""); err != nil {
			return err
		}
		var d statsDelta
		publish := func(cond string, args []any) error {
			// RETURNING hands back exactly the rows this statement changed,
			// which is what the running totals must add.
			rows, err := tx.QueryContext(ctx, `UPDATE attempts SET status = 'published'
				WHERE exam_id = $1 AND status = 'marked'`+cond+` RETURNING id, score, passed, invalid`, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				var score float64
				var passed, invalid bool
				if err := rows.Scan(&id, &score, &passed, &invalid); err != nil {
					return err
				}
				published = append(published, id)
				if !invalid { // a violation found while it was marked
					d.add(score, passed)
				}
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
		n = len(published)
		if err := db.addStats(ctx, tx, examID, d); err != nil {
			return err
		}
		if n == 0 {
			return nil // nothing written, nothing to record
		}
		slices.Sort(published)
		if err := db.audit(ctx, tx, "exam", examID, "publish_grades", nil,
			map[string]any{"count": n, "attemptIds": published}); err != nil {
			return err
		}
		return db.enqueue(ctx, tx, examhall.HookGradesPublished, examID,
			map[string]any{"examId": examID, "count": n, "attemptIds": published})
	})
	if err != nil {
		return 0, fmt.Errorf("publish attempts: %w", err)
	}
	return n, nil
}
