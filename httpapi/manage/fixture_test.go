package manage

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // tests render times in Asia/Shanghai on any machine

	"examhall"
	"examhall/mock"
)

// now is the fixed time of every test.
var now = time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)

// Tokens the fake authenticator accepts.
const (
	tokAdmin = "tok-admin"
	tokInv   = "tok-inv"
	tokExa   = "tok-exa"
	tokJoin  = "tok-join"  // u-exa, bound to room r1
	tokAJoin = "tok-ajoin" // u-admin, bound to room r1
)

// world is an in-memory fake of the services: reads return canned data,
// writes succeed and are recorded in calls.
type world struct {
	users    mock.UserService
	depts    mock.DepartmentService
	exams    mock.ExamService
	attempts mock.AttemptService
	rooms    mock.RoomService
	audio    mock.AudioService
	cheat    mock.CheatService
	apps     mock.AppService
	proctor  mock.ProctorService
	audit    mock.AuditService
	hooks    mock.WebhookService
	auth     mock.Authenticator
	appAuth  mock.AppAuthenticator

	mu    sync.Mutex
	calls []string // write methods called, in order

	userByID map[string]*examhall.User
	exam     *examhall.Exam
	paper    []*examhall.Question
	attempt  map[string]*examhall.Attempt
	room     *examhall.Room
	members  []*examhall.Member
	srv      *Server
}

func (w *world) record(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, name)
}

func (w *world) writes() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.calls...)
}

func notFound(what string) error { return examhall.Errorf(examhall.ENOTFOUND, "%s not found", what) }

// testPaper has one question of each type.
func testPaper() []*examhall.Question {
	return []*examhall.Question{
		{ID: "q1", Type: examhall.QuestionSingle, Stem: "Pick B", Score: 10, Options: []string{"optA", "optB", "optC"}, Correct: []int{1}},
		{ID: "q2", Type: examhall.QuestionMultiple, Stem: "Pick A and C", Score: 10, Options: []string{"mA", "mB", "mC", "mD"}, Correct: []int{0, 2}},
		{ID: "q3", Type: examhall.QuestionTrueFalse, Stem: "True?", Score: 5, IsTrue: true},
		{ID: "q4", Type: examhall.QuestionFill, Stem: "Capitals", Score: 10, Blanks: [][]string{{"Paris", "paris"}, {"Rome"}}, Loose: true},
		{ID: "q5", Type: examhall.QuestionShort, Stem: "Explain", Score: 20, Reference: "SECRET-REFERENCE"},
	}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		userByID: map[string]*examhall.User{},
		attempt:  map[string]*examhall.Attempt{},
	}
	for _, u := range []*examhall.User{
		{ID: "u-admin", Account: "admin", Name: "Admin", Role: examhall.RoleAdmin},
		{ID: "u-inv", Account: "inv", Name: "Ivy", Role: examhall.RoleInvigilator},
		{ID: "u-exa", Account: "exa", Name: "Ezra", Role: examhall.RoleExaminee, DeptPath: "Acme/Sales"},
		{ID: "u-other", Account: "other", Name: "Otto", Role: examhall.RoleExaminee},
	} {
		u.CreatedAt, u.UpdatedAt = now, now
		w.userByID[u.ID] = u
	}
	w.exam = &examhall.Exam{
		ID: "e1", Name: "Safety 2025", BeginTime: now.Add(-time.Hour), EndTime: now.Add(3 * time.Hour),
		AnswerMinutes: 60, PassScore: 30, PaperScore: 55, AllowTimes: 1, IntegralRate: 0.1,
		ShuffleQuestions: true, ShuffleOptions: true, Audience: examhall.AudienceAll, Status: examhall.ExamPublished,
		Proctoring: examhall.DefaultProctoring(), CreatedAt: now, UpdatedAt: now,
	}
	w.paper = testPaper()
	for _, a := range []*examhall.Attempt{
		{ID: "a1", ExamID: "e1", UserID: "u-exa", Status: examhall.AttemptInProgress, BeginTime: now.Add(-10 * time.Minute), Deadline: now.Add(50 * time.Minute), Seed: 42},
		{ID: "a2", ExamID: "e1", UserID: "u-other", Status: examhall.AttemptMarking, BeginTime: now.Add(-50 * time.Minute), Deadline: now.Add(10 * time.Minute), Seed: 7,
			Marks: map[string]float64{"q1": 10}},
	} {
		w.attempt[a.ID] = a
	}
	w.room = &examhall.Room{ID: "r1", Name: "Room 1", ExamID: "e1", CreatedBy: "u-inv", CreatedAt: now, UpdatedAt: now}
	w.members = []*examhall.Member{
		{RoomID: "r1", UserID: "u-exa", Role: examhall.RoleExaminee, Name: "Ezra", Account: "exa"},
		{RoomID: "r1", UserID: "u-inv", Role: examhall.RoleInvigilator, Name: "Ivy", Account: "inv"},
	}

	callers := map[string]*examhall.Caller{
		tokAdmin: {User: w.userByID["u-admin"]},
		tokInv:   {User: w.userByID["u-inv"]},
		tokExa:   {User: w.userByID["u-exa"]},
		tokJoin:  {User: w.userByID["u-exa"], RoomID: "r1"},
		tokAJoin: {User: w.userByID["u-admin"], RoomID: "r1"},
	}
	w.auth.AuthenticateFn = func(_ context.Context, token string) (*examhall.Caller, error) {
		if c, ok := callers[token]; ok {
			return c, nil
		}
		return nil, examhall.Errorf(examhall.EUNAUTHORIZED, "bad token")
	}
	w.auth.LoginFn = func(_ context.Context, account, password, _ string) (string, time.Time, error) {
		if account == "admin" && password == "secret" {
			return tokAdmin, now.Add(24 * time.Hour), nil
		}
		return "", time.Time{}, examhall.Errorf(examhall.EUNAUTHORIZED, "wrong account or password")
	}
	w.auth.JoinTokenFn = func(u *examhall.User, roomID string, exp time.Time) (string, error) {
		return "join:" + u.ID + ":" + roomID + ":" + exp.UTC().Format(time.RFC3339), nil
	}
	w.appAuth.CreateAppFn = func(_ context.Context, name string) (*examhall.App, string, error) {
		w.record("CreateApp")
		return &examhall.App{ID: "app2", Name: name, CreatedAt: now}, "s3cret", nil
	}

	// Users and departments.
	w.users.FindUserByIDFn = func(_ context.Context, id string) (*examhall.User, error) {
		if u, ok := w.userByID[id]; ok {
			return u, nil
		}
		return nil, notFound("user")
	}
	w.users.FindUserByAccountFn = func(_ context.Context, account string) (*examhall.User, error) {
		for _, u := range w.userByID {
			if u.Account == account {
				return u, nil
			}
		}
		return nil, notFound("user")
	}
	w.users.FindUsersFn = func(_ context.Context, f examhall.UserFilter) ([]*examhall.User, int, error) {
		return []*examhall.User{w.userByID["u-exa"]}, 1, nil
	}
	w.users.CreateUserFn = func(_ context.Context, u *examhall.User) error {
		w.record("CreateUser")
		u.ID = "u-new"
		return nil
	}
	w.users.ImportUsersFn = func(_ context.Context, us []*examhall.User) error {
		w.record("ImportUsers")
		return nil
	}
	w.users.UpdateUserFn = func(_ context.Context, id string, upd examhall.UserUpdate) (*examhall.User, error) {
		w.record("UpdateUser")
		return w.userByID[id], nil
	}
	dept := &examhall.Department{ID: "d1", Name: "Sales", Path: "Acme/Sales", ParentID: "d0", CreatedAt: now}
	w.depts.FindDepartmentsFn = func(context.Context) ([]*examhall.Department, error) {
		return []*examhall.Department{{ID: "d0", Name: "Acme", Path: "Acme", CreatedAt: now}, dept}, nil
	}
	w.depts.CreateDepartmentFn = func(_ context.Context, d *examhall.Department) error {
		w.record("CreateDepartment")
		d.ID, d.Path = "d2", d.Name
		return nil
	}
	w.depts.EnsureDepartmentPathFn = func(_ context.Context, path string) (*examhall.Department, error) {
		w.record("EnsureDepartmentPath")
		return &examhall.Department{ID: "d9", Path: path}, nil
	}
	w.depts.UpdateDepartmentFn = func(_ context.Context, id string, upd examhall.DepartmentUpdate) (*examhall.Department, error) {
		w.record("UpdateDepartment")
		return dept, nil
	}
	w.depts.DeleteDepartmentFn = func(context.Context, string) error {
		w.record("DeleteDepartment")
		return nil
	}

	// Exams.
	w.exams.FindExamByIDFn = func(_ context.Context, id string) (*examhall.Exam, error) {
		if id == w.exam.ID {
			return w.exam, nil
		}
		return nil, notFound("exam")
	}
	w.exams.FindExamsFn = func(context.Context, examhall.ExamFilter) ([]*examhall.Exam, int, error) {
		return []*examhall.Exam{w.exam}, 1, nil
	}
	w.exams.CreateExamFn = func(_ context.Context, e *examhall.Exam) error {
		w.record("CreateExam")
		e.ID = "e-new"
		return nil
	}
	w.exams.UpdateExamFn = func(_ context.Context, id string, upd examhall.ExamUpdate) (*examhall.Exam, error) {
		w.record("UpdateExam")
		c := *w.exam
		upd.Apply(&c)
		return &c, nil
	}
	w.exams.SetPaperFn = func(context.Context, string, []*examhall.Question) error {
		w.record("SetPaper")
		return nil
	}
	w.exams.FindPaperFn = func(_ context.Context, examID string) ([]*examhall.Question, error) {
		if examID == w.exam.ID {
			return w.paper, nil
		}
		return nil, nil
	}
	w.exams.SetOverrideFn = func(context.Context, *examhall.Override) error {
		w.record("SetOverride")
		return nil
	}
	w.exams.FindOverrideFn = func(_ context.Context, examID, userID string) (*examhall.Override, error) {
		return &examhall.Override{ExamID: examID, UserID: userID, ExtraMinutes: 15}, nil
	}
	w.exams.FindOverridesFn = func(_ context.Context, examID string) ([]*examhall.Override, error) {
		return []*examhall.Override{{ExamID: examID, UserID: "u-exa", ExtraMinutes: 15}}, nil
	}
	w.exams.DeleteOverrideFn = func(context.Context, string, string) error {
		w.record("DeleteOverride")
		return nil
	}
	w.exams.FindUserExamsFn = func(_ context.Context, userID string, _ time.Time, offset, limit int) ([]*examhall.UserExam, int, error) {
		return []*examhall.UserExam{{Exam: w.exam, AllowTimes: 2, Used: 1}}, 1, nil
	}

	// Attempts.
	w.attempts.StartAttemptFn = func(_ context.Context, examID, userID string, at time.Time) (*examhall.Attempt, error) {
		w.record("StartAttempt")
		return &examhall.Attempt{ID: "a-new", ExamID: examID, UserID: userID, Status: examhall.AttemptInProgress, BeginTime: at, Deadline: at.Add(time.Hour)}, nil
	}
	w.attempts.FindAttemptByIDFn = func(_ context.Context, id string) (*examhall.Attempt, error) {
		if a, ok := w.attempt[id]; ok {
			return a, nil
		}
		return nil, notFound("attempt")
	}
	w.attempts.FindAttemptsFn = func(context.Context, examhall.AttemptFilter) ([]*examhall.Attempt, int, error) {
		return []*examhall.Attempt{w.attempt["a1"]}, 1, nil
	}
	w.attempts.SaveAnswersFn = func(_ context.Context, id string, answers []examhall.Answer, at time.Time) (*examhall.Attempt, error) {
		w.record("SaveAnswers")
		a := *w.attempt[id]
		a.SavedAt = at
		return &a, nil
	}
	// As the store: the ownership is checked by the write, which a refused
	// submit does not make.
	w.attempts.SubmitOwnAttemptFn = func(_ context.Context, id, userID, examID string, at time.Time) (*examhall.Attempt, error) {
		stored, ok := w.attempt[id]
		switch {
		case !ok:
			return nil, notFound("attempt")
		case stored.UserID != userID:
			return nil, examhall.Errorf(examhall.EFORBIDDEN, "only the candidate may change an attempt")
		case examID != "" && stored.ExamID != examID:
			return nil, examhall.Errorf(examhall.EFORBIDDEN, "this token is for another exam")
		}
		w.record("SubmitAttempt")
		a := *stored
		a.Status, a.EndTime = examhall.AttemptMarking, at
		return &a, nil
	}
	w.attempts.MarkAttemptFn = func(_ context.Context, id string, marks map[string]float64) (*examhall.Attempt, error) {
		w.record("MarkAttempt")
		return w.attempt[id], nil
	}
	w.attempts.PublishAttemptsFn = func(context.Context, string, []string) (int, error) {
		w.record("PublishAttempts")
		return 1, nil
	}
	w.attempts.FindGradesFn = func(context.Context, string, int, int) ([]*examhall.Attempt, int, error) {
		return nil, 0, nil
	}

	// Rooms.
	w.rooms.FindRoomByIDFn = func(_ context.Context, id string) (*examhall.Room, error) {
		if id == w.room.ID {
			return w.room, nil
		}
		return nil, notFound("room")
	}
	w.rooms.FindRoomsFn = func(context.Context, examhall.RoomFilter) ([]*examhall.Room, int, error) {
		return []*examhall.Room{w.room}, 1, nil
	}
	w.rooms.CreateRoomFn = func(_ context.Context, r *examhall.Room) error {
		w.record("CreateRoom")
		r.ID = "r-new"
		return nil
	}
	w.rooms.UpdateRoomFn = func(context.Context, string, examhall.RoomUpdate) (*examhall.Room, error) {
		w.record("UpdateRoom")
		return w.room, nil
	}
	w.rooms.DeleteRoomFn = func(context.Context, string) error {
		w.record("DeleteRoom")
		return nil
	}
	w.rooms.AddMembersFn = func(context.Context, string, []examhall.Member) error {
		w.record("AddMembers")
		return nil
	}
	w.rooms.RemoveMemberFn = func(context.Context, string, string) error {
		w.record("RemoveMember")
		return nil
	}
	w.rooms.FindMembersFn = func(context.Context, string, *examhall.Role) ([]*examhall.Member, error) {
		return w.members, nil
	}
	w.rooms.FindMemberFn = func(_ context.Context, roomID, userID string) (*examhall.Member, error) {
		for _, m := range w.members {
			if m.RoomID == roomID && m.UserID == userID {
				return m, nil
			}
		}
		return nil, notFound("member")
	}
	w.rooms.InExamFn = func(_ context.Context, examID, userID string) (bool, error) {
		return examID == "e1" && (userID == "u-inv" || userID == "u-exa"), nil
	}

	// Audio, cheat configs, apps.
	clip := &examhall.Audio{ID: "au1", Name: "Welcome", URL: "https://cdn.example/w.mp3", CreatedAt: now}
	w.audio.FindAudiosFn = func(context.Context, examhall.AudioFilter) ([]*examhall.Audio, int, error) {
		return []*examhall.Audio{clip}, 1, nil
	}
	w.audio.FindAudioByIDFn = func(_ context.Context, id string) (*examhall.Audio, error) {
		if id != clip.ID {
			return nil, examhall.Errorf(examhall.ENOTFOUND, "no audio %q", id)
		}
		return clip, nil
	}
	w.audio.CreateAudioFn = func(_ context.Context, a *examhall.Audio) error {
		w.record("CreateAudio")
		a.ID = "au-new"
		return nil
	}
	w.audio.UpdateAudioFn = func(context.Context, string, examhall.AudioUpdate) (*examhall.Audio, error) {
		w.record("UpdateAudio")
		return clip, nil
	}
	w.audio.DeleteAudioFn = func(context.Context, string) error {
		w.record("DeleteAudio")
		return nil
	}
	w.audio.SetBroadcastsFn = func(context.Context, string, []examhall.ScheduledAudio) error {
		w.record("SetBroadcasts")
		return nil
	}
	w.audio.FindBroadcastsFn = func(context.Context, string) ([]*examhall.Broadcast, error) {
		return []*examhall.Broadcast{{Audio: *clip, StartTime: now}}, nil
	}
	w.audio.SetPlaylistFn = func(context.Context, string, []string) error {
		w.record("SetPlaylist")
		return nil
	}
	w.audio.FindPlaylistFn = func(context.Context, string) ([]*examhall.Audio, error) {
		return []*examhall.Audio{clip}, nil
	}
	w.cheat.SetCheatConfigFn = func(context.Context, *examhall.CheatConfig) error {
		w.record("SetCheatConfig")
		return nil
	}
	w.cheat.FindCheatConfigFn = func(_ context.Context, examID string) (*examhall.CheatConfig, error) {
		return &examhall.CheatConfig{ExamID: examID, Data: `{"face":true}`, CreatedAt: now, UpdatedAt: now}, nil
	}
	w.apps.FindAppsFn = func(context.Context) ([]*examhall.App, error) {
		return []*examhall.App{{ID: "app1", Name: "HR", CreatedAt: now}}, nil
	}
	w.apps.DisableAppFn = func(context.Context, string) error {
		w.record("DisableApp")
		return nil
	}
	w.apps.FindAppByIDFn = func(_ context.Context, id string) (*examhall.App, error) {
		return &examhall.App{ID: id, Name: "HR", Disabled: true, CreatedAt: now}, nil
	}

	w.audit.FindAuditEntriesFn = func(_ context.Context, f examhall.AuditFilter) ([]*examhall.AuditEntry, int, error) {
		return []*examhall.AuditEntry{{ID: 1, Time: now, ActorID: "u-admin", ActorAccount: "admin", ActorRole: examhall.RoleAdmin,
			ObjectType: "user", ObjectID: "u-exa", Action: "update", Before: []byte(`{"name":"Ezra"}`), After: []byte(`{"name":"Ez"}`)}}, 1, nil
	}
	hook := func() *examhall.Webhook {
		return &examhall.Webhook{ID: "wh1", URL: "https://hooks.example/x", Secret: "0123456789abcdef", Enabled: true, Events: []string{}, CreatedAt: now, UpdatedAt: now}
	}
	w.hooks.FindWebhooksFn = func(context.Context) ([]*examhall.Webhook, error) { return []*examhall.Webhook{hook()}, nil }
	w.hooks.FindWebhookByIDFn = func(_ context.Context, id string) (*examhall.Webhook, error) {
		if id != "wh1" {
			return nil, notFound("webhook")
		}
		return hook(), nil
	}
	w.hooks.CreateWebhookFn = func(_ context.Context, h *examhall.Webhook) error {
		if err := h.Validate(); err != nil {
			return err
		}
		w.record("CreateWebhook")
		h.ID, h.CreatedAt, h.UpdatedAt = "wh2", now, now
		return nil
	}
	w.hooks.UpdateWebhookFn = func(_ context.Context, id string, _ examhall.WebhookUpdate) (*examhall.Webhook, error) {
		w.record("UpdateWebhook")
		return hook(), nil
	}
	w.hooks.DeleteWebhookFn = func(context.Context, string) error {
		w.record("DeleteWebhook")
		return nil
	}
	delivery := func() *examhall.Delivery {
		return &examhall.Delivery{ID: 7, EventID: "ev1", WebhookID: "wh1", Type: examhall.HookAttemptSubmitted, Key: "a1",
			Data: []byte(`{"attemptId":"a1"}`), Status: examhall.DeliveryFailed, Attempts: 3, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	}
	w.hooks.FindDeliveriesFn = func(context.Context, examhall.DeliveryFilter) ([]*examhall.Delivery, int, error) {
		return []*examhall.Delivery{delivery()}, 1, nil
	}
	w.hooks.FindDeliveryByIDFn = func(_ context.Context, id int64) (*examhall.Delivery, error) {
		if id != 7 {
			return nil, notFound("delivery")
		}
		return delivery(), nil
	}
	w.hooks.RedeliverDeliveryFn = func(context.Context, int64) (*examhall.Delivery, error) {
		w.record("RedeliverDelivery")
		d := delivery()
		d.Status = examhall.DeliveryPending
		return d, nil
	}

	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	w.fakeProctor()
	w.srv = &Server{
		Auth: &w.auth, AppAuth: &w.appAuth, Policy: examhall.Policy{Rooms: &w.rooms},
		Users: &w.users, Depts: &w.depts, Exams: &w.exams, Attempts: &w.attempts, Rooms: &w.rooms,
		Audio: &w.audio, Cheat: &w.cheat, Apps: &w.apps, Proctor: &w.proctor, Audit: &w.audit, Webhooks: &w.hooks,
		HashPassword: func(p string) (string, error) {
			if len(p) < 6 {
				return "", examhall.Errorf(examhall.EINVALID, "password must have at least 6 characters")
			}
			return "hash:" + p, nil
		},
		PublicURL:            "https://exam.example/",
		ExamineeClientURL:    "https://aui.example/examinee.html",
		InvigilatorClientURL: "https://aui.example/invigilator.html",
		JoinMargin:           2 * time.Hour,
		Now:                  func() time.Time { return now },
		Location:             loc,
		Log:                  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return w
}

// request describes one call of the API.
type request struct {
	method, path, token string
	body                string
	bodyReader          io.Reader // instead of body, for large bodies
	contentType         string
}

// do sends req to the world's handler.
func (w *world) do(t *testing.T, req request) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	} else if req.bodyReader != nil {
		body = req.bodyReader
	}
	r := httptest.NewRequest(req.method, req.path, body)
	if req.token != "" {
		r.Header.Set("Authorization", "Bearer "+req.token)
	}
	if req.contentType != "" {
		r.Header.Set("Content-Type", req.contentType)
	}
	rec := httptest.NewRecorder()
	w.srv.Handler().ServeHTTP(rec, r)
	return rec
}

// MustDecode decodes a JSON response body into v.
func MustDecode(tb testing.TB, rec *httptest.ResponseRecorder, v any) {
	tb.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		tb.Fatalf("decoding %q: %v", rec.Body.String(), err)
	}
}

// errorCode returns the code of an error response, or "".
func errorCode(tb testing.TB, rec *httptest.ResponseRecorder) string {
	tb.Helper()
	if rec.Code < 400 {
		return ""
	}
	var e errorJSON
	MustDecode(tb, rec, &e)
	return e.Error.Code
}
