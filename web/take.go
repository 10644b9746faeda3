package web

import (
	"net/http"
	"time"

	"examhall"
	"examhall/httpapi"
)

// takeView is the take page of an attempt in progress.
type takeView struct {
	Page
	AttemptID string
	Exam      *examhall.Exam
	Deadline  time.Time
	Questions []takeQuestion
	// Script is the state the page's script starts from.
	Script takeScript
}

// takeScript is the JSON the take page's script reads from the page.
type takeScript struct {
	AttemptID  string            `json:"attemptId"`
	ExamURL    string            `json:"examUrl"`
	SignInURL  string            `json:"signInUrl"`
	Deadline   int64             `json:"deadline"`   // ms since the epoch
	ServerTime int64             `json:"serverTime"` // ms since the epoch, when the page was made
	SavedAt    int64             `json:"savedAt"`    // ms; the server's last save
	Messages   map[string]string `json:"messages"`   // the script's texts in the page's language
	// Proctor is set for a proctored attempt: what the page watches.
	Proctor *proctorScript `json:"proctor,omitempty"`
}

// proctorScript is what the take page's proctoring script needs.
type proctorScript struct {
	ExamID            string `json:"examId"`
	RoomID            string `json:"roomId,omitempty"`
	SwitchLimit       int    `json:"switchLimit"`
	SwitchMaxSeconds  int    `json:"switchMaxSeconds"`
	RequireFullscreen bool   `json:"requireFullscreen"`
	SnapshotSeconds   int    `json:"snapshotSeconds"`
	FaceCheck         bool   `json:"faceCheck"` // and the detector is installed
	Switches          int    `json:"switches"`  // so far
	LastSeq           int64  `json:"lastSeq"`   // where the WebSocket resumes
}

// takeQuestion is one question as the candidate sees it, with their answer.
type takeQuestion struct {
	N       int
	ID      string
	Type    examhall.QuestionType
	Stem    string
	Score   float64
	Options []takeOption // single, multiple: in the attempt's order
	Blanks  []string     // fill: one value per blank
	Text    string       // short
	True    bool         // truefalse: answered true
	False   bool         // truefalse: answered false
	At      int64        // when the saved answer was made (ms), 0 for none
}

// questionItem is a question for the "question" partial, which the take
// page and the paper editor's preview share: the page (for its texts) and
// the question.
type questionItem struct {
	*Page
	Q takeQuestion
}

// Items returns the questions for the "question" partial.
func (v *takeView) Items() []questionItem {
	out := make([]questionItem, len(v.Questions))
	for i, q := range v.Questions {
		out[i] = questionItem{Page: &v.Page, Q: q}
	}
	return out
}

// takeOption is a choice; Key is its index in the paper, which answers use.
type takeOption struct {
	Key     int
	Label   string // A, B, C…
	Text    string
	Checked bool
}

// scriptMessages are the locale keys the take page's script shows.
var scriptMessages = []string{
	"take.saving", "take.savedAt", "take.offline", "take.retrying", "take.unsaved",
	"take.warn5", "take.warn1", "take.timeUp", "take.sessionEnded", "take.closedElsewhere",
	"take.submitting", "take.submitFailed", "take.left", "take.answered", "take.flagged",
	"take.allSaved", "take.confirmBody", "take.doneBody",
}

// ownAttempt returns the attempt of the path's {id} when it is the caller's.
// Another's attempt is "not found": its existence is none of their business.
func (s *Server) ownAttempt(r *http.Request) (*examhall.Attempt, error) {
	c, err := callerOf(r.Context())
	if err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	a, err := s.Attempts.FindAttemptByID(r.Context(), id)
	if err == nil && a.UserID != c.ID {
		err = examhall.Errorf(examhall.ENOTFOUND, "attempt %q not found", id)
	}
	return a, err
}

// takePage shows an attempt in progress; a closed one goes to its exam page.
func (s *Server) takePage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownAttempt(r)
	if err != nil {
		return err
	}
	now := s.now()
	if a.Status != examhall.AttemptInProgress || !now.Before(a.Deadline) {
		http.Redirect(w, r, "/v5/exam/"+a.ExamID+"?done=closed", http.StatusSeeOther)
		return nil
	}
	ctx := r.Context()
	e, err := s.Exams.FindExamByID(ctx, a.ExamID)
	if err != nil {
		return err
	}
	qs, err := s.Exams.FindPaper(ctx, a.ExamID)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = e.Name
	v := &takeView{Page: p, AttemptID: a.ID, Exam: e, Deadline: a.Deadline}
	pr, err := s.proctoringFor(ctx, e, a.UserID)
	if err != nil {
		return err
	}
	order, options := a.Order(e, qs)
	for n, i := range order {
		v.Questions = append(v.Questions, takeQuestionOf(n+1, qs[i], options[i], a.Answers[qs[i].ID]))
	}
	v.Script = takeScript{
		AttemptID: a.ID, ExamURL: "/v5/exam/" + e.ID, SignInURL: signInURL("/attempts/" + a.ID),
		Deadline: a.Deadline.UnixMilli(), ServerTime: now.UnixMilli(), SavedAt: a.SavedAt.UnixMilli(),
		Messages: make(map[string]string, len(scriptMessages)),
	}
	if a.SavedAt.IsZero() {
		v.Script.SavedAt = 0
	}
	for _, k := range scriptMessages {
		v.Script.Messages[k] = p.T(k)
	}
	if pr != nil {
		if v.Script.Proctor, err = s.proctorScript(ctx, a, pr); err != nil {
			return err
		}
		for _, k := range proctorMessages {
			v.Script.Messages[k] = p.T(k)
		}
	}
	s.render(w, r, http.StatusOK, "take", v)
	return nil
}

func takeQuestionOf(n int, q *examhall.Question, order []int, a examhall.Answer) takeQuestion {
	tq := takeQuestion{N: n, ID: q.ID, Type: q.Type, Stem: q.Stem, Score: q.Score, Text: a.Text, At: a.At}
	chosen := map[int]bool{}
	for _, c := range a.Choices {
		chosen[c] = true
	}
	for i, k := range order {
		if q.Type != examhall.QuestionSingle && q.Type != examhall.QuestionMultiple {
			break
		}
		tq.Options = append(tq.Options, takeOption{Key: k, Label: string(rune('A' + i%26)), Text: q.Options[k], Checked: chosen[k]})
	}
	if q.Type == examhall.QuestionFill {
		tq.Blanks = make([]string, len(q.Blanks))
		copy(tq.Blanks, a.Blanks)
	}
	if a.Bool != nil {
		tq.True, tq.False = *a.Bool, !*a.Bool
	}
	return tq
}

// saveRequest is one autosave of the take page: the answers changed since
// the last one, numbered per device so that a retried save is applied once
// and an older one never overwrites a newer one.
type saveRequest struct {
	Device  string            `json:"device"`
	Seq     int64             `json:"seq"`
	Answers []examhall.Answer `json:"answers"`
}

// saveReply tells the page what the server holds, and its clock.
type saveReply struct {
	Seq        int64  `json:"seq"`
	Applied    bool   `json:"applied"` // false: a retry of a save already applied
	SavedAt    int64  `json:"savedAt"`
	Deadline   int64  `json:"deadline"`
	ServerTime int64  `json:"serverTime"`
	Status     string `json:"status"`
}

// saveAnswers is the take page's autosave.
func (s *Server) saveAnswers(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownAttempt(r)
	if err != nil {
		return err
	}
	var req saveRequest
	if err := httpapi.DecodeStrictJSON(w, r, &req); err != nil {
		return err
	}
	if req.Device == "" || len(req.Device) > examhall.MaxIDLen || req.Seq <= 0 {
		return examhall.Errorf(examhall.EINVALID, "device and a positive seq are required")
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
	saved, applied, err := s.Attempts.SaveAnswersFrom(ctx, a.ID, req.Device, req.Seq, req.Answers, now)
	if err != nil {
		return err
	}
	if applied {
		s.progress(ctx, a, saved, len(qs))
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, saveReply{
		Seq: req.Seq, Applied: applied, SavedAt: saved.SavedAt.UnixMilli(), Deadline: saved.Deadline.UnixMilli(),
		ServerTime: s.now().UnixMilli(), Status: string(saved.Status),
	})
	return nil
}

// submitAttempt closes the attempt; the page then goes to the exam page.
func (s *Server) submitAttempt(w http.ResponseWriter, r *http.Request) error {
	c, err := callerOf(r.Context())
	if err != nil {
		return err
	}
	a, err := s.Attempts.SubmitOwnAttempt(r.Context(), r.PathValue("id"), c.ID, "", s.now())
	if examhall.ErrorCode(err) == examhall.EFORBIDDEN {
		err = examhall.Errorf(examhall.ENOTFOUND, "attempt %q not found", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{
		"status": string(a.Status), "next": "/v5/exam/" + a.ExamID + "?done=submitted",
	})
	return nil
}
