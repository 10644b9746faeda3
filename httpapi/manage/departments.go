package manage

import (
	"net/http"
	"strings"

	"examhall"
)

// listDepartments returns the whole tree as a flat list ordered by path.
func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	ds, err := s.Depts.FindDepartments(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(ds, s.deptJSON), len(ds)))
}

// createDepartment creates a department under parentId ("" or absent: a root).
func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	var req struct {
		Name     string `json:"name"`
		ParentID string `json:"parentId"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d := &examhall.Department{Name: strings.TrimSpace(req.Name), ParentID: req.ParentID}
	if err := examhall.ValidateDeptName(d.Name); err != nil {
		return err
	}
	if d.ParentID != "" {
		if _, err := checkID("parentId", d.ParentID); err != nil {
			return err
		}
	}
	if err := s.Depts.CreateDepartment(ctx, d); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s.deptJSON(d))
}

// updateDepartment renames a department or moves it (parentId "" makes it
// a root); its descendants' paths follow.
func (s *Server) updateDepartment(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return err
	}
	var req struct {
		Name     *string `json:"name"`
		ParentID *string `json:"parentId"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil && req.ParentID == nil {
		return examhall.Errorf(examhall.EINVALID, "give name, parentId or both")
	}
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		if err := examhall.ValidateDeptName(name); err != nil {
			return err
		}
		req.Name = &name
	}
	if req.ParentID != nil && *req.ParentID != "" {
		if _, err := checkID("parentId", *req.ParentID); err != nil {
			return err
		}
		if *req.ParentID == id {
			return examhall.Errorf(examhall.ECONFLICT, "a department cannot be its own parent")
		}
	}
	d, err := s.Depts.UpdateDepartment(ctx, id, examhall.DepartmentUpdate{Name: req.Name, ParentID: req.ParentID})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.deptJSON(d))
}

// deleteDepartment deletes an empty department (409 while it has children
// or users).
func (s *Server) deleteDepartment(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return err
	}
	if err := s.Depts.DeleteDepartment(ctx, id); err != nil {
		return err
	}
	return noContent(w)
}
