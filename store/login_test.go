package store

import (
	"context"
	"testing"
	"time"
)

func TestLoginFailures(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		window := 15 * time.Minute
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		count := func(account string, now time.Time) int {
			t.Helper()
			n, err := db.CountLoginFailures(ctx, account, now.Add(-window))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		add := func(account string, now time.Time) {
			t.Helper()
			if err := db.AddLoginFailure(ctx, account, now, now.Add(-window)); err != nil {
				t.Fatal(err)
			}
		}
		if n := count("alice", t0); n != 0 {
			t.Errorf("no failures: %d", n)
		}
		for i := range 3 {
			add("alice", t0.Add(time.Duration(i)*time.Minute))
		}
		add("bob", t0)
		if n := count("alice", t0.Add(5*time.Minute)); n != 3 {
			t.Errorf("alice within the window: %d, want 3", n)
		}
		// The count began at t0: a window later it no longer counts, and the
		// next failure begins a new one.
		late := t0.Add(window)
		if n := count("alice", late); n != 0 {
			t.Errorf("alice a window later: %d, want 0", n)
		}
		add("alice", late)
		if n := count("alice", late); n != 1 {
			t.Errorf("alice's new count: %d, want 1", n)
		}
		// Adding deleted bob's expired row.
		var rows int
		if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures WHERE account = 'bob'`).Scan(&rows); err != nil || rows != 0 {
			t.Errorf("bob's expired row: %d rows, %v", rows, err)
		}
		if err := db.ClearLoginFailures(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		if n := count("alice", late); n != 0 {
			t.Errorf("after clearing: %d", n)
		}
	})
}
