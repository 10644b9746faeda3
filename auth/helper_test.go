package auth_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"examhall"
	"examhall/auth"
)

// testKey is a signing key of exactly the minimum length.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// testPassword is every test user's password.
const testPassword = "correct horse"

// env is a Service over fakes with a controllable clock. Alice is an active
// examinee, Bob a disabled invigilator.
type env struct {
	svc   *auth.Service
	clock *testClock
	users *fakeUsers
	apps  *fakeApps
	alice *examhall.User
	bob   *examhall.User
}

// MustEnv returns an env; cfg.Key defaults to testKey and cfg.Now to the
// env's clock.
func MustEnv(tb testing.TB, cfg auth.Config) *env {
	tb.Helper()
	e := &env{clock: newTestClock(), apps: newFakeApps()}
	hash := MustHash(tb, testPassword)
	e.alice = &examhall.User{ID: "u1", Account: "alice", Name: "Alice", Role: examhall.RoleExaminee, PasswordHash: hash}
	e.bob = &examhall.User{ID: "u2", Account: "bob", Name: "Bob", Role: examhall.RoleInvigilator, PasswordHash: hash, Disabled: true}
	e.users = newFakeUsers(e.alice, e.bob)
	if cfg.Key == nil {
		cfg.Key = testKey
	}
	if cfg.Now == nil {
		cfg.Now = e.clock.Now
	}
	svc, err := auth.New(cfg, e.users, e.apps)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	e.svc = svc
	return e
}

// MustHash returns the hash of p.
func MustHash(tb testing.TB, p string) string {
	tb.Helper()
	h, err := auth.HashPassword(p)
	if err != nil {
		tb.Fatalf("HashPassword: %v", err)
	}
	return h
}

// MustLogin logs in and returns the session token.
func (e *env) MustLogin(tb testing.TB, account string) string {
	tb.Helper()
	token, _, err := e.svc.Login(tb.Context(), account, testPassword, "")
	if err != nil {
		tb.Fatalf("Login(%q): %v", account, err)
	}
	return token
}

// MustJoinToken returns a join token for u and room valid for an hour.
func (e *env) MustJoinToken(tb testing.TB, u *examhall.User, room string) string {
	tb.Helper()
	token, err := e.svc.JoinToken(u, room, e.clock.Now().Add(time.Hour))
	if err != nil {
		tb.Fatalf("JoinToken: %v", err)
	}
	return token
}

// MustApp creates an app and returns its appid and secret.
func (e *env) MustApp(tb testing.TB) (string, string) {
	tb.Helper()
	app, secret, err := e.svc.CreateApp(tb.Context(), "grades sync")
	if err != nil {
		tb.Fatalf("CreateApp: %v", err)
	}
	return app.ID, secret
}

// MustAppToken creates an app and returns its appid and an access token.
func (e *env) MustAppToken(tb testing.TB) (string, string) {
	tb.Helper()
	id, secret := e.MustApp(tb)
	token, _, err := e.svc.AppToken(tb.Context(), id, secret)
	if err != nil {
		tb.Fatalf("AppToken: %v", err)
	}
	return id, token
}

// claims returns the claims of a valid token of the given kind for sub,
// which tests then spoil one at a time.
func (e *env) claims(kind, sub string) jwt.MapClaims {
	now := e.clock.Now()
	return jwt.MapClaims{
		"iss": "examhall",
		"sub": sub,
		"aud": []string{kind},
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

// MustSign signs claims with method and key, as an attacker or a buggy
// issuer might.
func MustSign(tb testing.TB, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	tb.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	return s
}

// errString returns an error's code and safe message, or "" for nil: what a
// client gets to see, and so what tests compare.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprintf("%s: %s", examhall.ErrorCode(err), examhall.ErrorMessage(err))
}

// Wanted errors, as errString renders them.
const (
	wantBadLogin     = "unauthorized: invalid account or password"
	wantBadApp       = "unauthorized: invalid appid or secret"
	wantInvalidToken = "unauthorized: invalid token"
	wantAuthRequired = "unauthorized: authentication required"
	wantExpired      = "unauthorized: token has expired"
	wantUserGone     = "unauthorized: account is disabled or no longer exists"
)
