package manage

import (
	"fmt"
	"math"
	"net/http"
	"strings"

	"examhall"
	"examhall/sheet"
)

// Limits of grading requests.
const (
	maxPublishIDs = 10000
	exportPage    = 1000 // attempts fetched per FindGrades call of an export
)

// gradedExam returns the exam of the path's {id} when the caller may manage
// it: an admin, or an invigilator of one of its rooms.
func (s *Server) gradedExam(r *http.Request) (*examhall.Exam, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	if err := s.Policy.Exam(ctx, id, true); err != nil {
		return nil, err
	}
	return s.Exams.FindExamByID(ctx, id)
}

// listExamAttempts lists every attempt of an exam, optionally by status.
func (s *Server) listExamAttempts(w http.ResponseWriter, r *http.Request) error {
	e, err := s.gradedExam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	offset, limit, err := page(q)
	if err != nil {
		return err
	}
	f := examhall.AttemptFilter{ExamID: e.ID, Offset: offset, Limit: limit}
	if v := q.Get("status"); v != "" {
		st := examhall.AttemptStatus(v)
		switch st {
		case examhall.AttemptInProgress, examhall.AttemptMarking, examhall.AttemptMarked, examhall.AttemptPublished:
		default:
			return examhall.Errorf(examhall.EINVALID, "status must be in_progress, marking, marked or published, not %q", v)
		}
		f.Status = &st
	}
	as, total, err := s.Attempts.FindAttempts(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(as, s.attemptJSON), total))
}

// listGrades lists an exam's published attempts, ranked.
func (s *Server) listGrades(w http.ResponseWriter, r *http.Request) error {
	e, err := s.gradedExam(r)
	if err != nil {
		return err
	}
	offset, limit, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	as, total, err := s.Attempts.FindGrades(r.Context(), e.ID, offset, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(as, s.attemptJSON), total))
}

// markAttempt sets the marks of an attempt's short-answer questions.
func (s *Server) markAttempt(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Marks map[string]float64 `json:"marks"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	a, err := s.Attempts.FindAttemptByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.Policy.Exam(ctx, a.ExamID, true); err != nil {
		return err
	}
	qs, err := s.Exams.FindPaper(ctx, a.ExamID)
	if err != nil {
		return err
	}
	if err := checkMarks(req.Marks, qs); err != nil {
		return err
	}
	if a, err = s.Attempts.MarkAttempt(ctx, id, req.Marks); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.attemptJSON(a))
}

// checkMarks checks that every mark is for a short-answer question of the
// paper and lies within 0..its score.
func checkMarks(marks map[string]float64, qs []*examhall.Question) error {
	if len(marks) == 0 {
		return examhall.Errorf(examhall.EINVALID, "marks is required")
	}
	byID := make(map[string]*examhall.Question, len(qs))
	for _, q := range qs {
		byID[q.ID] = q
	}
	for id, m := range marks {
		q, ok := byID[id]
		switch {
		case !ok:
			return examhall.Errorf(examhall.EINVALID, "question %q is not on the paper", id)
		case q.Objective():
			return examhall.Errorf(examhall.EINVALID, "question %q is graded automatically; only short answers are marked", id)
		case m < 0 || m > q.Score || math.IsNaN(m):
			return examhall.Errorf(examhall.EINVALID, "the mark of question %q must be from 0 to %s", id, examhall.FormatNumber(q.Score))
		}
	}
	return nil
}

// publishGrades publishes the given marked attempts, or all of them when
// ids is empty or the body is.
func (s *Server) publishGrades(w http.ResponseWriter, r *http.Request) error {
	e, err := s.gradedExam(r)
	if err != nil {
		return err
	}
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := decodeOptional(w, r, &req); err != nil {
		return err
	}
	if len(req.IDs) > maxPublishIDs {
		return examhall.Errorf(examhall.ETOOLARGE, "at most %d ids at a time", maxPublishIDs)
	}
	if err := checkIDs("ids", req.IDs); err != nil {
		return err
	}
	n, err := s.Attempts.PublishAttempts(r.Context(), e.ID, req.IDs)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		Published int `json:"published"`
	}{n})
}

// exportGrades writes the exam's ranked grades as an XLSX (default) or CSV
// file with the open API's columns. Every page is fetched before anything
// is written, so a failure still gets a proper error response.
func (s *Server) exportGrades(w http.ResponseWriter, r *http.Request) error {
	e, err := s.gradedExam(r)
	if err != nil {
		return err
	}
	format := sheet.XLSX
	if v := r.URL.Query().Get("format"); v != "" {
		if format, err = sheet.ParseFormat(v); err != nil {
			return err
		}
	}
	var rows [][]string
	for offset := 0; ; {
		as, total, err := s.Attempts.FindGrades(r.Context(), e.ID, offset, exportPage)
		if err != nil {
			return err
		}
		for _, a := range as {
			rows = append(rows, examhall.GradeRow(e, a, s.location()))
		}
		offset += len(as)
		if len(as) == 0 || offset >= total {
			break
		}
	}
	w.Header().Set("Content-Type", format.ContentType())
	w.Header().Set("Content-Disposition", attachment(fmt.Sprintf("grades-%s.%s", e.ID, format), fmt.Sprintf("%s-grades.%s", e.Name, format)))
	if err := sheet.Write(w, format, "Grades", examhall.GradeColumns, rows); err != nil {
		// Headers are out; all we can do is log and cut the response short.
		s.log().Error("writing grade export", "exam", e.ID, "err", err)
	}
	return nil
}

// attachment returns a Content-Disposition for a download: an ASCII
// filename for old clients and the UTF-8 one (RFC 6266) for the rest.
func attachment(ascii, utf8Name string) string {
	var b strings.Builder
	for i := 0; i < len(utf8Name); i++ {
		c := utf8Name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("!#$&+-.^_`|~", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	ascii = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, ascii)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, b.String())
}
