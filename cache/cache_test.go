package cache

import (
	"context"
	"errors"
	"testing"
	"time"

	"examhall"
	"examhall/mock"
)

func TestTableTTLAndErrors(t *testing.T) {
	now := time.Unix(1000, 0)
	tb := newTable[string, int](time.Second, func() time.Time { return now })
	loads := 0
	load := func(v int, err error) func() (int, error) {
		return func() (int, error) { loads++; return v, err }
	}
	if v, _ := tb.get("a", load(1, nil)); v != 1 {
		t.Fatalf("get = %d, want 1", v)
	}
	if v, _ := tb.get("a", load(2, nil)); v != 1 || loads != 1 {
		t.Fatalf("cached get = %d after %d loads, want 1 after 1", v, loads)
	}
	now = now.Add(time.Second)
	if v, _ := tb.get("a", load(3, nil)); v != 3 || loads != 2 {
		t.Fatalf("expired get = %d after %d loads, want 3 after 2", v, loads)
	}
	// Not-found answers are remembered; other failures are not.
	nf := examhall.Errorf(examhall.ENOTFOUND, "no")
	tb.get("nf", load(0, nf))
	if _, err := tb.get("nf", load(0, nil)); examhall.ErrorCode(err) != examhall.ENOTFOUND {
		t.Errorf("not-found not cached: %v", err)
	}
	boom := errors.New("boom")
	tb.get("x", load(0, boom))
	if v, err := tb.get("x", load(7, nil)); err != nil || v != 7 {
		t.Errorf("failure cached: %v %v", v, err)
	}
	tb.forget("a")
	if v, _ := tb.get("a", load(9, nil)); v != 9 {
		t.Errorf("after forget = %d, want 9", v)
	}
}

func TestRoomsForgetOnWrite(t *testing.T) {
	ctx := context.Background()
	status := 0
	finds := 0
	m := &mock.RoomService{
		FindMemberFn: func(ctx context.Context, roomID, userID string) (*examhall.Member, error) {
			finds++
			return &examhall.Member{RoomID: roomID, UserID: userID, UserStatus: status}, nil
		},
		SetUserStatusFn: func(ctx context.Context, roomID, userID string, s int) error { status = s; return nil },
	}
	c := NewRooms(m, time.Minute)
	c.FindMember(ctx, "r", "u")
	got, _ := c.FindMember(ctx, "r", "u")
	if finds != 1 || got.UserStatus != 0 {
		t.Fatalf("finds = %d, status = %d; want 1, 0", finds, got.UserStatus)
	}
	got.UserStatus = 42 // callers get copies
	if err := c.SetUserStatus(ctx, "r", "u", 1); err != nil {
		t.Fatal(err)
	}
	got, _ = c.FindMember(ctx, "r", "u")
	if finds != 2 || got.UserStatus != 1 {
		t.Errorf("after write: finds = %d, status = %d; want 2, 1", finds, got.UserStatus)
	}
}

func TestStreamsCached(t *testing.T) {
	signs := 0
	s := NewStreams(&mock.StreamSigner{StreamURLsFn: func(e, r, u string, now time.Time) (examhall.StreamURLs, error) {
		signs++
		return examhall.StreamURLs{RTCPushURL: e + r + u}, nil
	}}, time.Minute)
	for range 3 {
		got, err := s.StreamURLs("e", "r", "u", time.Now())
		if err != nil || got.RTCPushURL != "eru" {
			t.Fatalf("StreamURLs = %+v, %v", got, err)
		}
	}
	if signs != 1 {
		t.Errorf("signed %d times, want 1", signs)
	}
}
