// Package upload issues short-lived upload credentials with Alibaba Cloud
// STS (AssumeRole), for the AUI examinee client's local recordings. In OSS
// mode each set is narrowed by a session policy to putting objects under
// <bucket>/<base path>/<examId>-<roomId>-<userId>/ for the examinee's own
// rooms, the key the client writes (basePath + stream name + "/" + file), so
// a client can upload its own recordings and nothing else. In VOD mode the
// policy allows only creating and refreshing VOD uploads (VOD picks the
// object names; the client cannot choose a path). It implements
// examhall.Uploader.
package upload

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"examhall"
	"examhall/internal/aliyunrpc"
)

// Defaults and limits of Config.
const (
	DefaultSTSURL   = "https://sts.aliyuncs.com/"
	DefaultDuration = 15 * time.Minute
	DefaultBasePath = "record/local"    // the AUI client's default basePath, "/record/local/"
	MinDuration     = 900 * time.Second // STS refuses shorter sessions
	MaxDuration     = 12 * time.Hour    // STS's upper bound (a role may allow less)
)

// STSAPIVersion is the STS OpenAPI version.
const STSAPIVersion = "2015-04-01"

// Config holds the upload settings.
type Config struct {
	RoleARN         string        // EXAMHALL_UPLOAD_ROLE_ARN: RAM role to assume, e.g. acs:ram::<account>:role/<name>; required
	Region          string        // EXAMHALL_UPLOAD_REGION: OSS region as clients want it, e.g. oss-cn-hangzhou; required
	Bucket          string        // EXAMHALL_UPLOAD_BUCKET: required
	BasePath        string        // EXAMHALL_UPLOAD_BASE_PATH: key prefix inside the bucket, the client's CONFIG.localRecorder.basePath; DefaultBasePath if empty, "/" for none
	STSURL          string        // EXAMHALL_UPLOAD_STS_URL: default https://sts.aliyuncs.com/
	AccessKeyID     string        // EXAMHALL_ALIYUN_ACCESS_KEY_ID: required
	AccessKeySecret string        // EXAMHALL_ALIYUN_ACCESS_KEY_SECRET: required, secret
	Duration        time.Duration // EXAMHALL_UPLOAD_DURATION: credential lifetime; default 15m, at least 900s, at most 12h
}

// Service implements examhall.Uploader. It is safe for concurrent use.
type Service struct {
	cfg     Config
	sts     *aliyunrpc.Client
	missing string // the unavailable message, "" when configured
}

var _ examhall.Uploader = (*Service)(nil)

// New returns a Service for cfg, filling in defaults. hc nil means
// http.DefaultClient, now nil means time.Now (it stamps the STS requests).
func New(cfg Config, hc *http.Client, now examhall.Clock) *Service {
	if cfg.STSURL == "" {
		cfg.STSURL = DefaultSTSURL
	}
	switch {
	case cfg.Duration <= 0:
		cfg.Duration = DefaultDuration
	case cfg.Duration < MinDuration:
		cfg.Duration = MinDuration
	case cfg.Duration > MaxDuration:
		cfg.Duration = MaxDuration
	}
	if cfg.BasePath == "" {
		cfg.BasePath = DefaultBasePath
	}
	cfg.BasePath = strings.Trim(cfg.BasePath, "/")

	var missing []string
	for _, s := range []struct{ val, env string }{
		{cfg.RoleARN, "EXAMHALL_UPLOAD_ROLE_ARN"},
		{cfg.Region, "EXAMHALL_UPLOAD_REGION"},
		{cfg.Bucket, "EXAMHALL_UPLOAD_BUCKET"},
		{cfg.AccessKeyID, "EXAMHALL_ALIYUN_ACCESS_KEY_ID"},
		{cfg.AccessKeySecret, "EXAMHALL_ALIYUN_ACCESS_KEY_SECRET"},
	} {
		if s.val == "" {
			missing = append(missing, s.env)
		}
	}
	s := &Service{
		cfg: cfg,
		sts: &aliyunrpc.Client{
			Endpoint:        cfg.STSURL,
			Version:         STSAPIVersion,
			AccessKeyID:     cfg.AccessKeyID,
			AccessKeySecret: cfg.AccessKeySecret,
			HTTPClient:      hc,
			Now:             now,
		},
	}
	if len(missing) > 0 {
		s.missing = "uploads are not configured: set " + strings.Join(missing, ", ")
	}
	return s
}

// Configured reports whether every required setting is present.
func (s *Service) Configured() bool { return s.missing == "" }

// maxRooms bounds the prefixes of one policy (STS limits its size).
const maxRooms = 20

// UploadCredentials returns STS credentials for req. OSS (or ""): only
// oss:PutObject on <bucket>/<base path>/<examID>-<roomID>-<userID>/* for each
// of req.RoomIDs. VOD: only vod:CreateUploadVideo and vod:RefreshUploadVideo;
// the bucket is then empty, so the client lets VOD choose its storage.
// EINVALID: a bad mode or ID, no room in OSS mode. EUNAVAILABLE: missing
// settings (named in the message) or an STS failure.
func (s *Service) UploadCredentials(ctx context.Context, req examhall.UploadRequest) (*examhall.UploadCredentials, error) {
	vod := false
	switch {
	case req.Mode == "" || strings.EqualFold(req.Mode, examhall.UploadOSS):
	case strings.EqualFold(req.Mode, examhall.UploadVOD):
		vod = true
	default:
		return nil, examhall.Errorf(examhall.EINVALID, "unknown upload mode %q: use OSS or VOD", truncate(req.Mode, 16))
	}
	if !validID(req.ExamID, false) {
		return nil, examhall.Errorf(examhall.EINVALID, "examId must be 1 to %d letters, digits or '_'", examhall.MaxIDLen)
	}
	if !validID(req.UserID, false) {
		return nil, examhall.Errorf(examhall.EINVALID, "userId must be 1 to %d letters, digits or '_'", examhall.MaxIDLen)
	}
	if !vod {
		if len(req.RoomIDs) == 0 {
			return nil, examhall.Errorf(examhall.EINVALID, "you have no room in this exam to upload recordings of")
		}
		if len(req.RoomIDs) > maxRooms {
			return nil, examhall.Errorf(examhall.EINVALID, "more than %d rooms in one exam", maxRooms)
		}
		for _, id := range req.RoomIDs {
			if !validID(id, true) {
				return nil, examhall.Errorf(examhall.EINVALID, "roomId must be 1 to %d letters, digits, '_' or '-'", examhall.MaxIDLen)
			}
		}
	}
	if s.missing != "" {
		return nil, examhall.Errorf(examhall.EUNAVAILABLE, "%s", s.missing)
	}

	var out struct {
		Credentials struct {
			AccessKeyID     string `json:"AccessKeyId"`
			AccessKeySecret string
			SecurityToken   string
			Expiration      string
		}
	}
	pol := s.vodPolicy()
	if !vod {
		pol = s.ossPolicy(req.ExamID, req.RoomIDs, req.UserID)
	}
	err := s.sts.Call(ctx, "AssumeRole", map[string]string{
		"RoleArn":         s.cfg.RoleARN,
		"RoleSessionName": sessionName(req.UserID),
		"DurationSeconds": strconv.Itoa(int(s.cfg.Duration / time.Second)),
		"Policy":          pol,
	}, &out)
	if err != nil {
		return nil, unavailable(err)
	}
	c := out.Credentials
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil || c.AccessKeyID == "" || c.AccessKeySecret == "" || c.SecurityToken == "" {
		return nil, unavailable(fmt.Errorf("upload: AssumeRole answer lacks credentials or a valid Expiration (%q)", c.Expiration))
	}
	cred := &examhall.UploadCredentials{
		Region:          s.cfg.Region,
		AccessKeyID:     c.AccessKeyID,
		AccessKeySecret: c.AccessKeySecret,
		STSToken:        c.SecurityToken,
		Bucket:          s.cfg.Bucket,
		Expiration:      exp,
	}
	if vod {
		// The client's VODUploader sets StorageLocation from the bucket
		// when there is one; VOD accepts only storage registered with it,
		// so leave the choice to VOD's default storage.
		cred.Bucket = ""
	}
	return cred, nil
}

// Prefix is the object key prefix of one examinee's recordings in one room:
// "<base path>/<examID>-<roomID>-<userID>/", the client's basePath and
// stream name (no base path: "<examID>-<roomID>-<userID>/"). IDs never hold
// '-', so no two examinees share a prefix.
func (s *Service) Prefix(examID, roomID, userID string) string {
	stream := examID + "-" + roomID + "-" + userID + "/"
	if s.cfg.BasePath == "" {
		return stream
	}
	return s.cfg.BasePath + "/" + stream
}

type statement struct {
	Effect   string
	Action   []string
	Resource []string
}

// ossPolicy is the OSS session policy: the credentials can do no more than
// put objects under the examinee's prefixes, whatever the role allows.
func (s *Service) ossPolicy(examID string, roomIDs []string, userID string) string {
	res := make([]string, len(roomIDs))
	for i, room := range roomIDs {
		res[i] = "acs:oss:*:*:" + s.cfg.Bucket + "/" + s.Prefix(examID, room, userID) + "*"
	}
	return encodePolicy(statement{Effect: "Allow", Action: []string{"oss:PutObject"}, Resource: res})
}

// vodPolicy is the VOD session policy: creating and refreshing uploads, what
// the VOD upload SDK calls with STS credentials.
func (s *Service) vodPolicy() string {
	return encodePolicy(statement{Effect: "Allow", Action: []string{"vod:CreateUploadVideo", "vod:RefreshUploadVideo"}, Resource: []string{"*"}})
}

func encodePolicy(st statement) string {
	p := struct {
		Version   string
		Statement []statement
	}{Version: "1", Statement: []statement{st}}
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // a fixed struct of strings always encodes
	}
	return string(b)
}

// sessionName is the RoleSessionName: 2 to 64 characters of letters,
// digits and . @ - _; it shows in the audit trail which user the
// credentials were for.
func sessionName(userID string) string {
	return truncate("examhall-"+userID, 64)
}

// validID accepts IDs that can be one part of a stream name in an object
// key: no '/', and '-' (the stream name's separator) only with dash, for room
// IDs. With exam and user IDs free of '-', the examinee's prefix
// <examId>-<roomId>-<userId>/ ends in their own ID and is no other's.
func validID(id string, dash bool) bool {
	if id == "" || len(id) > examhall.MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || dash && c == '-') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// unavailable is the error of a failed STS call: an EUNAVAILABLE
// *examhall.Error with a safe message, joined with the cause for logs.
func unavailable(cause error) error {
	return fmt.Errorf("%w: %w", examhall.Errorf(examhall.EUNAVAILABLE, "upload credentials are unavailable, try again later"), cause)
}
