package auth_test

import (
	"strings"
	"testing"

	"examhall/auth"
)

func TestHashPassword(t *testing.T) {
	tests := []struct {
		name     string
		password string
		want     string // errString of the error
	}{
		{"8 characters", "abcdefgh", ""},
		{"72 bytes", strings.Repeat("p", 72), ""},
		{"8 runes of 3 bytes", "密码密码密码密码", ""},
		{"24 runes of 3 bytes", strings.Repeat("密", 24), ""},
		{"empty", "", "invalid: password must be at least 8 characters"},
		{"7 characters", "abcdefg", "invalid: password must be at least 8 characters"},
		{"7 runes of 3 bytes", "密码密码密码密", "invalid: password must be at least 8 characters"},
		{"73 bytes", strings.Repeat("p", 73), "invalid: password must be at most 72 bytes"},
		{"25 runes of 3 bytes", strings.Repeat("密", 25), "invalid: password must be at most 72 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, err := auth.HashPassword(tt.password)
			if got := errString(err); got != tt.want {
				t.Fatalf("HashPassword() error = %q, want %q", got, tt.want)
			}
			if err != nil {
				if tt.password != "" && strings.Contains(err.Error(), tt.password) {
					t.Errorf("HashPassword() error %q reveals the password", err)
				}
				return
			}
			if hash == tt.password || strings.Contains(hash, tt.password) {
				t.Errorf("HashPassword() = %q holds the password", hash)
			}
			if !auth.CheckPassword(hash, tt.password) {
				t.Errorf("CheckPassword(hash, password) = false, want true")
			}
			if auth.CheckPassword(hash, tt.password[1:]) {
				t.Errorf("CheckPassword(hash, other) = true, want false")
			}
		})
	}
}

// Two hashes of one password differ: each has its own salt.
func TestHashPasswordSalted(t *testing.T) {
	a, b := MustHash(t, "abcdefgh"), MustHash(t, "abcdefgh")
	if a == b {
		t.Errorf("two hashes of one password are equal: %q", a)
	}
}

func TestCheckPassword(t *testing.T) {
	long := strings.Repeat("p", 72)
	hash := MustHash(t, long)
	tests := []struct {
		name     string
		hash     string
		password string
		want     bool
	}{
		{"match", hash, long, true},
		{"mismatch", hash, strings.Repeat("q", 72), false},
		{"empty password", hash, "", false},
		// bcrypt alone would ignore byte 73 and accept this.
		{"extra byte past 72", hash, long + "x", false},
		{"empty hash", "", long, false},
		{"garbage hash", "$2a$not-a-hash", long, false},
		{"plain text stored", long, long, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.CheckPassword(tt.hash, tt.password); got != tt.want {
				t.Errorf("CheckPassword() = %v, want %v", got, tt.want)
			}
		})
	}
}
