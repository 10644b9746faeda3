package cache

import "examhall"

// cacheable reports whether an error is an answer worth remembering (the
// thing does not exist) rather than a failure to retry.
func cacheable(err error) bool {
	return examhall.ErrorCode(err) == examhall.ENOTFOUND
}
