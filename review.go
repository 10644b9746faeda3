package examhall

import (
	"context"
	"math"
	"sort"
	"time"
)

// Decision is a reviewer's verdict on a flagged attempt.
type Decision string

// Decisions. A violation makes the attempt's result invalid: its score is
// kept for audit but it no longer counts in grades, ranks or statistics.
const (
	DecisionClear      Decision = "clear"
	DecisionSuspicious Decision = "suspicious"
	DecisionViolation  Decision = "violation"
)

// MaxReviewComment bounds a review's comment (runes).
const MaxReviewComment = 2000

// Review is the decision recorded on an attempt, with who made it and when.
type Review struct {
	AttemptID  string    `json:"attemptId"`
	Decision   Decision  `json:"decision"`
	Comment    string    `json:"comment"`
	ReviewerID string    `json:"reviewerId"`
	DecidedAt  time.Time `json:"decidedAt"`
	// Read only: the reviewer's name.
	ReviewerName string `json:"reviewerName,omitempty"`
}

// Validate checks a decision before it is stored.
func (r *Review) Validate() error {
	switch r.Decision {
	case DecisionClear, DecisionSuspicious, DecisionViolation:
	default:
		return Errorf(EINVALID, "decision must be clear, suspicious or violation")
	}
	if !ValidText(r.Comment) {
		return Errorf(EINVALID, "comment holds characters that are not allowed")
	}
	if len([]rune(r.Comment)) > MaxReviewComment {
		return Errorf(EINVALID, "comment is longer than %d characters", MaxReviewComment)
	}
	if r.Decision == DecisionViolation && r.Comment == "" {
		return Errorf(EINVALID, "comment is required for a violation")
	}
	return nil
}

// Signal weights of the review queue's severity. A detect type not listed
// weighs SignalWeightOther.
var SignalWeights = map[string]int{
	"switch":    3, // left the exam page (切屏)
	"multiface": 3, // more than one face
	"noface":    2, // nobody in front of the camera
	"phone":     3, // a phone seen
	"voice":     1, // talking
}

// Severity constants: SignalWeightOther for any other detect type;
// SwitchLimitSeverity is added when the attempt was submitted by the
// switch limit, so that those always rank above attempts without one.
const (
	SignalWeightOther   = 1
	SwitchLimitSeverity = 1000
)

// Severity ranks flagged attempts: the sum over their signals of each
// detect type's weight (SignalWeights), plus SwitchLimitSeverity when the
// switch limit submitted the attempt.
func Severity(counts map[string]int, switchLimit bool) int {
	s := 0
	for t, n := range counts {
		w, ok := SignalWeights[t]
		if !ok {
			w = SignalWeightOther
		}
		s += w * n
	}
	if switchLimit {
		s += SwitchLimitSeverity
	}
	return s
}

// Flagged is an attempt the review queue lists: one with cheat records of
// its candidate in its exam (and room), or submitted by the switch limit.
type Flagged struct {
	Attempt     *Attempt       // with UserAccount and UserName
	Signals     map[string]int // cheat records by detect type
	SwitchLimit bool
	Severity    int
	Review      *Review // nil until decided
}

// SortFlagged orders a review queue: highest severity first, then the
// candidate's account, then the attempt's ID.
func SortFlagged(fs []*Flagged) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Attempt.UserAccount != b.Attempt.UserAccount {
			return a.Attempt.UserAccount < b.Attempt.UserAccount
		}
		return a.Attempt.ID < b.Attempt.ID
	})
}

// FlaggedFilter selects the review queue of an exam, optionally one room's
// candidates.
type FlaggedFilter struct {
	ExamID string
	RoomID string // "": every candidate of the exam
}

// ReviewService stores decisions on flagged attempts.
type ReviewService interface {
	// SetReview records (or replaces) the decision on a closed attempt,
	// setting r.DecidedAt. A violation marks the attempt's result invalid
	// and takes it out of its exam's statistics; another decision puts it
	// back. EINVALID for a bad decision, ENOTFOUND for no attempt,
	// ECONFLICT while the attempt is in progress.
	SetReview(ctx context.Context, r *Review) error
	// FindReview returns ENOTFOUND while the attempt has no decision.
	FindReview(ctx context.Context, attemptID string) (*Review, error)
	// FindFlagged returns the exam's closed attempts whose candidate has
	// cheat records in the exam (the room's, with RoomID set), with their
	// signal counts and decisions, unsorted.
	FindFlagged(ctx context.Context, f FlaggedFilter) ([]*Flagged, error)
	// FindSignals returns up to limit cheat records of the user in the exam
	// (the room's, with roomID set), oldest first: a flagged attempt's
	// timeline.
	FindSignals(ctx context.Context, examID, roomID, userID string, limit int) ([]*CheatRecord, error)
}

// Results are the statistics of an exam's valid published attempts.
type Results struct {
	ExamID     string
	Attempts   int
	Passed     int
	Mean       float64
	Median     float64
	SD         float64 // population standard deviation
	Max, Min   float64
	PaperScore float64
	// Buckets are the score histogram: ResultBuckets equal ranges of the
	// paper score, the last one closed (it holds full marks).
	Buckets     []int
	Items       []ItemStats
	Departments []DeptStats
}

// ResultBuckets is the number of histogram ranges.
const ResultBuckets = 10

// PassRate is the share of passing attempts (0 without attempts).
func (r *Results) PassRate() float64 {
	if r.Attempts == 0 {
		return 0
	}
	return float64(r.Passed) / float64(r.Attempts)
}

// ItemStats is the item analysis of one question over the attempts.
type ItemStats struct {
	QuestionID string
	N          int     // attempts with a mark for it
	Mean       float64 // mean mark
	// Facility is the mean mark over the question's score (0..1).
	Facility float64
	// Discrimination is the point-biserial (Pearson) correlation between the
	// mark and the attempt's total score, item included (-1..1); 0 when
	// either does not vary.
	Discrimination float64
}

// ItemSums are the sums an ItemStats is computed from; the store gathers
// them in SQL.
type ItemSums struct {
	N                  int
	SumX, SumXX, SumXY float64 // mark, mark², mark × total
	SumY, SumYY        float64 // total, total²
}

// Stats computes the question's statistics from the sums.
func (s ItemSums) Stats(questionID string, score float64) ItemStats {
	it := ItemStats{QuestionID: questionID, N: s.N}
	if s.N == 0 {
		return it
	}
	n := float64(s.N)
	it.Mean = s.SumX / n
	if score > 0 {
		it.Facility = it.Mean / score
	}
	vx := n*s.SumXX - s.SumX*s.SumX
	vy := n*s.SumYY - s.SumY*s.SumY
	if vx > 1e-9 && vy > 1e-9 {
		it.Discrimination = (n*s.SumXY - s.SumX*s.SumY) / math.Sqrt(vx*vy)
	}
	return it
}

// DeptStats is one department's share of the results.
type DeptStats struct {
	DeptPath string // "" for candidates without a department
	Attempts int
	Passed   int
	Mean     float64
}

// ResultService computes exams' results.
type ResultService interface {
	// FindResults returns the exam's results over its valid published
	// attempts. ENOTFOUND for an unknown exam.
	FindResults(ctx context.Context, examID string) (*Results, error)
	// CountPending returns how many of the exam's attempts await marking
	// and how many are marked, awaiting publication.
	CountPending(ctx context.Context, examID string) (marking, marked int, err error)
}
