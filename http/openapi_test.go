package httpapi

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/docparse/docparse/jobstore"
)

var fiberParam = regexp.MustCompile(`:(\w+)`)

// TestOpenAPIMatchesRoutes walks the routes the app serves and the paths of
// /openapi.json: every route is documented and every documented operation
// is served. A new route fails here until openapi.json describes it.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	// The app never reaches Redis here: routes are registered at New.
	app := New(Params{MaxUploadMB: 1, Store: jobstore.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), 0)})
	served := map[string]bool{}
	for _, r := range app.Fiber().GetRoutes(true) {
		if r.Method == "HEAD" { // Fiber adds HEAD to every GET
			continue
		}
		served[strings.ToLower(r.Method)+" "+fiberParam.ReplaceAllString(r.Path, "{$1}")] = true
	}

	resp, err := app.Fiber().Test(httptest.NewRequest("GET", "/openapi.json", nil))
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[method+" "+path] = true
			require.NotEmpty(t, op["summary"], "%s %s has a summary", method, path)
			require.NotEmpty(t, op["responses"], "%s %s has responses", method, path)
		}
	}
	for r := range served {
		require.True(t, documented[r], "route %s is served but not in openapi.json", r)
	}
	for r := range documented {
		require.True(t, served[r], "openapi.json documents %s, which the app does not serve", r)
	}

	page, err := app.Fiber().Test(httptest.NewRequest("GET", "/docs", nil))
	require.NoError(t, err)
	require.Equal(t, 200, page.StatusCode)
	require.Contains(t, page.Header.Get("Content-Type"), "text/html")
	html, err := io.ReadAll(page.Body)
	require.NoError(t, err)
	require.NotContains(t, string(html), "<script", "the docs page needs no script")
	require.NotContains(t, string(html), "https://", "nor anything from elsewhere")
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		require.Contains(t, string(html), p, "the docs page shows %s", p)
	}
}
