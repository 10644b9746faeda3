package aui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"examhall"
)

// Request bodies copied from the seed document.
const (
	seedCreateRoom     = `{"name": "考场名称-2024全国本科艺术考试第0001考场", "imServer":["aliyun_new"]}`
	seedGetIMToken     = `{"userId": "123456****", "deviceId": "fwfwqeqeq****", "deviceType":"web", "imServer":["aliyun_new"]}`
	seedSelectAudio    = `{"pageSize": 0, "pageNum": 0, "name": "", "classify": 0}`
	seedSetCheatConfig = `{"examId": "11111111111", "data":"{xxxx}"}`
	seedGetCheatConfig = `{"examId": "11111111111"}`
	seedAddCheatRecord = `{"examId": "333333", "roomId":"roomIdtest", "data":"[{\"detectTime\":232323,\"isMainMonitor\":true,\"detectType\":\"11\",\"userId\":\"userewexx\",\"extraInfo\":\"{222}2\"},{\"detectTime\":232324,\"isMainMonitor\":true,\"detectType\":\"12\",\"userId\":\"userewexx\",\"extraInfo\":\"{222}2\"}]"}`
	seedListCheat      = `{"examId": "333333", "roomId": "roomIdtest", "pageSize":10, "scrollToken":""}`
)

func TestCreateRoom(t *testing.T) {
	f := newFixture(t)
	w := f.do("POST", "/exam/v2/createRoom", "tok-creator", seedCreateRoom)
	e := mustEnvelope(t, w)
	data, _ := e.Data.(map[string]any)
	id, _ := data["id"].(string)
	if _, err := uuid.Parse(id); err != nil {
		t.Fatalf("room id %q is not a UUID: %v", id, err)
	}
	checkResponse(t, w, http.StatusOK, ok(`{
		"id": "`+id+`",
		"createdAt": "2023-12-12T15:59:12+08:00",
		"updatedAt": "2023-12-12T15:59:12+08:00",
		"name": "考场名称-2024全国本科艺术考试第0001考场",
		"examId": "exam-new",
		"status": 0,
		"audioStatus": 0,
		"imGroupId": "`+id+`",
		"createTeacher": "teacher1"
	}`))

	// The IM group comes first and is named after the room; then the room
	// with the exam the vendor creates for a room without one (the fake
	// records the exam, then the room).
	wantExam := examhall.Exam{
		Name: "考场名称-2024全国本科艺术考试第0001考场", BeginTime: t0, EndTime: t0.Add(24 * time.Hour),
		AllowTimes: 1, IntegralRate: examhall.DefaultIntegralRate, Audience: examhall.AudienceUsers,
		Status: examhall.ExamPublished, CreatedBy: "teacher1",
	}
	want := []call{
		{"CreateGroup", []any{[]examhall.IMServer{examhall.IMAliyunNew}, id}},
		{"CreateRoomWithExam", []any{wantExam}},
		{"CreateRoom", []any{&examhall.Room{ID: id, Name: wantExam.Name, ExamID: "exam-new", IMGroupID: id, CreatedBy: "teacher1", CreatedAt: t0, UpdatedAt: t0}}},
	}
	if diff := cmp.Diff(want, f.writes); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

func TestCreateRoomWithExam(t *testing.T) {
	tests := []struct {
		name, token, examID string
		status              int
		writes              []string
	}{
		{"admin, any exam", "tok-admin", exam2, 200, []string{"CreateGroup", "CreateRoom"}},
		{"invigilator managing the exam", "tok-rosterinv", exam1, 200, []string{"CreateGroup", "CreateRoom"}},
		{"invigilator of another exam", "tok-otherinv", exam1, 403, nil},
		{"unknown exam", "tok-admin", "nope", 404, nil},
		{"archived exam", "tok-admin", "archived", 409, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			w := f.do("POST", "/exam/v2/createRoom", tt.token, `{"name":"R","imServer":["rong_cloud"],"examId":"`+tt.examID+`"}`)
			mustEnvelope(t, w)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if diff := cmp.Diff(tt.writes, f.writeNames()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if w.Code == 200 && !strings.Contains(w.Body.String(), `"examId":"`+tt.examID+`"`) {
				t.Errorf("room not bound to %s: %s", tt.examID, w.Body)
			}
		})
	}
}

func TestCreateRoomIMFailureWritesNothing(t *testing.T) {
	f := newFixture(t)
	f.im.CreateGroupFn = func(ctx context.Context, servers []examhall.IMServer, roomID string) (string, error) {
		return "", examhall.Errorf(examhall.EUNAVAILABLE, "aliyun_new IM is not configured: set EXAMHALL_IM_APP_ID")
	}
	w := f.do("POST", "/exam/v2/createRoom", "tok-admin", seedCreateRoom)
	checkResponse(t, w, 503, `{"success":false,"errorCode":"unavailable","errorMsg":"aliyun_new IM is not configured: set EXAMHALL_IM_APP_ID","data":null}`)
	if len(f.writes) != 0 {
		t.Errorf("writes = %v, want none", f.writeNames())
	}
}

func TestCreateRoomLegacy(t *testing.T) {
	f := newFixture(t)
	w := f.do("POST", "/exam/createRoom", "tok-admin", `{"name":"legacy"}`)
	mustEnvelope(t, w)
	if w.Code != 200 {
		t.Fatalf("status = %d: %s", w.Code, w.Body)
	}
	if got := f.writes[0]; got.Name != "CreateGroup" || !cmp.Equal(got.Args[0], []examhall.IMServer{examhall.IMAliyunOld}) {
		t.Errorf("first write = %v, want CreateGroup([aliyun_old])", got)
	}
}

func TestRoomInfo(t *testing.T) {
	f := newFixture(t)
	// ts is the clients' cache buster: ignored.
	w := f.do("GET", "/exam/roomInfo?roomId="+roomR+"&ts=1702371472000", "tok-examinee", "")
	checkResponse(t, w, 200, ok(`{
		"id": "`+roomR+`", "name": "Room R", "examId": "exam1", "status": 0, "audioStatus": 0,
		"imGroupId": "group-r", "createTeacher": "teacher1", "cheatConfig": "{\"pc\":{\"manyPeople\":true}}",
		"createdAt": "2023-12-12T15:59:12+08:00", "updatedAt": "2023-12-12T15:59:12+08:00"
	}`))

	// No cheat config: no key.
	w = f.do("GET", "/exam/roomInfo?roomId="+roomR2, "tok-otherexam", "")
	checkResponse(t, w, 200, ok(`{
		"id": "`+roomR2+`", "name": "Room R2", "examId": "exam2", "status": 0, "audioStatus": 0,
		"imGroupId": "group-r2", "createTeacher": "teacher3",
		"createdAt": "2023-12-12T15:59:12+08:00", "updatedAt": "2023-12-12T15:59:12+08:00"
	}`))
}

func TestExamInfo(t *testing.T) {
	f := newFixture(t)
	w := f.do("GET", "/exam/examInfo?examId=exam1&ts=1", "tok-examinee", "")
	checkResponse(t, w, 200, ok(`{
		"id": "exam1", "name": "Exam One",
		"startTime": "2023/03/30 14:00:00", "endTime": "2023/03/30 17:00:00",
		"createdAt": "2023-12-12T14:59:12+08:00", "updatedAt": "2023-12-12T15:59:12+08:00",
		"radioInfo": [{"id":"a1","classify":2,"name":"Opening","startTime":"2023/03/30 14:30:00","url":"https://cdn/a1.mp3","ossUrl":"oss://a1.mp3"}],
		"audioInfo": [{"id":"a1","classify":2,"name":"Opening","url":"https://cdn/a1.mp3","ossUrl":"oss://a1.mp3"}]
	}`))

	// Never null lists.
	w = f.do("GET", "/exam/examInfo?examId=exam2", "tok-otherexam", "")
	checkResponse(t, w, 200, ok(`{"id":"exam2","name":"Exam Two","startTime":"2023/12/12 15:59:12","endTime":"2023/12/12 16:59:12",
		"createdAt":"2023-12-12T15:59:12+08:00","updatedAt":"2023-12-12T15:59:12+08:00","radioInfo":[],"audioInfo":[]}`))

	// Issue 14 A4: a deployment may choose RFC 3339 with the offset, as the
	// vendor's servers send, so browsers in other zones read the right instant.
	f.srv.ExamTimeRFC3339 = true
	w = f.do("GET", "/exam/examInfo?examId=exam1", "tok-examinee", "")
	checkResponse(t, w, 200, ok(`{
		"id": "exam1", "name": "Exam One",
		"startTime": "2023-03-30T14:00:00+08:00", "endTime": "2023-03-30T17:00:00+08:00",
		"createdAt": "2023-12-12T14:59:12+08:00", "updatedAt": "2023-12-12T15:59:12+08:00",
		"radioInfo": [{"id":"a1","classify":2,"name":"Opening","startTime":"2023-03-30T14:30:00+08:00","url":"https://cdn/a1.mp3","ossUrl":"oss://a1.mp3"}],
		"audioInfo": [{"id":"a1","classify":2,"name":"Opening","url":"https://cdn/a1.mp3","ossUrl":"oss://a1.mp3"}]
	}`))
}

func userJSON(room, exam, user, name string, status int) string {
	s := exam + "-" + room + "-" + user
	return fmt.Sprintf(`{"id":%q,"name":%q,"userStatus":%d,
		"rtcPushUrl":"artc://push/exam/%[4]s","rtcPullUrl":"artc://pull/exam/%[4]s","rtsPullUrl":"artc://pull/exam/%[4]s_240p",
		"pcRtcPushUrl":"artc://push/exam/%[4]s_pc","pcRtcPullUrl":"artc://pull/exam/%[4]s_pc","pcRtsPullUrl":"artc://pull/exam/%[4]s_pc_240p"}`,
		user, name, status, s)
}

// pullOnly blanks the push URLs of a userJSON.
func pullOnly(user string) string {
	return regexp.MustCompile(`"(rtcPushUrl|pcRtcPushUrl)":"[^"]*"`).ReplaceAllString(user, `"$1":""`)
}

func TestUserInfo(t *testing.T) {
	tests := []struct {
		name, token, user string
		status            int
		body              string
	}{
		{"examinee, self", "tok-examinee", "examinee1", 200, ok(userJSON(roomR, exam1, "examinee1", "Examinee One", 0))},
		{"manager, examinee", "tok-rosterinv", "examinee1", 200, ok(userJSON(roomR, exam1, "examinee1", "Examinee One", 0))},
		{"manager, self on roster", "tok-rosterinv", "teacher2", 200, ok(userJSON(roomR, exam1, "teacher2", "Teacher Two", 0))},
		{"creator, self off roster", "tok-creator", "teacher1", 200, ok(userJSON(roomR, exam1, "teacher1", "Teacher One", 0))},
		{"admin, self off roster", "tok-admin", "admin", 200, ok(userJSON(roomR, exam1, "admin", "Admin", 0))},
		// Issue 14 A1: both examinee pages (Web/exam-examinee/src/pages/index.tsx
		// and pages/pc/index.tsx) fetch userInfo of roomInfo's createTeacher
		// with the examinee's token: invigilators of the room, with pull URLs
		// only.
		{"examinee, roster invigilator", "tok-examinee", "teacher2", 200, ok(pullOnly(userJSON(roomR, exam1, "teacher2", "Teacher Two", 0)))},
		{"examinee, creator off roster", "tok-examinee", "teacher1", 200, ok(pullOnly(userJSON(roomR, exam1, "teacher1", "Teacher One", 0)))},
		{"examinee, another examinee", "tok-examinee", "examinee2", 403, ""},
		{"examinee, admin off roster", "tok-examinee", "admin", 403, ""},
		{"manager, user off roster", "tok-creator", "examinee2", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			w := f.do("GET", "/exam/userInfo?roomId="+roomR+"&userId="+tt.user, tt.token, "")
			mustEnvelope(t, w)
			if tt.body != "" {
				checkResponse(t, w, tt.status, tt.body)
			} else if w.Code != tt.status {
				t.Errorf("status = %d, want %d: %s", w.Code, tt.status, w.Body)
			}
		})
	}
}

func TestUserInfoLiveUnconfigured(t *testing.T) {
	f := newFixture(t)
	f.streams.StreamURLsFn = func(examID, roomID, userID string, now time.Time) (examhall.StreamURLs, error) {
		return examhall.StreamURLs{}, examhall.Errorf(examhall.EUNAVAILABLE, "live streaming is not configured: set EXAMHALL_LIVE_PUSH_DOMAIN")
	}
	w := f.do("GET", "/exam/userInfo?roomId="+roomR+"&userId=examinee1", "tok-examinee", "")
	checkResponse(t, w, 503, `{"success":false,"errorCode":"unavailable","errorMsg":"live streaming is not configured: set EXAMHALL_LIVE_PUSH_DOMAIN","data":null}`)
}

func TestUserList(t *testing.T) {
	f := newFixture(t)
	f.rooms.members[roomR][0].UserStatus = examhall.UserPublishing
	w := f.do("GET", "/exam/userList?roomId="+roomR+"&ts=2", "tok-admin", "")
	// Examinees only: teacher2 is on the roster as an invigilator.
	checkResponse(t, w, 200, ok(`[`+userJSON(roomR, exam1, "examinee1", "Examinee One", 1)+`]`))
	if f.rooms.findMembersCalls != 1 || f.rooms.findMemberCalls != 0 {
		t.Errorf("roster queries: FindMembers %d, FindMember %d; want one FindMembers only", f.rooms.findMembersCalls, f.rooms.findMemberCalls)
	}

	// An empty roster is an empty list, not null.
	f.rooms.members[roomR2] = nil
	checkResponse(t, f.do("GET", "/exam/userList?roomId="+roomR2, "tok-otherinv", ""), 200, ok(`[]`))
}

func TestGetIMToken(t *testing.T) {
	f := newFixture(t)
	w := f.do("POST", "/exam/v2/getIMToken", "tok-admin", seedGetIMToken)
	checkResponse(t, w, 200, ok(`{"aliyunNewIm":{"appId":"0c826fdeb1c5","appSign":"sign","appToken":"apptoken",
		"auth":{"userId":"123456****","nonce":"nonce","timestamp":1702371472,"role":""}}}`))
	want := []examhall.IMTokenRequest{{UserID: "123456****", DeviceID: "fwfwqeqeq****", DeviceType: "web", Servers: []examhall.IMServer{examhall.IMAliyunNew}}}
	if diff := cmp.Diff(want, f.imReqs); diff != "" {
		t.Errorf("IM request (-want +got):\n%s", diff)
	}

	// What the web client sends: its own user, its room, every server, role.
	f = newFixture(t)
	w = f.do("POST", "/exam/v2/getIMToken", "tok-creator",
		`{"roomId":"`+roomR+`","deviceId":"art-1","deviceType":"web","userId":"teacher1","imServer":["aliyun_old","aliyun_new","rong_cloud"],"role":"admin"}`)
	checkResponse(t, w, 200, ok(`{"aliyunOldIm":{"accessToken":"old-access","refreshToken":"old-refresh"},
		"aliyunNewIm":{"appId":"0c826fdeb1c5","appSign":"sign","appToken":"apptoken","auth":{"userId":"teacher1","nonce":"nonce","timestamp":1702371472,"role":"admin"}},
		"rongToken":"rong"}`))
}

func TestGetIMTokenLegacy(t *testing.T) {
	f := newFixture(t)
	w := f.do("POST", "/exam/getIMToken", "tok-examinee", `{"userId":"examinee1","deviceId":"d1","deviceType":"web"}`)
	checkResponse(t, w, 200, ok(`{"accessToken":"old-access","refreshToken":"old-refresh"}`))
	if len(f.imReqs) != 1 || !cmp.Equal(f.imReqs[0].Servers, []examhall.IMServer{examhall.IMAliyunOld}) {
		t.Errorf("IM requests = %+v, want one for aliyun_old", f.imReqs)
	}
	w = f.do("POST", "/exam/getIMToken", "tok-examinee", `{"userId":"examinee1"}`)
	checkResponse(t, w, 400, `{"success":false,"errorCode":"invalid","errorMsg":"deviceId and deviceType are required for aliyun_old","data":null}`)
}

func TestGetOssConfig(t *testing.T) {
	f := newFixture(t)
	w := f.do("GET", "/exam/getOssConfig?examId=exam1&ts=3", "tok-examinee", "")
	// The credentials are for the caller's prefix; OSS is the default mode.
	// Issue 14 A3: the OSS credentials name the caller's room, whose stream
	// name the client's keys carry.
	checkResponse(t, w, 200, ok(`{"region":"oss-cn-hangzhou","accessKeyId":"STS.id","accessKeySecret":"secret",
		"stsToken":"sts-exam1-examinee1-OSS-`+roomR+`","bucket":"bucket","expiration":"2023-12-12T16:59:12+08:00"}`))
	w = f.do("GET", "/exam/getOssConfig?examId=exam1&mode=VOD", "tok-examinee", "")
	if e := mustEnvelope(t, w); !strings.Contains(w.Body.String(), "sts-exam1-examinee1-VOD-") {
		t.Errorf("VOD mode not passed on: %+v", e)
	}
}

func TestSelectAudio(t *testing.T) {
	var got []examhall.AudioFilter
	f := newFixture(t)
	find := f.audio.FindAudiosFn
	f.audio.FindAudiosFn = func(ctx context.Context, filter examhall.AudioFilter) ([]*examhall.Audio, int, error) {
		got = append(got, filter)
		return find(ctx, filter)
	}
	w := f.do("POST", "/exam/selectAudio", "tok-creator", seedSelectAudio)
	checkResponse(t, w, 200, ok(`{"pageNum":1,"pageSize":10,"total":14,
		"list":[{"id":"a1","classify":2,"name":"Opening","url":"https://cdn/a1.mp3","ossUrl":"oss://a1.mp3"}]}`))
	f.do("POST", "/exam/selectAudio", "tok-creator", `{"pageSize":20,"pageNum":3,"name":"Open"}`)
	f.do("POST", "/exam/selectAudio", "tok-creator", `{"classify":null}`)
	zero := 0
	want := []examhall.AudioFilter{
		{Classify: &zero, Offset: 0, Limit: 10},
		{Name: "Open", Offset: 40, Limit: 20},
		{Offset: 0, Limit: 10},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("filters (-want +got):\n%s", diff)
	}
}

func TestUpdateRoomAudioStatus(t *testing.T) {
	tests := []struct {
		name, target, body, contentType string
	}{
		{"JSON body", "/exam/updateRoomAudioStatus", `{"id":"` + roomR + `","audioStatus":1}`, ""},
		{"JSON body, string status", "/exam/updateRoomAudioStatus", `{"id":"` + roomR + `","audioStatus":"1"}`, ""},
		{"query", "/exam/updateRoomAudioStatus?id=" + roomR + "&audioStatus=1", "", ""},
		{"form", "/exam/updateRoomAudioStatus", "id=" + roomR + "&audioStatus=1", "Content-Type: application/x-www-form-urlencoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			var hdr []string
			if tt.contentType != "" {
				hdr = append(hdr, tt.contentType)
			}
			w := f.do("POST", tt.target, "tok-rosterinv", tt.body, hdr...)
			checkResponse(t, w, 200, ok(`true`))
			one := 1
			want := []call{{"UpdateRoom", []any{roomR, examhall.RoomUpdate{AudioStatus: &one}}}}
			if diff := cmp.Diff(want, f.writes); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
		})
	}

	// An ended room cannot broadcast; it may still be silenced.
	f := newFixture(t)
	f.rooms.rooms[roomR].Status = examhall.RoomEnded
	w := f.do("POST", "/exam/updateRoomAudioStatus", "tok-admin", `{"id":"`+roomR+`","audioStatus":1}`)
	if w.Code != http.StatusConflict || len(f.writes) != 0 {
		t.Errorf("broadcast in ended room: status %d, writes %v; want 409 and none", w.Code, f.writeNames())
	}
	w = f.do("POST", "/exam/updateRoomAudioStatus", "tok-admin", `{"id":"`+roomR+`","audioStatus":0}`)
	checkResponse(t, w, 200, ok(`true`))
}

func TestCheatConfig(t *testing.T) {
	f := newFixture(t)
	// The seed's exam 11111111111 does not exist here: an admin may set it
	// (the store refuses unknown exams); reading it is a 404.
	checkResponse(t, f.do("POST", "/exam/cheat/setCheatConfig", "tok-admin", seedSetCheatConfig), 200, ok(`true`))
	want := []call{{"SetCheatConfig", []any{examhall.CheatConfig{ExamID: "11111111111", Data: "{xxxx}", Creator: "admin"}}}}
	if diff := cmp.Diff(want, f.writes); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	w := f.do("POST", "/exam/cheat/getCheatConfig", "tok-admin", seedGetCheatConfig)
	if mustEnvelope(t, w); w.Code != 404 {
		t.Errorf("unknown exam: status %d, want 404", w.Code)
	}

	w = f.do("POST", "/exam/cheat/getCheatConfig", "tok-examinee", `{"examId":"exam1"}`)
	checkResponse(t, w, 200, ok(`{"examId":"exam1","data":"{\"pc\":{\"manyPeople\":true}}","creator":"","createdAt":"2023-12-12T15:59:12+08:00","updatedAt":"2023-12-12T15:59:12+08:00"}`))
	// An exam without a config: success, null data.
	w = f.do("POST", "/exam/cheat/getCheatConfig", "tok-otherexam", `{"examId":"exam2"}`)
	checkResponse(t, w, 200, ok(`null`))
}

func TestAddCheatRecord(t *testing.T) {
	f := newFixture(t)
	w := f.do("POST", "/exam/cheat/addCheatRecord", "tok-userewexx", seedAddCheatRecord)
	checkResponse(t, w, 200, ok(`true`))
	want := []call{{"CreateCheatRecords", []any{[]examhall.CheatRecord{
		{ExamID: "333333", RoomID: "roomIdtest", UserID: "userewexx", DetectType: "11", IsMainMonitor: true, DetectTime: 232323, ExtraInfo: "{222}2"},
		{ExamID: "333333", RoomID: "roomIdtest", UserID: "userewexx", DetectType: "12", IsMainMonitor: true, DetectTime: 232324, ExtraInfo: "{222}2"},
	}}}}
	if diff := cmp.Diff(want, f.writes); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

func TestAddCheatRecordWho(t *testing.T) {
	rec := func(user string) string {
		return `{\"detectTime\":1,\"detectType\":\"11\",\"userId\":\"` + user + `\",\"extraInfo\":{\"message\":\"left\"}}`
	}
	tests := []struct {
		name, token, users string
		status             int
	}{
		{"examinee about self", "tok-examinee", rec("examinee1"), 200},
		{"examinee about another", "tok-examinee", rec("examinee1") + "," + rec("teacher2"), 403},
		{"manager about examinee", "tok-rosterinv", rec("examinee1"), 200},
		{"manager about self", "tok-rosterinv", rec("teacher2"), 200},
		{"manager about invigilator", "tok-creator", rec("teacher2"), 400},
		{"manager about stranger", "tok-admin", rec("examinee2"), 400},
		{"wrong exam", "tok-examinee", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			exam := exam1
			if tt.users == "" {
				exam, tt.users = exam2, rec("examinee1")
			}
			w := f.do("POST", "/exam/cheat/addCheatRecord", tt.token, `{"examId":"`+exam+`","roomId":"`+roomR+`","data":"[`+tt.users+`]"}`)
			mustEnvelope(t, w)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if n := len(f.writes); (tt.status == 200) != (n == 1) {
				t.Errorf("writes = %v", f.writeNames())
			}
		})
	}
}

func TestListCheatRecord(t *testing.T) {
	f := newFixture(t)
	var filters []examhall.CheatRecordFilter
	// The seed's answer: ids, types, and created times of its eight records.
	seed := []struct {
		id      int64
		typ     string
		created string
	}{
		{16666, "12", "2024-03-18T17:00:53+08:00"}, {16665, "11", "2024-03-18T17:00:53+08:00"},
		{8346, "12", "2023-11-14T15:55:25+08:00"}, {8345, "11", "2023-11-14T15:55:25+08:00"},
		{8342, "12", "2023-11-14T15:46:48+08:00"}, {8341, "11", "2023-11-14T15:46:44+08:00"},
		{8340, "12", "2023-11-14T15:45:40+08:00"}, {8339, "11", "2023-11-14T15:45:40+08:00"},
	}
	var records []*examhall.CheatRecord
	var entities []string
	for _, s := range seed {
		created, _ := time.Parse(time.RFC3339, s.created)
		records = append(records, &examhall.CheatRecord{ID: s.id, ExamID: "333333", RoomID: "roomIdtest", UserID: "userewexx",
			DetectType: s.typ, IsMainMonitor: true, DetectTime: 232323, ExtraInfo: "{222}2", CreatedAt: created.UTC(), UpdatedAt: created.UTC()})
		entities = append(entities, fmt.Sprintf(`{"id":%d,"examId":"333333","roomId":"roomIdtest","userId":"userewexx","detectType":%q,
			"isMainMonitor":"true","detectTime":"1970-01-01T08:03:52+08:00","extraInfo":"{222}2","createdAt":%q,"updatedAt":%[3]q}`, s.id, s.typ, s.created))
	}
	more := true
	f.cheat.FindCheatRecordsFn = func(ctx context.Context, filter examhall.CheatRecordFilter) ([]*examhall.CheatRecord, bool, error) {
		filters = append(filters, filter)
		return records, more, nil
	}
	w := f.do("POST", "/exam/cheat/listCheatRecord", "tok-creator", seedListCheat)
	checkResponse(t, w, 200, ok(`{"cheatRecordEntitys":[`+strings.Join(entities, ",")+`],"scrollToken":"8339"}`))

	// The last page has no scrollToken key; pageSize and scrollToken as strings.
	more = false
	w = f.do("POST", "/exam/cheat/listCheatRecord", "tok-creator", `{"roomId":"roomIdtest","pageSize":"20","scrollToken":"8339"}`)
	checkResponse(t, w, 200, ok(`{"cheatRecordEntitys":[`+strings.Join(entities, ",")+`]}`))

	// Without a room: admins, by exam; an empty page is an empty list.
	records = nil
	w = f.do("POST", "/exam/cheat/listCheatRecord", "tok-admin", `{"examId":"333333"}`)
	checkResponse(t, w, 200, ok(`{"cheatRecordEntitys":[]}`))

	want := []examhall.CheatRecordFilter{
		{ExamID: "333333", RoomID: "roomIdtest", Limit: 10},
		{ExamID: "333333", RoomID: "roomIdtest", BeforeID: 8339, Limit: 20},
		{ExamID: "333333", Limit: 10},
	}
	if diff := cmp.Diff(want, filters); diff != "" {
		t.Errorf("filters (-want +got):\n%s", diff)
	}
}

func TestEndRoom(t *testing.T) {
	for _, tt := range []struct{ method, target, body string }{
		{"GET", "/exam/endRoom?roomId=" + roomR + "&ts=4", ""},
		{"POST", "/exam/endRoom?roomId=" + roomR, ""},
		{"POST", "/exam/endRoom", `{"roomId":"` + roomR + `"}`},
	} {
		t.Run(tt.method+" "+tt.target+tt.body, func(t *testing.T) {
			f := newFixture(t)
			f.rooms.rooms[roomR].AudioStatus = examhall.AudioBroadcasting
			checkResponse(t, f.do(tt.method, tt.target, "tok-creator", tt.body), 200, ok(`true`))
			ended, silent := 1, 0
			want := []call{{"UpdateRoom", []any{roomR, examhall.RoomUpdate{Status: &ended, AudioStatus: &silent}}}}
			if diff := cmp.Diff(want, f.writes); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeVerifier records its arguments and fails when err is set.
type fakeVerifier struct {
	err  error
	args []string
}

func (v *fakeVerifier) VerifyCallback(host, timestamp, signature string, now time.Time) error {
	v.args = []string{host, timestamp, signature, now.Format(time.RFC3339)}
	return v.err
}

func TestUserAct(t *testing.T) {
	stream := exam1 + "-" + roomR + "-examinee1"
	tests := []struct {
		name, method, target, body string
		hdr                        []string
		status                     int
		writes                     []call
	}{
		{"publish by query", "GET", "/exam/userAct?action=publish&ip=1.2.3.4&id=" + stream + "&app=push&appname=exam&time=1702371472&usrargs=a%3Db&node=cdn", "", nil,
			200, []call{{"SetUserStatus", []any{roomR, "examinee1", 1}}}},
		{"publish_done by JSON, PC camera", "POST", "/exam/userAct", `{"action":"publish_done","id":"` + stream + `_pc","time":1702371472,"app":"push"}`, nil,
			200, []call{{"SetUserStatus", []any{roomR, "examinee1", 0}}}},
		{"publish by form", "POST", "/exam/userAct", "action=publish&id=" + stream, []string{"Content-Type: application/x-www-form-urlencoded"},
			200, []call{{"SetUserStatus", []any{roomR, "examinee1", 1}}}},
		{"other action ignored", "GET", "/exam/userAct?action=record_done&id=whatever", "", nil, 200, nil},
		{"bad stream name", "GET", "/exam/userAct?action=publish&id=nodashes", "", nil, 400, nil},
		{"unknown room", "GET", "/exam/userAct?action=publish&id=exam1-nosuchroom-examinee1", "", nil, 404, nil},
		{"room of another exam", "GET", "/exam/userAct?action=publish&id=exam2-" + roomR + "-examinee1", "", nil, 404, nil},
		{"user off roster", "GET", "/exam/userAct?action=publish&id=exam1-" + roomR + "-examinee2", "", nil, 404,
			[]call{{"SetUserStatus", []any{roomR, "examinee2", 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			w := f.do(tt.method, tt.target, "", tt.body, tt.hdr...)
			mustEnvelope(t, w)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if diff := cmp.Diff(tt.writes, f.writes); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUserActSignature(t *testing.T) {
	target := "/exam/userAct?action=publish&id=" + exam1 + "-" + roomR + "-examinee1"
	sig := []string{"ALI-LIVE-TIMESTAMP: 1702371552", "ALI-LIVE-SIGNATURE: abc"}

	f := newFixture(t)
	v := &fakeVerifier{}
	f.srv.Callback = v
	checkResponse(t, f.do("GET", target, "", "", sig...), 200, ok(`true`))
	if diff := cmp.Diff([]string{"example.com", "1702371552", "abc", "2023-12-12T15:59:12+08:00"}, v.args); diff != "" {
		t.Errorf("verifier args (-want +got):\n%s", diff)
	}

	f = newFixture(t)
	f.srv.Callback = &fakeVerifier{err: examhall.Errorf(examhall.EUNAUTHORIZED, "bad signature")}
	checkResponse(t, f.do("GET", target, "", "", sig...), 401,
		`{"success":false,"errorCode":"unauthorized","errorMsg":"callback signature rejected: bad signature","data":null}`)
	f.srv.Callback = &fakeVerifier{err: errors.New("boom")}
	if w := f.do("GET", target, "", ""); w.Code != 401 {
		t.Errorf("plain verifier error: status %d, want 401", w.Code)
	}
	if len(f.writes) != 0 {
		t.Errorf("writes = %v, want none", f.writeNames())
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/exam/login", "/login"} {
		w := f.do("POST", path, "", `{"username":"teacher1","password":"secret"}`)
		checkResponse(t, w, 200, ok(`{"token":"tok-creator","expire":"2023-12-12T17:59:12+08:00"}`))
	}
	w := f.do("POST", "/exam/login", "", `{"username":"teacher1","password":"wrong"}`)
	checkResponse(t, w, 401, `{"success":false,"errorCode":"unauthorized","errorMsg":"wrong account or password","data":null}`)
}

func TestEnvelopeEdges(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, target, token string
		status                      int
		body                        string
	}{
		{"unknown path", "GET", "/exam/nope", "tok-admin", 404,
			`{"success":false,"errorCode":"not_found","errorMsg":"unknown endpoint /exam/nope","data":null}`},
		{"wrong method", "DELETE", "/exam/roomInfo?roomId=x", "tok-admin", 405,
			`{"success":false,"errorCode":"invalid","errorMsg":"method DELETE is not allowed on /exam/roomInfo; use GET, HEAD","data":null}`},
		{"no token", "GET", "/exam/roomInfo?roomId=" + roomR, "", 401,
			`{"success":false,"errorCode":"unauthorized","errorMsg":"authentication required: send the token in the authorization header","data":null}`},
		{"bad token", "GET", "/exam/roomInfo?roomId=" + roomR, "garbage", 401,
			`{"success":false,"errorCode":"unauthorized","errorMsg":"invalid token","data":null}`},
		{"Bearer token", "GET", "/exam/roomInfo?roomId=" + roomR2, "Bearer tok-otherinv", 200, ""},
		{"bearer token", "GET", "/exam/roomInfo?roomId=" + roomR2, "bearer tok-otherinv", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(tt.method, tt.target, tt.token, "")
			mustEnvelope(t, w)
			if tt.body != "" {
				checkResponse(t, w, tt.status, tt.body)
			} else if w.Code != tt.status {
				t.Errorf("status = %d, want %d: %s", w.Code, tt.status, w.Body)
			}
		})
	}
	if w := f.do("PUT", "/exam/endRoom", "tok-admin", ""); w.Header().Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("Allow = %q", w.Header().Get("Allow"))
	}
}

func TestPanicAndInternalErrors(t *testing.T) {
	f := newFixture(t)
	f.exams.FindExamByIDFn = nil // the mock panics when called
	checkResponse(t, f.do("GET", "/exam/examInfo?examId=exam1", "tok-admin", ""), 500,
		`{"success":false,"errorCode":"internal","errorMsg":"internal error","data":null}`)

	f = newFixture(t)
	f.audio.FindBroadcastsFn = func(ctx context.Context, examID string) ([]*examhall.Broadcast, error) {
		return nil, errors.New("driver: connection reset by 10.0.0.7")
	}
	checkResponse(t, f.do("GET", "/exam/examInfo?examId=exam1", "tok-admin", ""), 500,
		`{"success":false,"errorCode":"internal","errorMsg":"internal error","data":null}`)
}
