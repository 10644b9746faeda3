package examhall

import (
	"context"
	"math/rand/v2"
	"time"
)

// AttemptStatus is an attempt's life-cycle state.
type AttemptStatus string

// Attempt states: in_progress → (submit) → marking when short answers wait
// for a marker, else published; marking → (all marked) → marked → (publish)
// → published. Only published attempts count for statistics, ranks and the
// open API.
const (
	AttemptInProgress AttemptStatus = "in_progress"
	AttemptMarking    AttemptStatus = "marking"
	AttemptMarked     AttemptStatus = "marked"
	AttemptPublished  AttemptStatus = "published"
)

// Attempt is one candidate's sitting of one exam (the open API's grade).
type Attempt struct {
	ID          string            `json:"id"` // the open API's gradeID
	ExamID      string            `json:"examId"`
	UserID      string            `json:"userId"`
	Status      AttemptStatus     `json:"status"`
	BeginTime   time.Time         `json:"beginTime"`
	Deadline    time.Time         `json:"deadline"` // submitted automatically then
	EndTime     time.Time         `json:"endTime,omitzero"`
	UsedSeconds int               `json:"usedSeconds"`
	Score       float64           `json:"score"`
	Passed      bool              `json:"passed"`
	Integral    float64           `json:"integral"`
	Seed        int64             `json:"-"`                 // shuffling seed
	Answers     map[string]Answer `json:"answers,omitempty"` // by question ID
	// Marks holds every question's score after grading: objective ones on
	// submit, short answers when marked.
	Marks map[string]float64 `json:"marks,omitempty"`
	// SavedAt is the last autosave.
	SavedAt time.Time `json:"savedAt,omitzero"`

	// Read only, filled by grade listings.
	UserAccount string `json:"account,omitempty"`
	UserName    string `json:"userName,omitempty"`
	DeptName    string `json:"deptName,omitempty"`
	DeptPath    string `json:"deptPath,omitempty"`
	Rank        int    `json:"rank,omitempty"`
}

// AttemptFilter selects attempts. Zero fields do not filter.
type AttemptFilter struct {
	ExamID string
	UserID string
	Status *AttemptStatus
	Offset int
	Limit  int // 0 means no limit
}

// Grade scores every question of qs against the attempt's answers and returns
// the marks, the total, and whether short answers still wait for marking.
func Grade(e *Exam, qs []*Question, answers map[string]Answer) (marks map[string]float64, total float64, needsMarking bool) {
	marks = make(map[string]float64, len(qs))
	for _, q := range qs {
		if !q.Objective() {
			needsMarking = true
			continue
		}
		var a *Answer
		if v, ok := answers[q.ID]; ok {
			a = &v
		}
		s := q.Grade(a, e.PartialCredit)
		marks[q.ID] = s
		total += s
	}
	return marks, Round2(total), needsMarking
}

// Finish fills in the result fields of a once its marks are complete.
func (a *Attempt) Finish(e *Exam) {
	var total float64
	for _, m := range a.Marks {
		total += m
	}
	a.Score = Round2(total)
	a.Passed = e.Passed(a.Score)
	a.Integral = e.Integral(a.Score)
}

// Order returns the order in which the attempt shows questions (indexes into
// the paper), and for each question the order of its options; both are
// identity unless the exam shuffles. The same seed always gives the same order,
// so a reconnecting candidate sees the same paper.
func (a *Attempt) Order(e *Exam, qs []*Question) (questions []int, options [][]int) {
	r := rand.New(rand.NewPCG(uint64(a.Seed), 0x6578616d68616c6c))
	questions = identity(len(qs))
	if e.ShuffleQuestions {
		r.Shuffle(len(questions), func(i, j int) { questions[i], questions[j] = questions[j], questions[i] })
	}
	options = make([][]int, len(qs))
	for i, q := range qs {
		options[i] = identity(len(q.Options))
		if e.ShuffleOptions {
			o := options[i]
			r.Shuffle(len(o), func(x, y int) { o[x], o[y] = o[y], o[x] })
		}
	}
	return questions, options
}

func identity(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// Ranks assigns the open API's "order" to one page of attempts sorted best
// first (higher score, then shorter used time). Equal (score, used time) pairs
// share a rank and the next differing attempt takes its position (competition
// ranking: 1, 1, 3). offset is the page's position in the full list, and first
// is the rank of attempts[0]: 1 + the number of attempts strictly ahead of it.
func Ranks(attempts []*Attempt, offset, first int) {
	for i, a := range attempts {
		if i == 0 {
			a.Rank = first
			continue
		}
		p := attempts[i-1]
		if a.Score == p.Score && a.UsedSeconds == p.UsedSeconds {
			a.Rank = p.Rank
		} else {
			a.Rank = offset + i + 1
		}
	}
}

// AttemptService runs candidates' attempts and their grading.
type AttemptService interface {
	// StartAttempt begins an attempt at now. EINVALID outside the candidate's
	// window, for an unpublished exam or a user outside the audience;
	// ECONFLICT while another attempt of the exam is in progress or when no
	// attempts are left — also under concurrent calls.
	StartAttempt(ctx context.Context, examID, userID string, now time.Time) (*Attempt, error)
	// FindAttemptByID returns ENOTFOUND when there is none.
	FindAttemptByID(ctx context.Context, id string) (*Attempt, error)
	// FindAttempts returns matching attempts, newest first, and the total.
	FindAttempts(ctx context.Context, filter AttemptFilter) ([]*Attempt, int, error)
	// SaveAnswers merges answers into an in-progress attempt. ECONFLICT when
	// it is no longer in progress or its deadline has passed.
	SaveAnswers(ctx context.Context, attemptID string, answers []Answer, now time.Time) (*Attempt, error)
	// SaveAnswersFrom is SaveAnswers for save number seq of one device (a
	// browser): a save numbered at or below the device's last applied one
	// changes nothing and returns applied false, so a retried save is applied
	// once and an older one never overwrites a newer one.
	SaveAnswersFrom(ctx context.Context, attemptID, device string, seq int64, answers []Answer, now time.Time) (a *Attempt, applied bool, err error)
	// SubmitAttempt grades and closes an in-progress attempt (at most at its
	// deadline); ECONFLICT when it is not in progress. reason goes into the
	// attempt.submitted webhook event: "" means SubmitInvigilator when ctx
	// carries a staff caller (whose submit is audited), else SubmitCandidate.
	SubmitAttempt(ctx context.Context, attemptID string, reason SubmitReason, now time.Time) (*Attempt, error)
	// SubmitOwnAttempt is SubmitAttempt by the candidate userID, checked in
	// the same write: EFORBIDDEN when the attempt is another's or, with
	// examID set, of another exam.
	SubmitOwnAttempt(ctx context.Context, attemptID, userID, examID string, now time.Time) (*Attempt, error)
	// SubmitExpiredAttempts submits every in-progress attempt whose deadline
	// is before now, with what was saved; it returns how many.
	SubmitExpiredAttempts(ctx context.Context, now time.Time) (int, error)
	// MarkAttempt sets short-answer marks (each 0..question score); when all
	// are marked the attempt becomes marked. ECONFLICT unless marking/marked.
	MarkAttempt(ctx context.Context, attemptID string, marks map[string]float64) (*Attempt, error)
	// PublishAttempts publishes the given marked attempts of the exam, or all
	// of them when ids is empty, updating statistics; it returns how many.
	PublishAttempts(ctx context.Context, examID string, ids []string) (int, error)
	// FindGrades returns the exam's published attempts ranked best first with
	// Rank and the read-only user fields set, and the total.
	FindGrades(ctx context.Context, examID string, offset, limit int) ([]*Attempt, int, error)
	// FindRank returns a published attempt's rank among its exam's published
	// attempts, as FindGrades ranks them; 0 while it is not published.
	// ENOTFOUND when there is no such attempt.
	FindRank(ctx context.Context, attemptID string) (int, error)
}
