package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"examhall"
)

// signInView is the sign-in form.
type signInView struct {
	Page
	Account string
	Error   string
	Next    string // where to go after signing in
}

// home is the sign-in form, or the signed-in user's start page: a
// candidate's exams, a staff member's rooms.
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	c := examhall.CallerFromContext(r.Context())
	if c == nil {
		return s.showSignIn(w, r, http.StatusOK, "", "")
	}
	if c.Role == examhall.RoleExaminee {
		return s.myExams(w, r, c)
	}
	return s.myRooms(w, r, c)
}

// showSignIn renders the sign-in form; next comes from the query unless the
// form posted it.
func (s *Server) showSignIn(w http.ResponseWriter, r *http.Request, status int, account, msg string) error {
	p := s.page(w, r)
	p.Title = p.T("signin.title")
	next := r.FormValue("next")
	if next == "" && r.Method == http.MethodGet && r.URL.Path != "/" {
		next = r.URL.RequestURI()
	}
	s.render(w, r, status, "signin", &signInView{Page: p, Account: account, Error: msg, Next: safeNext(next)})
	return nil
}

// signIn checks the form's account and password, sets the session cookie
// and returns to where the user was going. A wrong pair re-shows the form.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	account := strings.TrimSpace(r.PostFormValue("account"))
	password := r.PostFormValue("password")
	if !examhall.ValidText(account) || !examhall.ValidText(password) {
		return examhall.Errorf(examhall.EINVALID, "the account or password holds characters that are not allowed")
	}
	lang := s.language(w, r)
	if account == "" || password == "" {
		return s.showSignIn(w, r, http.StatusBadRequest, account, translate(lang, "signin.missing"))
	}
	token, exp, err := s.Auth.Login(r.Context(), account, password, r.RemoteAddr)
	switch examhall.ErrorCode(err) {
	case "":
	case examhall.EUNAUTHORIZED:
		return s.showSignIn(w, r, http.StatusUnauthorized, account, translate(lang, "signin.wrong"))
	case examhall.ETOOMANY:
		return s.showSignIn(w, r, http.StatusTooManyRequests, account, translate(lang, "signin.throttled"))
	default:
		return err
	}
	s.setCookie(w, SessionCookie, token, exp, http.SameSiteLaxMode)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}

// signOut forgets the session cookie.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	s.clearCookie(w, SessionCookie)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// signInURL is the sign-in page that returns to next afterwards.
func signInURL(next string) string { return "/?next=" + url.QueryEscape(safeNext(next)) }

// examItem is one exam of a candidate's list.
type examItem struct {
	ID         string
	Name       string
	Begin, End time.Time
	Minutes    int
	Used       int
	Allowed    int
	Status     string // a locale key: exam.status.*
	InProgress bool
}

// myExamsView is a candidate's start page: exams open now, upcoming and
// finished.
type myExamsView struct {
	Page
	Open, Upcoming, Finished []examItem
}

// Sections lists the three lists with their headings (locale keys).
func (v *myExamsView) Sections() []examSection {
	return []examSection{
		{ID: "open", Heading: "myExams.open", Empty: "myExams.noneOpen", Items: v.Open},
		{ID: "upcoming", Heading: "myExams.upcoming", Empty: "myExams.noneUpcoming", Items: v.Upcoming},
		{ID: "finished", Heading: "myExams.finished", Empty: "myExams.noneFinished", Items: v.Finished},
	}
}

// examSection is one list of the candidate's start page.
type examSection struct {
	ID, Heading, Empty string
	Items              []examItem
}

// myExams lists the candidate's exams open now, upcoming and finished.
func (s *Server) myExams(w http.ResponseWriter, r *http.Request, c *examhall.Caller) error {
	ctx := r.Context()
	now := s.now()
	ues, _, err := s.Exams.FindUserExams(ctx, c.ID, now, 0, 0)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = p.T("myExams.title")
	v := &myExamsView{Page: p}
	listed := make(map[string]bool, len(ues))
	for _, ue := range ues {
		listed[ue.Exam.ID] = true
		rules, err := s.rules(r, ue.Exam, c.ID)
		if err != nil {
			return err
		}
		it := examItem{ID: ue.Exam.ID, Name: ue.Exam.Name, Begin: rules.BeginTime, End: rules.EndTime,
			Minutes: rules.AnswerMinutes, Used: ue.Used, Allowed: ue.AllowTimes, InProgress: ue.InProgress != ""}
		switch {
		case it.InProgress:
			it.Status = "exam.status.inProgress"
			v.Open = append(v.Open, it)
		case now.Before(rules.BeginTime):
			it.Status = "exam.status.upcoming"
			v.Upcoming = append(v.Upcoming, it)
		default:
			it.Status = "exam.status.open"
			v.Open = append(v.Open, it)
		}
	}
	// Finished: exams the candidate sat that are no longer listed above.
	as, _, err := s.Attempts.FindAttempts(ctx, examhall.AttemptFilter{UserID: c.ID, Limit: 500})
	if err != nil {
		return err
	}
	seen := map[string]int{} // index in v.Finished
	for _, a := range as {   // newest first
		if listed[a.ExamID] {
			continue
		}
		if i, ok := seen[a.ExamID]; ok {
			v.Finished[i].Used++
			continue
		}
		e, err := s.Exams.FindExamByID(ctx, a.ExamID)
		if err != nil {
			return err
		}
		v.Finished = append(v.Finished, examItem{ID: e.ID, Name: e.Name, Begin: e.BeginTime, End: e.EndTime,
			Minutes: e.AnswerMinutes, Used: 1, Allowed: e.AllowTimes, Status: "attempt.status." + string(a.Status)})
		seen[a.ExamID] = len(v.Finished) - 1
	}
	s.render(w, r, http.StatusOK, "myexams", v)
	return nil
}

// rules returns the exam's rules for the candidate, their override applied.
func (s *Server) rules(r *http.Request, e *examhall.Exam, userID string) (examhall.Rules, error) {
	o, err := s.Exams.FindOverride(r.Context(), e.ID, userID)
	if examhall.ErrorCode(err) == examhall.ENOTFOUND {
		o, err = nil, nil
	}
	if err != nil {
		return examhall.Rules{}, err
	}
	return e.RulesFor(o), nil
}

// roomItem is one room of a staff member's list.
type roomItem struct {
	Room  *examhall.Room
	Exam  string // the exam's name
	Ended bool
}

// myRoomsView is a staff member's start page.
type myRoomsView struct {
	Page
	Rooms []roomItem
}

// myRooms lists the rooms the staff member manages (an admin: all rooms).
func (s *Server) myRooms(w http.ResponseWriter, r *http.Request, c *examhall.Caller) error {
	rooms, err := s.managedRooms(r.Context(), c)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = p.T("rooms.title")
	s.render(w, r, http.StatusOK, "rooms", &myRoomsView{Page: p, Rooms: rooms})
	return nil
}

// maxListedRooms bounds the rooms a staff list shows.
const maxListedRooms = 200

// managedRooms returns the rooms c manages (an admin: all rooms), newest
// first, with their exams' names.
func (s *Server) managedRooms(ctx context.Context, c *examhall.Caller) ([]roomItem, error) {
	f := examhall.RoomFilter{Limit: maxListedRooms}
	if c.Role != examhall.RoleAdmin {
		f.UserID = c.ID
	}
	rooms, _, err := s.Rooms.FindRooms(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []roomItem
	names := map[string]string{}
	for _, rm := range rooms {
		if _, err := s.Policy.Room(ctx, rm.ID, true); err != nil {
			continue // a room the caller only reads
		}
		if _, ok := names[rm.ExamID]; !ok {
			e, err := s.Exams.FindExamByID(ctx, rm.ExamID)
			if err != nil {
				return nil, err
			}
			names[rm.ExamID] = e.Name
		}
		out = append(out, roomItem{Room: rm, Exam: names[rm.ExamID], Ended: rm.Status == examhall.RoomEnded})
	}
	return out, nil
}
