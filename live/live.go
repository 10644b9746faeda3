// Package live signs the ARTC stream URLs of the proctoring cameras with
// the CDN's type-A URL authentication (Alibaba Cloud CDN / ApsaraVideo
// Live) and verifies the live center's HTTP callbacks.
//
// A signed URL carries auth_key={exp}-{rand}-{uid}-{md5hex(path-exp-rand-uid-key)}
// where exp is the expiry in Unix seconds, rand a random string without '-',
// uid "0" and path "/{appName}/{stream}". Push URLs are signed with the push
// domain's key, pull URLs with the pull domain's key.
package live

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"examhall"
)

// Defaults of Config.
const (
	DefaultAppName     = "exam"
	DefaultSmallSuffix = "_240p"
	DefaultAuthTTL     = 4 * time.Hour
)

// CallbackMaxSkew is how far a callback's ALI-LIVE-TIMESTAMP may be from now,
// either way.
const CallbackMaxSkew = 5 * time.Minute

// Config holds the live-streaming settings. Domains are host names only
// (no scheme, no path).
type Config struct {
	PushDomain      string        // EXAMHALL_LIVE_PUSH_DOMAIN: ingest domain; required
	PullDomain      string        // EXAMHALL_LIVE_PULL_DOMAIN: playback domain of the original streams; required
	SmallPullDomain string        // EXAMHALL_LIVE_SMALL_PULL_DOMAIN: playback domain of the small streams; default PullDomain
	PushAuthKey     string        // EXAMHALL_LIVE_PUSH_AUTH_KEY: type-A key of the push domain; required, secret
	PullAuthKey     string        // EXAMHALL_LIVE_PULL_AUTH_KEY: type-A key of the pull domain(s); required, secret
	AppName         string        // EXAMHALL_LIVE_APP_NAME: default "exam"
	SmallSuffix     string        // EXAMHALL_LIVE_SMALL_SUFFIX: transcoding template suffix of the small stream; default "_240p"
	AuthTTL         time.Duration // EXAMHALL_LIVE_AUTH_TTL: how long signed URLs stay valid; default 4h
	CallbackKey     string        // EXAMHALL_LIVE_CALLBACK_KEY: callback authentication key (NotifyAuthKey); optional, secret
	// AllowUnsignedCallbacks accepts callbacks without a signature when
	// CallbackKey is empty (serve --demo); otherwise they are refused.
	AllowUnsignedCallbacks bool
}

// Signer signs stream URLs and verifies live callbacks. It implements
// examhall.StreamSigner and is safe for concurrent use.
type Signer struct {
	cfg     Config
	missing string // the unavailable message, "" when configured

	// Everything in a URL but the stream name and the auth_key, prepared once.
	pushPrefix, pullPrefix, smallPrefix string // "artc://{domain}/{app}/"
	pathPrefix                          string // "/{app}/"
	ttl                                 int64

	rand func(dst []byte) // fills 32 bytes with hex; replaced in tests
}

var _ examhall.StreamSigner = (*Signer)(nil)

// New returns a Signer for cfg, filling in defaults. A Signer with missing
// settings still works for VerifyCallback; StreamURLs then answers
// EUNAVAILABLE.
func New(cfg Config) *Signer {
	if cfg.SmallPullDomain == "" {
		cfg.SmallPullDomain = cfg.PullDomain
	}
	if cfg.AppName == "" {
		cfg.AppName = DefaultAppName
	}
	if cfg.SmallSuffix == "" {
		cfg.SmallSuffix = DefaultSmallSuffix
	}
	if cfg.AuthTTL <= 0 {
		cfg.AuthTTL = DefaultAuthTTL
	}
	var missing []string
	for _, s := range []struct{ val, env string }{
		{cfg.PushDomain, "EXAMHALL_LIVE_PUSH_DOMAIN"},
		{cfg.PullDomain, "EXAMHALL_LIVE_PULL_DOMAIN"},
		{cfg.PushAuthKey, "EXAMHALL_LIVE_PUSH_AUTH_KEY"},
		{cfg.PullAuthKey, "EXAMHALL_LIVE_PULL_AUTH_KEY"},
	} {
		if s.val == "" {
			missing = append(missing, s.env)
		}
	}
	s := &Signer{
		cfg:         cfg,
		pushPrefix:  "artc://" + cfg.PushDomain + "/" + cfg.AppName + "/",
		pullPrefix:  "artc://" + cfg.PullDomain + "/" + cfg.AppName + "/",
		smallPrefix: "artc://" + cfg.SmallPullDomain + "/" + cfg.AppName + "/",
		pathPrefix:  "/" + cfg.AppName + "/",
		ttl:         int64(cfg.AuthTTL / time.Second),
		rand:        randHex,
	}
	if len(missing) > 0 {
		s.missing = "live streaming is not configured: set " + strings.Join(missing, ", ")
	}
	return s
}

// Configured reports whether StreamURLs can sign: both domains and both
// auth keys are set.
func (s *Signer) Configured() bool { return s.missing == "" }

// StreamURLs returns the signed URLs of a candidate's mobile and PC cameras,
// valid until now + AuthTTL. EUNAVAILABLE names the missing settings;
// EINVALID reports an ID that cannot be part of a stream name.
func (s *Signer) StreamURLs(examID, roomID, userID string, now time.Time) (examhall.StreamURLs, error) {
	if s.missing != "" {
		return examhall.StreamURLs{}, examhall.Errorf(examhall.EUNAVAILABLE, "%s", s.missing)
	}
	for _, id := range [...]struct {
		name, val string
		dash      bool
	}{{"exam", examID, false}, {"room", roomID, true}, {"user", userID, false}} {
		if !validID(id.val, id.dash) {
			return examhall.StreamURLs{}, examhall.Errorf(examhall.EINVALID,
				"%s ID cannot be part of a stream name: use 1 to %d letters, digits, '_' or '.' (a room ID may also hold '-')", id.name, examhall.MaxIDLen)
		}
	}

	// stream = {exam}-{room}-{user}[_pc][_240p]; built once in a buffer long
	// enough for the longest variant, then sliced.
	var sb [3*examhall.MaxIDLen + 2 + 16 + 64]byte
	stream := append(sb[:0], examID...)
	stream = append(stream, '-')
	stream = append(stream, roomID...)
	stream = append(stream, '-')
	stream = append(stream, userID...)
	n := len(stream)
	stream = append(stream, examhall.PCStreamSuffix...)
	pc := len(stream)

	var eb [20]byte
	exp := strconv.AppendInt(eb[:0], now.Unix()+s.ttl, 10)
	var rb [32]byte
	s.rand(rb[:])

	// All six URLs go into one buffer and become one string: one allocation.
	const push = "?grtn_twin_rtmp=on&auth_key="
	const pull = "?auth_key="
	small := s.cfg.SmallSuffix
	var buf [2048]byte
	var end [6]int
	b := buf[:0]
	for i, u := range [6]struct {
		prefix string
		stream []byte
		suffix string
		query  string
		key    string
	}{
		{s.pushPrefix, stream[:n], "", push, s.cfg.PushAuthKey},
		{s.pullPrefix, stream[:n], "", pull, s.cfg.PullAuthKey},
		{s.smallPrefix, stream[:n], small, pull, s.cfg.PullAuthKey},
		{s.pushPrefix, stream[:pc], "", push, s.cfg.PushAuthKey},
		{s.pullPrefix, stream[:pc], "", pull, s.cfg.PullAuthKey},
		{s.smallPrefix, stream[:pc], small, pull, s.cfg.PullAuthKey},
	} {
		b = s.appendURL(b, u.prefix, u.stream, u.suffix, u.query, exp, rb[:], u.key)
		end[i] = len(b)
	}
	all := string(b)
	return examhall.StreamURLs{
		RTCPushURL:   all[:end[0]],
		RTCPullURL:   all[end[0]:end[1]],
		RTSPullURL:   all[end[1]:end[2]],
		PCRTCPushURL: all[end[2]:end[3]],
		PCRTCPullURL: all[end[3]:end[4]],
		PCRTSPullURL: all[end[4]:end[5]],
	}, nil
}

// appendURL appends prefix+stream+suffix+query+"{exp}-{rand}-0-{md5hex}".
func (s *Signer) appendURL(dst []byte, prefix string, stream []byte, suffix, query string, exp, r []byte, key string) []byte {
	// md5 input: /{app}/{stream}{suffix}-{exp}-{rand}-0-{key}
	var hb [512]byte
	h := append(hb[:0], s.pathPrefix...)
	h = append(h, stream...)
	h = append(h, suffix...)
	h = append(h, '-')
	h = append(h, exp...)
	h = append(h, '-')
	h = append(h, r...)
	h = append(h, "-0-"...)
	h = append(h, key...)
	sum := md5.Sum(h)

	dst = append(dst, prefix...)
	dst = append(dst, stream...)
	dst = append(dst, suffix...)
	dst = append(dst, query...)
	dst = append(dst, exp...)
	dst = append(dst, '-')
	dst = append(dst, r...)
	dst = append(dst, "-0-"...)
	return hex.AppendEncode(dst, sum[:])
}

// validID accepts what may go into a stream name and a URL path unescaped.
// '-' separates the parts of a stream name, so only the room ID (the middle
// part) may contain it.
func validID(id string, dash bool) bool {
	if id == "" || len(id) > examhall.MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || dash && c == '-') {
			return false
		}
	}
	return true
}

// randHex fills dst (32 bytes) with 16 random bytes in hex.
func randHex(dst []byte) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	hex.Encode(dst, b[:])
}

// VerifyCallback checks the authentication headers of a live-center callback
// such as /exam/userAct: timestamp is ALI-LIVE-TIMESTAMP (Unix seconds) and
// signature ALI-LIVE-SIGNATURE = md5hex("{domain}|{timestamp}|{CallbackKey}").
//
// The vendor signs recording and snapshot callbacks with the host of the
// callback URL, but stream-ingest callbacks (publish, publish_done) with the
// ingest domain; so a signature made with host or with the configured push
// domain is accepted.
//
// With no CallbackKey configured it refuses every callback (EUNAVAILABLE,
// naming the setting): an unsigned callback would let anyone change who is
// online. AllowUnsignedCallbacks (the demo) accepts them instead. With a
// key, a missing, malformed, wrong or stale (more than CallbackMaxSkew from
// now) signature is EUNAUTHORIZED.
func (s *Signer) VerifyCallback(host, timestamp, signature string, now time.Time) error {
	key := s.cfg.CallbackKey
	if key == "" {
		if s.cfg.AllowUnsignedCallbacks {
			return nil
		}
		return examhall.Errorf(examhall.EUNAVAILABLE, "stream callbacks are refused until EXAMHALL_LIVE_CALLBACK_KEY is set (only serve --demo accepts them unsigned)")
	}
	if timestamp == "" || signature == "" {
		return examhall.Errorf(examhall.EUNAUTHORIZED, "live callback is not signed: ALI-LIVE-TIMESTAMP and ALI-LIVE-SIGNATURE are required")
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return examhall.Errorf(examhall.EUNAUTHORIZED, "live callback timestamp is malformed")
	}
	if d := now.Unix() - ts; d > int64(CallbackMaxSkew/time.Second) || d < -int64(CallbackMaxSkew/time.Second) {
		return examhall.Errorf(examhall.EUNAUTHORIZED, "live callback timestamp is too far from the server's time")
	}
	got := []byte(strings.ToLower(signature))
	ok := 0
	for _, domain := range [...]string{host, s.cfg.PushDomain} {
		if domain == "" {
			continue
		}
		sum := md5.Sum([]byte(domain + "|" + timestamp + "|" + key))
		var want [32]byte
		hex.Encode(want[:], sum[:])
		ok |= subtle.ConstantTimeCompare(got, want[:])
	}
	if ok != 1 {
		return examhall.Errorf(examhall.EUNAUTHORIZED, "live callback signature does not match")
	}
	return nil
}
