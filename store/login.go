package store

import (
	"context"
	"time"

	"examhall"
)

var _ examhall.LoginAttempts = (*DB)(nil)

// ReserveLoginAttempt counts one attempt against key and returns the count
// including it; a count begun at or before since starts over at now. One
// upsert does it, so concurrent calls on a key each get their own count
// (the row is locked by PostgreSQL's ON CONFLICT, and SQLite has one
// writer). Counts that no longer throttle anything are deleted first, in
// their own statement, so keys sprayed by a guesser do not pile up.
func (db *DB) ReserveLoginAttempt(ctx context.Context, key string, now, since time.Time) (n int, err error) {
	defer annotate(&err, "ReserveLoginAttempt")
	if _, err := db.writeOne(ctx, `DELETE FROM login_failures WHERE first_at <= $1`, ms(since)); err != nil {
		return 0, err
	}
	err = db.w.QueryRowContext(ctx, `INSERT INTO login_failures (account, count, first_at) VALUES ($1, 1, $2)
		ON CONFLICT (account) DO UPDATE SET
			count = CASE WHEN login_failures.first_at <= $3 THEN 1 ELSE login_failures.count + 1 END,
			first_at = CASE WHEN login_failures.first_at <= $3 THEN excluded.first_at ELSE login_failures.first_at END
		RETURNING count`, key, ms(now), ms(since)).Scan(&n)
	if err != nil {
		return 0, mapError(err)
	}
	if db.ckpt != nil {
		db.ckpt.written()
	}
	return n, nil
}

// ReleaseLoginAttempt takes back one reserved attempt of key.
func (db *DB) ReleaseLoginAttempt(ctx context.Context, key string) (err error) {
	defer annotate(&err, "ReleaseLoginAttempt")
	_, err = db.writeOne(ctx, `UPDATE login_failures SET count = count - 1 WHERE account = $1 AND count > 0`, key)
	return err
}

// ClearLoginAttempts forgets key's count.
func (db *DB) ClearLoginAttempts(ctx context.Context, key string) (err error) {
	defer annotate(&err, "ClearLoginAttempts")
	_, err = db.writeOne(ctx, `DELETE FROM login_failures WHERE account = $1`, key)
	return err
}
