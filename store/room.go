package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"examhall"
)

var _ examhall.RoomService = (*DB)(nil)

// roomColumns are unqualified so that UPDATE … RETURNING can share them;
// room_members, joined in FindRooms' subquery, has none of these names.
const roomColumns = `id, name, exam_id, status, audio_status, im_group_id, created_by, created_at, updated_at`

// scanRoom reads one row of roomColumns.
func scanRoom(row scannable) (*examhall.Room, error) {
	var r examhall.Room
	var created, updated int64
	if err := row.Scan(&r.ID, &r.Name, &r.ExamID, &r.Status, &r.AudioStatus, &r.IMGroupID, &r.CreatedBy,
		&created, &updated); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return &r, nil
}

// FindRoomByID returns the room; ENOTFOUND when there is none.
func (db *DB) FindRoomByID(ctx context.Context, id string) (_ *examhall.Room, err error) {
	defer annotate(&err, "FindRoomByID")
	r, err := scanRoom(db.r.QueryRowContext(ctx, "SELECT "+roomColumns+" FROM rooms WHERE id = $1", id))
	if err != nil {
		return nil, notFound(err, "room %q not found", id)
	}
	return r, nil
}

// FindRooms returns the matching rooms, newest first, and their total
// ignoring Offset and Limit.
func (db *DB) FindRooms(ctx context.Context, f examhall.RoomFilter) (_ []*examhall.Room, _ int, err error) {
	defer annotate(&err, "FindRooms")
	var w sqlWhere
	if f.ExamID != "" {
		w.and("r.exam_id = " + w.arg(f.ExamID))
	}
	if f.UserID != "" {
		p := w.arg(f.UserID)
		w.and("(r.created_by = " + p + " OR EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = " + p + "))")
	}
	if f.Status != nil {
		w.and("r.status = " + w.arg(*f.Status))
	}
	var total int
	if err := db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM rooms r"+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	query := "SELECT " + roomColumns + " FROM rooms r" + w.String() + " ORDER BY r.created_at DESC, r.id DESC" +
		w.page(f.Offset, f.Limit) // page adds args
	rows, err := db.r.QueryContext(ctx, query, w.args...)
	if err != nil {
		return nil, 0, err
	}
	rooms, err := scanAll(rows, scanRoom)
	if err != nil {
		return nil, 0, err
	}
	return rooms, total, nil
}

// CreateRoom stores r, setting r.ID (a UUID, when empty) and the times.
// EINVALID on an unknown exam or a bad field; ECONFLICT on a taken ID.
func (db *DB) CreateRoom(ctx context.Context, r *examhall.Room) (err error) {
	defer annotate(&err, "CreateRoom")
	if err := checkNewRoom(r); err != nil {
		return err
	}
	now := db.now()
	return db.transact(ctx, func(tx *sql.Tx) error {
		if err := insertRoom(ctx, tx, r, now); err != nil {
			return err
		}
		return db.audit(ctx, tx, "room", r.ID, "create", nil, r)
	})
}

// CreateRoomWithExam stores e and r, a room of it, in one transaction, so
// that a room created without an exam never leaves its own exam behind
// alone. It sets both IDs (when empty), r.ExamID and the times; errors as
// CreateExam's and CreateRoom's.
func (db *DB) CreateRoomWithExam(ctx context.Context, r *examhall.Room, e *examhall.Exam) (err error) {
	defer annotate(&err, "CreateRoomWithExam")
	if err := checkNewRoom(r); err != nil {
		return err
	}
	ne, err := newExam(e)
	if err != nil {
		return err
	}
	now := db.now()
	err = db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.insertExam(ctx, tx, ne, now); err != nil {
			return err
		}
		r.ExamID = ne.ID
		if err := insertRoom(ctx, tx, r, now); err != nil {
			return err
		}
		// One write, one row: the room, naming the exam made for it.
		return db.audit(ctx, tx, "room", r.ID, "create", nil, map[string]any{"room": r, "exam": ne})
	})
	if err != nil {
		return err
	}
	*e = *ne
	return nil
}

// checkNewRoom validates a room to create and gives it an ID when it has
// none.
func checkNewRoom(r *examhall.Room) error {
	if err := examhall.ValidateRoomName(r.Name); err != nil {
		return err
	}
	if err := validateRoomStates(&r.Status, &r.AudioStatus); err != nil {
		return err
	}
	if r.ID == "" {
		r.ID = uuid.NewString()
	}
	return nil
}

// insertRoom inserts r and sets its times.
func insertRoom(ctx context.Context, tx *sql.Tx, r *examhall.Room, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO rooms (`+roomColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
		r.ID, r.Name, r.ExamID, r.Status, r.AudioStatus, r.IMGroupID, r.CreatedBy, ms(now))
	switch {
	case isForeignKey(err):
		return fmt.Errorf("%w: %w", examhall.Errorf(examhall.EINVALID, "exam %q not found", r.ExamID), err)
	case isUnique(err):
		return fmt.Errorf("%w: %w", examhall.Errorf(examhall.ECONFLICT, "room %q already exists", r.ID), err)
	case err != nil:
		return err
	}
	r.CreatedAt, r.UpdatedAt = now, now
	return nil
}

// validateRoomStates checks a room's status and audio status (nil: unset).
func validateRoomStates(status, audioStatus *int) error {
	if status != nil && *status != examhall.RoomRunning && *status != examhall.RoomEnded {
		return examhall.Errorf(examhall.EINVALID, "room status must be %d or %d", examhall.RoomRunning, examhall.RoomEnded)
	}
	if audioStatus != nil && *audioStatus != examhall.AudioSilent && *audioStatus != examhall.AudioBroadcasting {
		return examhall.Errorf(examhall.EINVALID, "audio status must be %d or %d", examhall.AudioSilent, examhall.AudioBroadcasting)
	}
	return nil
}

// UpdateRoom applies upd and returns the updated room; ENOTFOUND, EINVALID
// on a bad field. It is one statement: invigilators toggle the audio status
// during exams.
func (db *DB) UpdateRoom(ctx context.Context, id string, upd examhall.RoomUpdate) (_ *examhall.Room, err error) {
	defer annotate(&err, "UpdateRoom")
	if upd.Name != nil {
		if err := examhall.ValidateRoomName(*upd.Name); err != nil {
			return nil, err
		}
	}
	if err := validateRoomStates(upd.Status, upd.AudioStatus); err != nil {
		return nil, err
	}
	var r *examhall.Room
	err = db.transact(ctx, func(tx *sql.Tx) error {
		before, err := scanRoom(tx.QueryRowContext(ctx, `SELECT `+roomColumns+` FROM rooms WHERE id = $1`+
			db.engineLock("FOR UPDATE"), id))
		if err != nil {
			return notFound(err, "room %q not found", id)
		}
		r, err = scanRoom(tx.QueryRowContext(ctx, `UPDATE rooms SET name = COALESCE($2, name),
			status = COALESCE($3, status), audio_status = COALESCE($4, audio_status),
			im_group_id = COALESCE($5, im_group_id), updated_at = $6
			WHERE id = $1 RETURNING `+roomColumns,
			id, optional(upd.Name), optional(upd.Status), optional(upd.AudioStatus), optional(upd.IMGroupID), ms(db.now())))
		if err != nil {
			return notFound(err, "room %q not found", id)
		}
		action := "update"
		if r.Status == examhall.RoomEnded && before.Status != examhall.RoomEnded {
			action = "end"
			if err := db.enqueue(ctx, tx, examhall.HookRoomEnded, r.ID, map[string]any{"roomId": r.ID,
				"examId": r.ExamID, "endTime": hookTime(r.UpdatedAt)}); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "room", id, action, before, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteRoom removes a room and (by cascade) its roster; ENOTFOUND.
func (db *DB) DeleteRoom(ctx context.Context, id string) (err error) {
	defer annotate(&err, "DeleteRoom")
	return db.transact(ctx, func(tx *sql.Tx) error {
		before, err := scanRoom(tx.QueryRowContext(ctx, `SELECT `+roomColumns+` FROM rooms WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "room %q not found", id)
		}
		if err := execOne(ctx, tx, examhall.Errorf(examhall.ENOTFOUND, "room %q not found", id),
			`DELETE FROM rooms WHERE id = $1`, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, "room", id, "delete", before, nil)
	})
}

// execOne runs a statement that must touch a row, else returns missing.
func execOne(ctx context.Context, tx *sql.Tx, missing error, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return missing
	}
	return nil
}

// AddMembers puts users on the roster, all or none; a user already there
// keeps their entry (and online status) with the new role, and of a user
// listed twice the last entry counts. ENOTFOUND on an unknown room, EINVALID
// on an unknown user or a role other than invigilator or examinee.
func (db *DB) AddMembers(ctx context.Context, roomID string, members []examhall.Member) (err error) {
	defer annotate(&err, "AddMembers")
	// PostgreSQL refuses an upsert that touches a row twice, so dedupe first.
	roles := make(map[string]examhall.Role, len(members))
	var ids []string
	for _, m := range members {
		if m.Role != examhall.RoleInvigilator && m.Role != examhall.RoleExaminee {
			return examhall.Errorf(examhall.EINVALID, "member %q: role must be invigilator or examinee", m.UserID)
		}
		if _, ok := roles[m.UserID]; !ok {
			ids = append(ids, m.UserID)
		}
		roles[m.UserID] = m.Role
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		if err := requireRoom(ctx, tx, roomID); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		found, err := db.existingValues(ctx, tx, "users", "id", ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !found[id] {
				return examhall.Errorf(examhall.EINVALID, "user %q not found", id)
			}
		}
		const cols = 3
		if err := paramChunks(len(ids), cols, func(lo, hi int) error {
			args := make([]any, 0, (hi-lo)*cols)
			for _, id := range ids[lo:hi] {
				args = append(args, roomID, id, string(roles[id]))
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO room_members (room_id, user_id, role) VALUES `+
				db.valuesList(hi-lo, cols)+` ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role`, args...)
			return err
		}); err != nil {
			return err
		}
		return db.audit(ctx, tx, "roster", roomID, "add", nil, map[string]any{"members": roles})
	})
}

// requireRoom returns ENOTFOUND unless the room exists.
func requireRoom(ctx context.Context, q querier, id string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM rooms WHERE id = $1`, id).Scan(&one)
	return notFound(err, "room %q not found", id)
}

// RemoveMember takes a user off the roster; ENOTFOUND when not on it.
func (db *DB) RemoveMember(ctx context.Context, roomID, userID string) (err error) {
	defer annotate(&err, "RemoveMember")
	return db.transact(ctx, func(tx *sql.Tx) error {
		var role string
		err := tx.QueryRowContext(ctx, `SELECT role FROM room_members WHERE room_id = $1 AND user_id = $2`,
			roomID, userID).Scan(&role)
		if errNoRows(err) {
			return notMember(roomID, userID)
		} else if err != nil {
			return err
		}
		if err := execOne(ctx, tx, notMember(roomID, userID),
			`DELETE FROM room_members WHERE room_id = $1 AND user_id = $2`, roomID, userID); err != nil {
			return err
		}
		return db.audit(ctx, tx, "roster", roomID, "remove", map[string]string{"userId": userID, "role": role}, nil)
	})
}

func notMember(roomID, userID string) error {
	return examhall.Errorf(examhall.ENOTFOUND, "user %q is not on the roster of room %q", userID, roomID)
}

// memberSelect reads roster entries with their user's name and account.
const memberSelect = `SELECT m.room_id, m.user_id, m.role, m.user_status, u.name, u.account
FROM room_members m JOIN users u ON u.id = m.user_id`

const qMember = memberSelect + ` WHERE m.room_id = $1 AND m.user_id = $2`

// scanMember reads one row of memberSelect.
func scanMember(row scannable) (*examhall.Member, error) {
	var m examhall.Member
	if err := row.Scan(&m.RoomID, &m.UserID, &m.Role, &m.UserStatus, &m.Name, &m.Account); err != nil {
		return nil, err
	}
	return &m, nil
}

// FindMembers returns the roster, or with role set only that role, ordered
// by account. It is one query (the roster's primary key, then each user's):
// every invigilator page polls it. An unknown room has an empty roster.
func (db *DB) FindMembers(ctx context.Context, roomID string, role *examhall.Role) (_ []*examhall.Member, err error) {
	defer annotate(&err, "FindMembers")
	r := ""
	if role != nil {
		r = string(*role)
	}
	rows, err := db.r.QueryContext(ctx, memberSelect+` WHERE m.room_id = $1 AND ($2 = '' OR m.role = $2)
		ORDER BY u.account`, roomID, r)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanMember)
}

// FindMember returns a user's roster entry; ENOTFOUND when not on it. Every
// authorization of a room's non-staff caller runs it.
func (db *DB) FindMember(ctx context.Context, roomID, userID string) (_ *examhall.Member, err error) {
	defer annotate(&err, "FindMember")
	m, err := scanMember(db.hotReadRow(ctx, qMember, roomID, userID))
	if errNoRows(err) {
		return nil, notMember(roomID, userID)
	} else if err != nil {
		return nil, err
	}
	return m, nil
}

// SetUserStatus sets a member's online status; ENOTFOUND when not on the
// roster, EINVALID on an unknown status.
func (db *DB) SetUserStatus(ctx context.Context, roomID, userID string, status int) (err error) {
	defer annotate(&err, "SetUserStatus")
	if status != examhall.UserOffline && status != examhall.UserPublishing {
		return examhall.Errorf(examhall.EINVALID, "user status must be %d or %d", examhall.UserOffline, examhall.UserPublishing)
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, notMember(roomID, userID),
			`UPDATE room_members SET user_status = $3 WHERE room_id = $1 AND user_id = $2`, roomID, userID, status)
	})
}

// InExam reports whether the user created or is on the roster of any room of
// the exam.
func (db *DB) InExam(ctx context.Context, examID, userID string) (_ bool, err error) {
	defer annotate(&err, "InExam")
	var in bool
	err = db.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM rooms WHERE exam_id = $1 AND created_by = $2)
		OR EXISTS (SELECT 1 FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE r.exam_id = $1 AND m.user_id = $2)`,
		examID, userID).Scan(&in)
	return in, err
}
