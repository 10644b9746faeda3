package upload_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"examhall"
	"examhall/internal/aliyunrpc"
	"examhall/internal/aliyunrpc/aliyunrpctest"
	"examhall/upload"

	"github.com/google/go-cmp/cmp"
)

const (
	akID     = "LTAI-upload-id"
	akSecret = "upload-secret-value"
	roleARN  = "acs:ram::1234567890123456:role/examhall-upload"
)

var fixedNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

type policy struct {
	Version   string
	Statement []struct {
		Effect   string
		Action   []string
		Resource []string
	}
}

// newSTS is a fake STS endpoint: it verifies the signature (aliyunrpctest),
// then checks AssumeRole's parameters and that the session policy allows
// exactly oss:PutObject on wantResource (a space-separated list), or with
// the resource "vod" exactly the VOD upload actions, before answering like
// the vendor.
func newSTS(t *testing.T, wantResource *string, wantDuration *string) *aliyunrpctest.Server {
	return aliyunrpctest.NewServer(t, akID, akSecret, upload.STSAPIVersion, func(action string, p url.Values) (int, any) {
		if action != "AssumeRole" {
			return aliyunrpctest.Err(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found.")
		}
		if p.Get("RoleArn") != roleARN {
			return aliyunrpctest.Err(http.StatusForbidden, "NoPermission", "You are not authorized to do this action.")
		}
		name := p.Get("RoleSessionName")
		if len(name) < 2 || len(name) > 64 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@-_") != "" {
			return aliyunrpctest.Err(http.StatusBadRequest, "InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed.")
		}
		if p.Get("DurationSeconds") != *wantDuration {
			t.Errorf("DurationSeconds = %q, want %q", p.Get("DurationSeconds"), *wantDuration)
		}
		var pol policy
		if err := json.Unmarshal([]byte(p.Get("Policy")), &pol); err != nil {
			return aliyunrpctest.Err(http.StatusBadRequest, "InvalidParameter.PolicyGrammar", "The parameter Policy has not passed grammar check.")
		}
		want := policy{Version: "1"}
		actions, resources := []string{"oss:PutObject"}, strings.Fields(*wantResource)
		if *wantResource == "vod" {
			actions, resources = []string{"vod:CreateUploadVideo", "vod:RefreshUploadVideo"}, []string{"*"}
		}
		want.Statement = append(want.Statement, struct {
			Effect   string
			Action   []string
			Resource []string
		}{"Allow", actions, resources})
		if diff := cmp.Diff(want, pol); diff != "" {
			t.Errorf("session policy (-want +got):\n%s", diff)
		}
		return http.StatusOK, map[string]any{
			"RequestId": "6894B13B-6D71-4EF5-88FA-F32781734A7F",
			"AssumedRoleUser": map[string]string{
				"Arn":           roleARN + "/" + name,
				"AssumedRoleId": "34458433936495****:" + name,
			},
			"Credentials": map[string]string{
				"SecurityToken":   "CAIS-security-token",
				"AccessKeyId":     "STS.NUgYrLnoC37mZZCNnAbez****",
				"AccessKeySecret": "CVwjCkNzTMupZ8NbTCxCBRq3K16jtcWFTJAyBEv2****",
				"Expiration":      "2024-05-06T07:23:09Z",
			},
		}
	})
}

func config(stsURL string) upload.Config {
	return upload.Config{
		RoleARN:         roleARN,
		Region:          "oss-cn-hangzhou",
		Bucket:          "exam-bucket",
		BasePath:        "recordings",
		STSURL:          stsURL,
		AccessKeyID:     akID,
		AccessKeySecret: akSecret,
	}
}

func newService(cfg upload.Config) *upload.Service {
	return upload.New(cfg, &http.Client{Timeout: 5 * time.Second}, func() time.Time { return fixedNow })
}

// ossReq is an OSS request of user_1 in exam_1, room r1.
func ossReq(mode string) examhall.UploadRequest {
	return examhall.UploadRequest{ExamID: "exam_1", UserID: "user_1", RoomIDs: []string{"r1"}, Mode: mode}
}

func TestUploadCredentials(t *testing.T) {
	var resource, duration string
	sts := newSTS(t, &resource, &duration)
	tests := []struct {
		name         string
		basePath     string
		duration     time.Duration
		req          examhall.UploadRequest
		wantResource string
		wantDuration string
		wantBucket   string
	}{
		// Issue 14 A3: the client writes <basePath><examId>-<roomId>-<userId>/<file>
		// (Web/exam-examinee/src/core/MediaRecorder/OSSUploader.ts, index.ts).
		{"default base path", "", 0, ossReq("OSS"), "acs:oss:*:*:exam-bucket/record/local/exam_1-r1-user_1/*", "900", "exam-bucket"},
		{"base path", "recordings", 0, ossReq("OSS"), "acs:oss:*:*:exam-bucket/recordings/exam_1-r1-user_1/*", "900", "exam-bucket"},
		{"base path with slashes", "/a/b/", time.Hour, ossReq(""), "acs:oss:*:*:exam-bucket/a/b/exam_1-r1-user_1/*", "3600", "exam-bucket"},
		{"root base path", "/", 24 * time.Hour, ossReq("oss"), "acs:oss:*:*:exam-bucket/exam_1-r1-user_1/*", "43200", "exam-bucket"},
		{"two rooms, UUIDs", "", 0, examhall.UploadRequest{ExamID: "exam_1", UserID: "user_1", RoomIDs: []string{"r1", "5869a6b8-5fc2-441f-900d-0f2a15e91419"}},
			"acs:oss:*:*:exam-bucket/record/local/exam_1-r1-user_1/* acs:oss:*:*:exam-bucket/record/local/exam_1-5869a6b8-5fc2-441f-900d-0f2a15e91419-user_1/*", "900", "exam-bucket"},
		{"VOD", "", 0, examhall.UploadRequest{ExamID: "exam_1", UserID: "user_1", Mode: "VOD"}, "vod", "900", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource, duration = tt.wantResource, tt.wantDuration
			cfg := config(sts.URL)
			cfg.BasePath = tt.basePath
			cfg.Duration = tt.duration
			before := len(sts.Requests())
			got, err := newService(cfg).UploadCredentials(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			want := &examhall.UploadCredentials{
				Region:          "oss-cn-hangzhou",
				AccessKeyID:     "STS.NUgYrLnoC37mZZCNnAbez****",
				AccessKeySecret: "CVwjCkNzTMupZ8NbTCxCBRq3K16jtcWFTJAyBEv2****",
				STSToken:        "CAIS-security-token",
				Bucket:          tt.wantBucket,
				Expiration:      time.Date(2024, 5, 6, 7, 23, 9, 0, time.UTC),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("UploadCredentials (-want +got):\n%s", diff)
			}
			reqs := sts.Requests()
			if len(reqs) != before+1 {
				t.Fatalf("STS got %d requests, want 1", len(reqs)-before)
			}
			p := reqs[len(reqs)-1]
			if got, want := p.Get("RoleSessionName"), "examhall-user_1"; got != want {
				t.Errorf("RoleSessionName = %q, want %q", got, want)
			}
			if got, want := p.Get("Timestamp"), "2024-05-06T07:08:09Z"; got != want {
				t.Errorf("Timestamp = %q, want %q", got, want)
			}
		})
	}
}

func TestPrefix(t *testing.T) {
	tests := []struct{ base, want string }{
		{"", "record/local/e1-r1-u1/"},
		{"/", "e1-r1-u1/"},
		{"rec", "rec/e1-r1-u1/"},
		{"/rec/2024/", "rec/2024/e1-r1-u1/"},
	}
	for _, tt := range tests {
		cfg := config("http://x")
		cfg.BasePath = tt.base
		if got := newService(cfg).Prefix("e1", "r1", "u1"); got != tt.want {
			t.Errorf("Prefix with base %q = %q, want %q", tt.base, got, tt.want)
		}
	}
}

func TestLongUserSessionName(t *testing.T) {
	var resource, duration = "acs:oss:*:*:exam-bucket/recordings/e1-r1-" + strings.Repeat("u", 64) + "/*", "900"
	sts := newSTS(t, &resource, &duration)
	if _, err := newService(config(sts.URL)).UploadCredentials(context.Background(),
		examhall.UploadRequest{ExamID: "e1", UserID: strings.Repeat("u", 64), RoomIDs: []string{"r1"}}); err != nil {
		t.Fatal(err)
	}
	reqs := sts.Requests()
	if n := len(reqs[0].Get("RoleSessionName")); n != 64 {
		t.Errorf("RoleSessionName has %d characters, want 64", n)
	}
}

func TestUploadCredentialsInvalid(t *testing.T) {
	s := newService(config("http://127.0.0.1:1"))
	r1 := []string{"r1"}
	tests := []struct {
		name string
		req  examhall.UploadRequest
		want string
	}{
		{"unknown mode", examhall.UploadRequest{ExamID: "e1", UserID: "u1", RoomIDs: r1, Mode: "S3"}, `unknown upload mode "S3": use OSS or VOD`},
		{"no exam", examhall.UploadRequest{UserID: "u1", RoomIDs: r1}, "examId must be 1 to 64 letters, digits or '_'"},
		{"no user", examhall.UploadRequest{ExamID: "e1", RoomIDs: r1}, "userId must be 1 to 64 letters, digits or '_'"},
		{"exam with slash", examhall.UploadRequest{ExamID: "e1/../x", UserID: "u1", RoomIDs: r1}, "examId must be 1 to 64 letters, digits or '_'"},
		{"user with star", examhall.UploadRequest{ExamID: "e1", UserID: "u*", RoomIDs: r1}, "userId must be 1 to 64 letters, digits or '_'"},
		{"user with dot", examhall.UploadRequest{ExamID: "e1", UserID: "..", RoomIDs: r1}, "userId must be 1 to 64 letters, digits or '_'"},
		// A '-' would let one examinee's prefix reach another's stream name.
		{"user with dash", examhall.UploadRequest{ExamID: "e1", UserID: "r1-u2", RoomIDs: r1}, "userId must be 1 to 64 letters, digits or '_'"},
		{"room with slash", examhall.UploadRequest{ExamID: "e1", UserID: "u1", RoomIDs: []string{"a/b"}}, "roomId must be 1 to 64 letters, digits, '_' or '-'"},
		{"long exam", examhall.UploadRequest{ExamID: strings.Repeat("e", 65), UserID: "u1", RoomIDs: r1}, "examId must be 1 to 64 letters, digits or '_'"},
		{"OSS without a room", examhall.UploadRequest{ExamID: "e1", UserID: "u1"}, "you have no room in this exam to upload recordings of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.UploadCredentials(context.Background(), tt.req)
			if code := examhall.ErrorCode(err); code != examhall.EINVALID {
				t.Errorf("code = %q, want %q", code, examhall.EINVALID)
			}
			if msg := examhall.ErrorMessage(err); msg != tt.want {
				t.Errorf("message = %q, want %q", msg, tt.want)
			}
		})
	}
}

func TestUploadCredentialsUnconfigured(t *testing.T) {
	tests := []struct {
		name string
		cfg  upload.Config
		want string
	}{
		{"nothing", upload.Config{},
			"uploads are not configured: set EXAMHALL_UPLOAD_ROLE_ARN, EXAMHALL_UPLOAD_REGION, EXAMHALL_UPLOAD_BUCKET, EXAMHALL_ALIYUN_ACCESS_KEY_ID, EXAMHALL_ALIYUN_ACCESS_KEY_SECRET"},
		{"no access key", upload.Config{RoleARN: "r", Region: "oss-cn-hangzhou", Bucket: "b", BasePath: "p"},
			"uploads are not configured: set EXAMHALL_ALIYUN_ACCESS_KEY_ID, EXAMHALL_ALIYUN_ACCESS_KEY_SECRET"},
		{"no bucket", upload.Config{RoleARN: "r", Region: "oss-cn-hangzhou", AccessKeyID: "i", AccessKeySecret: "s"},
			"uploads are not configured: set EXAMHALL_UPLOAD_BUCKET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(tt.cfg)
			if s.Configured() {
				t.Error("Configured() = true")
			}
			_, err := s.UploadCredentials(context.Background(), examhall.UploadRequest{ExamID: "e1", UserID: "u1", RoomIDs: []string{"r1"}})
			if code := examhall.ErrorCode(err); code != examhall.EUNAVAILABLE {
				t.Errorf("code = %q, want %q", code, examhall.EUNAVAILABLE)
			}
			if msg := examhall.ErrorMessage(err); msg != tt.want {
				t.Errorf("message = %q\nwant %q", msg, tt.want)
			}
		})
	}
	if !newService(config("http://x")).Configured() {
		t.Error("Configured() = false for a full config")
	}
}

func TestUploadCredentialsVendorFailures(t *testing.T) {
	var resource, duration = "acs:oss:*:*:exam-bucket/recordings/e1/u1/*", "900"
	sts := newSTS(t, &resource, &duration)
	raw := func(status int, body string) string { return aliyunrpctest.Raw(t, status, body) }
	slow := aliyunrpctest.Hanging(t)

	tests := []struct {
		name    string
		cfg     func(*upload.Config)
		timeout time.Duration
		cause   func(error) bool
	}{
		{"wrong secret", func(c *upload.Config) { c.AccessKeySecret = "wrong-secret-value" }, 0,
			func(err error) bool { return aliyunrpc.IsCode(err, "SignatureDoesNotMatch") }},
		{"unknown key", func(c *upload.Config) { c.AccessKeyID = "LTAI-other" }, 0,
			func(err error) bool { return aliyunrpc.IsCode(err, "InvalidAccessKeyId.NotFound") }},
		{"role not allowed", func(c *upload.Config) { c.RoleARN = "acs:ram::1:role/other" }, 0,
			func(err error) bool { return aliyunrpc.IsCode(err, "NoPermission") }},
		{"bad JSON", func(c *upload.Config) { c.STSURL = raw(200, "{") }, 0,
			func(err error) bool { return strings.Contains(err.Error(), "decode") }},
		{"no credentials", func(c *upload.Config) { c.STSURL = raw(200, `{"RequestId":"x"}`) }, 0,
			func(err error) bool { return strings.Contains(err.Error(), "lacks credentials") }},
		{"bad expiration", func(c *upload.Config) {
			c.STSURL = raw(200, `{"Credentials":{"AccessKeyId":"a","AccessKeySecret":"b","SecurityToken":"c","Expiration":"tomorrow"}}`)
		}, 0, func(err error) bool { return strings.Contains(err.Error(), "tomorrow") }},
		{"gateway error", func(c *upload.Config) { c.STSURL = raw(502, "<html>") }, 0,
			func(err error) bool { return aliyunrpc.IsCode(err, "HTTP502") }},
		{"timeout", func(c *upload.Config) { c.STSURL = slow }, 50 * time.Millisecond,
			func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(sts.URL)
			tt.cfg(&cfg)
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			got, err := newService(cfg).UploadCredentials(ctx, examhall.UploadRequest{ExamID: "e1", UserID: "u1", RoomIDs: []string{"r1"}})
			if got != nil {
				t.Errorf("got credentials %+v with an error", got)
			}
			if code := examhall.ErrorCode(err); code != examhall.EUNAVAILABLE {
				t.Fatalf("code = %q, want %q (err %v)", code, examhall.EUNAVAILABLE, err)
			}
			if msg, want := examhall.ErrorMessage(err), "upload credentials are unavailable, try again later"; msg != want {
				t.Errorf("message = %q, want %q", msg, want)
			}
			if !tt.cause(err) {
				t.Errorf("cause not kept for logs: %v", err)
			}
			for _, secret := range []string{akSecret, "wrong-secret-value"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q holds a secret", err)
				}
			}
		})
	}
}
