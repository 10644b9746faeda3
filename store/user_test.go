package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// Fixtures of the core services' tests (users, departments, rooms, audio,
// cheat records, apps).

// coreClock makes db's clock start at a fixed instant and advance one second
// per reading, so creation order shows in the times.
func coreClock(db *DB) {
	var mu sync.Mutex
	t := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	db.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

// coreTestPostgres returns the PostgreSQL DSN of the test run, or "".
func coreTestPostgres() string { return os.Getenv("EXAMHALL_TEST_POSTGRES") }

// coreWantErr fails unless err has the code and its message contains msg.
func coreWantErr(tb testing.TB, err error, code, msg string) {
	tb.Helper()
	if got := examhall.ErrorCode(err); got != code {
		tb.Fatalf("err = %v, want code %s", err, code)
	}
	if got := examhall.ErrorMessage(err); !strings.Contains(got, msg) {
		tb.Fatalf("err message = %q, want it to contain %q", got, msg)
	}
}

// coreMustUser creates an examinee (or the given role) with that account.
func coreMustUser(tb testing.TB, db *DB, account string, role examhall.Role, deptID string) *examhall.User {
	tb.Helper()
	u := &examhall.User{Account: account, Name: "Name " + account, Role: role, DeptID: deptID}
	if err := db.CreateUser(context.Background(), u); err != nil {
		tb.Fatalf("CreateUser(%s): %v", account, err)
	}
	return u
}

// coreMustExam inserts an exam row with raw SQL (exams belong to another
// part of the store) and returns its ID.
func coreMustExam(tb testing.TB, db *DB) string {
	tb.Helper()
	id := examhall.NewID(8)
	_, err := db.w.ExecContext(context.Background(), `INSERT INTO exams (id, name, begin_time, end_time,
		answer_minutes, pass_score, paper_score, allow_times, integral_rate, shuffle_questions, shuffle_options,
		partial_credit, audience, status, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 60, 60, 100, 1, 0.1, $5, $5, $5, 'all', 'published', '', $3, $3)`,
		id, "Exam "+id, time.Now().UnixMilli(), time.Now().Add(time.Hour).UnixMilli(), false)
	if err != nil {
		tb.Fatalf("insert exam: %v", err)
	}
	return id
}

// coreCount returns the number of rows of table.
func coreCount(tb testing.TB, db *DB, table string) int {
	tb.Helper()
	var n int
	if err := db.r.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestUserCreateFind(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		coreClock(db)
		dept, err := db.EnsureDepartmentPath(ctx, "Acme/Sales")
		if err != nil {
			t.Fatal(err)
		}
		u := &examhall.User{Account: "bob", Name: "Bob", Role: examhall.RoleExaminee, DeptID: dept.ID,
			PasswordHash: "hash", Disabled: true}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if len(u.ID) != 16 || strings.Contains(u.ID, "-") {
			t.Errorf("ID = %q, want 16 hex characters", u.ID)
		}
		if u.CreatedAt.IsZero() || !u.UpdatedAt.Equal(u.CreatedAt) {
			t.Errorf("times = %v, %v", u.CreatedAt, u.UpdatedAt)
		}
		want := *u
		want.DeptName, want.DeptPath = "Sales", "Acme/Sales"
		for name, find := range map[string]func() (*examhall.User, error){
			"ByID":      func() (*examhall.User, error) { return db.FindUserByID(ctx, u.ID) },
			"ByAccount": func() (*examhall.User, error) { return db.FindUserByAccount(ctx, "bob") },
		} {
			got, err := find()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		}

		// A user in no department.
		solo := coreMustUser(t, db, "solo", examhall.RoleAdmin, "")
		got, err := db.FindUserByID(ctx, solo.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(solo, got); diff != "" {
			t.Errorf("solo (-want +got):\n%s", diff)
		}

		_, err = db.FindUserByID(ctx, "nope")
		coreWantErr(t, err, examhall.ENOTFOUND, `user "nope" not found`)
		_, err = db.FindUserByAccount(ctx, "nope")
		coreWantErr(t, err, examhall.ENOTFOUND, `account "nope" not found`)
	})
}

func TestCreateUserErrors(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		coreMustUser(t, db, "bob", examhall.RoleExaminee, "")
		for _, tt := range []struct {
			name string
			user examhall.User
			code string
			msg  string
		}{
			{"taken", examhall.User{Account: "bob", Name: "B", Role: examhall.RoleExaminee}, examhall.ECONFLICT, `account "bob" is taken`},
			{"unknown dept", examhall.User{Account: "x", Name: "X", Role: examhall.RoleExaminee, DeptID: "d0"}, examhall.EINVALID, `department "d0" not found`},
			{"bad role", examhall.User{Account: "x", Name: "X", Role: "root"}, examhall.EINVALID, `role "root"`},
			{"no account", examhall.User{Name: "X", Role: examhall.RoleAdmin}, examhall.EINVALID, "account is required"},
			{"no name", examhall.User{Account: "x", Role: examhall.RoleAdmin}, examhall.EINVALID, "name is required"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				coreWantErr(t, db.CreateUser(ctx, &tt.user), tt.code, tt.msg)
			})
		}
		if n := coreCount(t, db, "users"); n != 1 {
			t.Errorf("users = %d, want 1", n)
		}
	})
}

func TestFindUsers(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		d, err := db.EnsureDepartmentPath(ctx, "Acme")
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"carol", "a_b", "axb", "dave", "50%", "500"} {
			coreMustUser(t, db, a, examhall.RoleExaminee, d.ID)
		}
		coreMustUser(t, db, "admin", examhall.RoleAdmin, "")
		if _, err := db.UpdateUser(ctx, coreAccountID(t, db, "dave"), examhall.UserUpdate{Disabled: corePtr(true)}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name   string
			filter examhall.UserFilter
			want   []string
			total  int
		}{
			{"all", examhall.UserFilter{}, []string{"50%", "500", "a_b", "admin", "axb", "carol", "dave"}, 7},
			{"page", examhall.UserFilter{Offset: 2, Limit: 2}, []string{"a_b", "admin"}, 7},
			{"offset only", examhall.UserFilter{Offset: 5}, []string{"carol", "dave"}, 7},
			{"past the end", examhall.UserFilter{Offset: 10, Limit: 5}, nil, 7},
			{"account", examhall.UserFilter{Account: corePtr("carol")}, []string{"carol"}, 1},
			{"id", examhall.UserFilter{ID: corePtr(coreAccountID(t, db, "axb"))}, []string{"axb"}, 1},
			{"dept", examhall.UserFilter{DeptID: &d.ID, Limit: 1}, []string{"50%"}, 6},
			{"no dept", examhall.UserFilter{DeptID: corePtr("")}, []string{"admin"}, 1},
			{"role", examhall.UserFilter{Role: corePtr(examhall.RoleAdmin)}, []string{"admin"}, 1},
			{"disabled", examhall.UserFilter{Disabled: corePtr(true)}, []string{"dave"}, 1},
			{"query underscore is literal", examhall.UserFilter{Query: "_"}, []string{"a_b"}, 1},
			{"query percent is literal", examhall.UserFilter{Query: "0%"}, []string{"50%"}, 1},
			{"query name, any case", examhall.UserFilter{Query: "NAME CA"}, []string{"carol"}, 1},
			{"combined", examhall.UserFilter{Role: corePtr(examhall.RoleExaminee), Disabled: corePtr(false), Query: "b"}, []string{"a_b", "axb"}, 2},
		} {
			t.Run(tt.name, func(t *testing.T) {
				users, total, err := db.FindUsers(ctx, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, u := range users {
					got = append(got, u.Account)
					if u.Account != "admin" && u.DeptPath != "Acme" {
						t.Errorf("%s: DeptPath = %q, want Acme", u.Account, u.DeptPath)
					}
				}
				if diff := cmp.Diff(tt.want, got); diff != "" || total != tt.total {
					t.Errorf("accounts (-want +got):\n%s\ntotal = %d, want %d", diff, total, tt.total)
				}
			})
		}
	})
}

// corePtr returns a pointer to v.
func corePtr[T any](v T) *T { return &v }

func coreAccountID(tb testing.TB, db *DB, account string) string {
	tb.Helper()
	u, err := db.FindUserByAccount(context.Background(), account)
	if err != nil {
		tb.Fatal(err)
	}
	return u.ID
}

func TestImportUsers(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if _, err := db.EnsureDepartmentPath(ctx, "Acme/Sales"); err != nil {
			t.Fatal(err)
		}
		users := []*examhall.User{
			{Account: "u1", Name: "U1", Role: examhall.RoleExaminee, DeptPath: "Acme/Sales/East"},
			{Account: "u2", Name: "U2", Role: examhall.RoleExaminee, DeptPath: " Acme / Sales / East "},
			{Account: "u3", Name: "U3", Role: examhall.RoleInvigilator, DeptPath: "Acme/Sales"},
			{Account: "u4", Name: "U4", Role: examhall.RoleExaminee, DeptPath: "Other"},
			{Account: "u5", Name: "U5", Role: examhall.RoleExaminee},
		}
		if err := db.ImportUsers(ctx, users); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, u := range users {
			f, err := db.FindUserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(u, f); diff != "" {
				t.Errorf("%s: stored user differs from the imported one (-imported +stored):\n%s", u.Account, diff)
			}
			got[f.Account] = f.DeptPath
		}
		want := map[string]string{"u1": "Acme/Sales/East", "u2": "Acme/Sales/East", "u3": "Acme/Sales", "u4": "Other", "u5": ""}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("dept paths (-want +got):\n%s", diff)
		}
		if n := coreCount(t, db, "departments"); n != 4 {
			t.Errorf("departments = %d, want 4", n)
		}

		// All or none: new departments and users vanish with the failure.
		for _, tt := range []struct {
			name  string
			users []*examhall.User
			code  string
			msg   string
		}{
			{"taken", []*examhall.User{
				{Account: "n1", Name: "N1", Role: examhall.RoleExaminee, DeptPath: "New/Dept"},
				{Account: "u3", Name: "X", Role: examhall.RoleExaminee},
				{Account: "u1", Name: "X", Role: examhall.RoleExaminee},
			}, examhall.ECONFLICT, `account "u3" is taken`},
			{"twice in the batch", []*examhall.User{
				{Account: "n1", Name: "N1", Role: examhall.RoleExaminee, DeptPath: "New/Dept"},
				{Account: "n1", Name: "N1", Role: examhall.RoleExaminee},
			}, examhall.ECONFLICT, `account "n1" is taken`},
			{"bad path", []*examhall.User{
				{Account: "n1", Name: "N1", Role: examhall.RoleExaminee, DeptPath: "New/Dept"},
				{Account: "n2", Name: "N2", Role: examhall.RoleExaminee, DeptPath: "A//B"},
			}, examhall.EINVALID, `department path "A//B"`},
			{"bad role", []*examhall.User{
				{Account: "n1", Name: "N1", Role: examhall.RoleExaminee, DeptPath: "New/Dept"},
				{Account: "n2", Name: "N2", Role: "boss"},
			}, examhall.EINVALID, `user "n2": role "boss"`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				coreWantErr(t, db.ImportUsers(ctx, tt.users), tt.code, tt.msg)
				if n := coreCount(t, db, "users"); n != 5 {
					t.Errorf("users = %d, want 5", n)
				}
				if n := coreCount(t, db, "departments"); n != 4 {
					t.Errorf("departments = %d, want 4", n)
				}
			})
		}

		// More users than one statement takes.
		var many []*examhall.User
		for i := range 2500 {
			many = append(many, &examhall.User{Account: fmt.Sprintf("m%04d", i), Name: "M", Role: examhall.RoleExaminee, DeptPath: "Bulk"})
		}
		if err := db.ImportUsers(ctx, many); err != nil {
			t.Fatal(err)
		}
		if n := coreCount(t, db, "users"); n != 2505 {
			t.Errorf("users = %d, want 2505", n)
		}
	})
}

func TestUpdateUser(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		coreClock(db)
		d, err := db.EnsureDepartmentPath(ctx, "Acme/Ops")
		if err != nil {
			t.Fatal(err)
		}
		u := coreMustUser(t, db, "bob", examhall.RoleExaminee, "")
		got, err := db.UpdateUser(ctx, u.ID, examhall.UserUpdate{Name: corePtr("Robert"), Role: corePtr(examhall.RoleInvigilator),
			DeptID: &d.ID, PasswordHash: corePtr("h2"), Disabled: corePtr(true)})
		if err != nil {
			t.Fatal(err)
		}
		want := *u
		want.Name, want.Role, want.DeptID, want.DeptName, want.DeptPath = "Robert", examhall.RoleInvigilator, d.ID, "Ops", "Acme/Ops"
		want.PasswordHash, want.Disabled = "h2", true
		want.TokenVersion = u.TokenVersion + 1 // earlier sessions end
		if diff := cmp.Diff(&want, got, coreIgnoreUpdated); diff != "" {
			t.Errorf("updated (-want +got):\n%s", diff)
		}
		if !got.UpdatedAt.After(u.UpdatedAt) {
			t.Errorf("UpdatedAt = %v, not after %v", got.UpdatedAt, u.UpdatedAt)
		}
		// Nil fields stay; "" leaves the department.
		got, err = db.UpdateUser(ctx, u.ID, examhall.UserUpdate{DeptID: corePtr("")})
		if err != nil {
			t.Fatal(err)
		}
		want.DeptID, want.DeptName, want.DeptPath = "", "", ""
		if diff := cmp.Diff(&want, got, coreIgnoreUpdated); diff != "" {
			t.Errorf("after leaving the department (-want +got):\n%s", diff)
		}
		// Each of a password, a role and a disable ends earlier sessions;
		// a name or department change does not.
		for _, tc := range []struct {
			name string
			upd  examhall.UserUpdate
			bump int
		}{
			{"name", examhall.UserUpdate{Name: corePtr("Bob")}, 0},
			{"password", examhall.UserUpdate{PasswordHash: corePtr("h3")}, 1},
			{"role", examhall.UserUpdate{Role: corePtr(examhall.RoleExaminee)}, 1},
			{"disabled", examhall.UserUpdate{Disabled: corePtr(false)}, 1},
		} {
			before := got.TokenVersion
			if got, err = db.UpdateUser(ctx, u.ID, tc.upd); err != nil {
				t.Fatal(err)
			}
			if got.TokenVersion != before+tc.bump {
				t.Errorf("%s: TokenVersion %d -> %d, want +%d", tc.name, before, got.TokenVersion, tc.bump)
			}
		}

		_, err = db.UpdateUser(ctx, "nope", examhall.UserUpdate{Name: corePtr("x")})
		coreWantErr(t, err, examhall.ENOTFOUND, `user "nope" not found`)
		_, err = db.UpdateUser(ctx, u.ID, examhall.UserUpdate{DeptID: corePtr("d0")})
		coreWantErr(t, err, examhall.EINVALID, `department "d0" not found`)
		_, err = db.UpdateUser(ctx, u.ID, examhall.UserUpdate{Role: corePtr(examhall.Role("x"))})
		coreWantErr(t, err, examhall.EINVALID, `role "x"`)
	})
}

// coreIgnoreUpdated ignores the UpdatedAt of users.
var coreIgnoreUpdated = cmp.FilterPath(func(p cmp.Path) bool {
	return p.Last().String() == ".UpdatedAt"
}, cmp.Ignore())

// CreateUser hands back the user as reads show it, department included.
func TestCreateUserReturnsDepartment(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		d, err := db.EnsureDepartmentPath(ctx, "Acme/Sales")
		if err != nil {
			t.Fatal(err)
		}
		u := &examhall.User{Account: "amy", Name: "Amy", Role: examhall.RoleExaminee, DeptID: d.ID}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if u.DeptName != "Sales" || u.DeptPath != "Acme/Sales" {
			t.Errorf("created user dept = %q %q, want Sales Acme/Sales", u.DeptName, u.DeptPath)
		}
		got, err := db.FindUserByID(ctx, u.ID)
		if err != nil || got.DeptPath != u.DeptPath || got.DeptName != u.DeptName {
			t.Errorf("read back = %+v, %v", got, err)
		}
	})
}
