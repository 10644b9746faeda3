package sheet

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"examhall"
)

// RowError is one bad row of an import: its line in the file (the header is
// line 1) and what is wrong with it.
type RowError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// User import columns. The header names them in any order and case; the
// Chinese names are those of spreadsheets exported from the vendors'
// consoles.
const (
	UserAccount  = "account"
	UserName     = "name"
	UserDept     = "department"
	UserRole     = "role"
	UserPassword = "password"
)

// UserHeader is the header of the user import template, in order.
var UserHeader = []string{UserAccount, UserName, UserDept, UserRole, UserPassword}

var userColumnNames = map[string]string{
	"account": UserAccount, "账号": UserAccount, "考生账号": UserAccount,
	"name": UserName, "姓名": UserName,
	"department": UserDept, "dept": UserDept, "部门": UserDept,
	"role": UserRole, "角色": UserRole,
	"password": UserPassword, "密码": UserPassword,
}

// roleNames maps the role values an import accepts to roles.
var roleNames = map[string]examhall.Role{
	"admin": examhall.RoleAdmin, "管理员": examhall.RoleAdmin,
	"invigilator": examhall.RoleInvigilator, "监考员": examhall.RoleInvigilator, "监考": examhall.RoleInvigilator,
	"examinee": examhall.RoleExaminee, "考生": examhall.RoleExaminee,
}

// columns maps each column of header to its index, refusing unknown and
// repeated names and the absence of a required one.
func columns(header Row, names map[string]string, required []string, help string) (map[string]int, error) {
	cols := map[string]int{}
	for i, h := range header.Cells {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		col, ok := names[h]
		if !ok {
			return nil, examhall.Errorf(examhall.EINVALID, "line %d: unknown column %q; %s", header.Line, h, help)
		}
		if _, dup := cols[col]; dup {
			return nil, examhall.Errorf(examhall.EINVALID, "line %d: column %q appears twice", header.Line, col)
		}
		cols[col] = i
	}
	var missing []string
	for _, c := range required {
		if _, ok := cols[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, examhall.Errorf(examhall.EINVALID, "line %d: the header lacks the column(s) %s", header.Line, strings.Join(missing, ", "))
	}
	return cols, nil
}

// cell returns row's cell of column col, or "".
func cell(cols map[string]int, row Row, col string) string {
	if j, ok := cols[col]; ok && j < len(row.Cells) {
		return row.Cells[j]
	}
	return ""
}

// ParseUsers turns the rows of a user import (the header first) into users
// with their department paths and hashed passwords, and lists every bad row:
// a malformed field, an account repeated in the file or already taken, a
// password the policy refuses. hash hashes a password (EINVALID for one the
// policy refuses). Its error is for a file without a usable header or
// users, or for failures that are not the file's fault.
func ParseUsers(ctx context.Context, rows []Row, users examhall.UserService, hash func(string) (string, error)) ([]*examhall.User, []RowError, error) {
	if len(rows) < 2 {
		return nil, nil, examhall.Errorf(examhall.EINVALID, "the file has no users: it needs a header row and at least one row below it")
	}
	cols, err := columns(rows[0], userColumnNames, UserHeader[:4],
		"the columns are account, name, department, role and optionally password")
	if err != nil {
		return nil, nil, err
	}
	rows = rows[1:]
	out := make([]*examhall.User, len(rows))
	reasons := make([][]string, len(rows))
	passwords := make([]string, len(rows))
	firstLine := map[string]int{} // account key → line it first appears on
	for i, row := range rows {
		fail := func(err error) { reasons[i] = append(reasons[i], examhall.ErrorMessage(err)) }
		u := &examhall.User{
			Account: strings.TrimSpace(cell(cols, row, UserAccount)),
			Name:    strings.TrimSpace(cell(cols, row, UserName)),
		}
		out[i], passwords[i] = u, cell(cols, row, UserPassword)
		if err := examhall.ValidateAccount(u.Account); err != nil {
			fail(err)
		} else if prev, dup := firstLine[examhall.AccountKey(u.Account)]; dup {
			fail(examhall.Errorf(examhall.EINVALID, "account %q repeats line %d", u.Account, prev))
		} else {
			firstLine[examhall.AccountKey(u.Account)] = row.Line
		}
		if err := examhall.ValidateName("name", u.Name, examhall.MaxNameLen); err != nil {
			fail(err)
		}
		role := cell(cols, row, UserRole)
		if r, ok := roleNames[strings.ToLower(strings.TrimSpace(role))]; ok {
			u.Role = r
		} else {
			fail(examhall.Errorf(examhall.EINVALID, "role must be admin, invigilator or examinee, not %q", role))
		}
		if parts, err := examhall.SplitDeptPath(cell(cols, row, UserDept)); err != nil {
			fail(err)
		} else {
			u.DeptPath = strings.Join(parts, "/")
		}
	}
	for i, row := range rows {
		if firstLine[examhall.AccountKey(out[i].Account)] != row.Line {
			continue // invalid or a repeat: already reported
		}
		_, err := users.FindUserByAccount(ctx, out[i].Account)
		switch examhall.ErrorCode(err) {
		case examhall.ENOTFOUND:
		case "":
			reasons[i] = append(reasons[i], fmt.Sprintf("account %q already exists", out[i].Account))
		default:
			return nil, nil, err
		}
	}
	hashes, errs := hashAll(ctx, hash, passwords)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var bad []RowError
	for i, row := range rows {
		if err := errs[i]; err != nil {
			if examhall.ErrorCode(err) != examhall.EINVALID {
				return nil, nil, err
			}
			reasons[i] = append(reasons[i], "password: "+examhall.ErrorMessage(err))
		}
		out[i].PasswordHash = hashes[i]
		if len(reasons[i]) > 0 {
			bad = append(bad, RowError{Line: row.Line, Reason: strings.Join(reasons[i], "; ")})
		}
	}
	return out, bad, nil
}

// hashAll hashes passwords in parallel, since bcrypt is slow on purpose;
// empty passwords stay empty. errs[i] is the error of passwords[i]. It stops
// early when ctx is done.
func hashAll(ctx context.Context, hash func(string) (string, error), passwords []string) (hashes []string, errs []error) {
	hashes, errs = make([]string, len(passwords)), make([]error, len(passwords))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				hashes[i], errs[i] = hash(passwords[i])
			}
		})
	}
	defer wg.Wait()
	defer close(next)
	for i, p := range passwords {
		if p == "" {
			continue
		}
		select {
		case next <- i:
		case <-ctx.Done():
			errs[i] = ctx.Err()
			return hashes, errs
		}
	}
	return hashes, errs
}
