package auth

import (
	"context"
	"strings"
	"sync"
	"time"

	"examhall"
)

// Login throttling: after MaxLoginFailures wrong passwords for one account
// within LoginFailureWindow, further logins to it are refused without
// checking the password until the window has passed. That bounds online
// password guessing at the cost of letting a guesser delay the account's
// owner by one window, the usual trade. The failures are counted by a
// examhall.LoginFailures: the store's, shared by every replica, or
// memoryFailures for one process.
const (
	MaxLoginFailures   = 10
	LoginFailureWindow = 15 * time.Minute
)

// maxThrottled bounds memoryFailures' table; past it, it starts over.
const maxThrottled = 100_000

var errThrottled = examhall.Errorf(examhall.ETOOMANY, "too many failed logins for this account; try again in %d minutes", int(LoginFailureWindow/time.Minute))

// throttleKey is the account as failures are counted: case-insensitive,
// and "" for a name no account can have (nothing to protect, nothing to
// store).
func throttleKey(account string) string {
	if account == "" || len(account) > examhall.MaxAccountLen {
		return ""
	}
	return strings.ToLower(account)
}

type failures struct {
	count int
	first time.Time
}

// memoryFailures counts failures in this process only.
type memoryFailures struct {
	mu sync.Mutex
	m  map[string]failures
}

var _ examhall.LoginFailures = (*memoryFailures)(nil)

func (t *memoryFailures) CountLoginFailures(_ context.Context, account string, since time.Time) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f, ok := t.m[account]; ok && f.first.After(since) {
		return f.count, nil
	}
	return 0, nil
}

func (t *memoryFailures) AddLoginFailure(_ context.Context, account string, now, since time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil || len(t.m) >= maxThrottled {
		t.m = make(map[string]failures)
	}
	f := t.m[account]
	if !f.first.After(since) {
		f = failures{first: now}
	}
	f.count++
	t.m[account] = f
	return nil
}

func (t *memoryFailures) ClearLoginFailures(_ context.Context, account string) error {
	t.mu.Lock()
	delete(t.m, account)
	t.mu.Unlock()
	return nil
}
