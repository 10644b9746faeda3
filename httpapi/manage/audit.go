package manage

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"examhall"
	"examhall/sheet"
)

// auditFilter reads the audit routes' filters: actorId, objectType,
// objectId, action, since and until (RFC 3339).
func auditFilter(q url.Values) (examhall.AuditFilter, error) {
	var f examhall.AuditFilter
	for _, p := range []struct {
		name string
		dst  *string
	}{{"actorId", &f.ActorID}, {"objectType", &f.ObjectType}, {"objectId", &f.ObjectID}, {"action", &f.Action}} {
		if v := q.Get(p.name); v != "" {
			if _, err := checkID(p.name, v); err != nil {
				return f, err
			}
			*p.dst = v
		}
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, examhall.Errorf(examhall.EINVALID, "%s must be an RFC 3339 time such as 2026-01-02T15:04:05+08:00, not %q", p.name, v)
			}
			*p.dst = t
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return f, examhall.Errorf(examhall.EINVALID, "until must be after since")
	}
	return f, nil
}

// listAudit pages the audit log, newest first. Admins only.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	q := r.URL.Query()
	f, err := auditFilter(q)
	if err != nil {
		return err
	}
	if f.Offset, f.Limit, err = page(q); err != nil {
		return err
	}
	es, total, err := s.Audit.FindAuditEntries(ctx, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(es, s.auditJSON), total))
}

func (s *Server) auditJSON(e *examhall.AuditEntry) *examhall.AuditEntry {
	v := *e
	v.Time = s.local(e.Time)
	return &v
}

// auditColumns are the export's columns.
var auditColumns = []string{"id", "time", "actorId", "actorAccount", "actorRole", "clientAddr", "objectType",
	"objectId", "action", "before", "after"}

// maxAuditExport bounds one export; narrower filters export the rest.
const maxAuditExport = 100_000

// exportAudit writes the matching entries (all pages, newest first) as CSV
// (default) or XLSX. Admins only.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	q := r.URL.Query()
	f, err := auditFilter(q)
	if err != nil {
		return err
	}
	format := sheet.CSV
	if v := q.Get("format"); v != "" {
		if format, err = sheet.ParseFormat(v); err != nil {
			return err
		}
	}
	f.Limit = maxAuditExport + 1
	es, _, err := s.Audit.FindAuditEntries(ctx, f)
	if err != nil {
		return err
	}
	if len(es) > maxAuditExport {
		return examhall.Errorf(examhall.ETOOLARGE, "more than %d entries match; narrow the time range", maxAuditExport)
	}
	rows := make([][]string, len(es))
	for i, e := range es {
		rows[i] = []string{strconv.FormatInt(e.ID, 10), s.local(e.Time).Format("2006-01-02T15:04:05.000Z07:00"), e.ActorID, e.ActorAccount,
			string(e.ActorRole), e.ClientAddr, e.ObjectType, e.ObjectID, e.Action, string(e.Before), string(e.After)}
	}
	w.Header().Set("Content-Type", format.ContentType())
	w.Header().Set("Content-Disposition", attachment("audit."+string(format), "audit."+string(format)))
	if err := sheet.Write(w, format, "Audit", auditColumns, rows); err != nil {
		s.log().Error("writing audit export", "err", err)
	}
	return nil
}
