package auth_test

import (
	"testing"
	"time"

	"examhall"
	"examhall/auth"
)

func TestLoginThrottle(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	ctx := t.Context()
	for i := range auth.MaxLoginFailures {
		if _, _, err := e.svc.Login(ctx, "alice", "wrong password"); examhall.ErrorCode(err) != examhall.EUNAUTHORIZED {
			t.Fatalf("failure %d: %v, want unauthorized", i+1, err)
		}
	}
	// Blocked now, even with the right password, and for any spelling.
	for _, account := range []string{"alice", "ALICE"} {
		if _, _, err := e.svc.Login(ctx, account, testPassword); examhall.ErrorCode(err) != examhall.ETOOMANY {
			t.Errorf("Login(%s) while throttled: %v, want too_many", account, err)
		}
	}
	// Other accounts are not.
	if _, _, err := e.svc.Login(ctx, "nobody", testPassword); examhall.ErrorCode(err) != examhall.EUNAUTHORIZED {
		t.Errorf("other account: %v, want unauthorized", err)
	}
	// After the window the right password works and forgets the failures.
	e.clock.Add(auth.LoginFailureWindow)
	if _, _, err := e.svc.Login(ctx, "alice", testPassword); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	for range auth.MaxLoginFailures - 1 {
		e.svc.Login(ctx, "alice", "wrong password")
	}
	if _, _, err := e.svc.Login(ctx, "alice", testPassword); err != nil {
		t.Errorf("9 failures after a success must not block: %v", err)
	}
}

func TestLoginThrottleWindowSlides(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	ctx := t.Context()
	for range auth.MaxLoginFailures - 1 {
		e.svc.Login(ctx, "alice", "wrong password")
	}
	e.clock.Add(auth.LoginFailureWindow + time.Second)
	// The old failures expired: one more is the first of a new window.
	e.svc.Login(ctx, "alice", "wrong password")
	if _, _, err := e.svc.Login(ctx, "alice", testPassword); err != nil {
		t.Errorf("Login after expired failures: %v", err)
	}
}

// Replicas sharing the failure count allow MaxLoginFailures guesses in
// all, not each.
func TestLoginThrottleShared(t *testing.T) {
	shared := auth.NewMemoryFailures()
	a, b := MustEnv(t, auth.Config{Failures: shared}), MustEnv(t, auth.Config{Failures: shared})
	ctx := t.Context()
	for i := range auth.MaxLoginFailures {
		e := a
		if i%2 == 1 {
			e = b
		}
		if _, _, err := e.svc.Login(ctx, "Alice", "wrong password"); examhall.ErrorCode(err) != examhall.EUNAUTHORIZED {
			t.Fatalf("failure %d: %v, want unauthorized", i+1, err)
		}
	}
	for name, e := range map[string]*env{"a": a, "b": b} {
		if _, _, err := e.svc.Login(ctx, "alice", testPassword); examhall.ErrorCode(err) != examhall.ETOOMANY {
			t.Errorf("replica %s after %d failures in all: %v, want too_many", name, auth.MaxLoginFailures, err)
		}
	}
}
