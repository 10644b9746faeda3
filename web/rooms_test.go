package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"examhall"
)

func TestRoomPages(t *testing.T) {
	s := mustStaffB(t)
	ctx := context.Background()
	admin := s.as(s.admin)
	status, body := admin.get("/rooms")
	if status != 200 {
		t.Fatalf("rooms: %d", status)
	}
	mustContain(t, "rooms", body, `data-room-id="`+s.room1.ID+`"`, `href="/rooms/`+s.room1.ID+`/live"`)

	// Bad input: re-shown with errors, nothing created.
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no name", url.Values{"exam": {s.exam.ID}}, `aria-describedby="room-name-err"`},
		{"long name", url.Values{"name": {strings.Repeat("x", 64)}, "exam": {s.exam.ID}}, `aria-describedby="room-name-err"`},
		{"unknown exam", url.Values{"name": {"R"}, "exam": {"nope"}}, `aria-describedby="room-exam-err"`},
	} {
		status, _, body := admin.send("/rooms", tt.form)
		if status != http.StatusBadRequest {
			t.Errorf("%s: %d", tt.name, status)
		}
		mustContain(t, tt.name, body, tt.want, `role="alert"`)
	}
	if _, n, _ := s.db.FindRooms(ctx, examhall.RoomFilter{}); n != 2 {
		t.Fatalf("refused forms created rooms: %d", n)
	}
	status, loc, _ := admin.send("/rooms", url.Values{"name": {"Hall C"}, "exam": {s.exam.ID}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/rooms/") {
		t.Fatalf("create: %d %q", status, loc)
	}
	roomPath := loc
	roomID := strings.TrimPrefix(loc, "/rooms/")

	// Roster: a department's candidates, a search, an invigilator.
	dept := &examhall.Department{Name: "Sales"}
	if err := s.db.CreateDepartment(ctx, dept); err != nil {
		t.Fatal(err)
	}
	for _, acct := range []string{"carol", "dave"} {
		if err := s.db.CreateUser(ctx, &examhall.User{Account: acct, Name: "N " + acct, Role: examhall.RoleExaminee, DeptID: dept.ID}); err != nil {
			t.Fatal(err)
		}
	}
	admin.get(roomPath)
	if status, _, body := admin.send(roomPath+"/members", url.Values{"dept": {"nope"}}); status != http.StatusBadRequest ||
		!strings.Contains(body, `aria-describedby="add-dept-err"`) {
		t.Errorf("unknown department: %d", status)
	}
	if status, _, _ := admin.send(roomPath+"/members", nil); status != http.StatusBadRequest {
		t.Errorf("nobody chosen: %d", status)
	}
	if ms, _ := s.db.FindMembers(ctx, roomID, nil); len(ms) != 0 {
		t.Fatalf("refused forms added %d members", len(ms))
	}
	if status, loc, _ := admin.send(roomPath+"/members", url.Values{"dept": {dept.ID}}); status != http.StatusSeeOther || !strings.Contains(loc, "n=2") {
		t.Fatalf("add department: %d %q", status, loc)
	}
	_, body = admin.get(roomPath + "?q=alice")
	mustContain(t, "search", body, `name="user" value="`+s.alice.ID+`"`)
	if status, _, _ := admin.send(roomPath+"/members", url.Values{"user": {s.alice.ID}}); status != http.StatusSeeOther {
		t.Fatalf("add chosen: %d", status)
	}
	if status, _, _ := admin.send(roomPath+"/members", url.Values{"invigilator": {s.inv2.ID}}); status != http.StatusSeeOther {
		t.Fatalf("assign invigilator: %d", status)
	}
	if m, err := s.db.FindMember(ctx, roomID, s.inv2.ID); err != nil || m.Role != examhall.RoleInvigilator {
		t.Fatalf("invigilator on the roster: %+v, %v", m, err)
	}
	_, body = admin.get(roomPath)
	mustContain(t, "room page", body, "https://client.example/exam?roomId="+roomID, "role=0", `class="copy"`,
		"https://exams.example/v5/exam/"+s.exam.ID, `data-copy-target="link-0"`)
	// Join links exported.
	res, err := admin.c.Get(s.srv.URL + roomPath + "/links?format=csv")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || strings.Count(string(data), "roomId="+roomID) != 4 || !strings.HasPrefix(string(data), "\ufeffaccount,") && !strings.HasPrefix(string(data), "account,") {
		t.Errorf("links csv: %d\n%s", res.StatusCode, data)
	}
	// Remove.
	if status, _, _ := admin.send(roomPath+"/members/"+s.alice.ID+"/remove", nil); status != http.StatusSeeOther {
		t.Errorf("remove: %d", status)
	}
	if _, err := s.db.FindMember(ctx, roomID, s.alice.ID); examhall.ErrorCode(err) != examhall.ENOTFOUND {
		t.Errorf("still on the roster: %v", err)
	}

	// inv2 now invigilates Hall C, but not room 1.
	inv2 := s.as(s.inv2)
	if status, _ := inv2.get(roomPath); status != 200 {
		t.Errorf("inv2 own room: %d", status)
	}
	for _, p := range []string{"/rooms/" + s.room1.ID, "/rooms/" + s.room1.ID + "/links?format=csv"} {
		if status, _ := inv2.get(p); status != http.StatusForbidden {
			t.Errorf("inv2 %s: %d", p, status)
		}
	}
	if status, _, _ := inv2.send("/rooms/"+s.room1.ID+"/members", url.Values{"user": {s.bob.ID}}); status != http.StatusForbidden {
		t.Errorf("inv2 adds to room 1: %d", status)
	}
	_, body = inv2.get("/rooms")
	if strings.Contains(body, s.room1.ID) {
		t.Error("inv2 sees room 1 in the list")
	}

	// The audio library and a broadcast.
	admin.get("/admin/audio")
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no name", url.Values{"classify": {"0"}, "url": {"https://a.example/x.mp3"}}, "audio-name-err"},
		{"bad url", url.Values{"name": {"Bell"}, "classify": {"0"}, "url": {"javascript:alert(1)"}}, "audio-url-err"},
		{"bad classify", url.Values{"name": {"Bell"}, "classify": {"x"}, "url": {"https://a.example/x.mp3"}}, "audio-classify-err"},
	} {
		status, _, body := admin.send("/admin/audio", tt.form)
		if status != http.StatusBadRequest || !strings.Contains(body, tt.want) {
			t.Errorf("audio %s: %d", tt.name, status)
		}
	}
	if _, n, _ := s.db.FindAudios(ctx, examhall.AudioFilter{}); n != 0 {
		t.Fatalf("refused clips stored: %d", n)
	}
	if status, _, _ := admin.send("/admin/audio", url.Values{"name": {"Bell"}, "classify": {"1"}, "url": {"https://a.example/bell.mp3"}}); status != http.StatusSeeOther {
		t.Fatalf("audio: %d", status)
	}
	clips, _, _ := s.db.FindAudios(ctx, examhall.AudioFilter{})
	admin.get(roomPath)
	if status, _, body := admin.send(roomPath+"/broadcasts", url.Values{"audio": {clips[0].ID}, "start": {"tomorrow"}}); status != http.StatusBadRequest ||
		!strings.Contains(body, "bc-start-err") {
		t.Errorf("bad start: %d", status)
	}
	if status, _, _ := admin.send(roomPath+"/broadcasts", url.Values{"audio": {clips[0].ID}, "start": {"2030-01-02T09:30"}}); status != http.StatusSeeOther {
		t.Fatalf("broadcast: %d", status)
	}
	if bs, _ := s.db.FindBroadcasts(ctx, s.exam.ID); len(bs) != 1 || bs[0].Name != "Bell" {
		t.Fatalf("broadcasts: %v", bs)
	}
	if status, _, _ := admin.send(roomPath+"/broadcasts/1/remove", nil); status != http.StatusSeeOther {
		t.Fatalf("remove broadcast: %d", status)
	}
	if bs, _ := s.db.FindBroadcasts(ctx, s.exam.ID); len(bs) != 0 {
		t.Fatalf("broadcasts after removal: %v", bs)
	}
}

// TestBroadcastsAdminOnly: an invigilator sees the exam's broadcasts but
// may not change them, as in /api/v1.
func TestBroadcastsAdminOnly(t *testing.T) {
	s := mustStaffB(t)
	b := s.as(s.inv1)
	status, body := b.get("/rooms/" + s.room1.ID)
	if status != 200 || strings.Contains(body, `action="/rooms/`+s.room1.ID+`/broadcasts"`) {
		t.Fatalf("invigilator's room page: %d, offers the broadcast form", status)
	}
	if status, _, _ := b.send("/rooms/"+s.room1.ID+"/broadcasts", url.Values{"audio": {"x"}, "start": {"2030-01-02T09:30"}}); status != http.StatusForbidden {
		t.Errorf("invigilator schedules: %d", status)
	}
}
