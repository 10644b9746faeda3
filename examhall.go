// Package examhall holds the domain of the examhall server: departments, users,
// exams with papers, attempts and their grading, proctored rooms, audio
// broadcasts, cheat-detection configs and records, and open-API credentials.
//
// It defines the types, the error type, the rules every surface shares (who may
// touch what, how answers are graded, how ranks are computed) and the service
// interfaces that adapters implement. It imports only the standard library.
package examhall

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user may do.
type Role string

// Roles.
const (
	RoleAdmin       Role = "admin"
	RoleInvigilator Role = "invigilator"
	RoleExaminee    Role = "examinee"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleInvigilator || r == RoleExaminee
}

// NewID returns a random identifier of n bytes as lowercase hex (2n characters).
// IDs never contain '-', so stream names built from them stay parseable.
func NewID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// Length limits shared by every surface.
const (
	MaxNameLen    = 64   // room, exam, department, user names (runes); rooms: shorter than 64
	MaxAccountLen = 64   // login names
	MaxIDLen      = 64   // any identifier taken from a request
	MaxTextLen    = 8192 // question stems, answers, extra info
)

// ValidText reports whether s may be stored: UTF-8 without NUL characters.
// PostgreSQL refuses any other text, so the surfaces refuse requests
// carrying it, alike on both databases, before anything is written.
func ValidText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// Caller is the authenticated user of a request. A join-link token binds it
// to one room: RoomID is then that room and the caller may touch no other.
type Caller struct {
	*User
	RoomID string
}

type contextKey int

const callerContextKey contextKey = iota

// NewContextWithCaller returns ctx carrying the authenticated caller.
func NewContextWithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerContextKey, c)
}

// CallerFromContext returns the authenticated caller, or nil.
func CallerFromContext(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerContextKey).(*Caller)
	return c
}

// Clock returns the current time; services take one so tests can move time.
type Clock func() time.Time
