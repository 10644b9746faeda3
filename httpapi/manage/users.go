package manage

import (
	"net/http"
	"strings"

	"examhall"
)

// listUsers lists users filtered by q (account or name substring), role,
// deptId and disabled.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	q := r.URL.Query()
	offset, limit, err := page(q)
	if err != nil {
		return err
	}
	f := examhall.UserFilter{Offset: offset, Limit: limit}
	if f.Query, err = queryText(q, "q"); err != nil {
		return err
	}
	if v := q.Get("role"); v != "" {
		role := examhall.Role(v)
		if !role.Valid() {
			return examhall.Errorf(examhall.EINVALID, "role must be admin, invigilator or examinee, not %q", v)
		}
		f.Role = &role
	}
	if v := q.Get("deptId"); v != "" {
		if _, err := checkID("deptId", v); err != nil {
			return err
		}
		f.DeptID = &v
	}
	if f.Disabled, err = queryBool(q, "disabled"); err != nil {
		return err
	}
	us, total, err := s.Users.FindUsers(ctx, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(us, s.userJSON), total))
}

// checkRole checks a role given in a request.
func checkRole(role examhall.Role) error {
	if !role.Valid() {
		return examhall.Errorf(examhall.EINVALID, "role must be admin, invigilator or examinee, not %q", role)
	}
	return nil
}

// createUser creates a user in deptId, or in the department at deptPath
// (created when missing). Without a password the user cannot log in with
// one; examinees then use join links.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	var req struct {
		Account  string        `json:"account"`
		Name     string        `json:"name"`
		Role     examhall.Role `json:"role"`
		DeptID   string        `json:"deptId"`
		DeptPath string        `json:"deptPath"`
		Password string        `json:"password"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u := &examhall.User{Account: strings.TrimSpace(req.Account), Name: strings.TrimSpace(req.Name), Role: req.Role, DeptID: req.DeptID}
	if err := examhall.ValidateAccount(u.Account); err != nil {
		return err
	}
	if err := examhall.ValidateName("name", u.Name, examhall.MaxNameLen); err != nil {
		return err
	}
	if err := checkRole(u.Role); err != nil {
		return err
	}
	switch {
	case req.DeptID != "" && req.DeptPath != "":
		return examhall.Errorf(examhall.EINVALID, "give deptId or deptPath, not both")
	case req.DeptID != "":
		if _, err := checkID("deptId", req.DeptID); err != nil {
			return err
		}
	case req.DeptPath != "":
		if _, err := examhall.SplitDeptPath(req.DeptPath); err != nil {
			return err
		}
	}
	if req.Password != "" {
		hash, err := s.HashPassword(req.Password)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
	}
	if req.DeptPath != "" {
		d, err := s.Depts.EnsureDepartmentPath(ctx, req.DeptPath)
		if err != nil {
			return err
		}
		u.DeptID = d.ID
	}
	if err := s.Users.CreateUser(ctx, u); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s.userJSON(u))
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return err
	}
	u, err := s.Users.FindUserByID(ctx, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.userJSON(u))
}

// updateUser changes a user's name, role, department ("" for none),
// password or disabled flag. Admins cannot disable or demote themselves, so
// the last admin cannot lock everyone out by accident.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return err
	}
	var req struct {
		Name     *string        `json:"name"`
		Role     *examhall.Role `json:"role"`
		DeptID   *string        `json:"deptId"`
		Password *string        `json:"password"`
		Disabled *bool          `json:"disabled"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	upd := examhall.UserUpdate{Role: req.Role, DeptID: req.DeptID, Disabled: req.Disabled}
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		if err := examhall.ValidateName("name", name, examhall.MaxNameLen); err != nil {
			return err
		}
		upd.Name = &name
	}
	if req.Role != nil {
		if err := checkRole(*req.Role); err != nil {
			return err
		}
	}
	if req.DeptID != nil && *req.DeptID != "" {
		if _, err := checkID("deptId", *req.DeptID); err != nil {
			return err
		}
	}
	if c, _ := callerOf(ctx); c.ID == id && ((req.Disabled != nil && *req.Disabled) || (req.Role != nil && *req.Role != examhall.RoleAdmin)) {
		return examhall.Errorf(examhall.ECONFLICT, "you cannot disable or demote your own account")
	}
	if req.Password != nil {
		if *req.Password == "" {
			return examhall.Errorf(examhall.EINVALID, "password must not be empty")
		}
		hash, err := s.HashPassword(*req.Password)
		if err != nil {
			return err
		}
		upd.PasswordHash = &hash
	}
	u, err := s.Users.UpdateUser(ctx, id, upd)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.userJSON(u))
}
