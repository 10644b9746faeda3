package auth_test

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"examhall"
)

// fakeUsers is an in-memory examhall.UserService.
type fakeUsers struct {
	mu    sync.Mutex
	byID  map[string]*examhall.User
	err   error        // when set, every call fails with it
	finds atomic.Int64 // calls to FindUserByID
}

func newFakeUsers(users ...*examhall.User) *fakeUsers {
	f := &fakeUsers{byID: make(map[string]*examhall.User)}
	for _, u := range users {
		if err := f.CreateUser(context.Background(), u); err != nil {
			panic(err)
		}
	}
	return f
}

func (f *fakeUsers) FindUserByID(ctx context.Context, id string) (*examhall.User, error) {
	f.finds.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	u, ok := f.byID[id]
	if !ok {
		return nil, examhall.Errorf(examhall.ENOTFOUND, "user not found")
	}
	c := *u
	return &c, nil
}

func (f *fakeUsers) FindUserByAccount(ctx context.Context, account string) (*examhall.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, u := range f.byID {
		if examhall.AccountKey(u.Account) == examhall.AccountKey(account) {
			c := *u
			return &c, nil
		}
	}
	return nil, examhall.Errorf(examhall.ENOTFOUND, "user not found")
}

func (f *fakeUsers) FindUsers(ctx context.Context, filter examhall.UserFilter) ([]*examhall.User, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var us []*examhall.User
	for _, u := range f.byID {
		c := *u
		us = append(us, &c)
	}
	sort.Slice(us, func(i, j int) bool { return us[i].Account < us[j].Account })
	return us, len(us), nil
}

func (f *fakeUsers) CreateUser(ctx context.Context, u *examhall.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.byID {
		if o.Account == u.Account {
			return examhall.Errorf(examhall.ECONFLICT, "account taken")
		}
	}
	if u.ID == "" {
		u.ID = examhall.NewID(8)
	}
	u.CreatedAt = time.Now()
	u.UpdatedAt = u.CreatedAt
	c := *u
	f.byID[u.ID] = &c
	return nil
}

func (f *fakeUsers) ImportUsers(ctx context.Context, users []*examhall.User) error {
	for _, u := range users {
		if err := f.CreateUser(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeUsers) UpdateUser(ctx context.Context, id string, upd examhall.UserUpdate) (*examhall.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.byID[id]
	if !ok {
		return nil, examhall.Errorf(examhall.ENOTFOUND, "user not found")
	}
	if upd.Name != nil {
		u.Name = *upd.Name
	}
	if upd.Role != nil {
		u.Role = *upd.Role
	}
	if upd.DeptID != nil {
		u.DeptID = *upd.DeptID
	}
	if upd.PasswordHash != nil {
		u.PasswordHash = *upd.PasswordHash
	}
	if upd.Disabled != nil {
		u.Disabled = *upd.Disabled
	}
	if upd.PasswordHash != nil || upd.Role != nil || upd.Disabled != nil {
		u.TokenVersion++ // as the store does
	}
	c := *u
	return &c, nil
}

// delete removes a user, as an administrator would.
func (f *fakeUsers) delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.byID, id)
}

// fakeApps is an in-memory examhall.AppService.
type fakeApps struct {
	mu   sync.Mutex
	byID map[string]*examhall.App
	err  error // when set, every call fails with it
}

func newFakeApps() *fakeApps {
	return &fakeApps{byID: make(map[string]*examhall.App)}
}

func (f *fakeApps) CreateApp(ctx context.Context, a *examhall.App) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if a.ID == "" {
		a.ID = examhall.NewID(8)
	}
	if _, ok := f.byID[a.ID]; ok {
		return examhall.Errorf(examhall.ECONFLICT, "appid taken")
	}
	a.CreatedAt = time.Now()
	c := *a
	f.byID[a.ID] = &c
	return nil
}

func (f *fakeApps) FindAppByID(ctx context.Context, id string) (*examhall.App, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	a, ok := f.byID[id]
	if !ok {
		return nil, examhall.Errorf(examhall.ENOTFOUND, "app not found")
	}
	c := *a
	return &c, nil
}

func (f *fakeApps) FindApps(ctx context.Context) ([]*examhall.App, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var as []*examhall.App
	for _, a := range f.byID {
		c := *a
		as = append(as, &c)
	}
	sort.Slice(as, func(i, j int) bool { return as[i].CreatedAt.After(as[j].CreatedAt) })
	return as, nil
}

func (f *fakeApps) DisableApp(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.byID[id]
	if !ok {
		return examhall.Errorf(examhall.ENOTFOUND, "app not found")
	}
	a.Disabled = true
	return nil
}

// delete removes an app.
func (f *fakeApps) delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.byID, id)
}

// testClock is a clock that moves only when told to.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
