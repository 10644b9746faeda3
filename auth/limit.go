package auth

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"examhall"
)

// Login throttling: within LoginFailureWindow, at most MaxLoginFailures
// passwords are checked for one account and at most MaxAddressFailures
// wrong ones from one client address; further logins answer ETOOMANY
// without checking the password until the window (which begins at the first
// counted attempt) has passed. That bounds online password guessing at the
// cost of letting a guesser delay the account's owner by one window, the
// usual trade. Attempts are counted by an examhall.LoginAttempts: the
// store's, shared by every replica, or memoryAttempts for one process.
const (
	MaxLoginFailures   = 10
	MaxAddressFailures = 100
	LoginFailureWindow = 15 * time.Minute
)

// maxThrottled bounds memoryAttempts' table; past it, it starts over.
const maxThrottled = 100_000

var errThrottled = examhall.Errorf(examhall.ETOOMANY, "too many failed logins for this account or from this address; try again in %d minutes", int(LoginFailureWindow/time.Minute))

// throttleKey is the key an account's attempts are counted under: its
// examhall.AccountKey, so every spelling of one account shares a count, or
// "" for a name no account can have (nothing to protect, nothing to store).
func throttleKey(account string) string {
	if account == "" || len(account) > examhall.MaxAccountLen {
		return ""
	}
	return "account:" + examhall.AccountKey(account)
}

// addrKey is the key a client address's attempts are counted under: the IP
// (a port is dropped), IPv4-mapped IPv6 as IPv4, and other IPv6 addresses
// by their /64, the block one subscriber usually holds. "" when addr is no
// IP.
func addrKey(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return ""
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		ip = netip.PrefixFrom(ip, 64).Masked().Addr()
	}
	return "addr:" + ip.String()
}

type attempts struct {
	count int
	first time.Time
}

// memoryAttempts counts attempts in this process only.
type memoryAttempts struct {
	mu sync.Mutex
	m  map[string]attempts
}

var _ examhall.LoginAttempts = (*memoryAttempts)(nil)

func (t *memoryAttempts) ReserveLoginAttempt(_ context.Context, key string, now, since time.Time) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil || len(t.m) >= maxThrottled {
		t.m = make(map[string]attempts)
	}
	a := t.m[key]
	if !a.first.After(since) {
		a = attempts{first: now}
	}
	a.count++
	t.m[key] = a
	return a.count, nil
}

func (t *memoryAttempts) ReleaseLoginAttempt(_ context.Context, key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a, ok := t.m[key]; ok && a.count > 0 {
		a.count--
		t.m[key] = a
	}
	return nil
}

func (t *memoryAttempts) ClearLoginAttempts(_ context.Context, key string) error {
	t.mu.Lock()
	delete(t.m, key)
	t.mu.Unlock()
	return nil
}
