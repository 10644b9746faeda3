package im

import (
	"context"
	"encoding/json"
	"strings"

	"examhall"
)

// checkDevice validates the device of an aliyun_old token request and
// returns the device type in lower case, as the vendor lists it.
func checkDevice(deviceID, deviceType string) (string, error) {
	if deviceID == "" || len(deviceID) > 64 {
		return "", examhall.Errorf(examhall.EINVALID, "deviceId is required for aliyun_old (at most 64 characters)")
	}
	t := strings.ToLower(deviceType)
	switch t {
	case "ios", "android", "web", "pc":
		return t, nil
	}
	return "", examhall.Errorf(examhall.EINVALID, "deviceType must be ios, android, web or pc for aliyun_old")
}

// aliyunOldToken gets a long-connection token pair (GetMessageToken).
func (s *Service) aliyunOldToken(ctx context.Context, userID, deviceID, deviceType string) (*examhall.AliyunOldIM, error) {
	var out struct {
		Result struct {
			AccessToken  string
			RefreshToken string
		}
	}
	err := s.live.Call(ctx, "GetMessageToken", map[string]string{
		"AppId":      s.cfg.OldAppID,
		"UserId":     userID,
		"DeviceId":   deviceID,
		"DeviceType": deviceType,
	}, &out)
	if err != nil {
		return nil, err
	}
	if out.Result.AccessToken == "" {
		return nil, errorf("GetMessageToken: answer has no AccessToken")
	}
	return &examhall.AliyunOldIM{AccessToken: out.Result.AccessToken, RefreshToken: out.Result.RefreshToken}, nil
}

// aliyunOldGroup creates a message group (CreateMessageGroup) and returns
// the ID the vendor gave it. The room ID goes into the group's Extension.
func (s *Service) aliyunOldGroup(ctx context.Context, roomID string) (string, error) {
	ext, err := json.Marshal(map[string]string{"roomId": roomID})
	if err != nil {
		return "", err
	}
	var out struct {
		Result struct {
			GroupID string `json:"GroupId"`
		}
	}
	err = s.live.Call(ctx, "CreateMessageGroup", map[string]string{
		"AppId":     s.cfg.OldAppID,
		"CreatorId": GroupCreatorID,
		"Extension": string(ext),
	}, &out)
	if err != nil {
		return "", err
	}
	if out.Result.GroupID == "" {
		return "", errorf("CreateMessageGroup: answer has no GroupId")
	}
	return out.Result.GroupID, nil
}
