package examhall

import (
	"context"
	"strings"
	"time"
)

// User is a person who logs in: an administrator, an invigilator or an
// examinee. Account is the unique login name (the open API's 考生账号).
type User struct {
	ID           string `json:"id"`
	Account      string `json:"account"`
	Name         string `json:"name"`
	Role         Role   `json:"role"`
	DeptID       string `json:"deptId,omitempty"`   // "" when in no department
	DeptName     string `json:"deptName,omitempty"` // read only: the department's own name
	DeptPath     string `json:"deptPath,omitempty"` // read only: "Root/Sub/Leaf"
	PasswordHash string `json:"-"`
	Disabled     bool   `json:"disabled"`
	// TokenVersion changes whenever the user's password, role or disabled
	// flag does; tokens carry the version they were issued under and
	// stop working when it changes (see Authenticator.Authenticate).
	TokenVersion int       `json:"-"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// UserFilter selects users. Zero fields do not filter.
type UserFilter struct {
	ID       *string
	Account  *string
	DeptID   *string // exactly this department
	Role     *Role
	Disabled *bool
	Query    string // substring of account or name
	Offset   int
	Limit    int // 0 means no limit
}

// UserUpdate holds the fields of a partial update; nil fields stay.
type UserUpdate struct {
	Name         *string
	Role         *Role
	DeptID       *string // "" moves the user out of any department
	PasswordHash *string
	Disabled     *bool
}

// UserService stores users.
type UserService interface {
	// FindUserByID returns ENOTFOUND when there is no such user.
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUserByAccount finds the account case-insensitively (by
	// AccountKey); ENOTFOUND when there is no such account.
	FindUserByAccount(ctx context.Context, account string) (*User, error)
	// FindUsers returns the matching users ordered by account, and the total
	// count ignoring Offset and Limit.
	FindUsers(ctx context.Context, filter UserFilter) ([]*User, int, error)
	// CreateUser sets u.ID (when empty) and the times. ECONFLICT on a taken
	// account (compared by AccountKey), EINVALID on an unknown department.
	CreateUser(ctx context.Context, u *User) error
	// ImportUsers creates all users in one transaction, or none. Each user's
	// DeptPath (not DeptID) names its department; missing departments along the
	// path are created. ECONFLICT names the first taken account.
	ImportUsers(ctx context.Context, users []*User) error
	// UpdateUser returns the updated user; ENOTFOUND, EINVALID on an unknown
	// department. Setting PasswordHash, Role or Disabled changes
	// TokenVersion, ending the user's earlier sessions and join tokens.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)
}

// AccountKey is an account as compared for uniqueness, logins and their
// throttle: lower-cased, so "ADMIN" and "admin" are one account.
func AccountKey(account string) string {
	return strings.ToLower(account)
}
