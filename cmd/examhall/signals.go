package main

import (
	"context"
	"encoding/json"
	"time"

	"examhall"
)

// signalEcho is a stand-in examhall.SignalRecorder for load tests, until
// the proctoring service is wired into Main.Signals: it publishes each
// signal as a cheat event of the caller's room so that the WebSocket path
// (candidate → store → hub → invigilators) can be measured. It stores no
// cheat record and checks no attempt, so it is enabled only by
// --load-signals (EXAMHALL_LOAD_SIGNALS), never by default.
type signalEcho struct {
	rooms examhall.RoomService
	pub   examhall.Publisher
}

// signalEchoData is the Data of the cheat events signalEcho publishes.
type signalEchoData struct {
	AttemptID  string              `json:"attemptId"`
	DetectType examhall.SignalType `json:"detectType"`
	At         time.Time           `json:"at"`
	Seconds    float64             `json:"seconds,omitempty"`
}

// RecordSignal publishes the signal; only join-link sessions (bound to a
// room) may send them.
func (s *signalEcho) RecordSignal(ctx context.Context, attemptID string, sig examhall.Signal) (*examhall.SignalResult, error) {
	c := examhall.CallerFromContext(ctx)
	if c == nil || c.User == nil {
		return nil, examhall.Errorf(examhall.EUNAUTHORIZED, "authentication required")
	}
	if c.RoomID == "" {
		return nil, examhall.Errorf(examhall.EFORBIDDEN, "the load-test signal stand-in takes signals only from join-link sessions")
	}
	room, err := s.rooms.FindRoomByID(ctx, c.RoomID)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(signalEchoData{AttemptID: attemptID, DetectType: sig.Type, At: sig.At, Seconds: sig.Seconds})
	if err != nil {
		return nil, err
	}
	e := &examhall.Event{ExamID: room.ExamID, RoomID: room.ID, UserID: c.ID, Type: examhall.EventCheat, Data: data}
	if err := s.pub.Publish(ctx, e); err != nil {
		return nil, err
	}
	return &examhall.SignalResult{}, nil
}
