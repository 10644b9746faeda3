package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"examhall"
	"examhall/sheet"
)

// roomRoutes lists the routes of the room pages: rooms, rosters, join links,
// audio. Administrators see every room; invigilators the rooms they manage
// (Policy.Room with manage).
func (s *Server) roomRoutes() []route {
	return []route{
		{pattern: "GET /rooms", h: s.roomsPage, access: staffOnly},
		{pattern: "POST /rooms", h: s.createRoomForm, access: staffOnly},
		{pattern: "GET /rooms/{id}", h: s.roomPage, access: staffOnly},
		{pattern: "POST /rooms/{id}/members", h: s.addMembersForm, access: staffOnly},
		{pattern: "POST /rooms/{id}/members/{user}/remove", h: s.removeMemberForm, access: staffOnly},
		{pattern: "GET /rooms/{id}/links", h: s.exportLinks, access: staffOnly},
		{pattern: "POST /rooms/{id}/broadcasts", h: s.addBroadcastForm, access: staffOnly},
		{pattern: "POST /rooms/{id}/broadcasts/{n}/remove", h: s.removeBroadcastForm, access: staffOnly},
		{pattern: "GET /admin/audio", h: s.audioPage, access: adminOnly},
		{pattern: "POST /admin/audio", h: s.createAudioForm, access: adminOnly},
	}
}

// roomsView lists rooms and offers the form for a new one.
type roomsView struct {
	Page
	Rooms  []roomItem
	Total  int
	Exams  []*examhall.Exam // the exams a new room may belong to
	Name   string
	ExamID string
	Errors []fieldError
	Field  map[string]string
}

func (s *Server) roomsPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.roomsView(w, r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "rooms_admin", v)
	return nil
}

func (s *Server) roomsView(w http.ResponseWriter, r *http.Request) (*roomsView, error) {
	c, err := callerOf(r.Context())
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	f := examhall.RoomFilter{Limit: 500}
	if c.Role != examhall.RoleAdmin {
		f.UserID = c.ID
	}
	rooms, total, err := s.Rooms.FindRooms(ctx, f)
	if err != nil {
		return nil, err
	}
	p := s.page(w, r)
	p.Title = p.T("rooms.manageTitle")
	v := &roomsView{Page: p, Total: total, Field: map[string]string{}}
	names := map[string]string{}
	for _, rm := range rooms {
		if c.Role != examhall.RoleAdmin {
			if _, err := s.Policy.Room(ctx, rm.ID, true); err != nil {
				continue
			}
		}
		if _, ok := names[rm.ExamID]; !ok {
			e, err := s.Exams.FindExamByID(ctx, rm.ExamID)
			if err != nil {
				return nil, err
			}
			names[rm.ExamID] = e.Name
		}
		v.Rooms = append(v.Rooms, roomItem{Room: rm, Exam: names[rm.ExamID], Ended: rm.Status == examhall.RoomEnded})
	}
	if v.Exams, err = s.staffExams(r, c); err != nil {
		return nil, err
	}
	return v, nil
}

// createRoomForm creates a room of an exam the caller manages (any exam for
// an admin); bad input re-shows the form.
func (s *Server) createRoomForm(w http.ResponseWriter, r *http.Request) error {
	c, err := callerOf(r.Context())
	if err != nil {
		return err
	}
	v, err := s.roomsView(w, r)
	if err != nil {
		return err
	}
	v.Name, v.ExamID = strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("exam")
	if err := examhall.ValidateRoomName(v.Name); err != nil || !examhall.ValidText(v.Name) {
		v.Field["name"] = v.T("rooms.err.name", examhall.MaxNameLen)
		v.Errors = append(v.Errors, fieldError{Field: "room-name", Message: v.Field["name"]})
	}
	known := false
	for _, e := range v.Exams {
		known = known || e.ID == v.ExamID
	}
	if !known {
		v.Field["exam"] = v.T("rooms.err.exam")
		v.Errors = append(v.Errors, fieldError{Field: "room-exam", Message: v.Field["exam"]})
	}
	if len(v.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "rooms_admin", v)
		return nil
	}
	room := &examhall.Room{Name: v.Name, ExamID: v.ExamID, CreatedBy: c.ID}
	if err := s.Rooms.CreateRoom(r.Context(), room); err != nil {
		return err
	}
	http.Redirect(w, r, "/rooms/"+url.PathEscape(room.ID), http.StatusSeeOther)
	return nil
}

// roomView is one room's management page.
type roomView struct {
	Page
	Room        *examhall.Room
	Exam        *examhall.Exam
	EntryURL    string
	Members     []*examhall.Member
	Links       map[string]string // join link by user ID
	LinksError  string
	Expire      time.Time
	Depts       []*examhall.Department
	Query       string
	Found       []*examhall.User // search results not yet on the roster
	Invigilator []*examhall.User // invigilators not yet on the roster
	Broadcasts  []*examhall.Broadcast
	Audios      []*examhall.Audio
	Notice      string
	Errors      []fieldError
	Field       map[string]string
	// Re-shown values of the broadcast form.
	AudioID, StartAt string
}

// maxSearch bounds a roster search's results.
const maxSearch = 50

func (s *Server) roomPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.roomView(w, r)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "added":
		v.Notice = v.T("rooms.added", r.URL.Query().Get("n"))
	case "removed":
		v.Notice = v.T("rooms.removed")
	case "broadcast":
		v.Notice = v.T("rooms.broadcastSaved")
	}
	s.render(w, r, http.StatusOK, "room", v)
	return nil
}

func (s *Server) roomView(w http.ResponseWriter, r *http.Request) (*roomView, error) {
	ctx := r.Context()
	room, err := s.Policy.Room(ctx, r.PathValue("id"), true)
	if err != nil {
		return nil, err
	}
	e, err := s.Exams.FindExamByID(ctx, room.ExamID)
	if err != nil {
		return nil, err
	}
	p := s.page(w, r)
	p.Title = p.T("rooms.roomTitle", room.Name)
	v := &roomView{Page: p, Room: room, Exam: e, EntryURL: strings.TrimRight(s.PublicURL, "/") + "/v5/exam/" + e.ID,
		Links: map[string]string{}, Field: map[string]string{}}
	if v.Members, err = s.Rooms.FindMembers(ctx, room.ID, nil); err != nil {
		return nil, err
	}
	on := map[string]bool{}
	for _, m := range v.Members {
		on[m.UserID] = true
	}
	links, exp, err := s.joinLinks().Issue(ctx, room, s.now())
	switch examhall.ErrorCode(err) {
	case "":
		for _, l := range links {
			v.Links[l.UserID] = l.URL
		}
		v.Expire = exp
	case examhall.EUNAVAILABLE:
		v.LinksError = examhall.ErrorMessage(err)
	default:
		return nil, err
	}
	if v.Depts, err = s.Depts.FindDepartments(ctx); err != nil {
		return nil, err
	}
	v.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	if v.Query != "" && examhall.ValidText(v.Query) {
		examinee := examhall.RoleExaminee
		us, _, err := s.Users.FindUsers(ctx, examhall.UserFilter{Query: v.Query, Role: &examinee, Limit: maxSearch})
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if !on[u.ID] {
				v.Found = append(v.Found, u)
			}
		}
	}
	inv := examhall.RoleInvigilator
	invs, _, err := s.Users.FindUsers(ctx, examhall.UserFilter{Role: &inv, Limit: 500})
	if err != nil {
		return nil, err
	}
	for _, u := range invs {
		if !on[u.ID] && !u.Disabled {
			v.Invigilator = append(v.Invigilator, u)
		}
	}
	if v.Broadcasts, err = s.Audio.FindBroadcasts(ctx, e.ID); err != nil {
		return nil, err
	}
	if v.Audios, _, err = s.Audio.FindAudios(ctx, examhall.AudioFilter{Limit: 500}); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Server) joinLinks() examhall.JoinLinks {
	return examhall.JoinLinks{Rooms: s.Rooms, Users: s.Users, Exams: s.Exams, Auth: s.Auth,
		ExamineeURL: s.ExamineeClientURL, InvigilatorURL: s.InvigilatorClientURL, Margin: s.JoinMargin}
}

// addMembersForm puts people on the roster: every examinee of a department
// (dept), chosen examinees (user, repeated), or an invigilator
// (invigilator). Nothing chosen re-shows the page with the reason.
func (s *Server) addMembersForm(w http.ResponseWriter, r *http.Request) error {
	v, err := s.roomView(w, r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return examhall.Errorf(examhall.EINVALID, "the form could not be read")
	}
	ctx := r.Context()
	var members []examhall.Member
	switch {
	case r.PostForm.Get("dept") != "":
		id := r.PostForm.Get("dept")
		known := false
		for _, d := range v.Depts {
			known = known || d.ID == id
		}
		if !known {
			v.Field["dept"] = v.T("rooms.err.dept")
			v.Errors = append(v.Errors, fieldError{Field: "add-dept", Message: v.Field["dept"]})
			break
		}
		examinee := examhall.RoleExaminee
		us, _, err := s.Users.FindUsers(ctx, examhall.UserFilter{DeptID: &id, Role: &examinee})
		if err != nil {
			return err
		}
		for _, u := range us {
			if !u.Disabled {
				members = append(members, examhall.Member{UserID: u.ID, Role: examhall.RoleExaminee})
			}
		}
		if len(members) == 0 {
			v.Field["dept"] = v.T("rooms.err.emptyDept")
			v.Errors = append(v.Errors, fieldError{Field: "add-dept", Message: v.Field["dept"]})
		}
	case len(r.PostForm["user"]) > 0:
		for _, id := range r.PostForm["user"] {
			members = append(members, examhall.Member{UserID: id, Role: examhall.RoleExaminee})
		}
	case r.PostForm.Get("invigilator") != "":
		members = append(members, examhall.Member{UserID: r.PostForm.Get("invigilator"), Role: examhall.RoleInvigilator})
	default:
		v.Field["add"] = v.T("rooms.err.nobody")
		v.Errors = append(v.Errors, fieldError{Field: "add-dept", Message: v.Field["add"]})
	}
	if len(v.Errors) == 0 {
		err := s.Rooms.AddMembers(ctx, v.Room.ID, members)
		switch examhall.ErrorCode(err) {
		case "":
			http.Redirect(w, r, "/rooms/"+url.PathEscape(v.Room.ID)+"?done=added&n="+strconv.Itoa(len(members)), http.StatusSeeOther)
			return nil
		case examhall.EINVALID:
			v.Field["add"] = examhall.ErrorMessage(err)
			v.Errors = append(v.Errors, fieldError{Field: "add-dept", Message: v.Field["add"]})
		default:
			return err
		}
	}
	s.render(w, r, http.StatusBadRequest, "room", v)
	return nil
}

func (s *Server) removeMemberForm(w http.ResponseWriter, r *http.Request) error {
	room, err := s.Policy.Room(r.Context(), r.PathValue("id"), true)
	if err != nil {
		return err
	}
	if err := s.Rooms.RemoveMember(r.Context(), room.ID, r.PathValue("user")); err != nil {
		return err
	}
	http.Redirect(w, r, "/rooms/"+url.PathEscape(room.ID)+"?done=removed", http.StatusSeeOther)
	return nil
}

// exportLinks writes the roster's join links as CSV or XLSX.
func (s *Server) exportLinks(w http.ResponseWriter, r *http.Request) error {
	f, err := sheet.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return err
	}
	room, err := s.Policy.Room(r.Context(), r.PathValue("id"), true)
	if err != nil {
		return err
	}
	links, exp, err := s.joinLinks().Issue(r.Context(), room, s.now())
	if err != nil {
		return err
	}
	entry := strings.TrimRight(s.PublicURL, "/") + "/v5/exam/" + room.ExamID
	until := exp.In(s.location()).Format("2006-01-02 15:04:05")
	rows := make([][]string, 0, len(links))
	for _, l := range links {
		rows = append(rows, []string{l.Account, l.Name, string(l.Role), l.URL, entry, until})
	}
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Content-Disposition", `attachment; filename="links-`+room.ID+`.`+string(f)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	return sheet.Write(w, f, "links", []string{"account", "name", "role", "joinLink", "entryUrl", "expires"}, rows)
}

// addBroadcastForm schedules a clip of the library in the room's exam.
func (s *Server) addBroadcastForm(w http.ResponseWriter, r *http.Request) error {
	// Broadcasts belong to the exam, which only admins change (as /api/v1).
	if err := s.Policy.Admin(r.Context()); err != nil {
		return err
	}
	v, err := s.roomView(w, r)
	if err != nil {
		return err
	}
	v.AudioID, v.StartAt = r.PostFormValue("audio"), r.PostFormValue("start")
	var clip *examhall.Audio
	for _, a := range v.Audios {
		if a.ID == v.AudioID {
			clip = a
		}
	}
	if clip == nil {
		v.Field["audio"] = v.T("rooms.err.audio")
		v.Errors = append(v.Errors, fieldError{Field: "bc-audio", Message: v.Field["audio"]})
	}
	at, err := time.ParseInLocation("2006-01-02T15:04", v.StartAt, s.location())
	if err != nil {
		v.Field["start"] = v.T("rooms.err.start")
		v.Errors = append(v.Errors, fieldError{Field: "bc-start", Message: v.Field["start"]})
	}
	if len(v.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "room", v)
		return nil
	}
	items := make([]examhall.ScheduledAudio, 0, len(v.Broadcasts)+1)
	for _, b := range v.Broadcasts {
		items = append(items, examhall.ScheduledAudio{AudioID: b.ID, StartTime: b.StartTime})
	}
	items = append(items, examhall.ScheduledAudio{AudioID: clip.ID, StartTime: at})
	if err := s.Audio.SetBroadcasts(r.Context(), v.Exam.ID, items); err != nil {
		return err
	}
	http.Redirect(w, r, "/rooms/"+url.PathEscape(v.Room.ID)+"?done=broadcast#broadcasts", http.StatusSeeOther)
	return nil
}

// removeBroadcastForm removes the n-th (from 1) scheduled broadcast.
func (s *Server) removeBroadcastForm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.Policy.Admin(ctx); err != nil {
		return err
	}
	room, err := s.Policy.Room(ctx, r.PathValue("id"), true)
	if err != nil {
		return err
	}
	bs, err := s.Audio.FindBroadcasts(ctx, room.ExamID)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > len(bs) {
		return examhall.Errorf(examhall.ENOTFOUND, "no broadcast %q", r.PathValue("n"))
	}
	items := make([]examhall.ScheduledAudio, 0, len(bs))
	for i, b := range bs {
		if i != n-1 {
			items = append(items, examhall.ScheduledAudio{AudioID: b.ID, StartTime: b.StartTime})
		}
	}
	if err := s.Audio.SetBroadcasts(ctx, room.ExamID, items); err != nil {
		return err
	}
	http.Redirect(w, r, "/rooms/"+url.PathEscape(room.ID)+"?done=broadcast#broadcasts", http.StatusSeeOther)
	return nil
}

// audioView is the audio library with the form for a new clip.
type audioView struct {
	Page
	Audios              []*examhall.Audio
	Total               int
	Name, URL, Classify string
	Errors              []fieldError
	Field               map[string]string
	Notice              string
}

func (s *Server) audioView(w http.ResponseWriter, r *http.Request) (*audioView, error) {
	as, total, err := s.Audio.FindAudios(r.Context(), examhall.AudioFilter{Limit: 500})
	if err != nil {
		return nil, err
	}
	p := s.page(w, r)
	p.Title = p.T("audio.title")
	return &audioView{Page: p, Audios: as, Total: total, Classify: "0", Field: map[string]string{}}, nil
}

func (s *Server) audioPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.audioView(w, r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("done") == "1" {
		v.Notice = v.T("audio.saved")
	}
	s.render(w, r, http.StatusOK, "audio", v)
	return nil
}

// createAudioForm adds a clip: a name, a category number and an http(s) URL.
func (s *Server) createAudioForm(w http.ResponseWriter, r *http.Request) error {
	v, err := s.audioView(w, r)
	if err != nil {
		return err
	}
	v.Name = strings.TrimSpace(r.PostFormValue("name"))
	v.URL = strings.TrimSpace(r.PostFormValue("url"))
	v.Classify = strings.TrimSpace(r.PostFormValue("classify"))
	if v.Name == "" || len([]rune(v.Name)) > examhall.MaxNameLen || !examhall.ValidText(v.Name) {
		v.Field["name"] = v.T("audio.err.name", examhall.MaxNameLen)
		v.Errors = append(v.Errors, fieldError{Field: "audio-name", Message: v.Field["name"]})
	}
	classify, err := strconv.Atoi(v.Classify)
	if err != nil || classify < 0 || classify > 1000 {
		v.Field["classify"] = v.T("audio.err.classify")
		v.Errors = append(v.Errors, fieldError{Field: "audio-classify", Message: v.Field["classify"]})
	}
	if u, err := url.Parse(v.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(v.URL) > 2048 {
		v.Field["url"] = v.T("audio.err.url")
		v.Errors = append(v.Errors, fieldError{Field: "audio-url", Message: v.Field["url"]})
	}
	if len(v.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "audio", v)
		return nil
	}
	if err := s.Audio.CreateAudio(r.Context(), &examhall.Audio{Name: v.Name, Classify: classify, URL: v.URL}); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/audio?done=1", http.StatusSeeOther)
	return nil
}
