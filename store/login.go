package store

import (
	"context"
	"database/sql"
	"time"

	"examhall"
)

var _ examhall.LoginFailures = (*DB)(nil)

// CountLoginFailures returns the account's failures of a count begun after
// since.
func (db *DB) CountLoginFailures(ctx context.Context, account string, since time.Time) (n int, err error) {
	defer annotate(&err, "CountLoginFailures")
	err = db.r.QueryRowContext(ctx, `SELECT count FROM login_failures WHERE account = $1 AND first_at > $2`,
		account, ms(since)).Scan(&n)
	if errNoRows(err) {
		return 0, nil
	}
	return n, err
}

// AddLoginFailure records a failure at now; a count begun at or before
// since starts over. Such counts, which no longer throttle anything, are
// deleted first (the account's own too, which the insert then begins
// again), so names sprayed by a guesser do not pile up.
func (db *DB) AddLoginFailure(ctx context.Context, account string, now, since time.Time) (err error) {
	defer annotate(&err, "AddLoginFailure")
	return db.transact(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE first_at <= $1`, ms(since)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO login_failures (account, count, first_at) VALUES ($1, 1, $2)
			ON CONFLICT (account) DO UPDATE SET count = login_failures.count + 1`, account, ms(now))
		return err
	})
}

// ClearLoginFailures forgets the account's failures.
func (db *DB) ClearLoginFailures(ctx context.Context, account string) (err error) {
	defer annotate(&err, "ClearLoginFailures")
	_, err = db.writeOne(ctx, `DELETE FROM login_failures WHERE account = $1`, account)
	return err
}
