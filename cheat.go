package examhall

import (
	"context"
	"time"
)

// Cheat-record limits.
const (
	MaxCheatBatch    = 1000    // records in one addCheatRecord call
	MaxCheatPageSize = 1000    // records in one listCheatRecord page
	MaxBodyBytes     = 1 << 20 // any request body
)

// CheatConfig is an exam's cheat-detection configuration: an opaque JSON
// string the clients define, stored and returned as is.
type CheatConfig struct {
	ExamID    string    `json:"examId"`
	Data      string    `json:"data"`
	Creator   string    `json:"creator"` // the user ID who last set it; "" when unknown
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// CheatRecord is one detection event reported by a candidate's client.
type CheatRecord struct {
	ID            int64     `json:"id"`
	ExamID        string    `json:"examId"`
	RoomID        string    `json:"roomId"`
	UserID        string    `json:"userId"`
	DetectType    string    `json:"detectType"`
	IsMainMonitor bool      `json:"isMainMonitor"`
	DetectTime    int64     `json:"detectTime"` // ms since the epoch, from the client
	ExtraInfo     string    `json:"extraInfo"`  // as sent; objects are kept as JSON text
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// CheatRecordFilter selects a page of records, newest (highest ID) first.
type CheatRecordFilter struct {
	ExamID   string
	RoomID   string
	BeforeID int64 // 0: from the newest; else only IDs below it (the scroll token)
	Limit    int
}

// CheatService stores cheat configs and records.
type CheatService interface {
	// SetCheatConfig creates or replaces an exam's config; ENOTFOUND on an
	// unknown exam.
	SetCheatConfig(ctx context.Context, c *CheatConfig) error
	// FindCheatConfig returns ENOTFOUND when the exam has none.
	FindCheatConfig(ctx context.Context, examID string) (*CheatConfig, error)
	// CreateCheatRecords stores a batch all or nothing, setting IDs and times.
	CreateCheatRecords(ctx context.Context, records []*CheatRecord) error
	// FindCheatRecords returns one page and whether more records follow it.
	FindCheatRecords(ctx context.Context, filter CheatRecordFilter) ([]*CheatRecord, bool, error)
}
