package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"examhall"
)

// Snapshot is a camera snapshot as the management API returns it, with the
// URL of its JPEG.
type Snapshot struct {
	examhall.Snapshot
	URL string `json:"url"`
}

// UploadSnapshot sends a JPEG of the caller's own attempt in progress (POST
// /api/v1/attempts/{id}/snapshots). EINVALID for anything but a JPEG,
// ETOOLARGE over examhall.MaxSnapshotBytes, ETOOMANY when sent within
// examhall.MinSnapshotInterval of the previous one.
func (c *Client) UploadSnapshot(ctx context.Context, attemptID string, jpeg []byte) (*Snapshot, error) {
	var s Snapshot
	err := c.doRaw(ctx, http.MethodPost, "/api/v1/attempts/"+escape(attemptID)+"/snapshots", "image/jpeg", jpeg, func(r io.Reader) error {
		return json.NewDecoder(r).Decode(&s)
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// Snapshot returns a snapshot's JPEG (GET /api/v1/snapshots/{id}), for its
// candidate and the staff of its room.
func (c *Client) Snapshot(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	err := c.doRaw(ctx, http.MethodGet, "/api/v1/snapshots/"+escape(id), "", nil, func(r io.Reader) (err error) {
		b, err = io.ReadAll(io.LimitReader(r, examhall.MaxSnapshotBytes+1))
		return err
	})
	return b, err
}

// RecordSignal reports what the caller's page detected during their attempt
// (POST /api/v1/attempts/{id}/signals).
func (c *Client) RecordSignal(ctx context.Context, attemptID string, s examhall.Signal) (*examhall.SignalResult, error) {
	var res examhall.SignalResult
	if err := c.do(ctx, http.MethodPost, "/api/v1/attempts/"+escape(attemptID)+"/signals", nil, s, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// SendMessage sends a message to one examinee of the room (userID) or to
// all of it (userID ""). Staff of the room only.
func (c *Client) SendMessage(ctx context.Context, roomID, userID, text string) (*examhall.Action, error) {
	in := struct {
		UserID string `json:"userId,omitempty"`
		Text   string `json:"text"`
	}{userID, text}
	var a examhall.Action
	if err := c.do(ctx, http.MethodPost, "/api/v1/rooms/"+escape(roomID)+"/messages", nil, in, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ExtendAttempt adds minutes to an attempt in progress; the deadline may
// pass the exam's end. Staff of the candidate's room only.
func (c *Client) ExtendAttempt(ctx context.Context, attemptID string, minutes int) (*examhall.Attempt, error) {
	in := struct {
		Minutes int `json:"minutes"`
	}{minutes}
	var a examhall.Attempt
	if err := c.do(ctx, http.MethodPost, "/api/v1/attempts/"+escape(attemptID)+"/extend", nil, in, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ForceSubmit submits an attempt in progress. Staff of the candidate's room
// only.
func (c *Client) ForceSubmit(ctx context.Context, attemptID string) (*examhall.Attempt, error) {
	var a examhall.Attempt
	if err := c.do(ctx, http.MethodPost, "/api/v1/attempts/"+escape(attemptID)+"/force-submit", nil, nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// EndRoom ends a room and submits its examinees' attempts in progress; it
// returns the room and how many it submitted. Staff of the room only.
func (c *Client) EndRoom(ctx context.Context, roomID string) (*examhall.Room, int, error) {
	var out struct {
		Room      *examhall.Room `json:"room"`
		Submitted int            `json:"submitted"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/rooms/"+escape(roomID)+"/end", nil, nil, &out); err != nil {
		return nil, 0, err
	}
	return out.Room, out.Submitted, nil
}

// Timeline returns an attempt's signals, snapshots and staff actions,
// oldest first. Staff of the candidate's room only.
func (c *Client) Timeline(ctx context.Context, attemptID string) ([]*examhall.TimelineEntry, error) {
	var l list[*examhall.TimelineEntry]
	if err := c.do(ctx, http.MethodGet, "/api/v1/attempts/"+escape(attemptID)+"/timeline", nil, nil, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// LiveMember is one examinee of RoomLive, with the seconds left of an
// attempt in progress.
type LiveMember struct {
	examhall.LiveMember
	SecondsLeft *int   `json:"secondsLeft,omitempty"`
	SnapshotURL string `json:"snapshotUrl,omitempty"`
}

// RoomLive is the live state of a room.
type RoomLive struct {
	Room    *examhall.Room `json:"room"`
	Exam    *Exam          `json:"exam"`
	Members []*LiveMember  `json:"members"`
	At      time.Time      `json:"at"`
}

// Live returns the live state of a room. Staff of the room only.
func (c *Client) Live(ctx context.Context, roomID string) (*RoomLive, error) {
	var l RoomLive
	if err := c.do(ctx, http.MethodGet, "/api/v1/rooms/"+escape(roomID)+"/live", nil, nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// doRaw sends body (when not nil) with contentType and hands a successful
// answer's body to read.
func (c *Client) doRaw(ctx context.Context, method, path, contentType string, body []byte, read func(io.Reader) error) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, rd)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token := c.SessionToken(); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return apiError(resp)
	}
	if err := read(resp.Body); err != nil {
		return fmt.Errorf("client: reading the answer of %s %s: %w", method, path, err)
	}
	return nil
}
