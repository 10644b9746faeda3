package examhall

import (
	"context"
	"io"
	"time"
)

// Bounds of the proctoring settings (Proctoring.Validate).
const (
	MaxSwitchLimit         = 1000
	MaxSwitchMaxSeconds    = 3600
	MinSnapshotSeconds     = 5
	MaxSnapshotSeconds     = 3600
	DefaultSnapshotSeconds = 30
)

// Proctoring holds an exam's proctoring settings: what the candidate's page
// watches and what the server does about it. An exam is proctored when it
// has a room or Enabled is set.
type Proctoring struct {
	// Enabled proctors the exam's attempts even without a room: the pages
	// take snapshots and report signals.
	Enabled bool `json:"enabled"`
	// SwitchLimit submits the attempt when the candidate has left the page
	// that many times; 0 turns the limit off.
	SwitchLimit int `json:"switchLimit"`
	// SwitchMaxSeconds: one absence longer than this is a violation whatever
	// the count; 0 turns it off.
	SwitchMaxSeconds int `json:"switchMaxSeconds"`
	// RequireFullscreen makes leaving fullscreen a signal.
	RequireFullscreen bool `json:"requireFullscreen"`
	// SnapshotSeconds is the interval of the camera snapshots.
	SnapshotSeconds int `json:"snapshotSeconds"`
	// FaceCheck runs the in-browser face detection (no face, several faces).
	FaceCheck bool `json:"faceCheck"`
}

// DefaultProctoring is the settings of a new exam.
func DefaultProctoring() Proctoring {
	return Proctoring{SnapshotSeconds: DefaultSnapshotSeconds}
}

// Validate checks the bounds, naming the field that is out of them.
func (p Proctoring) Validate() error {
	switch {
	case p.SwitchLimit < 0 || p.SwitchLimit > MaxSwitchLimit:
		return Errorf(EINVALID, "proctoring.switchLimit must be from 0 (off) to %d", MaxSwitchLimit)
	case p.SwitchMaxSeconds < 0 || p.SwitchMaxSeconds > MaxSwitchMaxSeconds:
		return Errorf(EINVALID, "proctoring.switchMaxSeconds must be from 0 (off) to %d", MaxSwitchMaxSeconds)
	case p.SnapshotSeconds < MinSnapshotSeconds || p.SnapshotSeconds > MaxSnapshotSeconds:
		return Errorf(EINVALID, "proctoring.snapshotSeconds must be from %d to %d", MinSnapshotSeconds, MaxSnapshotSeconds)
	}
	return nil
}

// ProctoringUpdate holds the fields of a partial update of the settings;
// nil fields stay.
type ProctoringUpdate struct {
	Enabled           *bool `json:"enabled"`
	SwitchLimit       *int  `json:"switchLimit"`
	SwitchMaxSeconds  *int  `json:"switchMaxSeconds"`
	RequireFullscreen *bool `json:"requireFullscreen"`
	SnapshotSeconds   *int  `json:"snapshotSeconds"`
	FaceCheck         *bool `json:"faceCheck"`
}

// Apply copies upd's set fields into p.
func (upd ProctoringUpdate) Apply(p *Proctoring) {
	set(&p.Enabled, upd.Enabled)
	set(&p.SwitchLimit, upd.SwitchLimit)
	set(&p.SwitchMaxSeconds, upd.SwitchMaxSeconds)
	set(&p.RequireFullscreen, upd.RequireFullscreen)
	set(&p.SnapshotSeconds, upd.SnapshotSeconds)
	set(&p.FaceCheck, upd.FaceCheck)
}

// Snapshot limits.
const (
	MaxSnapshotBytes    = 512 << 10       // one JPEG
	MinSnapshotInterval = 2 * time.Second // between two snapshots of one attempt
)

// Snapshot is one camera picture of a candidate during an attempt. The
// picture itself is in the BlobStore under Key.
type Snapshot struct {
	ID        string    `json:"id"`
	AttemptID string    `json:"attemptId"`
	ExamID    string    `json:"examId"`
	RoomID    string    `json:"roomId,omitempty"` // "" for an exam proctored without a room
	UserID    string    `json:"userId"`
	TakenAt   time.Time `json:"takenAt"`
	Size      int64     `json:"size"`
	Key       string    `json:"-"` // the blob's key
}

// BlobStore keeps files (snapshots) by key. Keys are slash-separated paths
// of [a-z0-9._-] segments.
type BlobStore interface {
	// Put stores size bytes from r under key, replacing any blob there.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Open returns the blob's content; ENOTFOUND when there is none.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, key string) error
}

// ActionType names an invigilator's action.
type ActionType string

// Invigilators' actions.
const (
	ActionMessage     ActionType = "message"      // to one candidate or the whole room
	ActionExtend      ActionType = "extend"       // minutes added to an attempt
	ActionForceSubmit ActionType = "force_submit" // an attempt closed by staff
	ActionEndRoom     ActionType = "end_room"
)

// Action is an invigilator's action, recorded with who and when.
type Action struct {
	ID        string     `json:"id"`
	Type      ActionType `json:"type"`
	ExamID    string     `json:"examId"`
	RoomID    string     `json:"roomId,omitempty"`
	AttemptID string     `json:"attemptId,omitempty"`
	UserID    string     `json:"userId,omitempty"` // the candidate concerned; "" for the whole room
	ActorID   string     `json:"actorId"`          // the invigilator or administrator
	Detail    string     `json:"detail,omitempty"` // message text, minutes added, …
	CreatedAt time.Time  `json:"createdAt"`
}

// SignalRecord is a signal to store for an attempt: its cheat record, and
// whether it counts as a page switch.
type SignalRecord struct {
	AttemptID string
	UserID    string // the attempt's candidate: anyone else's is refused
	Record    *CheatRecord
	Switch    bool
}

// TimelineEntry is one item of an attempt's evidence: a signal (its cheat
// record), a snapshot or a staff action, with its time.
type TimelineEntry struct {
	At       time.Time    `json:"at"`
	Kind     string       `json:"kind"` // "signal", "snapshot" or "action"
	Signal   *CheatRecord `json:"signal,omitempty"`
	Snapshot *Snapshot    `json:"snapshot,omitempty"`
	Action   *Action      `json:"action,omitempty"`
}

// LiveMember is the live state of one examinee on a room's roster: their
// latest attempt of the room's exam (none: AttemptID "").
type LiveMember struct {
	UserID     string        `json:"userId"`
	Account    string        `json:"account"`
	Name       string        `json:"name"`
	UserStatus int           `json:"userStatus"`
	AttemptID  string        `json:"attemptId,omitempty"`
	Status     AttemptStatus `json:"status,omitempty"`
	Answered   int           `json:"answered"`
	Total      int           `json:"total"`                // questions of the paper
	Deadline   time.Time     `json:"deadline,omitzero"`    // of an attempt in progress
	Switches   int           `json:"switches"`             // page switches of the attempt
	Cheats     int           `json:"cheats"`               // signals of the attempt
	SnapshotID string        `json:"snapshotId,omitempty"` // the latest
	LastSignal *LastSignal   `json:"lastSignal,omitempty"`
}

// LastSignal is the latest signal of an attempt.
type LastSignal struct {
	Type SignalType `json:"type"`
	At   time.Time  `json:"at"`
}

// ProctorStore is the store side of proctoring.
type ProctorStore interface {
	// CreateSnapshot stores s (setting ID when empty) for an attempt in
	// progress of s.UserID. ENOTFOUND for an unknown attempt, EFORBIDDEN for
	// another's, ECONFLICT when it is not in progress, ETOOMANY when the
	// attempt's previous snapshot is less than MinSnapshotInterval older.
	CreateSnapshot(ctx context.Context, s *Snapshot) error
	// DeleteSnapshot removes the snapshot's record; ENOTFOUND.
	DeleteSnapshot(ctx context.Context, id string) error
	// FindSnapshotByID returns ENOTFOUND when there is none.
	FindSnapshotByID(ctx context.Context, id string) (*Snapshot, error)
	// RecordSignal stores the signal's cheat record (setting its ID and
	// times) and, when it is a switch, counts it on the attempt, in one
	// transaction; it returns the attempt's switches. ENOTFOUND,
	// EFORBIDDEN for another's attempt, ECONFLICT when not in progress.
	RecordSignal(ctx context.Context, s *SignalRecord) (switches int, err error)
	// ExtendAttempt moves an in-progress attempt's deadline by d, possibly
	// past its window's end. ENOTFOUND; ECONFLICT when not in progress.
	ExtendAttempt(ctx context.Context, attemptID string, d time.Duration) (*Attempt, error)
	// CreateAction records a staff action, setting its ID and time.
	CreateAction(ctx context.Context, a *Action) error
	// FindTimeline returns the attempt's signals, snapshots and actions,
	// oldest first.
	FindTimeline(ctx context.Context, attemptID string) ([]*TimelineEntry, error)
	// FindLiveMembers returns the live state of the room's examinees, by
	// account, in one query. ENOTFOUND for an unknown room.
	FindLiveMembers(ctx context.Context, roomID string) ([]*LiveMember, error)
}

// RoomLive is the live state of a room, for its invigilators.
type RoomLive struct {
	Room    *Room         `json:"room"`
	Exam    *Exam         `json:"exam"`
	Members []*LiveMember `json:"members"`
	At      time.Time     `json:"at"` // when it was read: time left is Deadline - At
}

// ProctorService runs proctoring: the candidates' snapshots and signals,
// the invigilators' actions and views. Every method reads the caller from
// ctx; staff methods need Policy.Room(manage) on the room concerned (403
// for staff of another room).
type ProctorService interface {
	SignalRecorder
	// AddSnapshot stores a JPEG (at most MaxSnapshotBytes) of the caller's
	// own in-progress attempt and announces it. EINVALID for anything but a
	// JPEG, ETOOLARGE, ETOOMANY when sent faster than MinSnapshotInterval,
	// EFORBIDDEN for another's attempt, ECONFLICT when not in progress.
	AddSnapshot(ctx context.Context, attemptID string, jpeg []byte) (*Snapshot, error)
	// OpenSnapshot returns a snapshot and its content, for staff managing
	// its room (or any admin) and its candidate.
	OpenSnapshot(ctx context.Context, id string) (*Snapshot, io.ReadCloser, error)
	// SendMessage sends text to one candidate of the room (userID) or, with
	// userID "", the whole room.
	SendMessage(ctx context.Context, roomID, userID, text string) (*Action, error)
	// ExtendAttempt adds minutes to an attempt in progress; the new
	// deadline may pass the exam window's end.
	ExtendAttempt(ctx context.Context, attemptID string, minutes int) (*Attempt, error)
	// ForceSubmit submits an attempt in progress (reason "invigilator").
	ForceSubmit(ctx context.Context, attemptID string) (*Attempt, error)
	// EndRoom ends the room and submits its examinees' attempts in progress
	// (reason "room_ended"); it returns the room and how many it submitted.
	EndRoom(ctx context.Context, roomID string) (*Room, int, error)
	// Timeline returns an attempt's evidence, oldest first, for the staff
	// of its room (or admins).
	Timeline(ctx context.Context, attemptID string) ([]*TimelineEntry, error)
	// Live returns the live state of a room.
	Live(ctx context.Context, roomID string) (*RoomLive, error)
}
