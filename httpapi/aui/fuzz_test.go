package aui

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"examhall"
)

// clientError reports whether err is one a bad request may cause.
func clientError(err error) bool {
	switch examhall.ErrorCode(err) {
	case examhall.EINVALID, examhall.ETOOLARGE:
		return true
	}
	return false
}

// FuzzParseCheatRecords checks the cheat-record parser never panics, fails
// only with client errors, and returns only records within the limits.
func FuzzParseCheatRecords(f *testing.F) {
	for _, s := range []string{
		seedCheatData,
		`[{"isMainMonitor":false,"userId":"u","detectTime":1710752213000,"detectType":"manyPeople","extraInfo":{"message":"两人"}}]`,
		`[]`, `null`, `{}`, `[{}]`, `[1]`, `[{"detectTime":1e400}]`, `[{"detectTime":-0}]`, `"x"`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		records, err := ParseCheatRecords(data)
		if err != nil {
			if !clientError(err) {
				t.Fatalf("error %v is not a client error", err)
			}
			return
		}
		if len(records) == 0 || len(records) > examhall.MaxCheatBatch {
			t.Fatalf("%d records accepted", len(records))
		}
		for i, r := range records {
			if r.UserID == "" || r.DetectType == "" ||
				utf8.RuneCountInString(r.UserID) > examhall.MaxIDLen || utf8.RuneCountInString(r.DetectType) > examhall.MaxIDLen ||
				r.DetectTime < 0 || r.DetectTime > maxDetectTime || len(r.ExtraInfo) > examhall.MaxTextLen {
				t.Fatalf("record %d out of limits: %+v", i, r)
			}
		}
	})
}

// decoders are the JSON request bodies, each as a fresh value.
var decoders = []func() request{
	func() request { return new(loginRequest) },
	func() request { return new(createRoomRequest) },
	func() request { return new(legacyCreateRoomRequest) },
	func() request { return new(imTokenRequest) },
	func() request { return new(legacyIMTokenRequest) },
	func() request { return new(selectAudioRequest) },
	func() request { return new(setCheatConfigRequest) },
	func() request { return new(examIDRequest) },
	func() request { return new(addCheatRecordRequest) },
	func() request { return new(listCheatRecordRequest) },
}

// FuzzDecodeRequests feeds one body to every request decoder: none may
// panic or fail with anything but a client error, and what passes validation
// must hold the validated invariants.
func FuzzDecodeRequests(f *testing.F) {
	for _, s := range []string{
		seedCreateRoom, seedGetIMToken, seedSelectAudio, seedSetCheatConfig, seedGetCheatConfig, seedAddCheatRecord, seedListCheat,
		`{"username":"teacher1","password":"secret"}`,
		`{"examId":"333333","roomId":"roomIdtest","pageSize":"10","scrollToken":"8339"}`,
		`{"pageSize":true}`, `[]`, `null`, `{"name":"a","imServer":null}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, newReq := range decoders {
			req := newReq()
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			err := decode(httptest.NewRecorder(), r, req)
			if err != nil {
				if !clientError(err) {
					t.Fatalf("%T: error %v is not a client error", req, err)
				}
				continue
			}
			switch q := req.(type) {
			case *selectAudioRequest:
				if q.PageSize < 1 || q.PageSize > maxAudioPageSize || q.PageNum < 1 || q.PageNum > maxPageNum {
					t.Fatalf("selectAudio accepted %+v", q)
				}
			case *listCheatRecordRequest:
				if q.pageSize < 1 || q.pageSize > examhall.MaxCheatPageSize || q.beforeID < 0 || (q.RoomID == "" && q.ExamID == "") {
					t.Fatalf("listCheatRecord accepted %+v", q)
				}
			case *addCheatRecordRequest:
				if len(q.records) == 0 || len(q.records) > examhall.MaxCheatBatch {
					t.Fatalf("addCheatRecord accepted %d records", len(q.records))
				}
			case *createRoomRequest:
				if len(q.servers) == 0 || examhall.ValidateRoomName(q.Name) != nil {
					t.Fatalf("createRoom accepted %+v", q)
				}
			case *imTokenRequest:
				if len(q.servers) == 0 || q.UserID == "" {
					t.Fatalf("getIMToken accepted %+v", q)
				}
			}
		}
	})
}

// FuzzDecodeParams checks the query/form/JSON parameter reader behind
// updateRoomAudioStatus, endRoom and userAct.
func FuzzDecodeParams(f *testing.F) {
	f.Add("id="+roomR+"&audioStatus=1", "", "")
	f.Add("ts=1", "application/json", `{"id":"`+roomR+`","audioStatus":1}`)
	f.Add("", "application/x-www-form-urlencoded", "action=publish&id=exam1-"+roomR+"-examinee1")
	f.Add("action=publish", "application/json", `{"id":"exam1-`+roomR+`-examinee1","time":1702371472,"usrargs":{"a":1}}`)
	f.Add("", "", `[1]`)
	f.Fuzz(func(t *testing.T, query, contentType, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", contentType)
		p, err := params(httptest.NewRecorder(), r)
		if err != nil {
			if !clientError(err) {
				t.Fatalf("params: error %v is not a client error", err)
			}
			return
		}
		if id, status, err := parseAudioStatus(p); err == nil && (id == "" || (status != 0 && status != 1)) {
			t.Fatalf("parseAudioStatus accepted %q %d", id, status)
		}
		_, _, _, _ = examhall.ParseStreamName(p.Get("id"))
	})
}

// fuzzRoutes are the endpoints FuzzHandler drives.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/exam/login"}, {"POST", "/exam/v2/createRoom"}, {"POST", "/exam/createRoom"},
	{"GET", "/exam/roomInfo"}, {"GET", "/exam/examInfo"}, {"GET", "/exam/userInfo"}, {"GET", "/exam/userList"},
	{"POST", "/exam/v2/getIMToken"}, {"POST", "/exam/getIMToken"}, {"GET", "/exam/getOssConfig"},
	{"POST", "/exam/selectAudio"}, {"POST", "/exam/updateRoomAudioStatus"}, {"GET", "/exam/endRoom"},
	{"POST", "/exam/cheat/setCheatConfig"}, {"POST", "/exam/cheat/getCheatConfig"},
	{"POST", "/exam/cheat/addCheatRecord"}, {"POST", "/exam/cheat/listCheatRecord"},
	{"GET", "/exam/userAct"}, {"POST", "/exam/userAct"}, {"PATCH", "/exam/nope"},
}

// FuzzHandler sends arbitrary queries and bodies to every endpoint as every
// caller: the answer is always an envelope and never a 500.
func FuzzHandler(f *testing.F) {
	f.Add(uint8(1), uint8(0), "", []byte(seedCreateRoom))
	f.Add(uint8(3), uint8(4), "roomId="+roomR, []byte(nil))
	f.Add(uint8(5), uint8(2), "roomId="+roomR+"&userId=examinee1", []byte(nil))
	f.Add(uint8(15), uint8(7), "", []byte(cheatBody(escRecord)))
	f.Add(uint8(16), uint8(1), "", []byte(seedListCheat))
	f.Add(uint8(17), uint8(0), "action=publish&id=exam1-"+roomR+"-examinee1", []byte(nil))
	callers := sortedKeys(tokens)
	f.Fuzz(func(t *testing.T, route, who uint8, query string, body []byte) {
		fx := newFixture(t)
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		r := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/json")
		if i := int(who) % (len(callers) + 1); i < len(callers) {
			r.Header.Set("authorization", callers[i])
		}
		w := httptest.NewRecorder()
		fx.h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %s?%s: status %d: %s", rt.method, rt.path, query, w.Code, w.Body)
		}
		var e envelope
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatalf("answer is not an envelope: %s", w.Body)
		}
	})
}
