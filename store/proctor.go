package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"examhall"
)

var _ examhall.ProctorStore = (*DB)(nil)

// attemptOwnerLocked reads an attempt's candidate, exam and status for a
// write; on PostgreSQL it locks the row. ENOTFOUND, EFORBIDDEN when userID
// is not its candidate, ECONFLICT when it is not in progress.
func (db *DB) attemptOwnerLocked(ctx context.Context, tx *sql.Tx, attemptID, userID string) (examID string, err error) {
	var owner string
	var status examhall.AttemptStatus
	err = tx.QueryRowContext(ctx, `SELECT user_id, exam_id, status FROM attempts WHERE id = $1`+db.engineLock("FOR UPDATE"),
		attemptID).Scan(&owner, &examID, &status)
	switch {
	case err != nil:
		return "", notFound(err, "attempt %q not found", attemptID)
	case owner != userID:
		return "", examhall.Errorf(examhall.EFORBIDDEN, "attempt %q is another candidate's", attemptID)
	case status != examhall.AttemptInProgress:
		return "", examhall.Errorf(examhall.ECONFLICT, "attempt %q is no longer in progress", attemptID)
	}
	return examID, nil
}

// CreateSnapshot stores a snapshot's record for an attempt in progress of
// s.UserID, setting s.ID (when empty) and s.ExamID from the attempt. The
// attempt's row lock (PostgreSQL) or the single writer (SQLite) makes the
// interval check hold under concurrent uploads.
func (db *DB) CreateSnapshot(ctx context.Context, s *examhall.Snapshot) (err error) {
	defer annotate(&err, "CreateSnapshot")
	if s.ID == "" {
		s.ID = examhall.NewID(12)
	}
	s.TakenAt = msTime(s.TakenAt)
	return db.transact(ctx, func(tx *sql.Tx) error {
		examID, err := db.attemptOwnerLocked(ctx, tx, s.AttemptID, s.UserID)
		if err != nil {
			return err
		}
		var recent bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM snapshots WHERE attempt_id = $1 AND taken_at > $2)`,
			s.AttemptID, ms(s.TakenAt.Add(-examhall.MinSnapshotInterval))).Scan(&recent); err != nil {
			return err
		}
		if recent {
			return examhall.Errorf(examhall.ETOOMANY, "one snapshot every %s at most", examhall.MinSnapshotInterval)
		}
		s.ExamID = examID
		_, err = tx.ExecContext(ctx, `INSERT INTO snapshots (id, attempt_id, exam_id, room_id, user_id, taken_at, size, blob_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			s.ID, s.AttemptID, s.ExamID, s.RoomID, s.UserID, ms(s.TakenAt), s.Size, s.Key)
		return err
	})
}

// DeleteSnapshot removes a snapshot's record; ENOTFOUND.
func (db *DB) DeleteSnapshot(ctx context.Context, id string) (err error) {
	defer annotate(&err, "DeleteSnapshot")
	return db.transact(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM snapshots WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return examhall.Errorf(examhall.ENOTFOUND, "snapshot %q not found", id)
		}
		return nil
	})
}

// snapshotColumns are the columns scanSnapshot reads.
const snapshotColumns = `id, attempt_id, exam_id, room_id, user_id, taken_at, size, blob_key`

func scanSnapshot(row scannable) (*examhall.Snapshot, error) {
	var s examhall.Snapshot
	var taken int64
	if err := row.Scan(&s.ID, &s.AttemptID, &s.ExamID, &s.RoomID, &s.UserID, &taken, &s.Size, &s.Key); err != nil {
		return nil, err
	}
	s.TakenAt = fromMS(taken)
	return &s, nil
}

// FindSnapshotByID returns ENOTFOUND when there is none.
func (db *DB) FindSnapshotByID(ctx context.Context, id string) (_ *examhall.Snapshot, err error) {
	defer annotate(&err, "FindSnapshotByID")
	s, err := scanSnapshot(db.r.QueryRowContext(ctx, `SELECT `+snapshotColumns+` FROM snapshots WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "snapshot %q not found", id)
	}
	return s, nil
}

// RecordSignal stores a signal of an attempt in progress: its cheat record
// (with the attempt's ID, so the vendor's listCheatRecord pages it like any
// other) and, for a switch, the attempt's count. Like CreateCheatRecords it
// holds the cheat-record advisory lock on PostgreSQL, so record ids become
// visible in order; the lock is taken before the attempt's row, and nothing
// takes them the other way round.
func (db *DB) RecordSignal(ctx context.Context, s *examhall.SignalRecord) (switches int, err error) {
	defer annotate(&err, "RecordSignal")
	r := s.Record
	now := db.now()
	err = db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.lockPostgres(ctx, tx, cheatLockKey); err != nil {
			return err
		}
		examID, err := db.attemptOwnerLocked(ctx, tx, s.AttemptID, s.UserID)
		if err != nil {
			return err
		}
		if s.Switch {
			err = tx.QueryRowContext(ctx, `UPDATE attempts SET switches = switches + 1 WHERE id = $1 RETURNING switches`,
				s.AttemptID).Scan(&switches)
		} else {
			err = tx.QueryRowContext(ctx, `SELECT switches FROM attempts WHERE id = $1`, s.AttemptID).Scan(&switches)
		}
		if err != nil {
			return err
		}
		r.ExamID, r.UserID = examID, s.UserID
		if err := tx.QueryRowContext(ctx, `INSERT INTO cheat_records (exam_id, room_id, user_id, detect_type,
			is_main_monitor, detect_time, extra_info, created_at, updated_at, attempt_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING id`,
			r.ExamID, r.RoomID, r.UserID, r.DetectType, r.IsMainMonitor, r.DetectTime, r.ExtraInfo, ms(now),
			s.AttemptID).Scan(&r.ID); err != nil {
			return err
		}
		// The same cheat.recorded webhook as the vendor clients' records.
		return db.enqueue(ctx, tx, examhall.HookCheatRecorded, r.ExamID+"/"+r.UserID, cheatData{
			ID: r.ID, ExamID: r.ExamID, RoomID: r.RoomID, UserID: r.UserID, DetectType: r.DetectType,
			IsMainMonitor: r.IsMainMonitor, DetectTime: r.DetectTime})
	})
	if err != nil {
		return 0, err
	}
	r.CreatedAt, r.UpdatedAt = now, now
	return switches, nil
}

// ExtendAttempt moves an in-progress attempt's deadline by d, audited as
// the caller's "extend" of the attempt. The window's end does not bound it:
// an invigilator adding time means it.
func (db *DB) ExtendAttempt(ctx context.Context, attemptID string, d time.Duration) (_ *examhall.Attempt, err error) {
	defer annotate(&err, "ExtendAttempt")
	var a *examhall.Attempt
	err = db.transact(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE attempts SET deadline = deadline + $2 WHERE id = $1 AND status = 'in_progress'`,
			attemptID, d.Milliseconds())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		var r attemptRow
		if err := tx.QueryRowContext(ctx, `SELECT `+attemptColumns+` FROM attempts a WHERE a.id = $1`, attemptID).
			Scan(r.dest()...); err != nil {
			return notFound(err, "attempt %q not found", attemptID)
		}
		if n == 0 {
			return examhall.Errorf(examhall.ECONFLICT, "attempt %q is no longer in progress", attemptID)
		}
		if a, err = r.attempt(); err != nil {
			return err
		}
		return db.audit(ctx, tx, "attempt", a.ID, "extend",
			map[string]time.Time{"deadline": a.Deadline.Add(-d)}, map[string]time.Time{"deadline": a.Deadline})
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// CreateAction records a staff action, setting its ID and time; a message
// is audited too (the other actions are audited by the changes they make).
func (db *DB) CreateAction(ctx context.Context, a *examhall.Action) (err error) {
	defer annotate(&err, "CreateAction")
	if a.ID == "" {
		a.ID = examhall.NewID(12)
	}
	now := db.now()
	err = db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO proctor_actions (id, type, exam_id, room_id, attempt_id, user_id,
			actor_id, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			a.ID, string(a.Type), a.ExamID, a.RoomID, a.AttemptID, a.UserID, a.ActorID, a.Detail, ms(now))
		if err != nil || a.Type != examhall.ActionMessage {
			return err
		}
		return db.audit(ctx, tx, "room", a.RoomID, "message", nil, map[string]string{"userId": a.UserID, "text": a.Detail})
	})
	if err != nil {
		return err
	}
	a.CreatedAt = now
	return nil
}

// FindTimeline returns the attempt's signals (at their detect time),
// snapshots and staff actions, oldest first; ENOTFOUND for an unknown
// attempt. Each part walks its own (attempt_id, …) index.
func (db *DB) FindTimeline(ctx context.Context, attemptID string) (_ []*examhall.TimelineEntry, err error) {
	defer annotate(&err, "FindTimeline")
	var out []*examhall.TimelineEntry
	err = db.engineSnapshot(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM attempts WHERE id = $1)`, attemptID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return examhall.Errorf(examhall.ENOTFOUND, "attempt %q not found", attemptID)
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+cheatColumns+` FROM cheat_records
			WHERE attempt_id = $1 AND attempt_id <> '' ORDER BY id`, attemptID)
		if err != nil {
			return err
		}
		signals, err := scanAll(rows, scanCheatRecord)
		if err != nil {
			return err
		}
		for _, r := range signals {
			out = append(out, &examhall.TimelineEntry{At: time.UnixMilli(r.DetectTime).UTC(), Kind: "signal", Signal: r})
		}
		rows, err = tx.QueryContext(ctx, `SELECT `+snapshotColumns+` FROM snapshots WHERE attempt_id = $1 ORDER BY taken_at, id`, attemptID)
		if err != nil {
			return err
		}
		snaps, err := scanAll(rows, scanSnapshot)
		if err != nil {
			return err
		}
		for _, s := range snaps {
			out = append(out, &examhall.TimelineEntry{At: s.TakenAt, Kind: "snapshot", Snapshot: s})
		}
		rows, err = tx.QueryContext(ctx, `SELECT `+actionColumns+` FROM proctor_actions
			WHERE attempt_id = $1 AND attempt_id <> '' ORDER BY created_at, id`, attemptID)
		if err != nil {
			return err
		}
		actions, err := scanAll(rows, scanAction)
		if err != nil {
			return err
		}
		for _, a := range actions {
			out = append(out, &examhall.TimelineEntry{At: a.CreatedAt, Kind: "action", Action: a})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *examhall.TimelineEntry) int { return a.At.Compare(b.At) })
	return out, nil
}

// actionColumns are the columns scanAction reads.
const actionColumns = `id, type, exam_id, room_id, attempt_id, user_id, actor_id, detail, created_at`

func scanAction(row scannable) (*examhall.Action, error) {
	var a examhall.Action
	var created int64
	if err := row.Scan(&a.ID, &a.Type, &a.ExamID, &a.RoomID, &a.AttemptID, &a.UserID, &a.ActorID, &a.Detail, &created); err != nil {
		return nil, err
	}
	a.CreatedAt = fromMS(created)
	return &a, nil
}

// qLiveMembers reads a room's examinees with their latest attempt of the
// room's exam in one statement. The derived table m picks each examinee's
// latest attempt id first (one probe of the attempts' (exam, user, seq) or
// (user, exam, seq) key), so the attempts join is a primary-key lookup; the
// correlated subqueries then walk one attempt's entries of
// cheat_records_attempt and snapshots_attempt (snapshots of an attempt are
// at least MinSnapshotInterval apart, so taken_at alone orders them and the
// index gives the latest without a sort). A room of hundreds costs a
// few index probes per candidate and one round trip. %s is the dialect's
// count of an attempt's answered questions.
const qLiveMembers = `SELECT m.user_id, u.account, u.name, m.user_status,
	COALESCE(a.id, ''), COALESCE(a.status, ''), COALESCE(a.deadline, 0), COALESCE(a.switches, 0),
	%s,
	m.total,
	(SELECT count(*) FROM cheat_records c WHERE c.attempt_id = a.id AND c.attempt_id <> ''),
	COALESCE((SELECT s.id FROM snapshots s WHERE s.attempt_id = a.id ORDER BY s.taken_at DESC LIMIT 1), ''),
	COALESCE((SELECT c.detect_type FROM cheat_records c WHERE c.attempt_id = a.id AND c.attempt_id <> ''
		ORDER BY c.id DESC LIMIT 1), ''),
	COALESCE((SELECT c.detect_time FROM cheat_records c WHERE c.attempt_id = a.id AND c.attempt_id <> ''
		ORDER BY c.id DESC LIMIT 1), 0)
FROM (SELECT rm.user_id, rm.user_status,
		(SELECT a2.id FROM attempts a2 WHERE a2.exam_id = r.exam_id AND a2.user_id = rm.user_id
			ORDER BY a2.seq DESC LIMIT 1) AS attempt_id,
		(SELECT count(*) FROM questions q WHERE q.exam_id = r.exam_id) AS total
	FROM rooms r JOIN room_members rm ON rm.room_id = r.id AND rm.role = 'examinee'
	WHERE r.id = $1) m
JOIN users u ON u.id = m.user_id
LEFT JOIN attempts a ON a.id = m.attempt_id
ORDER BY u.account`

// FindLiveMembers returns the live state of the room's examinees, by
// account; ENOTFOUND for an unknown room.
func (db *DB) FindLiveMembers(ctx context.Context, roomID string) (_ []*examhall.LiveMember, err error) {
	defer annotate(&err, "FindLiveMembers")
	answered := `(SELECT count(*) FROM json_each(a.answers))`
	if db.dialect == Postgres {
		answered = `(SELECT count(*) FROM json_object_keys(a.answers::json))`
	}
	var out []*examhall.LiveMember
	err = db.engineSnapshot(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(qLiveMembers, answered), roomID)
		if err != nil {
			return err
		}
		out, err = scanAll(rows, func(row scannable) (*examhall.LiveMember, error) {
			var m examhall.LiveMember
			var deadline, signalAt int64
			var signal string
			if err := row.Scan(&m.UserID, &m.Account, &m.Name, &m.UserStatus, &m.AttemptID, &m.Status, &deadline,
				&m.Switches, &m.Answered, &m.Total, &m.Cheats, &m.SnapshotID, &signal, &signalAt); err != nil {
				return nil, err
			}
			if m.Status == examhall.AttemptInProgress {
				m.Deadline = fromMS(deadline)
			}
			if signal != "" {
				m.LastSignal = &examhall.LastSignal{Type: examhall.SignalType(signal), At: time.UnixMilli(signalAt).UTC()}
			}
			return &m, nil
		})
		if err != nil || len(out) > 0 {
			return err
		}
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM rooms WHERE id = $1)`, roomID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return examhall.Errorf(examhall.ENOTFOUND, "room %q not found", roomID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
