package web

import (
	"net/http"
	"time"

	"examhall"
)

// examView is an exam's page: its rules, the candidate's attempts and what
// they may do now.
type examView struct {
	Page
	Exam     *examhall.Exam
	Rules    examhall.Rules
	Used     int
	Attempts []attemptItem
	// Resume is the attempt in progress; CanStart whether a new one may
	// begin; otherwise Reason (a locale key) says why not.
	Resume   string
	CanStart bool
	Reason   string
	Error    string // a failed start
	Notice   string // a locale key, e.g. after a submit
	// Proctoring is set for a proctored exam: its start goes through the
	// device check, and the rules say what is watched.
	Proctoring *proctoring
}

// attemptItem is one finished attempt on the exam page; results show once
// published.
type attemptItem struct {
	N         int
	Begin     time.Time
	End       time.Time
	Used      string
	Status    string // locale key
	Published bool
	Invalid   bool // a reviewer found a violation: the score does not count
	Score     float64
	Passed    bool
	Rank      int
}

// examPage is the exam's entry URL (<public>/v5/exam/<id>). Signed out, it
// asks to sign in and comes back.
func (s *Server) examPage(w http.ResponseWriter, r *http.Request) error {
	c := examhall.CallerFromContext(r.Context())
	if c == nil {
		return s.showSignIn(w, r, http.StatusOK, "", "")
	}
	v, err := s.examView(w, r, c)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "submitted":
		v.Notice = "exam.notice.submitted"
	case "closed":
		v.Notice = "exam.notice.closed"
	}
	s.render(w, r, http.StatusOK, "exam", v)
	return nil
}

// examView gathers the exam page's data for caller c.
func (s *Server) examView(w http.ResponseWriter, r *http.Request, c *examhall.Caller) (*examView, error) {
	ctx := r.Context()
	id := r.PathValue("id")
	e, err := s.Exams.FindExamByID(ctx, id)
	if examhall.ErrorCode(err) == examhall.ENOTFOUND || (err == nil && e.Status == examhall.ExamDraft && c.Role != examhall.RoleAdmin) {
		return nil, examhall.Errorf(examhall.ENOTFOUND, "exam %q not found", id)
	} else if err != nil {
		return nil, err
	}
	rules, err := s.rules(r, e, c.ID)
	if err != nil {
		return nil, err
	}
	as, _, err := s.Attempts.FindAttempts(ctx, examhall.AttemptFilter{ExamID: e.ID, UserID: c.ID})
	if err != nil {
		return nil, err
	}
	p := s.page(w, r)
	p.Title = e.Name
	v := &examView{Page: p, Exam: e, Rules: rules, Used: len(as)}
	for i, a := range as { // newest first
		if a.Status == examhall.AttemptInProgress && s.now().Before(a.Deadline) {
			v.Resume = a.ID
			continue
		}
		it := attemptItem{N: len(as) - i, Begin: a.BeginTime, End: a.EndTime, Used: usedTime(p.Lang, a.UsedSeconds),
			Status: "attempt.status." + string(a.Status), Published: a.Status == examhall.AttemptPublished}
		if it.Published {
			it.Score, it.Passed, it.Invalid = a.Score, a.Passed, a.Invalid
			if it.Rank, err = s.Attempts.FindRank(ctx, a.ID); err != nil {
				return nil, err
			}
		}
		v.Attempts = append(v.Attempts, it)
	}
	if v.Resume == "" {
		v.Reason = s.cannotStart(r, c, e, rules, len(as))
		v.CanStart = v.Reason == ""
	}
	if v.Proctoring, err = s.proctoringFor(ctx, e, c.ID); err != nil {
		return nil, err
	}
	return v, nil
}

// cannotStart returns why c may not start an attempt of e now (a locale
// key), or "" when they may. StartAttempt checks the same again.
func (s *Server) cannotStart(r *http.Request, c *examhall.Caller, e *examhall.Exam, rules examhall.Rules, used int) string {
	now := s.now()
	switch {
	case c.Role != examhall.RoleExaminee:
		return "exam.why.staff"
	case e.Status != examhall.ExamPublished:
		return "exam.why.closed"
	case now.Before(rules.BeginTime):
		return "exam.why.notYet"
	case !now.Before(rules.EndTime):
		return "exam.why.closed"
	case used >= rules.AllowTimes:
		return "exam.why.noAttempts"
	}
	// The audience: the store lists the exams c may take.
	ues, _, err := s.Exams.FindUserExams(r.Context(), c.ID, now, 0, 0)
	if err != nil {
		return "exam.why.unknown"
	}
	for _, ue := range ues {
		if ue.Exam.ID == e.ID {
			return ""
		}
	}
	return "exam.why.audience"
}

// startAttempt begins an attempt (or goes back to the one in progress) and
// opens the take page.
func (s *Server) startAttempt(w http.ResponseWriter, r *http.Request) error {
	c, err := callerOf(r.Context())
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if r.PostFormValue("accept") != "yes" {
		// A proctored exam starts only from the device check, where the
		// candidate accepts the rules.
		e, err := s.Exams.FindExamByID(r.Context(), id)
		if err != nil {
			return err
		}
		if p, err := s.proctoringFor(r.Context(), e, c.ID); err != nil {
			return err
		} else if p != nil {
			http.Redirect(w, r, "/v5/exam/"+id+"/check", http.StatusSeeOther)
			return nil
		}
	}
	a, err := s.Attempts.StartAttempt(r.Context(), id, c.ID, s.now())
	switch examhall.ErrorCode(err) {
	case "":
		if qs, err := s.Exams.FindPaper(r.Context(), id); err == nil {
			s.progress(r.Context(), nil, a, len(qs))
		}
		http.Redirect(w, r, "/attempts/"+a.ID, http.StatusSeeOther)
		return nil
	case examhall.EINVALID, examhall.ECONFLICT:
		// Show the exam page again with the reason.
		v, verr := s.examView(w, r, c)
		if verr != nil {
			return verr
		}
		if v.Resume != "" {
			http.Redirect(w, r, "/attempts/"+v.Resume, http.StatusSeeOther)
			return nil
		}
		v.Error = examhall.ErrorMessage(err)
		s.render(w, r, http.StatusConflict, "exam", v)
		return nil
	}
	return err
}

// usedTime shows seconds as minutes and seconds in lang.
func usedTime(lang string, secs int) string {
	return translate(lang, "time.minSec", secs/60, secs%60)
}
