// Package blob stores files (camera snapshots) behind examhall.BlobStore:
// on the local disk under the data directory by default (Disk), or in any
// S3-compatible object store through minio-go (S3).
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"examhall"
)

// CheckKey checks a blob key: slash-separated segments of lowercase
// letters, digits, '.', '_' and '-', none of them "." or "..", so that a key
// can name neither a path outside the store nor a different object.
func CheckKey(key string) error {
	if key == "" || len(key) > 512 {
		return examhall.Errorf(examhall.EINVALID, "blob key must be 1 to 512 bytes")
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return examhall.Errorf(examhall.EINVALID, "blob key %q has an empty, . or .. segment", key)
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
				return examhall.Errorf(examhall.EINVALID, "blob key %q has a character other than [a-z0-9._-/]", key)
			}
		}
	}
	return nil
}

// Disk keeps blobs as files under Dir, one per key.
type Disk struct {
	Dir string
}

var _ examhall.BlobStore = (*Disk)(nil)

// NewDisk returns a store under dir, creating it.
func NewDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob dir: %w", err)
	}
	return &Disk{Dir: dir}, nil
}

func (d *Disk) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.Dir, filepath.FromSlash(key)), nil
}

// Put writes the blob to a temporary file and renames it into place, so a
// reader never sees half a file. Fewer than size bytes is an error.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (err error) {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, io.LimitReader(r, size))
	if err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	if n != size {
		return fmt.Errorf("blob put: %d bytes of %d", n, size)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	return nil
}

// Open opens the blob's file; ENOTFOUND when there is none.
func (d *Disk) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, examhall.Errorf(examhall.ENOTFOUND, "blob %q not found", key)
	} else if err != nil {
		return nil, fmt.Errorf("blob open: %w", err)
	}
	return f, nil
}

// Delete removes the blob's file; a missing one is not an error.
func (d *Disk) Delete(ctx context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob delete: %w", err)
	}
	return nil
}
