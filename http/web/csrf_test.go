package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/web"
	"grantflow/internal/demo"
	"grantflow/store/storetest"
)

var csrfValue = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// Forms stay valid across replicas and restarts that share CSRF_KEY, and across a rotation while
// the old key is CSRF_PREVIOUS_KEY; a server with neither key refuses them with the form page.
func TestFormsVerifyOnEveryServerWithTheKey(t *testing.T) {
	st := storetest.New(t)
	if err := demo.Seed(context.Background(), st, time.Now()); err != nil {
		t.Fatal(err)
	}
	serve := func(o web.Options) string {
		o.Store, o.InsecureCookies = st, true
		o.API = &apiv1.Server{Store: st, TokenTTL: time.Hour}
		gin.SetMode(gin.TestMode)
		r := gin.New()
		web.New(o).Register(r)
		srv := httptest.NewServer(r)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	shown := serve(web.Options{Key: oldKey})

	// The form as one server shows it: its cookie and token.
	res, err := http.Get(shown + "/check")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfValue.FindSubmatch(page)
	if m == nil || len(res.Cookies()) == 0 {
		t.Fatalf("the form page has no token or no cookie:\n%s", page)
	}
	send := func(to string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, to+"/check", strings.NewReader(url.Values{"csrf_token": {string(m[1])}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range res.Cookies() {
			req.AddCookie(c)
		}
		out, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Body.Close()
		body, _ := io.ReadAll(out.Body)
		return out.StatusCode, string(body)
	}
	for name, to := range map[string]string{
		"another replica with the same key":             serve(web.Options{Key: oldKey}),
		"after a rotation, the old key as the previous": serve(web.Options{Key: newKey, PreviousKey: oldKey}),
	} {
		if status, body := send(to); status == http.StatusForbidden || strings.Contains(body, "This form could not be accepted") {
			t.Errorf("%s refused the form: %d", name, status)
		}
	}
	for name, to := range map[string]string{
		"the new key alone": serve(web.Options{Key: newKey}),
		"no key at all":     serve(web.Options{}),
	} {
		if status, body := send(to); status != http.StatusForbidden || !strings.Contains(body, "This form could not be accepted") ||
			!strings.Contains(body, "Nothing has been saved") {
			t.Errorf("%s accepted the form, or refused it without the form page: %d", name, status)
		}
	}
}
