package web

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"time"

	"examhall"
	"examhall/sheet"
)

// examRoutes lists the routes of the exam pages: exams, papers, overrides.
func (s *Server) examRoutes() []route {
	return []route{
		{pattern: "GET /admin/exams", h: s.examsPage, access: adminOnly},
		{pattern: "GET /admin/exams/new", h: s.newExamPage, access: adminOnly},
		{pattern: "POST /admin/exams", h: s.createExam, access: adminOnly},
		{pattern: "GET /admin/exams/{id}", h: s.examAdminPage, access: adminOnly},
		{pattern: "POST /admin/exams/{id}", h: s.updateExam, access: adminOnly},
		{pattern: "GET /admin/exams/{id}/status", h: s.examStatusPage, access: adminOnly},
		{pattern: "POST /admin/exams/{id}/status", h: s.setExamStatus, access: adminOnly},
		{pattern: "POST /admin/exams/{id}/overrides", h: s.setOverride, access: adminOnly},
		{pattern: "POST /admin/exams/{id}/overrides/{user}/delete", h: s.deleteOverride, access: adminOnly},

		{pattern: "GET /admin/exams/{id}/paper", h: s.paperPage, access: adminOnly},
		{pattern: "GET /admin/exams/{id}/paper/preview", h: s.paperPreview, access: adminOnly},
		{pattern: "GET /admin/exams/{id}/paper/export", h: s.exportPaper, access: adminOnly},
		{pattern: "POST /admin/exams/{id}/paper/import", h: s.previewQuestions, access: adminOnly},
		{pattern: "POST /admin/exams/{id}/paper/import/commit", h: s.commitQuestions, access: adminOnly},
		{pattern: "GET /admin/exams/{id}/paper/new", h: s.newQuestionPage, access: adminOnly},
		{pattern: "POST /admin/exams/{id}/paper", h: s.addQuestion, access: adminOnly},
		{pattern: "GET /admin/exams/{id}/paper/{q}", h: s.questionPage, access: adminOnly},
		{pattern: "POST /admin/exams/{id}/paper/{q}", h: s.editQuestion, access: adminOnly},
		{pattern: "POST /admin/exams/{id}/paper/{q}/move", h: s.moveQuestion, access: adminOnly},
		{pattern: "POST /admin/exams/{id}/paper/{q}/delete", h: s.deleteQuestion, access: adminOnly},
	}
}

// ---- Exams ----

// examsView lists exams with their status, filtered and paged.
type examsView struct {
	Page
	Exams    []*examhall.Exam
	Query    string
	Status   string
	Statuses []string
	Pager    *pager
	Notice   string
}

func (s *Server) examsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := s.page(w, r)
	p.Title = p.T("exams.title")
	v := &examsView{Page: p, Query: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Pager: newPager(r), Notice: notice(r),
		Statuses: []string{string(examhall.ExamDraft), string(examhall.ExamPublished), string(examhall.ExamArchived)}}
	if !examhall.ValidText(v.Query) || len(v.Query) > 200 {
		return examhall.Errorf(examhall.EINVALID, "the search is too long or not text")
	}
	f := examhall.ExamFilter{Query: v.Query, Offset: v.Pager.Offset, Limit: pageSize}
	if v.Status != "" {
		if !slices.Contains(v.Statuses, v.Status) {
			return examhall.Errorf(examhall.EINVALID, "status must be draft, published or archived, not %q", v.Status)
		}
		st := examhall.ExamStatus(v.Status)
		f.Status = &st
	}
	es, total, err := s.Exams.FindExams(r.Context(), f)
	if err != nil {
		return err
	}
	v.Exams = es
	v.Pager.fill(r, total, len(es))
	s.render(w, r, http.StatusOK, "exams", v)
	return nil
}

// examForm is an exam as its form holds it.
type examForm struct {
	Name             string
	Begin, End       time.Time
	Minutes          int
	AllowTimes       int
	PassScore        float64
	IntegralRate     float64
	ShuffleQuestions bool
	ShuffleOptions   bool
	PartialCredit    bool
	Audience         string
	DeptIDs          []string
	Accounts         string // audience users, one account per line
	userIDs          []string
	Proctoring       examhall.Proctoring
}

// HasDept reports whether the audience includes department id.
func (f *examForm) HasDept(id string) bool { return slices.Contains(f.DeptIDs, id) }

// examFormView is the page of a new exam, or of one with its edit form,
// status actions and overrides.
type examFormView struct {
	Page
	Exam      *examhall.Exam // nil for a new exam
	Form      examForm
	Depts     []deptOption
	Errors    fieldErrors
	Overrides []overrideItem
	Override  overrideForm
	OErrors   fieldErrors
	Questions int
	Notice    string
}

// overrideItem is a candidate's override with their account.
type overrideItem struct {
	O       *examhall.Override
	Account string
	Name    string
}

// overrideForm is the form of a new override.
type overrideForm struct {
	Account                    string
	ExtraMinutes, ExtraAttempt int
	Begin, End                 time.Time
}

const maxAudienceUsers = 10000

func (s *Server) newExamPage(w http.ResponseWriter, r *http.Request) error {
	now := s.now().In(s.location()).Truncate(time.Hour).Add(24 * time.Hour)
	f := examForm{Begin: now, End: now.Add(2 * time.Hour), Minutes: 60, AllowTimes: 1, PassScore: 60,
		IntegralRate: examhall.DefaultIntegralRate, Audience: string(examhall.AudienceAll),
		Proctoring: examhall.DefaultProctoring()}
	return s.showExam(w, r, http.StatusOK, &examFormView{Page: s.page(w, r), Form: f})
}

func (s *Server) showExam(w http.ResponseWriter, r *http.Request, status int, v *examFormView) error {
	ctx := r.Context()
	ds, err := s.deptOptions(r)
	if err != nil {
		return err
	}
	v.Depts = ds
	if v.Exam == nil {
		v.Title = v.T("exams.new")
		s.render(w, r, status, "examform", v)
		return nil
	}
	v.Title = v.Exam.Name
	os, err := s.Exams.FindOverrides(ctx, v.Exam.ID)
	if err != nil {
		return err
	}
	for _, o := range os {
		it := overrideItem{O: o}
		if u, err := s.Users.FindUserByID(ctx, o.UserID); err == nil {
			it.Account, it.Name = u.Account, u.Name
		} else if examhall.ErrorCode(err) != examhall.ENOTFOUND {
			return err
		}
		v.Overrides = append(v.Overrides, it)
	}
	qs, err := s.Exams.FindPaper(ctx, v.Exam.ID)
	if err != nil {
		return err
	}
	v.Questions = len(qs)
	s.render(w, r, status, "examform", v)
	return nil
}

// formOf returns the form of a stored exam.
func (s *Server) formOf(r *http.Request, e *examhall.Exam) (examForm, error) {
	f := examForm{Name: e.Name, Begin: e.BeginTime, End: e.EndTime, Minutes: e.AnswerMinutes, AllowTimes: e.AllowTimes,
		PassScore: e.PassScore, IntegralRate: e.IntegralRate, ShuffleQuestions: e.ShuffleQuestions, ShuffleOptions: e.ShuffleOptions,
		PartialCredit: e.PartialCredit, Audience: string(e.Audience), DeptIDs: e.AudienceDeptIDs, Proctoring: e.Proctoring}
	var accounts []string
	for _, id := range e.AudienceUserIDs {
		u, err := s.Users.FindUserByID(r.Context(), id)
		if examhall.ErrorCode(err) == examhall.ENOTFOUND {
			continue
		} else if err != nil {
			return f, err
		}
		accounts = append(accounts, u.Account)
	}
	f.Accounts = strings.Join(accounts, "\n")
	return f, nil
}

// readExamForm reads and checks the exam form.
func (s *Server) readExamForm(r *http.Request, p *Page) (examForm, fieldErrors, error) {
	errs := fieldErrors{}
	loc := s.location()
	f := examForm{
		Name:             errs.text(r, "name", p),
		Begin:            errs.datetime(r, "begin", false, loc, p),
		End:              errs.datetime(r, "end", false, loc, p),
		Minutes:          errs.integer(r, "minutes", 0, 100000, 0, p),
		AllowTimes:       errs.integer(r, "allowTimes", 1, 1000, 1, p),
		PassScore:        errs.number(r, "passScore", 0, 1e6, p),
		IntegralRate:     errs.number(r, "integralRate", 0, 1000, p),
		ShuffleQuestions: r.PostFormValue("shuffleQuestions") != "",
		ShuffleOptions:   r.PostFormValue("shuffleOptions") != "",
		PartialCredit:    r.PostFormValue("partialCredit") != "",
		Audience:         r.PostFormValue("audience"),
		Accounts:         errs.text(r, "accounts", p),
		Proctoring: examhall.Proctoring{
			Enabled:           r.PostFormValue("proctored") != "",
			SwitchLimit:       errs.integer(r, "switchLimit", 0, examhall.MaxSwitchLimit, 0, p),
			SwitchMaxSeconds:  errs.integer(r, "switchMaxSeconds", 0, examhall.MaxSwitchMaxSeconds, 0, p),
			RequireFullscreen: r.PostFormValue("requireFullscreen") != "",
			SnapshotSeconds:   errs.integer(r, "snapshotSeconds", examhall.MinSnapshotSeconds, examhall.MaxSnapshotSeconds, examhall.DefaultSnapshotSeconds, p),
			FaceCheck:         r.PostFormValue("faceCheck") != "",
		},
	}
	if err := examhall.ValidateName("name", f.Name, 200); err != nil {
		errs.add("name", p.T("admin.form.name", 200))
	}
	if !f.Begin.IsZero() && !f.End.IsZero() && !f.End.After(f.Begin) {
		errs.add("end", p.T("exams.endBeforeBegin"))
	}
	ctx := r.Context()
	switch examhall.Audience(f.Audience) {
	case examhall.AudienceAll:
	case examhall.AudienceDepts:
		for _, id := range r.PostForm["depts"] {
			if _, err := s.Depts.FindDepartmentByID(ctx, id); err != nil {
				if examhall.ErrorCode(err) != examhall.ENOTFOUND {
					return f, nil, err
				}
				errs.add("depts", p.T("depts.noParent"))
				continue
			}
			f.DeptIDs = append(f.DeptIDs, id)
		}
		if len(f.DeptIDs) == 0 {
			errs.add("depts", p.T("exams.needDepts"))
		}
	case examhall.AudienceUsers:
		var unknown []string
		seen := map[string]bool{}
		for _, a := range strings.FieldsFunc(f.Accounts, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '\t' }) {
			if seen[a] {
				continue
			}
			seen[a] = true
			u, err := s.Users.FindUserByAccount(ctx, a)
			if examhall.ErrorCode(err) == examhall.ENOTFOUND {
				unknown = append(unknown, a)
				continue
			} else if err != nil {
				return f, nil, err
			}
			f.userIDs = append(f.userIDs, u.ID)
		}
		switch {
		case len(unknown) > 0:
			errs.add("accounts", p.T("exams.unknownAccounts", strings.Join(unknown[:min(len(unknown), 20)], ", ")))
		case len(f.userIDs) == 0:
			errs.add("accounts", p.T("exams.needUsers"))
		case len(f.userIDs) > maxAudienceUsers:
			errs.add("accounts", p.T("exams.tooManyUsers", maxAudienceUsers))
		}
	default:
		errs.add("audience", p.T("exams.badAudience"))
	}
	return f, errs, nil
}

// update returns the form as an exam update.
func (f *examForm) update() examhall.ExamUpdate {
	aud := examhall.Audience(f.Audience)
	depts, users := f.DeptIDs, f.userIDs
	if aud != examhall.AudienceDepts {
		depts = nil
	}
	if aud != examhall.AudienceUsers {
		users = nil
	}
	return examhall.ExamUpdate{Name: &f.Name, BeginTime: &f.Begin, EndTime: &f.End, AnswerMinutes: &f.Minutes,
		AllowTimes: &f.AllowTimes, PassScore: &f.PassScore, IntegralRate: &f.IntegralRate,
		ShuffleQuestions: &f.ShuffleQuestions, ShuffleOptions: &f.ShuffleOptions, PartialCredit: &f.PartialCredit,
		Audience: &aud, AudienceDeptIDs: &depts, AudienceUserIDs: &users,
		Proctoring: &examhall.ProctoringUpdate{Enabled: &f.Proctoring.Enabled, SwitchLimit: &f.Proctoring.SwitchLimit,
			SwitchMaxSeconds: &f.Proctoring.SwitchMaxSeconds, RequireFullscreen: &f.Proctoring.RequireFullscreen,
			SnapshotSeconds: &f.Proctoring.SnapshotSeconds, FaceCheck: &f.Proctoring.FaceCheck}}
}

// createExam creates a draft exam and opens it.
func (s *Server) createExam(w http.ResponseWriter, r *http.Request) error {
	p := s.page(w, r)
	f, errs, err := s.readExamForm(r, &p)
	if err != nil {
		return err
	}
	if len(errs) == 0 {
		e := &examhall.Exam{Status: examhall.ExamDraft, CreatedBy: p.User.ID}
		f.update().Apply(e)
		err := s.Exams.CreateExam(r.Context(), e)
		switch examhall.ErrorCode(err) {
		case "":
			redirect(w, r, "/admin/exams/"+e.ID, "notice.examCreated")
			return nil
		case examhall.EINVALID:
			errs.add("name", examhall.ErrorMessage(err))
		default:
			return err
		}
	}
	return s.showExam(w, r, http.StatusBadRequest, &examFormView{Page: p, Form: f, Errors: errs})
}

// examOf returns the exam of the path's {id}.
func (s *Server) examOf(r *http.Request) (*examhall.Exam, error) {
	return s.Exams.FindExamByID(r.Context(), r.PathValue("id"))
}

func (s *Server) examAdminPage(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	f, err := s.formOf(r, e)
	if err != nil {
		return err
	}
	return s.showExam(w, r, http.StatusOK, &examFormView{Page: s.page(w, r), Exam: e, Form: f, Notice: notice(r)})
}

// updateExam saves the exam form.
func (s *Server) updateExam(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	f, errs, err := s.readExamForm(r, &p)
	if err != nil {
		return err
	}
	if len(errs) == 0 {
		_, err := s.Exams.UpdateExam(r.Context(), e.ID, f.update())
		switch examhall.ErrorCode(err) {
		case "":
			redirect(w, r, "/admin/exams/"+e.ID, "notice.examSaved")
			return nil
		case examhall.EINVALID, examhall.ECONFLICT:
			errs.add("name", examhall.ErrorMessage(err))
		default:
			return err
		}
	}
	return s.showExam(w, r, http.StatusBadRequest, &examFormView{Page: p, Exam: e, Form: f, Errors: errs})
}

// examStatusView asks to confirm publishing or archiving an exam.
type examStatusView struct {
	Page
	Exam   *examhall.Exam
	To     string
	Reason string // why it cannot be done, or ""
	Count  int    // questions
}

// statusTarget reads the wanted status and says why it cannot be set, if
// it cannot (a locale key).
func (s *Server) statusTarget(r *http.Request, e *examhall.Exam, to string) (string, int, error) {
	qs, err := s.Exams.FindPaper(r.Context(), e.ID)
	if err != nil {
		return "", 0, err
	}
	switch examhall.ExamStatus(to) {
	case examhall.ExamPublished:
		if e.Status == examhall.ExamPublished {
			return "exams.why.already", len(qs), nil
		}
		if len(qs) == 0 {
			return "exams.why.noPaper", len(qs), nil
		}
	case examhall.ExamArchived:
		if e.Status == examhall.ExamArchived {
			return "exams.why.already", len(qs), nil
		}
	default:
		return "", 0, examhall.Errorf(examhall.EINVALID, "status must be published or archived, not %q", to)
	}
	return "", len(qs), nil
}

// examStatusPage asks to confirm a change of status.
func (s *Server) examStatusPage(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	to := r.URL.Query().Get("to")
	why, n, err := s.statusTarget(r, e, to)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = p.T("exams.confirm." + to)
	s.render(w, r, http.StatusOK, "examstatus", &examStatusView{Page: p, Exam: e, To: to, Reason: why, Count: n})
	return nil
}

// setExamStatus publishes or archives the exam once confirmed.
func (s *Server) setExamStatus(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	to := r.PostFormValue("to")
	why, n, err := s.statusTarget(r, e, to)
	if err != nil {
		return err
	}
	if why != "" {
		p := s.page(w, r)
		p.Title = p.T("exams.confirm." + to)
		s.render(w, r, http.StatusConflict, "examstatus", &examStatusView{Page: p, Exam: e, To: to, Reason: why, Count: n})
		return nil
	}
	st := examhall.ExamStatus(to)
	if _, err := s.Exams.UpdateExam(r.Context(), e.ID, examhall.ExamUpdate{Status: &st}); err != nil {
		return err
	}
	redirect(w, r, "/admin/exams/"+e.ID, "notice.exam."+to)
	return nil
}

// setOverride creates or replaces a candidate's override.
func (s *Server) setOverride(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	errs := fieldErrors{}
	loc := s.location()
	of := overrideForm{
		Account:      errs.text(r, "account", &p),
		ExtraMinutes: errs.integer(r, "extraMinutes", 0, 100000, 0, &p),
		ExtraAttempt: errs.integer(r, "extraAttempts", 0, 100000, 0, &p),
		Begin:        errs.datetime(r, "obegin", true, loc, &p),
		End:          errs.datetime(r, "oend", true, loc, &p),
	}
	var u *examhall.User
	if of.Account == "" {
		errs.add("account", p.T("account.required"))
	} else if u, err = s.Users.FindUserByAccount(ctx, of.Account); examhall.ErrorCode(err) == examhall.ENOTFOUND {
		errs.add("account", p.T("exams.unknownAccounts", of.Account))
	} else if err != nil {
		return err
	}
	o := &examhall.Override{ExamID: e.ID, ExtraAttempts: of.ExtraAttempt, ExtraMinutes: of.ExtraMinutes}
	if !of.Begin.IsZero() {
		o.BeginTime = &of.Begin
	}
	if !of.End.IsZero() {
		o.EndTime = &of.End
	}
	if rules := e.RulesFor(o); len(errs) == 0 && !rules.EndTime.After(rules.BeginTime) {
		errs.add("oend", p.T("exams.endBeforeBegin"))
	}
	if len(errs) == 0 {
		o.UserID = u.ID
		if err := s.Exams.SetOverride(ctx, o); err != nil {
			return err
		}
		redirect(w, r, "/admin/exams/"+e.ID+"#overrides", "notice.overrideSaved")
		return nil
	}
	f, err := s.formOf(r, e)
	if err != nil {
		return err
	}
	return s.showExam(w, r, http.StatusBadRequest, &examFormView{Page: p, Exam: e, Form: f, Override: of, OErrors: errs})
}

// deleteOverride removes a candidate's override.
func (s *Server) deleteOverride(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	if err := s.Exams.DeleteOverride(r.Context(), e.ID, r.PathValue("user")); err != nil {
		return err
	}
	redirect(w, r, "/admin/exams/"+e.ID+"#overrides", "notice.overrideDeleted")
	return nil
}

// ---- Paper editor ----

// maxPaperQuestions bounds a paper, as /api/v1 does.
const maxPaperQuestions = 1000

// paperItem is one question of the editor's list.
type paperItem struct {
	N      int
	Q      *examhall.Question
	Answer string // the answer as the sheet format writes it
	First  bool
	Last   bool
}

// paperView is the paper editor: the questions in order with their
// actions, the total, and the import and export. Locked: the exam has
// attempts, so the paper can no longer change.
type paperView struct {
	Page
	Exam     *examhall.Exam
	Items    []paperItem
	Total    float64
	Locked   bool
	Error    string
	Bad      []sheet.RowError
	Rows     int
	Imported []*examhall.Question
	Sealed   *sealed
	Replace  bool
	Notice   string
}

// locked reports whether the exam has attempts, which freeze its paper.
func (s *Server) locked(r *http.Request, examID string) (bool, error) {
	_, n, err := s.Attempts.FindAttempts(r.Context(), examhall.AttemptFilter{ExamID: examID, Limit: 1})
	return n > 0, err
}

// paperView gathers the editor's data.
func (s *Server) paperView(w http.ResponseWriter, r *http.Request, e *examhall.Exam) (*paperView, []*examhall.Question, error) {
	qs, err := s.Exams.FindPaper(r.Context(), e.ID)
	if err != nil {
		return nil, nil, err
	}
	lk, err := s.locked(r, e.ID)
	if err != nil {
		return nil, nil, err
	}
	p := s.page(w, r)
	p.Title = p.T("paper.title", e.Name)
	v := &paperView{Page: p, Exam: e, Total: examhall.PaperScore(qs), Locked: lk, Notice: notice(r)}
	for i, q := range qs {
		v.Items = append(v.Items, paperItem{N: i + 1, Q: q, Answer: sheet.Fields(q).Answer, First: i == 0, Last: i == len(qs)-1})
	}
	return v, qs, nil
}

func (s *Server) paperPage(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	v, _, err := s.paperView(w, r, e)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "paper", v)
	return nil
}

// savePaper replaces the paper with qs; a paper frozen by attempts is
// shown again with the store's reason.
func (s *Server) savePaper(w http.ResponseWriter, r *http.Request, e *examhall.Exam, qs []*examhall.Question, notice string, fragment ...string) error {
	err := s.Exams.SetPaper(r.Context(), e.ID, qs)
	switch examhall.ErrorCode(err) {
	case "":
		redirect(w, r, "/admin/exams/"+e.ID+"/paper", notice, fragment...)
		return nil
	case examhall.ECONFLICT, examhall.EINVALID:
		v, _, verr := s.paperView(w, r, e)
		if verr != nil {
			return verr
		}
		v.Error = examhall.ErrorMessage(err)
		s.render(w, r, httpStatus(err), "paper", v)
		return nil
	}
	return err
}

// questionView is the form of a new or edited question.
type questionView struct {
	Page
	Exam    *examhall.Exam
	QID     string // "" for a new question
	N       int
	Form    sheet.QuestionFields
	Options string // one per line
	Errors  fieldErrors
	Locked  bool
	Types   []string
}

var questionTypes = []string{string(examhall.QuestionSingle), string(examhall.QuestionMultiple), string(examhall.QuestionTrueFalse),
	string(examhall.QuestionFill), string(examhall.QuestionShort)}

func (s *Server) showQuestion(w http.ResponseWriter, r *http.Request, status int, v *questionView) error {
	lk, err := s.locked(r, v.Exam.ID)
	if err != nil {
		return err
	}
	v.Locked, v.Types = lk, questionTypes
	v.Options = strings.Join(v.Form.Options, "\n")
	if v.QID == "" {
		v.Title = v.T("paper.add")
	} else {
		v.Title = v.T("paper.editN", v.N)
	}
	s.render(w, r, status, "question", v)
	return nil
}

func (s *Server) newQuestionPage(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	t := r.URL.Query().Get("type")
	if !slices.Contains(questionTypes, t) {
		t = string(examhall.QuestionSingle)
	}
	return s.showQuestion(w, r, http.StatusOK, &questionView{Page: s.page(w, r), Exam: e, Form: sheet.QuestionFields{Type: t, Score: "2"}})
}

// findQuestion returns the paper and the index of the path's {q}.
func (s *Server) findQuestion(r *http.Request, e *examhall.Exam) ([]*examhall.Question, int, error) {
	qs, err := s.Exams.FindPaper(r.Context(), e.ID)
	if err != nil {
		return nil, 0, err
	}
	id := r.PathValue("q")
	i := slices.IndexFunc(qs, func(q *examhall.Question) bool { return q.ID == id })
	if i < 0 {
		return nil, 0, examhall.Errorf(examhall.ENOTFOUND, "question %q not found", id)
	}
	return qs, i, nil
}

func (s *Server) questionPage(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	qs, i, err := s.findQuestion(r, e)
	if err != nil {
		return err
	}
	return s.showQuestion(w, r, http.StatusOK, &questionView{Page: s.page(w, r), Exam: e, QID: qs[i].ID, N: i + 1, Form: sheet.Fields(qs[i])})
}

// readQuestion reads the question form.
func readQuestion(r *http.Request, p *Page) (sheet.QuestionFields, *examhall.Question, fieldErrors) {
	errs := fieldErrors{}
	f := sheet.QuestionFields{
		Type: r.PostFormValue("type"), Stem: errs.text(r, "stem", p), Score: errs.text(r, "score", p),
		Answer: errs.text(r, "answer", p), Reference: errs.text(r, "reference", p),
	}
	if r.PostFormValue("loose") != "" {
		f.Loose = "yes"
	}
	opts := errs.text(r, "options", p)
	if opts != "" {
		f.Options = strings.Split(strings.ReplaceAll(opts, "\r\n", "\n"), "\n")
	}
	if len(errs) > 0 {
		return f, nil, errs
	}
	q, bad := f.Question()
	for k, prob := range bad {
		msg := p.T("paper.problem." + prob.Code)
		if prob.Arg != "" {
			msg = p.T("paper.problem."+prob.Code, prob.Arg)
		}
		errs.add(k, p.T("paper.field."+k)+": "+msg)
	}
	return f, q, errs
}

// addQuestion appends a question to the paper.
func (s *Server) addQuestion(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	f, q, errs := readQuestion(r, &p)
	if len(errs) > 0 {
		return s.showQuestion(w, r, http.StatusBadRequest, &questionView{Page: p, Exam: e, Form: f, Errors: errs})
	}
	qs, err := s.Exams.FindPaper(r.Context(), e.ID)
	if err != nil {
		return err
	}
	if len(qs) >= maxPaperQuestions {
		return examhall.Errorf(examhall.ETOOLARGE, "a paper has at most %d questions", maxPaperQuestions)
	}
	q.ID = examhall.NewID(8)
	return s.savePaper(w, r, e, append(qs, q), "notice.questionAdded")
}

// editQuestion replaces one question, keeping its ID and place.
func (s *Server) editQuestion(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	qs, i, err := s.findQuestion(r, e)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	f, q, errs := readQuestion(r, &p)
	if len(errs) > 0 {
		return s.showQuestion(w, r, http.StatusBadRequest, &questionView{Page: p, Exam: e, QID: qs[i].ID, N: i + 1, Form: f, Errors: errs})
	}
	q.ID = qs[i].ID
	qs[i] = q
	return s.savePaper(w, r, e, qs, "notice.questionSaved")
}

// moveQuestion moves a question one place up or down.
func (s *Server) moveQuestion(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	qs, i, err := s.findQuestion(r, e)
	if err != nil {
		return err
	}
	j := i - 1
	switch r.PostFormValue("dir") {
	case "up":
	case "down":
		j = i + 1
	default:
		return examhall.Errorf(examhall.EINVALID, "dir must be up or down")
	}
	if j < 0 || j >= len(qs) {
		return examhall.Errorf(examhall.EINVALID, "question %d cannot move further %s", i+1, r.PostFormValue("dir"))
	}
	qs[i], qs[j] = qs[j], qs[i]
	// Back at the moved question's row, so a keyboard user goes on from there.
	return s.savePaper(w, r, e, qs, "notice.questionMoved", "#row-"+qs[j].ID)
}

// deleteQuestion removes a question from the paper.
func (s *Server) deleteQuestion(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	qs, i, err := s.findQuestion(r, e)
	if err != nil {
		return err
	}
	return s.savePaper(w, r, e, slices.Delete(qs, i, i+1), "notice.questionDeleted")
}

// previewView is the paper as a candidate sees it, answers not saved.
type previewView struct {
	Page
	Exam  *examhall.Exam
	Items []questionItem
	Total float64
}

// paperPreview shows the paper with the take page's markup, in the paper's
// order (shuffling, when on, applies per attempt).
func (s *Server) paperPreview(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	qs, err := s.Exams.FindPaper(r.Context(), e.ID)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = p.T("paper.previewTitle", e.Name)
	v := &previewView{Page: p, Exam: e, Total: examhall.PaperScore(qs)}
	for i, q := range qs {
		order := make([]int, len(q.Options))
		for k := range order {
			order[k] = k
		}
		v.Items = append(v.Items, questionItem{Page: &v.Page, Q: takeQuestionOf(i+1, q, order, examhall.Answer{})})
	}
	s.render(w, r, http.StatusOK, "paperpreview", v)
	return nil
}

// exportPaper downloads the paper in the question sheet format.
func (s *Server) exportPaper(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	f, err := sheet.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return err
	}
	qs, err := s.Exams.FindPaper(r.Context(), e.ID)
	if err != nil {
		return err
	}
	header, rows := sheet.QuestionRows(qs)
	var buf bytes.Buffer
	if err := sheet.Write(&buf, f, "questions", header, rows); err != nil {
		return err
	}
	download(w, f, "paper-"+e.ID)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// sealedQuestions is a previewed question import.
type sealedQuestions struct {
	ExamID    string               `json:"e"`
	Replace   bool                 `json:"r"`
	Questions []*examhall.Question `json:"q"`
}

const sealQuestions = "questions"

// previewQuestions reads an uploaded question sheet and lists every bad row
// with its line and reason, writing nothing; a clean file is shown with the
// button that adds its questions (or replaces the paper with them).
func (s *Server) previewQuestions(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	v, qs, err := s.paperView(w, r, e)
	if err != nil {
		return err
	}
	v.Replace = r.PostFormValue("mode") == "replace"
	rows, err := upload(r, "file", maxPaperQuestions)
	var imported []*examhall.Question
	if err == nil {
		imported, v.Bad, err = sheet.ParseQuestions(rows)
	}
	switch code := examhall.ErrorCode(err); {
	case err == nil:
	case code == examhall.EINVALID || code == examhall.ETOOLARGE:
		v.Error = examhall.ErrorMessage(err)
		s.render(w, r, http.StatusBadRequest, "paper", v)
		return nil
	default:
		return err
	}
	v.Rows = len(rows) - 1
	if !v.Replace && len(qs)+len(imported) > maxPaperQuestions {
		v.Error = v.T("paper.tooMany", maxPaperQuestions)
	}
	if len(v.Bad) > 0 || v.Error != "" {
		s.render(w, r, http.StatusBadRequest, "paper", v)
		return nil
	}
	sl, err := s.seal(sealQuestions, sealedQuestions{ExamID: e.ID, Replace: v.Replace, Questions: imported})
	if err != nil {
		return err
	}
	v.Sealed, v.Imported = &sl, imported
	s.render(w, r, http.StatusOK, "paper", v)
	return nil
}

// commitQuestions adds (or puts in place of the paper) the previewed
// questions, all or none.
func (s *Server) commitQuestions(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examOf(r)
	if err != nil {
		return err
	}
	var sq sealedQuestions
	if err := s.unseal(r, sealQuestions, &sq); err != nil || sq.ExamID != e.ID || len(sq.Questions) == 0 {
		if err == nil {
			err = examhall.Errorf(examhall.EINVALID, "the preview is of another exam or holds no questions: upload the file again")
		}
		v, _, verr := s.paperView(w, r, e)
		if verr != nil {
			return verr
		}
		v.Error = examhall.ErrorMessage(err)
		s.render(w, r, http.StatusBadRequest, "paper", v)
		return nil
	}
	qs := sq.Questions
	if !sq.Replace {
		old, err := s.Exams.FindPaper(r.Context(), e.ID)
		if err != nil {
			return err
		}
		qs = append(old, qs...)
	}
	return s.savePaper(w, r, e, qs, "notice.questionsImported")
}

// Audiences lists the audiences, for the exam form.
func (v *examFormView) Audiences() []string {
	return []string{string(examhall.AudienceAll), string(examhall.AudienceDepts), string(examhall.AudienceUsers)}
}
