package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"

	"examhall"
)

var (
	_ examhall.ReviewService = (*DB)(nil)
	_ examhall.ResultService = (*DB)(nil)
)

// SetReview records the decision on a closed attempt. A change to or from
// a violation flips attempts.invalid and, for a published attempt,
// recomputes the exam's exam_stats row from its valid published attempts
// (an index-only aggregate), in the same transaction. EINVALID, ENOTFOUND,
// ECONFLICT while the attempt is in progress.
func (db *DB) SetReview(ctx context.Context, r *examhall.Review) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("set review: %w", err)
	}
	r.DecidedAt = msTime(db.now())
	err := db.transact(ctx, func(tx *sql.Tx) error {
		var examID string
		var status examhall.AttemptStatus
		var invalid bool
		err := tx.QueryRowContext(ctx, `SELECT exam_id, status, invalid FROM attempts WHERE id = $1`+
			db.engineLock("FOR UPDATE"), r.AttemptID).Scan(&examID, &status, &invalid)
		if err != nil {
			return notFound(err, "attempt %q not found", r.AttemptID)
		}
		if status == examhall.AttemptInProgress {
			return examhall.Errorf(examhall.ECONFLICT, "the attempt is still in progress: decide once it is submitted")
		}
		// What the audit log records: the decision before and after.
		var before map[string]any
		var oldDecision, oldComment string
		err = tx.QueryRowContext(ctx, `SELECT decision, comment FROM attempt_reviews WHERE attempt_id = $1`, r.AttemptID).
			Scan(&oldDecision, &oldComment)
		switch {
		case err == nil:
			before = map[string]any{"decision": oldDecision, "comment": oldComment, "invalid": invalid}
		case err != sql.ErrNoRows:
			return err
		}
		after := map[string]any{"decision": string(r.Decision), "comment": r.Comment, "invalid": r.Decision == examhall.DecisionViolation}
		if err := db.audit(ctx, tx, "attempt", r.AttemptID, "review", before, after); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO attempt_reviews (attempt_id, decision, comment, reviewer_id, decided_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (attempt_id) DO UPDATE SET decision = excluded.decision, comment = excluded.comment,
				reviewer_id = excluded.reviewer_id, decided_at = excluded.decided_at`,
			r.AttemptID, string(r.Decision), r.Comment, r.ReviewerID, ms(r.DecidedAt)); err != nil {
			return err
		}
		want := r.Decision == examhall.DecisionViolation
		if err := db.enqueue(ctx, tx, examhall.HookReviewDecided, r.AttemptID, map[string]any{
			"attemptId": r.AttemptID, "examId": examID, "decision": string(r.Decision), "comment": r.Comment,
			"invalid": want, "reviewerId": r.ReviewerID, "decidedAt": r.DecidedAt,
		}); err != nil {
			return err
		}
		if want == invalid {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE attempts SET invalid = $2 WHERE id = $1`, r.AttemptID, want); err != nil {
			return err
		}
		if status != examhall.AttemptPublished {
			return nil // it joins the statistics, or not, when published
		}
		return db.recomputeStats(ctx, tx, examID)
	})
	if err != nil {
		return fmt.Errorf("set review: %w", mapError(err))
	}
	return nil
}

// recomputeStats rebuilds the exam's exam_stats row from its valid
// published attempts. On PostgreSQL the row is locked first, so that the
// aggregate (a later statement, a later snapshot) sees every publication
// committed before it and the ones waiting for the lock add their deltas
// after.
func (db *DB) recomputeStats(ctx context.Context, tx *sql.Tx, examID string) error {
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM exam_stats WHERE exam_id = $1 FOR UPDATE`, examID); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO exam_stats (exam_id, attend_num, pass_num, score_sum, max_score, min_score)
		SELECT $1, COUNT(*), COALESCE(SUM(CASE WHEN passed THEN 1 ELSE 0 END), 0), COALESCE(SUM(score), 0),
			COALESCE(MAX(score), 0), COALESCE(MIN(score), 0)
		FROM attempts WHERE exam_id = $1 AND status = 'published' AND NOT invalid
		ON CONFLICT (exam_id) DO UPDATE SET attend_num = excluded.attend_num, pass_num = excluded.pass_num,
			score_sum = excluded.score_sum, max_score = excluded.max_score, min_score = excluded.min_score`, examID)
	return err
}

// reviewColumns are the columns scanReview reads, from attempt_reviews r
// and the reviewer ru (LEFT JOINs, so all may be NULL).
const reviewColumns = `r.attempt_id, r.decision, r.comment, r.reviewer_id, r.decided_at, ru.name`

type reviewRow struct {
	attemptID, decision, comment, reviewerID, reviewerName sql.NullString
	decided                                                sql.NullInt64
}

func (r *reviewRow) dest() []any {
	return []any{&r.attemptID, &r.decision, &r.comment, &r.reviewerID, &r.decided, &r.reviewerName}
}

// review returns nil when the row had no review.
func (r *reviewRow) review() *examhall.Review {
	if !r.attemptID.Valid {
		return nil
	}
	return &examhall.Review{AttemptID: r.attemptID.String, Decision: examhall.Decision(r.decision.String),
		Comment: r.comment.String, ReviewerID: r.reviewerID.String, ReviewerName: r.reviewerName.String,
		DecidedAt: fromMS(r.decided.Int64)}
}

// FindReview returns the attempt's decision; ENOTFOUND while it has none.
func (db *DB) FindReview(ctx context.Context, attemptID string) (*examhall.Review, error) {
	var row reviewRow
	err := db.r.QueryRowContext(ctx, `SELECT `+reviewColumns+` FROM attempt_reviews r
		LEFT JOIN users ru ON ru.id = r.reviewer_id WHERE r.attempt_id = $1`, attemptID).Scan(row.dest()...)
	if err != nil {
		return nil, fmt.Errorf("find review: %w", notFound(err, "attempt %q has no review", attemptID))
	}
	return row.review(), nil
}

// FindFlagged returns the exam's closed attempts whose candidate has cheat
// records in the exam (only the room's, with f.RoomID), with the counts by
// detect type, whether the switch limit submitted it (its switches reached
// the exam's switch limit), the severity and the decision. Records are
// counted by candidate, so each of a candidate's attempts gets all of the
// candidate's records in the exam (or room).
func (db *DB) FindFlagged(ctx context.Context, f examhall.FlaggedFilter) ([]*examhall.Flagged, error) {
	counts := map[string]map[string]int{} // user → type → n
	rows, err := db.r.QueryContext(ctx, `SELECT user_id, detect_type, COUNT(*) FROM cheat_records
		WHERE exam_id = $1 AND ($2 = '' OR room_id = $2) GROUP BY user_id, detect_type`, f.ExamID, f.RoomID)
	if err != nil {
		return nil, fmt.Errorf("find flagged: %w", err)
	}
	for rows.Next() {
		var user, typ string
		var n int
		if err := rows.Scan(&user, &typ, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find flagged: %w", err)
		}
		if counts[user] == nil {
			counts[user] = map[string]int{}
		}
		counts[user][typ] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find flagged: %w", err)
	}
	if len(counts) == 0 {
		return nil, nil
	}
	users := make([]string, 0, len(counts))
	for u := range counts {
		users = append(users, u)
	}
	rows, err = db.r.QueryContext(ctx, `SELECT `+gradeColumns+`, u.account, u.name, `+reviewColumns+`,
			e.switch_limit > 0 AND a.switches >= e.switch_limit
		FROM attempts a JOIN users u ON u.id = a.user_id JOIN exams e ON e.id = a.exam_id
		LEFT JOIN attempt_reviews r ON r.attempt_id = a.id
		LEFT JOIN users ru ON ru.id = r.reviewer_id
		WHERE a.exam_id = $1 AND a.status <> 'in_progress' AND a.user_id IN (`+db.engineList(2)+`)`,
		f.ExamID, db.engineListArg(users))
	if err != nil {
		return nil, fmt.Errorf("find flagged: %w", err)
	}
	defer rows.Close()
	var out []*examhall.Flagged
	for rows.Next() {
		var ar attemptRow
		var rr reviewRow
		var switchLimit bool
		dest := append(append(append(ar.dest(), &ar.a.UserAccount, &ar.a.UserName), rr.dest()...), &switchLimit)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("find flagged: %w", err)
		}
		a, err := ar.attempt()
		if err != nil {
			return nil, fmt.Errorf("find flagged: %w", err)
		}
		c := counts[a.UserID]
		out = append(out, &examhall.Flagged{Attempt: a, Signals: c, SwitchLimit: switchLimit,
			Severity: examhall.Severity(c, switchLimit), Review: rr.review()})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find flagged: %w", err)
	}
	return out, nil
}

// resultsCache is what exam_results keeps: every aggregate that reads more
// than the exam_stats row.
type resultsCache struct {
	SumSq   float64                      `json:"sumSq"` // Σ score²
	Median  float64                      `json:"median"`
	Buckets []int                        `json:"buckets"`
	Items   map[string]examhall.ItemSums `json:"items"`
	Depts   []examhall.DeptStats         `json:"depts"`
}

// qValid selects the valid published attempts of exam $1 (table a).
const qValid = `a.exam_id = $1 AND a.status = 'published' AND NOT a.invalid`

// FindResults returns the exam's results over its valid published
// attempts. Counts, pass count, mean, maximum and minimum come from the
// exam_stats row; the rest (standard deviation, median, histogram, item
// analysis, departments) from exam_results, which keeps them for one state
// of that row and is recomputed (computeResultsCache) when the row has
// changed: after publications, reviews and regrades. ENOTFOUND.
func (db *DB) FindResults(ctx context.Context, examID string) (*examhall.Results, error) {
	res := &examhall.Results{ExamID: examID}
	var cache resultsCache
	var paper []*examhall.Question
	var stale bool
	var sum float64
	err := db.engineSnapshot(ctx, func(tx *sql.Tx) error {
		e, err := findExam(ctx, tx, examID, "")
		if err != nil {
			return err
		}
		res.PaperScore = e.PaperScore
		err = tx.QueryRowContext(ctx, `SELECT attend_num, pass_num, score_sum, max_score, min_score
			FROM exam_stats WHERE exam_id = $1`, examID).Scan(&res.Attempts, &res.Passed, &sum, &res.Max, &res.Min)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		p, err := db.attemptPaper(ctx, tx, examID)
		if err != nil {
			return err
		}
		paper = p.questions
		if res.Attempts == 0 {
			res.Max, res.Min = 0, 0
			return nil
		}
		var body string
		err = tx.QueryRowContext(ctx, `SELECT body FROM exam_results
			WHERE exam_id = $1 AND attend_num = $2 AND pass_num = $3 AND score_sum = $4`,
			examID, res.Attempts, res.Passed, sum).Scan(&body)
		switch {
		case err == sql.ErrNoRows:
			stale = true
			return db.computeResultsCache(ctx, tx, res, &cache)
		case err != nil:
			return err
		}
		return json.Unmarshal([]byte(body), &cache)
	})
	if err != nil {
		return nil, fmt.Errorf("find results: %w", notFound(err, "exam %q not found", examID))
	}
	if stale {
		if err := db.saveResultsCache(ctx, examID, res, sum, &cache); err != nil {
			return nil, fmt.Errorf("find results: %w", err)
		}
	}
	res.Buckets = make([]int, examhall.ResultBuckets)
	copy(res.Buckets, cache.Buckets)
	if n := float64(res.Attempts); n > 0 {
		res.Mean = sum / n
		res.SD = math.Sqrt(math.Max(cache.SumSq/n-res.Mean*res.Mean, 0))
	}
	res.Median = cache.Median
	for _, q := range paper {
		res.Items = append(res.Items, cache.Items[q.ID].Stats(q.ID, q.Score))
	}
	res.Departments = cache.Depts
	return res, nil
}

// computeResultsCache computes what exam_results keeps for res's exam,
// whose exam_stats figures res holds: the median by the ranking index, the
// histogram with Σ score² in one scan of it, the item sums and the
// departments from one read of the marks.
func (db *DB) computeResultsCache(ctx context.Context, tx *sql.Tx, res *examhall.Results, c *resultsCache) error {
	if err := db.median(ctx, tx, res.ExamID, res.Attempts, c); err != nil {
		return err
	}
	if err := db.histogram(ctx, tx, res, c); err != nil {
		return err
	}
	return db.itemSums(ctx, tx, res.ExamID, c)
}

// median sets c.Median from the one or two middle scores of n.
func (db *DB) median(ctx context.Context, tx *sql.Tx, examID string, n int, c *resultsCache) error {
	offset, limit := n/2, 1
	if n%2 == 0 {
		offset, limit = n/2-1, 2
	}
	rows, err := tx.QueryContext(ctx, `SELECT a.score FROM attempts a WHERE `+qValid+`
		ORDER BY a.score DESC LIMIT $2 OFFSET $3`, examID, limit, offset)
	if err != nil {
		return err
	}
	defer rows.Close()
	var total float64
	k := 0
	for rows.Next() {
		var s float64
		if err := rows.Scan(&s); err != nil {
			return err
		}
		total += s
		k++
	}
	if k > 0 {
		c.Median = total / float64(k)
	}
	return rows.Err()
}

// histogram counts the scores in ResultBuckets equal ranges of the paper
// score (full marks, and anything above, in the last) and sums their
// squares, in one scan of the ranking index.
func (db *DB) histogram(ctx context.Context, tx *sql.Tx, res *examhall.Results, c *resultsCache) error {
	last := examhall.ResultBuckets - 1
	c.Buckets = make([]int, examhall.ResultBuckets)
	paper := res.PaperScore
	if paper <= 0 {
		paper = math.MaxFloat64 // everything in the first range
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT CASE WHEN a.score >= $2 THEN %d
			ELSE CAST(trunc(a.score * %d / $2) AS INTEGER) END AS b, COUNT(*), SUM(a.score * a.score)
		FROM attempts a WHERE `+qValid+` GROUP BY 1`, last, examhall.ResultBuckets), res.ExamID, paper)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b, n int
		var sq float64
		if err := rows.Scan(&b, &n, &sq); err != nil {
			return err
		}
		c.Buckets[min(max(b, 0), last)] += n
		c.SumSq += sq
	}
	return rows.Err()
}

// itemSums sums every question's marks, squares and products with the
// total, and groups the attempts by their candidate's department (as it is
// now), in one read. The marks are JSON text: SQLite's json_each over
// 100,000 attempts of 10 questions took 7.7–8.1 s and json_extract 3.5–6.2
// s on the loaded development machine, reading the column and decoding it
// here (decodeMarks) 0.15–0.5 s; so these sums are taken in Go.
func (db *DB) itemSums(ctx context.Context, tx *sql.Tx, examID string, c *resultsCache) error {
	paths := map[string]string{}
	drows, err := tx.QueryContext(ctx, `SELECT id, path FROM departments`)
	if err != nil {
		return err
	}
	for drows.Next() {
		var id, path string
		if err := drows.Scan(&id, &path); err != nil {
			drows.Close()
			return err
		}
		paths[id] = path
	}
	drows.Close()
	if err := drows.Err(); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT a.score, a.passed, a.marks, COALESCE(u.dept_id, '')
		FROM attempts a JOIN users u ON u.id = a.user_id WHERE `+qValid, examID)
	if err != nil {
		return err
	}
	defer rows.Close()
	c.Items = map[string]examhall.ItemSums{}
	type dept struct {
		n, pass int
		sum     float64
	}
	depts := map[string]*dept{}
	var y float64
	var passed bool
	var raw []byte
	var deptID string
	for rows.Next() {
		if err := rows.Scan(&y, &passed, &raw, &deptID); err != nil {
			return err
		}
		marks, err := decodeMarks(raw)
		if err != nil {
			return err
		}
		for id, x := range marks {
			s := c.Items[id]
			s.N++
			s.SumX += x
			s.SumXX += x * x
			s.SumXY += x * y
			s.SumY += y
			s.SumYY += y * y
			c.Items[id] = s
		}
		p := paths[deptID]
		d := depts[p]
		if d == nil {
			d = &dept{}
			depts[p] = d
		}
		d.n++
		d.sum += y
		if passed {
			d.pass++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(depts)) {
		d := depts[p]
		c.Depts = append(c.Depts, examhall.DeptStats{DeptPath: p, Attempts: d.n, Passed: d.pass, Mean: d.sum / float64(d.n)})
	}
	return nil
}

// saveResultsCache keeps c for the exam's current exam_stats row.
func (db *DB) saveResultsCache(ctx context.Context, examID string, res *examhall.Results, sum float64, c *resultsCache) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO exam_results (exam_id, attend_num, pass_num, score_sum, body, computed_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (exam_id) DO UPDATE SET attend_num = excluded.attend_num, pass_num = excluded.pass_num,
				score_sum = excluded.score_sum, body = excluded.body, computed_at = excluded.computed_at`,
			examID, res.Attempts, res.Passed, sum, string(body), ms(db.now()))
		return err
	})
}

// FindSignals returns up to limit of the user's cheat records in the exam
// (only the room's, with roomID set), oldest first.
func (db *DB) FindSignals(ctx context.Context, examID, roomID, userID string, limit int) ([]*examhall.CheatRecord, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+cheatColumns+` FROM cheat_records
		WHERE exam_id = $1 AND ($2 = '' OR room_id = $2) AND user_id = $3 ORDER BY id LIMIT $4`,
		examID, roomID, userID, engineLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("find signals: %w", err)
	}
	defer rows.Close()
	var out []*examhall.CheatRecord
	for rows.Next() {
		c, err := scanCheatRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("find signals: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find signals: %w", err)
	}
	return out, nil
}

// ForgetResults drops the exam's kept results aggregates, so the next
// FindResults recomputes them (benchmarks and operators after a bulk
// change of users' departments).
func (db *DB) ForgetResults(ctx context.Context, examID string) error {
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM exam_results WHERE exam_id = $1`, examID)
		return err
	})
}

// CountPending counts the exam's attempts awaiting marking and awaiting
// publication, each by its partial index (attempts_marking,
// attempts_marked): the statuses are literals so that SQLite can use them.
func (db *DB) CountPending(ctx context.Context, examID string) (marking, marked int, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM attempts WHERE exam_id = $1 AND status = 'marking'),
		(SELECT COUNT(*) FROM attempts WHERE exam_id = $1 AND status = 'marked')`, examID).Scan(&marking, &marked)
	if err != nil {
		return 0, 0, fmt.Errorf("count pending: %w", err)
	}
	return marking, marked, nil
}
