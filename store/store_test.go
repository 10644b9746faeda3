package store

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"examhall"
)

// testDBs runs fn against a fresh, migrated SQLite store and, when
// EXAMHALL_TEST_POSTGRES holds a DSN, a fresh PostgreSQL schema: the one
// conformance suite for both dialects.
func testDBs(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, MustOpenSQLite(t))
	})
	if dsn := os.Getenv("EXAMHALL_TEST_POSTGRES"); dsn != "" {
		t.Run("postgres", func(t *testing.T) {
			fn(t, MustOpenPostgres(t, dsn))
		})
	}
}

// MustOpenSQLite opens a migrated SQLite store in a temporary directory.
func MustOpenSQLite(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "examhall.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}

// MustOpenPostgres opens a migrated PostgreSQL store in a new schema that is
// dropped when the test ends.
func MustOpenPostgres(tb testing.TB, dsn string) *DB {
	tb.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	schema := "t_" + examhall.NewID(6)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("pgx", dsn)
		if err == nil {
			a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			a.Close()
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := Open(ctx, u.String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}

func TestMigrateTwice(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		var n int
		if err := db.r.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("users = %d, want 0", n)
		}
	})
}

func TestOpenRefusesMemory(t *testing.T) {
	_, err := Open(context.Background(), ":memory:")
	if err == nil || !strings.Contains(err.Error(), "file path") {
		t.Errorf("Open(:memory:) err = %v, want a file-path error", err)
	}
}

// TestMigrateDownUp takes the migrations since the last Go one down and up
// again over data, so their Down sections are known to run.
func TestMigrateDownUp(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(t, db)
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 100, 0))
		user := engineMustUser(t, db, "")
		if _, err := db.StartAttempt(ctx, exam.ID, user, engineT0); err != nil {
			t.Fatal(err)
		}
		p, err := db.migrations()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 3); err != nil {
			t.Fatalf("down: %v", err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		// The attempt survived, and its slot is still taken.
		if as, _, err := db.FindAttempts(ctx, examhall.AttemptFilter{UserID: user}); err != nil || len(as) != 1 {
			t.Fatalf("attempts after down and up: %v, %v", as, err)
		}
		_, err = db.StartAttempt(ctx, exam.ID, user, engineT0)
		engineWantCode(t, "second attempt", err, examhall.ECONFLICT)
		if _, err := db.CountLoginFailures(ctx, "alice", engineT0); err != nil {
			t.Errorf("login_failures after down and up: %v", err)
		}
	})
}
