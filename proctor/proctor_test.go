package proctor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"examhall"
	"examhall/blob"
	"examhall/proctor"
	"examhall/store"
)

// recorder is an EventService and Publisher that keeps what it gets.
type recorder struct {
	mu        sync.Mutex
	seq       int64
	appended  []*examhall.Event
	published []*examhall.Event
}

func (r *recorder) AppendEvent(_ context.Context, e *examhall.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	e.Seq, e.CreatedAt = r.seq, time.Now()
	r.appended = append(r.appended, e)
	return nil
}

func (r *recorder) FindEvents(context.Context, examhall.EventFilter) ([]*examhall.Event, error) {
	return nil, errors.New("not used")
}

func (r *recorder) Publish(_ context.Context, e *examhall.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.published = append(r.published, e)
	return nil
}

// types returns the published events' types.
func (r *recorder) types() []examhall.EventType {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ts []examhall.EventType
	for _, e := range r.published {
		ts = append(ts, e.Type)
	}
	return ts
}

func (r *recorder) last() *examhall.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.published) == 0 {
		return nil
	}
	return r.published[len(r.published)-1]
}

// fixture is a proctored exam with a room: invigilator inv, examinees alice
// (attempt in progress) and bob (none yet); another room's invigilator
// eve; an admin.
type fixture struct {
	db                          *store.DB
	svc                         *proctor.Service
	ev                          *recorder
	clock                       time.Time
	exam                        *examhall.Exam
	room                        *examhall.Room
	admin, inv, eve, alice, bob *examhall.User
	attempt                     *examhall.Attempt
}

func (f *fixture) as(u *examhall.User) context.Context {
	return examhall.NewContextWithCaller(context.Background(), &examhall.Caller{User: u})
}

func mustUser(t *testing.T, db *store.DB, account string, role examhall.Role) *examhall.User {
	t.Helper()
	u := &examhall.User{Account: account, Name: strings.ToUpper(account[:1]) + account[1:], Role: role}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func newFixture(t *testing.T, mods ...func(*examhall.Exam)) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "examhall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewDisk(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, ev: &recorder{}, clock: time.Now().UTC().Truncate(time.Millisecond)}
	f.svc = &proctor.Service{Users: db, Exams: db, Attempts: db, Rooms: db, Store: db, Blobs: blobs,
		Events: f.ev, Publisher: f.ev, Policy: examhall.Policy{Rooms: db}, Now: func() time.Time { return f.clock }}
	f.admin = mustUser(t, db, "admin", examhall.RoleAdmin)
	f.inv = mustUser(t, db, "ivy", examhall.RoleInvigilator)
	f.eve = mustUser(t, db, "eve", examhall.RoleInvigilator)
	f.alice = mustUser(t, db, "alice", examhall.RoleExaminee)
	f.bob = mustUser(t, db, "bob", examhall.RoleExaminee)
	f.exam = &examhall.Exam{Name: "Proctored", BeginTime: f.clock.Add(-time.Hour), EndTime: f.clock.Add(2 * time.Hour),
		AnswerMinutes: 60, AllowTimes: 1, Audience: examhall.AudienceAll, Status: examhall.ExamPublished,
		Proctoring: examhall.Proctoring{SwitchLimit: 3, SwitchMaxSeconds: 10, SnapshotSeconds: 30}}
	for _, m := range mods {
		m(f.exam)
	}
	if err := db.CreateExam(ctx, f.exam); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPaper(ctx, f.exam.ID, []*examhall.Question{
		{ID: "q1", Type: examhall.QuestionTrueFalse, Stem: "True?", Score: 10, IsTrue: true},
		{ID: "q2", Type: examhall.QuestionTrueFalse, Stem: "False?", Score: 10},
	}); err != nil {
		t.Fatal(err)
	}
	f.room = &examhall.Room{Name: "Room 1", ExamID: f.exam.ID, CreatedBy: f.inv.ID}
	if err := db.CreateRoom(ctx, f.room); err != nil {
		t.Fatal(err)
	}
	other := &examhall.Room{Name: "Room 2", ExamID: f.exam.ID, CreatedBy: f.eve.ID}
	if err := db.CreateRoom(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMembers(ctx, f.room.ID, []examhall.Member{
		{UserID: f.inv.ID, Role: examhall.RoleInvigilator},
		{UserID: f.alice.ID, Role: examhall.RoleExaminee},
		{UserID: f.bob.ID, Role: examhall.RoleExaminee},
	}); err != nil {
		t.Fatal(err)
	}
	if f.attempt, err = db.StartAttempt(ctx, f.exam.ID, f.alice.ID, f.clock); err != nil {
		t.Fatal(err)
	}
	return f
}

// testJPEG returns a small valid JPEG.
func testJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		img.Set(x, x%48, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := examhall.ErrorCode(err); got != want {
		t.Errorf("%s: code %q (%v), want %q", what, got, err, want)
	}
}

func TestSnapshot(t *testing.T) {
	f := newFixture(t)
	pic := testJPEG(t)
	snap, err := f.svc.AddSnapshot(f.as(f.alice), f.attempt.ID, pic)
	if err != nil {
		t.Fatal(err)
	}
	if snap.RoomID != f.room.ID || snap.Size != int64(len(pic)) || snap.ExamID != f.exam.ID {
		t.Errorf("snapshot = %+v", snap)
	}
	if e := f.ev.last(); e == nil || e.Type != examhall.EventSnapshot || e.RoomID != f.room.ID || e.UserID != f.alice.ID || e.Seq == 0 {
		t.Errorf("event = %+v, want an appended snapshot event", e)
	}

	for _, u := range []*examhall.User{f.alice, f.inv, f.admin} {
		got, rc, err := f.svc.OpenSnapshot(f.as(u), snap.ID)
		if err != nil {
			t.Errorf("%s opens: %v", u.Account, err)
			continue
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, pic) || got.ID != snap.ID {
			t.Errorf("%s read %d bytes, want %d", u.Account, len(b), len(pic))
		}
	}
	for _, u := range []*examhall.User{f.bob, f.eve} {
		_, _, err := f.svc.OpenSnapshot(f.as(u), snap.ID)
		wantCode(t, u.Account+" opens", err, examhall.EFORBIDDEN)
	}
	_, _, err = f.svc.OpenSnapshot(context.Background(), snap.ID)
	wantCode(t, "anonymous opens", err, examhall.EUNAUTHORIZED)

	events := len(f.ev.types())
	big := append(bytes.Clone(pic), make([]byte, examhall.MaxSnapshotBytes)...)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		body []byte
		want string
	}{
		{"too soon", f.as(f.alice), pic, examhall.ETOOMANY},
		{"png", f.as(f.alice), []byte("\x89PNG\r\n\x1a\n...."), examhall.EINVALID},
		{"jpeg magic, broken header", f.as(f.alice), []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F'}, examhall.EINVALID},
		{"empty", f.as(f.alice), nil, examhall.EINVALID},
		{"too large", f.as(f.alice), big, examhall.ETOOLARGE},
		{"another candidate", f.as(f.bob), pic, examhall.EFORBIDDEN},
		{"an invigilator", f.as(f.inv), pic, examhall.EFORBIDDEN},
	} {
		_, err := f.svc.AddSnapshot(tc.ctx, f.attempt.ID, tc.body)
		wantCode(t, tc.name, err, tc.want)
	}
	if n := len(f.ev.types()); n != events {
		t.Errorf("refused snapshots published %d events", n-events)
	}
	f.clock = f.clock.Add(examhall.MinSnapshotInterval)
	if _, err := f.svc.AddSnapshot(f.as(f.alice), f.attempt.ID, pic); err != nil {
		t.Errorf("after the interval: %v", err)
	}
	if _, err := f.db.SubmitAttempt(context.Background(), f.attempt.ID, examhall.SubmitCandidate, f.clock); err != nil {
		t.Fatal(err)
	}
	f.clock = f.clock.Add(time.Minute)
	_, err = f.svc.AddSnapshot(f.as(f.alice), f.attempt.ID, pic)
	wantCode(t, "submitted attempt", err, examhall.ECONFLICT)
}

func TestSnapshotUnproctored(t *testing.T) {
	f := newFixture(t)
	// carol takes the exam outside any room, and proctoring is off.
	carol := mustUser(t, f.db, "carol", examhall.RoleExaminee)
	a, err := f.db.StartAttempt(context.Background(), f.exam.ID, carol.ID, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AddSnapshot(f.as(carol), a.ID, testJPEG(t))
	wantCode(t, "unproctored", err, examhall.ECONFLICT)

	on := true
	if _, err := f.db.UpdateExam(context.Background(), f.exam.ID, examhall.ExamUpdate{Proctoring: &examhall.ProctoringUpdate{Enabled: &on}}); err != nil {
		t.Fatal(err)
	}
	snap, err := f.svc.AddSnapshot(f.as(carol), a.ID, testJPEG(t))
	if err != nil || snap.RoomID != "" {
		t.Fatalf("proctored without a room: %+v, %v", snap, err)
	}
	// Without a room, those who manage the exam see it (Policy.Exam):
	// administrators and the invigilators of its rooms.
	for _, u := range []*examhall.User{f.admin, f.inv, carol} {
		if _, _, err := f.svc.OpenSnapshot(f.as(u), snap.ID); err != nil {
			t.Errorf("%s: %v", u.Account, err)
		}
	}
	zed := mustUser(t, f.db, "zed", examhall.RoleInvigilator)
	_, _, err = f.svc.OpenSnapshot(f.as(zed), snap.ID)
	wantCode(t, "an invigilator of no room of the exam", err, examhall.EFORBIDDEN)
	_, _, err = f.svc.OpenSnapshot(f.as(f.bob), snap.ID)
	wantCode(t, "another candidate", err, examhall.EFORBIDDEN)
}

func TestRecordSignal(t *testing.T) {
	f := newFixture(t)
	ctx := f.as(f.alice)
	res, err := f.svc.RecordSignal(ctx, f.attempt.ID, examhall.Signal{Type: examhall.SignalCopy, At: f.clock})
	if err != nil || res.Switches != 0 || res.Submitted {
		t.Fatalf("copy: %+v, %v", res, err)
	}
	res, err = f.svc.RecordSignal(ctx, f.attempt.ID, examhall.Signal{Type: examhall.SignalSwitch, At: f.clock, Seconds: 4})
	if err != nil || res.Switches != 1 || res.Violation {
		t.Fatalf("short switch: %+v, %v", res, err)
	}
	res, err = f.svc.RecordSignal(ctx, f.attempt.ID, examhall.Signal{Type: examhall.SignalSwitch, At: f.clock, Seconds: 30, SnapshotID: "abc123"})
	if err != nil || res.Switches != 2 || !res.Violation || res.Submitted {
		t.Fatalf("long switch: %+v, %v", res, err)
	}
	e := f.ev.last()
	var data struct {
		Switches   int    `json:"switches"`
		Violation  bool   `json:"violation"`
		SnapshotID string `json:"snapshotId"`
	}
	if e == nil || e.Type != examhall.EventCheat || e.RoomID != f.room.ID || json.Unmarshal(e.Data, &data) != nil ||
		data.Switches != 2 || !data.Violation || data.SnapshotID != "abc123" {
		t.Errorf("cheat event = %+v (%s)", e, e.Data)
	}
	// The records are those the vendor's listCheatRecord pages.
	recs, _, err := f.db.FindCheatRecords(context.Background(), examhall.CheatRecordFilter{RoomID: f.room.ID})
	if err != nil || len(recs) != 3 {
		t.Fatalf("cheat records: %d, %v", len(recs), err)
	}
	var info struct {
		Seconds    float64 `json:"seconds"`
		SnapshotID string  `json:"snapshotId"`
		Violation  bool    `json:"violation"`
	}
	if r := recs[0]; r.DetectType != "switch" || r.UserID != f.alice.ID || r.DetectTime != f.clock.UnixMilli() ||
		json.Unmarshal([]byte(r.ExtraInfo), &info) != nil || info.Seconds != 30 || info.SnapshotID != "abc123" || !info.Violation {
		t.Errorf("newest record = %+v", r)
	}

	for _, tc := range []struct {
		name string
		ctx  context.Context
		sig  examhall.Signal
		want string
	}{
		{"unknown type", ctx, examhall.Signal{Type: "telepathy"}, examhall.EINVALID},
		{"negative seconds", ctx, examhall.Signal{Type: examhall.SignalSwitch, Seconds: -1}, examhall.EINVALID},
		{"bad snapshot id", ctx, examhall.Signal{Type: examhall.SignalSwitch, SnapshotID: "../x"}, examhall.EINVALID},
		{"another candidate", f.as(f.bob), examhall.Signal{Type: examhall.SignalSwitch}, examhall.EFORBIDDEN},
		{"anonymous", context.Background(), examhall.Signal{Type: examhall.SignalSwitch}, examhall.EUNAUTHORIZED},
	} {
		_, err := f.svc.RecordSignal(tc.ctx, f.attempt.ID, tc.sig)
		wantCode(t, tc.name, err, tc.want)
	}

	// The third switch reaches the limit: the attempt is submitted.
	res, err = f.svc.RecordSignal(ctx, f.attempt.ID, examhall.Signal{Type: examhall.SignalSwitch, At: f.clock.Add(-time.Hour)})
	if err != nil || res.Switches != 3 || !res.Submitted {
		t.Fatalf("third switch: %+v, %v", res, err)
	}
	if a, _ := f.db.FindAttemptByID(context.Background(), f.attempt.ID); a.Status == examhall.AttemptInProgress {
		t.Error("the attempt is still in progress")
	}
	e = f.ev.last()
	var sub struct{ AttemptID, Reason string }
	if e.Type != examhall.EventSubmit || json.Unmarshal(e.Data, &sub) != nil || sub.Reason != string(examhall.SubmitSwitchLimit) || sub.AttemptID != f.attempt.ID {
		t.Errorf("last event = %+v %s, want a switch_limit submit", e, e.Data)
	}
	_, err = f.svc.RecordSignal(ctx, f.attempt.ID, examhall.Signal{Type: examhall.SignalSwitch})
	wantCode(t, "after submit", err, examhall.ECONFLICT)
}

func TestStaffActions(t *testing.T) {
	f := newFixture(t)
	inv := f.as(f.inv)

	// Staff of another room and candidates get 403, and nothing is done.
	for _, u := range []*examhall.User{f.eve, f.alice} {
		ctx := f.as(u)
		_, err := f.svc.SendMessage(ctx, f.room.ID, "", "hello")
		wantCode(t, u.Account+" message", err, examhall.EFORBIDDEN)
		_, err = f.svc.ExtendAttempt(ctx, f.attempt.ID, 5)
		wantCode(t, u.Account+" extend", err, examhall.EFORBIDDEN)
		_, err = f.svc.ForceSubmit(ctx, f.attempt.ID)
		wantCode(t, u.Account+" force submit", err, examhall.EFORBIDDEN)
		_, _, err = f.svc.EndRoom(ctx, f.room.ID)
		wantCode(t, u.Account+" end room", err, examhall.EFORBIDDEN)
		_, err = f.svc.Timeline(ctx, f.attempt.ID)
		wantCode(t, u.Account+" timeline", err, examhall.EFORBIDDEN)
		_, err = f.svc.Live(ctx, f.room.ID)
		wantCode(t, u.Account+" live", err, examhall.EFORBIDDEN)
	}
	if n := len(f.ev.types()); n != 0 {
		t.Fatalf("refused actions published %d events", n)
	}

	for _, tc := range []struct {
		name, user, text, want string
	}{
		{"blank", "", "  ", examhall.EINVALID},
		{"too long", "", strings.Repeat("字", proctor.MaxMessageLen+1), examhall.EINVALID},
		{"control", "", "a\x07b", examhall.EINVALID},
		{"not on roster", f.eve.ID, "hi", examhall.EINVALID},
		{"an invigilator", f.inv.ID, "hi", examhall.EINVALID},
	} {
		_, err := f.svc.SendMessage(inv, f.room.ID, tc.user, tc.text)
		wantCode(t, "message "+tc.name, err, tc.want)
	}
	act, err := f.svc.SendMessage(inv, f.room.ID, f.alice.ID, "  Eyes on your screen, please  ")
	if err != nil || act.ActorID != f.inv.ID || act.Detail != "Eyes on your screen, please" {
		t.Fatalf("message: %+v, %v", act, err)
	}
	if e := f.ev.last(); e.Type != examhall.EventMessage || e.UserID != f.alice.ID || !strings.Contains(string(e.Data), `"fromName":"Ivy"`) {
		t.Errorf("message event = %+v %s", e, e.Data)
	}
	if _, err := f.svc.SendMessage(inv, f.room.ID, "", "Ten minutes left"); err != nil || f.ev.last().UserID != "" {
		t.Errorf("message to all: %v, event %+v", err, f.ev.last())
	}

	for _, m := range []int{0, -5, proctor.MaxExtendMinutes + 1} {
		_, err := f.svc.ExtendAttempt(inv, f.attempt.ID, m)
		wantCode(t, "extend by "+time.Duration(m).String(), err, examhall.EINVALID)
	}
	a, err := f.svc.ExtendAttempt(inv, f.attempt.ID, 15)
	if err != nil || !a.Deadline.Equal(f.attempt.Deadline.Add(15*time.Minute)) {
		t.Fatalf("extend: %+v, %v", a, err)
	}
	if e := f.ev.last(); e.Type != examhall.EventTime || !strings.Contains(string(e.Data), a.Deadline.Format(time.RFC3339)[:16]) {
		t.Errorf("time event = %+v %s", e, e.Data)
	}

	live, err := f.svc.Live(inv, f.room.ID)
	if err != nil || len(live.Members) != 2 {
		t.Fatalf("live: %+v, %v", live, err)
	}
	if m := live.Members[0]; m.UserID != f.alice.ID || m.AttemptID != f.attempt.ID || m.Total != 2 || !m.Deadline.Equal(a.Deadline) {
		t.Errorf("alice live = %+v", m)
	}

	closed, err := f.svc.ForceSubmit(inv, f.attempt.ID)
	if err != nil || closed.Status == examhall.AttemptInProgress {
		t.Fatalf("force submit: %+v, %v", closed, err)
	}
	if e := f.ev.last(); e.Type != examhall.EventSubmit || !strings.Contains(string(e.Data), `"reason":"invigilator"`) {
		t.Errorf("submit event = %+v %s", e, e.Data)
	}
	_, err = f.svc.ForceSubmit(inv, f.attempt.ID)
	wantCode(t, "force submit twice", err, examhall.ECONFLICT)
	_, err = f.svc.ExtendAttempt(inv, f.attempt.ID, 5)
	wantCode(t, "extend a submitted attempt", err, examhall.ECONFLICT)

	tl, err := f.svc.Timeline(inv, f.attempt.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range tl {
		if e.Action != nil {
			got = append(got, string(e.Action.Type)+" by "+e.Action.ActorID)
		}
	}
	if want := []string{"extend by " + f.inv.ID, "force_submit by " + f.inv.ID}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("timeline actions = %v, want %v", got, want)
	}
}

func TestEndRoom(t *testing.T) {
	f := newFixture(t)
	bobs, err := f.db.StartAttempt(context.Background(), f.exam.ID, f.bob.ID, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	r, n, err := f.svc.EndRoom(f.as(f.admin), f.room.ID)
	if err != nil || n != 2 || r.Status != examhall.RoomEnded {
		t.Fatalf("end room: %+v, %d, %v", r, n, err)
	}
	for _, id := range []string{f.attempt.ID, bobs.ID} {
		if a, _ := f.db.FindAttemptByID(context.Background(), id); a.Status == examhall.AttemptInProgress {
			t.Errorf("attempt %s is still in progress", id)
		}
	}
	types := f.ev.types()
	if len(types) != 3 || types[0] != examhall.EventSubmit || types[2] != examhall.EventRoomEnded {
		t.Errorf("events = %v, want two submits and room.ended", types)
	}
	if _, n, err := f.svc.EndRoom(f.as(f.inv), f.room.ID); err != nil || n != 0 {
		t.Errorf("end again: %d, %v", n, err)
	}
}

// TestNoEvents runs without an event store or publisher: changes are
// stored all the same.
func TestNoEvents(t *testing.T) {
	f := newFixture(t)
	f.svc.Events, f.svc.Publisher = nil, proctor.Discard{}
	if _, err := f.svc.RecordSignal(f.as(f.alice), f.attempt.ID, examhall.Signal{Type: examhall.SignalSwitch}); err != nil {
		t.Fatal(err)
	}
	f.svc.Publisher = nil
	if _, err := f.svc.SendMessage(f.as(f.inv), f.room.ID, "", "hi"); err != nil {
		t.Fatal(err)
	}
	recs, _, err := f.db.FindCheatRecords(context.Background(), examhall.CheatRecordFilter{RoomID: f.room.ID})
	if err != nil || len(recs) != 1 {
		t.Errorf("records = %d, %v", len(recs), err)
	}
}
