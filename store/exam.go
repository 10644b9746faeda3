package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"examhall"
)

var _ examhall.ExamService = (*DB)(nil)

// examColumns are the columns examRow scans, from exams aliased e.
const examColumns = `e.id, e.name, e.begin_time, e.end_time, e.answer_minutes, e.pass_score, e.paper_score,
	e.allow_times, e.integral_rate, e.shuffle_questions, e.shuffle_options, e.partial_credit,
	e.audience, e.status, e.created_by, e.created_at, e.updated_at,
	e.proctoring_enabled, e.switch_limit, e.switch_max_seconds, e.require_fullscreen, e.snapshot_seconds, e.face_check`

// examRow scans examColumns.
type examRow struct {
	e                        examhall.Exam
	begin, end, created, upd int64
}

func (r *examRow) dest() []any {
	e := &r.e
	return []any{&e.ID, &e.Name, &r.begin, &r.end, &e.AnswerMinutes, &e.PassScore, &e.PaperScore,
		&e.AllowTimes, &e.IntegralRate, &e.ShuffleQuestions, &e.ShuffleOptions, &e.PartialCredit,
		&e.Audience, &e.Status, &e.CreatedBy, &r.created, &r.upd,
		&e.Proctoring.Enabled, &e.Proctoring.SwitchLimit, &e.Proctoring.SwitchMaxSeconds,
		&e.Proctoring.RequireFullscreen, &e.Proctoring.SnapshotSeconds, &e.Proctoring.FaceCheck}
}

func (r *examRow) exam() *examhall.Exam {
	e := r.e
	e.BeginTime, e.EndTime = fromMS(r.begin), fromMS(r.end)
	e.CreatedAt, e.UpdatedAt = fromMS(r.created), fromMS(r.upd)
	return &e
}

// engineLock returns clause (" FOR UPDATE", " FOR SHARE", …) on PostgreSQL
// and nothing on SQLite, where the single writer connection serialises
// write transactions already.
func (db *DB) engineLock(clause string) string {
	if db.dialect == Postgres {
		return " " + clause
	}
	return ""
}

// findExam reads one exam without its audience lists; lock is appended to the
// query (see engineLock).
func findExam(ctx context.Context, q querier, id, lock string) (*examhall.Exam, error) {
	var r examRow
	err := q.QueryRowContext(ctx, `SELECT `+examColumns+` FROM exams e WHERE e.id = $1`+lock, id).Scan(r.dest()...)
	if err != nil {
		return nil, notFound(err, "exam %q not found", id)
	}
	return r.exam(), nil
}

// FindExamByID returns the exam with its audience lists; ENOTFOUND.
func (db *DB) FindExamByID(ctx context.Context, id string) (*examhall.Exam, error) {
	var e *examhall.Exam
	err := db.engineSnapshot(ctx, func(tx *sql.Tx) error {
		var err error
		if e, err = findExam(ctx, tx, id, ""); err != nil {
			return err
		}
		return db.loadAudiences(ctx, tx, []*examhall.Exam{e})
	})
	if err != nil {
		return nil, fmt.Errorf("find exam: %w", err)
	}
	return e, nil
}

// FindExams returns the matching exams with their audience lists, newest
// first, and the total count ignoring Offset and Limit.
func (db *DB) FindExams(ctx context.Context, f examhall.ExamFilter) ([]*examhall.Exam, int, error) {
	var where []string
	var args []any
	if f.ID != nil {
		args = append(args, *f.ID)
		where = append(where, fmt.Sprintf("e.id = $%d", len(args)))
	}
	if f.Status != nil {
		args = append(args, string(*f.Status))
		where = append(where, fmt.Sprintf("e.status = $%d", len(args)))
	}
	if f.Query != "" {
		args = append(args, likePattern(f.Query))
		where = append(where, fmt.Sprintf(`lower(e.name) LIKE $%d ESCAPE '\'`, len(args)))
	}
	if f.UserID != "" {
		args = append(args, f.UserID)
		where = append(where, fmt.Sprintf(`e.id IN (SELECT exam_id FROM rooms WHERE created_by = $%[1]d
			UNION SELECT r.exam_id FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = $%[1]d)`, len(args)))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var exams []*examhall.Exam
	var total int
	err := db.engineSnapshot(ctx, func(tx *sql.Tx) error {
		// COUNT(*) OVER () counts the filtered rows before LIMIT, saving a
		// second scan; only a page past the end needs its own count.
		q := `SELECT ` + examColumns + `, COUNT(*) OVER () FROM exams e` + cond +
			fmt.Sprintf(` ORDER BY e.created_at DESC, e.id DESC LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2)
		rows, err := tx.QueryContext(ctx, q, append(args, engineLimit(f.Limit), max(f.Offset, 0))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r examRow
			if err := rows.Scan(append(r.dest(), &total)...); err != nil {
				return err
			}
			exams = append(exams, r.exam())
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(exams) == 0 && f.Offset > 0 {
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM exams e`+cond, args...).Scan(&total); err != nil {
				return err
			}
		}
		return db.loadAudiences(ctx, tx, exams)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find exams: %w", err)
	}
	return exams, total, nil
}

// engineLimit turns "0 means no limit" into a LIMIT both dialects accept
// (SQLite wants -1 for none, PostgreSQL NULL or ALL).
func engineLimit(limit int) int64 {
	if limit <= 0 {
		return 1<<63 - 1
	}
	return int64(limit)
}

// engineList returns a subquery whose one column v holds the strings bound
// to parameter $n as engineListArg(values). One parameter instead of an IN
// list keeps the statement text fixed and its size independent of the list:
// modernc's SQLite resolves every $N by a linear search at prepare time, so
// an IN list of a thousand parameters costs more to compile than to run.
func (db *DB) engineList(n int) string {
	if db.dialect == Postgres {
		return fmt.Sprintf(`SELECT unnest($%d::text[]) AS v`, n)
	}
	return fmt.Sprintf(`SELECT value AS v FROM json_each($%d)`, n)
}

// engineListArg binds values for engineList: a text[] on PostgreSQL, a JSON
// array on SQLite.
func (db *DB) engineListArg(values []string) any {
	if values == nil {
		values = []string{}
	}
	if db.dialect == Postgres {
		return values
	}
	b, _ := json.Marshal(values) // strings always encode
	return string(b)
}

// loadAudiences fills in the exams' audience lists.
func (db *DB) loadAudiences(ctx context.Context, q querier, exams []*examhall.Exam) error {
	if len(exams) == 0 {
		return nil
	}
	byID := make(map[string]*examhall.Exam, len(exams))
	ids := make([]string, len(exams))
	for i, e := range exams {
		e.AudienceDeptIDs, e.AudienceUserIDs = nil, nil
		byID[e.ID] = e
		ids[i] = e.ID
	}
	list := db.engineList(1)
	rows, err := q.QueryContext(ctx, `SELECT exam_id, 'd', dept_id FROM exam_audience_depts WHERE exam_id IN (`+list+`)
		UNION ALL SELECT exam_id, 'u', user_id FROM exam_audience_users WHERE exam_id IN (`+list+`)
		ORDER BY 1, 2, 3`, db.engineListArg(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var examID, kind, id string
		if err := rows.Scan(&examID, &kind, &id); err != nil {
			return err
		}
		e := byID[examID]
		if kind == "d" {
			e.AudienceDeptIDs = append(e.AudienceDeptIDs, id)
		} else {
			e.AudienceUserIDs = append(e.AudienceUserIDs, id)
		}
	}
	return rows.Err()
}

// CreateExam validates e, sets e.ID (when empty; else it must be a valid
// identifier), CreatedAt and UpdatedAt, and stores it with its audience
// lists. EINVALID for an invalid exam or an unknown audience department or
// user; ECONFLICT when the ID is taken.
func (db *DB) CreateExam(ctx context.Context, e *examhall.Exam) error {
	ne, err := newExam(e)
	if err != nil {
		return err
	}
	now := db.now()
	if err := db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.insertExam(ctx, tx, ne, now); err != nil {
			return err
		}
		if err := db.audit(ctx, tx, "exam", ne.ID, "create", nil, ne); err != nil {
			return err
		}
		return db.enqueueExamPublished(ctx, tx, ne, "")
	}); err != nil {
		return fmt.Errorf("create exam: %w", err)
	}
	*e = *ne
	return nil
}

// newExam returns a validated copy of e to insert: its ID chosen (when
// empty), times to the millisecond, audience lists without repeats. e
// itself is left as it is until the insert commits.
func newExam(e *examhall.Exam) (*examhall.Exam, error) {
	ne := *e
	ne.BeginTime, ne.EndTime = msTime(ne.BeginTime), msTime(ne.EndTime)
	if ne.Proctoring.SnapshotSeconds == 0 {
		ne.Proctoring.SnapshotSeconds = examhall.DefaultSnapshotSeconds
	}
	if err := ne.Validate(); err != nil {
		return nil, err
	}
	if ne.ID == "" {
		ne.ID = examhall.NewID(6)
	} else if err := validExamID(ne.ID); err != nil {
		return nil, err
	}
	ne.AudienceDeptIDs, ne.AudienceUserIDs = uniqueIDs(ne.AudienceDeptIDs), uniqueIDs(ne.AudienceUserIDs)
	return &ne, nil
}

// insertExam inserts an exam from newExam with its audience and sets its
// times.
func (db *DB) insertExam(ctx context.Context, tx *sql.Tx, e *examhall.Exam, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO exams (id, name, begin_time, end_time, answer_minutes,
		pass_score, paper_score, allow_times, integral_rate, shuffle_questions, shuffle_options,
		partial_credit, audience, status, created_by, created_at, updated_at,
		proctoring_enabled, switch_limit, switch_max_seconds, require_fullscreen, snapshot_seconds, face_check)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16,
		$17, $18, $19, $20, $21, $22)`,
		e.ID, e.Name, ms(e.BeginTime), ms(e.EndTime), e.AnswerMinutes, e.PassScore, e.PaperScore,
		e.AllowTimes, e.IntegralRate, e.ShuffleQuestions, e.ShuffleOptions, e.PartialCredit,
		string(e.Audience), string(e.Status), e.CreatedBy, ms(now),
		e.Proctoring.Enabled, e.Proctoring.SwitchLimit, e.Proctoring.SwitchMaxSeconds,
		e.Proctoring.RequireFullscreen, e.Proctoring.SnapshotSeconds, e.Proctoring.FaceCheck)
	if isUnique(err) {
		return examhall.Errorf(examhall.ECONFLICT, "exam id %q is taken", e.ID)
	} else if err != nil {
		return err
	}
	e.CreatedAt, e.UpdatedAt = now, now
	return db.setAudience(ctx, tx, e.ID, e.AudienceDeptIDs, e.AudienceUserIDs)
}

// validExamID checks an ID a caller chose: stream names embed exam IDs and
// split on '-'.
func validExamID(id string) error {
	if len(id) > examhall.MaxIDLen || strings.ContainsAny(id, "-/ \t\r\n") {
		return examhall.Errorf(examhall.EINVALID, "exam id %q is not a valid identifier", id)
	}
	return nil
}

// uniqueIDs returns ids sorted without repeats and empty strings (nil when none).
func uniqueIDs(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if out[0] == "" {
		out = out[1:]
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// setAudience replaces an exam's audience lists, refusing unknown
// departments and users with EINVALID (rather than a bare foreign-key error,
// which on PostgreSQL would also not say which one).
func (db *DB) setAudience(ctx context.Context, tx *sql.Tx, examID string, deptIDs, userIDs []string) error {
	for _, t := range []struct {
		table, col, ref, what string
		ids                   []string
	}{
		{"exam_audience_depts", "dept_id", "departments", "department", deptIDs},
		{"exam_audience_users", "user_id", "users", "user", userIDs},
	} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE exam_id = $1`, examID); err != nil {
			return err
		}
		if len(t.ids) == 0 {
			continue
		}
		arg := db.engineListArg(t.ids)
		var unknown string
		err := tx.QueryRowContext(ctx, `SELECT l.v FROM (`+db.engineList(1)+`) l
			WHERE NOT EXISTS (SELECT 1 FROM `+t.ref+` r WHERE r.id = l.v) LIMIT 1`, arg).Scan(&unknown)
		if err == nil {
			return examhall.Errorf(examhall.EINVALID, "unknown audience %s %q", t.what, unknown)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+t.table+` (exam_id, `+t.col+`)
			SELECT $1, l.v FROM (`+db.engineList(2)+`) l`, examID, arg); err != nil {
			return err
		}
	}
	return nil
}

// UpdateExam applies upd, validates the result and stores it. ENOTFOUND;
// EINVALID for an invalid result or unknown audience members; ECONFLICT when
// PaperScore is set for an exam that has a paper (its questions decide it),
// or PartialCredit changes once the exam has attempts (like its paper).
func (db *DB) UpdateExam(ctx context.Context, id string, upd examhall.ExamUpdate) (*examhall.Exam, error) {
	var e *examhall.Exam
	err := db.transact(ctx, func(tx *sql.Tx) error {
		var err error
		if e, err = findExam(ctx, tx, id, db.engineLock("FOR UPDATE")); err != nil {
			return err
		}
		if err := db.loadAudiences(ctx, tx, []*examhall.Exam{e}); err != nil {
			return err
		}
		before := *e
		if upd.PaperScore != nil && *upd.PaperScore != e.PaperScore {
			var hasPaper bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM questions WHERE exam_id = $1)`, id).Scan(&hasPaper); err != nil {
				return err
			}
			if hasPaper {
				return examhall.Errorf(examhall.ECONFLICT, "the exam has a paper: its paperScore is the sum of the question scores")
			}
		}
		if upd.PartialCredit != nil && *upd.PartialCredit != e.PartialCredit {
			// Attempts are graded as they are saved (see gradeSaved).
			var started bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM attempts WHERE exam_id = $1)`, id).Scan(&started); err != nil {
				return err
			}
			if started {
				return examhall.Errorf(examhall.ECONFLICT, "the exam has attempts: its partialCredit can no longer change")
			}
		}
		passScore, rate := e.PassScore, e.IntegralRate
		audience := applyExamUpdate(e, upd)
		if err := e.Validate(); err != nil {
			return err
		}
		e.UpdatedAt = db.now()
		if _, err := tx.ExecContext(ctx, `UPDATE exams SET name = $2, begin_time = $3, end_time = $4,
			answer_minutes = $5, pass_score = $6, paper_score = $7, allow_times = $8, integral_rate = $9,
			shuffle_questions = $10, shuffle_options = $11, partial_credit = $12, audience = $13,
			status = $14, updated_at = $15, proctoring_enabled = $16, switch_limit = $17,
			switch_max_seconds = $18, require_fullscreen = $19, snapshot_seconds = $20, face_check = $21
			WHERE id = $1`,
			id, e.Name, ms(e.BeginTime), ms(e.EndTime), e.AnswerMinutes, e.PassScore, e.PaperScore,
			e.AllowTimes, e.IntegralRate, e.ShuffleQuestions, e.ShuffleOptions, e.PartialCredit,
			string(e.Audience), string(e.Status), ms(e.UpdatedAt),
			e.Proctoring.Enabled, e.Proctoring.SwitchLimit, e.Proctoring.SwitchMaxSeconds,
			e.Proctoring.RequireFullscreen, e.Proctoring.SnapshotSeconds, e.Proctoring.FaceCheck); err != nil {
			return err
		}
		if e.PassScore != passScore || e.IntegralRate != rate {
			if err := regrade(ctx, tx, id); err != nil {
				return err
			}
		}
		if audience {
			if err := db.setAudience(ctx, tx, id, e.AudienceDeptIDs, e.AudienceUserIDs); err != nil {
				return err
			}
		}
		action := "update"
		switch {
		case e.Status == before.Status:
		case e.Status == examhall.ExamPublished:
			action = "publish"
		case e.Status == examhall.ExamArchived:
			action = "archive"
		}
		if err := db.audit(ctx, tx, "exam", id, action, &before, e); err != nil {
			return err
		}
		return db.enqueueExamPublished(ctx, tx, e, before.Status)
	})
	if err != nil {
		return nil, fmt.Errorf("update exam: %w", err)
	}
	return e, nil
}

// enqueueExamPublished emits exam.published when e becomes published (its
// status was before).
func (db *DB) enqueueExamPublished(ctx context.Context, tx *sql.Tx, e *examhall.Exam, before examhall.ExamStatus) error {
	if e.Status != examhall.ExamPublished || before == examhall.ExamPublished {
		return nil
	}
	return db.enqueue(ctx, tx, examhall.HookExamPublished, e.ID, map[string]any{"examId": e.ID, "name": e.Name,
		"beginTime": hookTime(e.BeginTime), "endTime": hookTime(e.EndTime)})
}

// qRegrade gives exam $1's graded attempts the pass and integral of its
// rules as they are now (as qClose does), writing only those that change.
var qRegrade = `UPDATE attempts AS a SET passed = a.score >= e.pass_score, integral = ` + qIntegral + `
	FROM exams e WHERE a.exam_id = $1 AND e.id = a.exam_id AND a.status IN ('marked', 'published')
		AND (a.passed <> (a.score >= e.pass_score) OR a.integral <> ` + qIntegral + `)`

// regrade applies a changed pass score or integral rate to the exam's
// graded attempts and recounts its published passes, so that grades and
// statistics follow the rules the exam shows.
func regrade(ctx context.Context, tx *sql.Tx, examID string) error {
	if _, err := tx.ExecContext(ctx, qRegrade, examID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE exam_stats SET pass_num = (SELECT count(*) FROM attempts
		WHERE exam_id = $1 AND status = 'published' AND passed) WHERE exam_id = $1`, examID)
	return err
}

// applyExamUpdate copies upd's set fields into e and reports whether an
// audience list changed.
func applyExamUpdate(e *examhall.Exam, upd examhall.ExamUpdate) (audience bool) {
	upd.Apply(e)
	e.BeginTime, e.EndTime = msTime(e.BeginTime), msTime(e.EndTime)
	if upd.AudienceDeptIDs != nil {
		e.AudienceDeptIDs, audience = uniqueIDs(e.AudienceDeptIDs), true
	}
	if upd.AudienceUserIDs != nil {
		e.AudienceUserIDs, audience = uniqueIDs(e.AudienceUserIDs), true
	}
	return audience
}

// overrideRow scans an exam_overrides row.
type overrideRow struct {
	o          examhall.Override
	begin, end int64
}

const overrideColumns = `o.exam_id, o.user_id, o.extra_attempts, o.extra_minutes, o.begin_time, o.end_time`

func (r *overrideRow) dest() []any {
	return []any{&r.o.ExamID, &r.o.UserID, &r.o.ExtraAttempts, &r.o.ExtraMinutes, &r.begin, &r.end}
}

func (r *overrideRow) override() *examhall.Override {
	o := r.o
	if r.begin != 0 {
		t := fromMS(r.begin)
		o.BeginTime = &t
	}
	if r.end != 0 {
		t := fromMS(r.end)
		o.EndTime = &t
	}
	return &o
}

// findOverride returns the candidate's override, or nil when there is none.
func findOverride(ctx context.Context, q querier, examID, userID string) (*examhall.Override, error) {
	var r overrideRow
	err := q.QueryRowContext(ctx, `SELECT `+overrideColumns+` FROM exam_overrides o
		WHERE o.exam_id = $1 AND o.user_id = $2`, examID, userID).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return r.override(), nil
}

// optMS stores an optional time; nil is 0.
func optMS(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return ms(*t)
}

// SetOverride creates or replaces a candidate's override. ENOTFOUND for an
// unknown exam; EINVALID for an unknown user, negative extras or a window
// that (with the exam's) ends before it begins.
func (db *DB) SetOverride(ctx context.Context, o *examhall.Override) error {
	if o.ExtraAttempts < 0 || o.ExtraMinutes < 0 {
		return examhall.Errorf(examhall.EINVALID, "extraAttempts and extraMinutes must not be negative")
	}
	for _, t := range []**time.Time{&o.BeginTime, &o.EndTime} {
		if *t != nil {
			if (*t).IsZero() {
				*t = nil
			} else {
				v := msTime(**t)
				*t = &v
			}
		}
	}
	err := db.transact(ctx, func(tx *sql.Tx) error {
		before, err := findOverride(ctx, tx, o.ExamID, o.UserID)
		if err != nil {
			return err
		}
		e, err := findExam(ctx, tx, o.ExamID, db.engineLock("FOR SHARE"))
		if err != nil {
			return err
		}
		if r := e.RulesFor(o); !r.EndTime.After(r.BeginTime) {
			return examhall.Errorf(examhall.EINVALID, "the overridden window ends before it begins")
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = $1`, o.UserID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return examhall.Errorf(examhall.EINVALID, "unknown user %q", o.UserID)
		} else if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO exam_overrides
			(exam_id, user_id, extra_attempts, extra_minutes, begin_time, end_time)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (exam_id, user_id) DO UPDATE SET extra_attempts = excluded.extra_attempts,
			extra_minutes = excluded.extra_minutes, begin_time = excluded.begin_time, end_time = excluded.end_time`,
			o.ExamID, o.UserID, o.ExtraAttempts, o.ExtraMinutes, optMS(o.BeginTime), optMS(o.EndTime))
		if err != nil {
			return err
		}
		var b any
		if before != nil {
			b = before
		}
		return db.audit(ctx, tx, "override", o.ExamID+"/"+o.UserID, "set", b, o)
	})
	if err != nil {
		return fmt.Errorf("set override: %w", err)
	}
	return nil
}

// FindOverride returns the candidate's override; ENOTFOUND when none.
func (db *DB) FindOverride(ctx context.Context, examID, userID string) (*examhall.Override, error) {
	o, err := findOverride(ctx, db.r, examID, userID)
	if err == nil && o == nil {
		err = examhall.Errorf(examhall.ENOTFOUND, "no override for user %q in exam %q", userID, examID)
	}
	if err != nil {
		return nil, fmt.Errorf("find override: %w", err)
	}
	return o, nil
}

// FindOverrides lists the exam's overrides by user ID.
func (db *DB) FindOverrides(ctx context.Context, examID string) ([]*examhall.Override, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+overrideColumns+` FROM exam_overrides o
		WHERE o.exam_id = $1 ORDER BY o.user_id`, examID)
	if err != nil {
		return nil, fmt.Errorf("find overrides: %w", err)
	}
	defer rows.Close()
	var list []*examhall.Override
	for rows.Next() {
		var r overrideRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, fmt.Errorf("find overrides: %w", err)
		}
		list = append(list, r.override())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find overrides: %w", err)
	}
	return list, nil
}

// DeleteOverride removes the candidate's override; ENOTFOUND when none.
func (db *DB) DeleteOverride(ctx context.Context, examID, userID string) error {
	err := db.transact(ctx, func(tx *sql.Tx) error {
		before, err := findOverride(ctx, tx, examID, userID)
		if err != nil {
			return err
		}
		if before == nil {
			return examhall.Errorf(examhall.ENOTFOUND, "no override for user %q in exam %q", userID, examID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM exam_overrides WHERE exam_id = $1 AND user_id = $2`, examID, userID); err != nil {
			return err
		}
		return db.audit(ctx, tx, "override", examID+"/"+userID, "delete", before, nil)
	})
	if err != nil {
		return fmt.Errorf("delete override: %w", err)
	}
	return nil
}

// candidate is what the audience rules need to know of a user.
type candidate struct {
	id, role, deptPath string
}

// findCandidate reads a user for the audience rules; ENOTFOUND.
func findCandidate(ctx context.Context, q querier, userID string) (*candidate, error) {
	c := &candidate{id: userID}
	err := q.QueryRowContext(ctx, `SELECT u.role, COALESCE(d.path, '') FROM users u
		LEFT JOIN departments d ON d.id = u.dept_id WHERE u.id = $1`, userID).Scan(&c.role, &c.deptPath)
	if err != nil {
		return nil, notFound(err, "user %q not found", userID)
	}
	return c, nil
}

// deptLineage returns the paths of c's department and its ancestors:
// "A/B/C" → "A", "A/B", "A/B/C". An audience department covers c when its
// path is one of them, which turns the subtree test into an indexed IN.
func (c *candidate) deptLineage() []string {
	if c.deptPath == "" {
		return nil
	}
	var out []string
	for i := 0; i <= len(c.deptPath); i++ {
		if i == len(c.deptPath) || c.deptPath[i] == '/' {
			out = append(out, c.deptPath[:i])
		}
	}
	return out
}

// audienceCond returns a condition on exams aliased e that holds when the
// candidate is in the exam's audience, with its arguments numbered from
// start: the listed users; for 'all' and 'depts' (whose domain meaning is
// examinees) only examinees, for 'depts' in a listed department or below.
func (c *candidate) audienceCond(start int) (string, []any) {
	args := []any{c.id}
	cond := fmt.Sprintf(`(e.audience = 'users' AND EXISTS (SELECT 1 FROM exam_audience_users au
		WHERE au.exam_id = e.id AND au.user_id = $%d))`, start)
	if c.role != string(examhall.RoleExaminee) {
		return cond, args
	}
	cond += ` OR e.audience = 'all'`
	if lineage := c.deptLineage(); len(lineage) > 0 {
		cond += fmt.Sprintf(` OR (e.audience = 'depts' AND EXISTS (SELECT 1 FROM exam_audience_depts ad
			JOIN departments d ON d.id = ad.dept_id
			WHERE ad.exam_id = e.id AND d.path IN (%s)))`, engineParams(len(lineage), start+1))
		for _, p := range lineage {
			args = append(args, p)
		}
	}
	return "(" + cond + ")", args
}

// inAudience returns EINVALID unless the candidate may take exam e.
func inAudience(ctx context.Context, q querier, e *examhall.Exam, c *candidate) error {
	cond, args := c.audienceCond(2)
	var in bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM exams e WHERE e.id = $1 AND `+cond+`)`,
		append([]any{e.ID}, args...)...).Scan(&in)
	if err != nil {
		return err
	}
	if !in {
		return examhall.Errorf(examhall.EINVALID, "not in this exam's audience")
	}
	return nil
}

// inProgress is the ID of user $2's attempt in progress of exam e, or NULL
// (attempts_one_in_progress).
const inProgress = `(SELECT a.id FROM attempts a WHERE a.exam_id = e.id AND a.user_id = $2 AND a.status = 'in_progress')`

// FindUserExams lists the published exams the user may take now or later: in
// the audience, the window (after the user's override) not over at now, and
// attempts begun fewer than allowed (after the override) or one in progress
// (to resume); ordered by the user's begin time, with the total count. Each
// Exam carries the user's own rules (window, answer time and attempts after
// the override) and no audience lists.
// ENOTFOUND for an unknown user.
//
// One statement over the published exams: per exam it probes the audience,
// override and attempt indexes, so it stays cheap with thousands of exams.
func (db *DB) FindUserExams(ctx context.Context, userID string, now time.Time, offset, limit int) ([]*examhall.UserExam, int, error) {
	var out []*examhall.UserExam
	var total int
	err := db.engineSnapshot(ctx, func(tx *sql.Tx) error {
		c, err := findCandidate(ctx, tx, userID)
		if err != nil {
			return err
		}
		cond, args := c.audienceCond(2)
		args = append([]any{ms(now)}, args...)
		from := ` FROM exams e
			LEFT JOIN exam_overrides o ON o.exam_id = e.id AND o.user_id = $2
			WHERE e.status = 'published' AND ` + cond + `
			AND CASE WHEN o.end_time > 0 THEN o.end_time ELSE e.end_time END > $1
			AND ((SELECT COUNT(*) FROM attempts a WHERE a.exam_id = e.id AND a.user_id = $2)
				< e.allow_times + COALESCE(o.extra_attempts, 0) OR ` + inProgress + ` IS NOT NULL)`
		q := `SELECT ` + examColumns + `, COALESCE(o.extra_attempts, 0), COALESCE(o.extra_minutes, 0),
			COALESCE(o.begin_time, 0), COALESCE(o.end_time, 0),
			(SELECT COUNT(*) FROM attempts a WHERE a.exam_id = e.id AND a.user_id = $2),
			COALESCE(` + inProgress + `, ''), COUNT(*) OVER ()` + from + fmt.Sprintf(`
			ORDER BY CASE WHEN o.begin_time > 0 THEN o.begin_time ELSE e.begin_time END, e.id
			LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2)
		rows, err := tx.QueryContext(ctx, q, append(args, engineLimit(limit), max(offset, 0))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r examRow
			var or overrideRow
			var used int
			var inProgress string
			dest := append(r.dest(), &or.o.ExtraAttempts, &or.o.ExtraMinutes, &or.begin, &or.end, &used, &inProgress, &total)
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			e := r.exam()
			rules := e.RulesFor(or.override())
			e.BeginTime, e.EndTime = rules.BeginTime, rules.EndTime
			e.AnswerMinutes, e.AllowTimes = rules.AnswerMinutes, rules.AllowTimes
			out = append(out, &examhall.UserExam{Exam: e, AllowTimes: rules.AllowTimes, Used: used, InProgress: inProgress})
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 && offset > 0 {
			return tx.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find user exams: %w", err)
	}
	return out, total, nil
}
