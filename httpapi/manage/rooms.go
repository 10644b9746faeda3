package manage

import (
	"net/http"
	"time"

	"examhall"
)

// maxMembers bounds one roster change.
const maxMembers = 1000

// listRooms lists rooms: every room for admins, for invigilators those they
// created or are on the roster of.
func (s *Server) listRooms(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.staff(ctx); err != nil {
		return err
	}
	q := r.URL.Query()
	offset, limit, err := page(q)
	if err != nil {
		return err
	}
	f := examhall.RoomFilter{Offset: offset, Limit: limit}
	if v := q.Get("examId"); v != "" {
		if f.ExamID, err = checkID("examId", v); err != nil {
			return err
		}
	}
	if c, _ := callerOf(ctx); c.Role != examhall.RoleAdmin {
		f.UserID = c.ID
	}
	rooms, total, err := s.Rooms.FindRooms(ctx, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(rooms, s.roomJSON), total))
}

// createRoom creates a room of an exam, created by the caller.
func (s *Server) createRoom(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.staff(ctx); err != nil {
		return err
	}
	var req struct {
		Name   string `json:"name"`
		ExamID string `json:"examId"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := examhall.ValidateRoomName(req.Name); err != nil {
		return err
	}
	if _, err := checkID("examId", req.ExamID); err != nil {
		return err
	}
	// A room's creator manages its exam (grades included), so invigilators
	// may add rooms only to exams they already manage; admins give them
	// their first room of an exam.
	c, _ := callerOf(ctx)
	if c.Role != examhall.RoleAdmin {
		if err := s.Policy.Exam(ctx, req.ExamID, true); err != nil {
			return err
		}
	}
	if _, err := s.Exams.FindExamByID(ctx, req.ExamID); examhall.ErrorCode(err) == examhall.ENOTFOUND {
		return examhall.Errorf(examhall.EINVALID, "exam %q does not exist", req.ExamID)
	} else if err != nil {
		return err
	}
	room := &examhall.Room{Name: req.Name, ExamID: req.ExamID, CreatedBy: c.ID}
	if err := s.Rooms.CreateRoom(ctx, room); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s.roomJSON(room))
}

// managedRoom returns the room of the path's {id} when the caller manages it.
func (s *Server) managedRoom(r *http.Request) (*examhall.Room, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.Policy.Room(r.Context(), id, true)
}

func (s *Server) getRoom(w http.ResponseWriter, r *http.Request) error {
	room, err := s.managedRoom(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.roomJSON(room))
}

// updateRoom renames a room or changes its state (0 running, 1 ended) or
// audio state (0 silent, 1 broadcasting).
func (s *Server) updateRoom(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name        *string `json:"name"`
		Status      *int    `json:"status"`
		AudioStatus *int    `json:"audioStatus"`
	}
	room, err := s.managedRoom(r)
	if err != nil {
		return err
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name != nil {
		if err := examhall.ValidateRoomName(*req.Name); err != nil {
			return err
		}
	}
	if req.Status != nil && *req.Status != examhall.RoomRunning && *req.Status != examhall.RoomEnded {
		return examhall.Errorf(examhall.EINVALID, "status must be 0 (running) or 1 (ended)")
	}
	if req.AudioStatus != nil && *req.AudioStatus != examhall.AudioSilent && *req.AudioStatus != examhall.AudioBroadcasting {
		return examhall.Errorf(examhall.EINVALID, "audioStatus must be 0 (silent) or 1 (broadcasting)")
	}
	upd := examhall.RoomUpdate{Name: req.Name, Status: req.Status, AudioStatus: req.AudioStatus}
	if req.Status != nil && *req.Status == examhall.RoomEnded {
		silent := examhall.AudioSilent // an ended room broadcasts nothing, as endRoom does
		upd.AudioStatus = &silent
	}
	room, err = s.Rooms.UpdateRoom(r.Context(), room.ID, upd)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.roomJSON(room))
}

func (s *Server) deleteRoom(w http.ResponseWriter, r *http.Request) error {
	room, err := s.managedRoom(r)
	if err != nil {
		return err
	}
	if err := s.Rooms.DeleteRoom(r.Context(), room.ID); err != nil {
		return err
	}
	return noContent(w)
}

// listMembers returns the roster.
func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) error {
	room, err := s.managedRoom(r)
	if err != nil {
		return err
	}
	ms, err := s.Rooms.FindMembers(r.Context(), room.ID, nil)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(ms, len(ms)))
}

// addMembers puts users on the roster, all or none.
func (s *Server) addMembers(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Members []struct {
			UserID string        `json:"userId"`
			Role   examhall.Role `json:"role"`
		} `json:"members"`
	}
	room, err := s.managedRoom(r)
	if err != nil {
		return err
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	switch n := len(req.Members); {
	case n == 0:
		return examhall.Errorf(examhall.EINVALID, "members is required")
	case n > maxMembers:
		return examhall.Errorf(examhall.ETOOLARGE, "at most %d members at a time", maxMembers)
	}
	ms := make([]examhall.Member, len(req.Members))
	seen := make(map[string]bool, len(req.Members))
	for i, m := range req.Members {
		if _, err := checkID("userId", m.UserID); err != nil {
			return examhall.Errorf(examhall.EINVALID, "members[%d]: %s", i, examhall.ErrorMessage(err))
		}
		if m.Role != examhall.RoleInvigilator && m.Role != examhall.RoleExaminee {
			return examhall.Errorf(examhall.EINVALID, "members[%d]: role must be invigilator or examinee", i)
		}
		if seen[m.UserID] {
			return examhall.Errorf(examhall.EINVALID, "members[%d]: user %q is listed twice", i, m.UserID)
		}
		seen[m.UserID] = true
		ms[i] = examhall.Member{RoomID: room.ID, UserID: m.UserID, Role: m.Role}
	}
	ctx := r.Context()
	if err := s.Rooms.AddMembers(ctx, room.ID, ms); err != nil {
		return err
	}
	all, err := s.Rooms.FindMembers(ctx, room.ID, nil)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(all, len(all)))
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) error {
	room, err := s.managedRoom(r)
	if err != nil {
		return err
	}
	userID, err := pathID(r, "userId")
	if err != nil {
		return err
	}
	if err := s.Rooms.RemoveMember(r.Context(), room.ID, userID); err != nil {
		return err
	}
	return noContent(w)
}

// linkJSON is one person's join link.
type linkJSON struct {
	UserID  string        `json:"userId"`
	Account string        `json:"account"`
	Name    string        `json:"name"`
	Role    examhall.Role `json:"role"`
	URL     string        `json:"url"`
}

// joinLinks issues a join link for every member of the roster, valid until
// the exam's end plus JoinMargin.
func (s *Server) joinLinks(w http.ResponseWriter, r *http.Request) error {
	// A join token is for its room's proctoring surface: handing out other
	// people's credentials needs a staff session, so a leaked link does not
	// leak every other link.
	if err := unbound(r.Context()); err != nil {
		return err
	}
	room, err := s.managedRoom(r)
	if err != nil {
		return err
	}
	if s.ExamineeClientURL == "" || s.InvigilatorClientURL == "" {
		return examhall.Errorf(examhall.EUNAVAILABLE, "join links are not configured: set the examinee and invigilator client URLs")
	}
	ctx := r.Context()
	exam, err := s.Exams.FindExamByID(ctx, room.ExamID)
	if err != nil {
		return err
	}
	ms, err := s.Rooms.FindMembers(ctx, room.ID, nil)
	if err != nil {
		return err
	}
	exp := examhall.JoinExpiry(exam, s.JoinMargin, s.now())
	links := make([]linkJSON, 0, len(ms))
	for _, m := range ms {
		u, err := s.Users.FindUserByID(ctx, m.UserID)
		if err != nil {
			return err
		}
		token, err := s.Auth.JoinToken(u, room.ID, exp)
		if err != nil {
			return err
		}
		base, inv := s.ExamineeClientURL, m.Role == examhall.RoleInvigilator
		if inv {
			base = s.InvigilatorClientURL
		}
		links = append(links, linkJSON{
			UserID: u.ID, Account: u.Account, Name: u.Name, Role: m.Role,
			URL: examhall.JoinLink(base, room.ID, u.ID, token, inv),
		})
	}
	return writeJSON(w, http.StatusOK, struct {
		list[linkJSON]
		Expire time.Time `json:"expire"`
	}{newList(links, len(links)), s.local(exp)})
}
