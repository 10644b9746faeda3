package examhall

import "context"

// Policy holds the authorization rules every surface shares. Each method reads
// the caller from ctx and returns nil, EUNAUTHORIZED (no caller), EFORBIDDEN
// or ENOTFOUND.
//
// The rules: an admin may do everything. An invigilator manages the rooms they
// created or are on the roster of as invigilator, and the exams of those rooms.
// An examinee reads only the rooms they are on the roster of and those rooms'
// exams, and acts only as themselves. A join-link token is bound to one room.
type Policy struct {
	Rooms RoomService
}

func caller(ctx context.Context) (*Caller, error) {
	c := CallerFromContext(ctx)
	if c == nil || c.User == nil {
		return nil, Errorf(EUNAUTHORIZED, "authentication required")
	}
	return c, nil
}

// Admin allows only administrators.
func (p Policy) Admin(ctx context.Context) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	if c.Role != RoleAdmin {
		return Errorf(EFORBIDDEN, "only administrators may do this")
	}
	return nil
}

// Staff allows administrators and invigilators.
func (p Policy) Staff(ctx context.Context) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	if c.Role != RoleAdmin && c.Role != RoleInvigilator {
		return Errorf(EFORBIDDEN, "only invigilators and administrators may do this")
	}
	return nil
}

// PCPrefix marks the main-camera (PC) identity of a user in IM: the AUI
// clients' PC page and invigilator app use "pc_<user id>".
const PCPrefix = "pc_"

// Self allows the user userID themselves, and administrators. userID may be
// the caller's PC identity (PCPrefix + their ID).
func (p Policy) Self(ctx context.Context, userID string) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	if c.Role != RoleAdmin && c.ID != userID && PCPrefix+c.ID != userID {
		return Errorf(EFORBIDDEN, "you may act only for yourself")
	}
	return nil
}

// Invigilator reports whether userID invigilates room r: its creator or an
// invigilator on its roster. Whoever may read a room may watch and hear its
// invigilators (pull URLs only): the examinee pages fetch them at start-up.
func (p Policy) Invigilator(ctx context.Context, r *Room, userID string) (bool, error) {
	if r.CreatedBy == userID {
		return true, nil
	}
	m, err := p.Rooms.FindMember(ctx, r.ID, userID)
	if ErrorCode(err) == ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return m.Role == RoleInvigilator, nil
}

// Room returns the room when the caller may read it, or with manage set, may
// manage it (change its state, see every examinee's streams and records).
func (p Policy) Room(ctx context.Context, roomID string, manage bool) (*Room, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if c.RoomID != "" && c.RoomID != roomID {
		return nil, Errorf(EFORBIDDEN, "this token is for another room")
	}
	r, err := p.Rooms.FindRoomByID(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if c.Role == RoleAdmin || (c.Role == RoleInvigilator && r.CreatedBy == c.ID) {
		return r, nil
	}
	m, err := p.Rooms.FindMember(ctx, roomID, c.ID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(EFORBIDDEN, "you are not on this room's roster")
	} else if err != nil {
		return nil, err
	}
	if manage && (m.Role != RoleInvigilator || c.Role != RoleInvigilator) {
		return nil, Errorf(EFORBIDDEN, "only this room's invigilators may do this")
	}
	return r, nil
}

// Exam allows the caller to read (or with manage set, manage) the exam: an
// admin always; others through a room of the exam they may read or manage.
func (p Policy) Exam(ctx context.Context, examID string, manage bool) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	if c.Role == RoleAdmin {
		return nil
	}
	if manage && c.Role != RoleInvigilator {
		return Errorf(EFORBIDDEN, "only invigilators and administrators may do this")
	}
	if c.RoomID != "" {
		r, err := p.Room(ctx, c.RoomID, manage)
		if err != nil {
			return err
		}
		if r.ExamID != examID {
			return Errorf(EFORBIDDEN, "this token is for another exam")
		}
		return nil
	}
	ok, err := p.Rooms.InExam(ctx, examID, c.ID)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(EFORBIDDEN, "you have no room in this exam")
	}
	return nil
}
