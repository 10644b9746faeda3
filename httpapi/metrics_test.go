package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /exam/roomInfo", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("POST /exam/endRoom", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	h := m.Wrap(mux)
	for _, req := range []struct{ method, target string }{
		{"GET", "/exam/roomInfo?roomId=r1"},
		{"GET", "/exam/roomInfo?roomId=r2"},
		{"POST", "/exam/endRoom"},
		{"GET", "/exam/secret-room-id"},
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.target, nil))
	}
	for _, tt := range []struct {
		route, code string
		want        float64
	}{
		{"GET /exam/roomInfo", "200", 2},
		{"POST /exam/endRoom", "403", 1},
		{"unmatched", "404", 1},
	} {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(tt.route, tt.code)); got != tt.want {
			t.Errorf("requests{%s,%s} = %v, want %v", tt.route, tt.code, got, tt.want)
		}
	}
	if n := testutil.CollectAndCount(m.duration); n != 3 {
		t.Errorf("%d duration series, want 3 (one per route)", n)
	}
}
