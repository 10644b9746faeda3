package manage

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"

	"examhall"
)

// Limits of the audio library and exams' schedules.
const (
	maxAudioName = 200  // clip names are often file names
	maxURLLen    = 2048 // clip URLs
	maxSchedule  = 1000 // broadcasts or playlist entries of one exam
)

// listAudios lists the library, filtered by name substring and classify.
func (s *Server) listAudios(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.staff(ctx); err != nil {
		return err
	}
	q := r.URL.Query()
	offset, limit, err := page(q)
	if err != nil {
		return err
	}
	f := examhall.AudioFilter{Offset: offset, Limit: limit}
	if f.Name, err = queryText(q, "name"); err != nil {
		return err
	}
	if f.Classify, err = queryInt(q, "classify"); err != nil {
		return err
	}
	as, total, err := s.Audio.FindAudios(ctx, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(as, s.audioJSON), total))
}

// audioRequest is the body of POST and PATCH /audios; PATCH leaves nil
// fields as they are.
type audioRequest struct {
	Classify *int    `json:"classify"`
	Name     *string `json:"name"`
	URL      *string `json:"url"`
	OSSURL   *string `json:"ossUrl"`
}

// validate checks the fields that are set.
func (a *audioRequest) validate() error {
	if a.Name != nil {
		if err := examhall.ValidateName("name", *a.Name, maxAudioName); err != nil {
			return err
		}
	}
	if a.URL != nil {
		if err := checkURL("url", *a.URL, true); err != nil {
			return err
		}
	}
	if a.OSSURL != nil {
		return checkURL("ossUrl", *a.OSSURL, false)
	}
	return nil
}

// checkURL checks an absolute http(s) URL; optional ones may be empty.
func checkURL(field, s string, required bool) error {
	if s == "" && !required {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > maxURLLen {
		return examhall.Errorf(examhall.EINVALID, "%s must be an absolute http(s) URL of at most %d bytes", field, maxURLLen)
	}
	return nil
}

func (s *Server) createAudio(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	var req audioRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil || req.URL == nil {
		return examhall.Errorf(examhall.EINVALID, "name and url are required")
	}
	if err := req.validate(); err != nil {
		return err
	}
	a := &examhall.Audio{Name: *req.Name, URL: *req.URL}
	if req.Classify != nil {
		a.Classify = *req.Classify
	}
	if req.OSSURL != nil {
		a.OSSURL = *req.OSSURL
	}
	if err := s.Audio.CreateAudio(ctx, a); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s.audioJSON(a))
}

func (s *Server) getAudio(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.staff(ctx); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Audio.FindAudioByID(ctx, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.audioJSON(a))
}

func (s *Server) updateAudio(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return err
	}
	var req audioRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	a, err := s.Audio.UpdateAudio(ctx, id, examhall.AudioUpdate{Classify: req.Classify, Name: req.Name, URL: req.URL, OSSURL: req.OSSURL})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.audioJSON(a))
}

func (s *Server) deleteAudio(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return err
	}
	if err := s.Audio.DeleteAudio(ctx, id); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) getBroadcasts(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, false)
	if err != nil {
		return err
	}
	return s.writeBroadcasts(w, r, e.ID)
}

func (s *Server) writeBroadcasts(w http.ResponseWriter, r *http.Request, examID string) error {
	bs, err := s.Audio.FindBroadcasts(r.Context(), examID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(bs, s.broadcastJSON), len(bs)))
}

// setBroadcasts replaces the exam's scheduled broadcasts.
func (s *Server) setBroadcasts(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, true)
	if err != nil {
		return err
	}
	// The items GET returns also carry the clip ("audio"), read only.
	type item struct {
		examhall.ScheduledAudio
		Audio json.RawMessage `json:"audio"`
	}
	got, err := decodeItems[item](w, r)
	if err != nil {
		return err
	}
	items := make([]examhall.ScheduledAudio, len(got))
	for i, it := range got {
		items[i] = it.ScheduledAudio
	}
	if len(items) > maxSchedule {
		return examhall.Errorf(examhall.ETOOLARGE, "at most %d broadcasts", maxSchedule)
	}
	for i, it := range items {
		if _, err := checkID("audioId", it.AudioID); err != nil {
			return examhall.Errorf(examhall.EINVALID, "items[%d]: %s", i, examhall.ErrorMessage(err))
		}
		if it.StartTime.IsZero() {
			return examhall.Errorf(examhall.EINVALID, "items[%d]: startTime is required", i)
		}
	}
	if err := s.Audio.SetBroadcasts(r.Context(), e.ID, items); err != nil {
		return err
	}
	return s.writeBroadcasts(w, r, e.ID)
}

func (s *Server) getPlaylist(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, false)
	if err != nil {
		return err
	}
	return s.writePlaylist(w, r, e.ID)
}

func (s *Server) writePlaylist(w http.ResponseWriter, r *http.Request, examID string) error {
	as, err := s.Audio.FindPlaylist(r.Context(), examID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(as, s.audioJSON), len(as)))
}

// setPlaylist replaces the exam's manual playlist with clip IDs in order.
func (s *Server) setPlaylist(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, true)
	if err != nil {
		return err
	}
	ids, err := decodeItems[string](w, r)
	if err != nil {
		return err
	}
	if len(ids) > maxSchedule {
		return examhall.Errorf(examhall.ETOOLARGE, "at most %d playlist entries", maxSchedule)
	}
	if err := checkIDs("items", ids); err != nil {
		return err
	}
	if err := s.Audio.SetPlaylist(r.Context(), e.ID, ids); err != nil {
		return err
	}
	return s.writePlaylist(w, r, e.ID)
}

func (s *Server) getCheatConfig(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, false)
	if err != nil {
		return err
	}
	c, err := s.Cheat.FindCheatConfig(r.Context(), e.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.cheatConfigJSON(c))
}

// setCheatConfig stores the exam's cheat-detection config. The clients
// define it as a JSON string; data may be that string or the JSON value
// itself, which is stored as its compact text.
func (s *Server) setCheatConfig(w http.ResponseWriter, r *http.Request) error {
	e, err := s.examFor(r, true)
	if err != nil {
		return err
	}
	var req struct {
		Data json.RawMessage `json:"data"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	data, err := configText(req.Data)
	if err != nil {
		return err
	}
	caller, _ := callerOf(r.Context())
	c := &examhall.CheatConfig{ExamID: e.ID, Data: data, Creator: caller.ID}
	if err := s.Cheat.SetCheatConfig(r.Context(), c); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.cheatConfigJSON(c))
}

// configText returns the config text of raw: a string holding JSON, or a
// JSON value (not null).
func configText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", examhall.Errorf(examhall.EINVALID, "data is required")
	}
	if raw[0] != '"' {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return "", examhall.Errorf(examhall.EINVALID, "data is not valid JSON")
		}
		return buf.String(), nil
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		return "", examhall.Errorf(examhall.EINVALID, "data must be a string or a JSON value")
	}
	if !json.Valid([]byte(text)) {
		return "", examhall.Errorf(examhall.EINVALID, "data must hold JSON text (the clients parse it)")
	}
	return text, nil
}
