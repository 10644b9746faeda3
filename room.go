package examhall

import (
	"context"
	"net/url"
	"time"
)

// Room states and audio states, as the AppServer clients read them.
const (
	RoomRunning = 0
	RoomEnded   = 1

	AudioSilent       = 0
	AudioBroadcasting = 1
)

// Member online states (userStatus), set by the CDN's stream callbacks.
const (
	UserOffline    = 0 // not publishing a stream
	UserPublishing = 1 // publishing
)

// Room is a proctored room (考场) of an exam.
type Room struct {
	ID          string    `json:"id"` // a UUID, as the vendor's clients expect
	Name        string    `json:"name"`
	ExamID      string    `json:"examId"`
	Status      int       `json:"status"`
	AudioStatus int       `json:"audioStatus"`
	IMGroupID   string    `json:"imGroupId"`
	CreatedBy   string    `json:"createTeacher"` // the creating user's ID
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Member is a user on a room's roster.
type Member struct {
	RoomID     string `json:"roomId"`
	UserID     string `json:"userId"`
	Role       Role   `json:"role"` // invigilator or examinee
	UserStatus int    `json:"userStatus"`
	// Read only: the user's name and account.
	Name    string `json:"name"`
	Account string `json:"account"`
}

// RoomFilter selects rooms. Zero fields do not filter.
type RoomFilter struct {
	ExamID string
	UserID string // rooms the user created or is on the roster of
	Status *int
	Offset int
	Limit  int // 0 means no limit
}

// RoomUpdate holds the fields of a partial update; nil fields stay.
type RoomUpdate struct {
	Name        *string
	Status      *int
	AudioStatus *int
	IMGroupID   *string
}

// ValidateRoomName checks a room name: required, shorter than 64 characters.
func ValidateRoomName(name string) error {
	if name == "" {
		return Errorf(EINVALID, "name is required")
	}
	if len([]rune(name)) >= MaxNameLen {
		return Errorf(EINVALID, "name must be shorter than %d characters", MaxNameLen)
	}
	return nil
}

// RoomService stores rooms and their rosters.
type RoomService interface {
	// FindRoomByID returns ENOTFOUND when there is none.
	FindRoomByID(ctx context.Context, id string) (*Room, error)
	// FindRooms returns matching rooms, newest first, and the total.
	FindRooms(ctx context.Context, filter RoomFilter) ([]*Room, int, error)
	// CreateRoom sets r.ID (a UUID, when empty) and the times. EINVALID on an
	// unknown exam.
	CreateRoom(ctx context.Context, r *Room) error
	// CreateRoomWithExam creates e and r, a room of it, in one transaction:
	// neither is stored unless both are. It sets both IDs (when empty),
	// r.ExamID and the times.
	CreateRoomWithExam(ctx context.Context, r *Room, e *Exam) error
	// UpdateRoom returns the updated room; ENOTFOUND.
	UpdateRoom(ctx context.Context, id string, upd RoomUpdate) (*Room, error)
	// DeleteRoom removes a room with its roster; ENOTFOUND.
	DeleteRoom(ctx context.Context, id string) error
	// AddMembers puts users on the roster, all or none; a user already there
	// keeps their entry with the new role. EINVALID for an unknown user or a
	// role other than invigilator or examinee.
	AddMembers(ctx context.Context, roomID string, members []Member) error
	// RemoveMember takes a user off the roster; ENOTFOUND.
	RemoveMember(ctx context.Context, roomID, userID string) error
	// FindMembers returns the roster (role nil: everyone) ordered by account.
	FindMembers(ctx context.Context, roomID string, role *Role) ([]*Member, error)
	// FindMember returns ENOTFOUND when the user is not on the roster.
	FindMember(ctx context.Context, roomID, userID string) (*Member, error)
	// SetUserStatus sets a member's userStatus; ENOTFOUND when not on the roster.
	SetUserStatus(ctx context.Context, roomID, userID string, status int) error
	// InExam reports whether the user created or is on the roster of any room
	// of the exam.
	InExam(ctx context.Context, examID, userID string) (bool, error)
}

// JoinLink is the page URL the AUI clients open for one person:
// <base>?roomId=<id>&userId=<id>&token=<token>, with &role=0 for invigilators.
func JoinLink(base, roomID, userID, token string, invigilator bool) string {
	s := base + "?roomId=" + url.QueryEscape(roomID) + "&userId=" + url.QueryEscape(userID) + "&token=" + url.QueryEscape(token)
	if invigilator {
		s += "&role=0"
	}
	return s
}

// DefaultJoinMargin is how long after its exam's end a join link stays valid.
const DefaultJoinMargin = 2 * time.Hour

// JoinExpiry is when a join link for a room of e expires: the exam's end plus
// margin, but never less than margin from now.
func JoinExpiry(e *Exam, margin time.Duration, now time.Time) time.Time {
	exp := e.EndTime.Add(margin)
	if min := now.Add(margin); exp.Before(min) {
		exp = min
	}
	return exp
}
