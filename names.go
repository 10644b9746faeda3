package examhall

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidateAccount checks a login name: required, at most MaxAccountLen
// characters, no spaces or control characters.
func ValidateAccount(account string) error {
	switch {
	case account == "":
		return Errorf(EINVALID, "account is required")
	case utf8.RuneCountInString(account) > MaxAccountLen:
		return Errorf(EINVALID, "account is longer than %d characters", MaxAccountLen)
	case strings.IndexFunc(account, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return Errorf(EINVALID, "account %q contains a space or control character", account)
	}
	return nil
}

// ValidateName checks a required display name given as field: not blank,
// at most max runes, no control characters.
func ValidateName(field, name string, max int) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Errorf(EINVALID, "%s is required", field)
	case utf8.RuneCountInString(name) > max:
		return Errorf(EINVALID, "%s is longer than %d characters", field, max)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return Errorf(EINVALID, "%s contains a control character", field)
	}
	return nil
}
