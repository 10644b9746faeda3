package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"examhall"
)

// coreMustRoom creates a room of the exam, created by createdBy.
func coreMustRoom(tb testing.TB, db *DB, examID, createdBy string) *examhall.Room {
	tb.Helper()
	r := &examhall.Room{Name: "Room", ExamID: examID, CreatedBy: createdBy}
	if err := db.CreateRoom(context.Background(), r); err != nil {
		tb.Fatalf("CreateRoom: %v", err)
	}
	return r
}

// coreMustMembers puts users on a room's roster.
func coreMustMembers(tb testing.TB, db *DB, roomID string, role examhall.Role, users ...*examhall.User) {
	tb.Helper()
	var ms []examhall.Member
	for _, u := range users {
		ms = append(ms, examhall.Member{UserID: u.ID, Role: role})
	}
	if err := db.AddMembers(context.Background(), roomID, ms); err != nil {
		tb.Fatalf("AddMembers: %v", err)
	}
}

// TestCreateRoomWithExam: the room and its own exam are stored together,
// or neither is.
func TestCreateRoomWithExam(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := func(name string) *examhall.Exam {
			return engineNewExam(func(e *examhall.Exam) { e.Name = name })
		}
		r := &examhall.Room{Name: "Room A", CreatedBy: "teacher"}
		e := exam("Room A")
		if err := db.CreateRoomWithExam(ctx, r, e); err != nil {
			t.Fatal(err)
		}
		if e.ID == "" || r.ExamID != e.ID || e.CreatedAt.IsZero() || r.CreatedAt.IsZero() {
			t.Fatalf("room %+v, exam %+v: want both stored, the room in the exam", r, e)
		}
		if got, err := db.FindExamByID(ctx, e.ID); err != nil || got.Name != "Room A" {
			t.Errorf("FindExamByID = %+v, %v", got, err)
		}
		if got, err := db.FindRoomByID(ctx, r.ID); err != nil || got.ExamID != e.ID {
			t.Errorf("FindRoomByID = %+v, %v", got, err)
		}

		exams := coreCount(t, db, "exams")
		for _, tt := range []struct {
			name string
			room *examhall.Room
			exam *examhall.Exam
			code string
		}{
			// The room fails after the exam was inserted: both roll back.
			{"room ID taken", &examhall.Room{ID: r.ID, Name: "Room B"}, exam("Room B"), examhall.ECONFLICT},
			{"exam ID taken", &examhall.Room{Name: "Room C"}, engineNewExam(func(e *examhall.Exam) { e.ID = r.ExamID }), examhall.ECONFLICT},
			{"bad exam", &examhall.Room{Name: "Room D"}, exam(""), examhall.EINVALID},
			{"bad room", &examhall.Room{Name: ""}, exam("Room E"), examhall.EINVALID},
		} {
			err := db.CreateRoomWithExam(ctx, tt.room, tt.exam)
			engineWantCode(t, tt.name, err, tt.code)
		}
		if n := coreCount(t, db, "exams"); n != exams {
			t.Errorf("exams: %d after the failures, want %d", n, exams)
		}
		if n := coreCount(t, db, "rooms"); n != 1 {
			t.Errorf("rooms: %d, want 1", n)
		}
	})
}

func TestRoomCRUD(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		coreClock(db)
		exam := coreMustExam(t, db)
		r := &examhall.Room{Name: "Room 1", ExamID: exam, IMGroupID: "g1", CreatedBy: "teacher"}
		if err := db.CreateRoom(ctx, r); err != nil {
			t.Fatal(err)
		}
		if _, err := uuid.Parse(r.ID); err != nil {
			t.Errorf("ID %q is not a UUID: %v", r.ID, err)
		}
		got, err := db.FindRoomByID(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("FindRoomByID (-want +got):\n%s", diff)
		}

		for _, tt := range []struct {
			name string
			room examhall.Room
			code string
			msg  string
		}{
			{"unknown exam", examhall.Room{Name: "R", ExamID: "e0"}, examhall.EINVALID, `exam "e0" not found`},
			{"taken id", examhall.Room{ID: r.ID, Name: "R", ExamID: exam}, examhall.ECONFLICT, fmt.Sprintf("room %q already exists", r.ID)},
			{"no name", examhall.Room{ExamID: exam}, examhall.EINVALID, "name is required"},
			{"bad status", examhall.Room{Name: "R", ExamID: exam, Status: 7}, examhall.EINVALID, "room status"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				coreWantErr(t, db.CreateRoom(ctx, &tt.room), tt.code, tt.msg)
			})
		}

		// Partial updates.
		up, err := db.UpdateRoom(ctx, r.ID, examhall.RoomUpdate{AudioStatus: corePtr(examhall.AudioBroadcasting)})
		if err != nil {
			t.Fatal(err)
		}
		want := *r
		want.AudioStatus = examhall.AudioBroadcasting
		if diff := cmp.Diff(&want, up, coreIgnoreUpdated); diff != "" {
			t.Errorf("UpdateRoom (-want +got):\n%s", diff)
		}
		if !up.UpdatedAt.After(r.UpdatedAt) {
			t.Errorf("UpdatedAt %v not after %v", up.UpdatedAt, r.UpdatedAt)
		}
		up, err = db.UpdateRoom(ctx, r.ID, examhall.RoomUpdate{Name: corePtr("Renamed"), Status: corePtr(examhall.RoomEnded),
			AudioStatus: corePtr(examhall.AudioSilent), IMGroupID: corePtr("g2")})
		if err != nil {
			t.Fatal(err)
		}
		want.Name, want.Status, want.AudioStatus, want.IMGroupID = "Renamed", examhall.RoomEnded, examhall.AudioSilent, "g2"
		if diff := cmp.Diff(&want, up, coreIgnoreUpdated); diff != "" {
			t.Errorf("UpdateRoom (-want +got):\n%s", diff)
		}
		if got, _ := db.FindRoomByID(ctx, r.ID); !cmp.Equal(got, up) {
			t.Errorf("stored %+v, returned %+v", got, up)
		}
		_, err = db.UpdateRoom(ctx, "nope", examhall.RoomUpdate{Name: corePtr("x")})
		coreWantErr(t, err, examhall.ENOTFOUND, `room "nope" not found`)
		_, err = db.UpdateRoom(ctx, r.ID, examhall.RoomUpdate{AudioStatus: corePtr(3)})
		coreWantErr(t, err, examhall.EINVALID, "audio status")

		// Delete takes the roster along.
		coreMustMembers(t, db, r.ID, examhall.RoleExaminee, coreMustUser(t, db, "bob", examhall.RoleExaminee, ""))
		if err := db.DeleteRoom(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.FindRoomByID(ctx, r.ID)
		coreWantErr(t, err, examhall.ENOTFOUND, fmt.Sprintf("room %q not found", r.ID))
		if n := coreCount(t, db, "room_members"); n != 0 {
			t.Errorf("room_members = %d, want 0", n)
		}
		coreWantErr(t, db.DeleteRoom(ctx, r.ID), examhall.ENOTFOUND, "not found")
	})
}

func TestRoster(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := coreMustExam(t, db)
		r := coreMustRoom(t, db, exam, "teacher")
		carol := coreMustUser(t, db, "carol", examhall.RoleExaminee, "")
		alice := coreMustUser(t, db, "alice", examhall.RoleExaminee, "")
		bob := coreMustUser(t, db, "bob", examhall.RoleInvigilator, "")

		if err := db.AddMembers(ctx, r.ID, []examhall.Member{
			{UserID: carol.ID, Role: examhall.RoleExaminee},
			{UserID: alice.ID, Role: examhall.RoleInvigilator},
			{UserID: alice.ID, Role: examhall.RoleExaminee}, // listed twice: the last counts
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetUserStatus(ctx, r.ID, carol.ID, examhall.UserPublishing); err != nil {
			t.Fatal(err)
		}
		// Re-adding keeps the status and takes the new role.
		if err := db.AddMembers(ctx, r.ID, []examhall.Member{
			{UserID: bob.ID, Role: examhall.RoleInvigilator},
			{UserID: carol.ID, Role: examhall.RoleInvigilator},
		}); err != nil {
			t.Fatal(err)
		}
		member := func(u *examhall.User, role examhall.Role, status int) *examhall.Member {
			return &examhall.Member{RoomID: r.ID, UserID: u.ID, Role: role, UserStatus: status, Name: u.Name, Account: u.Account}
		}
		all := []*examhall.Member{
			member(alice, examhall.RoleExaminee, 0),
			member(bob, examhall.RoleInvigilator, 0),
			member(carol, examhall.RoleInvigilator, 1),
		}
		for _, tt := range []struct {
			name string
			role *examhall.Role
			want []*examhall.Member
		}{
			{"everyone", nil, all},
			{"examinees", corePtr(examhall.RoleExaminee), all[:1]},
			{"invigilators", corePtr(examhall.RoleInvigilator), all[1:]},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := db.FindMembers(ctx, r.ID, tt.role)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("FindMembers (-want +got):\n%s", diff)
				}
			})
		}
		got, err := db.FindMember(ctx, r.ID, carol.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(all[2], got); diff != "" {
			t.Errorf("FindMember (-want +got):\n%s", diff)
		}
		if got, err := db.FindMembers(ctx, "nope", nil); err != nil || len(got) != 0 {
			t.Errorf("FindMembers(unknown room) = %v, %v; want none", got, err)
		}

		// All or none.
		dave := coreMustUser(t, db, "dave", examhall.RoleExaminee, "")
		for _, tt := range []struct {
			name    string
			room    string
			members []examhall.Member
			code    string
			msg     string
		}{
			{"unknown user", r.ID, []examhall.Member{{UserID: dave.ID, Role: examhall.RoleExaminee}, {UserID: "u0", Role: examhall.RoleExaminee}},
				examhall.EINVALID, `user "u0" not found`},
			{"bad role", r.ID, []examhall.Member{{UserID: dave.ID, Role: examhall.RoleExaminee}, {UserID: alice.ID, Role: examhall.RoleAdmin}},
				examhall.EINVALID, fmt.Sprintf("member %q: role must be invigilator or examinee", alice.ID)},
			{"unknown room", "nope", []examhall.Member{{UserID: dave.ID, Role: examhall.RoleExaminee}}, examhall.ENOTFOUND, `room "nope" not found`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				coreWantErr(t, db.AddMembers(ctx, tt.room, tt.members), tt.code, tt.msg)
				if n := coreCount(t, db, "room_members"); n != 3 {
					t.Errorf("room_members = %d, want 3", n)
				}
			})
		}

		// Not on the roster.
		_, err = db.FindMember(ctx, r.ID, dave.ID)
		notOn := fmt.Sprintf("user %q is not on the roster of room %q", dave.ID, r.ID)
		coreWantErr(t, err, examhall.ENOTFOUND, notOn)
		coreWantErr(t, db.SetUserStatus(ctx, r.ID, dave.ID, 1), examhall.ENOTFOUND, notOn)
		coreWantErr(t, db.RemoveMember(ctx, r.ID, dave.ID), examhall.ENOTFOUND, notOn)
		coreWantErr(t, db.SetUserStatus(ctx, r.ID, carol.ID, 5), examhall.EINVALID, "user status")

		if err := db.RemoveMember(ctx, r.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		got2, err := db.FindMembers(ctx, r.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*examhall.Member{all[0], all[2]}, got2); diff != "" {
			t.Errorf("after RemoveMember (-want +got):\n%s", diff)
		}
	})
}

func TestInExamAndFindRooms(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		coreClock(db)
		e1, e2 := coreMustExam(t, db), coreMustExam(t, db)
		teacher := coreMustUser(t, db, "teacher", examhall.RoleInvigilator, "")
		helper := coreMustUser(t, db, "helper", examhall.RoleInvigilator, "")
		kid := coreMustUser(t, db, "kid", examhall.RoleExaminee, "")
		other := coreMustUser(t, db, "other", examhall.RoleExaminee, "")

		r1 := coreMustRoom(t, db, e1, teacher.ID)
		r2 := coreMustRoom(t, db, e1, "someone")
		r3 := coreMustRoom(t, db, e2, "someone")
		coreMustMembers(t, db, r2.ID, examhall.RoleInvigilator, helper)
		coreMustMembers(t, db, r2.ID, examhall.RoleExaminee, kid)
		coreMustMembers(t, db, r3.ID, examhall.RoleExaminee, other)
		if _, err := db.UpdateRoom(ctx, r3.ID, examhall.RoomUpdate{Status: corePtr(examhall.RoomEnded)}); err != nil {
			t.Fatal(err)
		}

		for _, tt := range []struct {
			exam, user string
			want       bool
		}{
			{e1, teacher.ID, true}, // creator
			{e1, helper.ID, true},  // invigilator on a roster
			{e1, kid.ID, true},     // examinee on a roster
			{e1, other.ID, false},  // on another exam's roster
			{e2, other.ID, true},
			{e2, teacher.ID, false},
			{"nope", teacher.ID, false},
		} {
			got, err := db.InExam(ctx, tt.exam, tt.user)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("InExam(%s, %s) = %v, want %v", tt.exam, tt.user, got, tt.want)
			}
		}

		// Newest first.
		for _, tt := range []struct {
			name   string
			filter examhall.RoomFilter
			want   []*examhall.Room
			total  int
		}{
			{"all", examhall.RoomFilter{}, []*examhall.Room{r3, r2, r1}, 3},
			{"page", examhall.RoomFilter{Offset: 1, Limit: 1}, []*examhall.Room{r2}, 3},
			{"exam", examhall.RoomFilter{ExamID: e1}, []*examhall.Room{r2, r1}, 2},
			{"creator", examhall.RoomFilter{UserID: teacher.ID}, []*examhall.Room{r1}, 1},
			{"member", examhall.RoomFilter{UserID: kid.ID}, []*examhall.Room{r2}, 1},
			{"creator and member", examhall.RoomFilter{UserID: "someone"}, []*examhall.Room{r3, r2}, 2},
			{"status", examhall.RoomFilter{Status: corePtr(examhall.RoomEnded)}, []*examhall.Room{r3}, 1},
			{"exam and status", examhall.RoomFilter{ExamID: e1, Status: corePtr(examhall.RoomEnded)}, nil, 0},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := db.FindRooms(ctx, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				var gotIDs, wantIDs []string
				for _, r := range got {
					gotIDs = append(gotIDs, r.ID)
				}
				for _, r := range tt.want {
					wantIDs = append(wantIDs, r.ID)
				}
				if diff := cmp.Diff(wantIDs, gotIDs); diff != "" || total != tt.total {
					t.Errorf("rooms (-want +got):\n%s\ntotal = %d, want %d", diff, total, tt.total)
				}
			})
		}
	})
}

// coreBenchDBs runs a benchmark against SQLite and, when
// EXAMHALL_TEST_POSTGRES is set, PostgreSQL.
func coreBenchDBs(b *testing.B, fn func(b *testing.B, db *DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, MustOpenSQLite(b)) })
	if dsn := coreTestPostgres(); dsn != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, MustOpenPostgres(b, dsn)) })
	}
}

// coreRoomFixture makes a room of an exam with an invigilator and n
// examinees on its roster.
func coreRoomFixture(b *testing.B, db *DB, n int) (*examhall.Room, []*examhall.User) {
	b.Helper()
	exam := coreMustExam(b, db)
	teacher := coreMustUser(b, db, "teacher", examhall.RoleInvigilator, "")
	r := coreMustRoom(b, db, exam, teacher.ID)
	users := make([]*examhall.User, n)
	for i := range users {
		users[i] = &examhall.User{Account: fmt.Sprintf("examinee%03d", i), Name: "Examinee", Role: examhall.RoleExaminee}
	}
	if err := db.ImportUsers(context.Background(), users); err != nil {
		b.Fatal(err)
	}
	coreMustMembers(b, db, r.ID, examhall.RoleInvigilator, teacher)
	coreMustMembers(b, db, r.ID, examhall.RoleExaminee, users...)
	return r, users
}

func BenchmarkFindRoom(b *testing.B) {
	coreBenchDBs(b, func(b *testing.B, db *DB) {
		r, _ := coreRoomFixture(b, db, 1)
		ctx := context.Background()
		b.ResetTimer() // the fixture and the store are built anew for each round
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := db.FindRoomByID(ctx, r.ID); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkFindMember(b *testing.B) {
	coreBenchDBs(b, func(b *testing.B, db *DB) {
		r, users := coreRoomFixture(b, db, 30)
		ctx := context.Background()
		b.ResetTimer() // the fixture and the store are built anew for each round
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := db.FindMember(ctx, r.ID, users[i%len(users)].ID); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

func BenchmarkFindMembers30(b *testing.B) {
	coreBenchDBs(b, func(b *testing.B, db *DB) {
		r, _ := coreRoomFixture(b, db, 30)
		ctx := context.Background()
		role := examhall.RoleExaminee
		b.ResetTimer() // the fixture and the store are built anew for each round
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				ms, err := db.FindMembers(ctx, r.ID, &role)
				if err != nil || len(ms) != 30 {
					b.Errorf("FindMembers = %d members, %v; want 30", len(ms), err)
					return
				}
			}
		})
	})
}

func BenchmarkUpdateRoomAudio(b *testing.B) {
	coreBenchDBs(b, func(b *testing.B, db *DB) {
		r, _ := coreRoomFixture(b, db, 1)
		ctx := context.Background()
		b.ResetTimer() // the fixture and the store are built anew for each round
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := db.UpdateRoom(ctx, r.ID, examhall.RoomUpdate{AudioStatus: corePtr(i % 2)}); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}
