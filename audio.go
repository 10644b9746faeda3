package examhall

import (
	"context"
	"time"
)

// Audio is a clip of the audio library, broadcast into rooms.
type Audio struct {
	ID        string    `json:"id"`
	Classify  int       `json:"classify"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	OSSURL    string    `json:"ossUrl"`
	CreatedAt time.Time `json:"createdAt"`
}

// Broadcast is a clip scheduled to play in an exam's rooms at StartTime
// (the AppServer's radioInfo).
type Broadcast struct {
	Audio
	StartTime time.Time `json:"startTime"`
}

// AudioFilter selects clips. Zero fields do not filter.
type AudioFilter struct {
	Name     string // substring of the name
	Classify *int
	Offset   int
	Limit    int // 0 means no limit
}

// AudioUpdate holds the fields of a partial update; nil fields stay.
type AudioUpdate struct {
	Classify *int
	Name     *string
	URL      *string
	OSSURL   *string
}

// ScheduledAudio names a clip and when to play it, for SetBroadcasts.
type ScheduledAudio struct {
	AudioID   string    `json:"audioId"`
	StartTime time.Time `json:"startTime"`
}

// AudioService stores the audio library and exams' broadcasts and playlists.
type AudioService interface {
	// FindAudioByID returns ENOTFOUND when there is none.
	FindAudioByID(ctx context.Context, id string) (*Audio, error)
	// FindAudios returns matching clips ordered by classify then name, and the
	// true total.
	FindAudios(ctx context.Context, filter AudioFilter) ([]*Audio, int, error)
	// CreateAudio sets a.ID (when empty) and a.CreatedAt.
	CreateAudio(ctx context.Context, a *Audio) error
	// UpdateAudio returns the updated clip; ENOTFOUND.
	UpdateAudio(ctx context.Context, id string, upd AudioUpdate) (*Audio, error)
	// DeleteAudio refuses (ECONFLICT) while an exam schedules or lists it.
	DeleteAudio(ctx context.Context, id string) error
	// SetBroadcasts replaces the exam's scheduled broadcasts. EINVALID on an
	// unknown clip, ENOTFOUND on an unknown exam.
	SetBroadcasts(ctx context.Context, examID string, items []ScheduledAudio) error
	// FindBroadcasts returns the exam's broadcasts ordered by start time.
	FindBroadcasts(ctx context.Context, examID string) ([]*Broadcast, error)
	// SetPlaylist replaces the exam's manual playlist (clips in order).
	SetPlaylist(ctx context.Context, examID string, audioIDs []string) error
	// FindPlaylist returns the exam's manual playlist in order.
	FindPlaylist(ctx context.Context, examID string) ([]*Audio, error)
}
