package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"examhall"
)

// auditCtx returns a context carrying user as the caller, from addr.
func auditCtx(u *examhall.User, addr string) context.Context {
	ctx := examhall.NewContextWithCaller(context.Background(), &examhall.Caller{User: u})
	return examhall.NewContextWithClientAddr(ctx, addr)
}

// auditCount returns the number of audit rows.
func auditCount(tb testing.TB, db *DB) int {
	tb.Helper()
	var n int
	if err := db.w.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// mustLastAudit returns the newest audit row.
func mustLastAudit(tb testing.TB, db *DB) *examhall.AuditEntry {
	tb.Helper()
	es, _, err := db.FindAuditEntries(context.Background(), examhall.AuditFilter{Limit: 1})
	if err != nil || len(es) == 0 {
		tb.Fatalf("FindAuditEntries: %v, %d entries", err, len(es))
	}
	return es[0]
}

// TestAuditStaffWrites makes each kind of staff write as an admin and
// checks it leaves exactly one row naming the admin, the object and the
// action; the same kind of write without a staff caller leaves none.
func TestAuditStaffWrites(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		bg := context.Background()
		admin := coreMustUser(t, db, "boss", examhall.RoleAdmin, "")
		inv := coreMustUser(t, db, "proctor", examhall.RoleInvigilator, "")
		cand := coreMustUser(t, db, "cand", examhall.RoleExaminee, "")
		if n := auditCount(t, db); n != 0 {
			t.Fatalf("users made without a caller left %d audit rows", n)
		}
		ctx := auditCtx(admin, "203.0.113.7")
		exam := engineMustExam(t, db)
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 100, 0))
		short := engineMustExam(t, db)
		engineMustPaper(t, db, short.ID, &examhall.Question{ID: "s1", Type: examhall.QuestionShort, Stem: "Why?", Score: 10})
		room := coreMustRoom(t, db, exam.ID, inv.ID)
		audio := coreMustAudio(t, db, 1, "bell")
		dept := coreMustDept(t, db, "Acme", "")
		marking, err := db.StartAttempt(bg, short.ID, cand.ID, engineT0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SubmitOwnAttempt(bg, marking.ID, cand.ID, "", engineT0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		inProgress, err := db.StartAttempt(bg, exam.ID, cand.ID, engineT0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, db); n != 0 {
			t.Fatalf("writes without a staff caller left %d audit rows", n)
		}

		tests := []struct {
			name           string
			write          func(ctx context.Context) error
			object, action string
			objectID       string
			check          func(t *testing.T, e *examhall.AuditEntry)
		}{
			{"create user", func(ctx context.Context) error {
				return db.CreateUser(ctx, &examhall.User{Account: "new1", Name: "New", Role: examhall.RoleExaminee, PasswordHash: "h4sh"})
			}, "user", "create", "", func(t *testing.T, e *examhall.AuditEntry) {
				if strings.Contains(string(e.After), "h4sh") {
					t.Errorf("after %s shows the password hash", e.After)
				}
			}},
			{"set password", func(ctx context.Context) error {
				_, err := db.UpdateUser(ctx, cand.ID, examhall.UserUpdate{PasswordHash: ptr("s3cr3th4sh")})
				return err
			}, "user", "update", cand.ID, func(t *testing.T, e *examhall.AuditEntry) {
				if string(e.After) != `{"password":"(changed)"}` || len(e.Before) != 0 {
					t.Errorf("before %s after %s, want only the password marked changed", e.Before, e.After)
				}
			}},
			{"rename user", func(ctx context.Context) error {
				_, err := db.UpdateUser(ctx, cand.ID, examhall.UserUpdate{Name: ptr("Renamed")})
				return err
			}, "user", "update", cand.ID, func(t *testing.T, e *examhall.AuditEntry) {
				if string(e.Before) != `{"name":"Name cand"}` || string(e.After) != `{"name":"Renamed"}` {
					t.Errorf("before %s after %s, want the name only", e.Before, e.After)
				}
			}},
			{"import users", func(ctx context.Context) error {
				return db.ImportUsers(ctx, []*examhall.User{{Account: "imp1", Name: "I", Role: examhall.RoleExaminee, DeptPath: "Acme/Sales"}})
			}, "user", "import", "", nil},
			{"create department", func(ctx context.Context) error {
				return db.CreateDepartment(ctx, &examhall.Department{Name: "Beta"})
			}, "department", "create", "", nil},
			{"rename department", func(ctx context.Context) error {
				_, err := db.UpdateDepartment(ctx, dept.ID, examhall.DepartmentUpdate{Name: ptr("Acme2")})
				return err
			}, "department", "update", dept.ID, nil},
			{"create exam", func(ctx context.Context) error {
				return db.CreateExam(ctx, engineNewExam())
			}, "exam", "create", "", nil},
			{"archive exam", func(ctx context.Context) error {
				_, err := db.UpdateExam(ctx, short.ID, examhall.ExamUpdate{Status: ptr(examhall.ExamArchived)})
				return err
			}, "exam", "archive", short.ID, func(t *testing.T, e *examhall.AuditEntry) {
				if string(e.Before) != `{"status":"published"}` || string(e.After) != `{"status":"archived"}` {
					t.Errorf("before %s after %s", e.Before, e.After)
				}
			}},
			{"extend time", func(ctx context.Context) error {
				return db.SetOverride(ctx, &examhall.Override{ExamID: exam.ID, UserID: cand.ID, ExtraMinutes: 15})
			}, "override", "set", exam.ID + "/" + cand.ID, nil},
			{"delete override", func(ctx context.Context) error {
				return db.DeleteOverride(ctx, exam.ID, cand.ID)
			}, "override", "delete", exam.ID + "/" + cand.ID, nil},
			{"create room", func(ctx context.Context) error {
				return db.CreateRoom(ctx, &examhall.Room{Name: "R2", ExamID: exam.ID, CreatedBy: admin.ID})
			}, "room", "create", "", nil},
			{"add members", func(ctx context.Context) error {
				return db.AddMembers(ctx, room.ID, []examhall.Member{{UserID: cand.ID, Role: examhall.RoleExaminee}})
			}, "roster", "add", room.ID, nil},
			{"remove member", func(ctx context.Context) error {
				return db.RemoveMember(ctx, room.ID, cand.ID)
			}, "roster", "remove", room.ID, nil},
			{"broadcast audio", func(ctx context.Context) error {
				_, err := db.UpdateRoom(ctx, room.ID, examhall.RoomUpdate{AudioStatus: ptr(examhall.AudioBroadcasting)})
				return err
			}, "room", "update", room.ID, nil},
			{"end room", func(ctx context.Context) error {
				_, err := db.UpdateRoom(ctx, room.ID, examhall.RoomUpdate{Status: ptr(examhall.RoomEnded)})
				return err
			}, "room", "end", room.ID, nil},
			{"update audio", func(ctx context.Context) error {
				_, err := db.UpdateAudio(ctx, audio.ID, examhall.AudioUpdate{Name: ptr("gong")})
				return err
			}, "audio", "update", audio.ID, nil},
			{"set broadcasts", func(ctx context.Context) error {
				return db.SetBroadcasts(ctx, exam.ID, []examhall.ScheduledAudio{{AudioID: audio.ID, StartTime: engineT0}})
			}, "broadcasts", "set", exam.ID, nil},
			{"set playlist", func(ctx context.Context) error {
				return db.SetPlaylist(ctx, exam.ID, []string{audio.ID})
			}, "playlist", "set", exam.ID, nil},
			{"cheat config", func(ctx context.Context) error {
				return db.SetCheatConfig(ctx, &examhall.CheatConfig{ExamID: exam.ID, Data: `{"switch":3}`})
			}, "cheat_config", "set", exam.ID, nil},
			{"create app", func(ctx context.Context) error {
				return db.CreateApp(ctx, &examhall.App{ID: "app1", Name: "LMS", SecretHash: "apphash"})
			}, "app", "create", "app1", func(t *testing.T, e *examhall.AuditEntry) {
				if strings.Contains(string(e.After), "apphash") {
					t.Errorf("after %s shows the secret hash", e.After)
				}
			}},
			{"disable app", func(ctx context.Context) error { return db.DisableApp(ctx, "app1") }, "app", "disable", "app1", nil},
			{"mark", func(ctx context.Context) error {
				_, err := db.MarkAttempt(ctx, marking.ID, map[string]float64{"s1": 7})
				return err
			}, "attempt", "mark", marking.ID, nil},
			{"publish grades", func(ctx context.Context) error {
				_, err := db.PublishAttempts(ctx, short.ID, nil)
				return err
			}, "exam", "publish_grades", short.ID, nil},
			{"force submit", func(ctx context.Context) error {
				_, err := db.SubmitAttempt(ctx, inProgress.ID, "", engineT0.Add(3*time.Minute))
				return err
			}, "attempt", "submit", inProgress.ID, func(t *testing.T, e *examhall.AuditEntry) {
				if !strings.Contains(string(e.After), `"reason":"invigilator"`) {
					t.Errorf("after %s, want reason invigilator", e.After)
				}
			}},
			{"webhook", func(ctx context.Context) error {
				return db.CreateWebhook(ctx, &examhall.Webhook{URL: "https://hooks.example.com/x", Secret: "0123456789abcdef0123"})
			}, "webhook", "create", "", func(t *testing.T, e *examhall.AuditEntry) {
				if strings.Contains(string(e.After), "0123456789abcdef0123") {
					t.Errorf("after %s shows the webhook secret", e.After)
				}
			}},
			{"delete room", func(ctx context.Context) error { return db.DeleteRoom(ctx, room.ID) }, "room", "delete", room.ID, nil},
			{"delete audio", func(ctx context.Context) error {
				if err := db.SetBroadcasts(bg, exam.ID, nil); err != nil {
					return err
				}
				if err := db.SetPlaylist(bg, exam.ID, nil); err != nil {
					return err
				}
				return db.DeleteAudio(ctx, audio.ID)
			}, "audio", "delete", audio.ID, nil},
		}
		for _, tt := range tests {
			before := auditCount(t, db)
			if err := tt.write(ctx); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got := auditCount(t, db) - before; got != 1 {
				t.Errorf("%s: %d audit rows, want 1", tt.name, got)
				continue
			}
			e := mustLastAudit(t, db)
			if e.ActorID != admin.ID || e.ActorAccount != "boss" || e.ActorRole != examhall.RoleAdmin ||
				e.ClientAddr != "203.0.113.7" || e.ObjectType != tt.object || e.Action != tt.action ||
				(tt.objectID != "" && e.ObjectID != tt.objectID) {
				t.Errorf("%s: entry %+v, want actor %s, object %s %q, action %s", tt.name, e, admin.ID, tt.object, tt.objectID, tt.action)
			}
			if len(e.Before) > 0 && !json.Valid(e.Before) || len(e.After) > 0 && !json.Valid(e.After) {
				t.Errorf("%s: before %s / after %s are not JSON", tt.name, e.Before, e.After)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		}

		// An invigilator is staff too; a candidate is not.
		n := auditCount(t, db)
		if _, err := db.UpdateUser(auditCtx(inv, ""), inv.ID, examhall.UserUpdate{Name: ptr("P2")}); err != nil {
			t.Fatal(err)
		}
		if e := mustLastAudit(t, db); auditCount(t, db) != n+1 || e.ActorRole != examhall.RoleInvigilator || e.ClientAddr != "" {
			t.Errorf("invigilator write: entry %+v", e)
		}
		n++
		if _, err := db.UpdateUser(auditCtx(cand, "198.51.100.1"), cand.ID, examhall.UserUpdate{Name: ptr("C2")}); err != nil {
			t.Fatal(err)
		}
		if got := auditCount(t, db); got != n {
			t.Errorf("candidate write left %d audit rows, want none", got-n)
		}
	})
}

// TestAuditRolledBack: a staff write that fails leaves no row, even when
// the row was written before the failure.
func TestAuditRolledBack(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		admin := coreMustUser(t, db, "boss", examhall.RoleAdmin, "")
		ctx := auditCtx(admin, "203.0.113.7")
		coreMustUser(t, db, "taken", examhall.RoleExaminee, "")
		err := db.CreateUser(ctx, &examhall.User{Account: "taken", Name: "Dup", Role: examhall.RoleExaminee})
		engineWantCode(t, "duplicate account", err, examhall.ECONFLICT)
		boom := errors.New("boom")
		err = db.transact(ctx, func(tx *sql.Tx) error {
			if err := db.audit(ctx, tx, "user", admin.ID, "update", nil, map[string]string{"name": "x"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("transact err = %v", err)
		}
		if n := auditCount(t, db); n != 0 {
			t.Errorf("rolled-back writes left %d audit rows", n)
		}
	})
}

// TestAuditAppendOnly: the database itself refuses to change or delete rows.
func TestAuditAppendOnly(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		admin := coreMustUser(t, db, "boss", examhall.RoleAdmin, "")
		ctx := auditCtx(admin, "")
		if err := db.CreateDepartment(ctx, &examhall.Department{Name: "D"}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`} {
			if _, err := db.w.ExecContext(context.Background(), q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want append-only", q, err)
			}
		}
		if n := auditCount(t, db); n != 1 {
			t.Errorf("%d rows, want 1", n)
		}
	})
}

func TestFindAuditEntries(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		a := coreMustUser(t, db, "a", examhall.RoleAdmin, "")
		b := coreMustUser(t, db, "b", examhall.RoleAdmin, "")
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		now := t0
		db.Now = func() time.Time { return now }
		var depts []*examhall.Department
		for i, u := range []*examhall.User{a, b, a, b, a} {
			now = t0.Add(time.Duration(i) * time.Hour)
			d := &examhall.Department{Name: "D" + string(rune('0'+i))}
			if err := db.CreateDepartment(auditCtx(u, ""), d); err != nil {
				t.Fatal(err)
			}
			depts = append(depts, d)
		}
		if _, err := db.UpdateDepartment(auditCtx(b, ""), depts[0].ID, examhall.DepartmentUpdate{Name: ptr("Z")}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			f     examhall.AuditFilter
			total int
			first string // action of the first entry
			n     int
		}{
			{"all", examhall.AuditFilter{}, 6, "update", 6},
			{"actor", examhall.AuditFilter{ActorID: a.ID}, 3, "create", 3},
			{"object", examhall.AuditFilter{ObjectType: "department", ObjectID: depts[0].ID}, 2, "update", 2},
			{"action", examhall.AuditFilter{Action: "create"}, 5, "create", 5},
			{"range", examhall.AuditFilter{Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}, 2, "create", 2},
			{"page", examhall.AuditFilter{Offset: 1, Limit: 2}, 6, "create", 2},
		}
		for _, tt := range tests {
			es, total, err := db.FindAuditEntries(context.Background(), tt.f)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if total != tt.total || len(es) != tt.n || es[0].Action != tt.first {
				t.Errorf("%s: total %d, %d entries (first %s), want %d, %d (%s)", tt.name, total, len(es),
					es[0].Action, tt.total, tt.n, tt.first)
			}
			for i := 1; i < len(es); i++ {
				if es[i].ID >= es[i-1].ID {
					t.Errorf("%s: not newest first", tt.name)
				}
			}
		}
	})
}
