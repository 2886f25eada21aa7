package apiv1

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"

	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// keyedRoute serves POST /things under s.idempotent, as the API's signed-in group does, for the
// person *who (changed by a test between requests, as a role change would), with the router's
// recovery from panics. Each request the handler carries out adds one to the count it answers.
type keyedRoute struct {
	t      *testing.T
	who    *store.User
	router *gin.Engine
	runs   atomic.Int32
}

func newKeyedRoute(t *testing.T, handle func(c *gin.Context, run int32)) *keyedRoute {
	t.Helper()
	gin.SetMode(gin.TestMode)
	st := storetest.New(t)
	u, err := st.CreateUser(context.Background(), store.NewUser{Email: "keyed@example.org", Name: "Kim Keyed", Role: scheme.RoleAdmin, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	k := &keyedRoute{t: t, who: &u, router: gin.New()}
	s := &Server{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	k.router.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) { c.AbortWithStatus(http.StatusInternalServerError) }))
	k.router.POST("/things", func(c *gin.Context) { c.Set(userKey, *k.who) }, s.idempotent, func(c *gin.Context) {
		handle(c, k.runs.Add(1))
	})
	return k
}

func (k *keyedRoute) send(key, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/things", strings.NewReader(body))
	req.Header.Set(IdempotencyKeyHeader, key)
	req.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	k.router.ServeHTTP(w, req)
	return w
}

func answerMade(c *gin.Context, run int32) { c.JSON(http.StatusCreated, gin.H{"run": run}) }

// A repeat whose JSON differs only in whitespace, the order of names or escapes is the same
// request and gets the first answer; other JSON, or any difference in a body that is not JSON, is
// another request (422).
func TestIdempotencyKeyComparesJSONBodiesCanonically(t *testing.T) {
	k := newKeyedRoute(t, answerMade)
	first := k.send("json-1", "application/json", `{"title":"Youth club","amount_pence":250000,"areas":["Melton","Leicester"]}`)
	if first.Code != http.StatusCreated {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	for _, same := range []string{
		"{\n  \"areas\": [\"Melton\", \"Leicester\"],\n  \"amount_pence\": 250000,\n  \"title\": \"Youth club\"\n}\n",
		`{"amount_pence":250000,"title":"Youth \u0063lub","areas":["Melton","Leicester"]}`,
	} {
		w := k.send("json-1", "application/json; charset=utf-8", same)
		if w.Code != http.StatusCreated || w.Body.String() != first.Body.String() || w.Header().Get(IdempotentReplayedHeader) != "true" {
			t.Errorf("the same JSON written otherwise %q: %d %s, want the first answer replayed", same, w.Code, w.Body)
		}
	}
	for _, other := range []string{
		`{"title":"Youth club","amount_pence":250000,"areas":["Leicester","Melton"]}`, // a list's order counts
		`{"title":"Youth club","amount_pence":250000.0,"areas":["Melton","Leicester"]}`,
		`{"title":"Youth club","amount_pence":250000,"areas":["Melton","Leicester"],"purpose":""}`,
	} {
		if w := k.send("json-1", "application/json", other); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), IdempotencyKeyHeader) {
			t.Errorf("other JSON %s: %d %s, want 422 naming the header", other, w.Code, w.Body)
		}
	}
	if w := k.send("text-1", "text/plain", "a  b"); w.Code != http.StatusCreated {
		t.Fatalf("text: %d %s", w.Code, w.Body)
	}
	if w := k.send("text-1", "text/plain", "a b"); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("a text body differing in whitespace: %d %s, want 422 (compared byte for byte)", w.Code, w.Body)
	}
	if n := k.runs.Load(); n != 2 {
		t.Errorf("the handler ran %d times, want twice (once a key)", n)
	}
}

// A handler that panics under a key answers 500, and the key is free at once: a repeat is
// carried out, not told for the lease's length that the first is still running.
func TestIdempotencyKeyIsFreeAfterAPanic(t *testing.T) {
	k := newKeyedRoute(t, func(c *gin.Context, run int32) {
		if run == 1 {
			panic("a defect")
		}
		answerMade(c, run)
	})
	if w := k.send("panic-1", "application/json", `{}`); w.Code != http.StatusInternalServerError {
		t.Fatalf("the panic answered %d %s, want 500", w.Code, w.Body)
	}
	w := k.send("panic-1", "application/json", `{}`)
	if w.Code != http.StatusCreated || w.Body.String() != `{"run":2}` {
		t.Fatalf("the repeat after a panic: %d %s, want it carried out", w.Code, w.Body)
	}
	if again := k.send("panic-1", "application/json", `{}`); again.Body.String() != w.Body.String() || again.Header().Get(IdempotentReplayedHeader) != "true" {
		t.Fatalf("the next repeat: %d %s, want the answer replayed", again.Code, again.Body)
	}
}

// A kept answer is replayed only to the person standing as they did when it was made: after a
// change of role, band or organisations the repeat is refused (403) and nothing is carried out.
func TestIdempotencyKeyReplaysOnlyToTheSameStanding(t *testing.T) {
	k := newKeyedRoute(t, answerMade)
	first := k.send("standing-1", "application/json", `{}`)
	if first.Code != http.StatusCreated {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	admin := *k.who
	for name, change := range map[string]func(u *store.User){
		"role":          func(u *store.User) { u.Role = scheme.RoleOfficer },
		"band":          func(u *store.User) { u.BandTitle = "Head of Commissioning" },
		"organisations": func(u *store.User) { u.Organisations = []int64{7} },
	} {
		changed := admin
		change(&changed)
		*k.who = changed
		w := k.send("standing-1", "application/json", `{}`)
		if w.Code != http.StatusForbidden || w.Header().Get(IdempotentReplayedHeader) != "" || strings.Contains(w.Body.String(), `"run"`) {
			t.Errorf("after a change of %s: %d %s, want 403 and no replay", name, w.Code, w.Body)
		}
	}
	*k.who = admin
	if w := k.send("standing-1", "application/json", `{}`); w.Code != http.StatusCreated || w.Header().Get(IdempotentReplayedHeader) != "true" {
		t.Errorf("standing as before: %d %s, want the answer replayed", w.Code, w.Body)
	}
	k.who.Organisations = []int64{3, 1}
	if w := k.send("standing-2", "application/json", `{}`); w.Code != http.StatusCreated {
		t.Fatal(w.Code, w.Body)
	}
	k.who.Organisations = []int64{1, 3} // the same organisations, listed otherwise
	if w := k.send("standing-2", "application/json", `{}`); w.Code != http.StatusCreated || w.Header().Get(IdempotentReplayedHeader) != "true" {
		t.Errorf("the same organisations in another order: %d %s, want the answer replayed", w.Code, w.Body)
	}
	if n := k.runs.Load(); n != 2 {
		t.Errorf("the handler ran %d times, want %d", n, 2)
	}
}

// The key's requests compare JSON in one form, and everything else as sent.
func TestCanonicalBody(t *testing.T) {
	for _, c := range []struct {
		contentType, a, b string
		same              bool
	}{
		{"application/json", `{"a":1,"b":2}`, "{ \"b\" : 2 ,\n\"a\":1 }", true},
		{"application/problem+json", `{"a":[1,2]}`, `{"a": [1, 2]}`, true},
		{"application/json", `{"a":1}`, `{"a":1.0}`, false},
		{"application/json", `{"a":1} {"b":2}`, `{"a":1}`, false}, // two values: not one JSON body
		{"application/json", `{"a":1`, `{"a":1 `, false},          // not JSON: byte for byte
		{"application/json", "{\"a\":\"\xff\"}", "{\"a\": \"\xff\"}", false},
		{"", `{"a":1,"b":2}`, `{"b":2,"a":1}`, false},
		{"text/plain", `{"a":1,"b":2}`, `{"b":2,"a":1}`, false},
	} {
		got := string(canonicalBody(c.contentType, []byte(c.a))) == string(canonicalBody(c.contentType, []byte(c.b)))
		if got != c.same {
			t.Errorf("%s: %q and %q the same: %v, want %v", c.contentType, c.a, c.b, got, c.same)
		}
	}
}
