package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	ok := []struct{ in, want string }{
		{"http://127.0.0.1:7001", "http://127.0.0.1:7001"},
		{"http://127.0.0.1:7001/", "http://127.0.0.1:7001"},
		{"http://127.1.2.3:80", "http://127.1.2.3:80"},
		{"http://127.0.0.1", "http://127.0.0.1"},
		{"https://127.0.0.1:8443", "https://127.0.0.1:8443"},
		{"http://localhost:7001", "http://localhost:7001"},
		{"http://LOCALHOST:7001", "http://LOCALHOST:7001"},
		{"http://localhost.:7001", "http://localhost.:7001"},
		{"http://[::1]:7001", "http://[::1]:7001"},
		{"http://[::ffff:127.0.0.1]:7001", "http://[::ffff:127.0.0.1]:7001"},
		{"http://127.0.0.1:7001/prefix/", "http://127.0.0.1:7001/prefix"},
	}
	for _, tt := range ok {
		got, err := CheckLoopback(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CheckLoopback(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	refused := []string{
		"http://10.0.0.1:7001",
		"http://192.168.1.10:7001",
		"http://0.0.0.0:7001",
		"http://[::]:7001",
		"http://8.8.8.8",
		"http://example.com:7001",
		"http://localhost.example.com:7001",
		"http://127.0.0.1.nip.io:7001",
		"http://[fe80::1%25lo]:7001",
		"http://2130706433:7001", // 127.0.0.1 as an integer: not a literal we accept
		"ftp://127.0.0.1:7001",
		"127.0.0.1:7001",
		"http://:7001",
		"http://user:pw@127.0.0.1:7001",
		"http://127.0.0.1:7001/?x=1",
		"http://127.0.0.1:99999",
		"http://127.0.0.1:7001/#frag",
	}
	for _, in := range refused {
		if got, err := CheckLoopback(in); err == nil {
			t.Errorf("CheckLoopback(%q) = %q, nil; want an error", in, got)
		}
	}
	if _, err := CheckLoopback("http://10.0.0.1"); !errors.Is(err, errNotLoopback) {
		t.Errorf("error for 10.0.0.1 = %v, want errNotLoopback", err)
	}
}

func TestLoopbackOnlyDial(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:80", "127.9.9.9:1", "[::1]:7001", "[::ffff:127.0.0.1]:80"} {
		if err := loopbackOnly("tcp", addr, nil); err != nil {
			t.Errorf("loopbackOnly(%s) = %v, want nil", addr, err)
		}
	}
	for _, addr := range []string{"10.0.0.1:80", "[2001:db8::1]:80", "0.0.0.0:80", "example.com:80", ""} {
		if err := loopbackOnly("tcp", addr, nil); !errors.Is(err, errNotLoopback) {
			t.Errorf("loopbackOnly(%s) = %v, want errNotLoopback", addr, err)
		}
	}
}

// The client neither follows a redirect nor dials anything but loopback.
func TestClientStaysOnLoopback(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://192.0.2.1/elsewhere", http.StatusFound)
	}))
	defer ts.Close()
	client := NewClient(2, 2*time.Second)
	resp, err := client.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status %d, want the redirect itself (302)", resp.StatusCode)
	}
	_, err = client.Get("http://192.0.2.1/")
	if err == nil || !errors.Is(err, errNotLoopback) {
		t.Errorf("GET of a non-loopback address: %v, want errNotLoopback", err)
	}
	if kind := transportKind(err); !strings.Contains(kind, "non-loopback") {
		t.Errorf("transportKind = %q", kind)
	}
}
