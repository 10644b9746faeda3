package aliyunrpc_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"examhall/internal/aliyunrpc"
	"examhall/internal/aliyunrpc/aliyunrpctest"

	"github.com/google/go-cmp/cmp"
)

func TestSign(t *testing.T) {
	tests := []struct {
		name         string
		method       string
		params       map[string]string
		secret       string
		stringToSign string
		signature    string
	}{
		{
			// The worked example of the vendor's "request signature" page.
			name:   "vendor example",
			method: "GET",
			params: map[string]string{
				"Timestamp": "2016-02-23T12:46:24Z", "Format": "XML", "AccessKeyId": "testid",
				"Action": "DescribeRegions", "SignatureMethod": "HMAC-SHA1",
				"SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "Version": "2014-05-26",
				"SignatureVersion": "1.0",
			},
			secret:       "testsecret",
			stringToSign: "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26",
			signature:    "OLeaidS1JvxuMvnyHOwuJ+uX5qY=",
		},
		{
			// Computed with Python's urllib.parse.quote(safe='~') and hmac.
			name:   "POST with space, star, tilde, slash and UTF-8",
			method: "POST",
			params: map[string]string{
				"Action": "AssumeRole", "RoleArn": "acs:ram::123456789012:role/upload",
				"RoleSessionName": "examhall-u1", "DurationSeconds": "900",
				"Policy": `{"Version":"1","Note":"a b*c~d/é"}`, "Format": "JSON", "Version": "2015-04-01",
				"AccessKeyId": "testid", "SignatureMethod": "HMAC-SHA1", "Timestamp": "2024-01-02T03:04:05Z",
				"SignatureVersion": "1.0", "SignatureNonce": "nonce-1",
				"Signature": "ignored when signing",
			},
			secret:       "testsecret",
			stringToSign: "POST&%2F&AccessKeyId%3Dtestid%26Action%3DAssumeRole%26DurationSeconds%3D900%26Format%3DJSON%26Policy%3D%257B%2522Version%2522%253A%25221%2522%252C%2522Note%2522%253A%2522a%2520b%252Ac~d%252F%25C3%25A9%2522%257D%26RoleArn%3Dacs%253Aram%253A%253A123456789012%253Arole%252Fupload%26RoleSessionName%3Dexamhall-u1%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dnonce-1%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2015-04-01",
			signature:    "MWPmn2eeAXqJqOi3T6xl77DWjag=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts := aliyunrpc.StringToSign(tt.method, tt.params)
			if sts != tt.stringToSign {
				t.Errorf("StringToSign:\n got %s\nwant %s", sts, tt.stringToSign)
			}
			if got := aliyunrpc.Sign(sts, tt.secret); got != tt.signature {
				t.Errorf("Sign = %s, want %s", got, tt.signature)
			}
		})
	}
}

func TestPercentEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"AZaz09-_.~", "AZaz09-_.~"},
		{"a b", "a%20b"},
		{"a+b", "a%2Bb"},
		{"*", "%2A"},
		{"/:=&", "%2F%3A%3D%26"},
		{"é", "%C3%A9"},
	}
	for _, tt := range tests {
		if got := aliyunrpc.PercentEncode(tt.in); got != tt.want {
			t.Errorf("PercentEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var fixedNow = time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("CST", 8*3600))

type echoResult struct {
	RequestID string `json:"RequestId"`
	Result    struct {
		Echo string
	}
}

func newClient(endpoint, secret string) *aliyunrpc.Client {
	return &aliyunrpc.Client{
		Endpoint:        endpoint,
		Version:         "2016-11-01",
		AccessKeyID:     "testid",
		AccessKeySecret: secret,
		HTTPClient:      &http.Client{Timeout: 5 * time.Second},
		Now:             func() time.Time { return fixedNow },
	}
}

func TestCall(t *testing.T) {
	srv := aliyunrpctest.NewServer(t, "testid", "testsecret", "2016-11-01", func(action string, p url.Values) (int, any) {
		switch action {
		case "Echo":
			return http.StatusOK, map[string]any{"RequestId": "R1", "Result": map[string]string{"Echo": p.Get("Say")}}
		case "Throttled":
			return aliyunrpctest.Err(http.StatusServiceUnavailable, "Throttling.User", "Request was denied due to user flow control.")
		case "BodyError":
			return http.StatusOK, map[string]string{"RequestId": "R2", "Code": "InvalidAppId.NotFound", "Message": "app not found"}
		case "BodyOK":
			return http.StatusOK, map[string]string{"RequestId": "R3", "Code": "OK", "Message": "successful"}
		}
		return aliyunrpctest.Err(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found.")
	})

	t.Run("success", func(t *testing.T) {
		var out echoResult
		if err := newClient(srv.URL, "testsecret").Call(context.Background(), "Echo", map[string]string{"Say": "hi there*~/"}, &out); err != nil {
			t.Fatal(err)
		}
		if out.RequestID != "R1" || out.Result.Echo != "hi there*~/" {
			t.Errorf("got %+v", out)
		}
		reqs := srv.Requests()
		p := reqs[len(reqs)-1]
		got := map[string]string{}
		for _, k := range []string{"Format", "Version", "AccessKeyId", "SignatureMethod", "Timestamp", "SignatureVersion", "Action"} {
			got[k] = p.Get(k)
		}
		want := map[string]string{
			"Format": "JSON", "Version": "2016-11-01", "AccessKeyId": "testid", "SignatureMethod": "HMAC-SHA1",
			"Timestamp": "2024-01-01T19:04:05Z", "SignatureVersion": "1.0", "Action": "Echo",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("common parameters (-want +got):\n%s", diff)
		}
		if n := len(p.Get("SignatureNonce")); n != 32 {
			t.Errorf("SignatureNonce length = %d, want 32", n)
		}
	})

	t.Run("body code OK is success", func(t *testing.T) {
		if err := newClient(srv.URL, "testsecret").Call(context.Background(), "BodyOK", nil, nil); err != nil {
			t.Fatal(err)
		}
	})

	errTests := []struct {
		name   string
		secret string
		action string
		want   aliyunrpc.Error
	}{
		{"wrong secret", "not-the-secret", "Echo", aliyunrpc.Error{Action: "Echo", StatusCode: 400, Code: "SignatureDoesNotMatch", RequestID: "FAKE-REQUEST-ID"}},
		{"vendor error", "testsecret", "Throttled", aliyunrpc.Error{Action: "Throttled", StatusCode: 503, Code: "Throttling.User", RequestID: "FAKE-REQUEST-ID"}},
		{"error code in a 200 body", "testsecret", "BodyError", aliyunrpc.Error{Action: "BodyError", StatusCode: 200, Code: "InvalidAppId.NotFound", RequestID: "R2"}},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			err := newClient(srv.URL, tt.secret).Call(context.Background(), tt.action, nil, &echoResult{})
			var got *aliyunrpc.Error
			if !errors.As(err, &got) {
				t.Fatalf("err = %v, want *aliyunrpc.Error", err)
			}
			g := *got
			g.Message = ""
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if !aliyunrpc.IsCode(err, tt.want.Code) {
				t.Errorf("IsCode(%q) = false", tt.want.Code)
			}
		})
	}

	t.Run("reused nonce", func(t *testing.T) {
		c := newClient(srv.URL, "testsecret")
		c.Nonce = func() string { return "same-nonce" }
		if err := c.Call(context.Background(), "Echo", nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Call(context.Background(), "Echo", nil, nil); !aliyunrpc.IsCode(err, "SignatureNonceUsed") {
			t.Fatalf("second call err = %v, want SignatureNonceUsed", err)
		}
	})
}

func TestCallFailures(t *testing.T) {
	raw := func(status int, body string) string { return aliyunrpctest.Raw(t, status, body) }
	slow := aliyunrpctest.Hanging(t)

	tests := []struct {
		name     string
		endpoint string
		ctx      func() (context.Context, context.CancelFunc)
		check    func(error) bool
	}{
		{"bad JSON", raw(200, "{not json"), nil, func(err error) bool {
			var e *aliyunrpc.Error
			return err != nil && !errors.As(err, &e)
		}},
		{"HTML gateway error", raw(502, "<html>bad gateway</html>"), nil, func(err error) bool { return aliyunrpc.IsCode(err, "HTTP502") }},
		{"timeout", slow, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{"connection refused", "http://127.0.0.1:1/", nil, func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.Background(), func() {}
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			var out echoResult
			err := newClient(tt.endpoint, "testsecret").Call(ctx, "Echo", nil, &out)
			if !tt.check(err) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestCallNeverLeaksSecret(t *testing.T) {
	srv := aliyunrpctest.NewServer(t, "testid", "the-real-secret", "2016-11-01", nil)
	err := newClient(srv.URL, "a-wrong-secret-value").Call(context.Background(), "Echo", nil, nil)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, s := range []string{"a-wrong-secret-value", "the-real-secret"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q holds a secret", err)
		}
	}
}
