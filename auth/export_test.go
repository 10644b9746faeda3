package auth

import (
	"sync/atomic"
	"testing"

	"examhall"
)

// NewMemoryAttempts lets the external tests share one process-local
// attempt count between two Services, as replicas share the store's.
func NewMemoryAttempts() examhall.LoginAttempts { return &memoryAttempts{} }

// CountBcrypt counts the bcrypt comparisons made until the test ends, the
// work the throttle must bound; *n is read with atomic.LoadInt64.
func CountBcrypt(tb testing.TB, n *int64) {
	old := compareHash
	compareHash = func(hash, p []byte) error {
		atomic.AddInt64(n, 1)
		return old(hash, p)
	}
	tb.Cleanup(func() { compareHash = old })
}

// AddrKey exposes addrKey.
var AddrKey = addrKey
