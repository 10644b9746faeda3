package im

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"examhall"
	"examhall/internal/aliyunrpc"
	"examhall/internal/aliyunrpc/aliyunrpctest"

	"github.com/google/go-cmp/cmp"
)

var fixedNow = time.Unix(1700000000, 0)

const (
	akID       = "LTAI-test-id"
	akSecret   = "ak-secret-value"
	rongKey    = "rong-app-key"
	rongSecret = "rong-secret-value"
	appKey     = "appkey1"
)

var secrets = []string{akSecret, rongSecret, appKey}

// rongServer is a fake RongCloud server API: it checks App-Key, Nonce,
// Timestamp and Signature like the vendor and answers user/getToken.json.
type rongServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []url.Values
	answer   func(w http.ResponseWriter, form url.Values) // nil: a normal token
}

func newRongServer(t *testing.T) *rongServer {
	rs := &rongServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fail := func(status, code int, msg string) {
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"code": code, "errorMessage": msg})
		}
		nonce, ts := r.Header.Get("Nonce"), r.Header.Get("Timestamp")
		sum := sha1.Sum([]byte(rongSecret + nonce + ts))
		ms, err := strconv.ParseInt(ts, 10, 64)
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/user/getToken.json":
			fail(http.StatusNotFound, 1000, "not found")
			return
		case r.Header.Get("App-Key") != rongKey:
			fail(http.StatusUnauthorized, 1004, "Signature error: AppKey")
			return
		case nonce == "" || len(nonce) > 18:
			fail(http.StatusUnauthorized, 1004, "Signature error: Nonce")
			return
		case err != nil || time.UnixMilli(ms).Sub(fixedNow).Abs() > 5*time.Minute:
			fail(http.StatusUnauthorized, 1004, "Signature error: Timestamp")
			return
		case r.Header.Get("Signature") != hex.EncodeToString(sum[:]):
			fail(http.StatusUnauthorized, 1004, "Signature error")
			return
		}
		if err := r.ParseForm(); err != nil || r.PostForm.Get("userId") == "" {
			fail(http.StatusBadRequest, 1002, "userId is required")
			return
		}
		rs.mu.Lock()
		rs.requests = append(rs.requests, r.PostForm)
		rs.mu.Unlock()
		if rs.answer != nil {
			rs.answer(w, r.PostForm)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"code": 200, "userId": r.PostForm.Get("userId"), "token": "rong-token-of-" + r.PostForm.Get("userId")})
	}))
	t.Cleanup(rs.Close)
	return rs
}

// newLiveServer is a fake ApsaraVideo Live OpenAPI.
func newLiveServer(t *testing.T) *aliyunrpctest.Server {
	return aliyunrpctest.NewServer(t, akID, akSecret, LiveAPIVersion, func(action string, p url.Values) (int, any) {
		switch action {
		case "GetMessageToken":
			if p.Get("AppId") != "old-app" {
				return aliyunrpctest.Err(http.StatusBadRequest, "InvalidAppId.NotFound", "The specified AppId does not exist.")
			}
			return http.StatusOK, map[string]any{"RequestId": "R1", "Result": map[string]any{
				"AccessToken": "at-" + p.Get("UserId"), "RefreshToken": "rt-" + p.Get("UserId"), "AccessTokenExpiredTime": 86400000,
			}}
		case "CreateMessageGroup":
			var ext map[string]string
			if err := json.Unmarshal([]byte(p.Get("Extension")), &ext); err != nil {
				return aliyunrpctest.Err(http.StatusBadRequest, "InvalidExtension.Malformed", "Extension is not JSON.")
			}
			return http.StatusOK, map[string]any{"RequestId": "R2", "Result": map[string]any{"GroupId": "OLDGROUP" + ext["roomId"], "Extension": ext}}
		case "CreateLiveMessageGroup":
			switch p.Get("GroupId") {
			case "deleted":
				return http.StatusOK, map[string]any{"RequestId": "R3", "GroupId": "deleted", "AlreadyExists": true, "AlreadyDelete": true}
			case "broken":
				return aliyunrpctest.Err(http.StatusInternalServerError, "InternalError", "The request processing has failed due to some unknown error.")
			}
			return http.StatusOK, map[string]any{"RequestId": "R3", "GroupId": p.Get("GroupId"), "AlreadyExists": false, "AlreadyDelete": false}
		}
		return aliyunrpctest.Err(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found.")
	})
}

func fullConfig(liveURL, rongURL string) Config {
	return Config{
		AliyunAppID:     "app1",
		AliyunAppKey:    appKey,
		AliyunAppSign:   "sign1",
		RongAppKey:      rongKey,
		RongAppSecret:   rongSecret,
		RongAPIURL:      rongURL + "/",
		AccessKeyID:     akID,
		AccessKeySecret: akSecret,
		OldAppID:        "old-app",
		OldAPIURL:       liveURL,
	}
}

func newTestService(cfg Config) *Service {
	s := New(cfg, &http.Client{Timeout: 5 * time.Second}, func() time.Time { return fixedNow })
	s.random = func(n int) string { return strings.Repeat("ab", n) }
	return s
}

func checkNoSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q holds a secret", err)
		}
	}
}

func TestAliyunNewToken(t *testing.T) {
	tests := []struct {
		name string
		ttl  time.Duration
		req  examhall.IMTokenRequest
		want examhall.AliyunNewIM
	}{
		{
			// appToken = sha256hex("app1appkey1u1AK-abababababababababababababababab1700086400admin"),
			// computed with Python's hashlib.
			name: "admin, default TTL",
			req:  examhall.IMTokenRequest{UserID: "u1", Role: "admin", Servers: []examhall.IMServer{examhall.IMAliyunNew}},
			want: examhall.AliyunNewIM{
				AppID: "app1", AppSign: "sign1",
				AppToken: "fb3713b6e308d8b2afd7ed39573c5c20825ff301afb8ee5f50e5747b0b08f8a2",
				Auth:     examhall.AliyunNewAuth{UserID: "u1", Nonce: "AK-abababababababababababababababab", Timestamp: 1700086400, Role: "admin"},
			},
		},
		{
			// sha256hex("app1appkey1u2AK-abababababababababababababababab1700003600")
			name: "no role, 1h TTL",
			ttl:  time.Hour,
			req:  examhall.IMTokenRequest{UserID: "u2", Servers: []examhall.IMServer{examhall.IMAliyunNew}},
			want: examhall.AliyunNewIM{
				AppID: "app1", AppSign: "sign1",
				AppToken: "01e096132957bb2c79b60599380dff6e464226f048bbe7b1c83cbe63ea5047a5",
				Auth:     examhall.AliyunNewAuth{UserID: "u2", Nonce: "AK-abababababababababababababababab", Timestamp: 1700003600},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestService(Config{AliyunAppID: "app1", AliyunAppKey: appKey, AliyunAppSign: "sign1", AliyunTokenTTL: tt.ttl})
			got, err := s.Tokens(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&examhall.IMTokens{AliyunNewIM: &tt.want}, got); diff != "" {
				t.Errorf("Tokens (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("random nonce", func(t *testing.T) {
		s := New(Config{AliyunAppID: "app1", AliyunAppKey: appKey, AliyunAppSign: "sign1"}, nil, nil)
		req := examhall.IMTokenRequest{UserID: "u1", Servers: []examhall.IMServer{examhall.IMAliyunNew}}
		a, _ := s.Tokens(context.Background(), req)
		b, _ := s.Tokens(context.Background(), req)
		n := a.AliyunNewIM.Auth.Nonce
		if !strings.HasPrefix(n, "AK-") || len(n) > 64 || n == b.AliyunNewIM.Auth.Nonce {
			t.Errorf("nonces %q, %q: want distinct AK-... of at most 64 bytes", n, b.AliyunNewIM.Auth.Nonce)
		}
	})
}

func TestTokensAllServers(t *testing.T) {
	live, rong := newLiveServer(t), newRongServer(t)
	s := newTestService(fullConfig(live.URL, rong.URL))
	got, err := s.Tokens(context.Background(), examhall.IMTokenRequest{
		UserID: "u1", DeviceID: "dev-1", DeviceType: "Android", Role: "",
		Servers: []examhall.IMServer{examhall.IMAliyunOld, examhall.IMRongCloud, examhall.IMAliyunNew, examhall.IMRongCloud},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &examhall.IMTokens{
		AliyunOldIM: &examhall.AliyunOldIM{AccessToken: "at-u1", RefreshToken: "rt-u1"},
		AliyunNewIM: &examhall.AliyunNewIM{
			AppID: "app1", AppSign: "sign1",
			// sha256hex("app1appkey1u1AK-abababababababababababababababab1700086400")
			AppToken: "9eb7fc54c0864cb7897c071e00b3c6a5bb948e5a9827582fac6154a588461c9a",
			Auth:     examhall.AliyunNewAuth{UserID: "u1", Nonce: "AK-abababababababababababababababab", Timestamp: 1700086400},
		},
		RongToken: "rong-token-of-u1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tokens (-want +got):\n%s", diff)
	}

	reqs := live.Requests()
	if len(reqs) != 1 {
		t.Fatalf("live API got %d requests, want 1", len(reqs))
	}
	gotParams := map[string]string{}
	for _, k := range []string{"Action", "AppId", "UserId", "DeviceId", "DeviceType"} {
		gotParams[k] = reqs[0].Get(k)
	}
	wantParams := map[string]string{"Action": "GetMessageToken", "AppId": "old-app", "UserId": "u1", "DeviceId": "dev-1", "DeviceType": "android"}
	if diff := cmp.Diff(wantParams, gotParams); diff != "" {
		t.Errorf("GetMessageToken parameters (-want +got):\n%s", diff)
	}
	if n := len(rong.requests); n != 1 {
		t.Fatalf("RongCloud got %d requests, want 1 (duplicates dropped)", n)
	}
	if diff := cmp.Diff(url.Values{"userId": {"u1"}, "name": {"u1"}, "portraitUri": {""}}, rong.requests[0]); diff != "" {
		t.Errorf("getToken form (-want +got):\n%s", diff)
	}
}

func TestTokensUnconfigured(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		servers []examhall.IMServer
		want    string
	}{
		{"aliyun_new", Config{AliyunAppSign: "x"}, []examhall.IMServer{examhall.IMAliyunNew},
			"IM server aliyun_new is not configured: set EXAMHALL_IM_ALIYUN_APP_ID, EXAMHALL_IM_ALIYUN_APP_KEY"},
		{"rong_cloud", Config{RongAppKey: "k"}, []examhall.IMServer{examhall.IMRongCloud},
			"IM server rong_cloud is not configured: set EXAMHALL_IM_RONGCLOUD_APP_SECRET"},
		{"aliyun_old", Config{AccessKeyID: "id", AccessKeySecret: "s"}, []examhall.IMServer{examhall.IMAliyunOld},
			"IM server aliyun_old is not configured: set EXAMHALL_IM_ALIYUN_OLD_APP_ID"},
		{"two missing", Config{}, []examhall.IMServer{examhall.IMRongCloud, examhall.IMAliyunOld},
			"IM server rong_cloud is not configured: set EXAMHALL_IM_RONGCLOUD_APP_KEY, EXAMHALL_IM_RONGCLOUD_APP_SECRET; " +
				"IM server aliyun_old is not configured: set EXAMHALL_ALIYUN_ACCESS_KEY_ID, EXAMHALL_ALIYUN_ACCESS_KEY_SECRET, EXAMHALL_IM_ALIYUN_OLD_APP_ID"},
		{"one of two missing", Config{AliyunAppID: "a", AliyunAppKey: "k", AliyunAppSign: "s"}, []examhall.IMServer{examhall.IMAliyunNew, examhall.IMRongCloud},
			"IM server rong_cloud is not configured: set EXAMHALL_IM_RONGCLOUD_APP_KEY, EXAMHALL_IM_RONGCLOUD_APP_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestService(tt.cfg)
			_, err := s.Tokens(context.Background(), examhall.IMTokenRequest{UserID: "u1", DeviceID: "d", DeviceType: "web", Servers: tt.servers})
			if code := examhall.ErrorCode(err); code != examhall.EUNAVAILABLE {
				t.Errorf("Tokens code = %q, want %q", code, examhall.EUNAVAILABLE)
			}
			if msg := examhall.ErrorMessage(err); msg != tt.want {
				t.Errorf("Tokens message = %q\nwant %q", msg, tt.want)
			}
			_, err = s.CreateGroup(context.Background(), tt.servers, "room1")
			if msg := examhall.ErrorMessage(err); examhall.ErrorCode(err) != examhall.EUNAVAILABLE || msg != tt.want {
				t.Errorf("CreateGroup err = %v, want EUNAVAILABLE %q", err, tt.want)
			}
			for _, sv := range tt.servers {
				if s.Configured(sv) && strings.Contains(tt.want, string(sv)) {
					t.Errorf("Configured(%s) = true", sv)
				}
			}
		})
	}
	full := newTestService(fullConfig("http://x", "http://y"))
	for _, sv := range []examhall.IMServer{examhall.IMAliyunNew, examhall.IMAliyunOld, examhall.IMRongCloud} {
		if !full.Configured(sv) {
			t.Errorf("Configured(%s) = false for a full config", sv)
		}
	}
}

func TestTokensInvalid(t *testing.T) {
	s := newTestService(fullConfig("http://127.0.0.1:1", "http://127.0.0.1:1"))
	tests := []struct {
		name string
		req  examhall.IMTokenRequest
	}{
		{"no user", examhall.IMTokenRequest{Servers: []examhall.IMServer{examhall.IMAliyunNew}}},
		{"no server", examhall.IMTokenRequest{UserID: "u1"}},
		{"unknown server", examhall.IMTokenRequest{UserID: "u1", Servers: []examhall.IMServer{"wechat"}}},
		{"aliyun_old without device", examhall.IMTokenRequest{UserID: "u1", DeviceType: "web", Servers: []examhall.IMServer{examhall.IMAliyunOld}}},
		{"aliyun_old bad device type", examhall.IMTokenRequest{UserID: "u1", DeviceID: "d1", DeviceType: "fridge", Servers: []examhall.IMServer{examhall.IMAliyunOld}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Tokens(context.Background(), tt.req)
			if code := examhall.ErrorCode(err); code != examhall.EINVALID {
				t.Errorf("code = %q, want %q (err %v)", code, examhall.EINVALID, err)
			}
		})
	}
}

func TestTokensVendorFailures(t *testing.T) {
	live, rong := newLiveServer(t), newRongServer(t)
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-block:
		}
	}))
	t.Cleanup(func() { close(block); slow.Close() })

	oldReq := examhall.IMTokenRequest{UserID: "u1", DeviceID: "d1", DeviceType: "web", Servers: []examhall.IMServer{examhall.IMAliyunOld}}
	rongReq := examhall.IMTokenRequest{UserID: "u1", Servers: []examhall.IMServer{examhall.IMRongCloud}}
	tests := []struct {
		name    string
		cfg     func(*Config)
		answer  func(w http.ResponseWriter, form url.Values)
		req     examhall.IMTokenRequest
		timeout time.Duration
		cause   func(error) bool
	}{
		{"aliyun_old wrong secret", func(c *Config) { c.AccessKeySecret = "wrong-secret" }, nil, oldReq, 0,
			func(err error) bool { return aliyunrpc.IsCode(err, "SignatureDoesNotMatch") }},
		{"aliyun_old unknown app", func(c *Config) { c.OldAppID = "nope" }, nil, oldReq, 0,
			func(err error) bool { return aliyunrpc.IsCode(err, "InvalidAppId.NotFound") }},
		{"aliyun_old timeout", func(c *Config) { c.OldAPIURL = slow.URL }, nil, oldReq, 50 * time.Millisecond,
			func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{"rong_cloud wrong secret", func(c *Config) { c.RongAppSecret = "wrong-secret" }, nil, rongReq, 0,
			func(err error) bool { return strings.Contains(err.Error(), "code 1004") }},
		{"rong_cloud wrong app key", func(c *Config) { c.RongAppKey = "other" }, nil, rongReq, 0,
			func(err error) bool { return strings.Contains(err.Error(), "HTTP 401") }},
		{"rong_cloud error code in a 200 answer", nil, func(w http.ResponseWriter, _ url.Values) {
			w.Write([]byte(`{"code":1008,"errorMessage":"call rate exceeded"}`))
		}, rongReq, 0, func(err error) bool { return strings.Contains(err.Error(), "code 1008") }},
		{"rong_cloud bad JSON", nil, func(w http.ResponseWriter, _ url.Values) {
			w.Write([]byte(`<html>`))
		}, rongReq, 0, func(err error) bool { return strings.Contains(err.Error(), "decode") }},
		{"rong_cloud no token", nil, func(w http.ResponseWriter, _ url.Values) {
			w.Write([]byte(`{"code":200,"userId":"u1"}`))
		}, rongReq, 0, func(err error) bool { return strings.Contains(err.Error(), "no token") }},
		{"rong_cloud server error", nil, func(w http.ResponseWriter, _ url.Values) {
			w.WriteHeader(http.StatusBadGateway)
		}, rongReq, 0, func(err error) bool { return strings.Contains(err.Error(), "HTTP 502") }},
		{"rong_cloud timeout", func(c *Config) { c.RongAPIURL = slow.URL }, nil, rongReq, 50 * time.Millisecond,
			func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fullConfig(live.URL, rong.URL)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			rong.answer = tt.answer
			defer func() { rong.answer = nil }()
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			got, err := newTestService(cfg).Tokens(ctx, tt.req)
			if got != nil {
				t.Errorf("got tokens %+v with an error", got)
			}
			if code := examhall.ErrorCode(err); code != examhall.EUNAVAILABLE {
				t.Fatalf("code = %q, want %q (err %v)", code, examhall.EUNAVAILABLE, err)
			}
			if msg, want := examhall.ErrorMessage(err), "IM server "+string(tt.req.Servers[0])+" is unavailable, try again later"; msg != want {
				t.Errorf("message = %q, want %q", msg, want)
			}
			if !tt.cause(err) {
				t.Errorf("cause not kept for logs: %v", err)
			}
			checkNoSecrets(t, err)
		})
	}
}

func TestCreateGroup(t *testing.T) {
	live := newLiveServer(t)
	noAK := func(c *Config) { c.AccessKeyID, c.AccessKeySecret = "", "" }
	tests := []struct {
		name     string
		cfg      func(*Config)
		servers  []examhall.IMServer
		roomID   string
		want     string
		wantCode string
		calls    []map[string]string // Action, AppId, GroupId, CreatorId, Extension of each live API call
	}{
		{"aliyun_new without AccessKey", noAK, []examhall.IMServer{examhall.IMAliyunNew}, "room1", "room1", "", nil},
		{"rong_cloud", nil, []examhall.IMServer{examhall.IMRongCloud}, "room1", "room1", "", nil},
		{"aliyun_new with AccessKey", nil, []examhall.IMServer{examhall.IMAliyunNew, examhall.IMRongCloud}, "room1", "room1", "", []map[string]string{
			{"Action": "CreateLiveMessageGroup", "AppId": "app1", "GroupId": "room1", "CreatorId": "examhall", "Extension": ""},
		}},
		{"aliyun_old", nil, []examhall.IMServer{examhall.IMAliyunOld}, "room1", "OLDGROUProom1", "", []map[string]string{
			{"Action": "CreateMessageGroup", "AppId": "old-app", "GroupId": "", "CreatorId": "examhall", "Extension": `{"roomId":"room1"}`},
		}},
		{"aliyun_old and aliyun_new share the old group ID", nil, []examhall.IMServer{examhall.IMAliyunNew, examhall.IMAliyunOld}, "room2", "OLDGROUProom2", "", []map[string]string{
			{"Action": "CreateMessageGroup", "AppId": "old-app", "GroupId": "", "CreatorId": "examhall", "Extension": `{"roomId":"room2"}`},
			{"Action": "CreateLiveMessageGroup", "AppId": "app1", "GroupId": "OLDGROUProom2", "CreatorId": "examhall", "Extension": ""},
		}},
		{"aliyun_new group deleted", nil, []examhall.IMServer{examhall.IMAliyunNew}, "deleted", "", examhall.EUNAVAILABLE, []map[string]string{
			{"Action": "CreateLiveMessageGroup", "AppId": "app1", "GroupId": "deleted", "CreatorId": "examhall", "Extension": ""},
		}},
		{"aliyun_new vendor error", nil, []examhall.IMServer{examhall.IMAliyunNew}, "broken", "", examhall.EUNAVAILABLE, []map[string]string{
			{"Action": "CreateLiveMessageGroup", "AppId": "app1", "GroupId": "broken", "CreatorId": "examhall", "Extension": ""},
		}},
		{"aliyun_old wrong secret", func(c *Config) { c.AccessKeySecret = "wrong" }, []examhall.IMServer{examhall.IMAliyunOld}, "room1", "", examhall.EUNAVAILABLE, nil},
		{"no room", nil, []examhall.IMServer{examhall.IMAliyunNew}, "", "", examhall.EINVALID, nil},
		{"no server", nil, nil, "room1", "", examhall.EINVALID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fullConfig(live.URL, "http://127.0.0.1:1")
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			before := len(live.Requests())
			got, err := newTestService(cfg).CreateGroup(context.Background(), tt.servers, tt.roomID)
			if code := examhall.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", code, tt.wantCode, err)
			}
			if got != tt.want {
				t.Errorf("group ID = %q, want %q", got, tt.want)
			}
			var calls []map[string]string
			for _, p := range live.Requests()[before:] {
				c := map[string]string{}
				for _, k := range []string{"Action", "AppId", "GroupId", "CreatorId", "Extension"} {
					c[k] = p.Get(k)
				}
				calls = append(calls, c)
			}
			if diff := cmp.Diff(tt.calls, calls); diff != "" {
				t.Errorf("live API calls (-want +got):\n%s", diff)
			}
			checkNoSecrets(t, err)
		})
	}
}
