package auth

import "golang.org/x/crypto/bcrypt"

// Tests hash at the lowest cost: the default takes tens of milliseconds per
// hash, and no test depends on the cost. init runs before any test, and
// before dummyHash is first made, in this package and in auth_test.
func init() {
	bcryptCost = bcrypt.MinCost
}
