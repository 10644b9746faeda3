package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

func TestExamProctoring(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		plain := engineMustExam(t, db)
		got, err := db.FindExamByID(ctx, plain.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := examhall.DefaultProctoring(); got.Proctoring != want {
			t.Errorf("default proctoring = %+v, want %+v", got.Proctoring, want)
		}

		set := examhall.Proctoring{Enabled: true, SwitchLimit: 3, SwitchMaxSeconds: 20, RequireFullscreen: true,
			SnapshotSeconds: 15, FaceCheck: true}
		e := engineMustExam(t, db, func(e *examhall.Exam) { e.Proctoring = set })
		if got, err = db.FindExamByID(ctx, e.ID); err != nil || got.Proctoring != set {
			t.Fatalf("stored proctoring = %+v, %v; want %+v", got.Proctoring, err, set)
		}
		upd, err := db.UpdateExam(ctx, e.ID, examhall.ExamUpdate{Proctoring: &examhall.ProctoringUpdate{SwitchLimit: ptr(5)}})
		if err != nil {
			t.Fatal(err)
		}
		set.SwitchLimit = 5
		if got, _ := db.FindExamByID(ctx, e.ID); upd.Proctoring != set || got.Proctoring != set {
			t.Errorf("after update: returned %+v, stored %+v, want %+v", upd.Proctoring, got.Proctoring, set)
		}
		_, err = db.UpdateExam(ctx, e.ID, examhall.ExamUpdate{Proctoring: &examhall.ProctoringUpdate{SnapshotSeconds: ptr(1)}})
		engineWantCode(t, "snapshotSeconds 1", err, examhall.EINVALID)
		if got, _ := db.FindExamByID(ctx, e.ID); got.Proctoring != set {
			t.Errorf("a refused update changed the settings: %+v", got.Proctoring)
		}
	})
}

// proctorFixture is an exam of two questions with a room: one invigilator,
// two examinees, the first with an attempt in progress.
type proctorFixture struct {
	exam            *examhall.Exam
	room            *examhall.Room
	inv, alice, bob string
	attempt         *examhall.Attempt
}

func mustProctorFixture(t *testing.T, db *DB) proctorFixture {
	t.Helper()
	ctx := context.Background()
	var f proctorFixture
	f.exam = engineMustExam(t, db)
	engineMustPaper(t, db, f.exam.ID, engineSingle("q1", 50, 0), engineSingle("q2", 50, 1))
	f.inv = engineMustUserRole(t, db, "", examhall.RoleInvigilator)
	f.alice, f.bob = engineMustUser(t, db, ""), engineMustUser(t, db, "")
	f.room = &examhall.Room{Name: "Room A", ExamID: f.exam.ID, CreatedBy: f.inv}
	if err := db.CreateRoom(ctx, f.room); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMembers(ctx, f.room.ID, []examhall.Member{
		{UserID: f.inv, Role: examhall.RoleInvigilator},
		{UserID: f.alice, Role: examhall.RoleExaminee},
		{UserID: f.bob, Role: examhall.RoleExaminee},
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.attempt, err = db.StartAttempt(ctx, f.exam.ID, f.alice, engineT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSnapshots(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		f := mustProctorFixture(t, db)
		at := engineT0.Add(2 * time.Minute)
		s := &examhall.Snapshot{AttemptID: f.attempt.ID, RoomID: f.room.ID, UserID: f.alice, TakenAt: at, Size: 1234, Key: "k/1.jpg"}
		if err := db.CreateSnapshot(ctx, s); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindSnapshotByID(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s, got); diff != "" || got.ExamID != f.exam.ID {
			t.Errorf("stored snapshot (-want +got):\n%s", diff)
		}

		for _, tc := range []struct {
			name string
			s    examhall.Snapshot
			want string
		}{
			{"too soon", examhall.Snapshot{AttemptID: f.attempt.ID, UserID: f.alice, TakenAt: at.Add(time.Second)}, examhall.ETOOMANY},
			{"another's attempt", examhall.Snapshot{AttemptID: f.attempt.ID, UserID: f.bob, TakenAt: at.Add(time.Minute)}, examhall.EFORBIDDEN},
			{"unknown attempt", examhall.Snapshot{AttemptID: "nope", UserID: f.alice, TakenAt: at.Add(time.Minute)}, examhall.ENOTFOUND},
		} {
			s := tc.s
			engineWantCode(t, tc.name, db.CreateSnapshot(ctx, &s), tc.want)
		}
		later := &examhall.Snapshot{AttemptID: f.attempt.ID, UserID: f.alice, TakenAt: at.Add(examhall.MinSnapshotInterval + time.Millisecond), Key: "k/2.jpg"}
		if err := db.CreateSnapshot(ctx, later); err != nil {
			t.Errorf("after the interval: %v", err)
		}
		if _, err := db.SubmitAttempt(ctx, f.attempt.ID, examhall.SubmitCandidate, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		closed := &examhall.Snapshot{AttemptID: f.attempt.ID, UserID: f.alice, TakenAt: at.Add(time.Hour)}
		engineWantCode(t, "submitted attempt", db.CreateSnapshot(ctx, closed), examhall.ECONFLICT)

		if err := db.DeleteSnapshot(ctx, later.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.FindSnapshotByID(ctx, later.ID)
		engineWantCode(t, "deleted", err, examhall.ENOTFOUND)
		engineWantCode(t, "delete again", db.DeleteSnapshot(ctx, later.ID), examhall.ENOTFOUND)
	})
}

func TestRecordSignal(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		f := mustProctorFixture(t, db)
		rec := func(typ string, sw bool, user string) (int, *examhall.CheatRecord, error) {
			r := &examhall.CheatRecord{RoomID: f.room.ID, DetectType: typ, DetectTime: engineT0.Add(3 * time.Minute).UnixMilli(), ExtraInfo: `{"seconds":4}`}
			n, err := db.RecordSignal(ctx, &examhall.SignalRecord{AttemptID: f.attempt.ID, UserID: user, Record: r, Switch: sw})
			return n, r, err
		}
		for i, tc := range []struct {
			typ  string
			sw   bool
			want int
		}{{"switch", true, 1}, {"copy", false, 1}, {"switch", true, 2}} {
			n, r, err := rec(tc.typ, tc.sw, f.alice)
			if err != nil || n != tc.want || r.ID == 0 || r.ExamID != f.exam.ID {
				t.Errorf("signal %d (%s): switches %d, record %+v, err %v; want %d", i, tc.typ, n, r, err, tc.want)
			}
		}
		_, _, err := rec("switch", true, f.bob)
		engineWantCode(t, "another's attempt", err, examhall.EFORBIDDEN)

		// The vendor's listCheatRecord pages them like any other record.
		page, _, err := db.FindCheatRecords(ctx, examhall.CheatRecordFilter{RoomID: f.room.ID})
		if err != nil || len(page) != 3 || page[0].DetectType != "switch" || page[0].UserID != f.alice {
			t.Fatalf("cheat records = %+v, %v", page, err)
		}

		if _, err := db.SubmitAttempt(ctx, f.attempt.ID, examhall.SubmitCandidate, engineT0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		_, _, err = rec("switch", true, f.alice)
		engineWantCode(t, "submitted attempt", err, examhall.ECONFLICT)
		if page, _, _ := db.FindCheatRecords(ctx, examhall.CheatRecordFilter{RoomID: f.room.ID}); len(page) != 3 {
			t.Errorf("refused signals were stored: %d records", len(page))
		}
	})
}

func TestExtendAttempt(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		f := mustProctorFixture(t, db)
		// Past the window's end on purpose: the invigilator means it.
		d := 8 * 24 * time.Hour
		a, err := db.ExtendAttempt(ctx, f.attempt.ID, d)
		if err != nil {
			t.Fatal(err)
		}
		if want := f.attempt.Deadline.Add(d); !a.Deadline.Equal(want) || !a.Deadline.After(f.exam.EndTime) {
			t.Errorf("deadline = %v, want %v", a.Deadline, want)
		}
		// Saving works until the new deadline.
		if _, err := db.SaveAnswers(ctx, a.ID, []examhall.Answer{{QuestionID: "q1", Choices: []int{0}}}, f.exam.EndTime.Add(time.Hour)); err != nil {
			t.Errorf("save after the old deadline: %v", err)
		}
		_, err = db.ExtendAttempt(ctx, "nope", time.Minute)
		engineWantCode(t, "unknown", err, examhall.ENOTFOUND)
		if _, err := db.SubmitAttempt(ctx, a.ID, "", f.exam.EndTime.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		_, err = db.ExtendAttempt(ctx, a.ID, time.Minute)
		engineWantCode(t, "submitted", err, examhall.ECONFLICT)
	})
}

func TestTimelineAndLive(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		f := mustProctorFixture(t, db)
		t1 := engineT0.Add(2 * time.Minute)
		snap := &examhall.Snapshot{AttemptID: f.attempt.ID, RoomID: f.room.ID, UserID: f.alice, TakenAt: t1, Key: "a.jpg"}
		if err := db.CreateSnapshot(ctx, snap); err != nil {
			t.Fatal(err)
		}
		sig := &examhall.CheatRecord{RoomID: f.room.ID, DetectType: "switch", DetectTime: t1.Add(-time.Minute).UnixMilli()}
		if _, err := db.RecordSignal(ctx, &examhall.SignalRecord{AttemptID: f.attempt.ID, UserID: f.alice, Record: sig, Switch: true}); err != nil {
			t.Fatal(err)
		}
		db.Now = func() time.Time { return t1.Add(time.Minute) }
		act := &examhall.Action{Type: examhall.ActionExtend, ExamID: f.exam.ID, RoomID: f.room.ID, AttemptID: f.attempt.ID,
			UserID: f.alice, ActorID: f.inv, Detail: "5"}
		if err := db.CreateAction(ctx, act); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveAnswers(ctx, f.attempt.ID, []examhall.Answer{{QuestionID: "q1", Choices: []int{0}}}, t1); err != nil {
			t.Fatal(err)
		}

		tl, err := db.FindTimeline(ctx, f.attempt.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range tl {
			kinds = append(kinds, e.Kind)
		}
		if diff := cmp.Diff([]string{"signal", "snapshot", "action"}, kinds); diff != "" || tl[1].Snapshot.ID != snap.ID || tl[2].Action.ActorID != f.inv {
			t.Errorf("timeline kinds (-want +got):\n%s", diff)
		}
		_, err = db.FindTimeline(ctx, "nope")
		engineWantCode(t, "timeline of unknown attempt", err, examhall.ENOTFOUND)

		live, err := db.FindLiveMembers(ctx, f.room.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(live) != 2 {
			t.Fatalf("live members = %d, want the 2 examinees", len(live))
		}
		byUser := map[string]*examhall.LiveMember{}
		for _, m := range live {
			byUser[m.UserID] = m
		}
		a := byUser[f.alice]
		want := &examhall.LiveMember{UserID: f.alice, Account: a.Account, Name: a.Name, AttemptID: f.attempt.ID,
			Status: examhall.AttemptInProgress, Answered: 1, Total: 2, Deadline: f.attempt.Deadline, Switches: 1, Cheats: 1,
			SnapshotID: snap.ID, LastSignal: &examhall.LastSignal{Type: examhall.SignalSwitch, At: t1.Add(-time.Minute)}}
		if diff := cmp.Diff(want, a); diff != "" {
			t.Errorf("alice (-want +got):\n%s", diff)
		}
		if b := byUser[f.bob]; b == nil || b.AttemptID != "" || b.Total != 2 || b.LastSignal != nil {
			t.Errorf("bob = %+v, want no attempt", b)
		}
		_, err = db.FindLiveMembers(ctx, "nope")
		engineWantCode(t, "live of unknown room", err, examhall.ENOTFOUND)
	})
}

// BenchmarkFindLiveMembers reads the live state of a room of 500
// examinees, each with an attempt, 10 signals and 20 snapshots.
func BenchmarkFindLiveMembers(b *testing.B) {
	engineBenchDBs(b, func(b *testing.B, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(b, db)
		engineMustPaper(b, db, exam.ID, engineSingle("q1", 50, 0), engineSingle("q2", 50, 1))
		inv := engineMustUserRole(b, db, "", examhall.RoleInvigilator)
		room := &examhall.Room{Name: "Big room", ExamID: exam.ID, CreatedBy: inv}
		if err := db.CreateRoom(ctx, room); err != nil {
			b.Fatal(err)
		}
		const n = 500
		members := make([]examhall.Member, n)
		for i := range members {
			members[i] = examhall.Member{UserID: engineMustUser(b, db, ""), Role: examhall.RoleExaminee}
		}
		if err := db.AddMembers(ctx, room.ID, members); err != nil {
			b.Fatal(err)
		}
		for i, m := range members {
			a, err := db.StartAttempt(ctx, exam.ID, m.UserID, engineT0.Add(time.Minute))
			if err != nil {
				b.Fatal(err)
			}
			for j := range 20 {
				s := &examhall.Snapshot{AttemptID: a.ID, RoomID: room.ID, UserID: m.UserID,
					TakenAt: engineT0.Add(time.Duration(j) * 30 * time.Second), Key: fmt.Sprint(i, j)}
				if err := db.CreateSnapshot(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
			for range 10 {
				r := &examhall.CheatRecord{RoomID: room.ID, DetectType: "switch", DetectTime: engineT0.UnixMilli()}
				if _, err := db.RecordSignal(ctx, &examhall.SignalRecord{AttemptID: a.ID, UserID: m.UserID, Record: r, Switch: true}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ResetTimer()
		for b.Loop() {
			live, err := db.FindLiveMembers(ctx, room.ID)
			if err != nil || len(live) != n {
				b.Fatalf("%d members, %v", len(live), err)
			}
		}
	})
}
