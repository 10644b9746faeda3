package examhall_test

import (
	"context"
	"testing"

	"examhall"
	"examhall/mock"
)

// TestPolicy is the authorization matrix of the shared rules.
func TestPolicy(t *testing.T) {
	room := &examhall.Room{ID: "r1", ExamID: "e1", CreatedBy: "creator"}
	members := map[string]examhall.Role{"inv": examhall.RoleInvigilator, "stu": examhall.RoleExaminee}
	rooms := &mock.RoomService{
		FindRoomByIDFn: func(ctx context.Context, id string) (*examhall.Room, error) {
			if id != room.ID {
				return nil, examhall.Errorf(examhall.ENOTFOUND, "room %q not found", id)
			}
			return room, nil
		},
		FindMemberFn: func(ctx context.Context, roomID, userID string) (*examhall.Member, error) {
			if r, ok := members[userID]; ok && roomID == room.ID {
				return &examhall.Member{RoomID: roomID, UserID: userID, Role: r}, nil
			}
			return nil, examhall.Errorf(examhall.ENOTFOUND, "not a member")
		},
		InExamFn: func(ctx context.Context, examID, userID string) (bool, error) {
			_, ok := members[userID]
			return examID == "e1" && (ok || userID == "creator"), nil
		},
	}
	p := examhall.Policy{Rooms: rooms}
	as := func(id string, role examhall.Role, boundRoom string) context.Context {
		return examhall.NewContextWithCaller(context.Background(), &examhall.Caller{User: &examhall.User{ID: id, Role: role}, RoomID: boundRoom})
	}
	callers := map[string]context.Context{
		"none":        context.Background(),
		"admin":       as("admin", examhall.RoleAdmin, ""),
		"creator":     as("creator", examhall.RoleInvigilator, ""),
		"invigilator": as("inv", examhall.RoleInvigilator, ""),
		"other inv":   as("x", examhall.RoleInvigilator, ""),
		"examinee":    as("stu", examhall.RoleExaminee, ""),
		"examinee r1": as("stu", examhall.RoleExaminee, "r1"),
		"examinee r2": as("stu", examhall.RoleExaminee, "r2"),
		"stranger":    as("y", examhall.RoleExaminee, ""),
	}
	checks := map[string]func(ctx context.Context) error{
		"read room":   func(ctx context.Context) error { _, err := p.Room(ctx, "r1", false); return err },
		"manage room": func(ctx context.Context) error { _, err := p.Room(ctx, "r1", true); return err },
		"read exam":   func(ctx context.Context) error { return p.Exam(ctx, "e1", false) },
		"manage exam": func(ctx context.Context) error { return p.Exam(ctx, "e1", true) },
		"self stu":    func(ctx context.Context) error { return p.Self(ctx, "stu") },
		// The PC page's IM identity (issue 14 A2).
		"self pc_stu": func(ctx context.Context) error { return p.Self(ctx, "pc_stu") },
		"staff":       p.Staff,
		"admin":       p.Admin,
	}
	const ok, u, f = "", examhall.EUNAUTHORIZED, examhall.EFORBIDDEN
	want := map[string]map[string]string{
		"none":        {"read room": u, "manage room": u, "read exam": u, "manage exam": u, "self stu": u, "self pc_stu": u, "staff": u, "admin": u},
		"admin":       {"read room": ok, "manage room": ok, "read exam": ok, "manage exam": ok, "self stu": ok, "self pc_stu": ok, "staff": ok, "admin": ok},
		"creator":     {"read room": ok, "manage room": ok, "read exam": ok, "manage exam": ok, "self stu": f, "self pc_stu": f, "staff": ok, "admin": f},
		"invigilator": {"read room": ok, "manage room": ok, "read exam": ok, "manage exam": ok, "self stu": f, "self pc_stu": f, "staff": ok, "admin": f},
		"other inv":   {"read room": f, "manage room": f, "read exam": f, "manage exam": f, "self stu": f, "self pc_stu": f, "staff": ok, "admin": f},
		"examinee":    {"read room": ok, "manage room": f, "read exam": ok, "manage exam": f, "self stu": ok, "self pc_stu": ok, "staff": f, "admin": f},
		"examinee r1": {"read room": ok, "manage room": f, "read exam": ok, "manage exam": f, "self stu": ok, "self pc_stu": ok, "staff": f, "admin": f},
		"examinee r2": {"read room": f, "manage room": f, "read exam": examhall.ENOTFOUND, "manage exam": f, "self stu": ok, "self pc_stu": ok, "staff": f, "admin": f},
		"stranger":    {"read room": f, "manage room": f, "read exam": f, "manage exam": f, "self stu": f, "self pc_stu": f, "staff": f, "admin": f},
	}
	for caller, ctx := range callers {
		for check, fn := range checks {
			if got := examhall.ErrorCode(fn(ctx)); got != want[caller][check] {
				t.Errorf("%s may %s: code %q, want %q", caller, check, got, want[caller][check])
			}
		}
	}
}

func TestPolicyInvigilator(t *testing.T) {
	rooms := &mock.RoomService{
		FindMemberFn: func(ctx context.Context, roomID, userID string) (*examhall.Member, error) {
			switch userID {
			case "inv":
				return &examhall.Member{RoomID: roomID, UserID: userID, Role: examhall.RoleInvigilator}, nil
			case "stu":
				return &examhall.Member{RoomID: roomID, UserID: userID, Role: examhall.RoleExaminee}, nil
			}
			return nil, examhall.Errorf(examhall.ENOTFOUND, "not a member")
		},
	}
	p := examhall.Policy{Rooms: rooms}
	r := &examhall.Room{ID: "r1", CreatedBy: "creator"}
	for user, want := range map[string]bool{"creator": true, "inv": true, "stu": false, "stranger": false} {
		got, err := p.Invigilator(context.Background(), r, user)
		if err != nil || got != want {
			t.Errorf("Invigilator(%s) = %v, %v; want %v", user, got, err, want)
		}
	}
}
