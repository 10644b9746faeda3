package manage

import (
	"context"
	"net/http"
	"time"

	"examhall"
)

// myExamJSON is an exam the caller may take, with their allowance after
// overrides and the attempts they have used.
type myExamJSON struct {
	examJSON
	AllowTimes int    `json:"allowTimes"`
	Used       int    `json:"used"`
	AttemptID  string `json:"attemptId,omitempty"` // in progress, to resume
}

// boundExam returns the exam ID a join-link caller is bound to, or "" for
// a session token. A join-link caller no longer on the room's roster gets
// EFORBIDDEN: the link ended with their place in the room.
func (s *Server) boundExam(ctx context.Context) (string, error) {
	c, err := callerOf(ctx)
	if err != nil || c.RoomID == "" {
		return "", err
	}
	room, err := s.Policy.Room(ctx, c.RoomID, false)
	if err != nil {
		return "", err
	}
	return room.ExamID, nil
}

// myExams lists the exams the caller may take now or later.
func (s *Server) myExams(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := callerOf(ctx)
	if err != nil {
		return err
	}
	offset, limit, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	bound, err := s.boundExam(ctx)
	if err != nil {
		return err
	}
	var (
		ues   []*examhall.UserExam
		total int
	)
	if bound == "" {
		ues, total, err = s.Exams.FindUserExams(ctx, c.ID, s.now(), offset, limit)
	} else {
		// A join-link token sees only its room's exam: filter the full list.
		var all []*examhall.UserExam
		all, _, err = s.Exams.FindUserExams(ctx, c.ID, s.now(), 0, 0)
		for _, ue := range all {
			if ue.Exam.ID == bound {
				ues = append(ues, ue)
			}
		}
		total = len(ues)
		ues = ues[min(offset, len(ues)):min(offset+limit, len(ues))]
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(ues, func(ue *examhall.UserExam) myExamJSON {
		return myExamJSON{examJSON: s.examJSON(ue.Exam), AllowTimes: ue.AllowTimes, Used: ue.Used, AttemptID: ue.InProgress}
	}), total))
}

// myAttempts lists the caller's attempts, newest first.
func (s *Server) myAttempts(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := callerOf(ctx)
	if err != nil {
		return err
	}
	offset, limit, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	bound, err := s.boundExam(ctx)
	if err != nil {
		return err
	}
	as, total, err := s.Attempts.FindAttempts(ctx, examhall.AttemptFilter{UserID: c.ID, ExamID: bound, Offset: offset, Limit: limit})
	if err != nil {
		return err
	}
	now := s.now()
	return writeJSON(w, http.StatusOK, newList(convert(as, func(a *examhall.Attempt) *attemptView {
		return s.attemptView(a, now)
	}), total))
}

// startAttempt begins an attempt of the exam for the caller.
func (s *Server) startAttempt(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := callerOf(ctx)
	if err != nil {
		return err
	}
	examID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if c.RoomID != "" {
		if err := s.Policy.Exam(ctx, examID, false); err != nil {
			return err
		}
	}
	now := s.now()
	a, err := s.Attempts.StartAttempt(ctx, examID, c.ID, now)
	if err != nil {
		return err
	}
	v, err := s.paperView(ctx, a, now)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

// ownAttempt returns the attempt of the path's {id} when the caller may
// read it (its candidate or an admin) or, with write set, change it (its
// candidate only).
func (s *Server) ownAttempt(r *http.Request, write bool) (*examhall.Attempt, error) {
	ctx := r.Context()
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	a, err := s.Attempts.FindAttemptByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if write && a.UserID != c.ID {
		return nil, examhall.Errorf(examhall.EFORBIDDEN, "only the candidate may change an attempt")
	}
	if err := s.Policy.Self(ctx, a.UserID); err != nil {
		return nil, err
	}
	if c.RoomID != "" {
		if err := s.Policy.Exam(ctx, a.ExamID, false); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// getAttempt returns an attempt with its paper, answers hidden.
func (s *Server) getAttempt(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownAttempt(r, false)
	if err != nil {
		return err
	}
	v, err := s.paperView(r.Context(), a, s.now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// saveAnswers merges answers into an in-progress attempt (autosave).
func (s *Server) saveAnswers(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownAttempt(r, true)
	if err != nil {
		return err
	}
	var req struct {
		Answers []examhall.Answer `json:"answers"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	qs, err := s.Exams.FindPaper(ctx, a.ExamID)
	if err != nil {
		return err
	}
	if err := examhall.CheckAnswers(req.Answers, qs); err != nil {
		return err
	}
	now := s.now()
	if a, err = s.Attempts.SaveAnswers(ctx, a.ID, req.Answers, now); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.attemptView(a, now))
}

// submitAttempt closes an attempt and grades it. The store checks in the
// same write that it is the caller's (and of their room's exam, for a join
// token), as ownAttempt would: a burst of submits as an exam ends then reads
// nothing first.
func (s *Server) submitAttempt(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := callerOf(ctx)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	examID := ""
	if c.RoomID != "" {
		room, err := s.Policy.Room(ctx, c.RoomID, false)
		if err != nil {
			return err
		}
		examID = room.ExamID
	}
	now := s.now()
	a, err := s.Attempts.SubmitOwnAttempt(ctx, id, c.ID, examID, now)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.attemptView(a, now))
}

// attemptView is an attempt as its candidate sees it: results only once
// published, and with the paper (without answers) when asked for.
type attemptView struct {
	ID               string                     `json:"id"`
	ExamID           string                     `json:"examId"`
	UserID           string                     `json:"userId"`
	Status           examhall.AttemptStatus     `json:"status"`
	BeginTime        time.Time                  `json:"beginTime"`
	Deadline         time.Time                  `json:"deadline"`
	EndTime          time.Time                  `json:"endTime,omitzero"`
	RemainingSeconds int                        `json:"remainingSeconds"`
	UsedSeconds      int                        `json:"usedSeconds"`
	SavedAt          time.Time                  `json:"savedAt,omitzero"`
	Answers          map[string]examhall.Answer `json:"answers"`

	// Set once the attempt is published.
	Score    *float64           `json:"score,omitempty"`
	Passed   *bool              `json:"passed,omitempty"`
	Integral *float64           `json:"integral,omitempty"`
	Marks    map[string]float64 `json:"marks,omitempty"`

	// Set by GET /attempts/{id} and the start of an attempt.
	Exam      *examJSON       `json:"exam,omitempty"`
	Questions []paperQuestion `json:"questions,omitempty"`
}

// paperQuestion is a question as candidates see it: no correct options,
// truth value, accepted blank answers or reference answer.
type paperQuestion struct {
	ID      string                `json:"id"`
	Type    examhall.QuestionType `json:"type"`
	Stem    string                `json:"stem"`
	Score   float64               `json:"score"`
	Options []paperOption         `json:"options,omitempty"`
	Blanks  int                   `json:"blanks,omitempty"` // fill: the number of blanks
}

// paperOption is an option in the attempt's order; Key is its original
// index, which answers' choices use.
type paperOption struct {
	Key  int    `json:"key"`
	Text string `json:"text"`
}

// attemptView returns a's candidate view without the paper.
func (s *Server) attemptView(a *examhall.Attempt, now time.Time) *attemptView {
	v := &attemptView{
		ID: a.ID, ExamID: a.ExamID, UserID: a.UserID, Status: a.Status,
		BeginTime: s.local(a.BeginTime), Deadline: s.local(a.Deadline), EndTime: s.local(a.EndTime),
		UsedSeconds: a.UsedSeconds, SavedAt: s.local(a.SavedAt), Answers: a.Answers,
	}
	if v.Answers == nil {
		v.Answers = map[string]examhall.Answer{}
	}
	if a.Status == examhall.AttemptInProgress && a.Deadline.After(now) {
		v.RemainingSeconds = int(a.Deadline.Sub(now) / time.Second)
	}
	if a.Status == examhall.AttemptPublished {
		v.Score, v.Passed, v.Integral, v.Marks = &a.Score, &a.Passed, &a.Integral, a.Marks
	}
	return v
}

// paperView returns a's candidate view with its exam and its paper in the
// attempt's order.
func (s *Server) paperView(ctx context.Context, a *examhall.Attempt, now time.Time) (*attemptView, error) {
	e, err := s.Exams.FindExamByID(ctx, a.ExamID)
	if err != nil {
		return nil, err
	}
	qs, err := s.Exams.FindPaper(ctx, a.ExamID)
	if err != nil {
		return nil, err
	}
	v := s.attemptView(a, now)
	ej := s.examJSON(e)
	v.Exam = &ej
	order, options := a.Order(e, qs)
	v.Questions = make([]paperQuestion, 0, len(qs))
	for _, i := range order {
		q := qs[i]
		pq := paperQuestion{ID: q.ID, Type: q.Type, Stem: q.Stem, Score: q.Score}
		if q.Type == examhall.QuestionSingle || q.Type == examhall.QuestionMultiple {
			for _, k := range options[i] {
				pq.Options = append(pq.Options, paperOption{Key: k, Text: q.Options[k]})
			}
		}
		if q.Type == examhall.QuestionFill {
			pq.Blanks = len(q.Blanks)
		}
		v.Questions = append(v.Questions, pq)
	}
	return v, nil
}
