package router_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"grantflow/http/router"
	"grantflow/store/storetest"
)

// Every /api/v1 answer (a success, a download, a refusal, an unknown route) is kept out of caches
// and never sniffed; HSTS goes on it when the request came over TLS or the site is configured as
// https (Secure cookies), by the same rule as the pages.
func TestAPIHeaders(t *testing.T) {
	st := storetest.New(t)
	for _, tc := range []struct {
		name            string
		insecureCookies bool
		tls             bool
		wantHSTS        bool
	}{
		{"plain HTTP, site not https", true, false, false},
		{"plain HTTP behind a TLS proxy, site https", false, false, true},
		{"over TLS", true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := router.New(router.Deps{Store: st, Logger: slog.New(slog.DiscardHandler), TokenTTL: time.Hour, InsecureCookies: tc.insecureCookies})
			srv := httptest.NewUnstartedServer(h)
			if tc.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			for path, status := range map[string]int{
				"/api/v1/decisions":               http.StatusOK,
				"/api/v1/register?format=csv":     http.StatusOK, // a public download
				"/api/v1/me":                      http.StatusUnauthorized,
				"/api/v1/no-such-thing":           http.StatusNotFound,
				"/api/v1/applications/1/payments": http.StatusNotFound, // GET of a POST-only route
			} {
				res, err := srv.Client().Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != status {
					t.Errorf("GET %s: %d; want %d", path, res.StatusCode, status)
				}
				if got := res.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("GET %s: Cache-Control %q; want no-store", path, got)
				}
				if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("GET %s: X-Content-Type-Options %q; want nosniff", path, got)
				}
				if got := res.Header.Get("Strict-Transport-Security"); (got != "") != tc.wantHSTS {
					t.Errorf("GET %s: Strict-Transport-Security %q; want it %v", path, got, tc.wantHSTS)
				}
			}
		})
	}
	// The pages follow the same HSTS rule: a sign-in page over plain HTTP with Secure cookies still pins.
	srv := httptest.NewServer(router.New(router.Deps{Store: st, Logger: slog.New(slog.DiscardHandler), TokenTTL: time.Hour}))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("the pages dropped HSTS")
	}
}
