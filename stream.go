package examhall

import (
	"context"
	"strings"
	"time"
)

// PCStreamSuffix marks the stream of a candidate's main (PC) camera.
const PCStreamSuffix = "_pc"

// StreamName is the live stream of one candidate's camera in one room:
// "{examId}-{roomId}-{userId}", with PCStreamSuffix for the PC camera.
func StreamName(examID, roomID, userID string, pc bool) string {
	s := examID + "-" + roomID + "-" + userID
	if pc {
		s += PCStreamSuffix
	}
	return s
}

// ParseStreamName splits a stream name made by StreamName. Exam and user IDs
// never contain '-', so the room ID is whatever lies between the first and the
// last '-'. Any suffix after an '_' (the PC camera, a transcoding template)
// is dropped from the user ID.
func ParseStreamName(s string) (examID, roomID, userID string, err error) {
	i, j := strings.Index(s, "-"), strings.LastIndex(s, "-")
	if i <= 0 || j <= i+1 || j == len(s)-1 {
		return "", "", "", Errorf(EINVALID, "stream name %q is not {examId}-{roomId}-{userId}", s)
	}
	userID = s[j+1:]
	if k := strings.Index(userID, "_"); k >= 0 {
		userID = userID[:k]
	}
	if userID == "" {
		return "", "", "", Errorf(EINVALID, "stream name %q has no user ID", s)
	}
	return s[:i], s[i+1 : j], userID, nil
}

// StreamURLs are the signed URLs of one candidate's two cameras: the mobile
// (secondary) camera and the PC (main) camera, each with a push URL, a pull
// URL of the original stream and a pull URL of the small transcoded stream.
type StreamURLs struct {
	RTCPushURL   string `json:"rtcPushUrl"`
	RTCPullURL   string `json:"rtcPullUrl"`
	RTSPullURL   string `json:"rtsPullUrl"`
	PCRTCPushURL string `json:"pcRtcPushUrl"`
	PCRTCPullURL string `json:"pcRtcPullUrl"`
	PCRTSPullURL string `json:"pcRtsPullUrl"`
}

// StreamSigner signs stream URLs. EUNAVAILABLE names missing settings.
type StreamSigner interface {
	StreamURLs(examID, roomID, userID string, now time.Time) (StreamURLs, error)
}

// IMServer names an instant-messaging service the clients can use.
type IMServer string

// IM servers.
const (
	IMAliyunNew IMServer = "aliyun_new"
	IMAliyunOld IMServer = "aliyun_old"
	IMRongCloud IMServer = "rong_cloud"
)

// ParseIMServers checks a request's imServer list.
func ParseIMServers(names []string) ([]IMServer, error) {
	out := make([]IMServer, 0, len(names))
	for _, n := range names {
		switch s := IMServer(n); s {
		case IMAliyunNew, IMAliyunOld, IMRongCloud:
			out = append(out, s)
		default:
			return nil, Errorf(EINVALID, "unknown imServer %q: use aliyun_new, aliyun_old or rong_cloud", n)
		}
	}
	return out, nil
}

// IMTokenRequest asks for a user's IM tokens.
type IMTokenRequest struct {
	UserID     string
	DeviceID   string // aliyun_old only
	DeviceType string // aliyun_old only: ios, android, web, pc
	Role       string // aliyun_new only: "admin" may call management APIs
	Servers    []IMServer
}

// AliyunNewIM is the aliyun_new token set.
type AliyunNewIM struct {
	AppID    string        `json:"appId"`
	AppSign  string        `json:"appSign"`
	AppToken string        `json:"appToken"`
	Auth     AliyunNewAuth `json:"auth"`
}

// AliyunNewAuth is the signed part of an aliyun_new token.
type AliyunNewAuth struct {
	UserID    string `json:"userId"`
	Nonce     string `json:"nonce"`
	Timestamp int64  `json:"timestamp"` // expiry, Unix seconds
	Role      string `json:"role"`
}

// AliyunOldIM is the aliyun_old token pair.
type AliyunOldIM struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
}

// IMTokens holds one entry per requested server.
type IMTokens struct {
	AliyunOldIM *AliyunOldIM `json:"aliyunOldIm,omitempty"`
	AliyunNewIM *AliyunNewIM `json:"aliyunNewIm,omitempty"`
	RongToken   string       `json:"rongToken,omitempty"`
}

// IM issues IM tokens and creates message groups. EUNAVAILABLE names the
// settings a requested server is missing.
type IM interface {
	Tokens(ctx context.Context, req IMTokenRequest) (*IMTokens, error)
	// CreateGroup creates the message group of a new room where a server
	// needs one and returns its ID; otherwise the ID is roomID.
	CreateGroup(ctx context.Context, servers []IMServer, roomID string) (string, error)
}

// UploadCredentials are short-lived credentials to upload into one prefix.
type UploadCredentials struct {
	Region          string    `json:"region"`
	AccessKeyID     string    `json:"accessKeyId"`
	AccessKeySecret string    `json:"accessKeySecret"`
	STSToken        string    `json:"stsToken"`
	Bucket          string    `json:"bucket"`
	Expiration      time.Time `json:"expiration"`
}

// Upload modes of getOssConfig: the AUI examinee client uploads its local
// recordings to OSS with ali-oss, or to VOD with the VOD upload SDK, both
// with the STS credentials it is given.
const (
	UploadOSS = "OSS"
	UploadVOD = "VOD"
)

// UploadRequest asks for credentials to upload one examinee's recordings of
// one exam.
type UploadRequest struct {
	ExamID string
	UserID string
	// RoomIDs are the examinee's rooms in the exam. The client names OSS
	// objects after its stream, <base>/<examId>-<roomId>-<userId>/<file>
	// (Web/exam-examinee/src/core/MediaRecorder: index.ts, OSSUploader.ts),
	// so the credentials allow exactly those prefixes.
	RoomIDs []string
	Mode    string // UploadOSS or UploadVOD
}

// Uploader issues upload credentials: for OSS scoped to the examinee's own
// prefixes, for VOD to creating uploads (VOD chooses the object names).
// EINVALID for a bad mode or ID, EUNAVAILABLE names missing settings.
type Uploader interface {
	UploadCredentials(ctx context.Context, req UploadRequest) (*UploadCredentials, error)
}
