package hub

import (
	"context"
	"encoding/json"
	"time"

	"examhall"
)

// Presence: a user is online in a room (or an exam without one) while one
// of their pages holds a connection to this replica, or for Config.Presence
// after the last sign of life (a heartbeat, or the page connecting) once
// none does. Changes are published as presence events, so that staff on
// every replica see them.
//
// Each replica counts only its own connections. A user with pages on two
// replicas is kept online: when a replica announces them offline while
// another still holds a page of theirs, that one announces them online
// again.

// presenceKey is one user in one room or exam.
type presenceKey struct {
	topic, user string
}

// presenceState is what this replica knows of a presenceKey.
type presenceState struct {
	scope  Scope
	conns  int
	last   time.Time
	online bool // as last announced by this replica
}

// PresenceData is the Data of a presence event.
type PresenceData struct {
	UserID string `json:"userId"`
	Online bool   `json:"online"`
}

// Connect records that a page of scope.UserID connected, announcing them
// online if they were not; call the returned function when it disconnects.
func (h *Hub) Connect(ctx context.Context, scope Scope) (disconnect func()) {
	k := presenceKey{scope.key(), scope.UserID}
	h.mu.Lock()
	p := h.presence[k]
	if p == nil {
		p = &presenceState{scope: scope}
		h.presence[k] = p
	}
	p.conns++
	p.last = h.cfg.Now()
	announce := !p.online
	p.online = true
	h.mu.Unlock()
	if announce {
		h.announce(ctx, scope, true)
	}
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		p.conns--
	}
}

// Heartbeat records a sign of life of scope.UserID's page.
func (h *Hub) Heartbeat(ctx context.Context, scope Scope) {
	k := presenceKey{scope.key(), scope.UserID}
	h.mu.Lock()
	p := h.presence[k]
	if p == nil {
		p = &presenceState{scope: scope}
		h.presence[k] = p
	}
	p.last = h.cfg.Now()
	announce := !p.online
	p.online = true
	h.mu.Unlock()
	if announce {
		h.announce(ctx, scope, true)
	}
}

// Online reports whether the user is online in scope: this replica counts
// them online, or the latest presence event it received (from any replica)
// announced them online.
func (h *Hub) Online(scope Scope) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := presenceKey{scope.key(), scope.UserID}
	p := h.presence[k]
	return (p != nil && p.online) || h.announced[k]
}

// sweep announces offline the users without a page whose last sign of life
// is older than the presence TTL, every second until ctx ends.
func (h *Hub) sweep(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.sweepOnce(ctx)
		}
	}
}

func (h *Hub) sweepOnce(ctx context.Context) {
	now := h.cfg.Now()
	var gone []Scope
	h.mu.Lock()
	for k, p := range h.presence {
		if p.conns <= 0 && now.Sub(p.last) >= h.cfg.Presence {
			if p.online {
				gone = append(gone, p.scope)
			}
			delete(h.presence, k)
		}
	}
	h.mu.Unlock()
	for _, s := range gone {
		h.announce(ctx, s, false)
	}
}

// presenceSeen records a presence announcement of any replica (for Online)
// and answers another replica's offline announcement of a user this one
// still holds a page of (see the package comment on presence).
func (h *Hub) presenceSeen(e *examhall.Event) {
	var d PresenceData
	if e.UserID == "" || json.Unmarshal(e.Data, &d) != nil {
		return
	}
	scope := Scope{ExamID: e.ExamID, RoomID: e.RoomID, UserID: e.UserID}
	k := presenceKey{scope.key(), e.UserID}
	h.mu.Lock()
	if d.Online {
		h.announced[k] = true
	} else {
		delete(h.announced, k)
	}
	p := h.presence[k]
	still := !d.Online && p != nil && p.conns > 0
	h.mu.Unlock()
	if still {
		// Not on the delivering goroutine: Publish may hold pubMu there.
		go h.announce(context.Background(), p.scope, true)
	}
}

// announce publishes a presence event of scope.UserID.
func (h *Hub) announce(ctx context.Context, scope Scope, online bool) {
	data, _ := json.Marshal(PresenceData{UserID: scope.UserID, Online: online})
	e := &examhall.Event{ExamID: scope.ExamID, RoomID: scope.RoomID, UserID: scope.UserID,
		Type: examhall.EventPresence, Data: data}
	// The page's request may end right after; the announcement must not.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := h.Publish(ctx, e); err != nil {
		h.cfg.Log.Error("hub: presence", "user", scope.UserID, "online", online, "err", err)
	}
}
