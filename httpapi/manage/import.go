package manage

import (
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"examhall"
	"examhall/httpapi"
	"examhall/sheet"
)

// Limits of a user import.
const (
	maxImportBytes = 32 << 20
	maxImportRows  = 10000
)

// importUsers creates users from a CSV or XLSX file, all or none. Every row
// is checked first and all bad rows are reported together; only a clean
// file reaches Users.ImportUsers.
func (s *Server) importUsers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	data, err := readUpload(w, r)
	if err != nil {
		return err
	}
	rows, err := sheet.Read(data, sheet.Detect(data), maxImportRows)
	if err != nil {
		return err
	}
	users, bad, err := sheet.ParseUsers(ctx, rows, s.Users, s.HashPassword)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return &rowsError{
			err:  examhall.Errorf(examhall.EINVALID, "%d of %d rows are invalid; nothing was imported", len(bad), len(rows)-1),
			rows: bad,
		}
	}
	if err := s.Users.ImportUsers(ctx, users); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, struct {
		Imported int `json:"imported"`
	}{len(users)})
}

// readUpload returns the uploaded file: the raw body, or the multipart
// field "file".
func readUpload(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	// The multipart envelope may add a little to the file's own limit.
	body := http.MaxBytesReader(w, r.Body, maxImportBytes+64<<10)
	var src io.Reader = body
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil, examhall.Errorf(examhall.EINVALID, `the multipart body has no field "file"`)
			} else if err != nil {
				return nil, uploadError(err)
			}
			if part.FormName() == "file" {
				src = part
				break
			}
		}
	}
	data, err := io.ReadAll(io.LimitReader(src, maxImportBytes+1))
	if err != nil {
		return nil, uploadError(err)
	}
	switch {
	case len(data) > maxImportBytes:
		return nil, examhall.Errorf(examhall.ETOOLARGE, "the file is larger than %d MiB", maxImportBytes>>20)
	case len(data) == 0:
		return nil, examhall.Errorf(examhall.EINVALID, "the file is empty")
	}
	return data, nil
}

func uploadError(err error) error {
	if e := httpapi.JSONError(err); examhall.ErrorCode(e) == examhall.ETOOLARGE {
		return e
	}
	return examhall.Errorf(examhall.EINVALID, "reading the upload: %s", err)
}
