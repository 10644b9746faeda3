package aui

import (
	"fmt"
	"net/http"
	"slices"

	"examhall"
)

// maxPasswordLen bounds the password a login may send; hashing longer input
// only costs CPU.
const maxPasswordLen = 1024

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (q *loginRequest) validate() error {
	if err := checkLen("username", q.Username, true, examhall.MaxAccountLen); err != nil {
		return err
	}
	return checkLen("password", q.Password, true, maxPasswordLen)
}

type loginData struct {
	Token  string `json:"token"`
	Expire string `json:"expire"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) (any, error) {
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	token, expire, err := s.Auth.Login(r.Context(), req.Username, req.Password, r.RemoteAddr)
	if err != nil {
		return nil, err
	}
	return loginData{Token: token, Expire: s.rfc3339(expire)}, nil
}

// imTokenRequest is the body of v2/getIMToken.
type imTokenRequest struct {
	RoomID     string   `json:"roomId"`
	DeviceID   string   `json:"deviceId"`
	DeviceType string   `json:"deviceType"`
	UserID     string   `json:"userId"`
	IMServer   []string `json:"imServer"`
	Role       string   `json:"role"`

	servers []examhall.IMServer
}

func (q *imTokenRequest) validate() error {
	for _, f := range []struct{ name, value string }{
		{"userId", q.UserID}, {"roomId", q.RoomID}, {"deviceId", q.DeviceID}, {"deviceType", q.DeviceType},
	} {
		if err := checkID(f.name, f.value, f.name == "userId"); err != nil {
			return err
		}
	}
	if q.Role != "" && q.Role != "admin" {
		return examhall.Errorf(examhall.EINVALID, `role must be "" or "admin"`)
	}
	if len(q.IMServer) == 0 {
		return examhall.Errorf(examhall.EINVALID, "imServer is required: a list of aliyun_new, aliyun_old or rong_cloud")
	}
	var err error
	if q.servers, err = examhall.ParseIMServers(q.IMServer); err != nil {
		return err
	}
	// The old Aliyun IM binds its token to a device.
	if slices.Contains(q.servers, examhall.IMAliyunOld) {
		if q.DeviceID == "" || q.DeviceType == "" {
			return examhall.Errorf(examhall.EINVALID, "deviceId and deviceType are required for aliyun_old")
		}
	}
	return nil
}

// legacyIMTokenRequest is the body of the v1 getIMToken. The vendor's v1
// endpoint (AUIExam Server, RoomInfoController and the Go exam_handler) took
// {userId, deviceId, deviceType}, all required, and answered the old Aliyun
// IM's pair flat: {accessToken, refreshToken}. We mirror that, always for
// aliyun_old (imServer is ignored), and take roomId as v2 does. Unlike the
// vendor, which copied the access token into refreshToken, we return the
// provider's real refresh token.
type legacyIMTokenRequest struct{ imTokenRequest }

func (q *legacyIMTokenRequest) validate() error {
	q.IMServer, q.Role = []string{string(examhall.IMAliyunOld)}, ""
	return q.imTokenRequest.validate()
}

func (s *Server) imToken(w http.ResponseWriter, r *http.Request) (any, error) {
	var req imTokenRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	return s.doIMToken(r, &req)
}

func (s *Server) imTokenLegacy(w http.ResponseWriter, r *http.Request) (any, error) {
	var req legacyIMTokenRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	tokens, err := s.doIMToken(r, &req.imTokenRequest)
	if err != nil {
		return nil, err
	}
	if tokens.AliyunOldIM == nil {
		return nil, fmt.Errorf("aui: IM returned no aliyun_old token")
	}
	return tokens.AliyunOldIM, nil
}

// doIMToken issues IM tokens to the caller for themselves (admins: for
// anyone); with a room, only when the caller may read it. Only staff may ask
// for the IM's admin role, which may call its management APIs.
func (s *Server) doIMToken(r *http.Request, req *imTokenRequest) (*examhall.IMTokens, error) {
	ctx := r.Context()
	if err := s.Policy.Self(ctx, req.UserID); err != nil {
		return nil, err
	}
	if req.RoomID != "" {
		if _, err := s.Policy.Room(ctx, req.RoomID, false); err != nil {
			return nil, err
		}
	}
	if req.Role == "admin" {
		if err := s.Policy.Staff(ctx); err != nil {
			return nil, err
		}
	}
	tokens, err := s.IM.Tokens(ctx, examhall.IMTokenRequest{
		UserID:     req.UserID,
		DeviceID:   req.DeviceID,
		DeviceType: req.DeviceType,
		Role:       req.Role,
		Servers:    req.servers,
	})
	if err != nil {
		return nil, err
	}
	if tokens == nil {
		tokens = &examhall.IMTokens{}
	}
	return tokens, nil
}
