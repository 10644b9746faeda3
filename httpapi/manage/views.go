package manage

import (
	"strings"
	"time"

	"examhall"
)

// The JSON views below copy domain values with their times in the
// configured zone; the domain types carry the field names and tags.

func (s *Server) userJSON(u *examhall.User) *examhall.User {
	c := *u
	c.CreatedAt, c.UpdatedAt = s.local(c.CreatedAt), s.local(c.UpdatedAt)
	return &c
}

func (s *Server) deptJSON(d *examhall.Department) *examhall.Department {
	c := *d
	c.CreatedAt = s.local(c.CreatedAt)
	return &c
}

// examJSON is an exam with its entry URL.
type examJSON struct {
	*examhall.Exam
	EntryURL string `json:"entryUrl"`
}

func (s *Server) examJSON(e *examhall.Exam) examJSON {
	c := *e
	c.BeginTime, c.EndTime = s.local(c.BeginTime), s.local(c.EndTime)
	c.CreatedAt, c.UpdatedAt = s.local(c.CreatedAt), s.local(c.UpdatedAt)
	return examJSON{Exam: &c, EntryURL: s.entryURL(e.ID)}
}

// entryURL is where candidates open an exam.
func (s *Server) entryURL(examID string) string {
	return strings.TrimRight(s.PublicURL, "/") + "/v5/exam/" + examID
}

func (s *Server) overrideJSON(o *examhall.Override) *examhall.Override {
	c := *o
	c.BeginTime, c.EndTime = s.localPtr(c.BeginTime), s.localPtr(c.EndTime)
	return &c
}

// attemptJSON is the full attempt, for staff.
func (s *Server) attemptJSON(a *examhall.Attempt) *examhall.Attempt {
	c := *a
	c.BeginTime, c.Deadline, c.EndTime = s.local(c.BeginTime), s.local(c.Deadline), s.local(c.EndTime)
	c.SavedAt = s.local(c.SavedAt)
	return &c
}

func (s *Server) roomJSON(r *examhall.Room) *examhall.Room {
	c := *r
	c.CreatedAt, c.UpdatedAt = s.local(c.CreatedAt), s.local(c.UpdatedAt)
	return &c
}

func (s *Server) audioJSON(a *examhall.Audio) *examhall.Audio {
	c := *a
	c.CreatedAt = s.local(c.CreatedAt)
	return &c
}

// broadcastJSON is a scheduled clip; audioId and startTime are what PUT
// takes back.
type broadcastJSON struct {
	AudioID   string          `json:"audioId"`
	StartTime time.Time       `json:"startTime"`
	Audio     *examhall.Audio `json:"audio"`
}

func (s *Server) broadcastJSON(b *examhall.Broadcast) broadcastJSON {
	return broadcastJSON{AudioID: b.ID, StartTime: s.local(b.StartTime), Audio: s.audioJSON(&b.Audio)}
}

func (s *Server) cheatConfigJSON(c *examhall.CheatConfig) *examhall.CheatConfig {
	d := *c
	d.CreatedAt, d.UpdatedAt = s.local(d.CreatedAt), s.local(d.UpdatedAt)
	return &d
}

func (s *Server) appJSON(a *examhall.App) *examhall.App {
	c := *a
	c.CreatedAt = s.local(c.CreatedAt)
	return &c
}
