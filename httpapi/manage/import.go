package manage

import (
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"examhall"
	"examhall/httpapi"
	"examhall/sheet"
)

// Limits of a user import.
const (
	maxImportBytes = 32 << 20
	maxImportRows  = 10000
)

// Import columns. The header names them in any order and case; the Chinese
// names are those of spreadsheets exported from the vendors' consoles.
const (
	colAccount = "account"
	colName    = "name"
	colDept    = "department"
	colRole    = "role"
	colPass    = "password"
)

var columnNames = map[string]string{
	"account": colAccount, "账号": colAccount, "考生账号": colAccount,
	"name": colName, "姓名": colName,
	"department": colDept, "dept": colDept, "部门": colDept,
	"role": colRole, "角色": colRole,
	"password": colPass, "密码": colPass,
}

// roleNames maps the role values an import accepts to roles.
var roleNames = map[string]examhall.Role{
	"admin": examhall.RoleAdmin, "管理员": examhall.RoleAdmin,
	"invigilator": examhall.RoleInvigilator, "监考员": examhall.RoleInvigilator, "监考": examhall.RoleInvigilator,
	"examinee": examhall.RoleExaminee, "考生": examhall.RoleExaminee,
}

// importUsers creates users from a CSV or XLSX file, all or none. Every row
// is checked first and all bad rows are reported together; only a clean
// file reaches Users.ImportUsers.
func (s *Server) importUsers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	data, err := readUpload(w, r)
	if err != nil {
		return err
	}
	rows, err := sheet.Read(data, sheet.Detect(data), maxImportRows)
	if err != nil {
		return err
	}
	if len(rows) < 2 {
		return examhall.Errorf(examhall.EINVALID, "the file has no users: it needs a header row and at least one row below it")
	}
	cols, err := importColumns(rows[0])
	if err != nil {
		return err
	}
	users, bad, err := s.parseImport(ctx, cols, rows[1:])
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return &rowsError{
			err:  examhall.Errorf(examhall.EINVALID, "%d of %d rows are invalid; nothing was imported", len(bad), len(rows)-1),
			rows: bad,
		}
	}
	if err := s.Users.ImportUsers(ctx, users); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, struct {
		Imported int `json:"imported"`
	}{len(users)})
}

// readUpload returns the uploaded file: the raw body, or the multipart
// field "file".
func readUpload(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	// The multipart envelope may add a little to the file's own limit.
	body := http.MaxBytesReader(w, r.Body, maxImportBytes+64<<10)
	var src io.Reader = body
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil, examhall.Errorf(examhall.EINVALID, `the multipart body has no field "file"`)
			} else if err != nil {
				return nil, uploadError(err)
			}
			if part.FormName() == "file" {
				src = part
				break
			}
		}
	}
	data, err := io.ReadAll(io.LimitReader(src, maxImportBytes+1))
	if err != nil {
		return nil, uploadError(err)
	}
	switch {
	case len(data) > maxImportBytes:
		return nil, examhall.Errorf(examhall.ETOOLARGE, "the file is larger than %d MiB", maxImportBytes>>20)
	case len(data) == 0:
		return nil, examhall.Errorf(examhall.EINVALID, "the file is empty")
	}
	return data, nil
}

func uploadError(err error) error {
	if e := httpapi.JSONError(err); examhall.ErrorCode(e) == examhall.ETOOLARGE {
		return e
	}
	return examhall.Errorf(examhall.EINVALID, "reading the upload: %s", err)
}

// importColumns maps each known column to its index in the header row.
func importColumns(header sheet.Row) (map[string]int, error) {
	cols := map[string]int{}
	for i, h := range header.Cells {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		col, ok := columnNames[h]
		if !ok {
			return nil, examhall.Errorf(examhall.EINVALID, "line %d: unknown column %q; the columns are account, name, department, role and optionally password", header.Line, h)
		}
		if _, dup := cols[col]; dup {
			return nil, examhall.Errorf(examhall.EINVALID, "line %d: column %q appears twice", header.Line, col)
		}
		cols[col] = i
	}
	var missing []string
	for _, c := range []string{colAccount, colName, colDept, colRole} {
		if _, ok := cols[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, examhall.Errorf(examhall.EINVALID, "line %d: the header lacks the column(s) %s", header.Line, strings.Join(missing, ", "))
	}
	return cols, nil
}

// parseImport turns rows into users and lists the bad rows. Its error is
// for failures that are not the file's fault.
func (s *Server) parseImport(ctx context.Context, cols map[string]int, rows []sheet.Row) ([]*examhall.User, []RowError, error) {
	users := make([]*examhall.User, len(rows))
	reasons := make([][]string, len(rows))
	passwords := make([]string, len(rows))
	firstLine := map[string]int{} // account → line it first appears on
	for i, row := range rows {
		cell := func(col string) string {
			if j, ok := cols[col]; ok && j < len(row.Cells) {
				return row.Cells[j]
			}
			return ""
		}
		fail := func(err error) { reasons[i] = append(reasons[i], examhall.ErrorMessage(err)) }
		u := &examhall.User{
			Account: strings.TrimSpace(cell(colAccount)),
			Name:    strings.TrimSpace(cell(colName)),
		}
		users[i], passwords[i] = u, cell(colPass)
		if err := checkAccount(u.Account); err != nil {
			fail(err)
		} else if prev, dup := firstLine[u.Account]; dup {
			fail(examhall.Errorf(examhall.EINVALID, "account %q repeats line %d", u.Account, prev))
		} else {
			firstLine[u.Account] = row.Line
		}
		if err := checkName("name", u.Name, examhall.MaxNameLen); err != nil {
			fail(err)
		}
		if role, ok := roleNames[strings.ToLower(strings.TrimSpace(cell(colRole)))]; ok {
			u.Role = role
		} else {
			fail(examhall.Errorf(examhall.EINVALID, "role must be admin, invigilator or examinee, not %q", cell(colRole)))
		}
		if parts, err := examhall.SplitDeptPath(cell(colDept)); err != nil {
			fail(err)
		} else {
			u.DeptPath = strings.Join(parts, "/")
		}
	}
	for i, row := range rows {
		if firstLine[users[i].Account] != row.Line {
			continue // invalid or a repeat: already reported
		}
		_, err := s.Users.FindUserByAccount(ctx, users[i].Account)
		switch examhall.ErrorCode(err) {
		case examhall.ENOTFOUND:
		case "":
			reasons[i] = append(reasons[i], fmt.Sprintf("account %q already exists", users[i].Account))
		default:
			return nil, nil, err
		}
	}
	hashes, errs := hashAll(ctx, s.HashPassword, passwords)
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
		users[i].PasswordHash = hashes[i]
		if len(reasons[i]) > 0 {
			bad = append(bad, RowError{Line: row.Line, Reason: strings.Join(reasons[i], "; ")})
		}
	}
	return users, bad, nil
}
