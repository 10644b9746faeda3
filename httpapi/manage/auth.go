package manage

import (
	_ "embed"
	"net/http"
	"time"

	"examhall"
)

//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves the API's OpenAPI 3 description.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(openAPIDoc)
	return err
}

// login exchanges an account and password for a session token.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Account  string `json:"account"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Account == "" || req.Password == "" {
		return examhall.Errorf(examhall.EINVALID, "account and password are required")
	}
	if len(req.Account) > examhall.MaxAccountLen || len(req.Password) > 1024 {
		// Too long to be right; answer as for a wrong pair without the bcrypt work.
		return examhall.Errorf(examhall.EUNAUTHORIZED, "wrong account or password")
	}
	token, expire, err := s.Auth.Login(r.Context(), req.Account, req.Password, r.RemoteAddr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		Token  string    `json:"token"`
		Expire time.Time `json:"expire"`
	}{token, s.local(expire)})
}

// me returns the caller, with the room a join-link token is bound to.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	c, err := callerOf(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		*examhall.User
		RoomID string `json:"roomId,omitempty"`
	}{s.userJSON(c.User), c.RoomID})
}
