package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"examhall"
)

var _ examhall.AppService = (*DB)(nil)

const appColumns = `id, name, secret_hash, disabled, created_at`

// scanApp reads one row of appColumns.
func scanApp(row scannable) (*examhall.App, error) {
	var a examhall.App
	var created int64
	if err := row.Scan(&a.ID, &a.Name, &a.SecretHash, &a.Disabled, &created); err != nil {
		return nil, err
	}
	a.CreatedAt = fromMS(created)
	return &a, nil
}

// CreateApp stores a, setting a.ID (when empty) and a.CreatedAt. EINVALID
// without a name or secret hash, ECONFLICT on a taken ID.
func (db *DB) CreateApp(ctx context.Context, a *examhall.App) (err error) {
	defer annotate(&err, "CreateApp")
	switch {
	case strings.TrimSpace(a.Name) == "":
		return examhall.Errorf(examhall.EINVALID, "app name is required")
	case a.SecretHash == "":
		return examhall.Errorf(examhall.EINVALID, "app secret hash is required")
	}
	if a.ID == "" {
		a.ID = examhall.NewID(8)
	}
	now := db.now()
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO apps (`+appColumns+`) VALUES ($1, $2, $3, $4, $5)`,
			a.ID, a.Name, a.SecretHash, a.Disabled, ms(now))
		if isUnique(err) {
			return fmt.Errorf("%w: %w", examhall.Errorf(examhall.ECONFLICT, "app %q already exists", a.ID), err)
		} else if err != nil {
			return err
		}
		a.CreatedAt = now
		return db.audit(ctx, tx, "app", a.ID, "create", nil, a)
	})
}

// FindAppByID returns the app; ENOTFOUND when there is none.
func (db *DB) FindAppByID(ctx context.Context, id string) (_ *examhall.App, err error) {
	defer annotate(&err, "FindAppByID")
	a, err := scanApp(db.r.QueryRowContext(ctx, `SELECT `+appColumns+` FROM apps WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "app %q not found", id)
	}
	return a, nil
}

// FindApps returns all apps, newest first.
func (db *DB) FindApps(ctx context.Context) (_ []*examhall.App, err error) {
	defer annotate(&err, "FindApps")
	rows, err := db.r.QueryContext(ctx, `SELECT `+appColumns+` FROM apps ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanApp)
}

// DisableApp stops an app's secret from issuing tokens; ENOTFOUND.
func (db *DB) DisableApp(ctx context.Context, id string) (err error) {
	defer annotate(&err, "DisableApp")
	return db.transact(ctx, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, examhall.Errorf(examhall.ENOTFOUND, "app %q not found", id),
			`UPDATE apps SET disabled = $2 WHERE id = $1`, id, true); err != nil {
			return err
		}
		return db.audit(ctx, tx, "app", id, "disable", map[string]bool{"disabled": false}, map[string]bool{"disabled": true})
	})
}
