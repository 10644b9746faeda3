package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"examhall"
)

var _ examhall.DepartmentService = (*DB)(nil)

// deptLockKey is the PostgreSQL advisory lock serializing the writers of
// the department tree ("dept" in ASCII). A write computes paths from what it
// reads (a move from its new parent's path, a new department from its
// parent's), so a concurrent rename or move of an ancestor would leave stale
// paths behind. Tree writes are rare; taking them one at a time costs
// nothing that matters.
const deptLockKey = 0x64657074

const deptSelect = `SELECT id, COALESCE(parent_id, ''), name, path, created_at FROM departments`

// scanDept reads one row of deptSelect.
func scanDept(row scannable) (*examhall.Department, error) {
	var d examhall.Department
	var created int64
	if err := row.Scan(&d.ID, &d.ParentID, &d.Name, &d.Path, &created); err != nil {
		return nil, err
	}
	d.CreatedAt = fromMS(created)
	return &d, nil
}

// findDept returns the department matching cond (with $1 = arg), or
// sql.ErrNoRows.
func findDept(ctx context.Context, q querier, cond string, arg any) (*examhall.Department, error) {
	return scanDept(q.QueryRowContext(ctx, deptSelect+" WHERE "+cond, arg))
}

// FindDepartmentByID returns the department; ENOTFOUND when there is none.
func (db *DB) FindDepartmentByID(ctx context.Context, id string) (_ *examhall.Department, err error) {
	defer annotate(&err, "FindDepartmentByID")
	d, err := findDept(ctx, db.r, "id = $1", id)
	if err != nil {
		return nil, notFound(err, "department %q not found", id)
	}
	return d, nil
}

// FindDepartments returns the whole tree ordered by path, so every parent
// comes before its children.
func (db *DB) FindDepartments(ctx context.Context) (_ []*examhall.Department, err error) {
	defer annotate(&err, "FindDepartments")
	rows, err := db.r.QueryContext(ctx, deptSelect+" ORDER BY path")
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanDept)
}

// CreateDepartment stores d under d.ParentID ("" for a root), setting d.ID
// (when empty), d.Path and d.CreatedAt. ECONFLICT when the parent already has
// a child of that name, EINVALID on an unknown parent or a bad name.
func (db *DB) CreateDepartment(ctx context.Context, d *examhall.Department) (err error) {
	defer annotate(&err, "CreateDepartment")
	name := strings.TrimSpace(d.Name)
	if err := examhall.ValidateDeptName(name); err != nil {
		return err
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.lockPostgres(ctx, tx, deptLockKey); err != nil {
			return err
		}
		path := name
		if d.ParentID != "" {
			p, err := findDept(ctx, tx, "id = $1", d.ParentID)
			if err != nil {
				if errNoRows(err) {
					return examhall.Errorf(examhall.EINVALID, "parent department %q not found", d.ParentID)
				}
				return err
			}
			path = p.Path + "/" + name
		}
		if d.ID == "" {
			d.ID = examhall.NewID(8)
		}
		d.Name, d.Path, d.CreatedAt = name, path, db.now()
		_, err := tx.ExecContext(ctx, deptInsert, d.ID, nullIfEmpty(d.ParentID), d.Name, d.Path, ms(d.CreatedAt))
		if isUnique(err) {
			return deptExists(path, err)
		} else if err != nil {
			return err
		}
		return db.audit(ctx, tx, "department", d.ID, "create", nil, d)
	})
}

const deptInsert = `INSERT INTO departments (id, parent_id, name, path, created_at) VALUES ($1, $2, $3, $4, $5)`

// deptExists is the conflict of a second department at path; the unique
// path is what keeps sibling names apart.
func deptExists(path string, err error) error {
	return fmt.Errorf("%w: %w", examhall.Errorf(examhall.ECONFLICT, "department %q already exists", path), err)
}

// EnsureDepartmentPath returns the department at path ("A/B/C"), creating the
// missing ones along it. EINVALID on a malformed path.
func (db *DB) EnsureDepartmentPath(ctx context.Context, path string) (_ *examhall.Department, err error) {
	defer annotate(&err, "EnsureDepartmentPath")
	names, err := examhall.SplitDeptPath(path)
	if err != nil {
		return nil, err
	}
	var d *examhall.Department
	err = db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.lockPostgres(ctx, tx, deptLockKey); err != nil {
			return err
		}
		_, err := findDept(ctx, tx, "path = $1", strings.Join(names, "/"))
		existed := err == nil
		if err != nil && !errNoRows(err) {
			return err
		}
		if d, err = ensureDeptPath(ctx, tx, names, db.now()); err != nil || existed {
			return err
		}
		return db.audit(ctx, tx, "department", d.ID, "create", nil, d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ensureDeptPath walks names from the root, creating each missing level.
// The caller holds deptLockKey.
func ensureDeptPath(ctx context.Context, tx *sql.Tx, names []string, now time.Time) (*examhall.Department, error) {
	var parent *examhall.Department
	for i, name := range names {
		path := strings.Join(names[:i+1], "/")
		d, err := findDept(ctx, tx, "path = $1", path)
		if errNoRows(err) {
			d = &examhall.Department{ID: examhall.NewID(8), Name: name, Path: path, CreatedAt: now}
			if parent != nil {
				d.ParentID = parent.ID
			}
			_, err = tx.ExecContext(ctx, deptInsert, d.ID, nullIfEmpty(d.ParentID), d.Name, d.Path, ms(d.CreatedAt))
		}
		if err != nil {
			return nil, err
		}
		parent = d
	}
	return parent, nil
}

// UpdateDepartment renames or moves a department; the paths of all its
// descendants follow in the same transaction. ENOTFOUND, EINVALID on an
// unknown parent or a bad name, ECONFLICT on a name clash or a move under
// itself.
func (db *DB) UpdateDepartment(ctx context.Context, id string, upd examhall.DepartmentUpdate) (_ *examhall.Department, err error) {
	defer annotate(&err, "UpdateDepartment")
	var d *examhall.Department
	err = db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.lockPostgres(ctx, tx, deptLockKey); err != nil {
			return err
		}
		var err error
		if d, err = findDept(ctx, tx, "id = $1", id); err != nil {
			return notFound(err, "department %q not found", id)
		}
		before := *d
		oldPath := d.Path
		// d.Path is its parent's path, '/', its name.
		parentPath := strings.TrimSuffix(strings.TrimSuffix(oldPath, d.Name), "/")
		if upd.Name != nil {
			name := strings.TrimSpace(*upd.Name)
			if err := examhall.ValidateDeptName(name); err != nil {
				return err
			}
			d.Name = name
		}
		if upd.ParentID != nil {
			d.ParentID, parentPath = *upd.ParentID, ""
			if d.ParentID != "" {
				p, err := findDept(ctx, tx, "id = $1", d.ParentID)
				if err != nil {
					if errNoRows(err) {
						return examhall.Errorf(examhall.EINVALID, "parent department %q not found", d.ParentID)
					}
					return err
				}
				if p.ID == d.ID || strings.HasPrefix(p.Path, oldPath+"/") {
					return examhall.Errorf(examhall.ECONFLICT, "department %q cannot move under itself", oldPath)
				}
				parentPath = p.Path
			}
		}
		d.Path = d.Name
		if parentPath != "" {
			d.Path = parentPath + "/" + d.Name
		}
		_, err = tx.ExecContext(ctx, `UPDATE departments SET name = $2, parent_id = $3, path = $4 WHERE id = $1`,
			d.ID, d.Name, nullIfEmpty(d.ParentID), d.Path)
		if isUnique(err) {
			return deptExists(d.Path, err)
		} else if err != nil {
			return err
		}
		if err := db.audit(ctx, tx, "department", id, "update", before, d); err != nil || d.Path == oldPath {
			return err
		}
		// Descendants are exactly the paths under oldPath+"/". substr (not
		// LIKE, which SQLite folds case in) counts characters in both
		// dialects. No descendant's new path can clash: the department's own
		// new path was free, and a path under it needs that path to exist.
		n := utf8.RuneCountInString(oldPath) + 1
		_, err = tx.ExecContext(ctx, `UPDATE departments SET path = $1 || substr(path, $2)
			WHERE substr(path, 1, $2) = $3`, d.Path, n, oldPath+"/")
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeleteDepartment removes a department. ENOTFOUND; ECONFLICT while it has
// sub-departments or users, or an exam's audience names it.
func (db *DB) DeleteDepartment(ctx context.Context, id string) (err error) {
	defer annotate(&err, "DeleteDepartment")
	return db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.lockPostgres(ctx, tx, deptLockKey); err != nil {
			return err
		}
		d, err := findDept(ctx, tx, "id = $1", id)
		if err != nil {
			return notFound(err, "department %q not found", id)
		}
		var children, users int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM departments WHERE parent_id = $1),
			(SELECT COUNT(*) FROM users WHERE dept_id = $1)`, id).Scan(&children, &users); err != nil {
			return err
		}
		switch {
		case children > 0:
			return examhall.Errorf(examhall.ECONFLICT, "department %q has %d sub-departments", d.Path, children)
		case users > 0:
			return examhall.Errorf(examhall.ECONFLICT, "department %q has %d users", d.Path, users)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM departments WHERE id = $1`, id)
		if isForeignKey(err) { // an exam's audience, or a user added meanwhile
			return fmt.Errorf("%w: %w", examhall.Errorf(examhall.ECONFLICT, "department %q is still in use", d.Path), err)
		} else if err != nil {
			return err
		}
		return db.audit(ctx, tx, "department", id, "delete", d, nil)
	})
}
