package examhall

import (
	"context"
	"encoding/json"
	"time"
)

// EventType names a real-time proctoring event. The WebSocket protocol
// (docs/websocket.md) sends it as the message's "type".
type EventType string

// Event types. Data holds the JSON object each one documents.
const (
	EventPresence  EventType = "presence"   // {userId, online}
	EventCheat     EventType = "cheat"      // a cheat record of the candidate, with its snapshot id
	EventSnapshot  EventType = "snapshot"   // {id, attemptId, userId, takenAt}: a new snapshot
	EventMessage   EventType = "message"    // {from, fromName, text}: from an invigilator
	EventTime      EventType = "time"       // {attemptId, deadline}: time added
	EventSubmit    EventType = "submit"     // {attemptId, reason}: an attempt was closed
	EventProgress  EventType = "progress"   // {attemptId, answered, total}
	EventRoomEnded EventType = "room.ended" // {}: the room was ended
)

// Event is one real-time event of a proctored exam: stored so that a page
// that reconnects replays what it missed (by Seq), then published to the
// pages connected to any replica. Staff of the room see every event of it; a
// candidate sees the events with their own UserID and the room-wide ones
// (UserID "").
type Event struct {
	Seq       int64           `json:"seq"` // assigned by the store, increasing
	ExamID    string          `json:"examId"`
	RoomID    string          `json:"roomId,omitempty"` // "" for an exam proctored without a room
	UserID    string          `json:"userId,omitempty"` // the candidate it concerns; "" for everyone
	Type      EventType       `json:"type"`
	Data      json.RawMessage `json:"data,omitempty"`
	CreatedAt time.Time       `json:"createdAt"`
}

// EventFilter selects stored events. Zero fields do not filter, except
// that one of ExamID and RoomID is required.
type EventFilter struct {
	ExamID   string
	RoomID   string
	UserID   string // this candidate's events and the room-wide ones
	AfterSeq int64
	Limit    int // 0 means a store default
}

// EventService stores events for replay.
type EventService interface {
	// AppendEvent stores e, setting e.Seq and e.CreatedAt.
	AppendEvent(ctx context.Context, e *Event) error
	// FindEvents returns the matching events oldest first.
	FindEvents(ctx context.Context, filter EventFilter) ([]*Event, error)
}

// Publisher delivers stored events to the pages connected to every replica
// (in memory within a process; PostgreSQL LISTEN/NOTIFY between replicas).
// It never blocks on a slow subscriber.
type Publisher interface {
	Publish(ctx context.Context, e *Event) error
}

// SignalType names what a candidate's page detected.
type SignalType string

// Signals the pages detect. Each is recorded as a cheat record with the
// signal type as its detectType.
const (
	SignalSwitch         SignalType = "switch"          // left the page (hidden or blurred): the 切屏
	SignalFullscreenExit SignalType = "fullscreen_exit" // left fullscreen when the exam requires it
	SignalCopy           SignalType = "copy"
	SignalPaste          SignalType = "paste"
	SignalPrint          SignalType = "print"
	SignalNoFace         SignalType = "no_face"
	SignalMultiFace      SignalType = "multi_face"
)

// Signal is one detection by a candidate's page during an attempt.
type Signal struct {
	Type       SignalType `json:"type"`
	At         time.Time  `json:"at"`                   // when it began, by the page's clock
	Seconds    float64    `json:"seconds,omitempty"`    // how long it lasted (switch: time away)
	SnapshotID string     `json:"snapshotId,omitempty"` // the snapshot taken right after it
}

// SignalResult is what recording a signal changed.
type SignalResult struct {
	Switches  int  `json:"switches"`  // the attempt's page switches so far
	Submitted bool `json:"submitted"` // the switch limit was reached: the attempt is closed
	// Violation: this absence lasted longer than the exam's switchMaxSeconds.
	Violation bool `json:"violation,omitempty"`
}

// SignalRecorder records the signals of candidates' pages.
type SignalRecorder interface {
	// RecordSignal records a signal of the attempt by its candidate (the
	// caller in ctx): a cheat record, an event for the room's staff, and,
	// when the exam's switch limit is reached, the attempt's submission.
	// EFORBIDDEN for another's attempt, ECONFLICT when it is not in
	// progress, EINVALID for an unknown type.
	RecordSignal(ctx context.Context, attemptID string, s Signal) (*SignalResult, error)
}
