package aui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"examhall"
)

// createRoomRequest is the body of createRoom and v2/createRoom.
type createRoomRequest struct {
	Name     string   `json:"name"`
	IMServer []string `json:"imServer"`
	ExamID   string   `json:"examId"` // ours: bind the room to an existing exam

	servers []examhall.IMServer
}

func (q *createRoomRequest) validate() error {
	if err := examhall.ValidateRoomName(q.Name); err != nil {
		return err
	}
	if err := checkID("examId", q.ExamID, false); err != nil {
		return err
	}
	if len(q.IMServer) == 0 {
		return examhall.Errorf(examhall.EINVALID, "imServer is required: a list of aliyun_new, aliyun_old or rong_cloud")
	}
	var err error
	q.servers, err = examhall.ParseIMServers(q.IMServer)
	return err
}

// legacyCreateRoomRequest is the body of the v1 createRoom, which predates
// imServer: the vendor's v1 room used the old Aliyun IM, so an absent list
// means ["aliyun_old"].
type legacyCreateRoomRequest struct{ createRoomRequest }

func (q *legacyCreateRoomRequest) validate() error {
	if len(q.IMServer) == 0 {
		q.IMServer = []string{string(examhall.IMAliyunOld)}
	}
	return q.createRoomRequest.validate()
}

// roomData is a room as createRoom answers it.
type roomData struct {
	ID          string `json:"id"`
	CreatedAt   string `json:"createdAt"`
	UpdatedAt   string `json:"updatedAt"`
	Name        string `json:"name"`
	ExamID      string `json:"examId"`
	Status      int    `json:"status"`
	AudioStatus int    `json:"audioStatus"`
	IMGroupID   string `json:"imGroupId"`
	CreatedBy   string `json:"createTeacher"`
}

func (s *Server) createRoom(w http.ResponseWriter, r *http.Request) (any, error) {
	var req createRoomRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	return s.doCreateRoom(r, &req)
}

func (s *Server) createRoomLegacy(w http.ResponseWriter, r *http.Request) (any, error) {
	var req legacyCreateRoomRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	return s.doCreateRoom(r, &req.createRoomRequest)
}

// doCreateRoom creates a room, and an exam for it when none is named.
//
// A named exam must exist and not be archived, and the caller must manage it:
// admins always, invigilators through Policy.Exam, i.e. when they already
// manage a room of it. We deliberately do not let any invigilator attach
// rooms to any published exam: creating a room makes its creator a manager of
// the exam (cheat config included), so that would let every invigilator take
// over every exam. An admin gives an invigilator an exam by creating its
// first room or putting them on a room's roster.
//
// Nothing is written unless the IM group is created: the room ID is made
// first so the group can be named after it, and the exam (when needed) and
// the room are created only after, in one transaction.
func (s *Server) doCreateRoom(r *http.Request, req *createRoomRequest) (any, error) {
	ctx := r.Context()
	if err := s.Policy.Staff(ctx); err != nil {
		return nil, err
	}
	c := callerOf(r)
	if c.RoomID != "" {
		// A join-link token is bound to its room and may touch no other.
		return nil, examhall.Errorf(examhall.EFORBIDDEN, "this token is bound to one room and cannot create rooms")
	}
	if req.ExamID != "" {
		e, err := s.Exams.FindExamByID(ctx, req.ExamID)
		if err != nil {
			return nil, err
		}
		if err := s.Policy.Exam(ctx, e.ID, true); err != nil {
			return nil, err
		}
		if e.Status == examhall.ExamArchived {
			return nil, examhall.Errorf(examhall.ECONFLICT, "exam %q is archived", e.ID)
		}
	}

	roomID := uuid.NewString()
	groupID, err := s.IM.CreateGroup(ctx, req.servers, roomID)
	if err != nil {
		return nil, err
	}
	room := &examhall.Room{
		ID:          roomID,
		Name:        req.Name,
		ExamID:      req.ExamID,
		Status:      examhall.RoomRunning,
		AudioStatus: examhall.AudioSilent,
		IMGroupID:   groupID,
		CreatedBy:   c.ID,
	}
	if req.ExamID != "" {
		err = s.Rooms.CreateRoom(ctx, room)
	} else {
		// As the vendor does: a room without an exam gets its own, open for
		// a day, created with it.
		now := s.now()
		err = s.Rooms.CreateRoomWithExam(ctx, room, &examhall.Exam{
			Name:         req.Name,
			BeginTime:    now,
			EndTime:      now.Add(24 * time.Hour),
			AllowTimes:   1,
			IntegralRate: examhall.DefaultIntegralRate,
			Audience:     examhall.AudienceUsers,
			Status:       examhall.ExamPublished,
			CreatedBy:    c.ID,
		})
	}
	if err != nil {
		return nil, err
	}
	return roomData{
		ID:          room.ID,
		CreatedAt:   s.rfc3339(room.CreatedAt),
		UpdatedAt:   s.rfc3339(room.UpdatedAt),
		Name:        room.Name,
		ExamID:      room.ExamID,
		Status:      room.Status,
		AudioStatus: room.AudioStatus,
		IMGroupID:   room.IMGroupID,
		CreatedBy:   room.CreatedBy,
	}, nil
}

// roomInfoData is a room as roomInfo answers it.
type roomInfoData struct {
	ID          string `json:"id"`
	CreatedAt   string `json:"createdAt"` // RFC 3339, as the vendor's servers send
	UpdatedAt   string `json:"updatedAt"`
	Name        string `json:"name"`
	ExamID      string `json:"examId"`
	Status      int    `json:"status"`
	AudioStatus int    `json:"audioStatus"`
	IMGroupID   string `json:"imGroupId"`
	CreatedBy   string `json:"createTeacher"`
	CheatConfig string `json:"cheatConfig,omitempty"` // the exam's, when one is set
}

func (s *Server) roomInfo(w http.ResponseWriter, r *http.Request) (any, error) {
	roomID, err := queryID(r, "roomId")
	if err != nil {
		return nil, err
	}
	room, err := s.Policy.Room(r.Context(), roomID, false)
	if err != nil {
		return nil, err
	}
	d := roomInfoData{
		ID:          room.ID,
		Name:        room.Name,
		ExamID:      room.ExamID,
		Status:      room.Status,
		AudioStatus: room.AudioStatus,
		IMGroupID:   room.IMGroupID,
		CreatedBy:   room.CreatedBy,
		CreatedAt:   s.rfc3339(room.CreatedAt),
		UpdatedAt:   s.rfc3339(room.UpdatedAt),
	}
	cfg, err := s.Cheat.FindCheatConfig(r.Context(), room.ExamID)
	switch {
	case err == nil:
		d.CheatConfig = cfg.Data
	case examhall.ErrorCode(err) != examhall.ENOTFOUND:
		return nil, err
	}
	return d, nil
}

// userInfoData is a roster entry with its stream URLs (userInfo, userList).
// UserStatus is the member's online state: examhall.UserPublishing (1) while
// the CDN reports their stream published, examhall.UserOffline (0) otherwise.
type userInfoData struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	UserStatus int    `json:"userStatus"`
	examhall.StreamURLs
}

func (s *Server) userData(m *examhall.Member, examID string, now time.Time) (userInfoData, error) {
	urls, err := s.Streams.StreamURLs(examID, m.RoomID, m.UserID, now)
	if err != nil {
		return userInfoData{}, err
	}
	return userInfoData{ID: m.UserID, Name: m.Name, UserStatus: m.UserStatus, StreamURLs: urls}, nil
}

// userInfo answers one member's stream URLs. The caller must read the room
// and be the user or manage the room, so an examinee sees only their own push
// URLs. A manager asking for themselves need not be on the roster. Anyone
// who reads the room may also read its invigilators (the creator too, on
// the roster or not) with their pull URLs only: the examinee pages fetch
// userInfo of roomInfo's createTeacher at start-up to watch and hear them.
func (s *Server) userInfo(w http.ResponseWriter, r *http.Request) (any, error) {
	userID, err := queryID(r, "userId")
	if err != nil {
		return nil, err
	}
	roomID, err := queryID(r, "roomId")
	if err != nil {
		return nil, err
	}
	ctx, c := r.Context(), callerOf(r)
	room, err := s.Policy.Room(ctx, roomID, false)
	if err != nil {
		return nil, err
	}
	self, pullOnly := userID == c.ID, false
	if !self {
		if _, err := s.Policy.Room(ctx, roomID, true); err != nil {
			inv, ierr := s.Policy.Invigilator(ctx, room, userID)
			if ierr != nil {
				return nil, ierr
			}
			if !inv {
				return nil, err
			}
			pullOnly = true
		}
	}
	m, err := s.Rooms.FindMember(ctx, roomID, userID)
	switch {
	case examhall.ErrorCode(err) == examhall.ENOTFOUND && self:
		if _, merr := s.Policy.Room(ctx, roomID, true); merr != nil {
			return nil, err
		}
		m, err = &examhall.Member{RoomID: roomID, UserID: c.ID, Name: c.Name, UserStatus: examhall.UserOffline}, nil
	case examhall.ErrorCode(err) == examhall.ENOTFOUND && userID == room.CreatedBy:
		// The creator invigilates without being on the roster.
		m, err = &examhall.Member{RoomID: roomID, UserID: userID, Role: examhall.RoleInvigilator, UserStatus: examhall.UserOffline}, nil
		if s.Users != nil {
			if u, uerr := s.Users.FindUserByID(ctx, userID); uerr == nil {
				m.Name = u.Name
			} else if examhall.ErrorCode(uerr) != examhall.ENOTFOUND {
				return nil, uerr
			}
		}
	}
	if err != nil {
		return nil, err
	}
	d, err := s.userData(m, room.ExamID, s.now())
	if err != nil {
		return nil, err
	}
	if pullOnly {
		d.RTCPushURL, d.PCRTCPushURL = "", ""
	}
	return rawJSON(appendUserInfo(rawBuffer(1400), &d)), nil
}

// userList answers the room's examinees with their stream URLs, from one
// roster query.
func (s *Server) userList(w http.ResponseWriter, r *http.Request) (any, error) {
	roomID, err := queryID(r, "roomId")
	if err != nil {
		return nil, err
	}
	room, err := s.Policy.Room(r.Context(), roomID, true)
	if err != nil {
		return nil, err
	}
	role := examhall.RoleExaminee
	members, err := s.Rooms.FindMembers(r.Context(), roomID, &role)
	if err != nil {
		return nil, err
	}
	now := s.now()
	buf := append(rawBuffer(2+len(members)*1400), '[')
	for i, m := range members {
		d, err := s.userData(m, room.ExamID, now)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendUserInfo(buf, &d)
	}
	return rawJSON(append(buf, ']')), nil
}

// updateRoomAudioStatus takes id and audioStatus from the query (as the
// vendor documents) or a JSON body (as the clients send them).
func (s *Server) updateRoomAudioStatus(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := params(w, r)
	if err != nil {
		return nil, err
	}
	roomID, status, err := parseAudioStatus(p)
	if err != nil {
		return nil, err
	}
	room, err := s.Policy.Room(r.Context(), roomID, true)
	if err != nil {
		return nil, err
	}
	if status == examhall.AudioBroadcasting && room.Status == examhall.RoomEnded {
		return nil, examhall.Errorf(examhall.ECONFLICT, "room %q has ended; it cannot broadcast", roomID)
	}
	if _, err := s.Rooms.UpdateRoom(r.Context(), roomID, examhall.RoomUpdate{AudioStatus: &status}); err != nil {
		return nil, err
	}
	return true, nil
}

func parseAudioStatus(p url.Values) (roomID string, status int, err error) {
	roomID = p.Get("id")
	if err := checkID("id", roomID, true); err != nil {
		return "", 0, err
	}
	v := p.Get("audioStatus")
	if v == "" {
		return "", 0, examhall.Errorf(examhall.EINVALID, "audioStatus is required")
	}
	status, err = strconv.Atoi(v)
	if err != nil || (status != examhall.AudioSilent && status != examhall.AudioBroadcasting) {
		return "", 0, examhall.Errorf(examhall.EINVALID, "audioStatus must be 0 or 1, not %q", truncate(v, 32))
	}
	return roomID, status, nil
}

// endRoom ends a room and stops its broadcast. roomId comes from the query,
// or for POST from a form or JSON body.
func (s *Server) endRoom(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := params(w, r)
	if err != nil {
		return nil, err
	}
	roomID := p.Get("roomId")
	if err := checkID("roomId", roomID, true); err != nil {
		return nil, err
	}
	if _, err := s.Policy.Room(r.Context(), roomID, true); err != nil {
		return nil, err
	}
	ended, silent := examhall.RoomEnded, examhall.AudioSilent
	if _, err := s.Rooms.UpdateRoom(r.Context(), roomID, examhall.RoomUpdate{Status: &ended, AudioStatus: &silent}); err != nil {
		return nil, err
	}
	return true, nil
}

// userAct is the live CDN's stream callback: publish marks the stream's
// examinee online, publish_done offline; other actions are acknowledged and
// ignored. It carries no user token; when Callback is set the CDN's
// signature headers are checked instead.
//
// The status is per member, not per camera: whichever of a candidate's two
// streams reported last decides it.
func (s *Server) userAct(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.Callback != nil {
		err := s.Callback.VerifyCallback(r.Host, r.Header.Get("ALI-LIVE-TIMESTAMP"), r.Header.Get("ALI-LIVE-SIGNATURE"), s.now())
		if err != nil {
			if examhall.ErrorCode(err) == examhall.EUNAVAILABLE {
				return nil, err // not configured: the message names the setting
			}
			msg := "callback signature rejected"
			var e *examhall.Error
			if errors.As(err, &e) {
				msg += ": " + e.Message
			}
			return nil, examhall.Errorf(examhall.EUNAUTHORIZED, "%s", msg)
		}
	}
	p, err := params(w, r)
	if err != nil {
		return nil, err
	}
	var status int
	switch p.Get("action") {
	case "publish":
		status = examhall.UserPublishing
	case "publish_done":
		status = examhall.UserOffline
	default:
		return true, nil
	}
	stream := p.Get("id")
	if err := checkLen("id", stream, true, 4*examhall.MaxIDLen); err != nil {
		return nil, err
	}
	examID, roomID, userID, err := examhall.ParseStreamName(stream)
	if err != nil {
		return nil, err
	}
	room, err := s.Rooms.FindRoomByID(r.Context(), roomID)
	if err != nil {
		return nil, err
	}
	if room.ExamID != examID {
		return nil, examhall.Errorf(examhall.ENOTFOUND, "stream %q names no room of its exam", stream)
	}
	if err := s.Rooms.SetUserStatus(r.Context(), roomID, userID, status); err != nil {
		return nil, err
	}
	return true, nil
}
