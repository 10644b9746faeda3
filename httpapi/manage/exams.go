package manage

import (
	"net/http"
	"time"

	"examhall"
)

// Limits of exam requests.
const (
	maxAudienceIDs = 10000
	maxQuestions   = 1000
)

// examRequest is the body of POST and PATCH /exams; nil fields are absent.
type examRequest struct {
	Name             *string              `json:"name"`
	BeginTime        *time.Time           `json:"beginTime"`
	EndTime          *time.Time           `json:"endTime"`
	AnswerMinutes    *int                 `json:"answerMinutes"`
	PassScore        *float64             `json:"passScore"`
	PaperScore       *float64             `json:"paperScore"`
	AllowTimes       *int                 `json:"allowTimes"`
	IntegralRate     *float64             `json:"integralRate"`
	ShuffleQuestions *bool                `json:"shuffleQuestions"`
	ShuffleOptions   *bool                `json:"shuffleOptions"`
	PartialCredit    *bool                `json:"partialCredit"`
	Audience         *examhall.Audience   `json:"audience"`
	AudienceDeptIDs  *[]string            `json:"audienceDeptIds"`
	AudienceUserIDs  *[]string            `json:"audienceUserIds"`
	Status           *examhall.ExamStatus `json:"status"`
	// Proctoring changes only the settings it names.
	Proctoring *examhall.ProctoringUpdate `json:"proctoring"`
}

// update returns the request as a partial update.
func (q *examRequest) update() examhall.ExamUpdate {
	return examhall.ExamUpdate{
		Name: q.Name, BeginTime: q.BeginTime, EndTime: q.EndTime, AnswerMinutes: q.AnswerMinutes,
		PassScore: q.PassScore, PaperScore: q.PaperScore, AllowTimes: q.AllowTimes, IntegralRate: q.IntegralRate,
		ShuffleQuestions: q.ShuffleQuestions, ShuffleOptions: q.ShuffleOptions, PartialCredit: q.PartialCredit,
		Audience: q.Audience, AudienceDeptIDs: q.AudienceDeptIDs, AudienceUserIDs: q.AudienceUserIDs, Status: q.Status,
		Proctoring: q.Proctoring,
	}
}

// checkExam validates an exam as it will be stored, with the audience
// lists the domain's Validate leaves alone.
func checkExam(e *examhall.Exam) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if err := examhall.ValidateName("name", e.Name, 200); err != nil {
		return err
	}
	for _, l := range []struct {
		name     string
		ids      []string
		audience examhall.Audience
	}{{"audienceDeptIds", e.AudienceDeptIDs, examhall.AudienceDepts}, {"audienceUserIds", e.AudienceUserIDs, examhall.AudienceUsers}} {
		if len(l.ids) > maxAudienceIDs {
			return examhall.Errorf(examhall.ETOOLARGE, "%s has more than %d entries", l.name, maxAudienceIDs)
		}
		if err := checkIDs(l.name, l.ids); err != nil {
			return err
		}
		if e.Audience == l.audience && len(l.ids) == 0 {
			return examhall.Errorf(examhall.EINVALID, "audience %q needs %s", l.audience, l.name)
		}
	}
	return nil
}

// examFor authorizes the caller (staff, or only admins when adminOnly) and
// returns the exam of the path's {id}, so unknown exams answer 404; an
// invigilator may read only the exams of the rooms they created or are on
// the roster of (403 for others).
func (s *Server) examFor(r *http.Request, adminOnly bool) (*examhall.Exam, error) {
	ctx := r.Context()
	check := s.staff
	if adminOnly {
		check = s.admin
	}
	if err := check(ctx); err != nil {
		return nil, err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	e, err := s.Exams.FindExamByID(ctx, id)
	if err != nil {
		return nil, err
	}
	// Invigilators see the exams of their rooms, as on /exam/ (Policy.Exam).
	if err := s.Policy.Exam(ctx, id, false); err != nil {
		return nil, err
	}
	return e, nil
}

// listExams lists exams filtered by status and q (name substring); an
// invigilator gets only the exams of their rooms.
func (s *Server) listExams(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.staff(ctx); err != nil {
		return err
	}
	q := r.URL.Query()
	offset, limit, err := page(q)
	if err != nil {
		return err
	}
	f := examhall.ExamFilter{Offset: offset, Limit: limit}
	if c, _ := callerOf(ctx); c.Role != examhall.RoleAdmin {
		f.UserID = c.ID // invigilators: the exams of their rooms
	}
	if f.Query, err = queryText(q, "q"); err != nil {
		return err
	}
	if v := q.Get("status"); v != "" {
		st := examhall.ExamStatus(v)
		if st != examhall.ExamDraft && st != examhall.ExamPublished && st != examhall.ExamArchived {
			return examhall.Errorf(examhall.EINVALID, "status must be draft, published or archived, not %q", v)
		}
		f.Status = &st
	}
	es, total, err := s.Exams.FindExams(ctx, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(es, s.examJSON), total))
}

// createExam creates a draft exam. Defaults: allowTimes 1, integralRate
// DefaultIntegralRate, audience all, proctoring DefaultProctoring.
func (s *Server) createExam(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	var req examRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Status != nil && *req.Status != examhall.ExamDraft {
		return examhall.Errorf(examhall.EINVALID, "an exam starts as a draft: give it a paper, then POST /exams/{id}/publish")
	}
	c, _ := callerOf(ctx)
	e := &examhall.Exam{
		AllowTimes:   1,
		IntegralRate: examhall.DefaultIntegralRate,
		Audience:     examhall.AudienceAll,
		Status:       examhall.ExamDraft,
		Proctoring:   examhall.DefaultProctoring(),
		CreatedBy:    c.ID,
	}
	req.update().Apply(e)
	if err := checkExam(e); err != nil {
		return err
	}
	if err := s.Exams.CreateExam(ctx, e); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s.examJSON(e))
}

func (s *Server) getExam(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.examJSON(e))
}

// updateExam changes an exam's fields; its status changes only through
// publish and archive.
func (s *Server) updateExam(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, true)
	if err != nil {
		return err
	}
	var req examRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Status != nil {
		return examhall.Errorf(examhall.EINVALID, "status changes through POST /exams/{id}/publish and /archive")
	}
	upd := req.update()
	c := *e
	upd.Apply(&c)
	if err := checkExam(&c); err != nil {
		return err
	}
	e, err = s.Exams.UpdateExam(r.Context(), e.ID, upd)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.examJSON(e))
}

// publishExam opens an exam to its candidates; it needs a paper.
func (s *Server) publishExam(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, true)
	if err != nil {
		return err
	}
	qs, err := s.Exams.FindPaper(r.Context(), e.ID)
	if err != nil {
		return err
	}
	if len(qs) == 0 {
		return examhall.Errorf(examhall.ECONFLICT, "the exam has no paper yet: PUT /exams/%s/paper first", e.ID)
	}
	return s.setExamStatus(w, r, e, examhall.ExamPublished)
}

// archiveExam closes an exam; its grades stay.
func (s *Server) archiveExam(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, true)
	if err != nil {
		return err
	}
	return s.setExamStatus(w, r, e, examhall.ExamArchived)
}

func (s *Server) setExamStatus(w http.ResponseWriter, r *http.Request, e *examhall.Exam, st examhall.ExamStatus) error {
	e, err := s.Exams.UpdateExam(r.Context(), e.ID, examhall.ExamUpdate{Status: &st})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.examJSON(e))
}

// getPaper returns the paper with its answers (admins only).
func (s *Server) getPaper(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, true)
	if err != nil {
		return err
	}
	qs, err := s.Exams.FindPaper(r.Context(), e.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(qs, len(qs)))
}

// setPaper replaces the paper: questions in order, each valid, with IDs
// given to those without one. 409 once attempts exist.
func (s *Server) setPaper(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, true)
	if err != nil {
		return err
	}
	qs, err := decodeItems[*examhall.Question](w, r)
	if err != nil {
		return err
	}
	if len(qs) > maxQuestions {
		return examhall.Errorf(examhall.ETOOLARGE, "a paper has at most %d questions", maxQuestions)
	}
	seen := make(map[string]bool, len(qs))
	for i, q := range qs {
		if q == nil {
			return examhall.Errorf(examhall.EINVALID, "question %d is null", i+1)
		}
		if q.ID == "" {
			q.ID = examhall.NewID(8)
		}
		if err := checkQuestion(q); err != nil {
			return examhall.Errorf(examhall.EINVALID, "question %d: %s", i+1, examhall.ErrorMessage(err))
		}
		if seen[q.ID] {
			return examhall.Errorf(examhall.EINVALID, "question %d: id %q is used twice", i+1, q.ID)
		}
		seen[q.ID] = true
	}
	if err := s.Exams.SetPaper(r.Context(), e.ID, qs); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(qs, len(qs)))
}

// checkQuestion validates a question with the text limits the domain's
// Validate leaves to the surfaces.
func checkQuestion(q *examhall.Question) error {
	if _, err := checkID("id", q.ID); err != nil {
		return err
	}
	if err := q.Validate(); err != nil {
		return err
	}
	long := len(q.Reference) > examhall.MaxTextLen
	for _, o := range q.Options {
		long = long || len(o) > examhall.MaxTextLen
	}
	for _, b := range q.Blanks {
		for _, a := range b {
			long = long || len(a) > examhall.MaxTextLen
		}
	}
	if long {
		return examhall.Errorf(examhall.EINVALID, "an option, accepted answer or reference is longer than %d bytes", examhall.MaxTextLen)
	}
	return nil
}

// overrideTarget authorizes an admin and returns the exam and user of the
// path.
func (s *Server) overrideTarget(r *http.Request) (*examhall.Exam, string, error) {
	e, err := s.examFor(r, true)
	if err != nil {
		return nil, "", err
	}
	userID, err := pathID(r, "userId")
	if err != nil {
		return nil, "", err
	}
	return e, userID, nil
}

// listOverrides lists an exam's accommodations, all at once: an exam has
// few.
func (s *Server) listOverrides(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, true)
	if err != nil {
		return err
	}
	list, err := s.Exams.FindOverrides(r.Context(), e.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(list, s.overrideJSON), len(list)))
}

func (s *Server) getOverride(w http.ResponseWriter, r *http.Request) error {
	e, userID, err := s.overrideTarget(r)
	if err != nil {
		return err
	}
	o, err := s.Exams.FindOverride(r.Context(), e.ID, userID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.overrideJSON(o))
}

// setOverride creates or replaces a candidate's override.
func (s *Server) setOverride(w http.ResponseWriter, r *http.Request) error {
	e, userID, err := s.overrideTarget(r)
	if err != nil {
		return err
	}
	var req struct {
		ExtraAttempts int        `json:"extraAttempts"`
		ExtraMinutes  int        `json:"extraMinutes"`
		BeginTime     *time.Time `json:"beginTime"`
		EndTime       *time.Time `json:"endTime"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.ExtraAttempts < 0 || req.ExtraAttempts > examhall.MaxExtraAttempts:
		return examhall.Errorf(examhall.EINVALID, "extraAttempts must be from 0 to %d", examhall.MaxExtraAttempts)
	case req.ExtraMinutes < 0 || req.ExtraMinutes > examhall.MaxExtraMinutes:
		return examhall.Errorf(examhall.EINVALID, "extraMinutes must be from 0 to %d", examhall.MaxExtraMinutes)
	}
	for _, t := range []struct {
		name string
		t    *time.Time
	}{{"beginTime", req.BeginTime}, {"endTime", req.EndTime}} {
		if t.t != nil && (t.t.Year() < examhall.MinYear || t.t.Year() > examhall.MaxYear) {
			return examhall.Errorf(examhall.EINVALID, "%s must be within the years %d to %d", t.name, examhall.MinYear, examhall.MaxYear)
		}
	}
	o := &examhall.Override{ExamID: e.ID, UserID: userID, ExtraAttempts: req.ExtraAttempts, ExtraMinutes: req.ExtraMinutes, BeginTime: req.BeginTime, EndTime: req.EndTime}
	if rules := e.RulesFor(o); !rules.EndTime.After(rules.BeginTime) {
		return examhall.Errorf(examhall.EINVALID, "with this override the window would end before it begins")
	}
	ctx := r.Context()
	if _, err := s.Users.FindUserByID(ctx, userID); err != nil {
		return err
	}
	if err := s.Exams.SetOverride(ctx, o); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.overrideJSON(o))
}

func (s *Server) deleteOverride(w http.ResponseWriter, r *http.Request) error {
	e, userID, err := s.overrideTarget(r)
	if err != nil {
		return err
	}
	if err := s.Exams.DeleteOverride(r.Context(), e.ID, userID); err != nil {
		return err
	}
	return noContent(w)
}
