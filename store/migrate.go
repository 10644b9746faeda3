package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"examhall"
)

// migrations holds the schema, one directory per dialect; the Go migrations
// below change data that SQL alone cannot.
//
//go:embed migrations
var migrations embed.FS

// Migrate applies pending migrations, each in its own transaction. On
// PostgreSQL it holds an advisory lock meanwhile, so replicas starting
// together do not race.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.migrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if db.dialect == SQLite {
		// The readers may have cached the old schema; a no-op query refreshes it.
		_, _ = db.r.ExecContext(ctx, "SELECT 1")
	}
	return nil
}

// migrations is the goose provider of db's dialect.
func (db *DB) migrations() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations/"+string(db.dialect))
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithGoMigrations(
		goose.NewGoMigration(3, &goose.GoFunc{RunTx: gradeInProgress}, nil),
		goose.NewGoMigration(7, &goose.GoFunc{RunTx: accountKeys}, &goose.GoFunc{RunTx: dropAccountKeys}),
	)}
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, db.w, fsys, opts...)
}

// gradeInProgress is migration 3: it grades the attempts in progress, whose
// answers were saved before attempts kept their grading (migration 2, see
// gradeSaved).
func gradeInProgress(ctx context.Context, tx *sql.Tx) error {
	type saved struct {
		id, examID string
		answers    string
		e          examhall.Exam
	}
	rows, err := tx.QueryContext(ctx, `SELECT a.id, a.exam_id, a.answers, e.partial_credit
		FROM attempts a JOIN exams e ON e.id = a.exam_id WHERE a.status = 'in_progress'`)
	if err != nil {
		return err
	}
	var todo []saved
	for rows.Next() {
		var s saved
		if err := rows.Scan(&s.id, &s.examID, &s.answers, &s.e.PartialCredit); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	papers := map[string]*paper{}
	for _, s := range todo {
		p := papers[s.examID]
		if p == nil {
			qs, err := findPaper(ctx, tx, s.examID)
			if err != nil {
				return err
			}
			p = newPaper(qs)
			papers[s.examID] = p
		}
		answers, err := decodeAnswers([]byte(s.answers))
		if err != nil {
			return fmt.Errorf("answers of attempt %s: %w", s.id, err)
		}
		g, err := gradeSaved(&s.e, p, answers)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE attempts SET marks = $2, score = $3, needs_marking = $4 WHERE id = $1`,
			s.id, g.marks, g.score, g.needsMarking); err != nil {
			return err
		}
	}
	return nil
}

// accountKeys is migration 7: accounts become unique case-insensitively. It
// adds users.account_key, examhall.AccountKey of the account (computed here
// rather than by SQL's LOWER, which SQLite applies to ASCII only), and a
// unique index on it. When existing accounts differ only by case it changes
// nothing and fails naming them, so that an administrator renames one of
// each group first.
func accountKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, account FROM users ORDER BY account`)
	if err != nil {
		return err
	}
	type user struct{ id, account string }
	var users []user
	byKey := map[string][]string{}
	for rows.Next() {
		var u user
		if err := rows.Scan(&u.id, &u.account); err != nil {
			rows.Close()
			return err
		}
		users = append(users, u)
		k := examhall.AccountKey(u.account)
		byKey[k] = append(byKey[k], u.account)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var clashes []string
	for _, u := range users {
		if as := byKey[examhall.AccountKey(u.account)]; len(as) > 1 && as[0] == u.account {
			clashes = append(clashes, strings.Join(quoteAll(as), " = "))
		}
	}
	if len(clashes) > 0 {
		return fmt.Errorf("accounts must be unique ignoring case, and %d groups are not: %s; "+
			"rename all but one account of each group (e.g. in SQL: UPDATE users SET account = '…' WHERE id = '…'), then migrate again",
			len(clashes), strings.Join(clashes, "; "))
	}
	if _, err := tx.ExecContext(ctx, `ALTER TABLE users ADD COLUMN account_key TEXT`); err != nil {
		return err
	}
	for _, u := range users {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET account_key = $1 WHERE id = $2`,
			examhall.AccountKey(u.account), u.id); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `CREATE UNIQUE INDEX users_account_ci ON users (account_key)`)
	return err
}

// dropAccountKeys undoes migration 7.
func dropAccountKeys(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DROP INDEX users_account_ci`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `ALTER TABLE users DROP COLUMN account_key`)
	return err
}

// quoteAll returns each of ss quoted.
func quoteAll(ss []string) []string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return q
}
