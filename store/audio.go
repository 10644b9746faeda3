package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"examhall"
)

var _ examhall.AudioService = (*DB)(nil)

// audioColumns are unqualified so that UPDATE … RETURNING can share them;
// exam_broadcasts and exam_playlist, joined to audios, have none of these
// names.
const audioColumns = `id, classify, name, url, oss_url, created_at`

// scanAudio reads the audioColumns of a row into a, then any extra columns
// that follow them into extra.
func scanAudio(row scannable, a *examhall.Audio, extra ...any) error {
	var created int64
	dest := append([]any{&a.ID, &a.Classify, &a.Name, &a.URL, &a.OSSURL, &created}, extra...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	a.CreatedAt = fromMS(created)
	return nil
}

// scanAudioRow reads a row of audioColumns alone.
func scanAudioRow(row scannable) (*examhall.Audio, error) {
	var a examhall.Audio
	return &a, scanAudio(row, &a)
}

// FindAudioByID returns the clip; ENOTFOUND when there is none.
func (db *DB) FindAudioByID(ctx context.Context, id string) (_ *examhall.Audio, err error) {
	defer annotate(&err, "FindAudioByID")
	a, err := scanAudioRow(db.r.QueryRowContext(ctx, "SELECT "+audioColumns+" FROM audios WHERE id = $1", id))
	if err != nil {
		return nil, notFound(err, "audio %q not found", id)
	}
	return a, nil
}

// FindAudios returns the matching clips ordered by classify, name and id,
// and their total ignoring Offset and Limit. Name matches a substring,
// ignoring case; LIKE's wildcards in it match themselves.
func (db *DB) FindAudios(ctx context.Context, f examhall.AudioFilter) (_ []*examhall.Audio, _ int, err error) {
	defer annotate(&err, "FindAudios")
	var w sqlWhere
	if f.Name != "" {
		w.and("LOWER(name) LIKE " + w.arg(likePattern(f.Name)) + ` ESCAPE '\'`)
	}
	if f.Classify != nil {
		w.and("classify = " + w.arg(*f.Classify))
	}
	var total int
	if err := db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM audios"+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	query := "SELECT " + audioColumns + " FROM audios" + w.String() + " ORDER BY classify, name, id" +
		w.page(f.Offset, f.Limit) // page adds args
	rows, err := db.r.QueryContext(ctx, query, w.args...)
	if err != nil {
		return nil, 0, err
	}
	audios, err := scanAll(rows, scanAudioRow)
	if err != nil {
		return nil, 0, err
	}
	return audios, total, nil
}

// validateAudioName checks a clip's name.
func validateAudioName(name string) error {
	if strings.TrimSpace(name) == "" {
		return examhall.Errorf(examhall.EINVALID, "audio name is required")
	}
	if len([]rune(name)) > examhall.MaxNameLen {
		return examhall.Errorf(examhall.EINVALID, "audio name is longer than %d characters", examhall.MaxNameLen)
	}
	return nil
}

// CreateAudio stores a, setting a.ID (when empty) and a.CreatedAt. EINVALID
// on a bad name, ECONFLICT on a taken ID.
func (db *DB) CreateAudio(ctx context.Context, a *examhall.Audio) (err error) {
	defer annotate(&err, "CreateAudio")
	if err := validateAudioName(a.Name); err != nil {
		return err
	}
	if a.ID == "" {
		a.ID = examhall.NewID(8)
	}
	now := db.now()
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audios (`+audioColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			a.ID, a.Classify, a.Name, a.URL, a.OSSURL, ms(now))
		if isUnique(err) {
			return fmt.Errorf("%w: %w", examhall.Errorf(examhall.ECONFLICT, "audio %q already exists", a.ID), err)
		} else if err != nil {
			return err
		}
		a.CreatedAt = now
		return db.audit(ctx, tx, "audio", a.ID, "create", nil, a)
	})
}

// UpdateAudio applies upd and returns the updated clip; ENOTFOUND, EINVALID
// on a bad name.
func (db *DB) UpdateAudio(ctx context.Context, id string, upd examhall.AudioUpdate) (_ *examhall.Audio, err error) {
	defer annotate(&err, "UpdateAudio")
	if upd.Name != nil {
		if err := validateAudioName(*upd.Name); err != nil {
			return nil, err
		}
	}
	var a *examhall.Audio
	err = db.transact(ctx, func(tx *sql.Tx) error {
		before, err := scanAudioRow(tx.QueryRowContext(ctx, `SELECT `+audioColumns+` FROM audios WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "audio %q not found", id)
		}
		a, err = scanAudioRow(tx.QueryRowContext(ctx, `UPDATE audios SET classify = COALESCE($2, classify),
			name = COALESCE($3, name), url = COALESCE($4, url), oss_url = COALESCE($5, oss_url)
			WHERE id = $1 RETURNING `+audioColumns,
			id, optional(upd.Classify), optional(upd.Name), optional(upd.URL), optional(upd.OSSURL)))
		if err != nil {
			return notFound(err, "audio %q not found", id)
		}
		return db.audit(ctx, tx, "audio", id, "update", before, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// DeleteAudio removes a clip; ENOTFOUND, ECONFLICT while an exam schedules
// or lists it.
func (db *DB) DeleteAudio(ctx context.Context, id string) (err error) {
	defer annotate(&err, "DeleteAudio")
	return db.transact(ctx, func(tx *sql.Tx) error {
		var examID string
		err := tx.QueryRowContext(ctx, `SELECT exam_id FROM exam_broadcasts WHERE audio_id = $1
			UNION ALL SELECT exam_id FROM exam_playlist WHERE audio_id = $1 LIMIT 1`, id).Scan(&examID)
		if err == nil {
			return examhall.Errorf(examhall.ECONFLICT, "audio %q is used by exam %q", id, examID)
		} else if !errNoRows(err) {
			return err
		}
		before, err := scanAudioRow(tx.QueryRowContext(ctx, `SELECT `+audioColumns+` FROM audios WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "audio %q not found", id)
		}
		err = execOne(ctx, tx, examhall.Errorf(examhall.ENOTFOUND, "audio %q not found", id),
			`DELETE FROM audios WHERE id = $1`, id)
		if isForeignKey(err) { // an exam took it up meanwhile (PostgreSQL)
			return fmt.Errorf("%w: %w", examhall.Errorf(examhall.ECONFLICT, "audio %q is used by an exam", id), err)
		} else if err != nil {
			return err
		}
		return db.audit(ctx, tx, "audio", id, "delete", before, nil)
	})
}

// SetBroadcasts replaces the exam's scheduled broadcasts. ENOTFOUND on an
// unknown exam, EINVALID on an unknown clip or a missing start time.
func (db *DB) SetBroadcasts(ctx context.Context, examID string, items []examhall.ScheduledAudio) (err error) {
	defer annotate(&err, "SetBroadcasts")
	ids := make([]string, len(items))
	for i, it := range items {
		if it.StartTime.IsZero() {
			return examhall.Errorf(examhall.EINVALID, "broadcast of audio %q: start time is required", it.AudioID)
		}
		ids[i] = it.AudioID
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.requireExamAudios(ctx, tx, examID, ids); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM exam_broadcasts WHERE exam_id = $1`, examID); err != nil {
			return err
		}
		const cols = 4
		if err := paramChunks(len(items), cols, func(lo, hi int) error {
			args := make([]any, 0, (hi-lo)*cols)
			for i := lo; i < hi; i++ {
				args = append(args, examID, i, items[i].AudioID, ms(items[i].StartTime))
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO exam_broadcasts (exam_id, seq, audio_id, start_time) VALUES `+
				db.valuesList(hi-lo, cols), args...)
			return err
		}); err != nil {
			return err
		}
		return db.audit(ctx, tx, "broadcasts", examID, "set", nil, map[string]any{"items": items})
	})
}

// FindBroadcasts returns the exam's broadcasts ordered by start time (empty
// for an unknown exam).
func (db *DB) FindBroadcasts(ctx context.Context, examID string) (_ []*examhall.Broadcast, err error) {
	defer annotate(&err, "FindBroadcasts")
	rows, err := db.r.QueryContext(ctx, `SELECT `+audioColumns+`, b.start_time
		FROM exam_broadcasts b JOIN audios a ON a.id = b.audio_id
		WHERE b.exam_id = $1 ORDER BY b.start_time, b.seq`, examID)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, func(row scannable) (*examhall.Broadcast, error) {
		var b examhall.Broadcast
		var start int64
		if err := scanAudio(row, &b.Audio, &start); err != nil {
			return nil, err
		}
		b.StartTime = fromMS(start)
		return &b, nil
	})
}

// SetPlaylist replaces the exam's manual playlist with the clips in order.
// ENOTFOUND on an unknown exam, EINVALID on an unknown clip.
func (db *DB) SetPlaylist(ctx context.Context, examID string, audioIDs []string) (err error) {
	defer annotate(&err, "SetPlaylist")
	return db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.requireExamAudios(ctx, tx, examID, audioIDs); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM exam_playlist WHERE exam_id = $1`, examID); err != nil {
			return err
		}
		const cols = 3
		if err := paramChunks(len(audioIDs), cols, func(lo, hi int) error {
			args := make([]any, 0, (hi-lo)*cols)
			for i := lo; i < hi; i++ {
				args = append(args, examID, i, audioIDs[i])
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO exam_playlist (exam_id, seq, audio_id) VALUES `+
				db.valuesList(hi-lo, cols), args...)
			return err
		}); err != nil {
			return err
		}
		return db.audit(ctx, tx, "playlist", examID, "set", nil, map[string]any{"audioIds": audioIDs})
	})
}

// FindPlaylist returns the exam's manual playlist in order (empty for an
// unknown exam).
func (db *DB) FindPlaylist(ctx context.Context, examID string) (_ []*examhall.Audio, err error) {
	defer annotate(&err, "FindPlaylist")
	rows, err := db.r.QueryContext(ctx, `SELECT `+audioColumns+`
		FROM exam_playlist p JOIN audios a ON a.id = p.audio_id
		WHERE p.exam_id = $1 ORDER BY p.seq`, examID)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanAudioRow)
}

// requireExamAudios returns ENOTFOUND unless the exam exists, and EINVALID
// naming the first of audioIDs that is no clip. On PostgreSQL it locks the
// exam's row until the transaction ends, so replacements of one exam's list
// run one after the other: two at once would both delete the old rows, then
// clash on (exam_id, seq). NO KEY leaves inserts referencing the exam
// (rooms, attempts) unblocked. SQLite's single writer needs no lock.
func (db *DB) requireExamAudios(ctx context.Context, tx *sql.Tx, examID string, audioIDs []string) error {
	query := `SELECT 1 FROM exams WHERE id = $1`
	if db.dialect == Postgres {
		query += ` FOR NO KEY UPDATE`
	}
	var one int
	if err := tx.QueryRowContext(ctx, query, examID).Scan(&one); err != nil {
		return notFound(err, "exam %q not found", examID)
	}
	if len(audioIDs) == 0 {
		return nil
	}
	found, err := db.existingValues(ctx, tx, "audios", "id", audioIDs)
	if err != nil {
		return err
	}
	for _, id := range audioIDs {
		if !found[id] {
			return examhall.Errorf(examhall.EINVALID, "audio %q not found", id)
		}
	}
	return nil
}
