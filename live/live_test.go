package live

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"examhall"

	"github.com/google/go-cmp/cmp"
)

const fixedRand = "0123456789abcdef0123456789abcdef"

var fixedNow = time.Unix(1700000000, 0) // + 4h = 1700014400

func testConfig() Config {
	return Config{
		PushDomain:      "push.example.com",
		PullDomain:      "pull.example.com",
		SmallPullDomain: "small.example.com",
		PushAuthKey:     "pushkey",
		PullAuthKey:     "pullkey",
		CallbackKey:     "cbkey",
	}
}

func newTestSigner(cfg Config) *Signer {
	s := New(cfg)
	s.rand = func(dst []byte) { copy(dst, fixedRand) }
	return s
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestStreamURLs(t *testing.T) {
	s := newTestSigner(testConfig())
	got, err := s.StreamURLs("e1", "r1", "u1", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	const ak = "1700014400-" + fixedRand + "-0-"
	tests := []struct {
		name     string
		got      string
		url      string // everything before the md5 hash
		md5Input string
	}{
		{"rtcPushUrl", got.RTCPushURL,
			"artc://push.example.com/exam/e1-r1-u1?grtn_twin_rtmp=on&auth_key=" + ak,
			"/exam/e1-r1-u1-1700014400-0123456789abcdef0123456789abcdef-0-pushkey"},
		{"rtcPullUrl", got.RTCPullURL,
			"artc://pull.example.com/exam/e1-r1-u1?auth_key=" + ak,
			"/exam/e1-r1-u1-1700014400-0123456789abcdef0123456789abcdef-0-pullkey"},
		{"rtsPullUrl", got.RTSPullURL,
			"artc://small.example.com/exam/e1-r1-u1_240p?auth_key=" + ak,
			"/exam/e1-r1-u1_240p-1700014400-0123456789abcdef0123456789abcdef-0-pullkey"},
		{"pcRtcPushUrl", got.PCRTCPushURL,
			"artc://push.example.com/exam/e1-r1-u1_pc?grtn_twin_rtmp=on&auth_key=" + ak,
			"/exam/e1-r1-u1_pc-1700014400-0123456789abcdef0123456789abcdef-0-pushkey"},
		{"pcRtcPullUrl", got.PCRTCPullURL,
			"artc://pull.example.com/exam/e1-r1-u1_pc?auth_key=" + ak,
			"/exam/e1-r1-u1_pc-1700014400-0123456789abcdef0123456789abcdef-0-pullkey"},
		{"pcRtsPullUrl", got.PCRTSPullURL,
			"artc://small.example.com/exam/e1-r1-u1_pc_240p?auth_key=" + ak,
			"/exam/e1-r1-u1_pc_240p-1700014400-0123456789abcdef0123456789abcdef-0-pullkey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if want := tt.url + md5hex(tt.md5Input); tt.got != want {
				t.Errorf("got  %s\nwant %s", tt.got, want)
			}
		})
	}

	// Two hashes computed outside Go (Python hashlib), to pin md5hex too.
	if want := "artc://push.example.com/exam/e1-r1-u1?grtn_twin_rtmp=on&auth_key=" + ak + "12bd99dc793c643b4ebfd02f5bb61a86"; got.RTCPushURL != want {
		t.Errorf("rtcPushUrl = %s, want %s", got.RTCPushURL, want)
	}
	if want := "artc://small.example.com/exam/e1-r1-u1_pc_240p?auth_key=" + ak + "4719d3426874dd65e7c69d196f680982"; got.PCRTSPullURL != want {
		t.Errorf("pcRtsPullUrl = %s, want %s", got.PCRTSPullURL, want)
	}
}

func TestStreamURLsDefaults(t *testing.T) {
	cfg := testConfig()
	cfg.SmallPullDomain = ""
	cfg.AppName = "live"
	cfg.SmallSuffix = "_ld"
	cfg.AuthTTL = time.Hour
	got, err := newTestSigner(cfg).StreamURLs("e1", "room-with-dash", "u1", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	want := "artc://pull.example.com/live/e1-room-with-dash-u1_pc_ld?auth_key=1700003600-" + fixedRand + "-0-" +
		md5hex("/live/e1-room-with-dash-u1_pc_ld-1700003600-0123456789abcdef0123456789abcdef-0-pullkey")
	if got.PCRTSPullURL != want {
		t.Errorf("got  %s\nwant %s", got.PCRTSPullURL, want)
	}

	d := New(Config{PullDomain: "p"})
	if d.cfg.AppName != "exam" || d.cfg.SmallSuffix != "_240p" || d.cfg.AuthTTL != 4*time.Hour || d.cfg.SmallPullDomain != "p" {
		t.Errorf("defaults not applied: %+v", d.cfg)
	}
}

func TestStreamURLsRandom(t *testing.T) {
	s := New(testConfig())
	a, err := s.StreamURLs("e1", "r1", "u1", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.StreamURLs("e1", "r1", "u1", fixedNow)
	if a.RTCPushURL == b.RTCPushURL {
		t.Error("two signings share their rand part")
	}
	// auth_key={exp}-{rand}-{uid}-{hash}: rand must hold no '-'.
	key := a.RTCPullURL[strings.Index(a.RTCPullURL, "auth_key=")+len("auth_key="):]
	parts := strings.Split(key, "-")
	if len(parts) != 4 || parts[0] != "1700014400" || len(parts[1]) != 32 || parts[2] != "0" || len(parts[3]) != 32 {
		t.Errorf("auth_key %q is not exp-rand-0-md5", key)
	}
	if want := md5hex("/exam/e1-r1-u1-1700014400-" + parts[1] + "-0-pullkey"); parts[3] != want {
		t.Errorf("hash = %s, want %s", parts[3], want)
	}
}

func TestStreamURLsUnconfigured(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"nothing", Config{},
			"live streaming is not configured: set EXAMHALL_LIVE_PUSH_DOMAIN, EXAMHALL_LIVE_PULL_DOMAIN, EXAMHALL_LIVE_PUSH_AUTH_KEY, EXAMHALL_LIVE_PULL_AUTH_KEY"},
		{"keys missing", Config{PushDomain: "a", PullDomain: "b", SmallPullDomain: "c"},
			"live streaming is not configured: set EXAMHALL_LIVE_PUSH_AUTH_KEY, EXAMHALL_LIVE_PULL_AUTH_KEY"},
		{"push missing", Config{PullDomain: "b", PullAuthKey: "k"},
			"live streaming is not configured: set EXAMHALL_LIVE_PUSH_DOMAIN, EXAMHALL_LIVE_PUSH_AUTH_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.cfg)
			if s.Configured() {
				t.Error("Configured() = true")
			}
			_, err := s.StreamURLs("e1", "r1", "u1", fixedNow)
			if code := examhall.ErrorCode(err); code != examhall.EUNAVAILABLE {
				t.Errorf("code = %q, want %q", code, examhall.EUNAVAILABLE)
			}
			if msg := examhall.ErrorMessage(err); msg != tt.want {
				t.Errorf("message = %q, want %q", msg, tt.want)
			}
		})
	}
	if !New(testConfig()).Configured() {
		t.Error("Configured() = false for a full config")
	}
}

func TestStreamURLsInvalidIDs(t *testing.T) {
	s := New(testConfig())
	long := strings.Repeat("a", examhall.MaxIDLen+1)
	tests := []struct{ exam, room, user string }{
		{"", "r1", "u1"},
		{"e1", "", "u1"},
		{"e1", "r1", ""},
		{"e-1", "r1", "u1"},
		{"e1", "r1", "u-1"},
		{"e1", "r/1", "u1"},
		{"e1", "r1", "u1?x=1"},
		{"e1", "r1", "u1&auth_key=x"},
		{long, "r1", "u1"},
	}
	for _, tt := range tests {
		_, err := s.StreamURLs(tt.exam, tt.room, tt.user, fixedNow)
		if code := examhall.ErrorCode(err); code != examhall.EINVALID {
			t.Errorf("StreamURLs(%q, %q, %q) code = %q, want %q", tt.exam, tt.room, tt.user, code, examhall.EINVALID)
		}
	}
}

func TestStreamNameRoundTrip(t *testing.T) {
	s := newTestSigner(testConfig())
	got, err := s.StreamURLs("e1", "r-1", "u1", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{got.RTCPushURL, got.PCRTSPullURL} {
		name := u[strings.LastIndex(u, "/")+1 : strings.Index(u, "?")]
		e, r, usr, err := examhall.ParseStreamName(name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"e1", "r-1", "u1"}, []string{e, r, usr}); diff != "" {
			t.Errorf("ParseStreamName(%q) (-want +got):\n%s", name, diff)
		}
	}
}

func TestVerifyCallback(t *testing.T) {
	const ts = "1700000000"
	tests := []struct {
		name      string
		key       string
		host      string
		timestamp string
		signature string
		now       time.Time
		wantCode  string
	}{
		// Issue 14 B10: without a key, unsigned callbacks are refused.
		{"no key configured", "", "live.example.com", "", "", fixedNow, examhall.EUNAVAILABLE},
		{"callback host", "cbkey", "live.example.com", ts, "98c13ec1aaddd5c3b4d902e0dc404349", fixedNow, ""},
		{"upper-case hex", "cbkey", "live.example.com", ts, "98C13EC1AADDD5C3B4D902E0DC404349", fixedNow, ""},
		{"ingest domain", "cbkey", "examhall.example.org", ts, "84fde4005e6a0249072d44ad3a88012c", fixedNow, ""},
		{"4m59s late", "cbkey", "live.example.com", ts, "98c13ec1aaddd5c3b4d902e0dc404349", fixedNow.Add(299 * time.Second), ""},
		{"5m early", "cbkey", "live.example.com", ts, "98c13ec1aaddd5c3b4d902e0dc404349", fixedNow.Add(-300 * time.Second), ""},
		{"stale", "cbkey", "live.example.com", ts, "98c13ec1aaddd5c3b4d902e0dc404349", fixedNow.Add(301 * time.Second), examhall.EUNAUTHORIZED},
		{"from the future", "cbkey", "live.example.com", ts, "98c13ec1aaddd5c3b4d902e0dc404349", fixedNow.Add(-301 * time.Second), examhall.EUNAUTHORIZED},
		{"wrong host", "cbkey", "evil.example.com", ts, md5hex("evil.example.com|1700000000|otherkey"), fixedNow, examhall.EUNAUTHORIZED},
		{"wrong key", "other", "live.example.com", ts, "98c13ec1aaddd5c3b4d902e0dc404349", fixedNow, examhall.EUNAUTHORIZED},
		{"missing signature", "cbkey", "live.example.com", ts, "", fixedNow, examhall.EUNAUTHORIZED},
		{"missing timestamp", "cbkey", "live.example.com", "", "98c13ec1aaddd5c3b4d902e0dc404349", fixedNow, examhall.EUNAUTHORIZED},
		{"malformed timestamp", "cbkey", "live.example.com", "17e8", "98c13ec1aaddd5c3b4d902e0dc404349", fixedNow, examhall.EUNAUTHORIZED},
		{"truncated signature", "cbkey", "live.example.com", ts, "98c13ec1aaddd5c3", fixedNow, examhall.EUNAUTHORIZED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.CallbackKey = tt.key
			err := New(cfg).VerifyCallback(tt.host, tt.timestamp, tt.signature, tt.now)
			if code := examhall.ErrorCode(err); code != tt.wantCode {
				t.Errorf("code = %q, want %q (err %v)", code, tt.wantCode, err)
			}
			if err != nil && tt.key != "" && strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q holds the key", err)
			}
		})
	}
}

func BenchmarkStreamURLs(b *testing.B) {
	s := New(testConfig())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.StreamURLs("0123456789abcdef", "fedcba9876543210fedcba9876543210", "00112233445566778899aabbccddeeff", fixedNow); err != nil {
			b.Fatal(err)
		}
	}
}

// The demo accepts unsigned callbacks when no key is set, and still checks
// them when one is.
func TestVerifyCallbackAllowUnsigned(t *testing.T) {
	cfg := testConfig()
	cfg.CallbackKey, cfg.AllowUnsignedCallbacks = "", true
	if err := New(cfg).VerifyCallback("live.example.com", "", "", fixedNow); err != nil {
		t.Errorf("unsigned, no key, allowed: %v", err)
	}
	cfg.CallbackKey = "cbkey"
	if err := New(cfg).VerifyCallback("live.example.com", "", "", fixedNow); examhall.ErrorCode(err) != examhall.EUNAUTHORIZED {
		t.Errorf("unsigned with a key: %v, want unauthorized", err)
	}
}
