package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"examhall"
	"examhall/httpapi"
)

// liveRoutes lists the routes of the proctoring pages: the candidate's
// device check, snapshots and signals, and the invigilator's live room.
func (s *Server) liveRoutes() []route {
	return []route{
		{pattern: "GET /v5/exam/{id}/check", h: s.devicePage, access: signedIn},
		{pattern: "POST /attempts/{id}/snapshots", h: s.addSnapshot, access: signedIn, json: true},
		{pattern: "POST /attempts/{id}/signals", h: s.addSignal, access: signedIn, json: true},
		{pattern: "GET /snapshots/{id}", h: s.snapshot, access: signedIn},
		{pattern: "GET /vendor/face-api/{file...}", h: s.faceAPI, access: public},

		{pattern: "GET /rooms/{id}/live", h: s.livePage, access: staffOnly},
		{pattern: "POST /rooms/{id}/messages", h: s.sendMessage, access: staffOnly, json: true},
		{pattern: "POST /rooms/{id}/end", h: s.endRoom, access: staffOnly},
		{pattern: "POST /attempts/{id}/extend", h: s.extendAttempt, access: staffOnly, json: true},
		{pattern: "POST /attempts/{id}/force-submit", h: s.forceSubmit, access: staffOnly, json: true},
		{pattern: "GET /attempts/{id}/timeline", h: s.timelinePage, access: staffOnly},
	}
}

// proctoring is how an exam is proctored for one candidate: its settings
// and the room the candidate sits in ("" for an exam proctored without one).
type proctoring struct {
	examhall.Proctoring
	RoomID string
}

// proctoringFor returns how e is proctored for userID, or nil when it is
// not: an exam is proctored when the candidate is on the roster of one of
// its rooms or its proctoring is enabled.
func (s *Server) proctoringFor(ctx context.Context, e *examhall.Exam, userID string) (*proctoring, error) {
	if s.Proctor == nil {
		return nil, nil
	}
	rooms, _, err := s.Rooms.FindRooms(ctx, examhall.RoomFilter{ExamID: e.ID, UserID: userID, Limit: 1})
	if err != nil {
		return nil, err
	}
	p := &proctoring{Proctoring: e.Proctoring}
	if len(rooms) > 0 {
		p.RoomID = rooms[0].ID
	} else if !e.Proctoring.Enabled {
		return nil, nil
	}
	return p, nil
}

// deviceView is the device check before a proctored attempt.
type deviceView struct {
	Page
	Exam       *examhall.Exam
	Proctoring *proctoring
	FaceAPI    bool              // the face detector is served (npm ci was run)
	Messages   map[string]string // the script's texts
}

// devicePage checks the camera and has the candidate accept the rules
// before a proctored attempt starts.
func (s *Server) devicePage(w http.ResponseWriter, r *http.Request) error {
	c, err := callerOf(r.Context())
	if err != nil {
		return err
	}
	v, err := s.examView(w, r, c)
	if err != nil {
		return err
	}
	if v.Resume != "" {
		http.Redirect(w, r, "/attempts/"+v.Resume, http.StatusSeeOther)
		return nil
	}
	if !v.CanStart || v.Proctoring == nil {
		http.Redirect(w, r, "/v5/exam/"+v.Exam.ID, http.StatusSeeOther)
		return nil
	}
	p := v.Page
	p.Title = p.T("device.title")
	msgs := map[string]string{}
	for _, k := range []string{"waiting", "ok", "denied", "unsupported", "needed"} {
		msgs[k] = p.T("device.camera." + k)
	}
	s.render(w, r, http.StatusOK, "device", &deviceView{Page: p, Exam: v.Exam, Proctoring: v.Proctoring,
		FaceAPI: s.faceAPIDir() != "", Messages: msgs})
	return nil
}

// addSnapshot stores a camera snapshot of the caller's attempt: the body is
// the JPEG.
func (s *Server) addSnapshot(w http.ResponseWriter, r *http.Request) error {
	if s.Proctor == nil {
		return errNoProctoring
	}
	b, err := httpapi.ReadJPEG(w, r, examhall.MaxSnapshotBytes)
	if err != nil {
		return err
	}
	snap, err := s.Proctor.AddSnapshot(r.Context(), r.PathValue("id"), b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": snap.ID})
	return nil
}

// addSignal records a signal of the caller's attempt; the pages send them
// over the WebSocket and fall back to this when it is down.
func (s *Server) addSignal(w http.ResponseWriter, r *http.Request) error {
	if s.Proctor == nil {
		return errNoProctoring
	}
	var sig examhall.Signal
	if err := httpapi.DecodeStrictJSON(w, r, &sig); err != nil {
		return err
	}
	res, err := s.Proctor.RecordSignal(r.Context(), r.PathValue("id"), sig)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// snapshot serves a snapshot to the staff of its room and its candidate.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) error {
	if s.Proctor == nil {
		return errNoProctoring
	}
	_, rc, err := s.Proctor.OpenSnapshot(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Cache-Control", "private, max-age=86400") // a snapshot never changes
	_, err = io.Copy(w, rc)
	if err != nil {
		s.log().Warn("sending a snapshot", "err", err)
	}
	return nil
}

// faceAPIDir returns the directory of @vladmandic/face-api (its dist/ and
// model/), or "" when it is not installed.
func (s *Server) faceAPIDir() string {
	if s.FaceAPIDir == "" {
		return ""
	}
	if fi, err := os.Stat(filepath.Join(s.FaceAPIDir, "model")); err != nil || !fi.IsDir() {
		return ""
	}
	return s.FaceAPIDir
}

// faceAPI serves the face detector's script and model weights, only those.
func (s *Server) faceAPI(w http.ResponseWriter, r *http.Request) error {
	dir := s.faceAPIDir()
	file := path.Clean("/" + r.PathValue("file"))[1:]
	allowed := file == "dist/face-api.js" || (strings.HasPrefix(file, "model/tiny_face_detector_model") && !strings.Contains(file, ".."))
	if dir == "" || !allowed {
		return examhall.Errorf(examhall.ENOTFOUND, "no such file")
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.ServeFile(w, r, filepath.Join(dir, filepath.FromSlash(file)))
	return nil
}

// liveView is an invigilator's live page of a room.
type liveView struct {
	Page
	Live    *examhall.RoomLive
	Tiles   []liveTile
	Script  liveScript
	Ended   bool
	Flagged int
	Online  int
}

// liveTile is one candidate's tile.
type liveTile struct {
	*examhall.LiveMember
	Online     bool
	LeftSecs   int // time left, for an attempt in progress
	InProgress bool
}

// liveScript is what the live page's script starts from.
type liveScript struct {
	RoomID     string            `json:"roomId"`
	LastSeq    int64             `json:"lastSeq"` // the events shown; the WebSocket resumes after it
	ServerTime int64             `json:"serverTime"`
	Messages   map[string]string `json:"messages"`
}

var liveMessages = []string{
	"live.online", "live.offline", "live.submitted", "live.sent", "live.failed", "live.connecting",
	"live.connected", "live.reconnecting", "live.signal.switch", "live.signal.fullscreen_exit",
	"live.signal.copy", "live.signal.paste", "live.signal.print", "live.signal.no_face",
	"live.signal.multi_face", "live.timeLeft", "live.extended", "live.confirmSubmit", "live.ended",
	"live.minutesPrompt", "live.notStarted", "live.counts", "rooms.ended",
}

// livePage shows a room live: one tile per candidate, the feed of signals,
// and the invigilator's actions.
func (s *Server) livePage(w http.ResponseWriter, r *http.Request) error {
	if s.Proctor == nil {
		return errNoProctoring
	}
	// The newest event before the state is read: the page replays what
	// comes after it, so nothing falls between the two.
	var last int64
	if s.LastEventSeq != nil {
		var err error
		if last, err = s.LastEventSeq(r.Context()); err != nil {
			return err
		}
	}
	live, err := s.Proctor.Live(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = live.Room.Name
	v := &liveView{Page: p, Live: live, Ended: live.Room.Status == examhall.RoomEnded,
		Script: liveScript{RoomID: live.Room.ID, LastSeq: last, ServerTime: live.At.UnixMilli(), Messages: map[string]string{}}}
	for _, m := range live.Members {
		t := liveTile{LiveMember: m, Online: m.UserStatus == examhall.UserPublishing || (s.Online != nil && s.Online(live.Room.ID, m.UserID)),
			InProgress: m.Status == examhall.AttemptInProgress}
		if t.InProgress && m.Deadline.After(live.At) {
			t.LeftSecs = int(m.Deadline.Sub(live.At) / time.Second)
		}
		if t.Online {
			v.Online++
		}
		if m.Cheats > 0 {
			v.Flagged++
		}
		v.Tiles = append(v.Tiles, t)
	}
	for _, k := range liveMessages {
		v.Script.Messages[k] = p.T(k)
	}
	s.render(w, r, http.StatusOK, "live", v)
	return nil
}

// sendMessage sends an invigilator's message to one candidate or the room.
func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) error {
	if s.Proctor == nil {
		return errNoProctoring
	}
	var req struct {
		UserID string `json:"userId"` // "" for the whole room
		Text   string `json:"text"`
	}
	if err := httpapi.DecodeStrictJSON(w, r, &req); err != nil {
		return err
	}
	req.Text = strings.TrimSpace(req.Text)
	if req.Text == "" || utf8.RuneCountInString(req.Text) > 500 {
		return examhall.Errorf(examhall.EINVALID, "text is required, at most 500 characters")
	}
	act, err := s.Proctor.SendMessage(r.Context(), r.PathValue("id"), req.UserID, req.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, act)
	return nil
}

// extendAttempt adds minutes to a candidate's attempt in progress.
func (s *Server) extendAttempt(w http.ResponseWriter, r *http.Request) error {
	if s.Proctor == nil {
		return errNoProctoring
	}
	var req struct {
		Minutes int `json:"minutes"`
	}
	if err := httpapi.DecodeStrictJSON(w, r, &req); err != nil {
		return err
	}
	a, err := s.Proctor.ExtendAttempt(r.Context(), r.PathValue("id"), req.Minutes)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deadline": a.Deadline.UnixMilli()})
	return nil
}

// forceSubmit submits a candidate's attempt in progress.
func (s *Server) forceSubmit(w http.ResponseWriter, r *http.Request) error {
	if s.Proctor == nil {
		return errNoProctoring
	}
	a, err := s.Proctor.ForceSubmit(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": string(a.Status)})
	return nil
}

// endRoom ends a room (the form confirms first) and submits its attempts
// in progress.
func (s *Server) endRoom(w http.ResponseWriter, r *http.Request) error {
	if s.Proctor == nil {
		return errNoProctoring
	}
	if r.PostFormValue("confirm") != "yes" {
		return examhall.Errorf(examhall.EINVALID, "confirm ending the room")
	}
	room, _, err := s.Proctor.EndRoom(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/rooms/"+room.ID+"/live", http.StatusSeeOther)
	return nil
}

// timelineView is the replay of one attempt: its signals, snapshots and the
// staff's actions in time order.
type timelineView struct {
	Page
	AttemptID string
	Entries   []*examhall.TimelineEntry
}

// timelinePage shows an attempt's evidence to the staff of its room.
func (s *Server) timelinePage(w http.ResponseWriter, r *http.Request) error {
	if s.Proctor == nil {
		return errNoProctoring
	}
	id := r.PathValue("id")
	entries, err := s.Proctor.Timeline(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = p.T("timeline.title")
	s.render(w, r, http.StatusOK, "timeline", &timelineView{Page: p, AttemptID: id, Entries: entries})
	return nil
}

// progress announces an attempt's number of answered questions to its
// room's staff when a save changed it (before nil: it just started).
func (s *Server) progress(ctx context.Context, before, after *examhall.Attempt, total int) {
	if s.Publisher == nil {
		return
	}
	n := answeredCount(after.Answers)
	if before != nil && n == answeredCount(before.Answers) {
		return
	}
	rooms, _, err := s.Rooms.FindRooms(ctx, examhall.RoomFilter{ExamID: after.ExamID, UserID: after.UserID, Limit: 1})
	if err != nil || len(rooms) == 0 {
		return
	}
	data, _ := json.Marshal(map[string]any{"attemptId": after.ID, "answered": n, "total": total, "deadline": after.Deadline})
	e := &examhall.Event{ExamID: after.ExamID, RoomID: rooms[0].ID, UserID: after.UserID, Type: examhall.EventProgress, Data: data}
	if err := s.Publisher.Publish(ctx, e); err != nil {
		s.log().Warn("publishing a progress event", "err", err)
	}
}

// answeredCount counts the answers that say something.
func answeredCount(answers map[string]examhall.Answer) int {
	n := 0
	for _, a := range answers {
		if len(a.Choices) > 0 || a.Bool != nil || strings.TrimSpace(a.Text) != "" || anyBlank(a.Blanks) {
			n++
		}
	}
	return n
}

func anyBlank(bs []string) bool {
	for _, b := range bs {
		if strings.TrimSpace(b) != "" {
			return true
		}
	}
	return false
}

var errNoProctoring = examhall.Errorf(examhall.EUNAVAILABLE, "proctoring is not available on this server")

// writeJSON writes v as JSON, never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, status, v)
}

// proctorMessages are the locale keys the proctoring script shows.
var proctorMessages = []string{
	"proctor.switches", "proctor.switchesLimit", "proctor.cameraOff", "proctor.cameraOn", "proctor.limitSubmitted",
	"proctor.message", "proctor.timeAdded", "proctor.forced", "proctor.roomEnded", "proctor.violation",
	"proctor.fullscreenNeeded", "proctor.warnLeave", "proctor.noFace", "proctor.multiFace", "proctor.copyBlocked",
}

// proctorScript is the proctoring part of a take page's script data.
func (s *Server) proctorScript(ctx context.Context, a *examhall.Attempt, p *proctoring) (*proctorScript, error) {
	ps := &proctorScript{
		ExamID: a.ExamID, RoomID: p.RoomID, SwitchLimit: p.SwitchLimit, SwitchMaxSeconds: p.SwitchMaxSeconds,
		RequireFullscreen: p.RequireFullscreen, SnapshotSeconds: p.SnapshotSeconds,
		FaceCheck: p.FaceCheck && s.faceAPIDir() != "",
	}
	if ps.SnapshotSeconds <= 0 {
		ps.SnapshotSeconds = examhall.DefaultSnapshotSeconds
	}
	if s.LastEventSeq != nil {
		var err error
		if ps.LastSeq, err = s.LastEventSeq(ctx); err != nil {
			return nil, err
		}
	}
	return ps, nil
}
