package aui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
	"examhall/mock"
)

// cst is the vendor's zone (+08:00) without depending on tzdata.
var cst = time.FixedZone("CST", 8*3600)

// t0 is the fixture's now: 2023-12-12T15:59:12+08:00, the seed's createdAt.
var t0 = time.Date(2023, 12, 12, 15, 59, 12, 0, cst)

// The fixture's people, rooms and exams.
const (
	roomR    = "f064a22d-9885-47ab-bce9-a058c74c0001" // exam1, created by teacher1
	roomR2   = "f064a22d-9885-47ab-bce9-a058c74c0002" // exam2, created by teacher3
	roomSeed = "roomIdtest"                           // the seed's cheat examples: exam 333333
	exam1    = "exam1"
	exam2    = "exam2"
	examSeed = "333333"
)

var users = map[string]*examhall.User{
	"admin":     {ID: "admin", Name: "Admin", Role: examhall.RoleAdmin},
	"teacher1":  {ID: "teacher1", Name: "Teacher One", Role: examhall.RoleInvigilator},
	"teacher2":  {ID: "teacher2", Name: "Teacher Two", Role: examhall.RoleInvigilator},
	"teacher3":  {ID: "teacher3", Name: "Teacher Three", Role: examhall.RoleInvigilator},
	"examinee1": {ID: "examinee1", Name: "Examinee One", Role: examhall.RoleExaminee},
	"examinee2": {ID: "examinee2", Name: "Examinee Two", Role: examhall.RoleExaminee},
	"userewexx": {ID: "userewexx", Name: "Seed Examinee", Role: examhall.RoleExaminee},
}

// tokens maps each test token to its caller. tok-bound is teacher2 (an
// invigilator of roomR) holding a join link bound to roomR2.
var tokens = map[string]*examhall.Caller{
	"tok-admin":     {User: users["admin"]},
	"tok-creator":   {User: users["teacher1"]},
	"tok-rosterinv": {User: users["teacher2"]},
	"tok-otherinv":  {User: users["teacher3"]},
	"tok-examinee":  {User: users["examinee1"]},
	"tok-otherexam": {User: users["examinee2"]},
	"tok-bound":     {User: users["teacher2"], RoomID: roomR2},
	"tok-userewexx": {User: users["userewexx"]},
}

// fakeRooms is an in-memory RoomService, so that the real examhall.Policy
// decides every authorization question in these tests.
type fakeRooms struct {
	f       *fixture
	rooms   map[string]*examhall.Room
	members map[string][]*examhall.Member

	findMembersCalls, findMemberCalls int
}

var _ examhall.RoomService = (*fakeRooms)(nil)

func notFound(what string) error { return examhall.Errorf(examhall.ENOTFOUND, "%s not found", what) }

func (r *fakeRooms) FindRoomByID(ctx context.Context, id string) (*examhall.Room, error) {
	if room, ok := r.rooms[id]; ok {
		c := *room
		return &c, nil
	}
	return nil, notFound("room")
}

// FindRooms supports getOssConfig's selection: the user's rooms of an exam.
func (r *fakeRooms) FindRooms(ctx context.Context, filter examhall.RoomFilter) ([]*examhall.Room, int, error) {
	if filter.ExamID == "" || filter.UserID == "" {
		return nil, 0, fmt.Errorf("fakeRooms: FindRooms supports only ExamID and UserID")
	}
	var out []*examhall.Room
	for _, room := range r.rooms {
		if room.ExamID != filter.ExamID {
			continue
		}
		in := room.CreatedBy == filter.UserID
		for _, m := range r.members[room.ID] {
			in = in || m.UserID == filter.UserID
		}
		if in {
			c := *room
			out = append(out, &c)
		}
	}
	return out, len(out), nil
}

func (r *fakeRooms) CreateRoom(ctx context.Context, room *examhall.Room) error {
	r.f.write("CreateRoom", room)
	room.CreatedAt, room.UpdatedAt = t0, t0
	c := *room
	r.rooms[room.ID] = &c
	return nil
}

func (r *fakeRooms) CreateRoomWithExam(ctx context.Context, room *examhall.Room, e *examhall.Exam) error {
	r.f.write("CreateRoomWithExam", *e)
	e.ID, room.ExamID = "exam-new", "exam-new"
	return r.CreateRoom(ctx, room)
}

func (r *fakeRooms) UpdateRoom(ctx context.Context, id string, upd examhall.RoomUpdate) (*examhall.Room, error) {
	r.f.write("UpdateRoom", id, upd)
	room, ok := r.rooms[id]
	if !ok {
		return nil, notFound("room")
	}
	if upd.Status != nil {
		room.Status = *upd.Status
	}
	if upd.AudioStatus != nil {
		room.AudioStatus = *upd.AudioStatus
	}
	c := *room
	return &c, nil
}

func (r *fakeRooms) DeleteRoom(ctx context.Context, id string) error {
	return fmt.Errorf("fakeRooms: DeleteRoom not used by aui")
}

func (r *fakeRooms) AddMembers(ctx context.Context, roomID string, members []examhall.Member) error {
	return fmt.Errorf("fakeRooms: AddMembers not used by aui")
}

func (r *fakeRooms) RemoveMember(ctx context.Context, roomID, userID string) error {
	return fmt.Errorf("fakeRooms: RemoveMember not used by aui")
}

func (r *fakeRooms) FindMembers(ctx context.Context, roomID string, role *examhall.Role) ([]*examhall.Member, error) {
	r.findMembersCalls++
	var out []*examhall.Member
	for _, m := range r.members[roomID] {
		if role == nil || m.Role == *role {
			c := *m
			out = append(out, &c)
		}
	}
	return out, nil
}

func (r *fakeRooms) FindMember(ctx context.Context, roomID, userID string) (*examhall.Member, error) {
	r.findMemberCalls++
	for _, m := range r.members[roomID] {
		if m.UserID == userID {
			c := *m
			return &c, nil
		}
	}
	return nil, notFound("member")
}

func (r *fakeRooms) SetUserStatus(ctx context.Context, roomID, userID string, status int) error {
	r.f.write("SetUserStatus", roomID, userID, status)
	for _, m := range r.members[roomID] {
		if m.UserID == userID {
			m.UserStatus = status
			return nil
		}
	}
	return notFound("member")
}

func (r *fakeRooms) InExam(ctx context.Context, examID, userID string) (bool, error) {
	for id, room := range r.rooms {
		if room.ExamID != examID {
			continue
		}
		if room.CreatedBy == userID {
			return true, nil
		}
		for _, m := range r.members[id] {
			if m.UserID == userID {
				return true, nil
			}
		}
	}
	return false, nil
}

// call is one recorded write: a method name and its arguments.
type call struct {
	Name string
	Args []any
}

// fixture is a Server over fakes and mocks that records every write call.
type fixture struct {
	t       testing.TB
	srv     *Server
	h       http.Handler
	rooms   *fakeRooms
	exams   *mock.ExamService
	audio   *mock.AudioService
	cheat   *mock.CheatService
	im      *mock.IM
	streams *mock.StreamSigner
	uploads *mock.Uploader
	auth    *mock.Authenticator

	writes []call
	imReqs []examhall.IMTokenRequest
}

func (f *fixture) write(name string, args ...any) {
	f.writes = append(f.writes, call{name, args})
}

// writeNames returns the names of the recorded writes.
func (f *fixture) writeNames() []string {
	var names []string
	for _, c := range f.writes {
		names = append(names, c.Name)
	}
	return names
}

func member(room, user string, role examhall.Role) *examhall.Member {
	return &examhall.Member{RoomID: room, UserID: user, Role: role, Name: users[user].Name, Account: user}
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{t: t}
	f.rooms = &fakeRooms{
		f: f,
		rooms: map[string]*examhall.Room{
			roomR:    {ID: roomR, Name: "Room R", ExamID: exam1, IMGroupID: "group-r", CreatedBy: "teacher1", CreatedAt: t0, UpdatedAt: t0},
			roomR2:   {ID: roomR2, Name: "Room R2", ExamID: exam2, IMGroupID: "group-r2", CreatedBy: "teacher3", CreatedAt: t0, UpdatedAt: t0},
			roomSeed: {ID: roomSeed, Name: "Seed room", ExamID: examSeed, IMGroupID: roomSeed, CreatedBy: "teacher1", CreatedAt: t0, UpdatedAt: t0},
		},
		members: map[string][]*examhall.Member{
			roomR:    {member(roomR, "examinee1", examhall.RoleExaminee), member(roomR, "teacher2", examhall.RoleInvigilator)},
			roomR2:   {member(roomR2, "examinee2", examhall.RoleExaminee)},
			roomSeed: {member(roomSeed, "userewexx", examhall.RoleExaminee)},
		},
	}
	exams := map[string]*examhall.Exam{
		exam1:      {ID: exam1, Name: "Exam One", BeginTime: time.Date(2023, 3, 30, 6, 0, 0, 0, time.UTC), EndTime: time.Date(2023, 3, 30, 9, 0, 0, 0, time.UTC), Status: examhall.ExamPublished, CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0},
		exam2:      {ID: exam2, Name: "Exam Two", BeginTime: t0, EndTime: t0.Add(time.Hour), Status: examhall.ExamPublished, CreatedAt: t0, UpdatedAt: t0},
		examSeed:   {ID: examSeed, Name: "Seed exam", BeginTime: t0, EndTime: t0.Add(time.Hour), Status: examhall.ExamPublished},
		"archived": {ID: "archived", Name: "Old", BeginTime: t0, EndTime: t0.Add(time.Hour), Status: examhall.ExamArchived},
	}
	f.exams = &mock.ExamService{
		FindExamByIDFn: func(ctx context.Context, id string) (*examhall.Exam, error) {
			if e, ok := exams[id]; ok {
				c := *e
				return &c, nil
			}
			return nil, notFound("exam")
		},
	}
	clip := examhall.Audio{ID: "a1", Classify: 2, Name: "Opening", URL: "https://cdn/a1.mp3", OSSURL: "oss://a1.mp3"}
	f.audio = &mock.AudioService{
		FindBroadcastsFn: func(ctx context.Context, examID string) ([]*examhall.Broadcast, error) {
			if examID != exam1 {
				return nil, nil
			}
			return []*examhall.Broadcast{{Audio: clip, StartTime: time.Date(2023, 3, 30, 6, 30, 0, 0, time.UTC)}}, nil
		},
		FindPlaylistFn: func(ctx context.Context, examID string) ([]*examhall.Audio, error) {
			if examID != exam1 {
				return nil, nil
			}
			return []*examhall.Audio{&clip}, nil
		},
		FindAudiosFn: func(ctx context.Context, filter examhall.AudioFilter) ([]*examhall.Audio, int, error) {
			return []*examhall.Audio{&clip}, 14, nil
		},
	}
	configs := map[string]*examhall.CheatConfig{
		exam1: {ExamID: exam1, Data: `{"pc":{"manyPeople":true}}`, CreatedAt: t0, UpdatedAt: t0},
	}
	f.cheat = &mock.CheatService{
		SetCheatConfigFn: func(ctx context.Context, c *examhall.CheatConfig) error {
			f.write("SetCheatConfig", *c)
			return nil
		},
		FindCheatConfigFn: func(ctx context.Context, examID string) (*examhall.CheatConfig, error) {
			if c, ok := configs[examID]; ok {
				return c, nil
			}
			return nil, notFound("cheat config")
		},
		CreateCheatRecordsFn: func(ctx context.Context, records []*examhall.CheatRecord) error {
			var recs []examhall.CheatRecord
			for _, r := range records {
				recs = append(recs, *r)
			}
			f.write("CreateCheatRecords", recs)
			return nil
		},
		FindCheatRecordsFn: func(ctx context.Context, filter examhall.CheatRecordFilter) ([]*examhall.CheatRecord, bool, error) {
			return nil, false, nil
		},
	}
	f.im = &mock.IM{
		TokensFn: func(ctx context.Context, req examhall.IMTokenRequest) (*examhall.IMTokens, error) {
			f.imReqs = append(f.imReqs, req)
			out := &examhall.IMTokens{}
			for _, s := range req.Servers {
				switch s {
				case examhall.IMAliyunOld:
					out.AliyunOldIM = &examhall.AliyunOldIM{AccessToken: "old-access", RefreshToken: "old-refresh"}
				case examhall.IMAliyunNew:
					out.AliyunNewIM = &examhall.AliyunNewIM{AppID: "0c826fdeb1c5", AppSign: "sign", AppToken: "apptoken",
						Auth: examhall.AliyunNewAuth{UserID: req.UserID, Nonce: "nonce", Timestamp: 1702371472, Role: req.Role}}
				case examhall.IMRongCloud:
					out.RongToken = "rong"
				}
			}
			return out, nil
		},
		CreateGroupFn: func(ctx context.Context, servers []examhall.IMServer, roomID string) (string, error) {
			f.write("CreateGroup", servers, roomID)
			return roomID, nil
		},
	}
	f.streams = &mock.StreamSigner{
		StreamURLsFn: func(examID, roomID, userID string, now time.Time) (examhall.StreamURLs, error) {
			s := examhall.StreamName(examID, roomID, userID, false)
			pc := examhall.StreamName(examID, roomID, userID, true)
			return examhall.StreamURLs{
				RTCPushURL: "artc://push/exam/" + s, RTCPullURL: "artc://pull/exam/" + s, RTSPullURL: "artc://pull/exam/" + s + "_240p",
				PCRTCPushURL: "artc://push/exam/" + pc, PCRTCPullURL: "artc://pull/exam/" + pc, PCRTSPullURL: "artc://pull/exam/" + pc + "_240p",
			}, nil
		},
	}
	f.uploads = &mock.Uploader{
		UploadCredentialsFn: func(ctx context.Context, req examhall.UploadRequest) (*examhall.UploadCredentials, error) {
			return &examhall.UploadCredentials{Region: "oss-cn-hangzhou", AccessKeyID: "STS.id", AccessKeySecret: "secret",
				STSToken: "sts-" + req.ExamID + "-" + req.UserID + "-" + req.Mode + "-" + strings.Join(req.RoomIDs, "+"),
				Bucket:   "bucket", Expiration: t0.Add(time.Hour).UTC()}, nil
		},
	}
	f.auth = &mock.Authenticator{
		LoginFn: func(ctx context.Context, account, password, _ string) (string, time.Time, error) {
			if account == "teacher1" && password == "secret" {
				return "tok-creator", t0.Add(2 * time.Hour).UTC(), nil
			}
			return "", time.Time{}, examhall.Errorf(examhall.EUNAUTHORIZED, "wrong account or password")
		},
		AuthenticateFn: func(ctx context.Context, token string) (*examhall.Caller, error) {
			if c, ok := tokens[token]; ok {
				return c, nil
			}
			return nil, examhall.Errorf(examhall.EUNAUTHORIZED, "invalid token")
		},
	}
	f.srv = &Server{
		Auth: f.auth,
		Users: &mock.UserService{FindUserByIDFn: func(ctx context.Context, id string) (*examhall.User, error) {
			if u, ok := users[id]; ok {
				c := *u
				return &c, nil
			}
			return nil, notFound("user")
		}},
		Policy:   examhall.Policy{Rooms: f.rooms},
		Rooms:    f.rooms,
		Exams:    f.exams,
		Audio:    f.audio,
		Cheat:    f.cheat,
		Streams:  f.streams,
		IM:       f.im,
		Uploads:  f.uploads,
		Now:      func() time.Time { return t0 },
		Location: cst,
		Log:      slog.New(slog.DiscardHandler),
	}
	f.h = f.srv.Handler()
	return f
}

// do serves one request; body is sent as JSON unless a Content-Type header
// is given in hdr ("Name: value" pairs).
func (f *fixture) do(method, target, token, body string, hdr ...string) *httptest.ResponseRecorder {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ": ")
		r.Header.Set(k, v)
	}
	if token != "" {
		r.Header.Set("authorization", token)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// mustJSON decodes s into generic JSON values for cmp.Diff.
func mustJSON(tb testing.TB, s string) any {
	tb.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		tb.Fatalf("bad JSON %q: %v", s, err)
	}
	return v
}

// checkResponse compares the status and the whole JSON body.
func checkResponse(tb testing.TB, w *httptest.ResponseRecorder, status int, body string) {
	tb.Helper()
	if w.Code != status {
		tb.Errorf("status = %d, want %d; body %s", w.Code, status, w.Body)
	}
	if diff := cmp.Diff(mustJSON(tb, body), mustJSON(tb, w.Body.String())); diff != "" {
		tb.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

// ok wraps data in the success envelope.
func ok(data string) string {
	return `{"success":true,"errorCode":"","errorMsg":"","data":` + data + `}`
}

// mustEnvelope decodes an answer and checks it is a well-formed envelope
// whose success matches its status.
func mustEnvelope(tb testing.TB, w *httptest.ResponseRecorder) envelope {
	tb.Helper()
	var e envelope
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		tb.Fatalf("answer is not an envelope: %v: %s", err, w.Body)
	}
	if e.Success != (w.Code == http.StatusOK) {
		tb.Errorf("success = %v with status %d", e.Success, w.Code)
	}
	if !e.Success && (e.ErrorCode == "" || e.ErrorMsg == "" || e.Data != nil) {
		tb.Errorf("error envelope incomplete: %s", w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type = %q", ct)
	}
	return e
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
