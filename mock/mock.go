// Package mock provides function-field mocks of the examhall service
// interfaces for handler tests: set the Fn field of each method a test
// expects to be called; calling an unset one panics with its name.
package mock

import (
	"context"
	"io"
	"time"

	"examhall"
)

// AppService mocks examhall.AppService.
type AppService struct {
	CreateAppFn   func(ctx context.Context, a *examhall.App) error
	FindAppByIDFn func(ctx context.Context, id string) (*examhall.App, error)
	FindAppsFn    func(ctx context.Context) ([]*examhall.App, error)
	DisableAppFn  func(ctx context.Context, id string) error
}

var _ examhall.AppService = (*AppService)(nil)

// CreateApp calls CreateAppFn.
func (m *AppService) CreateApp(ctx context.Context, a *examhall.App) error {
	if m.CreateAppFn == nil {
		panic("mock: unexpected call to AppService.CreateApp")
	}
	return m.CreateAppFn(ctx, a)
}

// FindAppByID calls FindAppByIDFn.
func (m *AppService) FindAppByID(ctx context.Context, id string) (*examhall.App, error) {
	if m.FindAppByIDFn == nil {
		panic("mock: unexpected call to AppService.FindAppByID")
	}
	return m.FindAppByIDFn(ctx, id)
}

// FindApps calls FindAppsFn.
func (m *AppService) FindApps(ctx context.Context) ([]*examhall.App, error) {
	if m.FindAppsFn == nil {
		panic("mock: unexpected call to AppService.FindApps")
	}
	return m.FindAppsFn(ctx)
}

// DisableApp calls DisableAppFn.
func (m *AppService) DisableApp(ctx context.Context, id string) error {
	if m.DisableAppFn == nil {
		panic("mock: unexpected call to AppService.DisableApp")
	}
	return m.DisableAppFn(ctx, id)
}

// AttemptService mocks examhall.AttemptService.
type AttemptService struct {
	StartAttemptFn          func(ctx context.Context, examID, userID string, now time.Time) (*examhall.Attempt, error)
	FindAttemptByIDFn       func(ctx context.Context, id string) (*examhall.Attempt, error)
	FindAttemptsFn          func(ctx context.Context, filter examhall.AttemptFilter) ([]*examhall.Attempt, int, error)
	SaveAnswersFn           func(ctx context.Context, attemptID string, answers []examhall.Answer, now time.Time) (*examhall.Attempt, error)
	SaveAnswersFromFn       func(ctx context.Context, attemptID, device string, seq int64, answers []examhall.Answer, now time.Time) (*examhall.Attempt, bool, error)
	SubmitAttemptFn         func(ctx context.Context, attemptID string, reason examhall.SubmitReason, now time.Time) (*examhall.Attempt, error)
	SubmitOwnAttemptFn      func(ctx context.Context, attemptID, userID, examID string, now time.Time) (*examhall.Attempt, error)
	SubmitExpiredAttemptsFn func(ctx context.Context, now time.Time) (int, error)
	MarkAttemptFn           func(ctx context.Context, attemptID string, marks map[string]float64) (*examhall.Attempt, error)
	PublishAttemptsFn       func(ctx context.Context, examID string, ids []string) (int, error)
	FindGradesFn            func(ctx context.Context, examID string, offset, limit int) ([]*examhall.Attempt, int, error)
	FindRankFn              func(ctx context.Context, attemptID string) (int, error)
}

var _ examhall.AttemptService = (*AttemptService)(nil)

// StartAttempt calls StartAttemptFn.
func (m *AttemptService) StartAttempt(ctx context.Context, examID, userID string, now time.Time) (*examhall.Attempt, error) {
	if m.StartAttemptFn == nil {
		panic("mock: unexpected call to AttemptService.StartAttempt")
	}
	return m.StartAttemptFn(ctx, examID, userID, now)
}

// FindAttemptByID calls FindAttemptByIDFn.
func (m *AttemptService) FindAttemptByID(ctx context.Context, id string) (*examhall.Attempt, error) {
	if m.FindAttemptByIDFn == nil {
		panic("mock: unexpected call to AttemptService.FindAttemptByID")
	}
	return m.FindAttemptByIDFn(ctx, id)
}

// FindAttempts calls FindAttemptsFn.
func (m *AttemptService) FindAttempts(ctx context.Context, filter examhall.AttemptFilter) ([]*examhall.Attempt, int, error) {
	if m.FindAttemptsFn == nil {
		panic("mock: unexpected call to AttemptService.FindAttempts")
	}
	return m.FindAttemptsFn(ctx, filter)
}

// SaveAnswersFrom calls SaveAnswersFromFn.
func (m *AttemptService) SaveAnswersFrom(ctx context.Context, attemptID, device string, seq int64, answers []examhall.Answer, now time.Time) (*examhall.Attempt, bool, error) {
	if m.SaveAnswersFromFn == nil {
		panic("mock: unexpected call to AttemptService.SaveAnswersFrom")
	}
	return m.SaveAnswersFromFn(ctx, attemptID, device, seq, answers, now)
}

// SaveAnswers calls SaveAnswersFn.
func (m *AttemptService) SaveAnswers(ctx context.Context, attemptID string, answers []examhall.Answer, now time.Time) (*examhall.Attempt, error) {
	if m.SaveAnswersFn == nil {
		panic("mock: unexpected call to AttemptService.SaveAnswers")
	}
	return m.SaveAnswersFn(ctx, attemptID, answers, now)
}

// SubmitAttempt calls SubmitAttemptFn.
func (m *AttemptService) SubmitAttempt(ctx context.Context, attemptID string, reason examhall.SubmitReason, now time.Time) (*examhall.Attempt, error) {
	if m.SubmitAttemptFn == nil {
		panic("mock: unexpected call to AttemptService.SubmitAttempt")
	}
	return m.SubmitAttemptFn(ctx, attemptID, reason, now)
}

// SubmitOwnAttempt calls SubmitOwnAttemptFn.
func (m *AttemptService) SubmitOwnAttempt(ctx context.Context, attemptID, userID, examID string, now time.Time) (*examhall.Attempt, error) {
	if m.SubmitOwnAttemptFn == nil {
		panic("mock: unexpected call to AttemptService.SubmitOwnAttempt")
	}
	return m.SubmitOwnAttemptFn(ctx, attemptID, userID, examID, now)
}

// SubmitExpiredAttempts calls SubmitExpiredAttemptsFn.
func (m *AttemptService) SubmitExpiredAttempts(ctx context.Context, now time.Time) (int, error) {
	if m.SubmitExpiredAttemptsFn == nil {
		panic("mock: unexpected call to AttemptService.SubmitExpiredAttempts")
	}
	return m.SubmitExpiredAttemptsFn(ctx, now)
}

// MarkAttempt calls MarkAttemptFn.
func (m *AttemptService) MarkAttempt(ctx context.Context, attemptID string, marks map[string]float64) (*examhall.Attempt, error) {
	if m.MarkAttemptFn == nil {
		panic("mock: unexpected call to AttemptService.MarkAttempt")
	}
	return m.MarkAttemptFn(ctx, attemptID, marks)
}

// PublishAttempts calls PublishAttemptsFn.
func (m *AttemptService) PublishAttempts(ctx context.Context, examID string, ids []string) (int, error) {
	if m.PublishAttemptsFn == nil {
		panic("mock: unexpected call to AttemptService.PublishAttempts")
	}
	return m.PublishAttemptsFn(ctx, examID, ids)
}

// FindRank calls FindRankFn.
func (m *AttemptService) FindRank(ctx context.Context, attemptID string) (int, error) {
	if m.FindRankFn == nil {
		panic("mock: unexpected call to AttemptService.FindRank")
	}
	return m.FindRankFn(ctx, attemptID)
}

// FindGrades calls FindGradesFn.
func (m *AttemptService) FindGrades(ctx context.Context, examID string, offset, limit int) ([]*examhall.Attempt, int, error) {
	if m.FindGradesFn == nil {
		panic("mock: unexpected call to AttemptService.FindGrades")
	}
	return m.FindGradesFn(ctx, examID, offset, limit)
}

// AudioService mocks examhall.AudioService.
type AudioService struct {
	FindAudioByIDFn  func(ctx context.Context, id string) (*examhall.Audio, error)
	FindAudiosFn     func(ctx context.Context, filter examhall.AudioFilter) ([]*examhall.Audio, int, error)
	CreateAudioFn    func(ctx context.Context, a *examhall.Audio) error
	UpdateAudioFn    func(ctx context.Context, id string, upd examhall.AudioUpdate) (*examhall.Audio, error)
	DeleteAudioFn    func(ctx context.Context, id string) error
	SetBroadcastsFn  func(ctx context.Context, examID string, items []examhall.ScheduledAudio) error
	FindBroadcastsFn func(ctx context.Context, examID string) ([]*examhall.Broadcast, error)
	SetPlaylistFn    func(ctx context.Context, examID string, audioIDs []string) error
	FindPlaylistFn   func(ctx context.Context, examID string) ([]*examhall.Audio, error)
}

var _ examhall.AudioService = (*AudioService)(nil)

// FindAudioByID calls FindAudioByIDFn.
func (m *AudioService) FindAudioByID(ctx context.Context, id string) (*examhall.Audio, error) {
	if m.FindAudioByIDFn == nil {
		panic("mock: unexpected call to AudioService.FindAudioByID")
	}
	return m.FindAudioByIDFn(ctx, id)
}

// FindAudios calls FindAudiosFn.
func (m *AudioService) FindAudios(ctx context.Context, filter examhall.AudioFilter) ([]*examhall.Audio, int, error) {
	if m.FindAudiosFn == nil {
		panic("mock: unexpected call to AudioService.FindAudios")
	}
	return m.FindAudiosFn(ctx, filter)
}

// CreateAudio calls CreateAudioFn.
func (m *AudioService) CreateAudio(ctx context.Context, a *examhall.Audio) error {
	if m.CreateAudioFn == nil {
		panic("mock: unexpected call to AudioService.CreateAudio")
	}
	return m.CreateAudioFn(ctx, a)
}

// UpdateAudio calls UpdateAudioFn.
func (m *AudioService) UpdateAudio(ctx context.Context, id string, upd examhall.AudioUpdate) (*examhall.Audio, error) {
	if m.UpdateAudioFn == nil {
		panic("mock: unexpected call to AudioService.UpdateAudio")
	}
	return m.UpdateAudioFn(ctx, id, upd)
}

// DeleteAudio calls DeleteAudioFn.
func (m *AudioService) DeleteAudio(ctx context.Context, id string) error {
	if m.DeleteAudioFn == nil {
		panic("mock: unexpected call to AudioService.DeleteAudio")
	}
	return m.DeleteAudioFn(ctx, id)
}

// SetBroadcasts calls SetBroadcastsFn.
func (m *AudioService) SetBroadcasts(ctx context.Context, examID string, items []examhall.ScheduledAudio) error {
	if m.SetBroadcastsFn == nil {
		panic("mock: unexpected call to AudioService.SetBroadcasts")
	}
	return m.SetBroadcastsFn(ctx, examID, items)
}

// FindBroadcasts calls FindBroadcastsFn.
func (m *AudioService) FindBroadcasts(ctx context.Context, examID string) ([]*examhall.Broadcast, error) {
	if m.FindBroadcastsFn == nil {
		panic("mock: unexpected call to AudioService.FindBroadcasts")
	}
	return m.FindBroadcastsFn(ctx, examID)
}

// SetPlaylist calls SetPlaylistFn.
func (m *AudioService) SetPlaylist(ctx context.Context, examID string, audioIDs []string) error {
	if m.SetPlaylistFn == nil {
		panic("mock: unexpected call to AudioService.SetPlaylist")
	}
	return m.SetPlaylistFn(ctx, examID, audioIDs)
}

// FindPlaylist calls FindPlaylistFn.
func (m *AudioService) FindPlaylist(ctx context.Context, examID string) ([]*examhall.Audio, error) {
	if m.FindPlaylistFn == nil {
		panic("mock: unexpected call to AudioService.FindPlaylist")
	}
	return m.FindPlaylistFn(ctx, examID)
}

// Authenticator mocks examhall.Authenticator.
type Authenticator struct {
	LoginFn        func(ctx context.Context, account, password, addr string) (token string, expire time.Time, err error)
	AuthenticateFn func(ctx context.Context, token string) (*examhall.Caller, error)
	JoinTokenFn    func(u *examhall.User, roomID string, exp time.Time) (string, error)
}

var _ examhall.Authenticator = (*Authenticator)(nil)

// Login calls LoginFn.
func (m *Authenticator) Login(ctx context.Context, account, password, addr string) (token string, expire time.Time, err error) {
	if m.LoginFn == nil {
		panic("mock: unexpected call to Authenticator.Login")
	}
	return m.LoginFn(ctx, account, password, addr)
}

// Authenticate calls AuthenticateFn.
func (m *Authenticator) Authenticate(ctx context.Context, token string) (*examhall.Caller, error) {
	if m.AuthenticateFn == nil {
		panic("mock: unexpected call to Authenticator.Authenticate")
	}
	return m.AuthenticateFn(ctx, token)
}

// JoinToken calls JoinTokenFn.
func (m *Authenticator) JoinToken(u *examhall.User, roomID string, exp time.Time) (string, error) {
	if m.JoinTokenFn == nil {
		panic("mock: unexpected call to Authenticator.JoinToken")
	}
	return m.JoinTokenFn(u, roomID, exp)
}

// AppAuthenticator mocks examhall.AppAuthenticator.
type AppAuthenticator struct {
	CreateAppFn      func(ctx context.Context, name string) (app *examhall.App, secret string, err error)
	AppTokenFn       func(ctx context.Context, appID, secret string) (token string, ttl time.Duration, err error)
	VerifyAppTokenFn func(ctx context.Context, token string) (appID string, err error)
}

var _ examhall.AppAuthenticator = (*AppAuthenticator)(nil)

// CreateApp calls CreateAppFn.
func (m *AppAuthenticator) CreateApp(ctx context.Context, name string) (app *examhall.App, secret string, err error) {
	if m.CreateAppFn == nil {
		panic("mock: unexpected call to AppAuthenticator.CreateApp")
	}
	return m.CreateAppFn(ctx, name)
}

// AppToken calls AppTokenFn.
func (m *AppAuthenticator) AppToken(ctx context.Context, appID, secret string) (token string, ttl time.Duration, err error) {
	if m.AppTokenFn == nil {
		panic("mock: unexpected call to AppAuthenticator.AppToken")
	}
	return m.AppTokenFn(ctx, appID, secret)
}

// VerifyAppToken calls VerifyAppTokenFn.
func (m *AppAuthenticator) VerifyAppToken(ctx context.Context, token string) (appID string, err error) {
	if m.VerifyAppTokenFn == nil {
		panic("mock: unexpected call to AppAuthenticator.VerifyAppToken")
	}
	return m.VerifyAppTokenFn(ctx, token)
}

// CheatService mocks examhall.CheatService.
type CheatService struct {
	SetCheatConfigFn     func(ctx context.Context, c *examhall.CheatConfig) error
	FindCheatConfigFn    func(ctx context.Context, examID string) (*examhall.CheatConfig, error)
	CreateCheatRecordsFn func(ctx context.Context, records []*examhall.CheatRecord) error
	FindCheatRecordsFn   func(ctx context.Context, filter examhall.CheatRecordFilter) ([]*examhall.CheatRecord, bool, error)
}

var _ examhall.CheatService = (*CheatService)(nil)

// SetCheatConfig calls SetCheatConfigFn.
func (m *CheatService) SetCheatConfig(ctx context.Context, c *examhall.CheatConfig) error {
	if m.SetCheatConfigFn == nil {
		panic("mock: unexpected call to CheatService.SetCheatConfig")
	}
	return m.SetCheatConfigFn(ctx, c)
}

// FindCheatConfig calls FindCheatConfigFn.
func (m *CheatService) FindCheatConfig(ctx context.Context, examID string) (*examhall.CheatConfig, error) {
	if m.FindCheatConfigFn == nil {
		panic("mock: unexpected call to CheatService.FindCheatConfig")
	}
	return m.FindCheatConfigFn(ctx, examID)
}

// CreateCheatRecords calls CreateCheatRecordsFn.
func (m *CheatService) CreateCheatRecords(ctx context.Context, records []*examhall.CheatRecord) error {
	if m.CreateCheatRecordsFn == nil {
		panic("mock: unexpected call to CheatService.CreateCheatRecords")
	}
	return m.CreateCheatRecordsFn(ctx, records)
}

// FindCheatRecords calls FindCheatRecordsFn.
func (m *CheatService) FindCheatRecords(ctx context.Context, filter examhall.CheatRecordFilter) ([]*examhall.CheatRecord, bool, error) {
	if m.FindCheatRecordsFn == nil {
		panic("mock: unexpected call to CheatService.FindCheatRecords")
	}
	return m.FindCheatRecordsFn(ctx, filter)
}

// DepartmentService mocks examhall.DepartmentService.
type DepartmentService struct {
	FindDepartmentByIDFn   func(ctx context.Context, id string) (*examhall.Department, error)
	FindDepartmentsFn      func(ctx context.Context) ([]*examhall.Department, error)
	CreateDepartmentFn     func(ctx context.Context, d *examhall.Department) error
	EnsureDepartmentPathFn func(ctx context.Context, path string) (*examhall.Department, error)
	UpdateDepartmentFn     func(ctx context.Context, id string, upd examhall.DepartmentUpdate) (*examhall.Department, error)
	DeleteDepartmentFn     func(ctx context.Context, id string) error
}

var _ examhall.DepartmentService = (*DepartmentService)(nil)

// FindDepartmentByID calls FindDepartmentByIDFn.
func (m *DepartmentService) FindDepartmentByID(ctx context.Context, id string) (*examhall.Department, error) {
	if m.FindDepartmentByIDFn == nil {
		panic("mock: unexpected call to DepartmentService.FindDepartmentByID")
	}
	return m.FindDepartmentByIDFn(ctx, id)
}

// FindDepartments calls FindDepartmentsFn.
func (m *DepartmentService) FindDepartments(ctx context.Context) ([]*examhall.Department, error) {
	if m.FindDepartmentsFn == nil {
		panic("mock: unexpected call to DepartmentService.FindDepartments")
	}
	return m.FindDepartmentsFn(ctx)
}

// CreateDepartment calls CreateDepartmentFn.
func (m *DepartmentService) CreateDepartment(ctx context.Context, d *examhall.Department) error {
	if m.CreateDepartmentFn == nil {
		panic("mock: unexpected call to DepartmentService.CreateDepartment")
	}
	return m.CreateDepartmentFn(ctx, d)
}

// EnsureDepartmentPath calls EnsureDepartmentPathFn.
func (m *DepartmentService) EnsureDepartmentPath(ctx context.Context, path string) (*examhall.Department, error) {
	if m.EnsureDepartmentPathFn == nil {
		panic("mock: unexpected call to DepartmentService.EnsureDepartmentPath")
	}
	return m.EnsureDepartmentPathFn(ctx, path)
}

// UpdateDepartment calls UpdateDepartmentFn.
func (m *DepartmentService) UpdateDepartment(ctx context.Context, id string, upd examhall.DepartmentUpdate) (*examhall.Department, error) {
	if m.UpdateDepartmentFn == nil {
		panic("mock: unexpected call to DepartmentService.UpdateDepartment")
	}
	return m.UpdateDepartmentFn(ctx, id, upd)
}

// DeleteDepartment calls DeleteDepartmentFn.
func (m *DepartmentService) DeleteDepartment(ctx context.Context, id string) error {
	if m.DeleteDepartmentFn == nil {
		panic("mock: unexpected call to DepartmentService.DeleteDepartment")
	}
	return m.DeleteDepartmentFn(ctx, id)
}

// ExamService mocks examhall.ExamService.
type ExamService struct {
	FindExamByIDFn   func(ctx context.Context, id string) (*examhall.Exam, error)
	FindExamsFn      func(ctx context.Context, filter examhall.ExamFilter) ([]*examhall.Exam, int, error)
	FindExamStatsFn  func(ctx context.Context, examIDs []string) (map[string]examhall.ExamStats, error)
	CreateExamFn     func(ctx context.Context, e *examhall.Exam) error
	UpdateExamFn     func(ctx context.Context, id string, upd examhall.ExamUpdate) (*examhall.Exam, error)
	SetPaperFn       func(ctx context.Context, examID string, questions []*examhall.Question) error
	FindPaperFn      func(ctx context.Context, examID string) ([]*examhall.Question, error)
	SetOverrideFn    func(ctx context.Context, o *examhall.Override) error
	FindOverrideFn   func(ctx context.Context, examID, userID string) (*examhall.Override, error)
	FindOverridesFn  func(ctx context.Context, examID string) ([]*examhall.Override, error)
	DeleteOverrideFn func(ctx context.Context, examID, userID string) error
	FindUserExamsFn  func(ctx context.Context, userID string, now time.Time, offset, limit int) ([]*examhall.UserExam, int, error)
}

var _ examhall.ExamService = (*ExamService)(nil)

// FindExamByID calls FindExamByIDFn.
func (m *ExamService) FindExamByID(ctx context.Context, id string) (*examhall.Exam, error) {
	if m.FindExamByIDFn == nil {
		panic("mock: unexpected call to ExamService.FindExamByID")
	}
	return m.FindExamByIDFn(ctx, id)
}

// FindExams calls FindExamsFn.
func (m *ExamService) FindExams(ctx context.Context, filter examhall.ExamFilter) ([]*examhall.Exam, int, error) {
	if m.FindExamsFn == nil {
		panic("mock: unexpected call to ExamService.FindExams")
	}
	return m.FindExamsFn(ctx, filter)
}

// FindExamStats calls FindExamStatsFn.
func (m *ExamService) FindExamStats(ctx context.Context, examIDs []string) (map[string]examhall.ExamStats, error) {
	if m.FindExamStatsFn == nil {
		panic("mock: unexpected call to ExamService.FindExamStats")
	}
	return m.FindExamStatsFn(ctx, examIDs)
}

// CreateExam calls CreateExamFn.
func (m *ExamService) CreateExam(ctx context.Context, e *examhall.Exam) error {
	if m.CreateExamFn == nil {
		panic("mock: unexpected call to ExamService.CreateExam")
	}
	return m.CreateExamFn(ctx, e)
}

// UpdateExam calls UpdateExamFn.
func (m *ExamService) UpdateExam(ctx context.Context, id string, upd examhall.ExamUpdate) (*examhall.Exam, error) {
	if m.UpdateExamFn == nil {
		panic("mock: unexpected call to ExamService.UpdateExam")
	}
	return m.UpdateExamFn(ctx, id, upd)
}

// SetPaper calls SetPaperFn.
func (m *ExamService) SetPaper(ctx context.Context, examID string, questions []*examhall.Question) error {
	if m.SetPaperFn == nil {
		panic("mock: unexpected call to ExamService.SetPaper")
	}
	return m.SetPaperFn(ctx, examID, questions)
}

// FindPaper calls FindPaperFn.
func (m *ExamService) FindPaper(ctx context.Context, examID string) ([]*examhall.Question, error) {
	if m.FindPaperFn == nil {
		panic("mock: unexpected call to ExamService.FindPaper")
	}
	return m.FindPaperFn(ctx, examID)
}

// SetOverride calls SetOverrideFn.
func (m *ExamService) SetOverride(ctx context.Context, o *examhall.Override) error {
	if m.SetOverrideFn == nil {
		panic("mock: unexpected call to ExamService.SetOverride")
	}
	return m.SetOverrideFn(ctx, o)
}

// FindOverride calls FindOverrideFn.
func (m *ExamService) FindOverride(ctx context.Context, examID, userID string) (*examhall.Override, error) {
	if m.FindOverrideFn == nil {
		panic("mock: unexpected call to ExamService.FindOverride")
	}
	return m.FindOverrideFn(ctx, examID, userID)
}

// FindOverrides calls FindOverridesFn.
func (m *ExamService) FindOverrides(ctx context.Context, examID string) ([]*examhall.Override, error) {
	if m.FindOverridesFn == nil {
		panic("mock: unexpected call to ExamService.FindOverrides")
	}
	return m.FindOverridesFn(ctx, examID)
}

// DeleteOverride calls DeleteOverrideFn.
func (m *ExamService) DeleteOverride(ctx context.Context, examID, userID string) error {
	if m.DeleteOverrideFn == nil {
		panic("mock: unexpected call to ExamService.DeleteOverride")
	}
	return m.DeleteOverrideFn(ctx, examID, userID)
}

// FindUserExams calls FindUserExamsFn.
func (m *ExamService) FindUserExams(ctx context.Context, userID string, now time.Time, offset, limit int) ([]*examhall.UserExam, int, error) {
	if m.FindUserExamsFn == nil {
		panic("mock: unexpected call to ExamService.FindUserExams")
	}
	return m.FindUserExamsFn(ctx, userID, now, offset, limit)
}

// RoomService mocks examhall.RoomService.
type RoomService struct {
	FindRoomByIDFn       func(ctx context.Context, id string) (*examhall.Room, error)
	FindRoomsFn          func(ctx context.Context, filter examhall.RoomFilter) ([]*examhall.Room, int, error)
	CreateRoomFn         func(ctx context.Context, r *examhall.Room) error
	CreateRoomWithExamFn func(ctx context.Context, r *examhall.Room, e *examhall.Exam) error
	UpdateRoomFn         func(ctx context.Context, id string, upd examhall.RoomUpdate) (*examhall.Room, error)
	DeleteRoomFn         func(ctx context.Context, id string) error
	AddMembersFn         func(ctx context.Context, roomID string, members []examhall.Member) error
	RemoveMemberFn       func(ctx context.Context, roomID, userID string) error
	FindMembersFn        func(ctx context.Context, roomID string, role *examhall.Role) ([]*examhall.Member, error)
	FindMemberFn         func(ctx context.Context, roomID, userID string) (*examhall.Member, error)
	SetUserStatusFn      func(ctx context.Context, roomID, userID string, status int) error
	InExamFn             func(ctx context.Context, examID, userID string) (bool, error)
}

var _ examhall.RoomService = (*RoomService)(nil)

// FindRoomByID calls FindRoomByIDFn.
func (m *RoomService) FindRoomByID(ctx context.Context, id string) (*examhall.Room, error) {
	if m.FindRoomByIDFn == nil {
		panic("mock: unexpected call to RoomService.FindRoomByID")
	}
	return m.FindRoomByIDFn(ctx, id)
}

// FindRooms calls FindRoomsFn.
func (m *RoomService) FindRooms(ctx context.Context, filter examhall.RoomFilter) ([]*examhall.Room, int, error) {
	if m.FindRoomsFn == nil {
		panic("mock: unexpected call to RoomService.FindRooms")
	}
	return m.FindRoomsFn(ctx, filter)
}

// CreateRoom calls CreateRoomFn.
func (m *RoomService) CreateRoom(ctx context.Context, r *examhall.Room) error {
	if m.CreateRoomFn == nil {
		panic("mock: unexpected call to RoomService.CreateRoom")
	}
	return m.CreateRoomFn(ctx, r)
}

// CreateRoomWithExam calls CreateRoomWithExamFn.
func (m *RoomService) CreateRoomWithExam(ctx context.Context, r *examhall.Room, e *examhall.Exam) error {
	if m.CreateRoomWithExamFn == nil {
		panic("mock: unexpected call to RoomService.CreateRoomWithExam")
	}
	return m.CreateRoomWithExamFn(ctx, r, e)
}

// UpdateRoom calls UpdateRoomFn.
func (m *RoomService) UpdateRoom(ctx context.Context, id string, upd examhall.RoomUpdate) (*examhall.Room, error) {
	if m.UpdateRoomFn == nil {
		panic("mock: unexpected call to RoomService.UpdateRoom")
	}
	return m.UpdateRoomFn(ctx, id, upd)
}

// DeleteRoom calls DeleteRoomFn.
func (m *RoomService) DeleteRoom(ctx context.Context, id string) error {
	if m.DeleteRoomFn == nil {
		panic("mock: unexpected call to RoomService.DeleteRoom")
	}
	return m.DeleteRoomFn(ctx, id)
}

// AddMembers calls AddMembersFn.
func (m *RoomService) AddMembers(ctx context.Context, roomID string, members []examhall.Member) error {
	if m.AddMembersFn == nil {
		panic("mock: unexpected call to RoomService.AddMembers")
	}
	return m.AddMembersFn(ctx, roomID, members)
}

// RemoveMember calls RemoveMemberFn.
func (m *RoomService) RemoveMember(ctx context.Context, roomID, userID string) error {
	if m.RemoveMemberFn == nil {
		panic("mock: unexpected call to RoomService.RemoveMember")
	}
	return m.RemoveMemberFn(ctx, roomID, userID)
}

// FindMembers calls FindMembersFn.
func (m *RoomService) FindMembers(ctx context.Context, roomID string, role *examhall.Role) ([]*examhall.Member, error) {
	if m.FindMembersFn == nil {
		panic("mock: unexpected call to RoomService.FindMembers")
	}
	return m.FindMembersFn(ctx, roomID, role)
}

// FindMember calls FindMemberFn.
func (m *RoomService) FindMember(ctx context.Context, roomID, userID string) (*examhall.Member, error) {
	if m.FindMemberFn == nil {
		panic("mock: unexpected call to RoomService.FindMember")
	}
	return m.FindMemberFn(ctx, roomID, userID)
}

// SetUserStatus calls SetUserStatusFn.
func (m *RoomService) SetUserStatus(ctx context.Context, roomID, userID string, status int) error {
	if m.SetUserStatusFn == nil {
		panic("mock: unexpected call to RoomService.SetUserStatus")
	}
	return m.SetUserStatusFn(ctx, roomID, userID, status)
}

// InExam calls InExamFn.
func (m *RoomService) InExam(ctx context.Context, examID, userID string) (bool, error) {
	if m.InExamFn == nil {
		panic("mock: unexpected call to RoomService.InExam")
	}
	return m.InExamFn(ctx, examID, userID)
}

// StreamSigner mocks examhall.StreamSigner.
type StreamSigner struct {
	StreamURLsFn func(examID, roomID, userID string, now time.Time) (examhall.StreamURLs, error)
}

var _ examhall.StreamSigner = (*StreamSigner)(nil)

// StreamURLs calls StreamURLsFn.
func (m *StreamSigner) StreamURLs(examID, roomID, userID string, now time.Time) (examhall.StreamURLs, error) {
	if m.StreamURLsFn == nil {
		panic("mock: unexpected call to StreamSigner.StreamURLs")
	}
	return m.StreamURLsFn(examID, roomID, userID, now)
}

// IM mocks examhall.IM.
type IM struct {
	TokensFn      func(ctx context.Context, req examhall.IMTokenRequest) (*examhall.IMTokens, error)
	CreateGroupFn func(ctx context.Context, servers []examhall.IMServer, roomID string) (string, error)
}

var _ examhall.IM = (*IM)(nil)

// Tokens calls TokensFn.
func (m *IM) Tokens(ctx context.Context, req examhall.IMTokenRequest) (*examhall.IMTokens, error) {
	if m.TokensFn == nil {
		panic("mock: unexpected call to IM.Tokens")
	}
	return m.TokensFn(ctx, req)
}

// CreateGroup calls CreateGroupFn.
func (m *IM) CreateGroup(ctx context.Context, servers []examhall.IMServer, roomID string) (string, error) {
	if m.CreateGroupFn == nil {
		panic("mock: unexpected call to IM.CreateGroup")
	}
	return m.CreateGroupFn(ctx, servers, roomID)
}

// Uploader mocks examhall.Uploader.
type Uploader struct {
	UploadCredentialsFn func(ctx context.Context, req examhall.UploadRequest) (*examhall.UploadCredentials, error)
}

var _ examhall.Uploader = (*Uploader)(nil)

// UploadCredentials calls UploadCredentialsFn.
func (m *Uploader) UploadCredentials(ctx context.Context, req examhall.UploadRequest) (*examhall.UploadCredentials, error) {
	if m.UploadCredentialsFn == nil {
		panic("mock: unexpected call to Uploader.UploadCredentials")
	}
	return m.UploadCredentialsFn(ctx, req)
}

// UserService mocks examhall.UserService.
type UserService struct {
	FindUserByIDFn      func(ctx context.Context, id string) (*examhall.User, error)
	FindUserByAccountFn func(ctx context.Context, account string) (*examhall.User, error)
	FindUsersFn         func(ctx context.Context, filter examhall.UserFilter) ([]*examhall.User, int, error)
	CreateUserFn        func(ctx context.Context, u *examhall.User) error
	ImportUsersFn       func(ctx context.Context, users []*examhall.User) error
	UpdateUserFn        func(ctx context.Context, id string, upd examhall.UserUpdate) (*examhall.User, error)
}

var _ examhall.UserService = (*UserService)(nil)

// FindUserByID calls FindUserByIDFn.
func (m *UserService) FindUserByID(ctx context.Context, id string) (*examhall.User, error) {
	if m.FindUserByIDFn == nil {
		panic("mock: unexpected call to UserService.FindUserByID")
	}
	return m.FindUserByIDFn(ctx, id)
}

// FindUserByAccount calls FindUserByAccountFn.
func (m *UserService) FindUserByAccount(ctx context.Context, account string) (*examhall.User, error) {
	if m.FindUserByAccountFn == nil {
		panic("mock: unexpected call to UserService.FindUserByAccount")
	}
	return m.FindUserByAccountFn(ctx, account)
}

// FindUsers calls FindUsersFn.
func (m *UserService) FindUsers(ctx context.Context, filter examhall.UserFilter) ([]*examhall.User, int, error) {
	if m.FindUsersFn == nil {
		panic("mock: unexpected call to UserService.FindUsers")
	}
	return m.FindUsersFn(ctx, filter)
}

// CreateUser calls CreateUserFn.
func (m *UserService) CreateUser(ctx context.Context, u *examhall.User) error {
	if m.CreateUserFn == nil {
		panic("mock: unexpected call to UserService.CreateUser")
	}
	return m.CreateUserFn(ctx, u)
}

// ImportUsers calls ImportUsersFn.
func (m *UserService) ImportUsers(ctx context.Context, users []*examhall.User) error {
	if m.ImportUsersFn == nil {
		panic("mock: unexpected call to UserService.ImportUsers")
	}
	return m.ImportUsersFn(ctx, users)
}

// UpdateUser calls UpdateUserFn.
func (m *UserService) UpdateUser(ctx context.Context, id string, upd examhall.UserUpdate) (*examhall.User, error) {
	if m.UpdateUserFn == nil {
		panic("mock: unexpected call to UserService.UpdateUser")
	}
	return m.UpdateUserFn(ctx, id, upd)
}

// ProctorService mocks examhall.ProctorService.
type ProctorService struct {
	RecordSignalFn  func(ctx context.Context, attemptID string, s examhall.Signal) (*examhall.SignalResult, error)
	AddSnapshotFn   func(ctx context.Context, attemptID string, jpeg []byte) (*examhall.Snapshot, error)
	OpenSnapshotFn  func(ctx context.Context, id string) (*examhall.Snapshot, io.ReadCloser, error)
	SendMessageFn   func(ctx context.Context, roomID, userID, text string) (*examhall.Action, error)
	ExtendAttemptFn func(ctx context.Context, attemptID string, minutes int) (*examhall.Attempt, error)
	ForceSubmitFn   func(ctx context.Context, attemptID string) (*examhall.Attempt, error)
	EndRoomFn       func(ctx context.Context, roomID string) (*examhall.Room, int, error)
	TimelineFn      func(ctx context.Context, attemptID string) ([]*examhall.TimelineEntry, error)
	LiveFn          func(ctx context.Context, roomID string) (*examhall.RoomLive, error)
}

var _ examhall.ProctorService = (*ProctorService)(nil)

// RecordSignal calls RecordSignalFn.
func (m *ProctorService) RecordSignal(ctx context.Context, attemptID string, s examhall.Signal) (*examhall.SignalResult, error) {
	if m.RecordSignalFn == nil {
		panic("mock: unexpected call to ProctorService.RecordSignal")
	}
	return m.RecordSignalFn(ctx, attemptID, s)
}

// AddSnapshot calls AddSnapshotFn.
func (m *ProctorService) AddSnapshot(ctx context.Context, attemptID string, jpeg []byte) (*examhall.Snapshot, error) {
	if m.AddSnapshotFn == nil {
		panic("mock: unexpected call to ProctorService.AddSnapshot")
	}
	return m.AddSnapshotFn(ctx, attemptID, jpeg)
}

// OpenSnapshot calls OpenSnapshotFn.
func (m *ProctorService) OpenSnapshot(ctx context.Context, id string) (*examhall.Snapshot, io.ReadCloser, error) {
	if m.OpenSnapshotFn == nil {
		panic("mock: unexpected call to ProctorService.OpenSnapshot")
	}
	return m.OpenSnapshotFn(ctx, id)
}

// SendMessage calls SendMessageFn.
func (m *ProctorService) SendMessage(ctx context.Context, roomID, userID, text string) (*examhall.Action, error) {
	if m.SendMessageFn == nil {
		panic("mock: unexpected call to ProctorService.SendMessage")
	}
	return m.SendMessageFn(ctx, roomID, userID, text)
}

// ExtendAttempt calls ExtendAttemptFn.
func (m *ProctorService) ExtendAttempt(ctx context.Context, attemptID string, minutes int) (*examhall.Attempt, error) {
	if m.ExtendAttemptFn == nil {
		panic("mock: unexpected call to ProctorService.ExtendAttempt")
	}
	return m.ExtendAttemptFn(ctx, attemptID, minutes)
}

// ForceSubmit calls ForceSubmitFn.
func (m *ProctorService) ForceSubmit(ctx context.Context, attemptID string) (*examhall.Attempt, error) {
	if m.ForceSubmitFn == nil {
		panic("mock: unexpected call to ProctorService.ForceSubmit")
	}
	return m.ForceSubmitFn(ctx, attemptID)
}

// EndRoom calls EndRoomFn.
func (m *ProctorService) EndRoom(ctx context.Context, roomID string) (*examhall.Room, int, error) {
	if m.EndRoomFn == nil {
		panic("mock: unexpected call to ProctorService.EndRoom")
	}
	return m.EndRoomFn(ctx, roomID)
}

// Timeline calls TimelineFn.
func (m *ProctorService) Timeline(ctx context.Context, attemptID string) ([]*examhall.TimelineEntry, error) {
	if m.TimelineFn == nil {
		panic("mock: unexpected call to ProctorService.Timeline")
	}
	return m.TimelineFn(ctx, attemptID)
}

// Live calls LiveFn.
func (m *ProctorService) Live(ctx context.Context, roomID string) (*examhall.RoomLive, error) {
	if m.LiveFn == nil {
		panic("mock: unexpected call to ProctorService.Live")
	}
	return m.LiveFn(ctx, roomID)
}
