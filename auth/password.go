package auth

import (
	"crypto/rand"
	"fmt"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"examhall"
)

// Password length limits. The maximum is bcrypt's: it ignores every byte
// after the 72nd, so a longer password would only look stronger than it is.
const (
	MinPasswordLen = 8  // characters (runes)
	MaxPasswordLen = 72 // bytes
)

// bcryptCost is the cost of new hashes. Tests lower it to bcrypt.MinCost so
// they stay fast; production never changes it.
var bcryptCost = bcrypt.DefaultCost

// dummyHash is compared against when an account does not exist, so that a
// failed login costs one bcrypt comparison whether or not the account exists
// and timing does not reveal which accounts do. It is made on first use
// (New warms it) with the current cost and a password nobody knows.
var dummyHash = sync.OnceValue(func() []byte {
	h, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), bcryptCost)
	if err != nil {
		panic(err) // only fails for a password over 72 bytes or a bad cost
	}
	return h
})

// HashPassword returns the bcrypt hash of p. It returns EINVALID for a
// password shorter than MinPasswordLen characters or longer than
// MaxPasswordLen bytes.
func HashPassword(p string) (string, error) {
	if utf8.RuneCountInString(p) < MinPasswordLen {
		return "", examhall.Errorf(examhall.EINVALID, "password must be at least %d characters", MinPasswordLen)
	}
	if len(p) > MaxPasswordLen {
		return "", examhall.Errorf(examhall.EINVALID, "password must be at most %d bytes", MaxPasswordLen)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(p), bcryptCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether p matches the bcrypt hash. A password longer
// than MaxPasswordLen never matches: bcrypt would compare only its first 72
// bytes, and HashPassword never accepted such a password.
func CheckPassword(hash, p string) bool {
	if len(p) > MaxPasswordLen {
		return false
	}
	return compareHash([]byte(hash), []byte(p)) == nil
}

// compareHash is bcrypt's comparison; the throttle's tests count its calls.
var compareHash = bcrypt.CompareHashAndPassword
