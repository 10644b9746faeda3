package auth_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"examhall/auth"
)

func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xA5}, 32)
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr bool
	}{
		{name: "raw 32 bytes", in: string(testKey), want: testKey},
		{name: "raw, space trimmed", in: " \t" + string(testKey) + "\n", want: testKey},
		{name: "raw hex text is raw", in: hex.EncodeToString(raw), want: []byte(hex.EncodeToString(raw))},
		{name: "hex", in: "hex:" + hex.EncodeToString(raw), want: raw},
		{name: "hex upper case", in: "hex:" + strings.ToUpper(hex.EncodeToString(raw)), want: raw},
		{name: "base64 padded", in: "base64:" + base64.StdEncoding.EncodeToString(raw), want: raw},
		{name: "base64 unpadded", in: "base64:" + base64.RawStdEncoding.EncodeToString(raw), want: raw},
		{name: "empty", in: "", wantErr: true},
		{name: "raw 31 bytes", in: string(testKey[:31]), wantErr: true},
		{name: "blank padded short", in: "   " + string(testKey[:31]) + "  ", wantErr: true},
		{name: "hex 31 bytes", in: "hex:" + hex.EncodeToString(raw[:31]), wantErr: true},
		{name: "hex invalid", in: "hex:" + strings.Repeat("zz", 32), wantErr: true},
		{name: "hex empty", in: "hex:", wantErr: true},
		{name: "base64 31 bytes", in: "base64:" + base64.StdEncoding.EncodeToString(raw[:31]), wantErr: true},
		{name: "base64 invalid", in: "base64:" + strings.Repeat("*", 44), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auth.ParseKey(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseKey() error = %v, want error: %v", err, tt.wantErr)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("ParseKey() = %x, want %x", got, tt.want)
			}
			if s := strings.TrimSpace(tt.in); err != nil && len(s) > 8 && strings.Contains(err.Error(), s[len(s)-8:]) {
				t.Errorf("ParseKey() error %q reveals the key", err)
			}
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	key, err := auth.LoadOrCreateKey(dir)
	if err != nil {
		t.Fatalf("LoadOrCreateKey(new dir): %v", err)
	}
	if len(key) != auth.MinKeyLen {
		t.Errorf("key length = %d, want %d", len(key), auth.MinKeyLen)
	}
	if bytes.Equal(key, make([]byte, len(key))) {
		t.Errorf("key is all zeros")
	}
	path := filepath.Join(dir, auth.KeyFile)
	if runtime.GOOS != "windows" {
		for _, c := range []struct {
			path string
			want fs.FileMode
		}{{dir, fs.ModeDir | 0o700}, {path, 0o600}} {
			fi, err := os.Stat(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode(); got != c.want {
				t.Errorf("mode of %s = %v, want %v", c.path, got, c.want)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only %s (temp file left?)", len(entries), auth.KeyFile)
	}

	// The file reads like a configured key, so it can be copied to
	// EXAMHALL_JWT_KEY.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fromFile, err := auth.ParseKey(string(b)); err != nil || !bytes.Equal(fromFile, key) {
		t.Errorf("ParseKey(file) = %x, %v, want %x", fromFile, err, key)
	}

	// Later starts keep the key.
	again, err := auth.LoadOrCreateKey(dir)
	if err != nil {
		t.Fatalf("LoadOrCreateKey(again): %v", err)
	}
	if !bytes.Equal(again, key) {
		t.Errorf("second start key = %x, want the first %x", again, key)
	}

	// Another data directory gets another key.
	other, err := auth.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, key) {
		t.Errorf("two data directories got the same key")
	}
}

// Processes starting together on a fresh data directory agree on one key:
// the loser of the race reads the winner's.
func TestLoadOrCreateKeyConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = auth.LoadOrCreateKey(dir) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreateKey #%d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("LoadOrCreateKey #%d = %x, want %x like #0", i, keys[i], keys[0])
		}
	}
	onDisk, err := auth.LoadOrCreateKey(dir)
	if err != nil || !bytes.Equal(onDisk, keys[0]) {
		t.Errorf("key on disk = %x, %v, want %x", onDisk, err, keys[0])
	}
}

func TestLoadOrCreateKeyExisting(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []byte
		wantErr bool
	}{
		{name: "hex", content: "hex:" + strings.Repeat("ab", 32) + "\n", want: bytes.Repeat([]byte{0xab}, 32)},
		{name: "raw", content: string(testKey), want: testKey},
		{name: "empty", content: "", wantErr: true},
		{name: "too short", content: string(testKey[:31]), wantErr: true},
		{name: "short hex", content: "hex:abcd", wantErr: true},
		{name: "bad hex", content: "hex:" + strings.Repeat("zz", 32), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, auth.KeyFile)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := auth.LoadOrCreateKey(dir)
			if (err != nil) != tt.wantErr {
				t.Fatalf("LoadOrCreateKey() error = %v, want error: %v", err, tt.wantErr)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("LoadOrCreateKey() = %x, want %x", got, tt.want)
			}
			// A bad key file is reported, never replaced.
			if after, _ := os.ReadFile(path); string(after) != tt.content {
				t.Errorf("key file changed to %q", after)
			}
		})
	}
}

func TestLoadOrCreateKeyErrors(t *testing.T) {
	if _, err := auth.LoadOrCreateKey(""); err == nil {
		t.Errorf("LoadOrCreateKey(\"\") succeeded, want an error")
	}

	// The data directory path is a file.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadOrCreateKey(file); err == nil {
		t.Errorf("LoadOrCreateKey(a file) succeeded, want an error")
	}

	// The key file is a directory.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, auth.KeyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadOrCreateKey(dir); err == nil {
		t.Errorf("LoadOrCreateKey(key file is a directory) succeeded, want an error")
	}
}
