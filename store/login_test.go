package store

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestLoginAttempts(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		window := 15 * time.Minute
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		reserve := func(key string, now time.Time) int {
			t.Helper()
			n, err := db.ReserveLoginAttempt(ctx, key, now, now.Add(-window))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for i := range 3 {
			if n := reserve("account:alice", t0.Add(time.Duration(i)*time.Minute)); n != i+1 {
				t.Errorf("reservation %d: count %d, want %d", i+1, n, i+1)
			}
		}
		if n := reserve("addr:192.0.2.1", t0); n != 1 {
			t.Errorf("another key: %d, want 1", n)
		}
		if err := db.ReleaseLoginAttempt(ctx, "account:alice"); err != nil {
			t.Fatal(err)
		}
		if n := reserve("account:alice", t0.Add(5*time.Minute)); n != 3 {
			t.Errorf("after a release: %d, want 3", n)
		}
		// The count began at t0: a window later the next attempt begins a
		// new one, and the other key's expired row is gone.
		late := t0.Add(window)
		if n := reserve("account:alice", late); n != 1 {
			t.Errorf("a window later: %d, want 1", n)
		}
		var rows int
		if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures WHERE account = 'addr:192.0.2.1'`).Scan(&rows); err != nil || rows != 0 {
			t.Errorf("expired row: %d rows, %v", rows, err)
		}
		if err := db.ClearLoginAttempts(ctx, "account:alice"); err != nil {
			t.Fatal(err)
		}
		if n := reserve("account:alice", late); n != 1 {
			t.Errorf("after clearing: %d, want 1", n)
		}
		// A release never takes a count below zero.
		for range 3 {
			if err := db.ReleaseLoginAttempt(ctx, "account:alice"); err != nil {
				t.Fatal(err)
			}
		}
		if n := reserve("account:alice", late); n != 1 {
			t.Errorf("after over-releasing: %d, want 1", n)
		}
	})
}

// Concurrent reservations on one key each get their own count: the
// throttle's guarantee that no two guesses pass as the same attempt.
func TestReserveLoginAttemptConcurrent(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		const n = 200
		counts := make([]int, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				c, err := db.ReserveLoginAttempt(ctx, "account:bob", now, now.Add(-time.Minute))
				if err != nil {
					errs <- err
				}
				counts[i] = c
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		slices.Sort(counts)
		for i, c := range counts {
			if c != i+1 {
				t.Fatalf("counts %v: want 1..%d each once", counts, n)
			}
		}
	})
}
