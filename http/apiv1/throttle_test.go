package apiv1_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
)

// The throttle hook is asked once per registration and password reset request, with the endpoint,
// the client's address and the e-mail address named, before anything is stored or sent; its
// refusal is the answer.
func TestThrottleHookIsAskedBeforeRegistrationAndReset(t *testing.T) {
	var asked []string
	api := &apiv1.Server{Throttle: func(_ context.Context, endpoint, client, email string) error {
		asked = append(asked, endpoint+" "+client+" "+email)
		return &httperr.Error{Status: http.StatusTooManyRequests, Code: "too_many_attempts", Message: "too many requests; try again in a minute"}
	}}
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	api.Register(engine.Group("/api/v1"))
	for path, body := range map[string]string{
		"/api/v1/registrations":   `{"user": {"email": "kim@example.org"}}`,
		"/api/v1/password-resets": `{"email": "kim@example.org"}`,
	} {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.RemoteAddr = "192.0.2.7:4000"
		rec := httptest.NewRecorder()
		engine.ServeHTTP(rec, req)
		if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "too_many_attempts") {
			t.Errorf("POST %s with the throttle refusing: %d %s", path, rec.Code, rec.Body)
		}
	}
	want := map[string]bool{"registration 192.0.2.7 kim@example.org": true, "password_reset 192.0.2.7 kim@example.org": true}
	if len(asked) != 2 || !want[asked[0]] || !want[asked[1]] {
		t.Errorf("the throttle was asked %q", asked)
	}
}
