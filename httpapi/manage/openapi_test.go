package manage

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// openAPIDocument is the part of openapi.json the tests check.
type openAPIDocument struct {
	OpenAPI string `json:"openapi"`
	Servers []struct {
		URL string `json:"url"`
	} `json:"servers"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Parameters map[string]openAPIParameter `json:"parameters"`
	} `json:"components"`
}

type openAPIOperation struct {
	Parameters []openAPIParameter         `json:"parameters"`
	Responses  map[string]json.RawMessage `json:"responses"`
	Security   *[]map[string][]string     `json:"security"`
}

type openAPIParameter struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// TestOpenAPIMatchesRoutes keeps openapi.json and the mux from drifting:
// every route is documented, every documented operation is routed, path
// parameters are declared, and public routes are the ones without security.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc openAPIDocument
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0") || len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Fatalf("openapi %q servers %v: want 3.0.x with server /api/v1", doc.OpenAPI, doc.Servers)
	}

	public := map[string]bool{}
	var routed []string
	for _, rt := range (&Server{}).routes() {
		routed = append(routed, rt.pattern)
		public[rt.pattern] = rt.public
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			pattern := strings.ToUpper(method) + " /api/v1" + path
			documented = append(documented, pattern)

			declared := map[string]bool{}
			for _, p := range op.Parameters {
				if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
					p = doc.Components.Parameters[name]
				}
				if p.In == "path" {
					declared[p.Name] = true
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter %q is not declared", pattern, m[1])
				}
			}
			if !slices.ContainsFunc(keys(op.Responses), func(c string) bool { return c[0] == '2' }) {
				t.Errorf("%s: no success response", pattern)
			}
			isPublic := op.Security != nil && len(*op.Security) == 0
			if isPublic != public[pattern] {
				t.Errorf("%s: documented public = %v, routed public = %v", pattern, isPublic, public[pattern])
			}
			if !isPublic {
				if _, ok := op.Responses["401"]; !ok {
					t.Errorf("%s: 401 is not documented", pattern)
				}
			}
		}
	}
	slices.Sort(routed)
	slices.Sort(documented)
	if diff := cmp.Diff(routed, documented); diff != "" {
		t.Errorf("routes (-) and openapi.json (+) differ:\n%s", diff)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestOpenAPIServed checks the document is served without authentication.
func TestOpenAPIServed(t *testing.T) {
	w := newWorld(t)
	rec := w.do(t, request{method: "GET", path: "/api/v1/openapi.json"})
	if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}
