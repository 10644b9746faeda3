package auth

import (
	"strings"
	"sync"
	"time"

	"examhall"
)

// Login throttling: after MaxLoginFailures wrong passwords for one account
// within LoginFailureWindow, further logins to it are refused without
// checking the password until the window has passed. That bounds online
// password guessing at the cost of letting a guesser delay the account's
// owner by one window, the usual trade.
const (
	MaxLoginFailures   = 10
	LoginFailureWindow = 15 * time.Minute
)

// maxThrottled bounds the failure table; past it, it starts over.
const maxThrottled = 100_000

var errThrottled = examhall.Errorf(examhall.ETOOMANY, "too many failed logins for this account; try again in %d minutes", int(LoginFailureWindow/time.Minute))

type failures struct {
	count int
	first time.Time
}

// throttle counts recent login failures per account (case-insensitive).
type throttle struct {
	mu sync.Mutex
	m  map[string]failures
}

// blocked reports whether account has used up its failures at now.
func (t *throttle) blocked(account string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.m[strings.ToLower(account)]
	return ok && f.count >= MaxLoginFailures && now.Sub(f.first) < LoginFailureWindow
}

// fail records a failed login.
func (t *throttle) fail(account string, now time.Time) {
	key := strings.ToLower(account)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil || len(t.m) >= maxThrottled {
		t.m = make(map[string]failures)
	}
	f := t.m[key]
	if now.Sub(f.first) >= LoginFailureWindow {
		f = failures{first: now}
	}
	f.count++
	t.m[key] = f
}

// succeed forgets an account's failures.
func (t *throttle) succeed(account string) {
	t.mu.Lock()
	delete(t.m, strings.ToLower(account))
	t.mu.Unlock()
}
