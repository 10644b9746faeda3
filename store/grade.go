package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"examhall"
)

// statsDelta accumulates published attempts for exam_stats.
type statsDelta struct {
	n, pass  int
	sum      float64
	max, min float64
}

func (d *statsDelta) add(score float64, passed bool) {
	if d.n == 0 || score > d.max {
		d.max = score
	}
	if d.n == 0 || score < d.min {
		d.min = score
	}
	d.n++
	d.sum += score
	if passed {
		d.pass++
	}
}

// qAddStats adds a statsDelta to an exam's running totals. In SET every
// exam_stats.* reference reads the row before the update (both dialects),
// so attend_num = 0 recognises an empty row in the max and min rules.
const qAddStats = `INSERT INTO exam_stats (exam_id, attend_num, pass_num, score_sum, max_score, min_score)
	VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (exam_id) DO UPDATE SET
		attend_num = exam_stats.attend_num + excluded.attend_num,
		pass_num = exam_stats.pass_num + excluded.pass_num,
		score_sum = exam_stats.score_sum + excluded.score_sum,
		max_score = CASE WHEN exam_stats.attend_num = 0 OR excluded.max_score > exam_stats.max_score
			THEN excluded.max_score ELSE exam_stats.max_score END,
		min_score = CASE WHEN exam_stats.attend_num = 0 OR excluded.min_score < exam_stats.min_score
			THEN excluded.min_score ELSE exam_stats.min_score END`

// addStats adds d to the exam's statistics. Callers run it as the last
// statement of their transaction: on PostgreSQL the exam's stats row is one
// hot row every publishing transaction of the exam locks until it commits.
func (db *DB) addStats(ctx context.Context, tx *sql.Tx, examID string, d statsDelta) error {
	if d.n == 0 {
		return nil
	}
	_, err := db.hotExec(ctx, tx, qAddStats, examID, d.n, d.pass, d.sum, d.max, d.min)
	return err
}

// FindExamStats returns the statistics of the given exams, keyed by exam ID,
// from the running totals kept in exam_stats: zero stats for exams without
// published attempts (and for unknown IDs).
func (db *DB) FindExamStats(ctx context.Context, examIDs []string) (map[string]examhall.ExamStats, error) {
	out := make(map[string]examhall.ExamStats, len(examIDs))
	ids := uniqueIDs(examIDs)
	for _, id := range ids {
		out[id] = examhall.ExamStats{}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT exam_id, attend_num, pass_num, score_sum, max_score, min_score
		FROM exam_stats WHERE exam_id IN (`+db.engineList(1)+`)`, db.engineListArg(ids))
	if err != nil {
		return nil, fmt.Errorf("find exam stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var s examhall.ExamStats
		var sum float64
		if err := rows.Scan(&id, &s.AttendNum, &s.PassNum, &sum, &s.MaxScore, &s.MinScore); err != nil {
			return nil, fmt.Errorf("find exam stats: %w", err)
		}
		if s.AttendNum > 0 {
			s.AvgScore = examhall.Round2(sum / float64(s.AttendNum))
		} else {
			s.MaxScore, s.MinScore = 0, 0
		}
		out[id] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find exam stats: %w", err)
	}
	return out, nil
}

// gradeColumns are attemptColumns for grade listings, which leave answers
// and marks out: a page of 1,000 grades need not decode 1,000 answer sheets.
const gradeColumns = `a.id, a.exam_id, a.user_id, a.status, a.begin_time, a.deadline, a.end_time, a.used_seconds,
	a.score, a.passed, a.integral, a.seed, '', '', a.saved_at`

// FindGrades returns the exam's published attempts ranked best first (score
// descending, used time ascending, then ID), with Rank and the user's
// account, name, department name and path; Answers and Marks are left out.
// The total is the exam's published count. ENOTFOUND for an unknown exam.
//
// Cost does not grow with the page number more than it must: the page is
// found by an index-only scan of attempts_ranked (from the far end for pages
// in the back half, so the last page is as cheap as the first), only the
// page's rows are joined, the total comes from exam_stats, and the first
// row's rank needs only a count of the rows tied with it.
func (db *DB) FindGrades(ctx context.Context, examID string, offset, limit int) ([]*examhall.Attempt, int, error) {
	offset = max(offset, 0)
	var page []*examhall.Attempt
	var total int
	err := db.engineSnapshot(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(s.attend_num, 0) FROM exams e
			LEFT JOIN exam_stats s ON s.exam_id = e.id WHERE e.id = $1`, examID).Scan(&total)
		if err != nil {
			return notFound(err, "exam %q not found", examID)
		}
		if offset >= total {
			return nil
		}
		n := total - offset
		if limit > 0 && limit < n {
			n = limit
		}
		// The page in the back half is read backwards: its offset from the
		// end is then the shorter scan.
		order, outer, skip := `score DESC, used_seconds, id`, `p.score DESC, p.used_seconds, p.id`, offset
		reverse := offset+n/2 > total/2
		if reverse {
			order, outer, skip = `score, used_seconds DESC, id DESC`, `p.score, p.used_seconds DESC, p.id DESC`, total-offset-n
		}
		// MATERIALIZED keeps the LIMIT/OFFSET inside the CTE, over the
		// covering partial index, before any join.
		rows, err := tx.QueryContext(ctx, `WITH page AS MATERIALIZED (
				SELECT id, score, used_seconds FROM attempts
				WHERE exam_id = $1 AND status = 'published'
				ORDER BY `+order+` LIMIT $2 OFFSET $3)
			SELECT `+gradeColumns+`, u.account, u.name, COALESCE(d.name, ''), COALESCE(d.path, '')
			FROM page p
			JOIN attempts a ON a.id = p.id
			JOIN users u ON u.id = a.user_id
			LEFT JOIN departments d ON d.id = u.dept_id
			ORDER BY `+outer, examID, n, skip)
		if err != nil {
			return err
		}
		defer rows.Close()
		page = make([]*examhall.Attempt, 0, n)
		for rows.Next() {
			var r attemptRow
			dest := append(r.dest(), &r.a.UserAccount, &r.a.UserName, &r.a.DeptName, &r.a.DeptPath)
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			a, err := r.attempt()
			if err != nil {
				return err
			}
			page = append(page, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		if reverse {
			slices.Reverse(page)
		}
		// Rows strictly ahead of the first = its offset minus the rows before
		// it that tie with it (same score and time, smaller ID): a count
		// within one tie group instead of over everything ahead.
		f := page[0]
		var tiedBefore int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM attempts
			WHERE exam_id = $1 AND status = 'published' AND score = $2 AND used_seconds = $3 AND id < $4`,
			examID, f.Score, f.UsedSeconds, f.ID).Scan(&tiedBefore); err != nil {
			return err
		}
		examhall.Ranks(page, offset, offset-tiedBefore+1)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find grades: %w", err)
	}
	return page, total, nil
}

// FindRank returns a published attempt's rank among its exam's published
// attempts, as FindGrades ranks them (competition ranking by score, then
// used time); 0 for an attempt not yet published. ENOTFOUND for none.
func (db *DB) FindRank(ctx context.Context, attemptID string) (int, error) {
	var rank int
	var published bool
	err := db.r.QueryRowContext(ctx, `SELECT a.status = 'published', 1 + (SELECT COUNT(*) FROM attempts o
			WHERE o.exam_id = a.exam_id AND o.status = 'published'
			AND (o.score > a.score OR (o.score = a.score AND o.used_seconds < a.used_seconds)))
		FROM attempts a WHERE a.id = $1`, attemptID).Scan(&published, &rank)
	if err != nil {
		return 0, fmt.Errorf("find rank: %w", notFound(err, "attempt %q not found", attemptID))
	}
	if !published {
		return 0, nil
	}
	return rank, nil
}
