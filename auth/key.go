package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MinKeyLen is the shortest signing key accepted, in bytes: HS256 wants a key
// at least as long as its 256-bit output.
const MinKeyLen = 32

// KeyFile is the name of the generated signing key in the data directory.
const KeyFile = "jwt.key"

// ParseKey returns the signing key given in configuration (EXAMHALL_JWT_KEY).
// Surrounding white space is ignored. A value starting with "hex:" or
// "base64:" is decoded (base64 in the standard alphabet, padding optional);
// any other value is the key as is, so the output of `openssl rand -hex 32`
// works unchanged. The key must be at least MinKeyLen bytes after decoding.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	var key []byte
	switch {
	case strings.HasPrefix(s, "hex:"):
		b, err := hex.DecodeString(s[len("hex:"):])
		if err != nil {
			return nil, errors.New("auth: key: invalid hex") // the error text would quote the key
		}
		key = b
	case strings.HasPrefix(s, "base64:"):
		b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s[len("base64:"):], "="))
		if err != nil {
			return nil, errors.New("auth: key: invalid base64")
		}
		key = b
	default:
		key = []byte(s)
	}
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("auth: key is %d bytes, want at least %d", len(key), MinKeyLen)
	}
	return key, nil
}

// LoadOrCreateKey returns the signing key kept in dataDir/jwt.key. On first
// start, when there is no such file, it creates dataDir (mode 0700) if
// needed, generates MinKeyLen random bytes and writes them atomically with
// mode 0600, as "hex:" followed by their hex form: the file reads like a
// ParseKey value, so an operator can copy it into EXAMHALL_JWT_KEY to share
// the key between replicas. An existing file that does not hold a valid key
// of at least MinKeyLen bytes is an error, never silently replaced: that
// would log everybody out.
func LoadOrCreateKey(dataDir string) ([]byte, error) {
	if dataDir == "" {
		return nil, errors.New("auth: no data directory for the signing key")
	}
	path := filepath.Join(dataDir, KeyFile)
	if key, err := readKey(path); !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}

	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: create data directory: %w", err)
	}
	key := make([]byte, MinKeyLen)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("auth: generate key: %w", err)
	}
	if err := writeKey(path, []byte("hex:"+hex.EncodeToString(key)+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process starting at the same time won the race:
			// use its key so that both accept each other's tokens.
			return readKey(path)
		}
		return nil, err
	}
	return key, nil
}

// readKey reads and parses a key file; for a missing file the error
// matches fs.ErrNotExist.
func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: read key: %w", err)
	}
	key, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// writeKey writes data to a temporary file in path's directory and then
// moves it into place, so no reader ever sees a partly written key. The move
// is a hard link, which fails with fs.ErrExist rather than replace a key
// another process has just written; where links are not supported it falls
// back to a rename.
func writeKey(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+KeyFile+"-*") // CreateTemp uses mode 0600
	if err != nil {
		return fmt.Errorf("auth: write key: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a link, the name in place keeps the file
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("auth: write key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("auth: write key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("auth: write key: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("auth: write key: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("auth: write key: %w", err)
		}
	}
	// Make the new directory entry durable too; not every system can sync
	// a directory, and the key is already safely written, so this is best
	// effort.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// DeriveKey returns a key for purpose derived from the server key, so that
// one configured secret serves several uses without one use's key revealing
// another's: HMAC-SHA256(key, purpose).
func DeriveKey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
