package manage

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"examhall"
	"examhall/httpapi"
)

// The proctoring routes call Server.Proctor, which authorizes each call
// itself (the candidate for snapshots and signals, the staff of the room
// for the rest), so join-link tokens work on them within their room.

// proctor returns the proctoring service, or 503 when none is wired.
func (s *Server) proctor() (examhall.ProctorService, error) {
	if s.Proctor == nil {
		return nil, examhall.Errorf(examhall.EUNAVAILABLE, "proctoring is not available on this server")
	}
	return s.Proctor, nil
}

// snapshotJSON is a snapshot with its URL.
type snapshotJSON struct {
	*examhall.Snapshot
	URL string `json:"url"`
}

func (s *Server) snapshotJSON(snap *examhall.Snapshot) snapshotJSON {
	c := *snap
	c.TakenAt = s.local(c.TakenAt)
	return snapshotJSON{Snapshot: &c, URL: "/api/v1/snapshots/" + snap.ID}
}

// addSnapshot stores a camera snapshot of the caller's attempt: the body is
// the JPEG itself (Content-Type: image/jpeg), at most MaxSnapshotBytes.
func (s *Server) addSnapshot(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proctor()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	body, err := httpapi.ReadJPEG(w, r, examhall.MaxSnapshotBytes)
	if err != nil {
		return err
	}
	snap, err := p.AddSnapshot(r.Context(), id, body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s.snapshotJSON(snap))
}

// getSnapshot serves a snapshot's JPEG to its candidate and the staff of
// its room. Snapshots never change, so browsers may keep them.
func (s *Server) getSnapshot(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proctor()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	snap, rc, err := p.OpenSnapshot(r.Context(), id)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Content-Length", strconv.FormatInt(snap.Size, 10))
	h.Set("Cache-Control", "private, max-age=86400, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		s.log().Warn("serve snapshot", "snapshot", snap.ID, "err", err)
	}
	return nil
}

// recordSignal records what the caller's page detected during their attempt.
func (s *Server) recordSignal(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proctor()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var sig examhall.Signal
	if err := decode(w, r, &sig); err != nil {
		return err
	}
	if sig.Type == "" {
		return examhall.Errorf(examhall.EINVALID, "type is required")
	}
	res, err := p.RecordSignal(r.Context(), id, sig)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) actionJSON(a *examhall.Action) *examhall.Action {
	c := *a
	c.CreatedAt = s.local(c.CreatedAt)
	return &c
}

// sendMessage sends an invigilator's message to one examinee of the room
// (userId) or to all of it.
func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proctor()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		UserID string `json:"userId"`
		Text   string `json:"text"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.UserID != "" {
		if _, err := checkID("userId", req.UserID); err != nil {
			return err
		}
	}
	act, err := p.SendMessage(r.Context(), id, req.UserID, req.Text)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s.actionJSON(act))
}

// extendAttempt adds minutes to an attempt in progress; the new deadline
// may pass the exam's end.
func (s *Server) extendAttempt(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proctor()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Minutes *int `json:"minutes"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Minutes == nil {
		return examhall.Errorf(examhall.EINVALID, "minutes is required")
	}
	a, err := p.ExtendAttempt(r.Context(), id, *req.Minutes)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.attemptJSON(a))
}

// forceSubmit submits an attempt in progress for the invigilator.
func (s *Server) forceSubmit(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proctor()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := p.ForceSubmit(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.attemptJSON(a))
}

// endRoomJSON is the answer of POST /rooms/{id}/end.
type endRoomJSON struct {
	Room      *examhall.Room `json:"room"`
	Submitted int            `json:"submitted"` // attempts in progress it submitted
}

// endRoom ends the room and submits its examinees' attempts in progress.
func (s *Server) endRoom(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proctor()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	room, n, err := p.EndRoom(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, endRoomJSON{Room: s.roomJSON(room), Submitted: n})
}

// timeline lists an attempt's signals, snapshots and staff actions, oldest
// first.
func (s *Server) timeline(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proctor()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	entries, err := p.Timeline(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]*examhall.TimelineEntry, len(entries))
	for i, e := range entries {
		c := *e
		c.At = s.local(c.At)
		if c.Snapshot != nil {
			v := s.snapshotJSON(c.Snapshot)
			c.Snapshot = v.Snapshot
		}
		if c.Action != nil {
			c.Action = s.actionJSON(c.Action)
		}
		out[i] = &c
	}
	return writeJSON(w, http.StatusOK, newList(out, len(out)))
}

// liveMemberJSON is a roster member's live state with the seconds left of
// an attempt in progress.
type liveMemberJSON struct {
	*examhall.LiveMember
	SecondsLeft *int   `json:"secondsLeft,omitempty"`
	SnapshotURL string `json:"snapshotUrl,omitempty"`
}

// liveJSON is the live state of a room.
type liveJSON struct {
	Room    *examhall.Room   `json:"room"`
	Exam    examJSON         `json:"exam"`
	Members []liveMemberJSON `json:"members"`
	At      time.Time        `json:"at"`
}

// live returns the live state of a room for its invigilators.
func (s *Server) live(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proctor()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, err := p.Live(r.Context(), id)
	if err != nil {
		return err
	}
	v := liveJSON{Room: s.roomJSON(l.Room), Exam: s.examJSON(l.Exam), At: s.local(l.At), Members: make([]liveMemberJSON, len(l.Members))}
	for i, m := range l.Members {
		c := *m
		c.Deadline = s.local(c.Deadline)
		if c.LastSignal != nil {
			ls := *c.LastSignal
			ls.At = s.local(ls.At)
			c.LastSignal = &ls
		}
		mv := liveMemberJSON{LiveMember: &c}
		if !m.Deadline.IsZero() {
			left := max(0, int(m.Deadline.Sub(l.At).Seconds()))
			mv.SecondsLeft = &left
		}
		if m.SnapshotID != "" {
			mv.SnapshotURL = "/api/v1/snapshots/" + m.SnapshotID
		}
		v.Members[i] = mv
	}
	return writeJSON(w, http.StatusOK, v)
}
