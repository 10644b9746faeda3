package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errNotLoopback is returned for any target that is not on this machine's
// loopback interface.
var errNotLoopback = errors.New("not a loopback address")

// CheckLoopback accepts an http(s) base URL whose host is "localhost" or a
// literal loopback IP (127.0.0.0/8, ::1) and refuses anything else: other
// names are not resolved, since they may point elsewhere. It returns the URL
// without a trailing slash.
func CheckLoopback(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("target %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("target %q: scheme must be http or https", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("target %q: give only scheme, host, port and an optional path prefix", raw)
	}
	host := u.Hostname()
	if host == "" {
		return "", fmt.Errorf("target %q: no host", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("target %q: bad port", raw)
		}
	}
	if !isLoopbackHost(host) {
		return "", fmt.Errorf("target %q: %w; this tool only drives a server on this machine", raw, errNotLoopback)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP
// literal (an IPv4-mapped IPv6 loopback counts).
func isLoopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return false
	}
	return ip.Unmap().IsLoopback()
}

// loopbackOnly is a net.Dialer Control function: it refuses to connect to
// any resolved address that is not loopback, so neither a name that
// resolves elsewhere nor a redirect can take the load off this machine.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("dial %s %s: %w", network, address, errNotLoopback)
	}
	return nil
}

// NewClient returns the one client every worker shares: a Transport that
// keeps up to conns keep-alive connections per host (so each worker
// effectively owns one), dials loopback only, ignores proxy settings and
// does not follow redirects.
func NewClient(conns int, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: loopbackOnly}
	t := &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		MaxIdleConns:        2 * conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{
		Transport: t,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// CeilingBody is the ceiling server's fixed answer: 250 bytes of JSON in
// the AppServer envelope, about the size of a roomInfo answer, so the same
// CheckEnvelope accepts it.
const CeilingBody = `{"success":true,"errorCode":"","errorMsg":"","data":{"id":"5f0c8a7e-3b1d-4c2a-9e6f-1a2b3c4d5e6f","name":"Room 1","examId":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a","status":0,"audioStatus":0,"imGroupId":"g-0001","createdAt":"2026-01-02T03:04:05+08:00"}}`

// StartCeiling starts the ceiling: a minimal net/http server on
// 127.0.0.1:0 answering every request with CeilingBody. It returns its base
// URL and a function that stops it.
func StartCeiling() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("ceiling: %w", err)
	}
	body := []byte(CeilingBody)
	length := strconv.Itoa(len(body))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Content-Length", length)
			w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}
