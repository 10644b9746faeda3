package examhall

import (
	"context"
	"time"
)

// ExamStatus is an exam's life-cycle state.
type ExamStatus string

// Exam states. Only published exams can be taken; archived exams keep their
// grades but leave candidates' lists.
const (
	ExamDraft     ExamStatus = "draft"
	ExamPublished ExamStatus = "published"
	ExamArchived  ExamStatus = "archived"
)

// Audience says who may take an exam.
type Audience string

// Audiences.
const (
	AudienceAll   Audience = "all"   // every examinee
	AudienceDepts Audience = "depts" // examinees in the listed departments or below them
	AudienceUsers Audience = "users" // the listed users
)

// DefaultIntegralRate is the integral earned per score point (integral = score × rate).
const DefaultIntegralRate = 0.1

// Exam is an exam: its window, rules and (through Questions) its paper.
type Exam struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	BeginTime        time.Time  `json:"beginTime"`     // answer window start
	EndTime          time.Time  `json:"endTime"`       // answer window end
	AnswerMinutes    int        `json:"answerMinutes"` // the open API's examTime; 0: until EndTime
	PassScore        float64    `json:"passScore"`
	PaperScore       float64    `json:"paperScore"` // sum of question scores once a paper is set
	AllowTimes       int        `json:"allowTimes"` // attempts allowed per candidate, ≥ 1
	IntegralRate     float64    `json:"integralRate"`
	ShuffleQuestions bool       `json:"shuffleQuestions"`
	ShuffleOptions   bool       `json:"shuffleOptions"`
	PartialCredit    bool       `json:"partialCredit"` // multiple choice: partial credit instead of all-or-nothing
	Audience         Audience   `json:"audience"`
	AudienceDeptIDs  []string   `json:"audienceDeptIds,omitempty"`
	AudienceUserIDs  []string   `json:"audienceUserIds,omitempty"`
	Status           ExamStatus `json:"status"`
	Proctoring       Proctoring `json:"proctoring"`
	CreatedBy        string     `json:"createdBy,omitempty"`
	CreatedAt        time.Time  `json:"createdAt"`
	UpdatedAt        time.Time  `json:"updatedAt"`
}

// ExamStats summarises an exam's published attempts.
type ExamStats struct {
	AttendNum int     `json:"attendNum"` // published attempts (person-times)
	PassNum   int     `json:"passNum"`   // passing published attempts
	MaxScore  float64 `json:"maxScore"`
	AvgScore  float64 `json:"avgScore"`
	MinScore  float64 `json:"minScore"`
}

// ExamFilter selects exams. Zero fields do not filter.
type ExamFilter struct {
	ID     *string
	Status *ExamStatus
	Query  string // substring of the name
	UserID string // exams of the rooms the user created or is on the roster of
	Offset int
	Limit  int // 0 means no limit
}

// ExamUpdate holds the fields of a partial update; nil fields stay.
type ExamUpdate struct {
	Name             *string
	BeginTime        *time.Time
	EndTime          *time.Time
	AnswerMinutes    *int
	PassScore        *float64
	PaperScore       *float64 // only for exams without a paper
	AllowTimes       *int
	IntegralRate     *float64
	ShuffleQuestions *bool
	ShuffleOptions   *bool
	PartialCredit    *bool
	Audience         *Audience
	AudienceDeptIDs  *[]string
	AudienceUserIDs  *[]string
	Status           *ExamStatus
	Proctoring       *ProctoringUpdate
}

// Apply copies upd's set fields into e.
func (upd ExamUpdate) Apply(e *Exam) {
	set(&e.Name, upd.Name)
	set(&e.BeginTime, upd.BeginTime)
	set(&e.EndTime, upd.EndTime)
	set(&e.AnswerMinutes, upd.AnswerMinutes)
	set(&e.PassScore, upd.PassScore)
	set(&e.PaperScore, upd.PaperScore)
	set(&e.AllowTimes, upd.AllowTimes)
	set(&e.IntegralRate, upd.IntegralRate)
	set(&e.ShuffleQuestions, upd.ShuffleQuestions)
	set(&e.ShuffleOptions, upd.ShuffleOptions)
	set(&e.PartialCredit, upd.PartialCredit)
	set(&e.Audience, upd.Audience)
	set(&e.AudienceDeptIDs, upd.AudienceDeptIDs)
	set(&e.AudienceUserIDs, upd.AudienceUserIDs)
	set(&e.Status, upd.Status)
	if upd.Proctoring != nil {
		upd.Proctoring.Apply(&e.Proctoring)
	}
}

// set stores *v in dst when v is not nil.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Override changes an exam's rules for one candidate (accommodations).
type Override struct {
	ExamID        string     `json:"examId"`
	UserID        string     `json:"userId"`
	ExtraAttempts int        `json:"extraAttempts"`
	ExtraMinutes  int        `json:"extraMinutes"`
	BeginTime     *time.Time `json:"beginTime,omitempty"` // replaces the exam's window when set
	EndTime       *time.Time `json:"endTime,omitempty"`
}

// Rules are an exam's rules for one candidate, overrides applied.
type Rules struct {
	BeginTime     time.Time
	EndTime       time.Time
	AnswerMinutes int
	AllowTimes    int
}

// RulesFor applies o (which may be nil) to the exam's rules.
func (e *Exam) RulesFor(o *Override) Rules {
	r := Rules{BeginTime: e.BeginTime, EndTime: e.EndTime, AnswerMinutes: e.AnswerMinutes, AllowTimes: e.AllowTimes}
	if o == nil {
		return r
	}
	r.AllowTimes += o.ExtraAttempts
	if r.AnswerMinutes > 0 {
		r.AnswerMinutes += o.ExtraMinutes
	}
	if o.BeginTime != nil {
		r.BeginTime = *o.BeginTime
	}
	if o.EndTime != nil {
		r.EndTime = *o.EndTime
	}
	return r
}

// Deadline is when an attempt begun at begin must be submitted: the answer
// time after begin, but never after the window's end.
func (r Rules) Deadline(begin time.Time) time.Time {
	end := r.EndTime
	// Compare in minutes before converting, so no answer time, however
	// large, overflows time.Duration into a deadline in the past.
	if r.AnswerMinutes > 0 && int64(r.AnswerMinutes) < int64(end.Sub(begin)/time.Minute)+1 {
		if d := begin.Add(time.Duration(r.AnswerMinutes) * time.Minute); d.Before(end) {
			end = d
		}
	}
	return end
}

// Integral is the integral earned by score.
func (e *Exam) Integral(score float64) float64 {
	return Round2(score * e.IntegralRate)
}

// Passed reports whether score passes the exam.
func (e *Exam) Passed(score float64) bool {
	return score >= e.PassScore
}

// Bounds of an exam's numbers and times, so that no arithmetic on them
// overflows (an answer time of 200,000,000 minutes once made a deadline in
// 1822) and every value stays one a person could mean.
const (
	MaxAnswerMinutes = 366 * 24 * 60 // a year and a day
	MaxAllowTimes    = 1000
	MaxScore         = 1_000_000 // of a question, a paper or a pass mark
	MaxIntegralRate  = 1000
	MinYear, MaxYear = 1970, 9999
	MaxExtraAttempts = MaxAllowTimes    // of one override
	MaxExtraMinutes  = MaxAnswerMinutes // of one override
)

// validScore reports whether a score is a number from 0 to MaxScore.
func validScore(v float64) bool {
	return v >= 0 && v <= MaxScore // false for NaN
}

// Validate checks an exam's fields before it is stored.
func (e *Exam) Validate() error {
	switch {
	case e.Name == "":
		return Errorf(EINVALID, "exam name is required")
	case len([]rune(e.Name)) > 200:
		return Errorf(EINVALID, "exam name is longer than 200 characters")
	case e.BeginTime.IsZero() || e.EndTime.IsZero():
		return Errorf(EINVALID, "exam beginTime and endTime are required")
	case !e.EndTime.After(e.BeginTime):
		return Errorf(EINVALID, "exam endTime must be after beginTime")
	case e.BeginTime.Year() < MinYear || e.EndTime.Year() > MaxYear:
		return Errorf(EINVALID, "exam beginTime and endTime must be within the years %d to %d", MinYear, MaxYear)
	case e.AnswerMinutes < 0 || e.AnswerMinutes > MaxAnswerMinutes:
		return Errorf(EINVALID, "answerMinutes must be from 0 to %d", MaxAnswerMinutes)
	case !validScore(e.PassScore):
		return Errorf(EINVALID, "passScore must be from 0 to %d", MaxScore)
	case !validScore(e.PaperScore):
		return Errorf(EINVALID, "paperScore must be from 0 to %d", MaxScore)
	case e.AllowTimes < 1 || e.AllowTimes > MaxAllowTimes:
		return Errorf(EINVALID, "allowTimes must be from 1 to %d", MaxAllowTimes)
	case !(e.IntegralRate >= 0 && e.IntegralRate <= MaxIntegralRate):
		return Errorf(EINVALID, "integralRate must be from 0 to %d", MaxIntegralRate)
	}
	if err := e.Proctoring.Validate(); err != nil {
		return err
	}
	switch e.Audience {
	case AudienceAll, AudienceDepts, AudienceUsers:
	default:
		return Errorf(EINVALID, "audience must be all, depts or users")
	}
	switch e.Status {
	case ExamDraft, ExamPublished, ExamArchived:
	default:
		return Errorf(EINVALID, "status must be draft, published or archived")
	}
	return nil
}

// UserExam is an exam a candidate may still take, with their attempt allowance.
type UserExam struct {
	Exam       *Exam
	AllowTimes int    // after overrides
	Used       int    // attempts already begun
	InProgress string // the attempt being taken, if any, to resume
}

// ExamService stores exams, papers, overrides and statistics.
type ExamService interface {
	// FindExamByID returns ENOTFOUND when there is none.
	FindExamByID(ctx context.Context, id string) (*Exam, error)
	// FindExams returns matching exams, newest first, and the total count.
	FindExams(ctx context.Context, filter ExamFilter) ([]*Exam, int, error)
	// FindExamStats returns the statistics of the given exams (zero stats for
	// exams without published attempts), keyed by exam ID.
	FindExamStats(ctx context.Context, examIDs []string) (map[string]ExamStats, error)
	// CreateExam validates e, sets e.ID (when empty) and the times.
	CreateExam(ctx context.Context, e *Exam) error
	// UpdateExam validates the result; ENOTFOUND.
	UpdateExam(ctx context.Context, id string, upd ExamUpdate) (*Exam, error)
	// SetPaper replaces the exam's questions and sets PaperScore to their sum.
	// ECONFLICT once attempts exist.
	SetPaper(ctx context.Context, examID string, questions []*Question) error
	// FindPaper returns the exam's questions in order (empty when none).
	FindPaper(ctx context.Context, examID string) ([]*Question, error)
	// SetOverride creates or replaces a candidate's override.
	SetOverride(ctx context.Context, o *Override) error
	// FindOverride returns ENOTFOUND when the candidate has none.
	FindOverride(ctx context.Context, examID, userID string) (*Override, error)
	// FindOverrides lists the exam's overrides by user ID (empty when none).
	FindOverrides(ctx context.Context, examID string) ([]*Override, error)
	// DeleteOverride removes it; ENOTFOUND when there was none.
	DeleteOverride(ctx context.Context, examID, userID string) error
	// FindUserExams lists the published exams the user may take now or later:
	// in the audience, window (after overrides) not over, attempts left or
	// one in progress; ordered by begin time, with the total count.
	FindUserExams(ctx context.Context, userID string, now time.Time, offset, limit int) ([]*UserExam, int, error)
}
