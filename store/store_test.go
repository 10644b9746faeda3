package store

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
		if _, err := db.ReserveLoginAttempt(ctx, "account:alice", engineT0, engineT0.Add(-time.Minute)); err != nil {
			t.Errorf("login_failures after down and up: %v", err)
		}
	})
}

// TestMigrateAccountKeys: migration 7 makes accounts unique ignoring case,
// and refuses, naming them, when existing accounts differ only by case.
func TestMigrateAccountKeys(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		p, err := db.migrations()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 6); err != nil {
			t.Fatalf("down: %v", err)
		}
		for i, account := range []string{"admin", "ADMIN", "Bob", "bob", "carol"} {
			if _, err := db.w.ExecContext(ctx, `INSERT INTO users (id, account, name, role, created_at, updated_at)
				VALUES ($1, $2, 'N', 'examinee', 0, 0)`, "u"+strconv.Itoa(i), account); err != nil {
				t.Fatal(err)
			}
		}
		err = db.Migrate(ctx)
		if err == nil {
			t.Fatal("Migrate with clashing accounts succeeded")
		}
		for _, want := range []string{`"ADMIN" = "admin"`, `"Bob" = "bob"`, "2 groups", "rename"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %s", err, want)
			}
		}
		if strings.Contains(err.Error(), "carol") {
			t.Errorf("error %q names an account that clashes with none", err)
		}
		// Renaming one of each pair lets it through; lookups then ignore case.
		for id, account := range map[string]string{"u1": "admin2", "u3": "bob2"} {
			if _, err := db.w.ExecContext(ctx, `UPDATE users SET account = $1 WHERE id = $2`, account, id); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("Migrate after renaming: %v", err)
		}
		u, err := db.FindUserByAccount(ctx, "CAROL")
		if err != nil || u.ID != "u4" {
			t.Fatalf("FindUserByAccount(CAROL) = %v, %v; want u4", u, err)
		}
		err = db.CreateUser(ctx, &examhall.User{Account: "Carol", Name: "C", Role: examhall.RoleExaminee})
		engineWantCode(t, "CreateUser(Carol) beside carol", err, examhall.ECONFLICT)
		err = db.ImportUsers(ctx, []*examhall.User{
			{Account: "dave", Name: "D", Role: examhall.RoleExaminee},
			{Account: "DAVE", Name: "D", Role: examhall.RoleExaminee},
		})
		engineWantCode(t, "ImportUsers(dave, DAVE)", err, examhall.ECONFLICT)
	})
}
