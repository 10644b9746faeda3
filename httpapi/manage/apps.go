package manage

import (
	"net/http"

	"examhall"
)

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	apps, err := s.Apps.FindApps(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(apps, s.appJSON), len(apps)))
}

// createApp creates open-API credentials. The secret is in this response
// only: the store keeps just its hash.
func (s *Server) createApp(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := examhall.ValidateName("name", req.Name, examhall.MaxNameLen); err != nil {
		return err
	}
	app, secret, err := s.AppAuth.CreateApp(ctx, req.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, struct {
		*examhall.App
		Secret string `json:"secret"`
	}{s.appJSON(app), secret})
}

// disableApp stops an app's secret from issuing tokens.
func (s *Server) disableApp(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return err
	}
	if err := s.Apps.DisableApp(ctx, id); err != nil {
		return err
	}
	app, err := s.Apps.FindAppByID(ctx, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.appJSON(app))
}
