package examhall

import (
	"context"
	"encoding/json"
	"time"
)

// AuditEntry is one row of the audit log: a staff write, recorded in the same
// transaction as the write itself. The log is append-only: nothing updates or
// deletes its rows.
type AuditEntry struct {
	ID           int64     `json:"id"`
	Time         time.Time `json:"time"`
	ActorID      string    `json:"actorId"`
	ActorAccount string    `json:"actorAccount"`
	ActorRole    Role      `json:"actorRole"`
	ClientAddr   string    `json:"clientAddr,omitempty"` // the caller's IP address, when the write came over HTTP
	ObjectType   string    `json:"objectType"`           // user, department, exam, paper, override, room, member, audio, ...
	ObjectID     string    `json:"objectId"`
	Action       string    `json:"action"` // create, update, delete, publish, submit, mark, ...
	// Before and After hold the changed fields only, as JSON objects: after
	// alone for a creation, before alone for a deletion. Secrets never appear.
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// AuditFilter selects audit entries. Zero fields do not filter; Since is
// inclusive and Until exclusive.
type AuditFilter struct {
	ActorID    string
	ObjectType string
	ObjectID   string
	Action     string
	Since      time.Time
	Until      time.Time
	Offset     int
	Limit      int // 0 means no limit
}

// AuditService reads the audit log. Rows are written by the other services,
// each in the transaction of the write it records.
type AuditService interface {
	// FindAuditEntries returns matching entries, newest first, and the total.
	FindAuditEntries(ctx context.Context, filter AuditFilter) ([]*AuditEntry, int, error)
}

// Staff reports whether c is an admin or an invigilator: their writes are
// audited, candidates' (answers, their own cheat reports) are not.
func (c *Caller) Staff() bool {
	return c != nil && c.User != nil && (c.Role == RoleAdmin || c.Role == RoleInvigilator)
}

const clientAddrContextKey contextKey = callerContextKey + 100

// NewContextWithClientAddr returns ctx carrying the address of the client
// that made the request (an IP address, without port), for the audit log.
func NewContextWithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrContextKey, addr)
}

// ClientAddrFromContext returns the client address set by
// NewContextWithClientAddr, or "".
func ClientAddrFromContext(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrContextKey).(string)
	return a
}
