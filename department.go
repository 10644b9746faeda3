package examhall

import (
	"context"
	"strings"
	"time"
)

// Department is a node of the organisation tree.
type Department struct {
	ID        string    `json:"id"`
	ParentID  string    `json:"parentId,omitempty"` // "" for a root
	Name      string    `json:"name"`               // never contains '/'
	Path      string    `json:"path"`               // read only: names from the root joined by '/'
	CreatedAt time.Time `json:"createdAt"`
}

// DepartmentUpdate renames or moves a department; nil fields stay.
type DepartmentUpdate struct {
	Name     *string
	ParentID *string // "" makes it a root
}

// SplitDeptPath splits "A/B/C" into its trimmed, non-empty names. It returns
// EINVALID for an empty path, an empty segment or an over-long name.
func SplitDeptPath(path string) ([]string, error) {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if err := ValidateDeptName(p); err != nil {
			return nil, Errorf(EINVALID, "department path %q: %s", path, ErrorMessage(err))
		}
		parts[i] = p
	}
	return parts, nil
}

// ValidateDeptName checks a single department name.
func ValidateDeptName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Errorf(EINVALID, "department name is empty")
	case strings.Contains(name, "/"):
		return Errorf(EINVALID, "department name %q contains '/'", name)
	case len([]rune(name)) > MaxNameLen:
		return Errorf(EINVALID, "department name is longer than %d characters", MaxNameLen)
	}
	return nil
}

// DepartmentService stores the department tree.
type DepartmentService interface {
	// FindDepartmentByID returns ENOTFOUND when there is none.
	FindDepartmentByID(ctx context.Context, id string) (*Department, error)
	// FindDepartments returns the whole tree ordered by path.
	FindDepartments(ctx context.Context) ([]*Department, error)
	// CreateDepartment sets d.ID, d.Path and d.CreatedAt. ECONFLICT when the
	// parent already has a child of that name, EINVALID on an unknown parent.
	CreateDepartment(ctx context.Context, d *Department) error
	// EnsureDepartmentPath returns the department at path ("A/B/C"), creating
	// the missing ones along it.
	EnsureDepartmentPath(ctx context.Context, path string) (*Department, error)
	// UpdateDepartment renames or moves; the paths of all descendants follow.
	// ECONFLICT on a name clash or a move under itself.
	UpdateDepartment(ctx context.Context, id string, upd DepartmentUpdate) (*Department, error)
	// DeleteDepartment refuses (ECONFLICT) while it has children or users.
	DeleteDepartment(ctx context.Context, id string) error
}
