package im

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"examhall"
)

// aliyunNewToken signs an aliyun_new login token locally:
// appToken = hex(sha256(appId + appKey + userId + nonce + timestamp + role)),
// with nonce "AK-" + random (at most 64 bytes) and timestamp the expiry in
// Unix seconds.
func (s *Service) aliyunNewToken(userID, role string) *examhall.AliyunNewIM {
	nonce := "AK-" + s.random(16)
	exp := s.now().Add(s.cfg.AliyunTokenTTL).Unix()
	sum := sha256.Sum256([]byte(s.cfg.AliyunAppID + s.cfg.AliyunAppKey + userID + nonce + strconv.FormatInt(exp, 10) + role))
	return &examhall.AliyunNewIM{
		AppID:    s.cfg.AliyunAppID,
		AppSign:  s.cfg.AliyunAppSign,
		AppToken: hex.EncodeToString(sum[:]),
		Auth: examhall.AliyunNewAuth{
			UserID:    userID,
			Nonce:     nonce,
			Timestamp: exp,
			Role:      role,
		},
	}
}

// aliyunNewGroup creates the aliyun_new group groupID through the Live
// OpenAPI (CreateLiveMessageGroup). A group that already exists is fine; one
// that was deleted cannot be used again.
func (s *Service) aliyunNewGroup(ctx context.Context, groupID string) error {
	var out struct {
		GroupID       string `json:"GroupId"`
		AlreadyExists bool
		AlreadyDelete bool
	}
	err := s.live.Call(ctx, "CreateLiveMessageGroup", map[string]string{
		"AppId":     s.cfg.AliyunAppID,
		"GroupId":   groupID,
		"CreatorId": GroupCreatorID,
	}, &out)
	if err != nil {
		return err
	}
	if out.AlreadyDelete {
		return errorf("CreateLiveMessageGroup: group %s was deleted", groupID)
	}
	return nil
}
