package examhall

import (
	"context"
	"time"
)

// RoomLink is one roster member's join link.
type RoomLink struct {
	UserID  string `json:"userId"`
	Account string `json:"account"`
	Name    string `json:"name"`
	Role    Role   `json:"role"`
	URL     string `json:"url"`
}

// JoinLinks issues the join links of rooms' rosters; /api/v1 and the room
// pages share it.
type JoinLinks struct {
	Rooms RoomService
	Users UserService
	Exams ExamService
	Auth  Authenticator
	// ExamineeURL and InvigilatorURL are the bases of examinees' and
	// invigilators' links; Margin is how long links outlive their exam.
	ExamineeURL, InvigilatorURL string
	Margin                      time.Duration
}

// Issue returns a join link for every member of the room's roster, ordered
// as the roster, and when they expire (the exam's end plus Margin, never
// less than Margin from now). EUNAVAILABLE when the client URLs are not
// configured. Callers check that the caller may manage the room.
func (j JoinLinks) Issue(ctx context.Context, room *Room, now time.Time) ([]RoomLink, time.Time, error) {
	if j.ExamineeURL == "" || j.InvigilatorURL == "" {
		return nil, time.Time{}, Errorf(EUNAVAILABLE, "join links are not configured: set the examinee and invigilator client URLs")
	}
	exam, err := j.Exams.FindExamByID(ctx, room.ExamID)
	if err != nil {
		return nil, time.Time{}, err
	}
	ms, err := j.Rooms.FindMembers(ctx, room.ID, nil)
	if err != nil {
		return nil, time.Time{}, err
	}
	exp := JoinExpiry(exam, j.Margin, now)
	links := make([]RoomLink, 0, len(ms))
	for _, m := range ms {
		u, err := j.Users.FindUserByID(ctx, m.UserID)
		if err != nil {
			return nil, time.Time{}, err
		}
		token, err := j.Auth.JoinToken(u, room.ID, exp)
		if err != nil {
			return nil, time.Time{}, err
		}
		base, inv := j.ExamineeURL, m.Role == RoleInvigilator
		if inv {
			base = j.InvigilatorURL
		}
		links = append(links, RoomLink{UserID: u.ID, Account: u.Account, Name: u.Name, Role: m.Role,
			URL: JoinLink(base, room.ID, u.ID, token, inv)})
	}
	return links, exp, nil
}
