package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"examhall"
	"examhall/auth"
)

// proctored puts the fixture's candidates in a room of its exam, with a
// switch limit of 3, watched by a new invigilator; it returns the room and
// a browser signed in as that invigilator.
func (f *fixture) proctored(t *testing.T) (*examhall.Room, *browser) {
	t.Helper()
	ctx := context.Background()
	limit := 3
	if _, err := f.db.UpdateExam(ctx, f.exam.ID, examhall.ExamUpdate{Proctoring: &examhall.ProctoringUpdate{SwitchLimit: &limit}}); err != nil {
		t.Fatal(err)
	}
	hash, _ := auth.HashPassword(f.passwd)
	inv := &examhall.User{Account: "teacher", Name: "Teacher", Role: examhall.RoleInvigilator, PasswordHash: hash}
	if err := f.db.CreateUser(ctx, inv); err != nil {
		t.Fatal(err)
	}
	room := &examhall.Room{Name: "Room 1", ExamID: f.exam.ID, CreatedBy: inv.ID}
	if err := f.db.CreateRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	if err := f.db.AddMembers(ctx, room.ID, []examhall.Member{
		{UserID: f.alice.ID, Role: examhall.RoleExaminee}, {UserID: f.bob.ID, Role: examhall.RoleExaminee},
	}); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	if res := b.signIn("teacher", f.passwd, "/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invigilator sign-in: %d", res.StatusCode)
	}
	b.get("/")
	return room, b
}

func mustJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		img.Set(x, x%48, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (b *browser) postRaw(path, contentType string, body []byte, csrf string) int {
	b.f.t.Helper()
	req, _ := http.NewRequest("POST", b.f.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-CSRF-Token", csrf)
	res, err := b.c.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestProctoredStart(t *testing.T) {
	f := mustFixture(t)
	f.proctored(t)
	b := f.browser()
	b.signIn("alice", f.passwd, "/")
	// The exam page leads to the device check, and a start without
	// accepting the rules goes there too, starting nothing.
	_, page := b.get("/v5/exam/" + f.exam.ID)
	if !strings.Contains(page, `/v5/exam/`+f.exam.ID+`/check`) || !strings.Contains(page, `data-rule="switchLimit"`) {
		t.Fatalf("exam page lacks the device check or the switch limit:\n%s", page)
	}
	res := b.post("/v5/exam/"+f.exam.ID+"/start", url.Values{"csrf": {b.csrf}})
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "/check") {
		t.Fatalf("start without accepting: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if _, n, _ := f.db.FindAttempts(context.Background(), examhall.AttemptFilter{ExamID: f.exam.ID}); n != 0 {
		t.Fatalf("%d attempts started", n)
	}
	status, check := b.get("/v5/exam/" + f.exam.ID + "/check")
	if status != 200 || !strings.Contains(check, `name="accept"`) || !strings.Contains(check, "<video") {
		t.Fatalf("device check: %d\n%s", status, check)
	}
	res = b.post("/v5/exam/"+f.exam.ID+"/start", url.Values{"csrf": {b.csrf}, "accept": {"yes"}})
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/attempts/") {
		t.Fatalf("start: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, take := b.get(res.Header.Get("Location"))
	for _, want := range []string{`id="cam"`, `id="switch-count"`, "proctor.js", "ws.js", `&#34;switchLimit&#34;:3`} {
		if !strings.Contains(take, want) {
			t.Errorf("proctored take page lacks %s", want)
		}
	}
}

func TestSnapshotsAndSignals(t *testing.T) {
	f := mustFixture(t)
	room, teacher := f.proctored(t)
	alice, bob := f.browser(), f.browser()
	id := alice.start(f.alice)
	bobID := bob.start(f.bob)
	img := mustJPEG(t)

	for _, tt := range []struct {
		name   string
		b      *browser
		ctype  string
		body   []byte
		csrf   string
		path   string
		status int
	}{
		{"not a JPEG", alice, "image/jpeg", []byte("GIF89a not a jpeg at all"), alice.csrf, id, 400},
		{"wrong content type", alice, "image/png", img, alice.csrf, id, 400},
		{"too large", alice, "image/jpeg", append(bytes.Clone(img), make([]byte, examhall.MaxSnapshotBytes)...), alice.csrf, id, 413},
		{"no CSRF", alice, "image/jpeg", img, "", id, 403},
		{"another's attempt", bob, "image/jpeg", img, bob.csrf, id, 403},
		{"a JPEG", alice, "image/jpeg", img, alice.csrf, id, 201},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.postRaw("/attempts/"+tt.path+"/snapshots", tt.ctype, tt.body, tt.csrf); got != tt.status {
				t.Fatalf("status %d, want %d", got, tt.status)
			}
		})
	}
	// Signals over HTTP (the pages' fallback): for one's own attempt only;
	// the third switch reaches the limit and submits.
	sig := func(b *browser, attempt, typ string) (int, map[string]any) {
		return b.postJSON("/attempts/"+attempt+"/signals", map[string]any{"type": typ, "at": time.Now(), "seconds": 2}, b.csrf)
	}
	if status, _ := sig(bob, id, "switch"); status != 403 {
		t.Fatalf("signal for another's attempt: %d", status)
	}
	if status, _ := sig(alice, id, "teleport"); status != 400 {
		t.Fatalf("unknown signal: %d", status)
	}
	for i := 1; i <= 3; i++ {
		status, out := sig(alice, id, "switch")
		if status != 200 || out["switches"] != float64(i) || (out["submitted"] == true) != (i == 3) {
			t.Fatalf("switch %d: %d %v", i, status, out)
		}
	}
	a, err := f.db.FindAttemptByID(context.Background(), id)
	if err != nil || a.Status == examhall.AttemptInProgress {
		t.Fatalf("after the limit the attempt is %v (%v)", a.Status, err)
	}

	// The invigilator's live page shows the room, with the switches.
	status, live := teacher.get("/rooms/" + room.ID + "/live")
	if status != 200 || !strings.Contains(live, `data-user-id="`+f.alice.ID+`"`) || !strings.Contains(live, `data-cheats="3"`) {
		t.Fatalf("live page: %d\n%s", status, live)
	}
	// The script has what it needs to keep the counts and the room's state
	// current.
	for _, want := range []string{`id="counts"`, `id="room-status"`, `&#34;live.counts&#34;`, `&#34;rooms.ended&#34;`} {
		if !strings.Contains(live, want) {
			t.Errorf("live page lacks %s", want)
		}
	}
	// Staff actions: a message, time for bob, a forced submit.
	if status, _ := teacher.postJSON("/rooms/"+room.ID+"/messages", map[string]any{"text": "Eyes on your own screen"}, teacher.csrf); status != 200 {
		t.Fatalf("message: %d", status)
	}
	if status, _ := teacher.postJSON("/rooms/"+room.ID+"/messages", map[string]any{"text": " "}, teacher.csrf); status != 400 {
		t.Fatalf("empty message: %d", status)
	}
	if status, out := teacher.postJSON("/attempts/"+bobID+"/extend", map[string]any{"minutes": 10}, teacher.csrf); status != 200 || out["deadline"] == nil {
		t.Fatalf("extend: %d %v", status, out)
	}
	if status, _ := teacher.postJSON("/attempts/"+bobID+"/extend", map[string]any{"minutes": -5}, teacher.csrf); status != 400 {
		t.Fatalf("negative extension: %d", status)
	}
	// A candidate cannot act as staff.
	if status, _ := bob.postJSON("/attempts/"+bobID+"/force-submit", map[string]any{}, bob.csrf); status != 403 {
		t.Fatalf("candidate force-submit: %d", status)
	}
	if status, _ := teacher.postJSON("/attempts/"+bobID+"/force-submit", map[string]any{}, teacher.csrf); status != 200 {
		t.Fatalf("force-submit: %d", status)
	}
	// The replay lists the signals and the snapshot.
	status, tl := teacher.get("/attempts/" + id + "/timeline")
	if status != 200 || strings.Count(tl, `data-kind="signal"`) != 3 || !strings.Contains(tl, `data-kind="snapshot"`) {
		t.Fatalf("timeline: %d\n%s", status, tl)
	}
	// The snapshot is served to the staff and the candidate, not to others.
	snapID := snapshotIn(tl)
	for _, tt := range []struct {
		b    *browser
		want int
	}{{teacher, 200}, {alice, 200}, {bob, 403}} {
		if status, _ := tt.b.get("/snapshots/" + snapID); status != tt.want {
			t.Errorf("snapshot: %d, want %d", status, tt.want)
		}
	}
}

func snapshotIn(page string) string {
	i := strings.Index(page, `src="/snapshots/`)
	if i < 0 {
		return "none"
	}
	rest := page[i+len(`src="/snapshots/`):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestLiveRoomOfAnother(t *testing.T) {
	f := mustFixture(t)
	room, _ := f.proctored(t)
	ctx := context.Background()
	hash, _ := auth.HashPassword(f.passwd)
	other := &examhall.User{Account: "other", Name: "Other", Role: examhall.RoleInvigilator, PasswordHash: hash}
	if err := f.db.CreateUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.signIn("other", f.passwd, "/")
	b.get("/")
	if status, _ := b.get("/rooms/" + room.ID + "/live"); status != 403 {
		t.Fatalf("another invigilator's live page: %d", status)
	}
	res := b.post("/rooms/"+room.ID+"/end", url.Values{"csrf": {b.csrf}, "confirm": {"yes"}})
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("another invigilator ends the room: %d", res.StatusCode)
	}
	if status, _ := b.postJSON("/rooms/"+room.ID+"/messages", map[string]any{"text": "hi"}, b.csrf); status != 403 {
		t.Fatalf("another invigilator's message: %d", status)
	}
	// A candidate gets no live page at all.
	c := f.browser()
	c.signIn("alice", f.passwd, "/")
	if status, _ := c.get("/rooms/" + room.ID + "/live"); status != 403 {
		t.Fatalf("candidate live page: %d", status)
	}
	if r, _ := f.db.FindRoomByID(ctx, room.ID); r.Status != examhall.RoomRunning {
		t.Fatal("the room was ended")
	}
}
