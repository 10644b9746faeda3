// Package store is the SQL store of examhall: one implementation of the
// domain's service interfaces over SQLite (the embedded default, pure Go) and
// PostgreSQL (pgx). Both dialects share one query text per operation: times
// are Unix milliseconds, placeholders are $N (modernc's SQLite accepts them),
// and the few real differences are isolated behind DB.dialect.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"examhall"
)

// Dialect names the SQL database behind a DB.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open store.
type DB struct {
	// w takes the writes. On SQLite it has a single connection, so writers
	// queue in Go instead of failing with "database is locked"; r has the
	// readers, which WAL lets run beside the writer. On PostgreSQL both are
	// the same pool.
	w, r    *sql.DB
	dialect Dialect
	ckpt    *checkpointer // SQLite's WAL checkpoints (checkpoint.go)

	// Now returns the current time; tests replace it.
	Now func() time.Time

	// engine holds the exam and attempt services' in-process caches (paper.go).
	engine engineState

	cheatQ group[*cheatReq] // CreateCheatRecords' group commit (cheat.go)
	eventQ group[*eventReq] // AppendEvent's group commit (event.go)

	// EventChannel is the NOTIFY channel AppendEvent announces events on
	// (PostgreSQL only; DefaultEventChannel). Tests sharing one database
	// set their own.
	EventChannel string

	// wake is signalled after a transaction that wrote outbox rows commits
	// (OutboxWake); wakeTx holds the open transactions that did.
	wake   chan struct{}
	wakeTx sync.Map
}

// Open opens the store named by dsn: a postgres:// or postgresql:// URL
// selects PostgreSQL; anything else is a SQLite file path (its directory is
// created). It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db := &DB{Now: time.Now, EventChannel: DefaultEventChannel, wake: make(chan struct{}, 1)}
	db.engine.closeQ.max, db.cheatQ.max, db.eventQ.max = maxCloseBatch, maxCheatCalls, maxEventCalls
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		pool, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(max(8, 4*runtime.GOMAXPROCS(0)))
		pool.SetMaxIdleConns(max(8, 4*runtime.GOMAXPROCS(0)))
		pool.SetConnMaxIdleTime(5 * time.Minute)
		db.w, db.r, db.dialect = pool, pool, Postgres
	} else {
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" || strings.Contains(path, ":memory:") {
			return nil, errors.New("open sqlite: need a file path (WAL readers and the writer share the file)")
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("open sqlite: %w", err)
			}
		}
		pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
			"&_pragma=synchronous(NORMAL)&_pragma=cache_size(-4000)&_time_format=sqlite"
		u := "file:" + (&url.URL{Path: path}).EscapedPath() + "?"
		w, err := sql.Open("sqlite", u+pragmas+"&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		r, err := sql.Open("sqlite", u+pragmas+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		n := max(4, 2*runtime.GOMAXPROCS(0))
		r.SetMaxOpenConns(n)
		r.SetMaxIdleConns(n)
		r.SetConnMaxLifetime(0)
		ck, err := sql.Open("sqlite", u+pragmas)
		if err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		ck.SetMaxOpenConns(1)
		ck.SetMaxIdleConns(1)
		ck.SetConnMaxLifetime(0)
		db.w, db.r, db.dialect, db.ckpt = w, r, SQLite, startCheckpointer(ck, w)
	}
	if err := db.w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", db.dialect, err)
	}
	return db, nil
}

// Dialect returns the database behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes the connections.
func (db *DB) Close() error {
	var err error
	if db.ckpt != nil {
		err = db.ckpt.close()
	}
	if werr := db.w.Close(); err == nil {
		err = werr
	}
	if db.r != db.w {
		if rerr := db.r.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// transact runs fn in a write transaction, committing when it returns nil and
// rolling back on error or panic. Exported store methods open one transaction
// each; unexported helpers take the *sql.Tx so they combine.
func (db *DB) transact(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return mapError(err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	defer db.wakeTx.Delete(tx)
	if err = fn(tx); err != nil {
		return mapError(err)
	}
	if err = tx.Commit(); err != nil {
		return mapError(err)
	}
	if _, ok := db.wakeTx.Load(tx); ok {
		db.wakeOutbox()
	}
	if db.ckpt != nil {
		db.ckpt.written()
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx share, for helpers used by both.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// mapError turns driver constraint failures into domain errors by their
// SQLite or PostgreSQL error code; callers that know which constraint a
// statement may break return a more precise *examhall.Error themselves.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var e *examhall.Error
	if errors.As(err, &e) {
		return err
	}
	switch {
	case isUnique(err):
		return fmt.Errorf("%w: %w", examhall.Errorf(examhall.ECONFLICT, "already exists"), err)
	case isForeignKey(err):
		return fmt.Errorf("%w: %w", examhall.Errorf(examhall.EINVALID, "refers to something that does not exist"), err)
	case isBadText(err):
		// The surfaces refuse such text first (examhall.ValidText).
		return fmt.Errorf("%w: %w", examhall.Errorf(examhall.EINVALID, "text must be UTF-8 without NUL characters"), err)
	}
	return err
}

// isBadText reports text PostgreSQL cannot store: invalid UTF-8 or a NUL
// character (SQLSTATE 22021, character_not_in_repertoire).
func isBadText(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "22021"
}

// isUnique reports a unique or primary-key violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isForeignKey reports a foreign-key violation.
func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// notFound returns ENOTFOUND for sql.ErrNoRows, else err.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return examhall.Errorf(examhall.ENOTFOUND, format, args...)
	}
	return err
}

// ms converts a time to the stored Unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS converts stored Unix milliseconds back; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// now returns the current time truncated to the stored precision.
func (db *DB) now() time.Time {
	return db.Now().UTC().Truncate(time.Millisecond)
}

// likePattern returns a LIKE pattern matching s anywhere, with LIKE's
// wildcards in s escaped (use with ESCAPE '\').
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(s)) + "%"
}
