// Package proctor runs examhall's own proctoring: the candidates' camera
// snapshots and page signals (examhall.SignalRecorder), the invigilators'
// actions (messages, extra time, forced submits, ending a room), an
// attempt's timeline of evidence and the live state of a room. It works
// over the domain interfaces only; every change is stored first, then
// appended as an examhall.Event and published to the connected pages.
package proctor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"examhall"
)

// Limits of staff actions and signals.
const (
	MaxMessageLen     = 2000 // runes of one message
	MaxExtendMinutes  = 600  // added by one extension
	MaxSignalSeconds  = 86400
	MaxSnapshotPixels = 4096 // width or height of one snapshot
)

// Service is the proctoring service. Each event is appended to Events (when
// set) and then published; leave Events nil when the Publisher stores
// events itself (hub.Hub does, to deliver them in Seq order). Both may be
// nil: the changes are then only stored (no replay, no live pages).
type Service struct {
	Exams     examhall.ExamService
	Attempts  examhall.AttemptService
	Rooms     examhall.RoomService
	Store     examhall.ProctorStore
	Blobs     examhall.BlobStore
	Events    examhall.EventService
	Publisher examhall.Publisher
	Policy    examhall.Policy

	Now func() time.Time // defaults to time.Now
	Log *slog.Logger     // defaults to slog.Default()
}

var _ examhall.ProctorService = (*Service)(nil)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func callerOf(ctx context.Context) (*examhall.Caller, error) {
	c := examhall.CallerFromContext(ctx)
	if c == nil || c.User == nil {
		return nil, examhall.Errorf(examhall.EUNAUTHORIZED, "authentication required")
	}
	return c, nil
}

// emit appends e to the event store and publishes it. The change it
// announces is already stored, so a failure here is logged, not returned:
// the pages catch up from the store when they reconnect. It does not stop
// when the request's context is cancelled.
func (s *Service) emit(ctx context.Context, e *examhall.Event, data any) {
	ctx = context.WithoutCancel(ctx)
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			s.log().Error("proctor: encode event", "type", e.Type, "err", err)
			return
		}
		e.Data = b
	}
	if s.Events != nil {
		if err := s.Events.AppendEvent(ctx, e); err != nil {
			s.log().Error("proctor: append event", "type", e.Type, "room", e.RoomID, "err", err)
			return
		}
	} else {
		e.CreatedAt = s.now().UTC()
	}
	if s.Publisher != nil {
		if err := s.Publisher.Publish(ctx, e); err != nil {
			s.log().Error("proctor: publish event", "type", e.Type, "room", e.RoomID, "err", err)
		}
	}
}

// submitEvent is the data of an EventSubmit.
type submitEvent struct {
	AttemptID string                `json:"attemptId"`
	Reason    examhall.SubmitReason `json:"reason"`
}

// submit closes an attempt for one of proctoring's reasons
// (examhall.SubmitSwitchLimit, SubmitInvigilator) and announces it. Every
// submit of this package goes through here, so the reason reaches the
// attempt service (and its attempt.submitted webhook) in one place.
func (s *Service) submit(ctx context.Context, a *examhall.Attempt, roomID string, reason examhall.SubmitReason) (*examhall.Attempt, error) {
	closed, err := s.Attempts.SubmitAttempt(ctx, a.ID, reason, s.now())
	if err != nil {
		return nil, err
	}
	s.emit(ctx, &examhall.Event{ExamID: a.ExamID, RoomID: roomID, UserID: a.UserID, Type: examhall.EventSubmit},
		submitEvent{AttemptID: a.ID, Reason: reason})
	return closed, nil
}

// roomOf returns the room of the exam the candidate is on the roster of
// (the oldest when several), or nil when there is none.
func (s *Service) roomOf(ctx context.Context, examID, userID string) (*examhall.Room, error) {
	rooms, _, err := s.Rooms.FindRooms(ctx, examhall.RoomFilter{ExamID: examID, UserID: userID})
	if err != nil || len(rooms) == 0 {
		return nil, err
	}
	return rooms[len(rooms)-1], nil // newest first
}

// ownAttempt returns the caller's own attempt in progress, its room (nil
// when the exam has none) and, when needExam is set or there is no room,
// its exam, checking the exam is proctored.
func (s *Service) ownAttempt(ctx context.Context, attemptID string, needExam bool) (*examhall.Attempt, *examhall.Exam, *examhall.Room, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	a, err := s.Attempts.FindAttemptByID(ctx, attemptID)
	if err != nil {
		return nil, nil, nil, err
	}
	if a.UserID != c.ID {
		return nil, nil, nil, examhall.Errorf(examhall.EFORBIDDEN, "attempt %q is another candidate's", attemptID)
	}
	if a.Status != examhall.AttemptInProgress {
		return nil, nil, nil, examhall.Errorf(examhall.ECONFLICT, "attempt %q is no longer in progress", attemptID)
	}
	r, err := s.roomOf(ctx, a.ExamID, a.UserID)
	if err != nil {
		return nil, nil, nil, err
	}
	if c.RoomID != "" && (r == nil || r.ID != c.RoomID) {
		return nil, nil, nil, examhall.Errorf(examhall.EFORBIDDEN, "this token is for another room")
	}
	var e *examhall.Exam
	if needExam || r == nil {
		if e, err = s.Exams.FindExamByID(ctx, a.ExamID); err != nil {
			return nil, nil, nil, err
		}
	}
	if r == nil && !e.Proctoring.Enabled {
		return nil, nil, nil, examhall.Errorf(examhall.ECONFLICT, "exam %q is not proctored: it has no room and proctoring is off", e.ID)
	}
	return a, e, r, nil
}

// staffAttempt returns an attempt and the ID of its room ("" without one)
// when the caller manages that room (or the exam, when it has no room).
func (s *Service) staffAttempt(ctx context.Context, attemptID string) (*examhall.Attempt, string, error) {
	if _, err := callerOf(ctx); err != nil {
		return nil, "", err
	}
	a, err := s.Attempts.FindAttemptByID(ctx, attemptID)
	if err != nil {
		return nil, "", err
	}
	r, err := s.roomOf(ctx, a.ExamID, a.UserID)
	if err != nil {
		return nil, "", err
	}
	if r == nil {
		return a, "", s.Policy.Exam(ctx, a.ExamID, true)
	}
	if _, err := s.Policy.Room(ctx, r.ID, true); err != nil {
		return nil, "", err
	}
	return a, r.ID, nil
}

// record stores a staff action by the caller.
func (s *Service) record(ctx context.Context, act *examhall.Action) error {
	c, err := callerOf(ctx)
	if err != nil {
		return err
	}
	act.ActorID = c.ID
	return s.Store.CreateAction(ctx, act)
}

// signalTypes are the signals the pages may report.
var signalTypes = map[examhall.SignalType]bool{
	examhall.SignalSwitch: true, examhall.SignalFullscreenExit: true, examhall.SignalCopy: true,
	examhall.SignalPaste: true, examhall.SignalPrint: true, examhall.SignalNoFace: true, examhall.SignalMultiFace: true,
}

// signalInfo is the extraInfo of a signal's cheat record.
type signalInfo struct {
	Seconds    float64 `json:"seconds,omitempty"`
	SnapshotID string  `json:"snapshotId,omitempty"`
	Violation  bool    `json:"violation,omitempty"`
	AttemptID  string  `json:"attemptId"`
}

// cheatEvent is the data of an EventCheat.
type cheatEvent struct {
	ID         int64     `json:"id"` // the cheat record
	AttemptID  string    `json:"attemptId"`
	UserID     string    `json:"userId"`
	DetectType string    `json:"detectType"`
	At         time.Time `json:"at"`
	Seconds    float64   `json:"seconds,omitempty"`
	SnapshotID string    `json:"snapshotId,omitempty"`
	Violation  bool      `json:"violation,omitempty"`
	Switches   int       `json:"switches"`
}

// RecordSignal records a signal of the caller's own attempt: a cheat record
// (detectType the signal type, detectTime when it began, extraInfo its
// duration, snapshot and whether it was a violation), the attempt's switch
// count, an EventCheat for the room's staff and, when the exam's switch
// limit is reached, the attempt's submission (reason "switch_limit"). A
// time more than a minute off the server's clock is replaced by the
// server's.
func (s *Service) RecordSignal(ctx context.Context, attemptID string, sig examhall.Signal) (*examhall.SignalResult, error) {
	if !signalTypes[sig.Type] {
		return nil, examhall.Errorf(examhall.EINVALID, "unknown signal type %q", sig.Type)
	}
	if math.IsNaN(sig.Seconds) || sig.Seconds < 0 || sig.Seconds > MaxSignalSeconds {
		return nil, examhall.Errorf(examhall.EINVALID, "seconds must be from 0 to %d", MaxSignalSeconds)
	}
	if sig.SnapshotID != "" && !validID(sig.SnapshotID) {
		return nil, examhall.Errorf(examhall.EINVALID, "snapshotId %q is not a snapshot id", sig.SnapshotID)
	}
	a, e, room, err := s.ownAttempt(ctx, attemptID, true)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	at := sig.At.UTC()
	if at.IsZero() || at.After(now.Add(time.Minute)) || at.Before(a.BeginTime.Add(-time.Minute)) {
		at = now
	}
	isSwitch := sig.Type == examhall.SignalSwitch
	violation := isSwitch && e.Proctoring.SwitchMaxSeconds > 0 && sig.Seconds > float64(e.Proctoring.SwitchMaxSeconds)
	info, _ := json.Marshal(signalInfo{Seconds: sig.Seconds, SnapshotID: sig.SnapshotID, Violation: violation, AttemptID: a.ID})
	roomID := ""
	if room != nil {
		roomID = room.ID
	}
	rec := &examhall.CheatRecord{RoomID: roomID, DetectType: string(sig.Type), IsMainMonitor: true,
		DetectTime: at.UnixMilli(), ExtraInfo: string(info)}
	switches, err := s.Store.RecordSignal(ctx, &examhall.SignalRecord{AttemptID: a.ID, UserID: a.UserID, Record: rec, Switch: isSwitch})
	if err != nil {
		return nil, err
	}
	s.emit(ctx, &examhall.Event{ExamID: a.ExamID, RoomID: roomID, UserID: a.UserID, Type: examhall.EventCheat}, cheatEvent{
		ID: rec.ID, AttemptID: a.ID, UserID: a.UserID, DetectType: rec.DetectType, At: at, Seconds: sig.Seconds,
		SnapshotID: sig.SnapshotID, Violation: violation, Switches: switches})
	res := &examhall.SignalResult{Switches: switches, Violation: violation}
	if isSwitch && e.Proctoring.SwitchLimit > 0 && switches >= e.Proctoring.SwitchLimit {
		_, err := s.submit(ctx, a, roomID, examhall.SubmitSwitchLimit)
		switch examhall.ErrorCode(err) {
		case "":
			res.Submitted = true
		case examhall.ECONFLICT: // closed meanwhile (deadline, staff): nothing to do
		default:
			return nil, err
		}
	}
	return res, nil
}

// validID reports whether id looks like an examhall ID: 1 to 64 lowercase
// hex digits, letters, digits, '-' or '_'.
func validID(id string) bool {
	if id == "" || len(id) > examhall.MaxIDLen {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// CheckJPEG checks that b is a JPEG of at most examhall.MaxSnapshotBytes
// whose header decodes, with sane dimensions.
func CheckJPEG(b []byte) error {
	switch {
	case len(b) == 0:
		return examhall.Errorf(examhall.EINVALID, "the snapshot is empty: send the JPEG as the body (Content-Type: image/jpeg)")
	case len(b) > examhall.MaxSnapshotBytes:
		return examhall.Errorf(examhall.ETOOLARGE, "a snapshot is at most %d bytes", examhall.MaxSnapshotBytes)
	case len(b) < 3 || b[0] != 0xFF || b[1] != 0xD8 || b[2] != 0xFF:
		return examhall.Errorf(examhall.EINVALID, "the snapshot is not a JPEG")
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return examhall.Errorf(examhall.EINVALID, "the snapshot is not a valid JPEG: %v", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxSnapshotPixels || cfg.Height > MaxSnapshotPixels {
		return examhall.Errorf(examhall.EINVALID, "a snapshot is 1 to %d pixels wide and high, not %d×%d", MaxSnapshotPixels, cfg.Width, cfg.Height)
	}
	return nil
}

// snapshotEvent is the data of an EventSnapshot.
type snapshotEvent struct {
	ID        string    `json:"id"`
	AttemptID string    `json:"attemptId"`
	UserID    string    `json:"userId"`
	TakenAt   time.Time `json:"takenAt"`
}

// AddSnapshot stores a JPEG of the caller's own attempt in progress: its
// record first (which enforces one per MinSnapshotInterval, also across
// replicas), then the blob; a failed blob write removes the record.
func (s *Service) AddSnapshot(ctx context.Context, attemptID string, b []byte) (*examhall.Snapshot, error) {
	if err := CheckJPEG(b); err != nil {
		return nil, err
	}
	a, _, room, err := s.ownAttempt(ctx, attemptID, false)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	snap := &examhall.Snapshot{ID: examhall.NewID(12), AttemptID: a.ID, UserID: a.UserID, TakenAt: now, Size: int64(len(b))}
	if room != nil {
		snap.RoomID = room.ID
	}
	snap.Key = "snapshots/" + now.Format("2006/01/02") + "/" + snap.ID + ".jpg"
	if err := s.Store.CreateSnapshot(ctx, snap); err != nil {
		return nil, err
	}
	if err := s.Blobs.Put(ctx, snap.Key, bytes.NewReader(b), snap.Size, "image/jpeg"); err != nil {
		if derr := s.Store.DeleteSnapshot(context.WithoutCancel(ctx), snap.ID); derr != nil {
			s.log().Error("proctor: remove the record of an unwritten snapshot", "snapshot", snap.ID, "err", derr)
		}
		return nil, fmt.Errorf("store snapshot: %w", err)
	}
	s.emit(ctx, &examhall.Event{ExamID: a.ExamID, RoomID: snap.RoomID, UserID: a.UserID, Type: examhall.EventSnapshot},
		snapshotEvent{ID: snap.ID, AttemptID: a.ID, UserID: a.UserID, TakenAt: snap.TakenAt})
	return snap, nil
}

// OpenSnapshot returns a snapshot for its candidate, the staff managing its
// room (its exam, without a room) and administrators.
func (s *Service) OpenSnapshot(ctx context.Context, id string) (*examhall.Snapshot, io.ReadCloser, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	snap, err := s.Store.FindSnapshotByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case c.ID == snap.UserID && (c.RoomID == "" || c.RoomID == snap.RoomID):
	case snap.RoomID != "":
		if _, err := s.Policy.Room(ctx, snap.RoomID, true); err != nil {
			return nil, nil, err
		}
	default:
		if err := s.Policy.Exam(ctx, snap.ExamID, true); err != nil {
			return nil, nil, err
		}
	}
	rc, err := s.Blobs.Open(ctx, snap.Key)
	if err != nil {
		return nil, nil, err
	}
	return snap, rc, nil
}

// messageEvent is the data of an EventMessage.
type messageEvent struct {
	ID       string `json:"id"` // the action
	From     string `json:"from"`
	FromName string `json:"fromName"`
	Text     string `json:"text"`
}

// SendMessage sends text from the caller, who manages the room, to one
// examinee of its roster or (userID "") to everyone in it.
func (s *Service) SendMessage(ctx context.Context, roomID, userID, text string) (*examhall.Action, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return nil, examhall.Errorf(examhall.EINVALID, "text is required")
	case !examhall.ValidText(text):
		return nil, examhall.Errorf(examhall.EINVALID, "text must be UTF-8 without NUL characters")
	case utf8.RuneCountInString(text) > MaxMessageLen:
		return nil, examhall.Errorf(examhall.EINVALID, "text is longer than %d characters", MaxMessageLen)
	case strings.IndexFunc(text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
		return nil, examhall.Errorf(examhall.EINVALID, "text contains a control character")
	}
	r, err := s.Policy.Room(ctx, roomID, true)
	if err != nil {
		return nil, err
	}
	if userID != "" {
		m, err := s.Rooms.FindMember(ctx, roomID, userID)
		if examhall.ErrorCode(err) == examhall.ENOTFOUND || (err == nil && m.Role != examhall.RoleExaminee) {
			return nil, examhall.Errorf(examhall.EINVALID, "userId %q is not an examinee of this room", userID)
		} else if err != nil {
			return nil, err
		}
	}
	act := &examhall.Action{Type: examhall.ActionMessage, ExamID: r.ExamID, RoomID: r.ID, UserID: userID, Detail: text}
	if err := s.record(ctx, act); err != nil {
		return nil, err
	}
	c, _ := callerOf(ctx)
	s.emit(ctx, &examhall.Event{ExamID: r.ExamID, RoomID: r.ID, UserID: userID, Type: examhall.EventMessage},
		messageEvent{ID: act.ID, From: c.ID, FromName: c.Name, Text: text})
	return act, nil
}

// timeEvent is the data of an EventTime.
type timeEvent struct {
	AttemptID string    `json:"attemptId"`
	Deadline  time.Time `json:"deadline"`
	Minutes   int       `json:"minutes"`
}

// ExtendAttempt adds minutes (1 to MaxExtendMinutes) to an attempt in
// progress. The new deadline may pass the end of the exam's window: adding
// time for one candidate is what the invigilator asked for, and the
// window bounds only when attempts may start.
func (s *Service) ExtendAttempt(ctx context.Context, attemptID string, minutes int) (*examhall.Attempt, error) {
	if minutes < 1 || minutes > MaxExtendMinutes {
		return nil, examhall.Errorf(examhall.EINVALID, "minutes must be from 1 to %d", MaxExtendMinutes)
	}
	a, roomID, err := s.staffAttempt(ctx, attemptID)
	if err != nil {
		return nil, err
	}
	a, err = s.Store.ExtendAttempt(ctx, a.ID, time.Duration(minutes)*time.Minute)
	if err != nil {
		return nil, err
	}
	act := &examhall.Action{Type: examhall.ActionExtend, ExamID: a.ExamID, RoomID: roomID, AttemptID: a.ID, UserID: a.UserID,
		Detail: strconv.Itoa(minutes)}
	if err := s.record(ctx, act); err != nil {
		return nil, err
	}
	s.emit(ctx, &examhall.Event{ExamID: a.ExamID, RoomID: roomID, UserID: a.UserID, Type: examhall.EventTime},
		timeEvent{AttemptID: a.ID, Deadline: a.Deadline, Minutes: minutes})
	return a, nil
}

// ForceSubmit submits an attempt in progress for the staff of its room
// (reason "invigilator").
func (s *Service) ForceSubmit(ctx context.Context, attemptID string) (*examhall.Attempt, error) {
	a, roomID, err := s.staffAttempt(ctx, attemptID)
	if err != nil {
		return nil, err
	}
	if a.Status != examhall.AttemptInProgress {
		return nil, examhall.Errorf(examhall.ECONFLICT, "attempt %q is no longer in progress", a.ID)
	}
	closed, err := s.submit(ctx, a, roomID, examhall.SubmitInvigilator)
	if err != nil {
		return nil, err
	}
	act := &examhall.Action{Type: examhall.ActionForceSubmit, ExamID: a.ExamID, RoomID: roomID, AttemptID: a.ID, UserID: a.UserID}
	if err := s.record(ctx, act); err != nil {
		return nil, err
	}
	return closed, nil
}

// EndRoom ends the room (status ended, audio silent, as the vendor's
// endRoom does) and submits every attempt in progress of its examinees in
// its exam (reason "invigilator": staff closed them; the room.ended event
// says why): an invigilator ending the room means the sitting is over. Ending an ended room submits what is still open and is
// otherwise harmless.
func (s *Service) EndRoom(ctx context.Context, roomID string) (*examhall.Room, int, error) {
	r, err := s.Policy.Room(ctx, roomID, true)
	if err != nil {
		return nil, 0, err
	}
	ended, silent := examhall.RoomEnded, examhall.AudioSilent
	r, err = s.Rooms.UpdateRoom(ctx, r.ID, examhall.RoomUpdate{Status: &ended, AudioStatus: &silent})
	if err != nil {
		return nil, 0, err
	}
	role := examhall.RoleExaminee
	members, err := s.Rooms.FindMembers(ctx, r.ID, &role)
	if err != nil {
		return nil, 0, err
	}
	n := 0
	inProgress := examhall.AttemptInProgress
	for _, m := range members {
		as, _, err := s.Attempts.FindAttempts(ctx, examhall.AttemptFilter{ExamID: r.ExamID, UserID: m.UserID, Status: &inProgress})
		if err != nil {
			return nil, 0, err
		}
		for _, a := range as {
			_, err := s.submit(ctx, a, r.ID, examhall.SubmitRoomEnded)
			switch examhall.ErrorCode(err) {
			case "":
				n++
			case examhall.ECONFLICT: // submitted meanwhile
			default:
				return nil, n, err
			}
		}
	}
	act := &examhall.Action{Type: examhall.ActionEndRoom, ExamID: r.ExamID, RoomID: r.ID, Detail: strconv.Itoa(n)}
	if err := s.record(ctx, act); err != nil {
		return nil, n, err
	}
	s.emit(ctx, &examhall.Event{ExamID: r.ExamID, RoomID: r.ID, Type: examhall.EventRoomEnded}, struct{}{})
	return r, n, nil
}

// Timeline returns an attempt's signals, snapshots and staff actions,
// oldest first, for the staff of its room.
func (s *Service) Timeline(ctx context.Context, attemptID string) ([]*examhall.TimelineEntry, error) {
	a, _, err := s.staffAttempt(ctx, attemptID)
	if err != nil {
		return nil, err
	}
	return s.Store.FindTimeline(ctx, a.ID)
}

// Live returns the room's live state for the staff managing it.
func (s *Service) Live(ctx context.Context, roomID string) (*examhall.RoomLive, error) {
	r, err := s.Policy.Room(ctx, roomID, true)
	if err != nil {
		return nil, err
	}
	e, err := s.Exams.FindExamByID(ctx, r.ExamID)
	if err != nil {
		return nil, err
	}
	members, err := s.Store.FindLiveMembers(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	if members == nil {
		members = []*examhall.LiveMember{}
	}
	return &examhall.RoomLive{Room: r, Exam: e, Members: members, At: s.now().UTC()}, nil
}

// Discard is a Publisher that drops every event: for a process without
// live pages. It is safe for concurrent use.
type Discard struct{}

// Publish drops e.
func (Discard) Publish(context.Context, *examhall.Event) error { return nil }
