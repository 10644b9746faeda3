package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"examhall"
	"examhall/sheet"
)

// markingRoutes lists the routes of the marking, review and results pages.
// Marking and results are for administrators and the invigilators of the
// exam (Policy.Exam with manage); reviews for administrators and the
// invigilators of the room (Policy.Room with manage).
func (s *Server) markingRoutes() []route {
	return []route{
		{pattern: "GET /marking", h: s.markingIndex, access: staffOnly},
		{pattern: "GET /marking/{exam}", h: s.markingPage, access: staffOnly},
		{pattern: "POST /marking/{exam}/{attempt}", h: s.saveMarks, access: staffOnly},
		{pattern: "GET /results/{exam}", h: s.resultsPage, access: staffOnly},
		{pattern: "GET /results/{exam}/export", h: s.exportResults, access: staffOnly},
		{pattern: "POST /results/{exam}/publish", h: s.publishGrades, access: staffOnly},
		{pattern: "GET /review", h: s.reviewIndex, access: staffOnly},
		{pattern: "GET /rooms/{id}/review", h: s.reviewQueue, access: staffOnly},
		{pattern: "GET /rooms/{id}/review/{attempt}", h: s.reviewAttempt, access: staffOnly},
		{pattern: "POST /rooms/{id}/review/{attempt}", h: s.decide, access: staffOnly},
	}
}

// managedExam returns the exam of the {exam} path value when the caller
// may manage it.
func (s *Server) managedExam(r *http.Request) (*examhall.Exam, error) {
	id := r.PathValue("exam")
	if err := s.Policy.Exam(r.Context(), id, true); err != nil {
		return nil, err
	}
	return s.Exams.FindExamByID(r.Context(), id)
}

// staffExams lists the exams the caller manages: every exam for an admin,
// else the exams of the invigilator's rooms.
func (s *Server) staffExams(r *http.Request, c *examhall.Caller) ([]*examhall.Exam, error) {
	ctx := r.Context()
	if c.Role == examhall.RoleAdmin {
		es, _, err := s.Exams.FindExams(ctx, examhall.ExamFilter{Limit: 200})
		return es, err
	}
	rooms, _, err := s.Rooms.FindRooms(ctx, examhall.RoomFilter{UserID: c.ID, Limit: 200})
	if err != nil {
		return nil, err
	}
	var out []*examhall.Exam
	seen := map[string]bool{}
	for _, rm := range rooms {
		if seen[rm.ExamID] || s.Policy.Exam(ctx, rm.ExamID, true) != nil {
			continue
		}
		seen[rm.ExamID] = true
		e, err := s.Exams.FindExamByID(ctx, rm.ExamID)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// markingExam is one exam of the marking index.
type markingExam struct {
	Exam             *examhall.Exam
	Awaiting, Marked int
}

// markingIndexView lists the exams the caller may mark.
type markingIndexView struct {
	Page
	Exams []markingExam
}

func (s *Server) markingIndex(w http.ResponseWriter, r *http.Request) error {
	c, err := callerOf(r.Context())
	if err != nil {
		return err
	}
	es, err := s.staffExams(r, c)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = p.T("marking.title")
	v := &markingIndexView{Page: p}
	for _, e := range es {
		awaiting, marked, err := s.Results.CountPending(r.Context(), e.ID)
		if err != nil {
			return err
		}
		v.Exams = append(v.Exams, markingExam{Exam: e, Awaiting: awaiting, Marked: marked})
	}
	s.render(w, r, http.StatusOK, "marking", v)
	return nil
}

// maxMarkingQueue bounds the attempts one marking page reads.
const maxMarkingQueue = 5000

// markingView is the marking queue of an exam: one question across
// candidates (By "question") or one candidate across questions (By
// "candidate").
type markingView struct {
	Page
	Exam      *examhall.Exam
	By        string // "question" or "candidate"
	HideNames bool
	Questions []markQuestion // the paper's short-answer questions
	Question  *markQuestion  // By question: the current one
	Attempts  []markAttempt  // the queue
	Current   *markAttempt   // the response(s) being marked, nil when all are marked
	Items     []markItem     // what Current shows: one item by question, all by candidate
	// Progress: attempts whose every short answer is marked, of all attempts
	// awaiting marking or publication; by question, marks of this question.
	Done, Total int
	Errors      []fieldError
	Notice      string
	Values      map[string]string // re-shown input by question ID
}

// markQuestion is a short-answer question of the paper.
type markQuestion struct {
	N int // its number in the paper
	Q *examhall.Question
}

// markAttempt is one attempt of the queue.
type markAttempt struct {
	N       int // position in the queue, the hidden-names label
	A       *examhall.Attempt
	Name    string
	Account string
	Done    bool // by question: this question is marked; by candidate: all are
}

// markItem is one response to mark.
type markItem struct {
	Q        markQuestion
	Text     string
	Mark     string // the current mark, "" when unmarked
	Error    string
	Max      string
	Field    string // input name
	InputVal string
}

// Who shows a candidate, or their queue number when names are hidden.
func (v *markingView) Who(a *markAttempt) string {
	if v.HideNames {
		return v.T("marking.candidateN", a.N)
	}
	return a.Name + " (" + a.Account + ")"
}

// URL returns the queue's URL with the current settings and extra pairs.
func (v *markingView) URL(kv ...string) string {
	q := url.Values{"by": {v.By}}
	if v.HideNames {
		q.Set("names", "hide")
	}
	if v.Question != nil {
		q.Set("q", v.Question.Q.ID)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return "/marking/" + v.Exam.ID + "?" + q.Encode()
}

// Percent shows a share as a whole percentage.
func (v *markingView) Percent() int {
	if v.Total == 0 {
		return 100
	}
	return v.Done * 100 / v.Total
}

func (s *Server) markingPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.markingView(w, r, r.URL.Query())
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("saved") {
	case "1":
		v.Notice = v.T("marking.saved")
	}
	s.render(w, r, http.StatusOK, "marking_queue", v)
	return nil
}

// markingView gathers the queue; q holds the settings (by, q, a, names).
func (s *Server) markingView(w http.ResponseWriter, r *http.Request, q url.Values) (*markingView, error) {
	e, err := s.managedExam(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	paper, err := s.Exams.FindPaper(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	p := s.page(w, r)
	p.Title = p.T("marking.queueTitle", e.Name)
	v := &markingView{Page: p, Exam: e, By: "question", HideNames: q.Get("names") == "hide", Values: map[string]string{}}
	if q.Get("by") == "candidate" {
		v.By = "candidate"
	}
	for i, qu := range paper {
		if !qu.Objective() {
			v.Questions = append(v.Questions, markQuestion{N: i + 1, Q: qu})
		}
	}
	var queue []*examhall.Attempt
	for _, st := range []examhall.AttemptStatus{examhall.AttemptMarking, examhall.AttemptMarked} {
		as, _, err := s.Attempts.FindAttempts(ctx, examhall.AttemptFilter{ExamID: e.ID, Status: &st, Limit: maxMarkingQueue})
		if err != nil {
			return nil, err
		}
		queue = append(queue, as...)
	}
	// Oldest first, so the queue keeps its order as marks are saved.
	slices.SortFunc(queue, func(a, b *examhall.Attempt) int {
		if c := a.BeginTime.Compare(b.BeginTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(v.Questions) == 0 {
		return v, nil
	}
	if v.By == "question" {
		v.Question = &v.Questions[0]
		for i := range v.Questions {
			if v.Questions[i].Q.ID == q.Get("q") {
				v.Question = &v.Questions[i]
			}
		}
	}
	names := map[string]*examhall.User{}
	for i, a := range queue {
		u, ok := names[a.UserID]
		if !ok {
			if u, err = s.Users.FindUserByID(ctx, a.UserID); err != nil {
				return nil, err
			}
			names[a.UserID] = u
		}
		ma := markAttempt{N: i + 1, A: a, Name: u.Name, Account: u.Account}
		if v.By == "question" {
			_, ma.Done = a.Marks[v.Question.Q.ID]
		} else {
			ma.Done = a.Status == examhall.AttemptMarked
		}
		if a.Status == examhall.AttemptMarked {
			v.Done++
		}
		v.Attempts = append(v.Attempts, ma)
	}
	v.Total = len(queue)
	if v.By == "question" {
		v.Done = 0
		for _, a := range v.Attempts {
			if a.Done {
				v.Done++
			}
		}
	}
	// The current attempt: the one asked for, else the first not done.
	want := q.Get("a")
	for i := range v.Attempts {
		if (want != "" && v.Attempts[i].A.ID == want) || (want == "" && !v.Attempts[i].Done) {
			v.Current = &v.Attempts[i]
			break
		}
	}
	if v.Current == nil {
		return v, nil
	}
	qs := v.Questions
	if v.By == "question" {
		qs = []markQuestion{*v.Question}
	}
	for _, mq := range qs {
		it := markItem{Q: mq, Max: p.Score(mq.Q.Score), Field: "score-" + mq.Q.ID}
		if ans, ok := v.Current.A.Answers[mq.Q.ID]; ok {
			it.Text = ans.Text
		}
		if m, ok := v.Current.A.Marks[mq.Q.ID]; ok {
			it.Mark = p.Score(m)
		}
		it.InputVal = it.Mark
		v.Items = append(v.Items, it)
	}
	return v, nil
}

// saveMarks saves the marks of one attempt's short answers and goes on to
// the next response. A mark that is not a number within 0..the question's
// score re-shows the form with the reason, and nothing is saved.
func (s *Server) saveMarks(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return examhall.Errorf(examhall.EINVALID, "the form could not be read")
	}
	settings := url.Values{"by": {r.PostFormValue("by")}, "q": {r.PostFormValue("q")}, "names": {r.PostFormValue("names")},
		"a": {r.PathValue("attempt")}}
	v, err := s.markingView(w, r, settings)
	if err != nil {
		return err
	}
	if v.Current == nil || v.Current.A.ID != r.PathValue("attempt") {
		return examhall.Errorf(examhall.ENOTFOUND, "attempt %q is not awaiting marking in this exam", r.PathValue("attempt"))
	}
	marks := map[string]float64{}
	for i := range v.Items {
		it := &v.Items[i]
		raw := strings.TrimSpace(r.PostFormValue(it.Field))
		it.InputVal = raw
		if raw == "" {
			continue // left for later
		}
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || f < 0 || f > it.Q.Q.Score || f != f {
			it.Error = v.T("marking.scoreRange", it.Max)
			v.Errors = append(v.Errors, fieldError{Field: it.Field, Message: v.T("marking.scoreError", it.Q.N, it.Max)})
			continue
		}
		marks[it.Q.Q.ID] = f
	}
	if len(v.Errors) == 0 && len(marks) == 0 {
		it := &v.Items[0]
		it.Error = v.T("marking.scoreRange", it.Max)
		v.Errors = append(v.Errors, fieldError{Field: it.Field, Message: v.T("marking.scoreMissing")})
	}
	if len(v.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "marking_queue", v)
		return nil
	}
	if _, err := s.Attempts.MarkAttempt(r.Context(), v.Current.A.ID, marks); err != nil {
		return err
	}
	next := v.URL("a", "", "saved", "1")
	if r.PostFormValue("stay") != "" {
		next = v.URL("a", v.Current.A.ID, "saved", "1")
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// resultsView is an exam's results page.
type resultsView struct {
	Page
	Exam       *examhall.Exam
	R          *examhall.Results
	Histogram  histogram
	Facility   barChart
	Items      []itemRow
	Awaiting   int // marked attempts awaiting publication
	InMarking  int // attempts still being marked
	Notice     string
	Error      string
	ConfirmErr bool
}

// itemRow is one question of the item analysis.
type itemRow struct {
	N              int
	Type           string
	Stem           string
	Score          float64
	S              examhall.ItemStats
	Flag           string // a locale key when the item needs a look, else ""
	Facility, Disc string
}

// Pct shows a share (0..1) as a percentage with one decimal.
func (v *resultsView) Pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

// Dec shows a number with two decimals.
func (v *resultsView) Dec(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func (s *Server) resultsPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.resultsView(w, r)
	if err != nil {
		return err
	}
	if n := r.URL.Query().Get("published"); n != "" {
		if k, err := strconv.Atoi(n); err == nil {
			v.Notice = v.T("results.published", k)
		}
	}
	s.render(w, r, http.StatusOK, "results", v)
	return nil
}

func (s *Server) resultsView(w http.ResponseWriter, r *http.Request) (*resultsView, error) {
	e, err := s.managedExam(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	res, err := s.Results.FindResults(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	paper, err := s.Exams.FindPaper(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	p := s.page(w, r)
	p.Title = p.T("results.title", e.Name)
	v := &resultsView{Page: p, Exam: e, R: res}
	if v.InMarking, v.Awaiting, err = s.Results.CountPending(ctx, e.ID); err != nil {
		return nil, err
	}
	v.Histogram = newHistogram(&p, res)
	var bars []bar
	for i, it := range res.Items {
		q := paper[i]
		row := itemRow{N: i + 1, Type: "question.type." + string(q.Type), Stem: shorten(q.Stem, 80), Score: q.Score, S: it,
			Facility: strconv.FormatFloat(it.Facility, 'f', 2, 64), Disc: strconv.FormatFloat(it.Discrimination, 'f', 2, 64)}
		switch {
		case it.N == 0:
		case it.Discrimination < 0.2:
			row.Flag = "results.flag.lowDisc"
		case it.Facility > 0.9:
			row.Flag = "results.flag.easy"
		case it.Facility < 0.2:
			row.Flag = "results.flag.hard"
		}
		v.Items = append(v.Items, row)
		bars = append(bars, bar{Label: p.T("results.qN", i+1), Value: it.Facility, Text: row.Facility})
	}
	v.Facility = newBarChart(bars)
	return v, nil
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// histogram is the score distribution drawn as an SVG bar chart.
type histogram struct {
	Width, Height int
	Bars          []histBar
	Axis          int // y of the x axis
	Max           int // the tallest bar's count
}

// histBar is one range of the histogram, in SVG user units.
type histBar struct {
	X, Y, W, H     int
	Label          string // the range, e.g. "10–20"
	Count          int
	LabelX, CountY int
}

func newHistogram(p *Page, res *examhall.Results) histogram {
	const width, height, left, top, bottom = 640, 260, 10, 24, 40
	h := histogram{Width: width, Height: height, Axis: height - bottom}
	for _, n := range res.Buckets {
		h.Max = max(h.Max, n)
	}
	k := len(res.Buckets)
	if k == 0 {
		return h
	}
	slot := (width - 2*left) / k
	step := res.PaperScore / float64(k)
	for i, n := range res.Buckets {
		bh := 0
		if h.Max > 0 {
			bh = n * (height - top - bottom) / h.Max
		}
		x := left + i*slot
		b := histBar{X: x + 4, W: slot - 8, H: bh, Y: h.Axis - bh, Count: n, LabelX: x + slot/2, CountY: h.Axis - bh - 6,
			Label: p.Score(step*float64(i)) + "–" + p.Score(step*float64(i+1))}
		h.Bars = append(h.Bars, b)
	}
	return h
}

// barChart is a horizontal bar chart of shares (0..1), drawn as SVG.
type barChart struct {
	Width, Height int
	Bars          []barGeom
}

type bar struct {
	Label string
	Value float64
	Text  string
}

type barGeom struct {
	bar
	Y, W, TextX, TextY int
}

func newBarChart(bars []bar) barChart {
	const width, rowH, labelW, plotW = 640, 26, 70, 500
	c := barChart{Width: width, Height: rowH*len(bars) + 8}
	for i, b := range bars {
		w := int(max(0, min(b.Value, 1)) * plotW)
		c.Bars = append(c.Bars, barGeom{bar: b, Y: 4 + i*rowH, W: w, TextX: labelW + w + 6, TextY: 4 + i*rowH + rowH/2 + 4})
	}
	return c
}

// publishGrades publishes every marked attempt of the exam once the form's
// confirmation box is ticked; without it the results page comes back with
// the reason and nothing is published.
func (s *Server) publishGrades(w http.ResponseWriter, r *http.Request) error {
	e, err := s.managedExam(r)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "yes" {
		v, err := s.resultsView(w, r)
		if err != nil {
			return err
		}
		v.Error, v.ConfirmErr = v.T("results.confirmMissing"), true
		s.render(w, r, http.StatusBadRequest, "results", v)
		return nil
	}
	n, err := s.Attempts.PublishAttempts(r.Context(), e.ID, nil)
	if err != nil {
		return err
	}
	s.refreshResults(r, e.ID)
	http.Redirect(w, r, fmt.Sprintf("/results/%s?published=%d", url.PathEscape(e.ID), n), http.StatusSeeOther)
	return nil
}

// exportResults writes the exam's results as a spreadsheet: the summary,
// the item analysis and the departments, one block after the other.
func (s *Server) exportResults(w http.ResponseWriter, r *http.Request) error {
	f, err := sheet.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return err
	}
	v, err := s.resultsView(w, r)
	if err != nil {
		return err
	}
	res := v.R
	num := func(x float64) string { return strconv.FormatFloat(examhall.Round2(x), 'f', -1, 64) }
	four := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	rows := [][]string{
		{"attempts", strconv.Itoa(res.Attempts)}, {"passed", strconv.Itoa(res.Passed)}, {"passRate", four(res.PassRate())},
		{"mean", num(res.Mean)}, {"median", num(res.Median)}, {"sd", num(res.SD)}, {"max", num(res.Max)}, {"min", num(res.Min)},
		{},
		{"bucket", "from", "to", "count"},
	}
	for i, b := range v.Histogram.Bars {
		step := res.PaperScore / float64(len(res.Buckets))
		rows = append(rows, []string{strconv.Itoa(i + 1), num(step * float64(i)), num(step * float64(i+1)), strconv.Itoa(b.Count)})
	}
	rows = append(rows, []string{}, []string{"question", "id", "type", "score", "n", "mean", "facility", "discrimination"})
	for _, it := range v.Items {
		rows = append(rows, []string{strconv.Itoa(it.N), it.S.QuestionID, strings.TrimPrefix(it.Type, "question.type."), num(it.Score),
			strconv.Itoa(it.S.N), num(it.S.Mean), four(it.S.Facility), four(it.S.Discrimination)})
	}
	rows = append(rows, []string{}, []string{"department", "attempts", "passed", "mean"})
	for _, d := range res.Departments {
		rows = append(rows, []string{d.DeptPath, strconv.Itoa(d.Attempts), strconv.Itoa(d.Passed), num(d.Mean)})
	}
	name := "results-" + v.Exam.ID + "." + string(f)
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	return sheet.Write(w, f, "results", []string{"item", "value"}, rows)
}

// reviewIndexView lists the rooms whose flagged attempts the caller reviews.
type reviewIndexView struct {
	Page
	Rooms []roomItem
}

func (s *Server) reviewIndex(w http.ResponseWriter, r *http.Request) error {
	c, err := callerOf(r.Context())
	if err != nil {
		return err
	}
	rooms, err := s.managedRooms(r.Context(), c)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = p.T("review.title")
	v := &reviewIndexView{Page: p, Rooms: rooms}
	s.render(w, r, http.StatusOK, "review", v)
	return nil
}

// reviewQueueView is a room's flagged attempts, most severe first.
type reviewQueueView struct {
	Page
	Room    *examhall.Room
	Exam    *examhall.Exam
	Flagged []*examhall.Flagged
	Notice  string
}

// SignalList shows a flagged attempt's signals as "type × n", by type.
func (v *reviewQueueView) SignalList(f *examhall.Flagged) string {
	return signalList(f.Signals)
}

func signalList(m map[string]int) string {
	var parts []string
	for _, t := range slicesSortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s × %d", t, m[t]))
	}
	return strings.Join(parts, ", ")
}

func slicesSortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	room, err := s.Policy.Room(ctx, r.PathValue("id"), true)
	if err != nil {
		return err
	}
	e, err := s.Exams.FindExamByID(ctx, room.ExamID)
	if err != nil {
		return err
	}
	fs, err := s.Reviews.FindFlagged(ctx, examhall.FlaggedFilter{ExamID: e.ID, RoomID: room.ID})
	if err != nil {
		return err
	}
	examhall.SortFlagged(fs)
	p := s.page(w, r)
	p.Title = p.T("review.queueTitle", room.Name)
	v := &reviewQueueView{Page: p, Room: room, Exam: e, Flagged: fs}
	if r.URL.Query().Get("decided") != "" {
		v.Notice = p.T("review.saved")
	}
	s.render(w, r, http.StatusOK, "review_queue", v)
	return nil
}

// reviewView is one flagged attempt's evidence and the decision form.
type reviewView struct {
	Page
	Room    *examhall.Room
	Exam    *examhall.Exam
	Attempt *examhall.Attempt
	// Candidate is the attempt's candidate (not Page.User, the reviewer).
	Candidate *examhall.User
	Signals   []*examhall.CheatRecord // oldest first
	Snapshots []*examhall.Snapshot    // the attempt's camera snapshots, oldest first
	Counts    map[string]int
	Severity  int
	Answers   []reviewAnswer
	Review    *examhall.Review
	// The form: re-shown values and errors.
	Decision string
	Comment  string
	Errors   []fieldError
	Decided  map[string]string // field → message
}

// CountList shows the signal counts.
func (v *reviewView) CountList() string { return signalList(v.Counts) }

// SignalTime shows a signal's client detect time.
func (v *reviewView) SignalTime(ms int64) string { return v.Clock(time.UnixMilli(ms)) }

// reviewAnswer is one question of the attempt with the candidate's answer.
type reviewAnswer struct {
	N      int
	Q      *examhall.Question
	Answer string
	Mark   string
	Max    string
}

func (s *Server) reviewAttempt(w http.ResponseWriter, r *http.Request) error {
	v, err := s.reviewView(w, r)
	if err != nil {
		return err
	}
	if v.Review != nil {
		v.Decision, v.Comment = string(v.Review.Decision), v.Review.Comment
	}
	s.render(w, r, http.StatusOK, "review_attempt", v)
	return nil
}

// maxSignals bounds the timeline shown.
const maxSignals = 500

func (s *Server) reviewView(w http.ResponseWriter, r *http.Request) (*reviewView, error) {
	ctx := r.Context()
	room, err := s.Policy.Room(ctx, r.PathValue("id"), true)
	if err != nil {
		return nil, err
	}
	a, err := s.Attempts.FindAttemptByID(ctx, r.PathValue("attempt"))
	if err != nil {
		return nil, err
	}
	// Only the attempts of this room's exam by candidates of this room.
	notHere := examhall.Errorf(examhall.ENOTFOUND, "attempt %q is not one of this room's", a.ID)
	if a.ExamID != room.ExamID {
		return nil, notHere
	}
	if _, err := s.Rooms.FindMember(ctx, room.ID, a.UserID); examhall.ErrorCode(err) == examhall.ENOTFOUND {
		return nil, notHere
	} else if err != nil {
		return nil, err
	}
	e, err := s.Exams.FindExamByID(ctx, room.ExamID)
	if err != nil {
		return nil, err
	}
	u, err := s.Users.FindUserByID(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	signals, err := s.Reviews.FindSignals(ctx, room.ExamID, room.ID, a.UserID, maxSignals)
	if err != nil {
		return nil, err
	}
	paper, err := s.Exams.FindPaper(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	review, err := s.Reviews.FindReview(ctx, a.ID)
	if examhall.ErrorCode(err) == examhall.ENOTFOUND {
		review, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := s.page(w, r)
	p.Title = p.T("review.attemptTitle", u.Name)
	v := &reviewView{Page: p, Room: room, Exam: e, Attempt: a, Candidate: u, Signals: signals, Counts: map[string]int{},
		Review: review, Decided: map[string]string{}}
	for _, sg := range signals {
		v.Counts[sg.DetectType]++
	}
	if s.Proctor != nil {
		entries, err := s.Proctor.Timeline(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		for _, en := range entries {
			if en.Snapshot != nil {
				v.Snapshots = append(v.Snapshots, en.Snapshot)
			}
		}
	}
	v.Severity = examhall.Severity(v.Counts, false)
	for i, q := range paper {
		ra := reviewAnswer{N: i + 1, Q: q, Max: p.Score(q.Score)}
		if ans, ok := a.Answers[q.ID]; ok {
			ra.Answer = answerText(&p, q, ans)
		}
		if m, ok := a.Marks[q.ID]; ok {
			ra.Mark = p.Score(m)
		}
		v.Answers = append(v.Answers, ra)
	}
	return v, nil
}

// answerText shows a candidate's answer to q as text.
func answerText(p *Page, q *examhall.Question, a examhall.Answer) string {
	switch q.Type {
	case examhall.QuestionSingle, examhall.QuestionMultiple:
		var parts []string
		for _, c := range a.Choices {
			if c >= 0 && c < len(q.Options) {
				parts = append(parts, string(rune('A'+c))+". "+q.Options[c])
			}
		}
		return strings.Join(parts, "; ")
	case examhall.QuestionTrueFalse:
		if a.Bool == nil {
			return ""
		}
		if *a.Bool {
			return p.T("question.true")
		}
		return p.T("question.false")
	case examhall.QuestionFill:
		return strings.Join(a.Blanks, " | ")
	}
	return a.Text
}

// decide records the reviewer's decision; a missing decision, or a
// violation without a comment, re-shows the form and records nothing.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) error {
	v, err := s.reviewView(w, r)
	if err != nil {
		return err
	}
	c, err := callerOf(r.Context())
	if err != nil {
		return err
	}
	v.Decision = r.PostFormValue("decision")
	v.Comment = strings.TrimSpace(r.PostFormValue("comment"))
	rev := &examhall.Review{AttemptID: v.Attempt.ID, Decision: examhall.Decision(v.Decision), Comment: v.Comment, ReviewerID: c.ID}
	switch {
	case rev.Decision != examhall.DecisionClear && rev.Decision != examhall.DecisionSuspicious && rev.Decision != examhall.DecisionViolation:
		v.Decided["decision"] = v.T("review.err.decision")
		v.Errors = append(v.Errors, fieldError{Field: "decision-clear", Message: v.Decided["decision"]})
	case rev.Decision == examhall.DecisionViolation && v.Comment == "":
		v.Decided["comment"] = v.T("review.err.comment")
		v.Errors = append(v.Errors, fieldError{Field: "comment", Message: v.Decided["comment"]})
	case len([]rune(v.Comment)) > examhall.MaxReviewComment || !examhall.ValidText(v.Comment):
		v.Decided["comment"] = v.T("review.err.commentLong", examhall.MaxReviewComment)
		v.Errors = append(v.Errors, fieldError{Field: "comment", Message: v.Decided["comment"]})
	}
	if len(v.Errors) == 0 {
		err := s.Reviews.SetReview(r.Context(), rev)
		switch examhall.ErrorCode(err) {
		case "":
			s.refreshResults(r, v.Exam.ID)
			http.Redirect(w, r, "/rooms/"+url.PathEscape(v.Room.ID)+"/review?decided=1", http.StatusSeeOther)
			return nil
		case examhall.ECONFLICT, examhall.EINVALID:
			v.Errors = append(v.Errors, fieldError{Field: "decision-clear", Message: examhall.ErrorMessage(err)})
			s.render(w, r, http.StatusConflict, "review_attempt", v)
			return nil
		default:
			return err
		}
	}
	s.render(w, r, http.StatusBadRequest, "review_attempt", v)
	return nil
}

// refreshResults recomputes the exam's results after a write that changed
// them, so that the person who published or decided waits for it rather
// than the next reader of the results page. A failure is only logged: the
// write has succeeded, and the page recomputes on its own.
func (s *Server) refreshResults(r *http.Request, examID string) {
	if _, err := s.Results.FindResults(r.Context(), examID); err != nil {
		s.log().Warn("refreshing results", "exam", examID, "err", err)
	}
}
