package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"net/http/httptest"
	"testing"
	"time"

	"examhall"
	"examhall/auth"
	"examhall/client"
)

// mustJPEG returns a small JPEG, different for each seed.
func mustJPEG(tb testing.TB, seed int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for x := range 160 {
		img.Set(x, (x+seed)%120, color.RGBA{G: uint8(seed), B: 200, A: 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 60}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// mustLogin creates a user with a password and returns a client logged in
// as them.
func mustLogin(t *testing.T, m *Main, url string, account string, role examhall.Role) (*client.Client, *examhall.User) {
	t.Helper()
	ctx := context.Background()
	hash, err := auth.HashPassword(account + "-password")
	if err != nil {
		t.Fatal(err)
	}
	u := &examhall.User{Account: account, Name: account, Role: role, PasswordHash: hash}
	if err := m.DB.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	c := client.New(url)
	if _, err := c.Login(ctx, account, account+"-password"); err != nil {
		t.Fatal(err)
	}
	return c, u
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := examhall.ErrorCode(err); got != code {
		t.Errorf("%s: err %v, want code %s", what, err, code)
	}
}

// TestProctoring runs a proctored exam through the whole server: snapshots
// and signals from a candidate, the invigilator's live view, messages,
// extra time and timeline, the switch limit, and the end of the room,
// with another room's invigilator refused at every step.
func TestProctoring(t *testing.T) {
	testMains(t, func(t *testing.T, m *Main) {
		ctx := context.Background()
		ts := httptest.NewServer(m.Handler)
		t.Cleanup(ts.Close)
		admin, _ := mustLogin(t, m, ts.URL, "root", examhall.RoleAdmin)
		ivy, _ := mustLogin(t, m, ts.URL, "ivy", examhall.RoleInvigilator)
		eve, eveU := mustLogin(t, m, ts.URL, "eve", examhall.RoleInvigilator)
		alice, aliceU := mustLogin(t, m, ts.URL, "alice", examhall.RoleExaminee)
		bob, bobU := mustLogin(t, m, ts.URL, "bob", examhall.RoleExaminee)
		ivyU, err := ivy.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}

		begin, end := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		name, minutes := "Proctored", 30
		_, err = admin.CreateExam(ctx, client.ExamRequest{Name: &name, BeginTime: &begin, EndTime: &end,
			Proctoring: &examhall.ProctoringUpdate{SwitchLimit: ptr(-1)}})
		wantCode(t, "exam with switchLimit -1", err, examhall.EINVALID)
		exam, err := admin.CreateExam(ctx, client.ExamRequest{Name: &name, BeginTime: &begin, EndTime: &end, AnswerMinutes: &minutes,
			Proctoring: &examhall.ProctoringUpdate{SwitchLimit: ptr(2), SwitchMaxSeconds: ptr(10)}})
		if err != nil {
			t.Fatal(err)
		}
		exam, err = admin.UpdateExam(ctx, exam.ID, client.ExamRequest{Proctoring: &examhall.ProctoringUpdate{RequireFullscreen: ptr(true)}})
		if err != nil {
			t.Fatal(err)
		}
		if want := (examhall.Proctoring{SwitchLimit: 2, SwitchMaxSeconds: 10, RequireFullscreen: true, SnapshotSeconds: 30}); exam.Proctoring != want {
			t.Errorf("proctoring = %+v, want %+v", exam.Proctoring, want)
		}
		if _, err := admin.SetPaper(ctx, exam.ID, []*examhall.Question{
			{Type: examhall.QuestionTrueFalse, Stem: "Sky is blue", Score: 10, IsTrue: true},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.PublishExam(ctx, exam.ID); err != nil {
			t.Fatal(err)
		}
		room, err := admin.CreateRoom(ctx, "Room 1", exam.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.AddMembers(ctx, room.ID, []client.NewMember{
			{UserID: ivyU.ID, Role: examhall.RoleInvigilator},
			{UserID: aliceU.ID, Role: examhall.RoleExaminee},
			{UserID: bobU.ID, Role: examhall.RoleExaminee},
		}); err != nil {
			t.Fatal(err)
		}
		other, err := admin.CreateRoom(ctx, "Room 2", exam.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.AddMembers(ctx, other.ID, []client.NewMember{{UserID: eveU.ID, Role: examhall.RoleInvigilator}}); err != nil {
			t.Fatal(err)
		}

		att, err := alice.StartAttempt(ctx, exam.ID)
		if err != nil {
			t.Fatal(err)
		}
		pic := mustJPEG(t, 1)
		snap, err := alice.UploadSnapshot(ctx, att.ID, pic)
		if err != nil {
			t.Fatal(err)
		}
		if snap.RoomID != room.ID || snap.Size != int64(len(pic)) || snap.URL != "/api/v1/snapshots/"+snap.ID {
			t.Errorf("snapshot = %+v", snap)
		}
		_, err = alice.UploadSnapshot(ctx, att.ID, mustJPEG(t, 2))
		wantCode(t, "second snapshot at once", err, examhall.ETOOMANY)
		_, err = alice.UploadSnapshot(ctx, att.ID, []byte("GIF89a not a jpeg"))
		wantCode(t, "a GIF", err, examhall.EINVALID)
		_, err = alice.UploadSnapshot(ctx, att.ID, append(bytes.Clone(pic), make([]byte, examhall.MaxSnapshotBytes)...))
		wantCode(t, "an oversized snapshot", err, examhall.ETOOLARGE)
		_, err = bob.UploadSnapshot(ctx, att.ID, pic)
		wantCode(t, "bob's snapshot of alice's attempt", err, examhall.EFORBIDDEN)
		_, err = client.New(ts.URL).UploadSnapshot(ctx, att.ID, pic)
		wantCode(t, "anonymous snapshot", err, examhall.EUNAUTHORIZED)

		for who, c := range map[string]*client.Client{"alice": alice, "ivy": ivy, "admin": admin} {
			if b, err := c.Snapshot(ctx, snap.ID); err != nil || !bytes.Equal(b, pic) {
				t.Errorf("%s reads the snapshot: %d bytes, %v", who, len(b), err)
			}
		}
		for who, c := range map[string]*client.Client{"eve": eve, "bob": bob} {
			_, err := c.Snapshot(ctx, snap.ID)
			wantCode(t, who+" reads the snapshot", err, examhall.EFORBIDDEN)
		}

		res, err := alice.RecordSignal(ctx, att.ID, examhall.Signal{Type: examhall.SignalSwitch, At: time.Now(), Seconds: 42, SnapshotID: snap.ID})
		if err != nil || res.Switches != 1 || !res.Violation || res.Submitted {
			t.Fatalf("first switch: %+v, %v", res, err)
		}
		_, err = bob.RecordSignal(ctx, att.ID, examhall.Signal{Type: examhall.SignalSwitch})
		wantCode(t, "bob's signal for alice", err, examhall.EFORBIDDEN)
		_, err = alice.RecordSignal(ctx, att.ID, examhall.Signal{Type: "sneeze"})
		wantCode(t, "unknown signal", err, examhall.EINVALID)

		live, err := ivy.Live(ctx, room.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(live.Members) != 2 {
			t.Fatalf("live members = %d", len(live.Members))
		}
		if a := live.Members[0]; a.UserID != aliceU.ID || a.Switches != 1 || a.Cheats != 1 || a.SnapshotID != snap.ID ||
			a.Total != 1 || a.SecondsLeft == nil || *a.SecondsLeft <= 0 || a.LastSignal == nil || a.LastSignal.Type != examhall.SignalSwitch {
			t.Errorf("alice live = %+v", a)
		}
		_, err = eve.Live(ctx, room.ID)
		wantCode(t, "eve's live view", err, examhall.EFORBIDDEN)

		if _, err := ivy.SendMessage(ctx, room.ID, aliceU.ID, "Please stay on the exam page"); err != nil {
			t.Error(err)
		}
		_, err = eve.SendMessage(ctx, room.ID, "", "hello")
		wantCode(t, "eve's message", err, examhall.EFORBIDDEN)
		_, err = ivy.SendMessage(ctx, room.ID, "", "")
		wantCode(t, "empty message", err, examhall.EINVALID)

		before, err := alice.GetAttempt(ctx, att.ID)
		if err != nil {
			t.Fatal(err)
		}
		ext, err := ivy.ExtendAttempt(ctx, att.ID, 45)
		if err != nil {
			t.Fatal(err)
		}
		if !ext.Deadline.Equal(before.Deadline.Add(45*time.Minute)) || !ext.Deadline.After(exam.EndTime) {
			t.Errorf("extended deadline %v, was %v; exam ends %v", ext.Deadline, before.Deadline, exam.EndTime)
		}
		_, err = eve.ExtendAttempt(ctx, att.ID, 5)
		wantCode(t, "eve's extension", err, examhall.EFORBIDDEN)
		_, err = ivy.ExtendAttempt(ctx, att.ID, 0)
		wantCode(t, "extension by 0", err, examhall.EINVALID)

		// The second switch reaches the limit of 2.
		res, err = alice.RecordSignal(ctx, att.ID, examhall.Signal{Type: examhall.SignalSwitch, Seconds: 1})
		if err != nil || res.Switches != 2 || !res.Submitted {
			t.Fatalf("second switch: %+v, %v", res, err)
		}
		if a, err := alice.GetAttempt(ctx, att.ID); err != nil || a.Status == examhall.AttemptInProgress {
			t.Errorf("after the switch limit: %+v, %v", a, err)
		}
		_, err = alice.RecordSignal(ctx, att.ID, examhall.Signal{Type: examhall.SignalCopy})
		wantCode(t, "signal after submit", err, examhall.ECONFLICT)

		tl, err := ivy.Timeline(ctx, att.ID)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, e := range tl {
			kinds[e.Kind]++
		}
		if kinds["signal"] != 2 || kinds["snapshot"] != 1 || kinds["action"] != 1 {
			t.Errorf("timeline kinds = %v", kinds)
		}
		_, err = eve.Timeline(ctx, att.ID)
		wantCode(t, "eve's timeline", err, examhall.EFORBIDDEN)

		// Signals are cheat records the vendor's clients page too.
		recs, _, err := m.DB.FindCheatRecords(ctx, examhall.CheatRecordFilter{RoomID: room.ID})
		if err != nil || len(recs) != 2 {
			t.Errorf("cheat records = %d, %v", len(recs), err)
		}

		bobs, err := bob.StartAttempt(ctx, exam.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = eve.ForceSubmit(ctx, bobs.ID)
		wantCode(t, "eve's force submit", err, examhall.EFORBIDDEN)
		_, _, err = eve.EndRoom(ctx, room.ID)
		wantCode(t, "eve ends the room", err, examhall.EFORBIDDEN)
		r, n, err := ivy.EndRoom(ctx, room.ID)
		if err != nil || n != 1 || r.Status != examhall.RoomEnded {
			t.Fatalf("end room: %+v, %d, %v", r, n, err)
		}
		if a, _ := bob.GetAttempt(ctx, bobs.ID); a.Status == examhall.AttemptInProgress {
			t.Error("bob's attempt is still in progress after the room ended")
		}
		_, err = ivy.ForceSubmit(ctx, bobs.ID)
		wantCode(t, "force submit after the end", err, examhall.ECONFLICT)
	})
}
