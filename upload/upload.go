// Package upload issues short-lived OSS upload credentials with Alibaba Cloud
// STS (AssumeRole). Each set is narrowed by a session policy to putting
// objects under <bucket>/<base path>/<examId>/<userId>/, so a client can
// upload its own recordings and snapshots and nothing else. It implements
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
	BasePath        string        // EXAMHALL_UPLOAD_BASE_PATH: key prefix inside the bucket; may be empty
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

// UploadCredentials returns STS credentials allowing only oss:PutObject on
// <bucket>/<base path>/<examID>/<userID>/*. mode is "" or "OSS"; VOD uploads
// are not supported. EINVALID: a bad mode or ID. EUNAVAILABLE: missing
// settings (named in the message) or an STS failure.
func (s *Service) UploadCredentials(ctx context.Context, examID, userID, mode string) (*examhall.UploadCredentials, error) {
	switch {
	case mode == "" || strings.EqualFold(mode, "OSS"):
	case strings.EqualFold(mode, "VOD"):
		return nil, examhall.Errorf(examhall.EINVALID, "VOD uploads are not supported by this server: use mode=OSS")
	default:
		return nil, examhall.Errorf(examhall.EINVALID, "unknown upload mode %q: use OSS", truncate(mode, 16))
	}
	if !validID(examID) {
		return nil, examhall.Errorf(examhall.EINVALID, "examId must be 1 to %d letters, digits, '_' or '-'", examhall.MaxIDLen)
	}
	if !validID(userID) {
		return nil, examhall.Errorf(examhall.EINVALID, "userId must be 1 to %d letters, digits, '_' or '-'", examhall.MaxIDLen)
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
	err := s.sts.Call(ctx, "AssumeRole", map[string]string{
		"RoleArn":         s.cfg.RoleARN,
		"RoleSessionName": sessionName(userID),
		"DurationSeconds": strconv.Itoa(int(s.cfg.Duration / time.Second)),
		"Policy":          s.policy(examID, userID),
	}, &out)
	if err != nil {
		return nil, unavailable(err)
	}
	c := out.Credentials
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil || c.AccessKeyID == "" || c.AccessKeySecret == "" || c.SecurityToken == "" {
		return nil, unavailable(fmt.Errorf("upload: AssumeRole answer lacks credentials or a valid Expiration (%q)", c.Expiration))
	}
	return &examhall.UploadCredentials{
		Region:          s.cfg.Region,
		AccessKeyID:     c.AccessKeyID,
		AccessKeySecret: c.AccessKeySecret,
		STSToken:        c.SecurityToken,
		Bucket:          s.cfg.Bucket,
		Expiration:      exp,
	}, nil
}

// Prefix is the object key prefix of one candidate's uploads in one exam:
// "<base path>/<examID>/<userID>/" (no base path: "<examID>/<userID>/").
func (s *Service) Prefix(examID, userID string) string {
	if s.cfg.BasePath == "" {
		return examID + "/" + userID + "/"
	}
	return s.cfg.BasePath + "/" + examID + "/" + userID + "/"
}

// policy is the session policy: the credentials can do no more than put
// objects under the candidate's prefix, whatever the role allows.
func (s *Service) policy(examID, userID string) string {
	type statement struct {
		Effect   string
		Action   []string
		Resource []string
	}
	p := struct {
		Version   string
		Statement []statement
	}{
		Version: "1",
		Statement: []statement{{
			Effect:   "Allow",
			Action:   []string{"oss:PutObject"},
			Resource: []string{"acs:oss:*:*:" + s.cfg.Bucket + "/" + s.Prefix(examID, userID) + "*"},
		}},
	}
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

// validID accepts IDs that can be one segment of an object key.
func validID(id string) bool {
	if id == "" || len(id) > examhall.MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
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
