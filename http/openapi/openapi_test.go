package openapi

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"

	"grantflow/http/apiv1"
)

const prefix = "/api/v1"

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

type document struct {
	OpenAPI string                          `yaml:"openapi"`
	Paths   map[string]map[string]yaml.Node `yaml:"paths"`
	raw     map[string]any                  // the whole document, for resolving $ref
	ops     map[string]operation            // "GET /api/v1/..." → operation
}

type operation struct {
	Summary   string                `yaml:"summary"`
	Responses map[string]yaml.Node  `yaml:"responses"`
	Security  []map[string][]string `yaml:"security"`
	NoClient  string                `yaml:"x-no-4xx"`
}

func load(t *testing.T) document {
	t.Helper()
	var doc document
	if err := yaml.Unmarshal(Spec, &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if err := yaml.Unmarshal(Spec, &doc.raw); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	doc.ops = map[string]operation{}
	for path, item := range doc.Paths {
		for key, node := range item {
			if !slices.Contains(httpMethods, key) {
				continue // parameters, summary, description of the path item
			}
			var op operation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", strings.ToUpper(key), path, err)
			}
			doc.ops[strings.ToUpper(key)+" "+path] = op
		}
	}
	return doc
}

// routes mounts the API as the server does and lists its routes under /api/v1, with ":id" written "{id}".
func routes(t *testing.T) (*gin.Engine, map[string]string) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	// Handlers given nil dependencies panic; turn that into a 500 quietly (see TestSecurityMatchesAuthentication).
	engine.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) { c.AbortWithStatus(http.StatusInternalServerError) }))
	(&apiv1.Server{}).Register(engine.Group(prefix))
	param := regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)
	out := map[string]string{}
	for _, r := range engine.Routes() {
		if !strings.HasPrefix(r.Path, prefix+"/") {
			continue
		}
		out[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = r.Path
	}
	if len(out) == 0 {
		t.Fatal("apiv1.Server.Register mounted no routes")
	}
	return engine, out
}

func TestEveryRouteIsDocumented(t *testing.T) {
	doc := load(t)
	_, mounted := routes(t)
	for key := range mounted {
		if _, ok := doc.ops[key]; !ok {
			t.Errorf("route %s is mounted by apiv1.Server.Register but not documented in openapi.yaml", key)
		}
	}
	for key := range doc.ops {
		if _, ok := mounted[key]; !ok {
			t.Errorf("operation %s is documented in openapi.yaml but no such route is mounted", key)
		}
	}
	for path := range doc.Paths {
		if !strings.HasPrefix(path, prefix+"/") {
			t.Errorf("path %s is not under %s", path, prefix)
		}
	}
}

func TestEveryOperationIsComplete(t *testing.T) {
	doc := load(t)
	for _, key := range sortedKeys(doc.ops) {
		op := doc.ops[key]
		if strings.TrimSpace(op.Summary) == "" {
			t.Errorf("%s has no summary", key)
		}
		var ok2xx, ok4xx bool
		for status := range op.Responses {
			ok2xx = ok2xx || strings.HasPrefix(status, "2")
			ok4xx = ok4xx || strings.HasPrefix(status, "4")
		}
		if !ok2xx {
			t.Errorf("%s documents no 2xx response", key)
		}
		// An operation that truly has no client error must say why in x-no-4xx.
		if !ok4xx && strings.TrimSpace(op.NoClient) == "" {
			t.Errorf("%s documents no 4xx response (if it cannot give one, say why in x-no-4xx)", key)
		}
	}
}

// TestSecurityMatchesAuthentication calls every route without a token: the routes behind
// apiv1's authenticate answer 401 before their handler runs, and exactly those must declare
// bearerAuth and document a 401.
func TestSecurityMatchesAuthentication(t *testing.T) {
	doc := load(t)
	engine, mounted := routes(t)
	for _, key := range sortedKeys(mounted) {
		op, ok := doc.ops[key]
		if !ok {
			continue // reported by TestEveryRouteIsDocumented
		}
		method, _, _ := strings.Cut(key, " ")
		path := strings.ReplaceAll(mounted[key], ":id", "1")
		rec := httptest.NewRecorder()
		engine.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader("")))
		authenticated := rec.Code == http.StatusUnauthorized && strings.Contains(rec.Body.String(), `"unauthorized"`)
		documented := false
		for _, req := range op.Security {
			_, has := req["bearerAuth"]
			documented = documented || has
		}
		_, has401 := op.Responses["401"]
		switch {
		case authenticated && !documented:
			t.Errorf("%s requires a bearer token but does not declare security bearerAuth", key)
		case authenticated && !has401:
			t.Errorf("%s requires a bearer token but documents no 401", key)
		case !authenticated && documented:
			t.Errorf("%s is public (answered %d without a token) but declares security bearerAuth", key, rec.Code)
		}
	}
}

func TestRefsResolve(t *testing.T) {
	doc := load(t)
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if k == "$ref" {
					ref, _ := child.(string)
					if !resolves(doc.raw, ref) {
						t.Errorf("%s: $ref %q does not resolve", at, ref)
					}
					continue
				}
				walk(at+"/"+k, child)
			}
		case []any:
			for i, child := range v {
				walk(fmt.Sprintf("%s/%d", at, i), child)
			}
		}
	}
	walk("#", doc.raw)
	for _, name := range []string{"Application", "ApplicationDetail", "Event", "Document", "Award", "Payment", "Scheme", "Round", "Budget", "FinanceNotice", "Error"} {
		if !resolves(doc.raw, "#/components/schemas/"+name) {
			t.Errorf("components.schemas.%s is missing", name)
		}
	}
	if !resolves(doc.raw, "#/components/securitySchemes/bearerAuth") {
		t.Error("components.securitySchemes.bearerAuth is missing")
	}
}

func resolves(root map[string]any, ref string) bool {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = root
	for _, part := range strings.Split(rest, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]; !ok {
			return false
		}
	}
	return true
}

// The document is valid OpenAPI as kin-openapi reads it, since the end-to-end tests check every
// call against it with that library (e2e/contract_test.go).
func TestDocumentIsValidOpenAPI(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(Spec)
	if err != nil {
		t.Fatalf("openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Errorf("openapi.yaml is not valid: %v", err)
	}
}

func TestRegisterServesTheSpec(t *testing.T) {
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	Register(engine)
	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.yaml = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
		t.Errorf("Content-Type = %q, want application/yaml", ct)
	}
	if rec.Body.String() != string(Spec) {
		t.Error("the body is not the embedded spec")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Every field an operation's own documented refusal names (the `fields` of an Error example) is a
// field of its request body, as the server names the fields it was sent: "amount_pence", not
// "amount"; "scores[2].score" is "scores.score".
func TestRefusalExamplesNameFieldsOfTheRequest(t *testing.T) {
	doc := load(t)
	index := regexp.MustCompile(`\[\d+\]`)
	for _, key := range sortedKeys(doc.ops) {
		method, path, _ := strings.Cut(key, " ")
		op := doc.raw["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		body := doc.deref(dig(op, "requestBody", "content", "application/json", "schema"))
		if body == nil {
			continue
		}
		for status, resp := range op["responses"].(map[string]any) {
			if dig(resp, "$ref") != nil {
				continue // a shared response's example is about no operation in particular
			}
			content := dig(resp, "content", "application/json")
			examples := []any{dig(content, "example")}
			if many, ok := dig(content, "examples").(map[string]any); ok {
				for _, ex := range many {
					examples = append(examples, dig(ex, "value"))
				}
			}
			for _, ex := range examples {
				fields, _ := dig(ex, "error", "fields").(map[string]any)
				for field := range fields {
					if !doc.hasField(body, strings.Split(index.ReplaceAllString(field, ""), ".")) {
						t.Errorf("%s %s: the example refusal names %q, which the request does not have", key, status, field)
					}
				}
			}
		}
	}
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// deref follows a local $ref.
func (d document) deref(v any) any {
	for {
		ref, ok := dig(v, "$ref").(string)
		if !ok {
			return v
		}
		v = d.raw
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			v = dig(v, part)
		}
	}
}

// hasField reports whether the schema has the property path, through lists, allOf and refs.
func (d document) hasField(schema any, path []string) bool {
	schema = d.deref(schema)
	if len(path) == 0 {
		return true
	}
	if items := dig(schema, "items"); items != nil {
		return d.hasField(items, path)
	}
	if all, ok := dig(schema, "allOf").([]any); ok {
		for _, s := range all {
			if d.hasField(s, path) {
				return true
			}
		}
	}
	prop := dig(schema, "properties", path[0])
	return prop != nil && d.hasField(prop, path[1:])
}
