package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The debug listener needs a token beyond loopback.
func TestValidateDebugAddr(t *testing.T) {
	tests := []struct {
		addr, token string
		wantErr     string // "" for valid
	}{
		{"127.0.0.1:6060", "", ""},
		{"localhost:6060", "", ""},
		{"[::1]:6060", "", ""},
		{":6060", "", "beyond loopback"},
		{"0.0.0.0:6060", "", "beyond loopback"},
		{"10.1.2.3:6060", "", "beyond loopback"},
		{":6060", "s3cret-token", ""},
		{"6060", "", "missing port"},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		c.Data, c.DebugAddr, c.DebugToken = t.TempDir(), tt.addr, tt.token
		err := c.Validate()
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("debug addr %q, token %q: Validate() = %v, want %q", tt.addr, tt.token, err, tt.wantErr)
		}
	}
}

func TestDebugToken(t *testing.T) {
	m := NewMain()
	m.Config.DebugToken = "s3cret-token"
	h := m.debugHandler()
	for _, tt := range []struct {
		auth string
		want int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong", http.StatusUnauthorized},
		{"s3cret-token", http.StatusUnauthorized},
		{"Bearer s3cret-token", http.StatusOK},
	} {
		r := httptest.NewRequest("GET", "/debug/pprof/", nil)
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("Authorization %q: %d, want %d", tt.auth, w.Code, tt.want)
		}
		if body := w.Body.String(); w.Code == http.StatusUnauthorized && strings.Contains(body, "s3cret") {
			t.Errorf("the refusal shows the token: %q", body)
		}
	}
}

// Without --public-url, entry URLs point at the port examhall listens on.
func TestPublicURLDefault(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "http://localhost:7001"},
		{[]string{"--addr", ":8080"}, "http://localhost:8080"},
		{[]string{"--addr", "0.0.0.0:9000", "--public-url", "https://exams.example.com"}, "https://exams.example.com"},
	} {
		m := NewMain()
		fs := newFlagSet("serve", io.Discard)
		m.Config.serveFlags(fs)
		if err := m.parse(fs, tt.args, io.Discard); err != nil {
			t.Fatal(err)
		}
		if got := m.Config.publicURL(); got != tt.want {
			t.Errorf("%q: public URL %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestValidateExamTimeFormat(t *testing.T) {
	for format, ok := range map[string]bool{"seed": true, "rfc3339": true, "": false, "RFC3339": false, "iso": false} {
		c := DefaultConfig()
		c.Data, c.ExamTimeFormat = t.TempDir(), format
		if err := c.Validate(); (err == nil) != ok || (err != nil && !strings.Contains(err.Error(), "EXAMHALL_EXAM_TIME_FORMAT")) {
			t.Errorf("exam time format %q: Validate() = %v, want ok %v", format, err, ok)
		}
	}
}
