package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"examhall"
)

// Session is the answer of Login: a session token and when it expires.
type Session struct {
	Token  string    `json:"token"`
	Expire time.Time `json:"expire"`
}

// Login exchanges an account and password for a session token (POST
// /api/v1/login), which the Client then sends on every management call.
// Wrong credentials are EUNAUTHORIZED; repeated failures ETOOMANY.
func (c *Client) Login(ctx context.Context, account, password string) (*Session, error) {
	in := struct {
		Account  string `json:"account"`
		Password string `json:"password"`
	}{account, password}
	var s Session
	if err := c.do(ctx, http.MethodPost, "/api/v1/login", nil, in, &s); err != nil {
		return nil, err
	}
	c.SetSessionToken(s.Token)
	return &s, nil
}

// Caller is the authenticated user as Me returns it. RoomID is set for a
// join-link token: the room it is bound to.
type Caller struct {
	examhall.User
	RoomID string `json:"roomId,omitempty"`
}

// Me returns the user the session token belongs to (GET /api/v1/me).
func (c *Client) Me(ctx context.Context) (*Caller, error) {
	var me Caller
	if err := c.do(ctx, http.MethodGet, "/api/v1/me", nil, nil, &me); err != nil {
		return nil, err
	}
	return &me, nil
}

// ListDepartments returns the whole department tree as a flat list ordered
// by path. Admins only.
func (c *Client) ListDepartments(ctx context.Context) ([]*examhall.Department, error) {
	var l list[*examhall.Department]
	if err := c.do(ctx, http.MethodGet, "/api/v1/departments", nil, nil, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// CreateDepartment creates a department named name under parentID ("" for a
// root). Admins only; ECONFLICT when the parent already has a child of that
// name, EINVALID on an unknown parent.
func (c *Client) CreateDepartment(ctx context.Context, name, parentID string) (*examhall.Department, error) {
	in := struct {
		Name     string `json:"name"`
		ParentID string `json:"parentId,omitempty"`
	}{name, parentID}
	var d examhall.Department
	if err := c.do(ctx, http.MethodPost, "/api/v1/departments", nil, in, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// DeleteDepartment deletes an empty department. Admins only; ECONFLICT
// while it has children or users.
func (c *Client) DeleteDepartment(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/departments/"+escape(id), nil, nil, nil)
}

// UserCreate is the body of CreateUser. Give DeptID or DeptPath ("A/B/C",
// created when missing), not both. Without a Password the user cannot log
// in with one; examinees then use join links.
type UserCreate struct {
	Account  string        `json:"account"`
	Name     string        `json:"name"`
	Role     examhall.Role `json:"role"`
	DeptID   string        `json:"deptId,omitempty"`
	DeptPath string        `json:"deptPath,omitempty"`
	Password string        `json:"password,omitempty"`
}

// CreateUser creates a user. Admins only; ECONFLICT on a taken account,
// EINVALID on a bad field or a password the policy refuses.
func (c *Client) CreateUser(ctx context.Context, u UserCreate) (*examhall.User, error) {
	var out examhall.User
	if err := c.do(ctx, http.MethodPost, "/api/v1/users", nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetUser returns a user by ID. Admins only; ENOTFOUND.
func (c *Client) GetUser(ctx context.Context, id string) (*examhall.User, error) {
	var u examhall.User
	if err := c.do(ctx, http.MethodGet, "/api/v1/users/"+escape(id), nil, nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserUpdate is the body of UpdateUser; nil fields stay as they are. DeptID
// "" moves the user out of any department.
type UserUpdate struct {
	Name     *string        `json:"name,omitempty"`
	Role     *examhall.Role `json:"role,omitempty"`
	DeptID   *string        `json:"deptId,omitempty"`
	Password *string        `json:"password,omitempty"`
	Disabled *bool          `json:"disabled,omitempty"`
}

// UpdateUser changes a user and returns it. Admins only; admins cannot
// disable or demote themselves (ECONFLICT).
func (c *Client) UpdateUser(ctx context.Context, id string, upd UserUpdate) (*examhall.User, error) {
	var u examhall.User
	if err := c.do(ctx, http.MethodPatch, "/api/v1/users/"+escape(id), nil, upd, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserFilter selects the users ListUsers returns; zero fields do not filter.
type UserFilter struct {
	Query    string        // substring of account or name
	Role     examhall.Role // "" for any
	DeptID   string        // exactly this department
	Disabled *bool
	Page
}

// ListUsers returns the users matching f, ordered by account, and their
// total count ignoring paging. Admins only.
func (c *Client) ListUsers(ctx context.Context, f UserFilter) ([]*examhall.User, int, error) {
	q := url.Values{}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.Role != "" {
		q.Set("role", string(f.Role))
	}
	if f.DeptID != "" {
		q.Set("deptId", f.DeptID)
	}
	if f.Disabled != nil {
		q.Set("disabled", strconv.FormatBool(*f.Disabled))
	}
	f.Page.set(q)
	var l list[*examhall.User]
	if err := c.do(ctx, http.MethodGet, "/api/v1/users", q, nil, &l); err != nil {
		return nil, 0, err
	}
	return l.Items, l.Total, nil
}

// Exam is an exam as the management API returns it: the exam and the URL
// where candidates open it.
type Exam struct {
	examhall.Exam
	EntryURL string `json:"entryUrl"`
}

// ExamRequest is the body of CreateExam and UpdateExam; nil fields are not
// sent (CreateExam then applies the defaults: allowTimes 1, audience all).
// Status is not accepted: use PublishExam and ArchiveExam.
type ExamRequest struct {
	Name             *string            `json:"name,omitempty"`
	BeginTime        *time.Time         `json:"beginTime,omitempty"`
	EndTime          *time.Time         `json:"endTime,omitempty"`
	AnswerMinutes    *int               `json:"answerMinutes,omitempty"`
	PassScore        *float64           `json:"passScore,omitempty"`
	PaperScore       *float64           `json:"paperScore,omitempty"`
	AllowTimes       *int               `json:"allowTimes,omitempty"`
	IntegralRate     *float64           `json:"integralRate,omitempty"`
	ShuffleQuestions *bool              `json:"shuffleQuestions,omitempty"`
	ShuffleOptions   *bool              `json:"shuffleOptions,omitempty"`
	PartialCredit    *bool              `json:"partialCredit,omitempty"`
	Audience         *examhall.Audience `json:"audience,omitempty"`
	AudienceDeptIDs  *[]string          `json:"audienceDeptIds,omitempty"`
	AudienceUserIDs  *[]string          `json:"audienceUserIds,omitempty"`
	// Proctoring changes the proctoring settings it names.
	Proctoring *examhall.ProctoringUpdate `json:"proctoring,omitempty"`
}

// CreateExam creates a draft exam. Admins only; EINVALID on bad fields.
func (c *Client) CreateExam(ctx context.Context, req ExamRequest) (*Exam, error) {
	return c.exam(ctx, http.MethodPost, "/api/v1/exams", req)
}

// GetExam returns an exam. Staff only; ENOTFOUND.
func (c *Client) GetExam(ctx context.Context, id string) (*Exam, error) {
	return c.exam(ctx, http.MethodGet, "/api/v1/exams/"+escape(id), nil)
}

// UpdateExam changes the given fields of an exam. Admins only.
func (c *Client) UpdateExam(ctx context.Context, id string, req ExamRequest) (*Exam, error) {
	return c.exam(ctx, http.MethodPatch, "/api/v1/exams/"+escape(id), req)
}

// PublishExam opens an exam to its candidates. Admins only; ECONFLICT when
// it has no paper yet.
func (c *Client) PublishExam(ctx context.Context, id string) (*Exam, error) {
	return c.exam(ctx, http.MethodPost, "/api/v1/exams/"+escape(id)+"/publish", nil)
}

// ArchiveExam closes an exam; its grades stay. Admins only.
func (c *Client) ArchiveExam(ctx context.Context, id string) (*Exam, error) {
	return c.exam(ctx, http.MethodPost, "/api/v1/exams/"+escape(id)+"/archive", nil)
}

func (c *Client) exam(ctx context.Context, method, path string, in any) (*Exam, error) {
	var e Exam
	if err := c.do(ctx, method, path, nil, in, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// ExamFilter selects the exams ListExams returns; zero fields do not filter.
type ExamFilter struct {
	Query  string              // substring of the name
	Status examhall.ExamStatus // "" for any
	Page
}

// ListExams returns the exams matching f and their total count. Staff only.
func (c *Client) ListExams(ctx context.Context, f ExamFilter) ([]*Exam, int, error) {
	q := url.Values{}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.Status != "" {
		q.Set("status", string(f.Status))
	}
	f.Page.set(q)
	var l list[*Exam]
	if err := c.do(ctx, http.MethodGet, "/api/v1/exams", q, nil, &l); err != nil {
		return nil, 0, err
	}
	return l.Items, l.Total, nil
}

// GetPaper returns an exam's questions with their answers. Admins only.
func (c *Client) GetPaper(ctx context.Context, examID string) ([]*examhall.Question, error) {
	var l list[*examhall.Question]
	if err := c.do(ctx, http.MethodGet, "/api/v1/exams/"+escape(examID)+"/paper", nil, nil, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// SetPaper replaces an exam's paper and returns it, with IDs given to the
// questions that had none. Admins only; EINVALID on a bad question,
// ECONFLICT once attempts exist.
func (c *Client) SetPaper(ctx context.Context, examID string, questions []*examhall.Question) ([]*examhall.Question, error) {
	if questions == nil {
		questions = []*examhall.Question{}
	}
	var l list[*examhall.Question]
	if err := c.do(ctx, http.MethodPut, "/api/v1/exams/"+escape(examID)+"/paper", nil, questions, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// OverrideRequest is a candidate's accommodation in an exam: attempts and
// answer minutes beyond the exam's, and a window of their own (nil keeps
// the exam's).
type OverrideRequest struct {
	ExtraAttempts int        `json:"extraAttempts"`
	ExtraMinutes  int        `json:"extraMinutes"`
	BeginTime     *time.Time `json:"beginTime,omitempty"`
	EndTime       *time.Time `json:"endTime,omitempty"`
}

// SetOverride creates or replaces a candidate's override. Admins only;
// EINVALID when the window would end before it begins.
func (c *Client) SetOverride(ctx context.Context, examID, userID string, req OverrideRequest) (*examhall.Override, error) {
	var o examhall.Override
	if err := c.do(ctx, http.MethodPut, overridePath(examID, userID), nil, req, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// GetOverride returns a candidate's override; ENOTFOUND when none.
func (c *Client) GetOverride(ctx context.Context, examID, userID string) (*examhall.Override, error) {
	var o examhall.Override
	if err := c.do(ctx, http.MethodGet, overridePath(examID, userID), nil, nil, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// ListOverrides returns every override of an exam, by user ID.
func (c *Client) ListOverrides(ctx context.Context, examID string) ([]*examhall.Override, error) {
	var l list[*examhall.Override]
	if err := c.do(ctx, http.MethodGet, "/api/v1/exams/"+escape(examID)+"/overrides", nil, nil, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// DeleteOverride removes a candidate's override; ENOTFOUND when none.
func (c *Client) DeleteOverride(ctx context.Context, examID, userID string) error {
	return c.do(ctx, http.MethodDelete, overridePath(examID, userID), nil, nil, nil)
}

func overridePath(examID, userID string) string {
	return "/api/v1/exams/" + escape(examID) + "/overrides/" + escape(userID)
}

// CreateRoom creates a room of an exam. Staff only (invigilators only for
// exams they already manage); EINVALID on an unknown exam.
func (c *Client) CreateRoom(ctx context.Context, name, examID string) (*examhall.Room, error) {
	in := struct {
		Name   string `json:"name"`
		ExamID string `json:"examId"`
	}{name, examID}
	var r examhall.Room
	if err := c.do(ctx, http.MethodPost, "/api/v1/rooms", nil, in, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetRoom returns a room the caller manages.
func (c *Client) GetRoom(ctx context.Context, id string) (*examhall.Room, error) {
	var r examhall.Room
	if err := c.do(ctx, http.MethodGet, "/api/v1/rooms/"+escape(id), nil, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ListRooms returns the rooms of examID ("" for all exams) the caller may
// see, and their total count. Staff only.
func (c *Client) ListRooms(ctx context.Context, examID string, p Page) ([]*examhall.Room, int, error) {
	q := url.Values{}
	if examID != "" {
		q.Set("examId", examID)
	}
	p.set(q)
	var l list[*examhall.Room]
	if err := c.do(ctx, http.MethodGet, "/api/v1/rooms", q, nil, &l); err != nil {
		return nil, 0, err
	}
	return l.Items, l.Total, nil
}

// DeleteRoom deletes a room the caller manages.
func (c *Client) DeleteRoom(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/rooms/"+escape(id), nil, nil, nil)
}

// NewMember is one user to put on a room's roster: an invigilator or an
// examinee.
type NewMember struct {
	UserID string        `json:"userId"`
	Role   examhall.Role `json:"role"`
}

// AddMembers puts users on a room's roster, all or none, and returns the
// whole roster. EINVALID on a bad entry, ETOOLARGE over 1000 at a time.
func (c *Client) AddMembers(ctx context.Context, roomID string, members []NewMember) ([]*examhall.Member, error) {
	in := struct {
		Members []NewMember `json:"members"`
	}{members}
	var l list[*examhall.Member]
	if err := c.do(ctx, http.MethodPost, "/api/v1/rooms/"+escape(roomID)+"/members", nil, in, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// ListMembers returns a room's roster.
func (c *Client) ListMembers(ctx context.Context, roomID string) ([]*examhall.Member, error) {
	var l list[*examhall.Member]
	if err := c.do(ctx, http.MethodGet, "/api/v1/rooms/"+escape(roomID)+"/members", nil, nil, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// RemoveMember takes a user off a room's roster.
func (c *Client) RemoveMember(ctx context.Context, roomID, userID string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/rooms/"+escape(roomID)+"/members/"+escape(userID), nil, nil, nil)
}

// JoinLink is one roster member's join link.
type JoinLink struct {
	UserID  string        `json:"userId"`
	Account string        `json:"account"`
	Name    string        `json:"name"`
	Role    examhall.Role `json:"role"`
	URL     string        `json:"url"`
}

// JoinLinks is the answer of Client.JoinLinks: a link for every member of a
// room's roster, all valid until Expire.
type JoinLinks struct {
	Items  []JoinLink `json:"items"`
	Total  int        `json:"total"`
	Expire time.Time  `json:"expire"`
}

// JoinLinks issues a join link for every member of a room's roster.
// EUNAVAILABLE when the server has no client URLs configured.
func (c *Client) JoinLinks(ctx context.Context, roomID string) (*JoinLinks, error) {
	var l JoinLinks
	if err := c.do(ctx, http.MethodGet, "/api/v1/rooms/"+escape(roomID)+"/links", nil, nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// MyExam is an exam the caller may take, with their allowance after
// overrides and the attempts they have used. AllowTimes shadows the exam's
// own field, which is left zero.
type MyExam struct {
	Exam
	AllowTimes int    `json:"allowTimes"`
	Used       int    `json:"used"`
	AttemptID  string `json:"attemptId"` // the attempt in progress, to resume
}

// MyExams returns the exams the caller may take now or later, and their
// total count.
func (c *Client) MyExams(ctx context.Context, p Page) ([]*MyExam, int, error) {
	q := url.Values{}
	p.set(q)
	var l list[*MyExam]
	if err := c.do(ctx, http.MethodGet, "/api/v1/my/exams", q, nil, &l); err != nil {
		return nil, 0, err
	}
	return l.Items, l.Total, nil
}

// AttemptView is an attempt as its candidate sees it. Score, Passed,
// Integral and Marks are set only once the attempt is published; Exam and
// Questions only by StartAttempt and GetAttempt.
type AttemptView struct {
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

	Score    *float64           `json:"score,omitempty"`
	Passed   *bool              `json:"passed,omitempty"`
	Integral *float64           `json:"integral,omitempty"`
	Marks    map[string]float64 `json:"marks,omitempty"`

	Exam      *Exam           `json:"exam,omitempty"`
	Questions []PaperQuestion `json:"questions,omitempty"`
}

// PaperQuestion is a question as candidates see it, in the attempt's
// order: no correct options, truth value, accepted answers or reference.
type PaperQuestion struct {
	ID      string                `json:"id"`
	Type    examhall.QuestionType `json:"type"`
	Stem    string                `json:"stem"`
	Score   float64               `json:"score"`
	Options []PaperOption         `json:"options,omitempty"`
	Blanks  int                   `json:"blanks,omitempty"` // fill: the number of blanks
}

// PaperOption is an option in the attempt's order. Key is its original
// index, which examhall.Answer.Choices uses.
type PaperOption struct {
	Key  int    `json:"key"`
	Text string `json:"text"`
}

// MyAttempts returns the caller's attempts, newest first, and their total.
func (c *Client) MyAttempts(ctx context.Context, p Page) ([]*AttemptView, int, error) {
	q := url.Values{}
	p.set(q)
	var l list[*AttemptView]
	if err := c.do(ctx, http.MethodGet, "/api/v1/my/attempts", q, nil, &l); err != nil {
		return nil, 0, err
	}
	return l.Items, l.Total, nil
}

// StartAttempt begins an attempt of an exam for the caller and returns it
// with its paper. ECONFLICT outside the exam's window or with no attempts
// left, ENOTFOUND or EFORBIDDEN for exams the caller may not take.
func (c *Client) StartAttempt(ctx context.Context, examID string) (*AttemptView, error) {
	return c.attempt(ctx, http.MethodPost, "/api/v1/exams/"+escape(examID)+"/attempts", nil)
}

// GetAttempt returns an attempt with its paper, answers hidden. Its
// candidate or an admin.
func (c *Client) GetAttempt(ctx context.Context, id string) (*AttemptView, error) {
	return c.attempt(ctx, http.MethodGet, "/api/v1/attempts/"+escape(id), nil)
}

// SaveAnswers merges answers into an in-progress attempt (autosave). Its
// candidate only; EINVALID on an answer that does not fit its question,
// ECONFLICT once the attempt is closed.
func (c *Client) SaveAnswers(ctx context.Context, attemptID string, answers []examhall.Answer) (*AttemptView, error) {
	in := struct {
		Answers []examhall.Answer `json:"answers"`
	}{answers}
	return c.attempt(ctx, http.MethodPut, "/api/v1/attempts/"+escape(attemptID)+"/answers", in)
}

// SubmitAttempt closes an attempt and grades it. Its candidate only.
func (c *Client) SubmitAttempt(ctx context.Context, attemptID string) (*AttemptView, error) {
	return c.attempt(ctx, http.MethodPost, "/api/v1/attempts/"+escape(attemptID)+"/submit", nil)
}

func (c *Client) attempt(ctx context.Context, method, path string, in any) (*AttemptView, error) {
	var a AttemptView
	if err := c.do(ctx, method, path, nil, in, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ExamAttempts returns every attempt of an exam, optionally only those in
// status ("" for all), and their total. Admins and the exam's invigilators.
func (c *Client) ExamAttempts(ctx context.Context, examID string, status examhall.AttemptStatus, p Page) ([]*examhall.Attempt, int, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", string(status))
	}
	p.set(q)
	var l list[*examhall.Attempt]
	if err := c.do(ctx, http.MethodGet, "/api/v1/exams/"+escape(examID)+"/attempts", q, nil, &l); err != nil {
		return nil, 0, err
	}
	return l.Items, l.Total, nil
}

// Grades returns an exam's published attempts, ranked (Rank, account, name
// and department set), and their total. Admins and the exam's invigilators.
func (c *Client) Grades(ctx context.Context, examID string, p Page) ([]*examhall.Attempt, int, error) {
	q := url.Values{}
	p.set(q)
	var l list[*examhall.Attempt]
	if err := c.do(ctx, http.MethodGet, "/api/v1/exams/"+escape(examID)+"/grades", q, nil, &l); err != nil {
		return nil, 0, err
	}
	return l.Items, l.Total, nil
}

// MarkAttempt sets the marks of an attempt's short-answer questions, by
// question ID. Admins and the exam's invigilators.
func (c *Client) MarkAttempt(ctx context.Context, attemptID string, marks map[string]float64) (*examhall.Attempt, error) {
	in := struct {
		Marks map[string]float64 `json:"marks"`
	}{marks}
	var a examhall.Attempt
	if err := c.do(ctx, http.MethodPost, "/api/v1/attempts/"+escape(attemptID)+"/marks", nil, in, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// PublishGrades publishes the given marked attempts of an exam, or all of
// them when ids is empty, and returns how many were published.
func (c *Client) PublishGrades(ctx context.Context, examID string, ids []string) (int, error) {
	in := struct {
		IDs []string `json:"ids,omitempty"`
	}{ids}
	var out struct {
		Published int `json:"published"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/exams/"+escape(examID)+"/grades/publish", nil, in, &out); err != nil {
		return 0, err
	}
	return out.Published, nil
}

// AppCredentials is a new open-API app with its secret, which the server
// returns only once.
type AppCredentials struct {
	examhall.App
	Secret string `json:"secret"`
}

// CreateApp creates open-API credentials named name. Admins only.
func (c *Client) CreateApp(ctx context.Context, name string) (*AppCredentials, error) {
	in := struct {
		Name string `json:"name"`
	}{name}
	var a AppCredentials
	if err := c.do(ctx, http.MethodPost, "/api/v1/apps", nil, in, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ListApps returns every open-API app, newest first. Admins only.
func (c *Client) ListApps(ctx context.Context) ([]*examhall.App, error) {
	var l list[*examhall.App]
	if err := c.do(ctx, http.MethodGet, "/api/v1/apps", nil, nil, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// DisableApp stops an app's secret from issuing tokens. Admins only.
func (c *Client) DisableApp(ctx context.Context, id string) (*examhall.App, error) {
	var a examhall.App
	if err := c.do(ctx, http.MethodPost, "/api/v1/apps/"+escape(id)+"/disable", nil, nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}
