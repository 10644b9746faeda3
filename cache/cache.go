// Package cache keeps the hottest reads of the proctoring surface in memory:
// users, rooms, roster entries, cheat configs and signed stream URLs. Each
// decorator wraps a domain service, answers repeated reads from memory for a
// short TTL, and forgets an entry when this process writes it. The TTL bounds
// how stale a read can be when another replica (or a CLI command) wrote it.
package cache

import (
	"sync"
	"time"
)

// DefaultTTL is how long a read is served from memory.
const DefaultTTL = time.Second

// maxEntries bounds each table; past it, expired entries are swept and, if
// still full, the table starts over. Hot keys refill at once.
const maxEntries = 100_000

type entry[V any] struct {
	v   V
	err error
	exp int64 // unix nanoseconds
}

// table is a TTL map safe for concurrent use. It caches errors too (a
// not-found is as hot as a hit when a client retries).
type table[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]entry[V]
	ttl time.Duration
	now func() time.Time
}

func newTable[K comparable, V any](ttl time.Duration, now func() time.Time) *table[K, V] {
	return &table[K, V]{m: make(map[K]entry[V]), ttl: ttl, now: now}
}

// get returns the value for k, loading and storing it when missing or expired.
func (t *table[K, V]) get(k K, load func() (V, error)) (V, error) {
	now := t.now().UnixNano()
	t.mu.RLock()
	e, ok := t.m[k]
	t.mu.RUnlock()
	if ok && now < e.exp {
		return e.v, e.err
	}
	v, err := load()
	if err != nil && !cacheable(err) {
		return v, err
	}
	t.mu.Lock()
	if len(t.m) >= maxEntries {
		t.sweep(now)
	}
	t.m[k] = entry[V]{v: v, err: err, exp: now + int64(t.ttl)}
	t.mu.Unlock()
	return v, err
}

func (t *table[K, V]) sweep(now int64) {
	for k, e := range t.m {
		if now >= e.exp {
			delete(t.m, k)
		}
	}
	if len(t.m) >= maxEntries {
		clear(t.m)
	}
}

func (t *table[K, V]) forget(k K) {
	t.mu.Lock()
	delete(t.m, k)
	t.mu.Unlock()
}

// forgetIf drops the entries whose key matches.
func (t *table[K, V]) forgetIf(match func(K) bool) {
	t.mu.Lock()
	for k := range t.m {
		if match(k) {
			delete(t.m, k)
		}
	}
	t.mu.Unlock()
}
