package aui

import (
	"testing"
)

// matrixCallers are the columns of the authorization matrix.
var matrixCallers = []struct{ name, token string }{
	{"admin", "tok-admin"},
	{"room creator", "tok-creator"},
	{"roster invigilator", "tok-rosterinv"},
	{"other invigilator", "tok-otherinv"},
	{"examinee on roster", "tok-examinee"},
	{"examinee of another room", "tok-otherexam"},
	{"join token for another room", "tok-bound"},
	{"no token", ""},
	{"bad token", "garbage"},
}

// TestAuthorizationMatrix runs every endpoint, on roomR / exam1 and about
// examinee1 where it takes them, as every kind of caller.
func TestAuthorizationMatrix(t *testing.T) {
	const (
		imBody    = `{"roomId":"` + roomR + `","deviceId":"d","deviceType":"web","userId":"examinee1","imServer":["aliyun_old"]}`
		cheatBody = `{"examId":"exam1","roomId":"` + roomR + `","data":"[{\"detectTime\":1,\"detectType\":\"11\",\"userId\":\"examinee1\"}]"}`
	)
	tests := []struct {
		name, method, target, body string
		want                       [9]int // in matrixCallers order
	}{
		{"v2/createRoom", "POST", "/exam/v2/createRoom", `{"name":"R","imServer":["aliyun_new"]}`,
			[9]int{200, 200, 200, 200, 403, 403, 403, 401, 401}},
		{"createRoom", "POST", "/exam/createRoom", `{"name":"R"}`,
			[9]int{200, 200, 200, 200, 403, 403, 403, 401, 401}},
		{"v2/createRoom in exam", "POST", "/exam/v2/createRoom", `{"name":"R","imServer":["aliyun_new"],"examId":"exam1"}`,
			[9]int{200, 200, 200, 403, 403, 403, 403, 401, 401}},
		{"roomInfo", "GET", "/exam/roomInfo?roomId=" + roomR, "",
			[9]int{200, 200, 200, 403, 200, 403, 403, 401, 401}},
		{"examInfo", "GET", "/exam/examInfo?examId=exam1", "",
			[9]int{200, 200, 200, 403, 200, 403, 403, 401, 401}},
		{"userInfo", "GET", "/exam/userInfo?roomId=" + roomR + "&userId=examinee1", "",
			[9]int{200, 200, 200, 403, 200, 403, 403, 401, 401}},
		{"userList", "GET", "/exam/userList?roomId=" + roomR, "",
			[9]int{200, 200, 200, 403, 403, 403, 403, 401, 401}},
		{"v2/getIMToken", "POST", "/exam/v2/getIMToken", imBody,
			[9]int{200, 403, 403, 403, 200, 403, 403, 401, 401}},
		{"getIMToken", "POST", "/exam/getIMToken", imBody,
			[9]int{200, 403, 403, 403, 200, 403, 403, 401, 401}},
		{"getOssConfig", "GET", "/exam/getOssConfig?examId=exam1", "",
			[9]int{200, 200, 200, 403, 200, 403, 403, 401, 401}},
		{"selectAudio", "POST", "/exam/selectAudio", `{}`,
			[9]int{200, 200, 200, 200, 403, 403, 200, 401, 401}},
		{"updateRoomAudioStatus", "POST", "/exam/updateRoomAudioStatus", `{"id":"` + roomR + `","audioStatus":1}`,
			[9]int{200, 200, 200, 403, 403, 403, 403, 401, 401}},
		{"endRoom", "GET", "/exam/endRoom?roomId=" + roomR, "",
			[9]int{200, 200, 200, 403, 403, 403, 403, 401, 401}},
		{"setCheatConfig", "POST", "/exam/cheat/setCheatConfig", `{"examId":"exam1","data":"{}"}`,
			[9]int{200, 200, 200, 403, 403, 403, 403, 401, 401}},
		{"getCheatConfig", "POST", "/exam/cheat/getCheatConfig", `{"examId":"exam1"}`,
			[9]int{200, 200, 200, 403, 200, 403, 403, 401, 401}},
		{"addCheatRecord", "POST", "/exam/cheat/addCheatRecord", cheatBody,
			[9]int{200, 200, 200, 403, 200, 403, 403, 401, 401}},
		{"listCheatRecord by room", "POST", "/exam/cheat/listCheatRecord", `{"roomId":"` + roomR + `"}`,
			[9]int{200, 200, 200, 403, 403, 403, 403, 401, 401}},
		{"listCheatRecord by exam", "POST", "/exam/cheat/listCheatRecord", `{"examId":"exam1"}`,
			[9]int{200, 403, 403, 403, 403, 403, 403, 401, 401}},
		// No user token: the CDN callback and login ignore the header.
		{"userAct", "GET", "/exam/userAct?action=publish&id=exam1-" + roomR + "-examinee1", "",
			[9]int{200, 200, 200, 200, 200, 200, 200, 200, 200}},
		{"login", "POST", "/exam/login", `{"username":"teacher1","password":"secret"}`,
			[9]int{200, 200, 200, 200, 200, 200, 200, 200, 200}},
	}
	for _, tt := range tests {
		for i, c := range matrixCallers {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				f := newFixture(t)
				w := f.do(tt.method, tt.target, c.token, tt.body)
				mustEnvelope(t, w)
				if w.Code != tt.want[i] {
					t.Errorf("status = %d, want %d: %s", w.Code, tt.want[i], w.Body)
				}
				if w.Code != 200 && len(f.writes) != 0 {
					t.Errorf("refused request wrote %v", f.writeNames())
				}
			})
		}
	}
}
