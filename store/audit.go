package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"examhall"
)

var _ examhall.AuditService = (*DB)(nil)

// audit appends the audit row of a staff write to tx, the write's own
// transaction, so the row exists exactly when the write does. It writes
// nothing unless ctx carries a staff caller: candidates' writes (answers,
// their own cheat reports) and the command line's are not audited.
//
// before and after are what the object was and became (any value encoding
// to a JSON object, or nil); only the fields that differ are kept, and a
// creation (before nil) or deletion (after nil) keeps the other whole.
// Fields tagged json:"-" (secrets, password hashes) never appear.
func (db *DB) audit(ctx context.Context, tx *sql.Tx, objType, objID, action string, before, after any) error {
	c := examhall.CallerFromContext(ctx)
	if !c.Staff() {
		return nil
	}
	b, a, err := auditDiff(before, after)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor_account, actor_role, client_addr,
		object_type, object_id, action, before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		ms(db.now()), c.ID, c.Account, string(c.Role), examhall.ClientAddrFromContext(ctx),
		objType, objID, action, b, a)
	return err
}

// volatileFields change on every write and say nothing of it.
var volatileFields = []string{"updatedAt"}

// auditDiff returns the compact before and after of an audit row.
func auditDiff(before, after any) (b, a string, err error) {
	bm, err := auditFields(before)
	if err != nil {
		return "", "", err
	}
	am, err := auditFields(after)
	if err != nil {
		return "", "", err
	}
	if bm != nil && am != nil {
		for _, k := range volatileFields {
			delete(bm, k)
			delete(am, k)
		}
		for k, v := range bm {
			if w, ok := am[k]; ok && bytes.Equal(v, w) {
				delete(bm, k)
				delete(am, k)
			}
		}
	}
	return encodeFields(bm), encodeFields(am), nil
}

// auditFields encodes v as a JSON object's fields; a value that is not an
// object is the field "value"; nil is nil.
func auditFields(v any) (map[string]json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if raw[0] != '{' {
		return map[string]json.RawMessage{"value": raw}, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for k, f := range m {
		var c bytes.Buffer
		if json.Compact(&c, f) == nil {
			m[k] = c.Bytes()
		}
	}
	return m, nil
}

// encodeFields encodes m (sorted keys); nil or empty is "".
func encodeFields(m map[string]json.RawMessage) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m) // RawMessages that came from json.Marshal
	return string(b)
}

// auditColumns are the columns scanAudit reads.
const auditColumns = `id, at, actor_id, actor_account, actor_role, client_addr, object_type, object_id, action,
	before_json, after_json`

func scanAudit(row scannable) (*examhall.AuditEntry, error) {
	var e examhall.AuditEntry
	var at int64
	var before, after string
	if err := row.Scan(&e.ID, &at, &e.ActorID, &e.ActorAccount, &e.ActorRole, &e.ClientAddr, &e.ObjectType,
		&e.ObjectID, &e.Action, &before, &after); err != nil {
		return nil, err
	}
	e.Time = fromMS(at)
	if before != "" {
		e.Before = json.RawMessage(before)
	}
	if after != "" {
		e.After = json.RawMessage(after)
	}
	return &e, nil
}

// FindAuditEntries returns the matching entries, newest first, and their
// total ignoring Offset and Limit.
func (db *DB) FindAuditEntries(ctx context.Context, f examhall.AuditFilter) (_ []*examhall.AuditEntry, _ int, err error) {
	defer annotate(&err, "FindAuditEntries")
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.ActorID != "" {
		add("actor_id = $%d", f.ActorID)
	}
	if f.ObjectType != "" {
		add("object_type = $%d", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id = $%d", f.ObjectID)
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if !f.Since.IsZero() {
		add("at >= $%d", ms(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < $%d", ms(f.Until))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log` + cond +
		fmt.Sprintf(` ORDER BY id DESC LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2)
	rows, err := db.r.QueryContext(ctx, q, append(args, engineLimit(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	entries, err := scanAll(rows, scanAudit)
	if err != nil {
		return nil, 0, err
	}
	return entries, total, nil
}
