package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"examhall"
	"examhall/sheet"
)

// peopleRoutes lists the routes of the people pages: departments, users, imports, account.
func (s *Server) peopleRoutes() []route {
	return []route{
		{pattern: "GET /admin/departments", h: s.departmentsPage, access: adminOnly},
		{pattern: "POST /admin/departments", h: s.createDepartment, access: adminOnly},
		{pattern: "GET /admin/departments/{id}", h: s.departmentPage, access: adminOnly},
		{pattern: "POST /admin/departments/{id}", h: s.updateDepartment, access: adminOnly},
		{pattern: "POST /admin/departments/{id}/delete", h: s.deleteDepartment, access: adminOnly},

		{pattern: "GET /admin/people", h: s.usersPage, access: adminOnly},
		{pattern: "GET /admin/people/new", h: s.newUserPage, access: adminOnly},
		{pattern: "POST /admin/people", h: s.createUser, access: adminOnly},
		{pattern: "GET /admin/people/import", h: s.importPage, access: adminOnly},
		{pattern: "POST /admin/people/import", h: s.previewImport, access: adminOnly},
		{pattern: "POST /admin/people/import/commit", h: s.commitImport, access: adminOnly},
		{pattern: "GET /admin/people/template", h: s.importTemplate, access: adminOnly},
		{pattern: "GET /admin/people/{id}", h: s.userPage, access: adminOnly},
		{pattern: "POST /admin/people/{id}", h: s.updateUser, access: adminOnly},
		{pattern: "POST /admin/people/{id}/password", h: s.resetPassword, access: adminOnly},

		{pattern: "GET /admin/apps", h: s.appsPage, access: adminOnly},
		{pattern: "POST /admin/apps", h: s.createApp, access: adminOnly},
		{pattern: "GET /admin/apps/{id}/disable", h: s.disableAppPage, access: adminOnly},
		{pattern: "POST /admin/apps/{id}/disable", h: s.disableApp, access: adminOnly},

		{pattern: "GET /account", h: s.accountPage, access: signedIn},
		{pattern: "POST /account/password", h: s.changePassword, access: signedIn},
	}
}

// ---- Departments ----

// departmentsView is the department tree with the form to add one.
type departmentsView struct {
	Page
	Depts  []deptOption
	Name   string
	Parent string
	Errors fieldErrors
	Notice string
}

func (s *Server) departmentsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showDepartments(w, r, http.StatusOK, "", "", nil)
}

func (s *Server) showDepartments(w http.ResponseWriter, r *http.Request, status int, name, parent string, errs fieldErrors) error {
	ds, err := s.deptOptions(r)
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = p.T("depts.title")
	s.render(w, r, status, "departments", &departmentsView{Page: p, Depts: ds, Name: name, Parent: parent, Errors: errs, Notice: notice(r)})
	return nil
}

// deptForm reads a department form's name and parent.
func (s *Server) deptForm(r *http.Request, p *Page) (name, parent string, errs fieldErrors) {
	errs = fieldErrors{}
	name = errs.text(r, "name", p)
	parent = errs.text(r, "parent", p)
	if err := examhall.ValidateDeptName(name); err != nil && !errs.Has("name") {
		errs.add("name", p.T("depts.badName"))
	}
	if parent != "" {
		if _, err := s.Depts.FindDepartmentByID(r.Context(), parent); err != nil {
			if examhall.ErrorCode(err) != examhall.ENOTFOUND {
				errs.add("parent", examhall.ErrorMessage(err))
			} else {
				errs.add("parent", p.T("depts.noParent"))
			}
		}
	}
	return name, parent, errs
}

// createDepartment adds a department under the chosen parent (or a root).
func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request) error {
	p := s.page(w, r)
	name, parent, errs := s.deptForm(r, &p)
	if len(errs) == 0 {
		err := s.Depts.CreateDepartment(r.Context(), &examhall.Department{Name: name, ParentID: parent})
		switch examhall.ErrorCode(err) {
		case "":
			redirect(w, r, "/admin/departments", "notice.deptCreated")
			return nil
		case examhall.ECONFLICT, examhall.EINVALID:
			errs.add("name", examhall.ErrorMessage(err))
		default:
			return err
		}
	}
	return s.showDepartments(w, r, http.StatusBadRequest, name, parent, errs)
}

// departmentView is one department's page: rename, move, delete.
type departmentView struct {
	Page
	Dept   *examhall.Department
	Depts  []deptOption // possible parents: not itself nor below it
	Name   string
	Parent string
	Errors fieldErrors
	Users  int
}

func (s *Server) departmentPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Depts.FindDepartmentByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.showDepartment(w, r, http.StatusOK, d, d.Name, d.ParentID, nil)
}

func (s *Server) showDepartment(w http.ResponseWriter, r *http.Request, status int, d *examhall.Department, name, parent string, errs fieldErrors) error {
	all, err := s.deptOptions(r)
	if err != nil {
		return err
	}
	var parents []deptOption
	for _, o := range all {
		if o.ID != d.ID && !strings.HasPrefix(o.Path, d.Path+"/") {
			parents = append(parents, o)
		}
	}
	_, n, err := s.Users.FindUsers(r.Context(), examhall.UserFilter{DeptID: &d.ID, Limit: 1})
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = d.Path
	s.render(w, r, status, "department", &departmentView{Page: p, Dept: d, Depts: parents, Name: name, Parent: parent, Errors: errs, Users: n})
	return nil
}

// updateDepartment renames or moves a department.
func (s *Server) updateDepartment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d, err := s.Depts.FindDepartmentByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.page(w, r)
	name, parent, errs := s.deptForm(r, &p)
	if len(errs) == 0 {
		_, err := s.Depts.UpdateDepartment(ctx, d.ID, examhall.DepartmentUpdate{Name: &name, ParentID: &parent})
		switch examhall.ErrorCode(err) {
		case "":
			redirect(w, r, "/admin/departments", "notice.deptSaved")
			return nil
		case examhall.ECONFLICT, examhall.EINVALID:
			errs.add("parent", examhall.ErrorMessage(err))
		default:
			return err
		}
	}
	return s.showDepartment(w, r, http.StatusBadRequest, d, name, parent, errs)
}

// deleteDepartment deletes an empty department; the store refuses one with
// children or users, and the page shows its reason.
func (s *Server) deleteDepartment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d, err := s.Depts.FindDepartmentByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	err = s.Depts.DeleteDepartment(ctx, d.ID)
	switch examhall.ErrorCode(err) {
	case "":
		redirect(w, r, "/admin/departments", "notice.deptDeleted")
		return nil
	case examhall.ECONFLICT:
		p := s.page(w, r)
		return s.showDepartment(w, r, http.StatusConflict, d, d.Name, d.ParentID, fieldErrors{"delete": p.T("depts.notEmpty", examhall.ErrorMessage(err))})
	}
	return err
}

// ---- Users ----

// usersView is the list of users with its filters and paging.
type usersView struct {
	Page
	Users  []*examhall.User
	Depts  []deptOption
	Query  string
	Dept   string
	Role   string
	Pager  *pager
	Notice string
}

// usersPage lists users a page at a time, filtered by a search (account or
// name), department and role; the store counts and pages, so it stays fast
// with 100,000 users.
func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := s.page(w, r)
	p.Title = p.T("users.title")
	v := &usersView{Page: p, Query: strings.TrimSpace(q.Get("q")), Dept: q.Get("dept"), Role: q.Get("role"), Pager: newPager(r), Notice: notice(r)}
	if !examhall.ValidText(v.Query) || len(v.Query) > 200 {
		return examhall.Errorf(examhall.EINVALID, "the search is too long or not text")
	}
	f := examhall.UserFilter{Query: v.Query, Offset: v.Pager.Offset, Limit: pageSize}
	if v.Dept != "" {
		f.DeptID = &v.Dept
	}
	if v.Role != "" {
		role := examhall.Role(v.Role)
		if !role.Valid() {
			return examhall.Errorf(examhall.EINVALID, "role must be admin, invigilator or examinee, not %q", v.Role)
		}
		f.Role = &role
	}
	us, total, err := s.Users.FindUsers(r.Context(), f)
	if err != nil {
		return err
	}
	if v.Depts, err = s.deptOptions(r); err != nil {
		return err
	}
	v.Users = us
	v.Pager.fill(r, total, len(us))
	s.render(w, r, http.StatusOK, "users", v)
	return nil
}

// userForm is the form of a new or edited user.
type userForm struct {
	Account  string
	Name     string
	Role     string
	Dept     string
	Disabled bool
}

// userView is the page of a new user, or of one being edited with the
// password reset.
type userView struct {
	Page
	User      *examhall.User // nil for a new user
	Form      userForm
	Depts     []deptOption
	Errors    fieldErrors
	PwdErrors fieldErrors
	Self      bool // the signed-in admin's own account: no disabling or demoting
	Notice    string
}

func (s *Server) showUser(w http.ResponseWriter, r *http.Request, status int, v *userView) error {
	ds, err := s.deptOptions(r)
	if err != nil {
		return err
	}
	v.Depts = ds
	if v.User != nil {
		v.Title = v.User.Name
		v.Self = v.User.ID == v.Page.User.ID
	} else {
		v.Title = v.T("users.new")
	}
	s.render(w, r, status, "user", v)
	return nil
}

func (s *Server) newUserPage(w http.ResponseWriter, r *http.Request) error {
	return s.showUser(w, r, http.StatusOK, &userView{Page: s.page(w, r), Form: userForm{Role: string(examhall.RoleExaminee)}})
}

// readUserForm reads and checks the user form; a new user also has an
// account and an optional first password.
func (s *Server) readUserForm(r *http.Request, p *Page, isNew bool) (userForm, fieldErrors) {
	errs := fieldErrors{}
	f := userForm{Name: errs.text(r, "name", p), Role: r.PostFormValue("role"), Dept: errs.text(r, "dept", p), Disabled: r.PostFormValue("disabled") != ""}
	if isNew {
		f.Account = errs.text(r, "account", p)
		if err := examhall.ValidateAccount(f.Account); err != nil {
			errs.add("account", p.T("users.badAccount", examhall.MaxAccountLen))
		}
	}
	if err := examhall.ValidateName("name", f.Name, examhall.MaxNameLen); err != nil {
		errs.add("name", p.T("admin.form.name", examhall.MaxNameLen))
	}
	if !examhall.Role(f.Role).Valid() {
		errs.add("role", p.T("users.badRole"))
	}
	if f.Dept != "" {
		if _, err := s.Depts.FindDepartmentByID(r.Context(), f.Dept); err != nil {
			errs.add("dept", p.T("depts.noParent"))
		}
	}
	return f, errs
}

// createUser adds a user; with a password they can sign in with it.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	p := s.page(w, r)
	f, errs := s.readUserForm(r, &p, true)
	u := &examhall.User{Account: f.Account, Name: f.Name, Role: examhall.Role(f.Role), DeptID: f.Dept}
	if pw := r.PostFormValue("password"); pw != "" {
		if pw != r.PostFormValue("password2") {
			errs.add("password", p.T("account.mismatch"))
		} else if len(errs) == 0 {
			hash, err := s.HashPassword(pw)
			if examhall.ErrorCode(err) == examhall.EINVALID {
				errs.add("password", examhall.ErrorMessage(err))
			} else if err != nil {
				return err
			}
			u.PasswordHash = hash
		}
	}
	if len(errs) == 0 {
		err := s.Users.CreateUser(r.Context(), u)
		switch examhall.ErrorCode(err) {
		case "":
			redirect(w, r, "/admin/people/"+u.ID, "notice.userCreated")
			return nil
		case examhall.ECONFLICT:
			errs.add("account", p.T("users.taken", f.Account))
		case examhall.EINVALID:
			errs.add("dept", examhall.ErrorMessage(err))
		default:
			return err
		}
	}
	return s.showUser(w, r, http.StatusBadRequest, &userView{Page: p, Form: f, Errors: errs})
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Users.FindUserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := userForm{Account: u.Account, Name: u.Name, Role: string(u.Role), Dept: u.DeptID, Disabled: u.Disabled}
	return s.showUser(w, r, http.StatusOK, &userView{Page: s.page(w, r), User: u, Form: f, Notice: notice(r)})
}

// updateUser changes a user's name, role, department or disabled flag. An
// admin cannot disable or demote their own account, so the last admin
// cannot lock everyone out by accident.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := s.Users.FindUserByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.page(w, r)
	f, errs := s.readUserForm(r, &p, false)
	f.Account = u.Account
	if u.ID == p.User.ID && (f.Disabled || f.Role != string(examhall.RoleAdmin)) {
		errs.add("role", p.T("users.self"))
	}
	if len(errs) == 0 {
		role := examhall.Role(f.Role)
		_, err := s.Users.UpdateUser(ctx, u.ID, examhall.UserUpdate{Name: &f.Name, Role: &role, DeptID: &f.Dept, Disabled: &f.Disabled})
		switch examhall.ErrorCode(err) {
		case "":
			redirect(w, r, "/admin/people/"+u.ID, "notice.userSaved")
			return nil
		case examhall.EINVALID:
			errs.add("dept", examhall.ErrorMessage(err))
		default:
			return err
		}
	}
	return s.showUser(w, r, http.StatusBadRequest, &userView{Page: p, User: u, Form: f, Errors: errs})
}

// newPassword reads the fields new and new2 and hashes the password.
func (s *Server) newPassword(r *http.Request, p *Page, errs fieldErrors) (string, error) {
	pw := r.PostFormValue("new")
	switch {
	case pw == "":
		errs.add("new", p.T("account.required"))
	case pw != r.PostFormValue("new2"):
		errs.add("new2", p.T("account.mismatch"))
	}
	if len(errs) > 0 {
		return "", nil
	}
	hash, err := s.HashPassword(pw)
	if examhall.ErrorCode(err) == examhall.EINVALID {
		errs.add("new", examhall.ErrorMessage(err))
		return "", nil
	}
	return hash, err
}

// resetPassword sets another user's password (an admin's action).
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := s.Users.FindUserByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.page(w, r)
	errs := fieldErrors{}
	hash, err := s.newPassword(r, &p, errs)
	if err != nil {
		return err
	}
	if len(errs) == 0 {
		if _, err := s.Users.UpdateUser(ctx, u.ID, examhall.UserUpdate{PasswordHash: &hash}); err != nil {
			return err
		}
		redirect(w, r, "/admin/people/"+u.ID, "notice.passwordReset")
		return nil
	}
	f := userForm{Account: u.Account, Name: u.Name, Role: string(u.Role), Dept: u.DeptID, Disabled: u.Disabled}
	return s.showUser(w, r, http.StatusBadRequest, &userView{Page: p, User: u, Form: f, PwdErrors: errs})
}

// ---- Import ----

// maxPageImportRows bounds the rows of an import through the pages, so the
// preview's sealed rows (with their password hashes, which do not compress)
// fit in the commit form's 1 MiB.
const maxPageImportRows = 5000

// importView is the import form, and the preview of an uploaded file: its
// bad rows, or the users it will create with the form that commits them.
type importView struct {
	Page
	Error     string
	Bad       []sheet.RowError
	Rows      int              // rows below the header
	Users     []*examhall.User // the first previewUsers of them
	More      int              // how many more there are
	Sealed    *sealed
	Previewed bool
}

// previewUsers is how many users a clean preview lists.
const previewUsers = 100

// importedUser is a previewed user as the commit receives it.
type importedUser struct {
	Account  string        `json:"a"`
	Name     string        `json:"n"`
	Role     examhall.Role `json:"r"`
	DeptPath string        `json:"d"`
	Hash     string        `json:"h,omitempty"`
}

const sealUsers = "users"

func (s *Server) importPage(w http.ResponseWriter, r *http.Request) error {
	p := s.page(w, r)
	p.Title = p.T("import.title")
	s.render(w, r, http.StatusOK, "import", &importView{Page: p})
	return nil
}

// previewImport reads the uploaded file and shows every bad row with its
// line and reason, writing nothing; a clean file is shown with the button
// that imports it.
func (s *Server) previewImport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := s.page(w, r)
	p.Title = p.T("import.title")
	v := &importView{Page: p, Previewed: true}
	rows, err := upload(r, "file", maxPageImportRows)
	var users []*examhall.User
	if err == nil {
		users, v.Bad, err = sheet.ParseUsers(ctx, rows, s.Users, s.HashPassword)
	}
	switch code := examhall.ErrorCode(err); {
	case err == nil:
	case code == examhall.EINVALID || code == examhall.ETOOLARGE:
		v.Error = examhall.ErrorMessage(err)
		s.render(w, r, http.StatusBadRequest, "import", v)
		return nil
	default:
		return err
	}
	v.Rows = len(rows) - 1
	if len(v.Bad) > 0 {
		s.render(w, r, http.StatusBadRequest, "import", v)
		return nil
	}
	payload := make([]importedUser, len(users))
	for i, u := range users {
		payload[i] = importedUser{Account: u.Account, Name: u.Name, Role: u.Role, DeptPath: u.DeptPath, Hash: u.PasswordHash}
	}
	sl, err := s.seal(sealUsers, payload)
	if err != nil {
		return err
	}
	v.Sealed = &sl
	v.Users = users[:min(len(users), previewUsers)]
	v.More = len(users) - len(v.Users)
	s.render(w, r, http.StatusOK, "import", v)
	return nil
}

// commitImport creates the previewed users, all or none.
func (s *Server) commitImport(w http.ResponseWriter, r *http.Request) error {
	var payload []importedUser
	err := s.unseal(r, sealUsers, &payload)
	if err == nil && len(payload) == 0 {
		err = examhall.Errorf(examhall.EINVALID, "the preview holds no users")
	}
	if err == nil {
		users := make([]*examhall.User, len(payload))
		for i, u := range payload {
			users[i] = &examhall.User{Account: u.Account, Name: u.Name, Role: u.Role, DeptPath: u.DeptPath, PasswordHash: u.Hash}
		}
		err = s.Users.ImportUsers(r.Context(), users)
	}
	switch examhall.ErrorCode(err) {
	case "":
		redirect(w, r, fmt.Sprintf("/admin/people?imported=%d", len(payload)), "notice.imported")
		return nil
	case examhall.EINVALID, examhall.ECONFLICT:
		p := s.page(w, r)
		p.Title = p.T("import.title")
		s.render(w, r, httpStatus(err), "import", &importView{Page: p, Error: examhall.ErrorMessage(err)})
		return nil
	}
	return err
}

// httpStatus is the status of a client error shown on a form.
func httpStatus(err error) int {
	if examhall.ErrorCode(err) == examhall.ECONFLICT {
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// importTemplate downloads an empty import file with the header and an
// example row, as CSV or XLSX.
func (s *Server) importTemplate(w http.ResponseWriter, r *http.Request) error {
	f, err := sheet.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return err
	}
	example := [][]string{{"zhangsan", "张三", "Acme/Sales", "examinee", ""}}
	var buf bytes.Buffer
	if err := sheet.Write(&buf, f, "users", sheet.UserHeader, example); err != nil {
		return err
	}
	download(w, f, "users-template")
	_, _ = w.Write(buf.Bytes())
	return nil
}

// download sets the headers of a spreadsheet download called name.
func download(w http.ResponseWriter, f sheet.Format, name string) {
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+string(f)+`"`)
	w.Header().Set("Cache-Control", "no-store")
}

// ---- Open-API credentials ----

// appsView lists open-API credentials; Secret is shown once, right after
// creating them.
type appsView struct {
	Page
	Apps    []*examhall.App
	Name    string
	Errors  fieldErrors
	Created *examhall.App
	Secret  string
	Notice  string
	Confirm *examhall.App // the app whose disabling is being confirmed
}

func (s *Server) showApps(w http.ResponseWriter, r *http.Request, status int, v *appsView) error {
	apps, err := s.Apps.FindApps(r.Context())
	if err != nil {
		return err
	}
	v.Apps = apps
	v.Title = v.T("apps.title")
	s.render(w, r, status, "apps", v)
	return nil
}

func (s *Server) appsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showApps(w, r, http.StatusOK, &appsView{Page: s.page(w, r), Notice: notice(r)})
}

// createApp creates credentials and shows the secret, this once: the store
// keeps only its hash. The page is not a redirect, so the secret never
// sits in a URL or the history.
func (s *Server) createApp(w http.ResponseWriter, r *http.Request) error {
	p := s.page(w, r)
	errs := fieldErrors{}
	name := errs.text(r, "name", &p)
	if err := examhall.ValidateName("name", name, examhall.MaxNameLen); err != nil {
		errs.add("name", p.T("admin.form.name", examhall.MaxNameLen))
	}
	if len(errs) > 0 {
		return s.showApps(w, r, http.StatusBadRequest, &appsView{Page: p, Name: name, Errors: errs})
	}
	app, secret, err := s.AppAuth.CreateApp(r.Context(), name)
	if err != nil {
		return err
	}
	return s.showApps(w, r, http.StatusCreated, &appsView{Page: p, Created: app, Secret: secret})
}

// disableAppPage asks to confirm disabling credentials.
func (s *Server) disableAppPage(w http.ResponseWriter, r *http.Request) error {
	app, err := s.Apps.FindAppByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.showApps(w, r, http.StatusOK, &appsView{Page: s.page(w, r), Confirm: app})
}

// disableApp stops the credentials' secret from issuing tokens.
func (s *Server) disableApp(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	app, err := s.Apps.FindAppByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.Apps.DisableApp(ctx, app.ID); err != nil {
		return err
	}
	redirect(w, r, "/admin/apps", "notice.appDisabled")
	return nil
}

// ---- Account ----

// accountView is the signed-in user's account: who they are and the
// password change.
type accountView struct {
	Page
	Errors fieldErrors
	Notice string
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	p := s.page(w, r)
	p.Title = p.T("account.title")
	s.render(w, r, http.StatusOK, "account", &accountView{Page: p, Notice: notice(r)})
	return nil
}

// changePassword changes the caller's own password after checking the old
// one (through Login, so wrong guesses are throttled like sign-ins).
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	c, err := callerOf(r.Context())
	if err != nil {
		return err
	}
	p := s.page(w, r)
	p.Title = p.T("account.title")
	errs := fieldErrors{}
	old := r.PostFormValue("old")
	status := http.StatusBadRequest
	if old == "" {
		errs.add("old", p.T("account.required"))
	} else if !examhall.ValidText(old) {
		errs.add("old", p.T("account.wrongOld"))
	} else {
		_, _, err := s.Auth.Login(r.Context(), c.User.Account, old, r.RemoteAddr)
		switch examhall.ErrorCode(err) {
		case "":
		case examhall.EUNAUTHORIZED:
			errs.add("old", p.T("account.wrongOld"))
		case examhall.ETOOMANY:
			errs.add("old", p.T("signin.throttled"))
			status = http.StatusTooManyRequests
		default:
			return err
		}
	}
	hash, err := s.newPassword(r, &p, errs)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		s.render(w, r, status, "account", &accountView{Page: p, Errors: errs})
		return nil
	}
	if _, err := s.Users.UpdateUser(r.Context(), c.ID, examhall.UserUpdate{PasswordHash: &hash}); err != nil {
		return err
	}
	// A new password ends the user's sessions (their token version moves
	// on), this one included: sign this browser in again with it.
	token, exp, err := s.Auth.Login(r.Context(), c.User.Account, r.PostFormValue("new"), r.RemoteAddr)
	if err != nil {
		return err
	}
	s.setCookie(w, SessionCookie, token, exp, http.SameSiteLaxMode)
	redirect(w, r, "/account", "notice.passwordChanged")
	return nil
}
