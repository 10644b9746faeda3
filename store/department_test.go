package store

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// coreMustDept creates a department under parentID ("" for a root).
func coreMustDept(tb testing.TB, db *DB, name, parentID string) *examhall.Department {
	tb.Helper()
	d := &examhall.Department{Name: name, ParentID: parentID}
	if err := db.CreateDepartment(context.Background(), d); err != nil {
		tb.Fatalf("CreateDepartment(%s): %v", name, err)
	}
	return d
}

// corePaths returns every department's path, in FindDepartments' order.
func corePaths(tb testing.TB, db *DB) []string {
	tb.Helper()
	depts, err := db.FindDepartments(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var paths []string
	for _, d := range depts {
		paths = append(paths, d.Path)
	}
	return paths
}

func TestCreateDepartment(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		coreClock(db)
		acme := coreMustDept(t, db, " Acme ", "")
		sales := coreMustDept(t, db, "Sales", acme.ID)
		if acme.Name != "Acme" || acme.Path != "Acme" || sales.Path != "Acme/Sales" || sales.ParentID != acme.ID {
			t.Errorf("created %+v, %+v", acme, sales)
		}
		got, err := db.FindDepartmentByID(ctx, sales.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sales, got); diff != "" {
			t.Errorf("FindDepartmentByID (-want +got):\n%s", diff)
		}
		_, err = db.FindDepartmentByID(ctx, "nope")
		coreWantErr(t, err, examhall.ENOTFOUND, `department "nope" not found`)

		for _, tt := range []struct {
			name string
			dept examhall.Department
			code string
			msg  string
		}{
			{"sibling clash", examhall.Department{Name: "Sales", ParentID: acme.ID}, examhall.ECONFLICT, `department "Acme/Sales" already exists`},
			{"root clash", examhall.Department{Name: "Acme"}, examhall.ECONFLICT, `department "Acme" already exists`},
			{"unknown parent", examhall.Department{Name: "X", ParentID: "p0"}, examhall.EINVALID, `parent department "p0" not found`},
			{"slash", examhall.Department{Name: "A/B"}, examhall.EINVALID, "contains '/'"},
			{"empty", examhall.Department{Name: "  "}, examhall.EINVALID, "empty"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				coreWantErr(t, db.CreateDepartment(ctx, &tt.dept), tt.code, tt.msg)
			})
		}
		// The same name is fine under another parent.
		coreMustDept(t, db, "Sales", "")
		if diff := cmp.Diff([]string{"Acme", "Acme/Sales", "Sales"}, corePaths(t, db)); diff != "" {
			t.Errorf("paths (-want +got):\n%s", diff)
		}
	})
}

func TestEnsureDepartmentPath(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		acme := coreMustDept(t, db, "Acme", "")
		c, err := db.EnsureDepartmentPath(ctx, "Acme/Sales/East")
		if err != nil {
			t.Fatal(err)
		}
		if c.Path != "Acme/Sales/East" || c.Name != "East" {
			t.Errorf("got %+v", c)
		}
		b, err := db.FindDepartmentByID(ctx, c.ParentID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Path != "Acme/Sales" || b.ParentID != acme.ID {
			t.Errorf("parent = %+v, want Acme/Sales under Acme", b)
		}
		again, err := db.EnsureDepartmentPath(ctx, " Acme/ Sales /East")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Errorf("second ensure (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"Acme", "Acme/Sales", "Acme/Sales/East"}, corePaths(t, db)); diff != "" {
			t.Errorf("paths (-want +got):\n%s", diff)
		}
		for _, bad := range []string{"", "A//B", "/A", "A/ /B"} {
			_, err := db.EnsureDepartmentPath(ctx, bad)
			coreWantErr(t, err, examhall.EINVALID, "department path")
		}
	})
}

func TestUpdateDepartment(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		// Acme/{Sales/{East/Team, West}, Ops}, Other
		acme := coreMustDept(t, db, "Acme", "")
		sales := coreMustDept(t, db, "Sales", acme.ID)
		east := coreMustDept(t, db, "East", sales.ID)
		coreMustDept(t, db, "Team", east.ID)
		coreMustDept(t, db, "West", sales.ID)
		ops := coreMustDept(t, db, "Ops", acme.ID)
		other := coreMustDept(t, db, "Other", "")
		u := coreMustUser(t, db, "bob", examhall.RoleExaminee, east.ID)

		steps := []struct {
			name  string
			id    string
			upd   examhall.DepartmentUpdate
			want  string // the department's new path
			paths []string
		}{
			{"rename", sales.ID, examhall.DepartmentUpdate{Name: corePtr(" Sales Center ")}, "Acme/Sales Center", []string{
				"Acme", "Acme/Ops", "Acme/Sales Center", "Acme/Sales Center/East", "Acme/Sales Center/East/Team",
				"Acme/Sales Center/West", "Other"}},
			{"move under another", east.ID, examhall.DepartmentUpdate{ParentID: &other.ID}, "Other/East", []string{
				"Acme", "Acme/Ops", "Acme/Sales Center", "Acme/Sales Center/West", "Other", "Other/East", "Other/East/Team"}},
			{"move and rename", sales.ID, examhall.DepartmentUpdate{Name: corePtr("Sales"), ParentID: &ops.ID}, "Acme/Ops/Sales", []string{
				"Acme", "Acme/Ops", "Acme/Ops/Sales", "Acme/Ops/Sales/West", "Other", "Other/East", "Other/East/Team"}},
			{"make a root", east.ID, examhall.DepartmentUpdate{ParentID: corePtr("")}, "East", []string{
				"Acme", "Acme/Ops", "Acme/Ops/Sales", "Acme/Ops/Sales/West", "East", "East/Team", "Other"}},
			{"no change", east.ID, examhall.DepartmentUpdate{}, "East", []string{
				"Acme", "Acme/Ops", "Acme/Ops/Sales", "Acme/Ops/Sales/West", "East", "East/Team", "Other"}},
		}
		for _, s := range steps {
			d, err := db.UpdateDepartment(ctx, s.id, s.upd)
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if d.Path != s.want {
				t.Errorf("%s: path = %q, want %q", s.name, d.Path, s.want)
			}
			if diff := cmp.Diff(s.paths, corePaths(t, db)); diff != "" {
				t.Errorf("%s: paths (-want +got):\n%s", s.name, diff)
			}
		}
		got, err := db.FindUserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.DeptPath != "East" {
			t.Errorf("user's DeptPath = %q, want East", got.DeptPath)
		}
		// Every parent_id still matches its path.
		depts, err := db.FindDepartments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]*examhall.Department{}
		for _, d := range depts {
			byID[d.ID] = d
		}
		for _, d := range depts {
			want := d.Name
			if p := byID[d.ParentID]; p != nil {
				want = p.Path + "/" + d.Name
			}
			if d.Path != want {
				t.Errorf("department %s: path %q, want %q from its parent", d.ID, d.Path, want)
			}
		}

		team, err := db.EnsureDepartmentPath(ctx, "East/Team")
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			id   string
			upd  examhall.DepartmentUpdate
			code string
			msg  string
		}{
			{"under itself", east.ID, examhall.DepartmentUpdate{ParentID: &east.ID}, examhall.ECONFLICT, `department "East" cannot move under itself`},
			{"under a descendant", east.ID, examhall.DepartmentUpdate{ParentID: &team.ID}, examhall.ECONFLICT, "cannot move under itself"},
			{"rename clash", east.ID, examhall.DepartmentUpdate{Name: corePtr("Other")}, examhall.ECONFLICT, `department "Other" already exists`},
			{"move clash", ops.ID, examhall.DepartmentUpdate{ParentID: corePtr("")}, examhall.ECONFLICT, `department "Ops" already exists`},
			{"unknown parent", east.ID, examhall.DepartmentUpdate{ParentID: corePtr("p0")}, examhall.EINVALID, `parent department "p0" not found`},
			{"bad name", east.ID, examhall.DepartmentUpdate{Name: corePtr("a/b")}, examhall.EINVALID, "contains '/'"},
			{"unknown", "nope", examhall.DepartmentUpdate{Name: corePtr("x")}, examhall.ENOTFOUND, `department "nope" not found`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if tt.name == "move clash" {
					coreMustDept(t, db, "Ops", "")
				}
				_, err := db.UpdateDepartment(ctx, tt.id, tt.upd)
				coreWantErr(t, err, tt.code, tt.msg)
			})
		}
	})
}

func TestDeleteDepartment(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		acme := coreMustDept(t, db, "Acme", "")
		sales := coreMustDept(t, db, "Sales", acme.ID)
		u := coreMustUser(t, db, "bob", examhall.RoleExaminee, sales.ID)

		coreWantErr(t, db.DeleteDepartment(ctx, acme.ID), examhall.ECONFLICT, `department "Acme" has 1 sub-departments`)
		coreWantErr(t, db.DeleteDepartment(ctx, sales.ID), examhall.ECONFLICT, `department "Acme/Sales" has 1 users`)
		coreWantErr(t, db.DeleteDepartment(ctx, "nope"), examhall.ENOTFOUND, `department "nope" not found`)

		if _, err := db.UpdateUser(ctx, u.ID, examhall.UserUpdate{DeptID: corePtr("")}); err != nil {
			t.Fatal(err)
		}
		// An exam's audience still names it.
		exam := coreMustExam(t, db)
		if _, err := db.w.ExecContext(ctx, `INSERT INTO exam_audience_depts (exam_id, dept_id) VALUES ($1, $2)`, exam, sales.ID); err != nil {
			t.Fatal(err)
		}
		coreWantErr(t, db.DeleteDepartment(ctx, sales.ID), examhall.ECONFLICT, `department "Acme/Sales" is still in use`)
		if _, err := db.w.ExecContext(ctx, `DELETE FROM exam_audience_depts`); err != nil {
			t.Fatal(err)
		}

		for _, id := range []string{sales.ID, acme.ID} {
			if err := db.DeleteDepartment(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if n := coreCount(t, db, "departments"); n != 0 {
			t.Errorf("departments = %d, want 0", n)
		}
	})
}

// TestConcurrentDepartmentWrites ensures and imports into the same new
// paths, renames a root and moves a subtree between roots from many
// goroutines at once: no write fails, no department is made twice, and every
// path still matches its parent's.
func TestConcurrentDepartmentWrites(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		root := coreMustDept(t, db, "Root", "")
		other := coreMustDept(t, db, "Other", "")
		y, err := db.EnsureDepartmentPath(ctx, "Root/X/Y")
		if err != nil {
			t.Fatal(err)
		}
		x := y.ParentID
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				var err error
				switch g % 4 {
				case 0:
					_, err = db.EnsureDepartmentPath(ctx, "Other/A/B")
				case 1:
					err = db.ImportUsers(ctx, []*examhall.User{{Account: fmt.Sprint("u", g), Name: "U", Role: examhall.RoleExaminee, DeptPath: "Other/A/C"}})
				case 2:
					_, err = db.UpdateDepartment(ctx, root.ID, examhall.DepartmentUpdate{Name: corePtr(fmt.Sprint("Root", g))})
				case 3:
					parent := []string{root.ID, other.ID}[g/4%2]
					_, err = db.UpdateDepartment(ctx, x, examhall.DepartmentUpdate{ParentID: &parent})
				}
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		depts, err := db.FindDepartments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]*examhall.Department{}
		for _, d := range depts {
			byID[d.ID] = d
		}
		for _, d := range depts {
			want := d.Name
			if p := byID[d.ParentID]; p != nil {
				want = p.Path + "/" + d.Name
			}
			if d.Path != want {
				t.Errorf("department %s: path %q, want %q from its parent", d.ID, d.Path, want)
			}
		}
		if len(depts) != 7 { // Root, Other, X, Y, A, B, C
			t.Errorf("%d departments, want 7: %v", len(depts), corePaths(t, db))
		}
	})
}
