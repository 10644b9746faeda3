// Package im issues the instant-messaging tokens the proctoring clients use
// and creates the message group of a new room. It implements examhall.IM on
// top of three vendors, each configured on its own:
//
//   - aliyun_new: Alibaba Cloud interactive messaging (new); tokens are
//     signed locally with the app key.
//   - aliyun_old: ApsaraVideo Live interactive messaging (old), through the
//     signed RPC OpenAPI (GetMessageToken, CreateMessageGroup).
//   - rong_cloud: RongCloud, through its server API (user/getToken.json).
package im

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"examhall"
	"examhall/internal/aliyunrpc"
)

// Defaults of Config.
const (
	DefaultAliyunTokenTTL = 24 * time.Hour
	DefaultRongAPIURL     = "https://api-cn.ronghub.com"
	DefaultOldAPIURL      = "https://live.aliyuncs.com/"
)

// LiveAPIVersion is the ApsaraVideo Live OpenAPI version.
const LiveAPIVersion = "2016-11-01"

// GroupCreatorID is the CreatorId of the message groups examhall creates:
// the server itself, as the rooms' groups belong to no single invigilator.
const GroupCreatorID = "examhall"

// Config holds the settings of the three IM services. A service whose
// required settings are missing answers EUNAVAILABLE; the others still work.
type Config struct {
	// aliyun_new: all three required.
	AliyunAppID    string        // EXAMHALL_IM_ALIYUN_APP_ID
	AliyunAppKey   string        // EXAMHALL_IM_ALIYUN_APP_KEY (secret)
	AliyunAppSign  string        // EXAMHALL_IM_ALIYUN_APP_SIGN
	AliyunTokenTTL time.Duration // EXAMHALL_IM_ALIYUN_TOKEN_TTL: token lifetime; default 24h

	// rong_cloud: key and secret required.
	RongAppKey    string // EXAMHALL_IM_RONGCLOUD_APP_KEY
	RongAppSecret string // EXAMHALL_IM_RONGCLOUD_APP_SECRET (secret)
	RongAPIURL    string // EXAMHALL_IM_RONGCLOUD_API_URL: default https://api-cn.ronghub.com

	// aliyun_old: all three required. The AccessKey also lets CreateGroup
	// create aliyun_new groups server-side (CreateLiveMessageGroup).
	AccessKeyID     string // EXAMHALL_ALIYUN_ACCESS_KEY_ID
	AccessKeySecret string // EXAMHALL_ALIYUN_ACCESS_KEY_SECRET (secret)
	OldAppID        string // EXAMHALL_IM_ALIYUN_OLD_APP_ID
	OldAPIURL       string // EXAMHALL_IM_ALIYUN_OLD_API_URL: ApsaraVideo Live OpenAPI endpoint; default https://live.aliyuncs.com/
}

// Service implements examhall.IM. It is safe for concurrent use.
type Service struct {
	cfg     Config
	http    *http.Client
	now     examhall.Clock
	live    *aliyunrpc.Client // ApsaraVideo Live OpenAPI, nil without an AccessKey
	missing map[examhall.IMServer]string

	random func(n int) string // n random bytes in hex; replaced in tests
}

var _ examhall.IM = (*Service)(nil)

// New returns a Service for cfg, filling in defaults. hc nil means
// http.DefaultClient, now nil means time.Now.
func New(cfg Config, hc *http.Client, now examhall.Clock) *Service {
	if cfg.AliyunTokenTTL <= 0 {
		cfg.AliyunTokenTTL = DefaultAliyunTokenTTL
	}
	if cfg.RongAPIURL == "" {
		cfg.RongAPIURL = DefaultRongAPIURL
	}
	cfg.RongAPIURL = strings.TrimRight(cfg.RongAPIURL, "/")
	if cfg.OldAPIURL == "" {
		cfg.OldAPIURL = DefaultOldAPIURL
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	if now == nil {
		now = time.Now
	}
	s := &Service{cfg: cfg, http: hc, now: now, missing: make(map[examhall.IMServer]string), random: randomHex}
	if cfg.AccessKeyID != "" && cfg.AccessKeySecret != "" {
		s.live = &aliyunrpc.Client{
			Endpoint:        cfg.OldAPIURL,
			Version:         LiveAPIVersion,
			AccessKeyID:     cfg.AccessKeyID,
			AccessKeySecret: cfg.AccessKeySecret,
			HTTPClient:      hc,
			Now:             now,
		}
	}
	type setting struct{ val, env string }
	for server, settings := range map[examhall.IMServer][]setting{
		examhall.IMAliyunNew: {
			{cfg.AliyunAppID, "EXAMHALL_IM_ALIYUN_APP_ID"},
			{cfg.AliyunAppKey, "EXAMHALL_IM_ALIYUN_APP_KEY"},
			{cfg.AliyunAppSign, "EXAMHALL_IM_ALIYUN_APP_SIGN"},
		},
		examhall.IMRongCloud: {
			{cfg.RongAppKey, "EXAMHALL_IM_RONGCLOUD_APP_KEY"},
			{cfg.RongAppSecret, "EXAMHALL_IM_RONGCLOUD_APP_SECRET"},
		},
		examhall.IMAliyunOld: {
			{cfg.AccessKeyID, "EXAMHALL_ALIYUN_ACCESS_KEY_ID"},
			{cfg.AccessKeySecret, "EXAMHALL_ALIYUN_ACCESS_KEY_SECRET"},
			{cfg.OldAppID, "EXAMHALL_IM_ALIYUN_OLD_APP_ID"},
		},
	} {
		var names []string
		for _, st := range settings {
			if st.val == "" {
				names = append(names, st.env)
			}
		}
		if len(names) > 0 {
			s.missing[server] = fmt.Sprintf("IM server %s is not configured: set %s", server, strings.Join(names, ", "))
		}
	}
	return s
}

// Configured reports whether server has all its required settings.
func (s *Service) Configured(server examhall.IMServer) bool {
	_, missing := s.missing[server]
	return known(server) && !missing
}

func known(server examhall.IMServer) bool {
	return server == examhall.IMAliyunNew || server == examhall.IMAliyunOld || server == examhall.IMRongCloud
}

// check validates a server list: at least one, all known, all configured.
// It returns the list without duplicates.
func (s *Service) check(servers []examhall.IMServer) ([]examhall.IMServer, error) {
	if len(servers) == 0 {
		return nil, examhall.Errorf(examhall.EINVALID, "imServer is required: use aliyun_new, aliyun_old or rong_cloud")
	}
	var out []examhall.IMServer
	var missing []string
	for _, sv := range servers {
		if !known(sv) {
			return nil, examhall.Errorf(examhall.EINVALID, "unknown imServer %q: use aliyun_new, aliyun_old or rong_cloud", sv)
		}
		if has(out, sv) {
			continue
		}
		out = append(out, sv)
		if m, ok := s.missing[sv]; ok {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		return nil, examhall.Errorf(examhall.EUNAVAILABLE, "%s", strings.Join(missing, "; "))
	}
	return out, nil
}

func has(servers []examhall.IMServer, s examhall.IMServer) bool {
	for _, x := range servers {
		if x == s {
			return true
		}
	}
	return false
}

// Tokens returns one token set per requested server. EINVALID: no user ID,
// no or unknown servers, a bad device for aliyun_old. EUNAVAILABLE: a
// requested server is not configured (the message names the settings) or
// its vendor failed. The role is signed into the aliyun_new token as given:
// the caller decides who may have "admin".
func (s *Service) Tokens(ctx context.Context, req examhall.IMTokenRequest) (*examhall.IMTokens, error) {
	if req.UserID == "" {
		return nil, examhall.Errorf(examhall.EINVALID, "userId is required")
	}
	servers, err := s.check(req.Servers)
	if err != nil {
		return nil, err
	}
	var deviceType string
	if has(servers, examhall.IMAliyunOld) {
		if deviceType, err = checkDevice(req.DeviceID, req.DeviceType); err != nil {
			return nil, err
		}
	}

	out := &examhall.IMTokens{}
	for _, sv := range servers {
		switch sv {
		case examhall.IMAliyunNew:
			out.AliyunNewIM = s.aliyunNewToken(req.UserID, req.Role)
		case examhall.IMAliyunOld:
			if out.AliyunOldIM, err = s.aliyunOldToken(ctx, req.UserID, req.DeviceID, deviceType); err != nil {
				return nil, unavailable(sv, err)
			}
		case examhall.IMRongCloud:
			if out.RongToken, err = s.rongToken(ctx, req.UserID); err != nil {
				return nil, unavailable(sv, err)
			}
		}
	}
	return out, nil
}

// CreateGroup prepares the message group of a new room and returns its ID.
// With aliyun_old the vendor assigns the ID (CreateMessageGroup). Otherwise
// the ID is roomID: with aliyun_new and an AccessKey configured, the group is
// also created server-side (CreateLiveMessageGroup; an existing group is
// fine), as the vendor's AppServer does; without one the clients create it.
// RongCloud chat rooms need no server-side creation: the client SDK creates
// one when it first joins. EUNAVAILABLE: a requested server is not
// configured or its vendor failed.
func (s *Service) CreateGroup(ctx context.Context, servers []examhall.IMServer, roomID string) (string, error) {
	if roomID == "" {
		return "", examhall.Errorf(examhall.EINVALID, "room ID is required")
	}
	servers, err := s.check(servers)
	if err != nil {
		return "", err
	}
	groupID := roomID
	if has(servers, examhall.IMAliyunOld) {
		if groupID, err = s.aliyunOldGroup(ctx, roomID); err != nil {
			return "", unavailable(examhall.IMAliyunOld, err)
		}
	}
	if has(servers, examhall.IMAliyunNew) && s.live != nil {
		if err := s.aliyunNewGroup(ctx, groupID); err != nil {
			return "", unavailable(examhall.IMAliyunNew, err)
		}
	}
	return groupID, nil
}

// unavailable is the error of a failed vendor call: an EUNAVAILABLE
// *examhall.Error with a safe message, joined with the cause for logs.
func unavailable(server examhall.IMServer, cause error) error {
	return fmt.Errorf("%w: %w", examhall.Errorf(examhall.EUNAVAILABLE, "IM server %s is unavailable, try again later", server), cause)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// errorf makes an internal (log-only) error of this package.
func errorf(format string, args ...any) error {
	return fmt.Errorf("im: "+format, args...)
}
