package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"examhall"
	"examhall/auth"
)

func TestCreateApp(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantName string
		want     string // errString of the error
	}{
		{name: "ok", in: "grades sync", wantName: "grades sync"},
		{name: "trimmed", in: "  grades sync\n", wantName: "grades sync"},
		{name: "64 runes", in: strings.Repeat("名", 64), wantName: strings.Repeat("名", 64)},
		{name: "empty", in: "", want: "invalid: app name required"},
		{name: "blank", in: " \t ", want: "invalid: app name required"},
		{name: "65 runes", in: strings.Repeat("名", 65), want: "invalid: app name must be at most 64 characters"},
	}
	hexID := regexp.MustCompile(`^[0-9a-f]+$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustEnv(t, auth.Config{})
			app, secret, err := e.svc.CreateApp(t.Context(), tt.in)
			if got := errString(err); got != tt.want {
				t.Fatalf("CreateApp() error = %q, want %q", got, tt.want)
			}
			if err != nil {
				return
			}
			if len(app.ID) != 16 || !hexID.MatchString(app.ID) {
				t.Errorf("appid = %q, want 16 hex digits", app.ID)
			}
			if len(secret) != 64 || !hexID.MatchString(secret) {
				t.Errorf("secret = %q, want 64 hex digits (32 random bytes)", secret)
			}
			sum := sha256.Sum256([]byte(secret))
			want := &examhall.App{ID: app.ID, Name: tt.wantName, SecretHash: hex.EncodeToString(sum[:])}
			if diff := cmp.Diff(want, app, cmpopts.IgnoreFields(examhall.App{}, "CreatedAt")); diff != "" {
				t.Errorf("CreateApp() mismatch (-want +got):\n%s", diff)
			}
			stored, err := e.apps.FindAppByID(t.Context(), app.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(app, stored); diff != "" {
				t.Errorf("stored app mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(stored.SecretHash, secret) {
				t.Errorf("the store holds the secret")
			}
		})
	}
}

func TestCreateAppUnique(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	a, s1, _ := e.svc.CreateApp(t.Context(), "one")
	b, s2, _ := e.svc.CreateApp(t.Context(), "two")
	if a.ID == b.ID || s1 == s2 {
		t.Errorf("two apps share appid or secret")
	}
}

func TestCreateAppStoreFailure(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	e.apps.err = errors.New("disk full")
	app, secret, err := e.svc.CreateApp(t.Context(), "grades sync")
	if got, want := errString(err), "internal: internal error"; got != want {
		t.Errorf("CreateApp() error = %q, want %q", got, want)
	}
	if app != nil || secret != "" {
		t.Errorf("CreateApp() = %v, %q with an error, want zero values", app, secret)
	}
}

func TestAppToken(t *testing.T) {
	tests := []struct {
		name   string
		change func(e *env, id, secret string) (string, string) // returns the pair to present
		want   string
	}{
		{"ok", func(e *env, id, secret string) (string, string) { return id, secret }, ""},
		{"wrong secret", func(e *env, id, secret string) (string, string) { return id, strings.Repeat("0", 64) }, wantBadApp},
		{"secret of another app", func(e *env, id, secret string) (string, string) { _, s := e.MustApp(t); return id, s }, wantBadApp},
		{"secret hash as secret", func(e *env, id, secret string) (string, string) {
			a, _ := e.apps.FindAppByID(t.Context(), id)
			return id, a.SecretHash
		}, wantBadApp},
		{"secret with extra byte", func(e *env, id, secret string) (string, string) { return id, secret + "0" }, wantBadApp},
		{"empty secret", func(e *env, id, secret string) (string, string) { return id, "" }, wantBadApp},
		{"unknown appid", func(e *env, id, secret string) (string, string) { return "0000000000000000", secret }, wantBadApp},
		{"empty appid", func(e *env, id, secret string) (string, string) { return "", secret }, wantBadApp},
		{"overlong appid", func(e *env, id, secret string) (string, string) { return strings.Repeat("a", 65), secret }, wantBadApp},
		{"disabled app", func(e *env, id, secret string) (string, string) {
			e.apps.DisableApp(t.Context(), id)
			return id, secret
		}, wantBadApp},
		{"store failure", func(e *env, id, secret string) (string, string) {
			e.apps.err = errors.New("connection refused")
			return id, secret
		}, "internal: internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustEnv(t, auth.Config{})
			id, secret := e.MustApp(t)
			id, secret = tt.change(e, id, secret)
			token, ttl, err := e.svc.AppToken(t.Context(), id, secret)
			if got := errString(err); got != tt.want {
				t.Fatalf("AppToken() error = %q, want %q", got, tt.want)
			}
			if err != nil {
				if token != "" || ttl != 0 {
					t.Errorf("AppToken() = %q, %v with an error, want zero values", token, ttl)
				}
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("AppToken() error %q reveals the secret", err)
				}
				return
			}
			if ttl != 2*time.Hour {
				t.Errorf("ttl = %v, want 2h", ttl)
			}
			got, err := e.svc.VerifyAppToken(t.Context(), token)
			if err != nil {
				t.Fatalf("VerifyAppToken: %v", err)
			}
			if got != id {
				t.Errorf("VerifyAppToken() = %q, want %q", got, id)
			}
		})
	}
}

func TestVerifyAppToken(t *testing.T) {
	const ttl = time.Minute
	tests := []struct {
		name   string
		change func(e *env, id, token string) string // returns the token to present
		want   string
	}{
		{"ok", func(e *env, id, token string) string { return token }, ""},
		{"Bearer", func(e *env, id, token string) string { return "Bearer " + token }, ""},
		{"just before expiry", func(e *env, id, token string) string { e.clock.Add(ttl - time.Second); return token }, ""},
		{"expired", func(e *env, id, token string) string { e.clock.Add(ttl); return token }, wantExpired},
		{"empty", func(e *env, id, token string) string { return "" }, wantAuthRequired},
		{"garbage", func(e *env, id, token string) string { return "x.y.z" }, wantInvalidToken},
		{"tampered signature", func(e *env, id, token string) string { return tamperSignature(token) }, wantInvalidToken},
		{"tampered appid", func(e *env, id, token string) string {
			other, _ := e.MustApp(t)
			return tamperPayload(t, token, "sub", other)
		}, wantInvalidToken},
		{"session token", func(e *env, id, token string) string { return e.MustLogin(t, "alice") }, wantInvalidToken},
		{"join token", func(e *env, id, token string) string { return e.MustJoinToken(t, e.alice, "room1") }, wantInvalidToken},
		{"crafted with session kind", func(e *env, id, token string) string {
			return tamperPayload(t, token, "aud", []string{"examhall:session"})
		}, wantInvalidToken},
		{"app disabled after issue", func(e *env, id, token string) string { e.apps.DisableApp(t.Context(), id); return token }, wantInvalidToken},
		{"app deleted after issue", func(e *env, id, token string) string { e.apps.delete(id); return token }, wantInvalidToken},
		{"store failure", func(e *env, id, token string) string { e.apps.err = errors.New("timeout"); return token }, "internal: internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustEnv(t, auth.Config{AppTokenTTL: ttl})
			id, token := e.MustAppToken(t)
			token = tt.change(e, id, token)
			got, err := e.svc.VerifyAppToken(t.Context(), token)
			if gotErr := errString(err); gotErr != tt.want {
				t.Fatalf("VerifyAppToken() error = %q, want %q", gotErr, tt.want)
			}
			if got, want := errors.Is(err, examhall.ErrTokenExpired), tt.want == wantExpired; got != want {
				t.Errorf("errors.Is(err, ErrTokenExpired) = %v, want %v", got, want)
			}
			if want := map[bool]string{true: id, false: ""}[err == nil]; got != want {
				t.Errorf("VerifyAppToken() = %q, want %q", got, want)
			}
		})
	}
}
