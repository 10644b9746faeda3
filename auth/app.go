package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"examhall"
)

// CreateApp creates open-API credentials named name and returns the app and
// its secret, which exists only in this answer: the store keeps a hash.
// EINVALID for an empty name or one over examhall.MaxNameLen characters.
func (s *Service) CreateApp(ctx context.Context, name string) (*examhall.App, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", examhall.Errorf(examhall.EINVALID, "app name required")
	}
	if utf8.RuneCountInString(name) > examhall.MaxNameLen {
		return nil, "", examhall.Errorf(examhall.EINVALID, "app name must be at most %d characters", examhall.MaxNameLen)
	}
	secret := examhall.NewID(32)
	app := &examhall.App{
		ID:         examhall.NewID(8),
		Name:       name,
		SecretHash: hashSecret(secret),
	}
	if err := s.apps.CreateApp(ctx, app); err != nil {
		return nil, "", fmt.Errorf("auth: create app: %w", err)
	}
	return app, secret, nil
}

// hashSecret returns the hex SHA-256 of an app secret. Unlike passwords,
// secrets are 256 random bits, so a fast hash cannot be brute-forced and a
// slow one (bcrypt) would only slow down every token request.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// AppToken exchanges an appid and its secret for an access token valid for
// the returned duration. An unknown app, a wrong secret and a disabled app
// all return the same EUNAUTHORIZED error.
func (s *Service) AppToken(ctx context.Context, appID, secret string) (string, time.Duration, error) {
	if appID == "" || len(appID) > examhall.MaxIDLen || secret == "" {
		return "", 0, errBadApp
	}
	app, err := s.apps.FindAppByID(ctx, appID)
	if examhall.ErrorCode(err) == examhall.ENOTFOUND {
		return "", 0, errBadApp
	} else if err != nil {
		return "", 0, fmt.Errorf("auth: app token: %w", err)
	}
	// Constant time, so the response time does not reveal how much of the
	// hash matched.
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(app.SecretHash)) != 1 || app.Disabled {
		return "", 0, errBadApp
	}
	token, err := s.sign(kindApp, app.ID, "", 0, s.now().Add(s.appTokenTTL))
	if err != nil {
		return "", 0, err
	}
	return token, s.appTokenTTL, nil
}

// VerifyAppToken returns the appid of a valid access token, which may carry a
// "Bearer " prefix. It returns examhall.ErrTokenExpired for an expired token
// and another EUNAUTHORIZED error for a missing or invalid one, or for an
// app that is gone or disabled.
func (s *Service) VerifyAppToken(ctx context.Context, token string) (string, error) {
	c, err := s.verify(token, kindApp)
	if err != nil {
		return "", err
	}
	// Look the app up again so that disabling it cuts off its tokens at
	// once rather than within two hours.
	app, err := s.apps.FindAppByID(ctx, c.Subject)
	if examhall.ErrorCode(err) == examhall.ENOTFOUND {
		return "", errInvalidToken
	} else if err != nil {
		return "", fmt.Errorf("auth: verify app token: %w", err)
	}
	if app.Disabled {
		return "", errInvalidToken
	}
	return app.ID, nil
}
