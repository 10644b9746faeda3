package im

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// rongToken registers userID with RongCloud and returns its token
// (POST /user/getToken.json). Every server API call carries App-Key, Nonce
// (at most 18 characters), Timestamp (milliseconds) and
// Signature = hex(sha1(appSecret + nonce + timestamp)). The user's display
// name is its ID, as in the vendor's AppServer.
func (s *Service) rongToken(ctx context.Context, userID string) (string, error) {
	form := url.Values{"userId": {userID}, "name": {userID}, "portraitUri": {""}}
	var out struct {
		Code   int    `json:"code"`
		UserID string `json:"userId"`
		Token  string `json:"token"`
	}
	if err := s.rongCall(ctx, "/user/getToken.json", form, &out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", errorf("rong_cloud user/getToken: answer has no token")
	}
	return out.Token, nil
}

// rongCall posts form to a RongCloud server API path and decodes the JSON
// answer into out. Any HTTP status but 200 or any "code" but 200 is an error.
func (s *Service) rongCall(ctx context.Context, path string, form url.Values, out any) error {
	nonce := s.random(8) // 16 characters
	ts := strconv.FormatInt(s.now().UnixMilli(), 10)
	sum := sha1.Sum([]byte(s.cfg.RongAppSecret + nonce + ts))

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.RongAPIURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return errorf("rong_cloud %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("App-Key", s.cfg.RongAppKey)
	req.Header.Set("Nonce", nonce)
	req.Header.Set("Timestamp", ts)
	req.Header.Set("Signature", hex.EncodeToString(sum[:]))

	resp, err := s.http.Do(req)
	if err != nil {
		return errorf("rong_cloud %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return errorf("rong_cloud %s: read answer: %w", path, err)
	}
	var head struct {
		Code         int    `json:"code"`
		ErrorMessage string `json:"errorMessage"`
	}
	jsonErr := json.Unmarshal(body, &head)
	switch {
	case resp.StatusCode != http.StatusOK && jsonErr == nil && head.Code != 0:
		return errorf("rong_cloud %s: HTTP %d: code %d: %s", path, resp.StatusCode, head.Code, head.ErrorMessage)
	case resp.StatusCode != http.StatusOK:
		return errorf("rong_cloud %s: HTTP %d", path, resp.StatusCode)
	case jsonErr != nil:
		return errorf("rong_cloud %s: decode answer: %w", path, jsonErr)
	case head.Code != 200:
		return errorf("rong_cloud %s: code %d: %s", path, head.Code, head.ErrorMessage)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return errorf("rong_cloud %s: decode answer: %w", path, err)
	}
	return nil
}
