package cache

import (
	"context"
	"time"

	"examhall"
)

// Users caches FindUserByID, which authenticates every request.
type Users struct {
	examhall.UserService
	byID *table[string, *examhall.User]
}

// NewUsers wraps s.
func NewUsers(s examhall.UserService, ttl time.Duration) *Users {
	return &Users{UserService: s, byID: newTable[string, *examhall.User](ttl, time.Now)}
}

// FindUserByID returns a copy of the cached user.
func (c *Users) FindUserByID(ctx context.Context, id string) (*examhall.User, error) {
	u, err := c.byID.get(id, func() (*examhall.User, error) { return c.UserService.FindUserByID(ctx, id) })
	if err != nil {
		return nil, err
	}
	cp := *u
	return &cp, nil
}

// UpdateUser writes through and forgets the user.
func (c *Users) UpdateUser(ctx context.Context, id string, upd examhall.UserUpdate) (*examhall.User, error) {
	defer c.byID.forget(id)
	return c.UserService.UpdateUser(ctx, id, upd)
}

type memberKey struct{ room, user string }

// Rooms caches the room and roster reads every proctoring request makes.
type Rooms struct {
	examhall.RoomService
	rooms   *table[string, *examhall.Room]
	member  *table[memberKey, *examhall.Member]
	rosters *table[string, []*examhall.Member] // examinees of a room
	inExam  *table[memberKey, bool]            // (exam, user)
}

// NewRooms wraps s.
func NewRooms(s examhall.RoomService, ttl time.Duration) *Rooms {
	return &Rooms{
		RoomService: s,
		rooms:       newTable[string, *examhall.Room](ttl, time.Now),
		member:      newTable[memberKey, *examhall.Member](ttl, time.Now),
		rosters:     newTable[string, []*examhall.Member](ttl, time.Now),
		inExam:      newTable[memberKey, bool](ttl, time.Now),
	}
}

// FindRoomByID returns a copy of the cached room.
func (c *Rooms) FindRoomByID(ctx context.Context, id string) (*examhall.Room, error) {
	r, err := c.rooms.get(id, func() (*examhall.Room, error) { return c.RoomService.FindRoomByID(ctx, id) })
	if err != nil {
		return nil, err
	}
	cp := *r
	return &cp, nil
}

// FindMember returns a copy of the cached roster entry.
func (c *Rooms) FindMember(ctx context.Context, roomID, userID string) (*examhall.Member, error) {
	m, err := c.member.get(memberKey{roomID, userID}, func() (*examhall.Member, error) {
		return c.RoomService.FindMember(ctx, roomID, userID)
	})
	if err != nil {
		return nil, err
	}
	cp := *m
	return &cp, nil
}

// FindMembers caches the examinee roster (the userList hot path); other
// selections go to the store. The returned slice must not be modified.
func (c *Rooms) FindMembers(ctx context.Context, roomID string, role *examhall.Role) ([]*examhall.Member, error) {
	if role == nil || *role != examhall.RoleExaminee {
		return c.RoomService.FindMembers(ctx, roomID, role)
	}
	return c.rosters.get(roomID, func() ([]*examhall.Member, error) {
		return c.RoomService.FindMembers(ctx, roomID, role)
	})
}

// InExam caches whether a user has a room in an exam.
func (c *Rooms) InExam(ctx context.Context, examID, userID string) (bool, error) {
	return c.inExam.get(memberKey{examID, userID}, func() (bool, error) {
		return c.RoomService.InExam(ctx, examID, userID)
	})
}

// CreateRoom writes through; the new room may put its creator in an exam.
func (c *Rooms) CreateRoom(ctx context.Context, r *examhall.Room) error {
	defer c.inExam.forgetIf(func(memberKey) bool { return true })
	return c.RoomService.CreateRoom(ctx, r)
}

// CreateRoomWithExam writes through, as CreateRoom.
func (c *Rooms) CreateRoomWithExam(ctx context.Context, r *examhall.Room, e *examhall.Exam) error {
	defer c.inExam.forgetIf(func(memberKey) bool { return true })
	return c.RoomService.CreateRoomWithExam(ctx, r, e)
}

// UpdateRoom writes through and forgets the room.
func (c *Rooms) UpdateRoom(ctx context.Context, id string, upd examhall.RoomUpdate) (*examhall.Room, error) {
	defer c.rooms.forget(id)
	return c.RoomService.UpdateRoom(ctx, id, upd)
}

// DeleteRoom writes through and forgets everything about the room.
func (c *Rooms) DeleteRoom(ctx context.Context, id string) error {
	defer c.forgetRoster(id)
	defer c.rooms.forget(id)
	return c.RoomService.DeleteRoom(ctx, id)
}

// AddMembers writes through and forgets the room's roster entries.
func (c *Rooms) AddMembers(ctx context.Context, roomID string, members []examhall.Member) error {
	defer c.forgetRoster(roomID)
	return c.RoomService.AddMembers(ctx, roomID, members)
}

// RemoveMember writes through and forgets the room's roster entries.
func (c *Rooms) RemoveMember(ctx context.Context, roomID, userID string) error {
	defer c.forgetRoster(roomID)
	return c.RoomService.RemoveMember(ctx, roomID, userID)
}

// SetUserStatus writes through and forgets the member and the roster.
func (c *Rooms) SetUserStatus(ctx context.Context, roomID, userID string, status int) error {
	defer c.rosters.forget(roomID)
	defer c.member.forget(memberKey{roomID, userID})
	return c.RoomService.SetUserStatus(ctx, roomID, userID, status)
}

func (c *Rooms) forgetRoster(roomID string) {
	c.rosters.forget(roomID)
	c.member.forgetIf(func(k memberKey) bool { return k.room == roomID })
	c.inExam.forgetIf(func(memberKey) bool { return true })
}

// Cheat caches FindCheatConfig, which every roomInfo reads.
type Cheat struct {
	examhall.CheatService
	configs *table[string, *examhall.CheatConfig]
}

// NewCheat wraps s.
func NewCheat(s examhall.CheatService, ttl time.Duration) *Cheat {
	return &Cheat{CheatService: s, configs: newTable[string, *examhall.CheatConfig](ttl, time.Now)}
}

// FindCheatConfig returns a copy of the cached config.
func (c *Cheat) FindCheatConfig(ctx context.Context, examID string) (*examhall.CheatConfig, error) {
	cfg, err := c.configs.get(examID, func() (*examhall.CheatConfig, error) {
		return c.CheatService.FindCheatConfig(ctx, examID)
	})
	if err != nil {
		return nil, err
	}
	cp := *cfg
	return &cp, nil
}

// SetCheatConfig writes through and forgets the config.
func (c *Cheat) SetCheatConfig(ctx context.Context, cfg *examhall.CheatConfig) error {
	defer c.configs.forget(cfg.ExamID)
	return c.CheatService.SetCheatConfig(ctx, cfg)
}

type streamKey struct{ exam, room, user string }

// Streams caches signed stream URLs. Signing is cheap but userList signs 180
// URLs per call; a URL stays valid for the signer's whole auth TTL, so one
// signed a few minutes ago is as good as a new one.
type Streams struct {
	signer examhall.StreamSigner
	urls   *table[streamKey, examhall.StreamURLs]
}

// NewStreams wraps s; ttl must be well below the signer's auth TTL.
func NewStreams(s examhall.StreamSigner, ttl time.Duration) *Streams {
	return &Streams{signer: s, urls: newTable[streamKey, examhall.StreamURLs](ttl, time.Now)}
}

// StreamURLs returns the cached URLs, signing them when missing or old.
func (c *Streams) StreamURLs(examID, roomID, userID string, now time.Time) (examhall.StreamURLs, error) {
	return c.urls.get(streamKey{examID, roomID, userID}, func() (examhall.StreamURLs, error) {
		return c.signer.StreamURLs(examID, roomID, userID, now)
	})
}

var (
	_ examhall.UserService  = (*Users)(nil)
	_ examhall.RoomService  = (*Rooms)(nil)
	_ examhall.CheatService = (*Cheat)(nil)
	_ examhall.StreamSigner = (*Streams)(nil)
)
