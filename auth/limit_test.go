package auth_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"examhall"
	"examhall/auth"
)

func TestLoginThrottle(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	ctx := t.Context()
	for i := range auth.MaxLoginFailures {
		if _, _, err := e.svc.Login(ctx, "alice", "wrong password", ""); examhall.ErrorCode(err) != examhall.EUNAUTHORIZED {
			t.Fatalf("failure %d: %v, want unauthorized", i+1, err)
		}
	}
	// Blocked now, even with the right password, and for any spelling.
	for _, account := range []string{"alice", "ALICE"} {
		if _, _, err := e.svc.Login(ctx, account, testPassword, ""); examhall.ErrorCode(err) != examhall.ETOOMANY {
			t.Errorf("Login(%s) while throttled: %v, want too_many", account, err)
		}
	}
	// Other accounts are not.
	if _, _, err := e.svc.Login(ctx, "nobody", testPassword, ""); examhall.ErrorCode(err) != examhall.EUNAUTHORIZED {
		t.Errorf("other account: %v, want unauthorized", err)
	}
	// After the window the right password works and forgets the failures.
	e.clock.Add(auth.LoginFailureWindow)
	if _, _, err := e.svc.Login(ctx, "alice", testPassword, ""); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	for range auth.MaxLoginFailures - 1 {
		e.svc.Login(ctx, "alice", "wrong password", "")
	}
	if _, _, err := e.svc.Login(ctx, "alice", testPassword, ""); err != nil {
		t.Errorf("9 failures after a success must not block: %v", err)
	}
}

func TestLoginThrottleWindowSlides(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	ctx := t.Context()
	for range auth.MaxLoginFailures - 1 {
		e.svc.Login(ctx, "alice", "wrong password", "")
	}
	e.clock.Add(auth.LoginFailureWindow + time.Second)
	// The old failures expired: one more is the first of a new window.
	e.svc.Login(ctx, "alice", "wrong password", "")
	if _, _, err := e.svc.Login(ctx, "alice", testPassword, ""); err != nil {
		t.Errorf("Login after expired failures: %v", err)
	}
}

// Replicas sharing the failure count allow MaxLoginFailures guesses in
// all, not each.
func TestLoginThrottleShared(t *testing.T) {
	shared := auth.NewMemoryAttempts()
	a, b := MustEnv(t, auth.Config{Attempts: shared}), MustEnv(t, auth.Config{Attempts: shared})
	ctx := t.Context()
	for i := range auth.MaxLoginFailures {
		e := a
		if i%2 == 1 {
			e = b
		}
		if _, _, err := e.svc.Login(ctx, "Alice", "wrong password", ""); examhall.ErrorCode(err) != examhall.EUNAUTHORIZED {
			t.Fatalf("failure %d: %v, want unauthorized", i+1, err)
		}
	}
	for name, e := range map[string]*env{"a": a, "b": b} {
		if _, _, err := e.svc.Login(ctx, "alice", testPassword, ""); examhall.ErrorCode(err) != examhall.ETOOMANY {
			t.Errorf("replica %s after %d failures in all: %v, want too_many", name, auth.MaxLoginFailures, err)
		}
	}
}

// Hundreds of guesses at once check at most MaxLoginFailures passwords:
// each is reserved in the throttle before bcrypt runs, so the right
// password sent among them (here last) is not checked either.
func TestLoginThrottleConcurrent(t *testing.T) {
	for _, tt := range []struct {
		name    string
		account func(i int) string
		addr    func(i int) string
		max     int
	}{
		// One account from many addresses: the account's bucket bounds it.
		{"one account", func(int) string { return "alice" }, func(i int) string { return fmt.Sprintf("198.51.100.%d:4000", i%250) }, auth.MaxLoginFailures},
		// Spellings of one account share its bucket.
		{"one account in many spellings", func(i int) string { return []string{"alice", "ALICE", "Alice"}[i%3] }, func(int) string { return "" }, auth.MaxLoginFailures},
		// Many accounts (unknown ones hash a dummy) from one address: the
		// address's bucket bounds it.
		{"one address", func(i int) string { return fmt.Sprintf("user%d", i) }, func(i int) string { return fmt.Sprintf("203.0.113.7:%d", 1000+i) }, auth.MaxAddressFailures},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := MustEnv(t, auth.Config{})
			var hashed int64
			auth.CountBcrypt(t, &hashed)
			const guesses = 300
			var wg sync.WaitGroup
			var unauthorized, throttled, other atomic.Int64
			start := make(chan struct{})
			for i := range guesses {
				wg.Go(func() {
					<-start
					_, _, err := e.svc.Login(t.Context(), tt.account(i), "wrong password", tt.addr(i))
					switch examhall.ErrorCode(err) {
					case examhall.EUNAUTHORIZED:
						unauthorized.Add(1)
					case examhall.ETOOMANY:
						throttled.Add(1)
					default:
						other.Add(1)
					}
				})
			}
			close(start)
			wg.Wait()
			if got := atomic.LoadInt64(&hashed); got != int64(tt.max) {
				t.Errorf("bcrypt evaluations = %d, want %d", got, tt.max)
			}
			if unauthorized.Load() != int64(tt.max) || throttled.Load() != guesses-int64(tt.max) || other.Load() != 0 {
				t.Errorf("answers: %d unauthorized, %d throttled, %d other; want %d, %d, 0",
					unauthorized.Load(), throttled.Load(), other.Load(), tt.max, guesses-tt.max)
			}
			// The right password, sent after them, is refused unchecked.
			before := atomic.LoadInt64(&hashed)
			if _, _, err := e.svc.Login(t.Context(), tt.account(0), testPassword, tt.addr(0)); examhall.ErrorCode(err) != examhall.ETOOMANY {
				t.Errorf("right password after the guesses: %v, want too_many", err)
			}
			if got := atomic.LoadInt64(&hashed) - before; got != 0 {
				t.Errorf("the throttled login hashed %d times", got)
			}
		})
	}
}

// Wrong passwords from one address for many accounts are throttled by the
// address, and only there.
func TestLoginThrottleAddress(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	ctx := t.Context()
	for i := range auth.MaxAddressFailures {
		if _, _, err := e.svc.Login(ctx, fmt.Sprintf("nobody%d", i), "wrong password", "192.0.2.1:1234"); examhall.ErrorCode(err) != examhall.EUNAUTHORIZED {
			t.Fatalf("failure %d: %v, want unauthorized", i+1, err)
		}
	}
	// Alice's right password from that address is refused; from another
	// address it works.
	if _, _, err := e.svc.Login(ctx, "alice", testPassword, "192.0.2.1:999"); examhall.ErrorCode(err) != examhall.ETOOMANY {
		t.Errorf("from the guessing address: %v, want too_many", err)
	}
	if _, _, err := e.svc.Login(ctx, "alice", testPassword, "192.0.2.2:999"); err != nil {
		t.Errorf("from another address: %v", err)
	}
}

// Successful logins do not use up an address shared by many people.
func TestLoginThrottleAddressSuccessFree(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	for i := range 2 * auth.MaxAddressFailures {
		if _, _, err := e.svc.Login(t.Context(), "alice", testPassword, "192.0.2.9"); err != nil {
			t.Fatalf("login %d: %v", i+1, err)
		}
	}
}

func TestAddrKey(t *testing.T) {
	for _, tt := range []struct{ addr, want string }{
		{"192.0.2.1:5000", "addr:192.0.2.1"},
		{"192.0.2.1", "addr:192.0.2.1"},
		{"[::ffff:192.0.2.1]:80", "addr:192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "addr:2001:db8:1:2::"},
		{"2001:db8:1:2:ffff::1", "addr:2001:db8:1:2::"},
		{"[fe80::1%eth0]:80", "addr:fe80::"},
		{"", ""},
		{"not an address", ""},
		{"pipe", ""},
	} {
		if got := auth.AddrKey(tt.addr); got != tt.want {
			t.Errorf("addrKey(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// An address over its limit does not use up the accounts it tries: their
// reservations are given back when the address refuses the attempt.
func TestLoginThrottledAddressSparesAccounts(t *testing.T) {
	e := MustEnv(t, auth.Config{})
	ctx := t.Context()
	for i := range auth.MaxAddressFailures {
		e.svc.Login(ctx, fmt.Sprintf("nobody%d", i), "wrong password", "192.0.2.1")
	}
	for range 3 * auth.MaxLoginFailures {
		if _, _, err := e.svc.Login(ctx, "alice", "wrong password", "192.0.2.1"); examhall.ErrorCode(err) != examhall.ETOOMANY {
			t.Fatalf("from the throttled address: %v, want too_many", err)
		}
	}
	if _, _, err := e.svc.Login(ctx, "alice", testPassword, "198.51.100.1"); err != nil {
		t.Errorf("alice from elsewhere after the throttled address tried her: %v", err)
	}
}
