package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"examhall"
)

var _ examhall.UserService = (*DB)(nil)

// userSelect reads users with their department's own name and path; the
// LEFT JOIN keeps users in no department.
const userSelect = `SELECT u.id, u.account, u.name, u.role, COALESCE(u.dept_id, ''),
	COALESCE(d.name, ''), COALESCE(d.path, ''), u.password_hash, u.disabled, u.token_version, u.created_at, u.updated_at
FROM users u LEFT JOIN departments d ON d.id = u.dept_id`

const qUserByID = userSelect + " WHERE u.id = $1"

// scanUser reads one row of userSelect.
func scanUser(row scannable) (*examhall.User, error) {
	var u examhall.User
	var created, updated int64
	if err := row.Scan(&u.ID, &u.Account, &u.Name, &u.Role, &u.DeptID, &u.DeptName, &u.DeptPath,
		&u.PasswordHash, &u.Disabled, &u.TokenVersion, &created, &updated); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return &u, nil
}

// findUser returns the user matching cond (on alias u, with $1 = arg), or
// sql.ErrNoRows.
func findUser(ctx context.Context, q querier, cond string, arg any) (*examhall.User, error) {
	return scanUser(q.QueryRowContext(ctx, userSelect+" WHERE "+cond, arg))
}

// FindUserByID returns the user; ENOTFOUND when there is none.
func (db *DB) FindUserByID(ctx context.Context, id string) (_ *examhall.User, err error) {
	defer annotate(&err, "FindUserByID")
	// Every authenticated request runs it.
	u, err := scanUser(db.hotReadRow(ctx, qUserByID, id))
	if err != nil {
		return nil, notFound(err, "user %q not found", id)
	}
	return u, nil
}

// FindUserByAccount returns the user with that login name, compared by
// examhall.AccountKey; ENOTFOUND when there is none.
func (db *DB) FindUserByAccount(ctx context.Context, account string) (_ *examhall.User, err error) {
	defer annotate(&err, "FindUserByAccount")
	u, err := findUser(ctx, db.r, "u.account_key = $1", examhall.AccountKey(account))
	if err != nil {
		return nil, notFound(err, "account %q not found", account)
	}
	return u, nil
}

// FindUsers returns the matching users ordered by account, and their total
// ignoring Offset and Limit.
func (db *DB) FindUsers(ctx context.Context, f examhall.UserFilter) (_ []*examhall.User, _ int, err error) {
	defer annotate(&err, "FindUsers")
	var w sqlWhere
	if f.ID != nil {
		w.and("u.id = " + w.arg(*f.ID))
	}
	if f.Account != nil {
		w.and("u.account_key = " + w.arg(examhall.AccountKey(*f.Account)))
	}
	if f.DeptID != nil {
		if *f.DeptID == "" {
			w.and("u.dept_id IS NULL")
		} else {
			w.and("u.dept_id = " + w.arg(*f.DeptID))
		}
	}
	if f.Role != nil {
		w.and("u.role = " + w.arg(string(*f.Role)))
	}
	if f.Disabled != nil {
		w.and("u.disabled = " + w.arg(*f.Disabled))
	}
	if f.Query != "" {
		p := w.arg(likePattern(f.Query))
		w.and("(LOWER(u.account) LIKE " + p + ` ESCAPE '\' OR LOWER(u.name) LIKE ` + p + ` ESCAPE '\')`)
	}
	var total int
	if err := db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM users u"+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	query := userSelect + w.String() + " ORDER BY u.account" + w.page(f.Offset, f.Limit) // page adds args
	rows, err := db.r.QueryContext(ctx, query, w.args...)
	if err != nil {
		return nil, 0, err
	}
	users, err := scanAll(rows, scanUser)
	if err != nil {
		return nil, 0, err
	}
	return users, total, nil
}

// CreateUser stores u, setting u.ID (when empty) and the times. ECONFLICT on
// a taken account, EINVALID on an unknown department or a bad field.
func (db *DB) CreateUser(ctx context.Context, u *examhall.User) (err error) {
	defer annotate(&err, "CreateUser")
	return db.transact(ctx, func(tx *sql.Tx) error {
		// Read the department first so the caller gets the user as reads
		// show it, with its department's name and path.
		u.DeptName, u.DeptPath = "", ""
		if u.DeptID != "" {
			d, err := findDept(ctx, tx, "id = $1", u.DeptID)
			if errors.Is(err, sql.ErrNoRows) {
				return examhall.Errorf(examhall.EINVALID, "department %q not found", u.DeptID)
			} else if err != nil {
				return err
			}
			u.DeptName, u.DeptPath = d.Name, d.Path
		}
		if err := db.insertUsers(ctx, tx, []*examhall.User{u}, db.now()); err != nil {
			return err
		}
		return db.audit(ctx, tx, "user", u.ID, "create", nil, u)
	})
}

// ImportUsers creates all users in one transaction, or none. Each user's
// DeptPath names its department; the missing ones along it are created, and
// the user's DeptID, DeptName and (normalized) DeptPath are set from it.
// ECONFLICT names the first taken account; EINVALID a bad path or field.
func (db *DB) ImportUsers(ctx context.Context, users []*examhall.User) (err error) {
	defer annotate(&err, "ImportUsers")
	if len(users) == 0 {
		return nil
	}
	now := db.now()
	return db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.lockPostgres(ctx, tx, deptLockKey); err != nil {
			return err
		}
		depts := map[string]*examhall.Department{} // by the path as written
		for _, u := range users {
			u.DeptID, u.DeptName = "", ""
			if u.DeptPath == "" {
				continue
			}
			d, ok := depts[u.DeptPath]
			if !ok {
				names, err := examhall.SplitDeptPath(u.DeptPath)
				if err != nil {
					return err
				}
				if d, err = ensureDeptPath(ctx, tx, names, now); err != nil {
					return err
				}
				depts[u.DeptPath] = d
			}
			u.DeptID, u.DeptName, u.DeptPath = d.ID, d.Name, d.Path
		}
		if err := db.insertUsers(ctx, tx, users, now); err != nil {
			return err
		}
		// One import, one row: the accounts it created.
		accounts := make([]string, len(users))
		for i, u := range users {
			accounts[i] = u.Account
		}
		return db.audit(ctx, tx, "user", "", "import", nil, map[string]any{"count": len(users), "accounts": accounts})
	})
}

// UpdateUser applies upd and returns the updated user; ENOTFOUND, EINVALID on
// an unknown department or a bad field.
func (db *DB) UpdateUser(ctx context.Context, id string, upd examhall.UserUpdate) (_ *examhall.User, err error) {
	defer annotate(&err, "UpdateUser")
	var role any // nil: unchanged
	if upd.Role != nil {
		if err := validateRole(*upd.Role); err != nil {
			return nil, err
		}
		role = string(*upd.Role)
	}
	if upd.Name != nil {
		if err := validateUserName(*upd.Name); err != nil {
			return nil, err
		}
	}
	// A new password, role or disabled flag ends the user's earlier
	// sessions: the tokens they hold name the old version.
	revoke := upd.PasswordHash != nil || upd.Role != nil || upd.Disabled != nil
	var u *examhall.User
	err = db.transact(ctx, func(tx *sql.Tx) error {
		before, err := findUser(ctx, tx, "u.id = $1", id)
		if err != nil {
			return notFound(err, "user %q not found", id)
		}
		setDept := upd.DeptID != nil
		if setDept && *upd.DeptID != "" {
			if err := db.requireDepts(ctx, tx, []string{*upd.DeptID}); err != nil {
				return err
			}
		}
		// One statement setting only the fields upd sets (COALESCE keeps the
		// others; dept_id may become NULL, hence the CASE), so concurrent
		// updates of different fields do not undo each other.
		if err := execOne(ctx, tx, examhall.Errorf(examhall.ENOTFOUND, "user %q not found", id), `UPDATE users SET
			name = COALESCE($2, name), role = COALESCE($3, role), dept_id = CASE WHEN $4 THEN $5 ELSE dept_id END,
			password_hash = COALESCE($6, password_hash), disabled = COALESCE($7, disabled), updated_at = $8,
			token_version = CASE WHEN $9 THEN token_version + 1 ELSE token_version END
			WHERE id = $1`,
			id, optional(upd.Name), role, setDept, nullIfEmpty(deref(upd.DeptID)), optional(upd.PasswordHash),
			optional(upd.Disabled), ms(db.now()), revoke); err != nil {
			return err
		}
		// Read back for the department's name and path.
		if u, err = findUser(ctx, tx, "u.id = $1", id); err != nil {
			return err
		}
		after := any(u)
		if upd.PasswordHash != nil {
			// A credential change, without the credential.
			after = struct {
				*examhall.User
				Password string `json:"password"`
			}{u, "(changed)"}
		}
		return db.audit(ctx, tx, "user", id, "update", before, after)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// validateUser checks the fields every stored user must have.
func validateUser(u *examhall.User) error {
	switch {
	case u.Account == "":
		return examhall.Errorf(examhall.EINVALID, "account is required")
	case len([]rune(u.Account)) > examhall.MaxAccountLen:
		return examhall.Errorf(examhall.EINVALID, "account %q is longer than %d characters", u.Account, examhall.MaxAccountLen)
	}
	if err := validateUserName(u.Name); err != nil {
		return examhall.Errorf(examhall.EINVALID, "user %q: %s", u.Account, examhall.ErrorMessage(err))
	}
	if err := validateRole(u.Role); err != nil {
		return examhall.Errorf(examhall.EINVALID, "user %q: %s", u.Account, examhall.ErrorMessage(err))
	}
	return nil
}

// validateUserName checks a user's display name.
func validateUserName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return examhall.Errorf(examhall.EINVALID, "name is required")
	case len([]rune(name)) > examhall.MaxNameLen:
		return examhall.Errorf(examhall.EINVALID, "name is longer than %d characters", examhall.MaxNameLen)
	}
	return nil
}

// validateRole checks a user's role.
func validateRole(r examhall.Role) error {
	if !r.Valid() {
		return examhall.Errorf(examhall.EINVALID, "role %q is not admin, invigilator or examinee", r)
	}
	return nil
}

// requireDepts returns EINVALID naming the first of ids that is no
// department.
func (db *DB) requireDepts(ctx context.Context, q querier, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := db.existingValues(ctx, q, "departments", "id", ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !found[id] {
			return examhall.Errorf(examhall.EINVALID, "department %q not found", id)
		}
	}
	return nil
}

// insertUsers validates and inserts users, setting their IDs (when empty)
// and times. Taken accounts are looked up first, so the conflict can name
// the first one in input order; a unique violation after that can only come
// from a concurrent writer.
func (db *DB) insertUsers(ctx context.Context, tx *sql.Tx, users []*examhall.User, now time.Time) error {
	keys := make([]string, len(users))
	var deptIDs []string
	for i, u := range users {
		if err := validateUser(u); err != nil {
			return err
		}
		keys[i] = examhall.AccountKey(u.Account)
		if u.DeptID != "" {
			deptIDs = append(deptIDs, u.DeptID)
		}
	}
	taken, err := db.existingValues(ctx, tx, "users", "account_key", keys)
	if err != nil {
		return err
	}
	for i, k := range keys {
		if taken[k] {
			return examhall.Errorf(examhall.ECONFLICT, "account %q is taken (accounts are compared ignoring case)", users[i].Account)
		}
		taken[k] = true // a second use within the batch
	}
	if err := db.requireDepts(ctx, tx, deptIDs); err != nil {
		return err
	}
	const cols = 10
	return paramChunks(len(users), cols, func(lo, hi int) error {
		args := make([]any, 0, (hi-lo)*cols)
		for _, u := range users[lo:hi] {
			if u.ID == "" {
				u.ID = examhall.NewID(8)
			}
			u.CreatedAt, u.UpdatedAt = now, now
			args = append(args, u.ID, u.Account, examhall.AccountKey(u.Account), u.Name, string(u.Role), nullIfEmpty(u.DeptID),
				u.PasswordHash, u.Disabled, ms(now), ms(now))
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, account, account_key, name, role, dept_id,
			password_hash, disabled, created_at, updated_at) VALUES `+db.valuesList(hi-lo, cols), args...)
		if isUnique(err) {
			return fmt.Errorf("%w: %w", examhall.Errorf(examhall.ECONFLICT, "an account or user ID is taken"), err)
		}
		return err
	})
}

// SQL-building helpers shared by the store's core services.

// scannable is a *sql.Row or *sql.Rows.
type scannable interface {
	Scan(dest ...any) error
}

// scanAll reads every row with scan and closes rows.
func scanAll[T any](rows *sql.Rows, scan func(scannable) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// sqlWhere accumulates AND-ed conditions and the arguments of their $N
// placeholders, for list queries whose filters are optional.
type sqlWhere struct {
	conds []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (w *sqlWhere) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// and adds a condition.
func (w *sqlWhere) and(cond string) { w.conds = append(w.conds, cond) }

// String returns the WHERE clause, or "" when there are no conditions.
func (w *sqlWhere) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page returns a LIMIT/OFFSET clause. Limit 0 means no limit; SQLite needs a
// LIMIT before any OFFSET and PostgreSQL refuses a negative one, so "no
// limit" is the largest BIGINT, which both accept.
func (w *sqlWhere) page(offset, limit int) string {
	if offset <= 0 && limit <= 0 {
		return ""
	}
	l := int64(math.MaxInt64)
	if limit > 0 {
		l = int64(limit)
	}
	return " LIMIT " + w.arg(l) + " OFFSET " + w.arg(max(offset, 0))
}

// maxStatementParams bounds the parameters of one generated statement, under
// SQLite's limit (32766) and PostgreSQL's (65535).
const maxStatementParams = 5000

// paramChunks calls fn with consecutive [lo, hi) ranges covering n rows of
// cols parameters each, every range small enough for one statement.
func paramChunks(n, cols int, fn func(lo, hi int) error) error {
	step := maxStatementParams / cols
	for lo := 0; lo < n; lo += step {
		if err := fn(lo, min(lo+step, n)); err != nil {
			return err
		}
	}
	return nil
}

// valuesList returns the placeholders of rows × cols parameters for a
// multi-row VALUES: "($1, $2), ($3, $4)". It must be the statement's only
// parameters, because on SQLite it returns "(?, ?), (?, ?)" instead: SQLite
// resolves each $N by a linear search of the names before it, when
// preparing and again when binding, so a list of $N costs the square of its
// length (a 1000-record cheat batch spent two thirds of its time there);
// anonymous ? are numbered in order for free.
func (db *DB) valuesList(rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * cols * 6)
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			if db.dialect == SQLite {
				b.WriteByte('?')
			} else {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			}
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// existingValues returns which of values occur in table.column. table and
// column come from code, never from input.
func (db *DB) existingValues(ctx context.Context, q querier, table, column string, values []string) (map[string]bool, error) {
	values = slices.Compact(slices.Sorted(slices.Values(values)))
	found := make(map[string]bool, len(values))
	err := paramChunks(len(values), 1, func(lo, hi int) error {
		args := make([]any, hi-lo)
		for i, v := range values[lo:hi] {
			args[i] = v
		}
		// One row of hi-lo columns is the IN list.
		in := db.valuesList(1, hi-lo)
		rows, err := q.QueryContext(ctx, "SELECT "+column+" FROM "+table+" WHERE "+column+" IN "+in, args...)
		if err != nil {
			return err
		}
		vs, err := scanAll(rows, func(s scannable) (v string, err error) { return v, s.Scan(&v) })
		for _, v := range vs {
			found[v] = true
		}
		return err
	})
	return found, err
}

// deref returns *p, or the zero value for nil.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// nullIfEmpty stores "" as NULL, for optional references.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// optional returns *p, or nil (SQL NULL) for a nil pointer, for partial
// updates written as col = COALESCE($n, col).
func optional[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// annotate prefixes a failed store method's error with its name, for logs;
// the *examhall.Error in the chain, and so the caller's message, stays.
func annotate(errp *error, method string) {
	if *errp != nil {
		*errp = fmt.Errorf("store.%s: %w", method, *errp)
	}
}

// errNoRows reports sql.ErrNoRows.
func errNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
