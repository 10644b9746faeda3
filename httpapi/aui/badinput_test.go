package aui

import (
	"strings"
	"testing"
)

// cheatBody builds an addCheatRecord body for roomR / exam1 around the
// (already JSON-escaped) records text.
func cheatBody(records string) string {
	return `{"examId":"exam1","roomId":"` + roomR + `","data":"` + records + `"}`
}

// escRecord is one valid record about examinee1, escaped for a JSON string.
const escRecord = `{\"detectTime\":1,\"detectType\":\"11\",\"userId\":\"examinee1\"}`

// TestBadInput sends malformed or out-of-range requests as an admin (so
// authorization never decides) and expects a 4xx envelope naming the problem
// and no write at all.
func TestBadInput(t *testing.T) {
	long := strings.Repeat("x", 65)
	huge := `{"name":"` + strings.Repeat("a", 1<<20) + `","imServer":["aliyun_new"]}`
	tests := []struct {
		name, method, target, body string
		status                     int
		msg                        string // a substring of errorMsg
	}{
		// Decoding, the same for every JSON endpoint.
		{"malformed JSON", "POST", "/exam/v2/createRoom", `{"name":`, 400, "malformed JSON"},
		{"empty body", "POST", "/exam/v2/createRoom", ``, 400, "empty"},
		{"not an object", "POST", "/exam/v2/createRoom", `[]`, 400, "must be"},
		{"two values", "POST", "/exam/v2/createRoom", `{"name":"a","imServer":["aliyun_new"]} {}`, 400, "single JSON value"},
		{"body over 1 MiB", "POST", "/exam/v2/createRoom", huge, 413, "larger than"},

		{"createRoom: name number", "POST", "/exam/v2/createRoom", `{"name":5,"imServer":["aliyun_new"]}`, 400, `"name" must be a string`},
		{"createRoom: no name", "POST", "/exam/v2/createRoom", `{"imServer":["aliyun_new"]}`, 400, "name is required"},
		{"createRoom: name 64 runes", "POST", "/exam/v2/createRoom", `{"name":"` + strings.Repeat("考", 64) + `","imServer":["aliyun_new"]}`, 400, "shorter than 64"},
		{"createRoom: unknown imServer", "POST", "/exam/v2/createRoom", `{"name":"a","imServer":["wechat"]}`, 400, `unknown imServer "wechat"`},
		{"createRoom: no imServer", "POST", "/exam/v2/createRoom", `{"name":"a"}`, 400, "imServer is required"},
		{"createRoom: imServer string", "POST", "/exam/v2/createRoom", `{"name":"a","imServer":"aliyun_new"}`, 400, `"imServer" must be an array`},
		{"createRoom legacy: unknown imServer", "POST", "/exam/createRoom", `{"name":"a","imServer":["x"]}`, 400, "unknown imServer"},
		{"createRoom: long examId", "POST", "/exam/v2/createRoom", `{"name":"a","imServer":["aliyun_new"],"examId":"` + long + `"}`, 400, "examId must be at most 64"},
		{"createRoom: unknown exam", "POST", "/exam/v2/createRoom", `{"name":"a","imServer":["aliyun_new"],"examId":"nope"}`, 404, "exam not found"},

		{"roomInfo: no roomId", "GET", "/exam/roomInfo?ts=1", "", 400, "roomId is required"},
		{"roomInfo: long roomId", "GET", "/exam/roomInfo?roomId=" + long, "", 400, "roomId must be at most 64"},
		{"roomInfo: unknown room", "GET", "/exam/roomInfo?roomId=nope", "", 404, "room not found"},
		{"examInfo: no examId", "GET", "/exam/examInfo", "", 400, "examId is required"},
		{"examInfo: unknown exam", "GET", "/exam/examInfo?examId=nope", "", 404, "exam not found"},
		{"userInfo: no userId", "GET", "/exam/userInfo?roomId=" + roomR, "", 400, "userId is required"},
		{"userInfo: no roomId", "GET", "/exam/userInfo?userId=examinee1", "", 400, "roomId is required"},
		{"userList: unknown room", "GET", "/exam/userList?roomId=nope", "", 404, "room not found"},

		{"getIMToken: unknown imServer", "POST", "/exam/v2/getIMToken", `{"userId":"admin","imServer":["aliyun_new","qq"]}`, 400, `unknown imServer "qq"`},
		{"getIMToken: empty imServer", "POST", "/exam/v2/getIMToken", `{"userId":"admin","imServer":[]}`, 400, "imServer is required"},
		{"getIMToken: no userId", "POST", "/exam/v2/getIMToken", `{"imServer":["aliyun_new"]}`, 400, "userId is required"},
		{"getIMToken: bad role", "POST", "/exam/v2/getIMToken", `{"userId":"admin","imServer":["aliyun_new"],"role":"root"}`, 400, "role must be"},
		{"getIMToken: long deviceId", "POST", "/exam/v2/getIMToken", `{"userId":"admin","imServer":["aliyun_new"],"deviceId":"` + long + `"}`, 400, "deviceId must be at most 64"},
		{"getIMToken: unknown room", "POST", "/exam/v2/getIMToken", `{"userId":"admin","roomId":"nope","imServer":["aliyun_new"]}`, 404, "room not found"},
		{"getIMToken legacy: no userId", "POST", "/exam/getIMToken", `{"deviceId":"d","deviceType":"web"}`, 400, "userId is required"},

		{"getOssConfig: bad mode", "GET", "/exam/getOssConfig?examId=exam1&mode=FTP", "", 400, "mode must be OSS or VOD"},
		{"getOssConfig: no examId", "GET", "/exam/getOssConfig?mode=OSS", "", 400, "examId is required"},

		{"selectAudio: classify string", "POST", "/exam/selectAudio", `{"classify":"2"}`, 400, `"classify" must be a whole number`},
		{"selectAudio: pageSize 101", "POST", "/exam/selectAudio", `{"pageSize":101}`, 400, "pageSize must be between 1 and 100"},
		{"selectAudio: pageSize negative", "POST", "/exam/selectAudio", `{"pageSize":-1}`, 400, "pageSize"},
		{"selectAudio: pageNum negative", "POST", "/exam/selectAudio", `{"pageNum":-1}`, 400, "pageNum"},
		{"selectAudio: pageNum huge", "POST", "/exam/selectAudio", `{"pageNum":9223372036854775807,"pageSize":100}`, 400, "pageNum"},
		{"selectAudio: pageNum fraction", "POST", "/exam/selectAudio", `{"pageNum":1.5}`, 400, `"pageNum" must be a whole number`},
		{"selectAudio: long name", "POST", "/exam/selectAudio", `{"name":"` + long + `"}`, 400, "name must be at most 64"},

		{"audioStatus: 2", "POST", "/exam/updateRoomAudioStatus", `{"id":"` + roomR + `","audioStatus":2}`, 400, "audioStatus must be 0 or 1"},
		{"audioStatus: word", "POST", "/exam/updateRoomAudioStatus", `{"id":"` + roomR + `","audioStatus":"on"}`, 400, "audioStatus must be 0 or 1"},
		{"audioStatus: missing", "POST", "/exam/updateRoomAudioStatus", `{"id":"` + roomR + `"}`, 400, "audioStatus is required"},
		{"audioStatus: no id", "POST", "/exam/updateRoomAudioStatus?audioStatus=1", "", 400, "id is required"},
		{"audioStatus: array body", "POST", "/exam/updateRoomAudioStatus", `[1]`, 400, "must be a JSON object"},
		{"audioStatus: malformed", "POST", "/exam/updateRoomAudioStatus", `{"id":`, 400, "malformed JSON"},
		{"audioStatus: unknown room", "POST", "/exam/updateRoomAudioStatus", `{"id":"nope","audioStatus":0}`, 404, "room not found"},
		{"endRoom: no roomId", "GET", "/exam/endRoom", "", 400, "roomId is required"},
		{"endRoom: unknown room", "POST", "/exam/endRoom", `{"roomId":"nope"}`, 404, "room not found"},

		{"setCheatConfig: no data", "POST", "/exam/cheat/setCheatConfig", `{"examId":"exam1"}`, 400, "data is required"},
		{"setCheatConfig: data object", "POST", "/exam/cheat/setCheatConfig", `{"examId":"exam1","data":{"pc":{}}}`, 400, `"data" must be a string`},
		{"setCheatConfig: data over 64 KiB", "POST", "/exam/cheat/setCheatConfig", `{"examId":"exam1","data":"` + strings.Repeat("x", 64<<10+1) + `"}`, 400, "at most 65536 bytes"},
		{"setCheatConfig: no examId", "POST", "/exam/cheat/setCheatConfig", `{"data":"{}"}`, 400, "examId is required"},
		// Issue 14 B6: what encoding/json would store as U+FFFD.
		{"setCheatConfig: data not UTF-8", "POST", "/exam/cheat/setCheatConfig", "{\"examId\":\"exam1\",\"data\":\"{\\\"a\\\":\\\"\xff\\\"}\"}", 400, "must be UTF-8"},
		{"setCheatConfig: lone surrogate", "POST", "/exam/cheat/setCheatConfig", `{"examId":"exam1","data":"{\"a\":\"\ud800\"}"}`, 400, "lone UTF-16 surrogate"},
		{"addCheatRecord: lone surrogate in data", "POST", "/exam/cheat/addCheatRecord", `{"examId":"exam1","roomId":"` + roomR + `","data":"[{\"userId\":\"examinee1\",\"detectType\":\"x\\udc00\",\"detectTime\":1}]"}`, 400, "lone UTF-16 surrogate"},
		{"getCheatConfig: examId number", "POST", "/exam/cheat/getCheatConfig", `{"examId":333333}`, 400, `"examId" must be a string`},
		{"getCheatConfig: no examId", "POST", "/exam/cheat/getCheatConfig", `{}`, 400, "examId is required"},

		{"addCheatRecord: data not JSON", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[{oops`), 400, "data is not a JSON array"},
		{"addCheatRecord: empty array", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[]`), 400, "no cheat records"},
		{"addCheatRecord: object", "POST", "/exam/cheat/addCheatRecord", cheatBody(escRecord), 400, "must be a JSON array of cheat records, not object"},
		{"addCheatRecord: data array", "POST", "/exam/cheat/addCheatRecord", `{"examId":"exam1","roomId":"` + roomR + `","data":[]}`, 400, `"data" must be a string`},
		{"addCheatRecord: no data", "POST", "/exam/cheat/addCheatRecord", `{"examId":"exam1","roomId":"` + roomR + `"}`, 400, "data is required"},
		{"addCheatRecord: no roomId", "POST", "/exam/cheat/addCheatRecord", `{"examId":"exam1","data":"[` + escRecord + `]"}`, 400, "roomId is required"},
		{"addCheatRecord: 1001 records", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[` + strings.Repeat(escRecord+",", 1000) + escRecord + `]`), 413, "at most 1000"},
		{"addCheatRecord: no detectType", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[` + escRecord + `,` + escRecord + `,` + escRecord + `,{\"detectTime\":1,\"userId\":\"examinee1\"}]`), 400, "record 3: detectType is required"},
		{"addCheatRecord: detectType number", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[{\"detectTime\":1,\"detectType\":11,\"userId\":\"examinee1\"}]`), 400, `record 0: field "detectType" must be a string`},
		{"addCheatRecord: negative time", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[{\"detectTime\":-1,\"detectType\":\"1\",\"userId\":\"examinee1\"}]`), 400, "record 0: detectTime must not be negative"},
		{"addCheatRecord: time string", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[{\"detectTime\":\"1\",\"detectType\":\"1\",\"userId\":\"examinee1\"}]`), 400, "record 0: detectTime must be a number"},
		{"addCheatRecord: extraInfo array", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[{\"detectTime\":1,\"detectType\":\"1\",\"userId\":\"examinee1\",\"extraInfo\":[1]}]`), 400, "extraInfo must be a string or an object"},
		{"addCheatRecord: long extraInfo", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[{\"detectTime\":1,\"detectType\":\"1\",\"userId\":\"examinee1\",\"extraInfo\":\"` + strings.Repeat("x", 8193) + `\"}]`), 400, "extraInfo must be at most 8192 bytes"},
		{"addCheatRecord: long userId", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[{\"detectTime\":1,\"detectType\":\"1\",\"userId\":\"` + long + `\"}]`), 400, "record 0: userId must be at most 64"},
		{"addCheatRecord: isMainMonitor string", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[{\"detectTime\":1,\"detectType\":\"1\",\"userId\":\"examinee1\",\"isMainMonitor\":\"true\"}]`), 400, `"isMainMonitor" must be a boolean`},
		{"addCheatRecord: wrong exam", "POST", "/exam/cheat/addCheatRecord", `{"examId":"exam2","roomId":"` + roomR + `","data":"[` + escRecord + `]"}`, 400, "is not the exam of room"},
		{"addCheatRecord: unknown room", "POST", "/exam/cheat/addCheatRecord", `{"examId":"exam1","roomId":"nope","data":"[` + escRecord + `]"}`, 404, "room not found"},
		{"addCheatRecord: body over 1 MiB", "POST", "/exam/cheat/addCheatRecord", cheatBody(`[` + strings.Repeat(" ", 1<<20) + escRecord + `]`), 413, "larger than"},

		{"listCheatRecord: scrollToken word", "POST", "/exam/cheat/listCheatRecord", `{"roomId":"` + roomR + `","scrollToken":"abc"}`, 400, `scrollToken must be a whole number, not "abc"`},
		{"listCheatRecord: scrollToken 0", "POST", "/exam/cheat/listCheatRecord", `{"roomId":"` + roomR + `","scrollToken":"0"}`, 400, "scrollToken must be a positive"},
		{"listCheatRecord: scrollToken negative", "POST", "/exam/cheat/listCheatRecord", `{"roomId":"` + roomR + `","scrollToken":-5}`, 400, "scrollToken must be a positive"},
		{"listCheatRecord: scrollToken bool", "POST", "/exam/cheat/listCheatRecord", `{"roomId":"` + roomR + `","scrollToken":true}`, 400, `"scrollToken" must be a whole number`},
		{"listCheatRecord: pageSize word", "POST", "/exam/cheat/listCheatRecord", `{"roomId":"` + roomR + `","pageSize":"ten"}`, 400, "pageSize must be a whole number"},
		{"listCheatRecord: pageSize 1001", "POST", "/exam/cheat/listCheatRecord", `{"roomId":"` + roomR + `","pageSize":1001}`, 400, "pageSize must be between 1 and 1000"},
		{"listCheatRecord: pageSize negative", "POST", "/exam/cheat/listCheatRecord", `{"roomId":"` + roomR + `","pageSize":"-1"}`, 400, "pageSize must be between"},
		{"listCheatRecord: pageSize object", "POST", "/exam/cheat/listCheatRecord", `{"roomId":"` + roomR + `","pageSize":{}}`, 400, `"pageSize" must be a whole number, not an object`},
		{"listCheatRecord: no ids", "POST", "/exam/cheat/listCheatRecord", `{"pageSize":10}`, 400, "roomId or examId is required"},
		{"listCheatRecord: wrong exam", "POST", "/exam/cheat/listCheatRecord", `{"roomId":"` + roomR + `","examId":"exam2"}`, 400, "is not the exam of room"},

		{"userAct: no stream", "GET", "/exam/userAct?action=publish", "", 400, "id is required"},
		{"userAct: array body", "POST", "/exam/userAct", `[]`, 400, "must be a JSON object"},
		{"login: no username", "POST", "/exam/login", `{"password":"x"}`, 400, "username is required"},
		{"login: password number", "POST", "/login", `{"username":"a","password":1}`, 400, `"password" must be a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			w := f.do(tt.method, tt.target, "tok-admin", tt.body)
			e := mustEnvelope(t, w)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d: %s", w.Code, tt.status, truncate(w.Body.String(), 300))
			}
			if !strings.Contains(e.ErrorMsg, tt.msg) {
				t.Errorf("errorMsg = %q, want it to contain %q", truncate(e.ErrorMsg, 300), tt.msg)
			}
			if len(f.writes) != 0 || len(f.imReqs) != 0 {
				t.Errorf("bad input reached services: writes %v, IM requests %d", f.writeNames(), len(f.imReqs))
			}
		})
	}
}

// TestExamineeAsksForAdminRole: the IM's admin role is for staff only.
func TestExamineeAsksForAdminRole(t *testing.T) {
	f := newFixture(t)
	w := f.do("POST", "/exam/v2/getIMToken", "tok-examinee", `{"userId":"examinee1","roomId":"`+roomR+`","imServer":["aliyun_new"],"role":"admin"}`)
	if mustEnvelope(t, w); w.Code != 403 || len(f.imReqs) != 0 {
		t.Errorf("status %d, IM requests %d; want 403 and none", w.Code, len(f.imReqs))
	}
}
