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
	// until expire. EUNAUTHORIZED for a wrong pair or a disabled user, with
	// the same message for both.
	Login(ctx context.Context, account, password string) (token string, expire time.Time, err error)
	// Authenticate verifies a session or join-link token and returns its
	// caller with the user loaded. EUNAUTHORIZED when the token is missing,
	// malformed, badly signed, expired (ErrTokenExpired) or its user is gone
	// or disabled.
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

// LoginFailures counts failed logins per account (lower-cased by the
// caller), so that every process sharing a store throttles the same
// guesses.
type LoginFailures interface {
	// CountLoginFailures returns the account's failures of a count begun
	// after since.
	CountLoginFailures(ctx context.Context, account string, since time.Time) (int, error)
	// AddLoginFailure records a failure at now; a count begun at or before
	// since starts over.
	AddLoginFailure(ctx context.Context, account string, now, since time.Time) error
	// ClearLoginFailures forgets the account's failures.
	ClearLoginFailures(ctx context.Context, account string) error
}
