package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"examhall"
	"examhall/auth"
)

func TestNew(t *testing.T) {
	users, apps := newFakeUsers(), newFakeApps()
	tests := []struct {
		name    string
		cfg     auth.Config
		users   examhall.UserService
		apps    examhall.AppService
		wantErr bool
	}{
		{"ok", auth.Config{Key: testKey}, users, apps, false},
		{"long key", auth.Config{Key: []byte(strings.Repeat("k", 64))}, users, apps, false},
		{"no key", auth.Config{}, users, apps, true},
		{"empty key", auth.Config{Key: []byte{}}, users, apps, true},
		{"short key", auth.Config{Key: testKey[:31]}, users, apps, true},
		{"negative session TTL", auth.Config{Key: testKey, SessionTTL: -time.Second}, users, apps, true},
		{"negative app TTL", auth.Config{Key: testKey, AppTokenTTL: -time.Second}, users, apps, true},
		{"no users", auth.Config{Key: testKey}, nil, apps, true},
		{"no apps", auth.Config{Key: testKey}, users, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.New(tt.cfg, tt.users, tt.apps)
			if got := err != nil; got != tt.wantErr {
				t.Errorf("New() error = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

// The service keeps its own copy of the key: a caller that reuses or wipes
// its slice must not change what tokens verify with.
func TestNewCopiesKey(t *testing.T) {
	key := []byte(string(testKey))
	e := MustEnv(t, auth.Config{Key: key})
	token := e.MustLogin(t, "alice")
	for i := range key {
		key[i] = 0
	}
	if _, err := e.svc.Authenticate(t.Context(), token); err != nil {
		t.Errorf("Authenticate after the caller wiped its key: %v", err)
	}
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name     string
		account  string
		password string
		storeErr error
		want     string // errString of the error
	}{
		{name: "ok", account: "alice", password: testPassword},
		{name: "wrong password", account: "alice", password: "wrong horse", want: wantBadLogin},
		{name: "empty password", account: "alice", password: "", want: wantBadLogin},
		// bcrypt would compare only the first 72 bytes.
		{name: "password with extra bytes past 72", account: "alice", password: testPassword + strings.Repeat("x", 80), want: wantBadLogin},
		{name: "unknown account", account: "mallory", password: testPassword, want: wantBadLogin},
		// Accounts are unique ignoring case (examhall.AccountKey).
		{name: "account in other case", account: "ALICE", password: testPassword},
		{name: "empty account", account: "", password: testPassword, want: wantBadLogin},
		{name: "overlong account", account: strings.Repeat("a", examhall.MaxAccountLen+1), password: testPassword, want: wantBadLogin},
		{name: "disabled user", account: "bob", password: testPassword, want: wantBadLogin},
		{name: "disabled user wrong password", account: "bob", password: "wrong horse", want: wantBadLogin},
		{name: "store failure", account: "alice", password: testPassword, storeErr: errors.New("disk on fire"), want: "internal: internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustEnv(t, auth.Config{})
			e.users.err = tt.storeErr
			token, expire, err := e.svc.Login(t.Context(), tt.account, tt.password, "")
			if got := errString(err); got != tt.want {
				t.Fatalf("Login() error = %q, want %q", got, tt.want)
			}
			if err != nil {
				if token != "" || !expire.IsZero() {
					t.Errorf("Login() = %q, %v with an error, want zero values", token, expire)
				}
				if strings.Contains(err.Error(), tt.password) && tt.password != "" {
					t.Errorf("Login() error %q reveals the password", err)
				}
				return
			}
			if want := e.clock.Now().Add(auth.DefaultSessionTTL); !expire.Equal(want) {
				t.Errorf("Login() expire = %v, want %v", expire, want)
			}
			e.users.err = nil
			c, err := e.svc.Authenticate(t.Context(), token)
			if err != nil {
				t.Fatalf("Authenticate(session token): %v", err)
			}
			if diff := cmp.Diff(&examhall.Caller{User: e.alice}, c); diff != "" {
				t.Errorf("Authenticate(session token) mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The returned expiry is the token's: a session stays valid until just
// before it, and not at it.
func TestLoginExpiry(t *testing.T) {
	e := MustEnv(t, auth.Config{SessionTTL: time.Hour})
	e.clock.Add(1500 * time.Millisecond) // exp has second precision
	token, expire, err := e.svc.Login(t.Context(), "alice", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now().Add(time.Hour).Truncate(time.Second); !expire.Equal(want) {
		t.Errorf("expire = %v, want %v", expire, want)
	}
	e.clock.Add(expire.Sub(e.clock.Now()) - time.Nanosecond)
	if _, err := e.svc.Authenticate(t.Context(), token); err != nil {
		t.Errorf("Authenticate just before expire: %v", err)
	}
	e.clock.Add(time.Nanosecond)
	if _, err := e.svc.Authenticate(t.Context(), token); err != examhall.ErrTokenExpired {
		t.Errorf("Authenticate at expire: %v, want ErrTokenExpired", err)
	}
}

func TestAuthenticate(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	session := e.MustLogin(t, "alice")
	join := e.MustJoinToken(t, e.alice, "room1")
	_, app := e.MustAppToken(t)

	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024) // small: only the alg matters
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	withClaim := func(kind, key string, value any) jwt.MapClaims {
		c := e.claims(kind, e.alice.ID)
		if value == nil {
			delete(c, key)
		} else {
			c[key] = value
		}
		return c
	}
	hs256 := func(c jwt.MapClaims) string { return MustSign(t, jwt.SigningMethodHS256, testKey, c) }
	sessionClaims := e.claims("examhall:session", e.alice.ID)

	tests := []struct {
		name  string
		token string
		want  *examhall.Caller
		err   string
	}{
		{name: "session raw", token: session, want: &examhall.Caller{User: e.alice}},
		{name: "session Bearer", token: "Bearer " + session, want: &examhall.Caller{User: e.alice}},
		{name: "session bearer lower case", token: "bearer " + session, want: &examhall.Caller{User: e.alice}},
		{name: "session BEARER, extra space", token: "  BEARER   " + session + " ", want: &examhall.Caller{User: e.alice}},
		{name: "join raw", token: join, want: &examhall.Caller{User: e.alice, RoomID: "room1"}},
		{name: "join Bearer", token: "Bearer " + join, want: &examhall.Caller{User: e.alice, RoomID: "room1"}},
		{name: "crafted session", token: hs256(sessionClaims), want: &examhall.Caller{User: e.alice}},

		{name: "empty", token: "", err: wantAuthRequired},
		{name: "blank", token: "   ", err: wantAuthRequired},
		{name: "Bearer alone", token: "Bearer ", err: wantAuthRequired},
		{name: "garbage", token: "not-a-token", err: wantInvalidToken},
		{name: "Bearer no space", token: "Bearer" + session, err: wantInvalidToken},
		{name: "overlong", token: session + strings.Repeat("A", 5000), err: wantInvalidToken},
		{name: "app token", token: app, err: wantInvalidToken},
		{name: "tampered signature", token: tamperSignature(session), err: wantInvalidToken},
		{name: "tampered payload", token: tamperPayload(t, session, "sub", e.bob.ID), err: wantInvalidToken},
		{name: "join token moved to another room", token: tamperPayload(t, join, "room", "room2"), err: wantInvalidToken},
		{name: "signature removed", token: session[:strings.LastIndex(session, ".")+1], err: wantInvalidToken},
		{name: "other key", token: MustSign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), sessionClaims), err: wantInvalidToken},
		{name: "alg none", token: MustSign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, sessionClaims), err: wantInvalidToken},
		{name: "alg HS384 same key", token: MustSign(t, jwt.SigningMethodHS384, testKey, sessionClaims), err: wantInvalidToken},
		{name: "alg HS512 same key", token: MustSign(t, jwt.SigningMethodHS512, testKey, sessionClaims), err: wantInvalidToken},
		{name: "alg RS256", token: MustSign(t, jwt.SigningMethodRS256, rsaKey, sessionClaims), err: wantInvalidToken},
		{name: "alg ES256", token: MustSign(t, jwt.SigningMethodES256, ecKey, sessionClaims), err: wantInvalidToken},
		{name: "alg header changed to none", token: withHeader(t, session, `{"alg":"none","typ":"JWT"}`), err: wantInvalidToken},
		{name: "no exp", token: hs256(withClaim("examhall:session", "exp", nil)), err: wantInvalidToken},
		{name: "exp not a number", token: hs256(withClaim("examhall:session", "exp", "tomorrow")), err: wantInvalidToken},
		{name: "no iss", token: hs256(withClaim("examhall:session", "iss", nil)), err: wantInvalidToken},
		{name: "other iss", token: hs256(withClaim("examhall:session", "iss", "elsewhere")), err: wantInvalidToken},
		{name: "no sub", token: hs256(withClaim("examhall:session", "sub", nil)), err: wantInvalidToken},
		{name: "no aud", token: hs256(withClaim("examhall:session", "aud", nil)), err: wantInvalidToken},
		{name: "aud app", token: hs256(e.claims("examhall:app", e.alice.ID)), err: wantInvalidToken},
		{name: "aud unknown", token: hs256(e.claims("examhall:admin", e.alice.ID)), err: wantInvalidToken},
		{name: "two auds", token: hs256(withClaim("examhall:session", "aud", []string{"examhall:session", "examhall:join"})), err: wantInvalidToken},
		{name: "session with room", token: hs256(withClaim("examhall:session", "room", "room1")), err: wantInvalidToken},
		{name: "join without room", token: hs256(e.claims("examhall:join", e.alice.ID)), err: wantInvalidToken},
		{name: "not yet valid", token: hs256(withClaim("examhall:session", "nbf", e.clock.Now().Add(time.Minute).Unix())), err: wantInvalidToken},
		{name: "unknown user", token: hs256(e.claims("examhall:session", "nobody")), err: wantUserGone},
		{name: "disabled user", token: hs256(e.claims("examhall:session", e.bob.ID)), err: wantUserGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.Authenticate(t.Context(), tt.token)
			if gotErr := errString(err); gotErr != tt.err {
				t.Fatalf("Authenticate() error = %q, want %q", gotErr, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Authenticate() mismatch (-want +got):\n%s", diff)
			}
			if tok := strings.TrimSpace(tt.token); err != nil && tok != "" && strings.Contains(err.Error(), tok) {
				t.Errorf("Authenticate() error %q reveals the token", err)
			}
		})
	}
}

func TestAuthenticateExpired(t *testing.T) {
	tests := []struct {
		name  string
		token func(e *env) string
		after time.Duration
		want  string
	}{
		{"session before expiry", func(e *env) string { return e.MustLogin(t, "alice") }, auth.DefaultSessionTTL - time.Second, ""},
		{"session at expiry", func(e *env) string { return e.MustLogin(t, "alice") }, auth.DefaultSessionTTL, wantExpired},
		{"session long after", func(e *env) string { return e.MustLogin(t, "alice") }, 30 * 24 * time.Hour, wantExpired},
		{"join after expiry", func(e *env) string { return e.MustJoinToken(t, e.alice, "room1") }, time.Hour, wantExpired},
		// Expiry is reported only for a token that would otherwise pass.
		{"app token after expiry", func(e *env) string { _, tok := e.MustAppToken(t); return tok }, 3 * time.Hour, wantInvalidToken},
		{"tampered after expiry", func(e *env) string { return tamperSignature(e.MustLogin(t, "alice")) }, 13 * time.Hour, wantInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustEnv(t, auth.Config{})
			token := tt.token(e)
			e.clock.Add(tt.after)
			_, err := e.svc.Authenticate(t.Context(), token)
			if got := errString(err); got != tt.want {
				t.Fatalf("Authenticate() error = %q, want %q", got, tt.want)
			}
			if got, want := errors.Is(err, examhall.ErrTokenExpired), tt.want == wantExpired; got != want {
				t.Errorf("errors.Is(err, ErrTokenExpired) = %v, want %v", got, want)
			}
		})
	}
}

const wantSessionEnded = "unauthorized: this session has ended (the password, role or access of the account changed); log in again"

// A token outlives neither its user nor the user's access: a password
// reset, a role change and a disable end every earlier session and join
// token, and tokens issued after work.
func TestAuthenticateUserChanged(t *testing.T) {
	tests := []struct {
		name   string
		change func(e *env)
		want   string
	}{
		{"unchanged", func(e *env) {}, ""},
		{"deleted", func(e *env) { e.users.delete(e.alice.ID) }, wantUserGone},
		{"disabled", func(e *env) {
			disabled := true
			e.users.UpdateUser(t.Context(), e.alice.ID, examhall.UserUpdate{Disabled: &disabled})
		}, wantUserGone},
		{"store failure", func(e *env) { e.users.err = errors.New("connection refused") }, "internal: internal error"},
		{"password reset", func(e *env) {
			h := MustHash(t, "a new password")
			e.users.UpdateUser(t.Context(), e.alice.ID, examhall.UserUpdate{PasswordHash: &h})
		}, wantSessionEnded},
		{"role changed", func(e *env) {
			r := examhall.RoleInvigilator
			e.users.UpdateUser(t.Context(), e.alice.ID, examhall.UserUpdate{Role: &r})
		}, wantSessionEnded},
		{"disabled and enabled again", func(e *env) {
			for _, d := range []bool{true, false} {
				e.users.UpdateUser(t.Context(), e.alice.ID, examhall.UserUpdate{Disabled: &d})
			}
		}, wantSessionEnded},
		{"renamed", func(e *env) {
			n := "Alice B."
			e.users.UpdateUser(t.Context(), e.alice.ID, examhall.UserUpdate{Name: &n})
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustEnv(t, auth.Config{})
			for _, token := range []string{e.MustLogin(t, "alice"), e.MustJoinToken(t, e.alice, "room1")} {
				tt.change(e)
				_, err := e.svc.Authenticate(t.Context(), token)
				if got := errString(err); got != tt.want {
					t.Errorf("Authenticate() error = %q, want %q", got, tt.want)
				}
			}
			if tt.want == wantSessionEnded {
				// A token issued under the new version works.
				u, err := e.users.FindUserByID(t.Context(), e.alice.ID)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.svc.Authenticate(t.Context(), e.MustJoinToken(t, u, "room1")); err != nil {
					t.Errorf("a token issued after the change: %v", err)
				}
			}
		})
	}
}

// Authenticate is on every request: it loads the user once and nothing more.
func TestAuthenticateOneLookup(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	token := e.MustLogin(t, "alice")
	before := e.users.finds.Load()
	if _, err := e.svc.Authenticate(t.Context(), token); err != nil {
		t.Fatal(err)
	}
	if got := e.users.finds.Load() - before; got != 1 {
		t.Errorf("FindUserByID calls = %d, want 1", got)
	}
}

func TestJoinToken(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	now := e.clock.Now()
	tests := []struct {
		name string
		user *examhall.User
		room string
		exp  time.Time
		want string
	}{
		{"ok", e.alice, "room1", now.Add(time.Hour), ""},
		{"a week", e.alice, "room1", now.Add(7 * 24 * time.Hour), ""},
		{"nil user", nil, "room1", now.Add(time.Hour), "invalid: join token: user required"},
		{"user without ID", &examhall.User{Account: "x"}, "room1", now.Add(time.Hour), "invalid: join token: user required"},
		{"no room", e.alice, "", now.Add(time.Hour), "invalid: join token: invalid room ID"},
		{"overlong room", e.alice, strings.Repeat("r", examhall.MaxIDLen+1), now.Add(time.Hour), "invalid: join token: invalid room ID"},
		{"expires now", e.alice, "room1", now, "invalid: join token: expiry must be in the future"},
		{"expires within the second", e.alice, "room1", now.Add(time.Millisecond), "invalid: join token: expiry must be in the future"},
		{"expired", e.alice, "room1", now.Add(-time.Hour), "invalid: join token: expiry must be in the future"},
		{"zero expiry", e.alice, "room1", time.Time{}, "invalid: join token: expiry must be in the future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := e.svc.JoinToken(tt.user, tt.room, tt.exp)
			if got := errString(err); got != tt.want {
				t.Fatalf("JoinToken() error = %q, want %q", got, tt.want)
			}
			if err != nil {
				return
			}
			c, err := e.svc.Authenticate(t.Context(), token)
			if err != nil {
				t.Fatalf("Authenticate(join token): %v", err)
			}
			if diff := cmp.Diff(&examhall.Caller{User: e.alice, RoomID: tt.room}, c); diff != "" {
				t.Errorf("Authenticate(join token) mismatch (-want +got):\n%s", diff)
			}
			if exp := claimsOf(t, token)["exp"]; exp != float64(tt.exp.Unix()) {
				t.Errorf("exp = %v, want %v", exp, tt.exp.Unix())
			}
		})
	}
}

// Each kind of token works only where it is meant to.
func TestTokenKinds(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	session := e.MustLogin(t, "alice")
	join := e.MustJoinToken(t, e.alice, "room1")
	appID, app := e.MustAppToken(t)

	tests := []struct {
		name             string
		token            string
		wantAuthenticate string
		wantVerifyApp    string
	}{
		{"session", session, "", wantInvalidToken},
		{"join", join, "", wantInvalidToken},
		{"app", app, wantInvalidToken, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Authenticate(t.Context(), tt.token)
			if got := errString(err); got != tt.wantAuthenticate {
				t.Errorf("Authenticate() error = %q, want %q", got, tt.wantAuthenticate)
			}
			_, err = e.svc.VerifyAppToken(t.Context(), tt.token)
			if got := errString(err); got != tt.wantVerifyApp {
				t.Errorf("VerifyAppToken() error = %q, want %q", got, tt.wantVerifyApp)
			}
		})
	}

	// The claims say what each kind is, and only a join token names a room.
	wantClaims := map[string]jwt.MapClaims{
		"session": {"iss": "examhall", "sub": e.alice.ID, "aud": []any{"examhall:session"}},
		"join":    {"iss": "examhall", "sub": e.alice.ID, "aud": []any{"examhall:join"}, "room": "room1"},
		"app":     {"iss": "examhall", "sub": appID, "aud": []any{"examhall:app"}},
	}
	for name, token := range map[string]string{"session": session, "join": join, "app": app} {
		got := claimsOf(t, token)
		for _, k := range []string{"iat", "exp"} {
			if _, ok := got[k].(float64); !ok {
				t.Errorf("%s token: claim %s = %v, want a number", name, k, got[k])
			}
			delete(got, k)
		}
		if diff := cmp.Diff(wantClaims[name], got); diff != "" {
			t.Errorf("%s token claims mismatch (-want +got):\n%s", name, diff)
		}
		if alg := headerOf(t, token)["alg"]; alg != "HS256" {
			t.Errorf("%s token alg = %v, want HS256", name, alg)
		}
	}
}

// Tokens of one server key are worthless under another.
func TestOtherKey(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	other := MustEnv(t, auth.Config{Key: []byte(strings.Repeat("z", 32))})
	session := e.MustLogin(t, "alice")
	_, app := e.MustAppToken(t)
	if _, err := other.svc.Authenticate(t.Context(), session); errString(err) != wantInvalidToken {
		t.Errorf("Authenticate(other key) error = %v, want %q", err, wantInvalidToken)
	}
	if _, err := other.svc.VerifyAppToken(t.Context(), app); errString(err) != wantInvalidToken {
		t.Errorf("VerifyAppToken(other key) error = %v, want %q", err, wantInvalidToken)
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	e := MustEnv(b, auth.Config{})
	token := "Bearer " + e.MustJoinToken(b, e.alice, "room1")
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.svc.Authenticate(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// tamperSignature changes one character in the middle of the signature.
func tamperSignature(token string) string {
	i := strings.LastIndex(token, ".") + 10
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}

// tamperPayload sets one claim and keeps the old signature.
func tamperPayload(tb testing.TB, token, claim string, value any) string {
	tb.Helper()
	parts := strings.Split(token, ".")
	c := claimsOf(tb, token)
	c[claim] = value
	b, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

// withHeader replaces the header and keeps payload and signature.
func withHeader(tb testing.TB, token, header string) string {
	tb.Helper()
	parts := strings.Split(token, ".")
	parts[0] = base64.RawURLEncoding.EncodeToString([]byte(header))
	return strings.Join(parts, ".")
}

// claimsOf decodes a token's claims without verifying it.
func claimsOf(tb testing.TB, token string) jwt.MapClaims {
	tb.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, c); err != nil {
		tb.Fatalf("ParseUnverified: %v", err)
	}
	return c
}

// headerOf decodes a token's header without verifying it.
func headerOf(tb testing.TB, token string) map[string]any {
	tb.Helper()
	t, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		tb.Fatalf("ParseUnverified: %v", err)
	}
	return t.Header
}
