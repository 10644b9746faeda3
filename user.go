package examhall

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// User is a person who logs in: an administrator, an invigilator or an
// examinee. Account is the unique login name (the open API's 考生账号).
type User struct {
	ID           string    `json:"id"`
	Account      string    `json:"account"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	DeptID       string    `json:"deptId,omitempty"`   // "" when in no department
	DeptName     string    `json:"deptName,omitempty"` // read only: the department's own name
	DeptPath     string    `json:"deptPath,omitempty"` // read only: "Root/Sub/Leaf"
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
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
	// FindUserByAccount returns ENOTFOUND when there is no such account.
	FindUserByAccount(ctx context.Context, account string) (*User, error)
	// FindUsers returns the matching users ordered by account, and the total
	// count ignoring Offset and Limit.
	FindUsers(ctx context.Context, filter UserFilter) ([]*User, int, error)
	// CreateUser sets u.ID (when empty) and the times. ECONFLICT on a taken
	// account, EINVALID on an unknown department.
	CreateUser(ctx context.Context, u *User) error
	// ImportUsers creates all users in one transaction, or none. Each user's
	// DeptPath (not DeptID) names its department; missing departments along the
	// path are created. ECONFLICT names the first taken account.
	ImportUsers(ctx context.Context, users []*User) error
	// UpdateUser returns the updated user; ENOTFOUND, EINVALID on an unknown
	// department.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)
}

// ValidateAccount checks a login name: required, at most MaxAccountLen
// characters, no spaces or control characters.
func ValidateAccount(account string) error {
	switch {
	case account == "":
		return Errorf(EINVALID, "account is required")
	case utf8.RuneCountInString(account) > MaxAccountLen:
		return Errorf(EINVALID, "account is longer than %d characters", MaxAccountLen)
	case strings.IndexFunc(account, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return Errorf(EINVALID, "account %q contains a space or control character", account)
	}
	return nil
}

// ValidateName checks a required display name given as field: not blank,
// at most max runes, no control characters.
func ValidateName(field, name string, max int) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Errorf(EINVALID, "%s is required", field)
	case utf8.RuneCountInString(name) > max:
		return Errorf(EINVALID, "%s is longer than %d characters", field, max)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return Errorf(EINVALID, "%s contains a control character", field)
	}
	return nil
}
