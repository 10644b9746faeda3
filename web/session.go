package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"

	"examhall"
)

// Cookie names. The session cookie holds the same session token the APIs
// accept as a bearer token, so a page and /api/v1 see the same caller.
const (
	SessionCookie = "examhall_session"
	csrfCookie    = "examhall_csrf"
	langCookie    = "examhall_lang"
)

// CSRFHeader carries the CSRF token of the pages' script requests; forms
// carry it in the field csrfField.
const (
	CSRFHeader = "X-CSRF-Token"
	csrfField  = "csrf"
)

// session returns r's context with the signed-in caller, if any. An expired
// or revoked session cookie is cleared and the request goes on signed out.
// It also makes sure the browser holds a CSRF cookie.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (context.Context, error) {
	ctx := r.Context()
	if _, err := r.Cookie(csrfCookie); err != nil {
		// Set once per browser; the token is derived from it (csrfToken).
		v := examhall.NewID(32)
		s.setCookie(w, csrfCookie, v, time.Time{}, http.SameSiteStrictMode)
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: v})
	}
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return ctx, nil
	}
	c, err := s.Auth.Authenticate(ctx, ck.Value)
	switch {
	case examhall.ErrorCode(err) == examhall.EUNAUTHORIZED:
		s.clearCookie(w, SessionCookie)
		return ctx, nil
	case err != nil:
		return nil, err
	case c.RoomID != "":
		// Pages take only sign-in sessions, never a room's join token.
		s.clearCookie(w, SessionCookie)
		return ctx, nil
	}
	return examhall.NewContextWithCaller(ctx, c), nil
}

// csrfToken is the CSRF token of r's browser: an HMAC of its CSRF cookie
// under the server's key, so a forged request without the cookie's value
// cannot carry it (signed double submit).
func (s *Server) csrfToken(r *http.Request) string {
	ck, err := r.Cookie(csrfCookie)
	if err != nil {
		return ""
	}
	m := hmac.New(sha256.New, s.CSRFKey)
	m.Write([]byte("examhall csrf\x00" + ck.Value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses a write whose CSRF token (header or form field) is
// missing or wrong, or that comes from another origin.
func (s *Server) checkCSRF(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return examhall.Errorf(examhall.EFORBIDDEN, "cross-site request refused")
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		r.Body = http.MaxBytesReader(nil, r.Body, examhall.MaxBodyBytes)
		got = r.PostFormValue(csrfField)
	}
	want := s.csrfToken(r)
	if got == "" || want == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return examhall.Errorf(examhall.EFORBIDDEN, "the form has expired or lacks its security token: reload the page and try again")
	}
	return nil
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, exp time.Time, same http.SameSite) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", Expires: exp,
		HttpOnly: true, Secure: s.Secure, SameSite: same,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteLaxMode,
	})
}
