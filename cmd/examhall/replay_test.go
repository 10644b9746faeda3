package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"examhall"
	"examhall/im"
	"examhall/internal/aliyunrpc/aliyunrpctest"
	"examhall/live"
	"examhall/upload"
)

// TestAUIClientReplay replays, call by call, what the AUI Kits web clients
// (github.com/MediaBox-AUIKits/AUIExam, Web/) send at start-up, with their
// exact headers and bodies, and reads the answers as their code does
// (issue 14 A). The shapes are copied from:
//
//   - Web/exam-examinee/src/utils/services.ts: axios with baseURL
//     <origin><apiPrefixPath>, header "authorization: <token>" (raw),
//     "Content-Type: application/json", a "ts" query parameter on every GET,
//     success when res.data.success, the payload in res.data.data;
//   - Web/exam-examinee/src/pages/index.tsx and pages/pc/index.tsx, initPage:
//     roomInfo(roomId) → examInfo(roomInfo.examId) → userInfo(userId, roomId)
//     → userInfo(roomInfo.createTeacher, roomId), then joinGroup with
//     v2/getIMToken {roomId, deviceId: "art-<ms>", deviceType: "web", userId,
//     imServer: ["aliyun_new"]} where the PC page's userId is "pc_" + its id;
//   - Web/exam-examinee/src/core/MediaRecorder/index.ts: getOssConfig(examId,
//     CONFIG.localRecorder.mode) with mode OSS or VOD, and OSSUploader.ts,
//     which puts "<basePath><examId>-<roomId>-<userId>/<file>" with basePath
//     "/record/local/" by default (ali-oss drops the leading slash).
func TestAUIClientReplay(t *testing.T) {
	var policies []string
	sts := aliyunrpctest.NewServer(t, "LTAI-replay", "replay-secret", upload.STSAPIVersion, func(action string, p url.Values) (int, any) {
		policies = append(policies, p.Get("Policy"))
		return http.StatusOK, map[string]any{"RequestId": "r", "Credentials": map[string]string{
			"SecurityToken": "CAIS-token", "AccessKeyId": "STS.id", "AccessKeySecret": "sts-secret",
			"Expiration": time.Now().Add(15 * time.Minute).UTC().Format(time.RFC3339),
		}}
	})
	for _, format := range []string{"seed", "rfc3339"} {
		t.Run(format, func(t *testing.T) {
			m := mustOpenMainWith(t, func(c *Config) {
				c.ExamTimeFormat = format
				c.IM = im.Config{AliyunAppID: "app-id", AliyunAppKey: "app-key", AliyunAppSign: "app-sign"}
				c.Upload = upload.Config{RoleARN: "acs:ram::1:role/upload", Region: "oss-cn-shanghai", Bucket: "exam-bucket",
					STSURL: sts.URL, AccessKeyID: "LTAI-replay", AccessKeySecret: "replay-secret"}
			})
			res := seed(t, m)
			examinees, _ := joinLinks(t, res)
			var userID, token string
			for userID, token = range examinees {
				break
			}
			roomID := res.RoomID
			client := auiClient{t: t, m: m, token: token}

			// initPage, as both examinee pages run it.
			var room struct {
				ID, ExamID, CreateTeacher, ImGroupID, CreatedAt, UpdatedAt string
				Status                                                     int
			}
			client.get("roomInfo", url.Values{"roomId": {roomID}}, &room)
			if room.ID != roomID || room.ExamID != res.ExamID || room.CreateTeacher == "" || room.CreatedAt == "" || room.UpdatedAt == "" {
				t.Fatalf("roomInfo = %+v", room)
			}
			var exam struct {
				ID, Name, StartTime, EndTime, CreatedAt, UpdatedAt string
				RadioInfo                                          []struct{ StartTime string }
			}
			client.get("examInfo", url.Values{"examId": {room.ExamID}}, &exam)
			layout := "2006/01/02 15:04:05"
			if format == "rfc3339" {
				layout = time.RFC3339
			}
			if _, err := time.Parse(layout, exam.StartTime); err != nil {
				t.Errorf("examInfo startTime %q is not %s: %v", exam.StartTime, format, err)
			}
			if _, err := time.Parse(time.RFC3339, exam.CreatedAt); err != nil {
				t.Errorf("examInfo createdAt %q: %v", exam.CreatedAt, err)
			}
			if _, err := time.Parse(time.RFC3339, exam.UpdatedAt); err != nil {
				t.Errorf("examInfo updatedAt %q: %v", exam.UpdatedAt, err)
			}
			var self, teacher map[string]any
			client.get("userInfo", url.Values{"userId": {userID}, "roomId": {roomID}}, &self)
			if self["id"] != userID || self["rtcPushUrl"] == "" {
				t.Errorf("own userInfo = %v", self)
			}
			// A1: the invigilator's userInfo, with the examinee's token.
			client.get("userInfo", url.Values{"userId": {room.CreateTeacher}, "roomId": {roomID}}, &teacher)
			if teacher["id"] != room.CreateTeacher || !strings.HasPrefix(teacher["rtcPullUrl"].(string), "artc://") {
				t.Errorf("invigilator's userInfo = %v, want its pull URLs", teacher)
			}
			if teacher["rtcPushUrl"] != "" || teacher["pcRtcPushUrl"] != "" {
				t.Errorf("invigilator's push URLs given to an examinee: %v", teacher)
			}

			// A2: joinGroup of both pages; the PC page asks as "pc_<id>".
			for _, imUser := range []string{userID, examhall.PCPrefix + userID} {
				var tokens struct {
					AliyunNewIm struct {
						AppID string `json:"appId"`
						Auth  struct{ UserID string }
					}
				}
				client.post("v2/getIMToken", map[string]any{"roomId": roomID, "deviceId": "art-" + strconv.FormatInt(time.Now().UnixMilli(), 10),
					"deviceType": "web", "userId": imUser, "imServer": []string{"aliyun_new"}}, &tokens)
				if tokens.AliyunNewIm.AppID != "app-id" || tokens.AliyunNewIm.Auth.UserID != imUser {
					t.Errorf("getIMToken for %s = %+v", imUser, tokens)
				}
			}
			// Another examinee's identity is still refused.
			if code, _ := call(t, m, "POST", "/exam/v2/getIMToken", token, map[string]any{"roomId": roomID, "deviceId": "d", "deviceType": "web",
				"userId": examhall.PCPrefix + "someone", "imServer": []string{"aliyun_new"}}); code != http.StatusForbidden {
				t.Errorf("getIMToken for pc_someone: %d, want 403", code)
			}

			// A3: the recorder's credentials, OSS scoped to the key the
			// client writes, and VOD.
			before := len(policies)
			var cred struct{ Region, AccessKeyID, AccessKeySecret, StsToken, Bucket, Expiration string }
			client.get("getOssConfig", url.Values{"examId": {exam.ID}, "mode": {"OSS"}}, &cred)
			if cred.StsToken != "CAIS-token" || cred.Bucket != "exam-bucket" || cred.Region != "oss-cn-shanghai" {
				t.Errorf("getOssConfig OSS = %+v", cred)
			}
			key := "record/local/" + exam.ID + "-" + roomID + "-" + userID + "/chunk-1.webm" // OSSUploader.ts
			if len(policies) != before+1 || !policyAllows(t, policies[before], "oss:PutObject", "acs:oss:*:*:exam-bucket/"+key) {
				t.Errorf("OSS policy %v does not allow putting %s", policies[before:], key)
			}
			if policyAllows(t, policies[before], "oss:PutObject", "acs:oss:*:*:exam-bucket/record/local/"+exam.ID+"-"+roomID+"-other/x.webm") {
				t.Errorf("OSS policy allows another examinee's prefix: %s", policies[before])
			}
			cred.Bucket = "unset"
			client.get("getOssConfig", url.Values{"examId": {exam.ID}, "mode": {"VOD"}}, &cred)
			if cred.StsToken != "CAIS-token" || cred.Bucket != "" {
				t.Errorf("getOssConfig VOD = %+v, want credentials and no bucket", cred)
			}
			if last := policies[len(policies)-1]; !policyAllows(t, last, "vod:CreateUploadVideo", "*") || policyAllows(t, last, "oss:PutObject", "*") {
				t.Errorf("VOD policy = %s", last)
			}

			// A4: getCheatConfig carries the creator (the invigilator page
			// sets it; the demo seeded one without).
			inv := bearerOf(t, m, res, examhall.RoleInvigilator)
			if code, _ := call(t, m, "POST", "/exam/cheat/setCheatConfig", inv, map[string]string{"examId": exam.ID, "data": `{"pc":{}}`}); code != 200 {
				t.Fatalf("setCheatConfig: %d", code)
			}
			var cfg struct{ ExamID, Data, Creator, CreatedAt, UpdatedAt string }
			client.post("cheat/getCheatConfig", map[string]string{"examId": exam.ID}, &cfg)
			if cfg.Creator != room.CreateTeacher || cfg.CreatedAt == "" || cfg.UpdatedAt == "" {
				t.Errorf("getCheatConfig = %+v, want creator %s", cfg, room.CreateTeacher)
			}

			// The invigilator app's start-up (Web/exam-invigilator/src/pages/index.tsx,
			// utils/services.ts): roomInfo, examInfo, userInfo of itself,
			// userList, then v2/getIMToken with role "admin"; it addresses PC
			// cameras as "pc_<id>" (components/GridContent/index.tsx).
			_, invToken := joinLinks(t, res)
			invClient := auiClient{t: t, m: m, token: invToken}
			invClient.get("roomInfo", url.Values{"roomId": {roomID}}, &room)
			invClient.get("examInfo", url.Values{"examId": {room.ExamID}}, &exam)
			var me map[string]any
			invClient.get("userInfo", url.Values{"userId": {room.CreateTeacher}, "roomId": {roomID}}, &me)
			if me["rtcPushUrl"] == "" {
				t.Errorf("invigilator's own userInfo lacks its push URL: %v", me)
			}
			var list []map[string]any
			invClient.get("userList", url.Values{"roomId": {roomID}}, &list)
			if len(list) != len(examinees) {
				t.Errorf("userList has %d examinees, want %d", len(list), len(examinees))
			}
			for _, imUser := range []string{room.CreateTeacher, examhall.PCPrefix + room.CreateTeacher} {
				var tokens struct {
					AliyunNewIm struct{ Auth struct{ UserID, Role string } }
				}
				invClient.post("v2/getIMToken", map[string]any{"roomId": roomID, "deviceId": "art-1702371472000", "deviceType": "web",
					"userId": imUser, "role": "admin", "imServer": []string{"aliyun_new"}}, &tokens)
				if tokens.AliyunNewIm.Auth.UserID != imUser || tokens.AliyunNewIm.Auth.Role != "admin" {
					t.Errorf("invigilator's getIMToken for %s = %+v", imUser, tokens)
				}
			}
		})
	}
}

// auiClient calls /exam/ as services.ts does.
type auiClient struct {
	t     *testing.T
	m     *Main
	token string
}

func (c auiClient) get(path string, q url.Values, data any) {
	c.t.Helper()
	q.Set("ts", strconv.FormatInt(time.Now().UnixMilli(), 10))
	c.do(httptest.NewRequest("GET", "/exam/"+path+"?"+q.Encode(), nil), data)
}

func (c auiClient) post(path string, body any, data any) {
	c.t.Helper()
	b, _ := json.Marshal(body)
	c.do(httptest.NewRequest("POST", "/exam/"+path, strings.NewReader(string(b))), data)
}

// do sends r and decodes the envelope's data into data, failing unless the
// client would take it as a success (HTTP 200 and success true).
func (c auiClient) do(r *http.Request, data any) {
	c.t.Helper()
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("authorization", c.token)
	w := httptest.NewRecorder()
	c.m.Handler.ServeHTTP(w, r)
	var env struct {
		Success   bool
		ErrorCode string
		ErrorMsg  string
		Data      json.RawMessage
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || w.Code != 200 || !env.Success {
		c.t.Fatalf("%s %s: %d %s", r.Method, r.URL, w.Code, w.Body)
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		c.t.Fatalf("%s %s: data %s: %v", r.Method, r.URL, env.Data, err)
	}
}

// policyAllows reports whether the STS session policy allows action on
// resource (OSS-style * wildcards at the end of a resource).
func policyAllows(t *testing.T, policy, action, resource string) bool {
	t.Helper()
	var p struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		t.Fatalf("policy %q: %v", policy, err)
	}
	for _, s := range p.Statement {
		if s.Effect != "Allow" || !contains(s.Action, action) {
			continue
		}
		for _, r := range s.Resource {
			if r == resource || strings.HasSuffix(r, "*") && strings.HasPrefix(resource, strings.TrimSuffix(r, "*")) {
				return true
			}
		}
	}
	return false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// mustOpenMainWith opens a Main as MustOpenMain does, with mod applied to
// its configuration first.
func mustOpenMainWith(tb testing.TB, mod func(c *Config)) *Main {
	tb.Helper()
	m := NewMain()
	m.Config.Data = tb.TempDir()
	m.Config.Live = live.Config{
		PushDomain: "push.example.com", PullDomain: "pull.example.com",
		PushAuthKey: "push-test-key", PullAuthKey: "pull-test-key",
	}
	mod(&m.Config)
	m.Log = slog.New(slog.DiscardHandler)
	if err := m.Open(context.Background()); err != nil {
		m.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}
