package examhall

import (
	"context"
	"time"
)

// ErrTokenExpired is returned (compare with errors.Is) for a well-signed
// token past its expiry, which the open API reports with its own code.
var ErrTokenExpired = &Error{Code: EUNAUTHORIZED, Message: "token has expired"}

// Authenticator turns credentials into callers for the /exam/ and /api/v1/
// surfaces.
type Authenticator interface {
	// Login checks an account's password and issues a session token valid
	// until expire. addr is the client's network address (an IP, with or
	// without port; "" when unknown): wrong passwords are throttled per
	// account and per address. EUNAUTHORIZED for a wrong pair or a disabled
	// user, with the same message for both; ETOOMANY while throttled.
	Login(ctx context.Context, account, password, addr string) (token string, expire time.Time, err error)
	// Authenticate verifies a session or join-link token and returns its
	// caller with the user loaded. EUNAUTHORIZED when the token is missing,
	// malformed, badly signed, expired (ErrTokenExpired), its user is gone
	// or disabled, or it was issued before the user's sessions were ended
	// (User.TokenVersion changed: a password reset, role change or disable).
	Authenticate(ctx context.Context, token string) (*Caller, error)
	// JoinToken issues a token for a join link: bound to the user and the
	// room, valid until exp.
	JoinToken(u *User, roomID string, exp time.Time) (string, error)
}

// AppAuthenticator issues and checks the open API's access tokens.
type AppAuthenticator interface {
	// CreateApp creates credentials and returns the secret, which is shown
	// once and stored only as a hash.
	CreateApp(ctx context.Context, name string) (app *App, secret string, err error)
	// AppToken exchanges an appid and secret for an access token valid for
	// the returned duration. EUNAUTHORIZED for a wrong pair or disabled app.
	AppToken(ctx context.Context, appID, secret string) (token string, ttl time.Duration, err error)
	// VerifyAppToken returns the appid of a valid token; ErrTokenExpired for
	// an expired one, EUNAUTHORIZED for anything else.
	VerifyAppToken(ctx context.Context, token string) (appID string, err error)
}

// LoginAttempts counts login attempts per key (a normalised account or a
// client address, see auth), so that every process sharing a store
// throttles the same guesses. An attempt is reserved before its password is
// checked, so concurrent guesses cannot all pass one check.
type LoginAttempts interface {
	// ReserveLoginAttempt counts one attempt against key and returns the
	// key's count including it. A count begun at or before since starts
	// over at now. It is atomic: n concurrent calls on one key return n
	// different counts.
	ReserveLoginAttempt(ctx context.Context, key string, now, since time.Time) (int, error)
	// ReleaseLoginAttempt takes back one reserved attempt of key (its
	// password was right); the count never goes below zero.
	ReleaseLoginAttempt(ctx context.Context, key string) error
	// ClearLoginAttempts forgets key's count.
	ClearLoginAttempts(ctx context.Context, key string) error
}
