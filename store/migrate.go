package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

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
