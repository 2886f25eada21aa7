package headers

import (
	"crypto/tls"
	"mime"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A download's name reaches the browser intact: quoted, escaped, or encoded as UTF-8.
func TestAttachment(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"grants-register.csv", `attachment; filename=grants-register.csv`},
		{`The "Good" Trust offer.pdf`, `attachment; filename="The \"Good\" Trust offer.pdf"`},
		{"Cymdeithas Ŵyr offer.pdf", `attachment; filename*=utf-8''Cymdeithas%20%C5%B4yr%20offer.pdf`},
	} {
		got := Attachment(tc.name)
		if got != tc.want {
			t.Errorf("Attachment(%q) = %s; want %s", tc.name, got, tc.want)
		}
		// What a client parses back is the name we started with.
		disp, params, err := mime.ParseMediaType(got)
		if err != nil || disp != "attachment" || params["filename"] != tc.name {
			t.Errorf("%s parses as %q %q (%v); want attachment %q", got, disp, params, err, tc.name)
		}
	}
}

// HSTS goes on a response to a request over TLS, or whenever the site is configured as https.
func TestSetStrictTransport(t *testing.T) {
	plain := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
	overTLS := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
	overTLS.TLS = &tls.ConnectionState{}
	for _, tc := range []struct {
		r         *http.Request
		siteHTTPS bool
		want      string
	}{
		{plain, false, ""},
		{plain, true, StrictTransport},
		{overTLS, false, StrictTransport},
	} {
		h := http.Header{}
		SetStrictTransport(h, tc.r, tc.siteHTTPS)
		if got := h.Get("Strict-Transport-Security"); got != tc.want {
			t.Errorf("TLS %v, site https %v: HSTS %q; want %q", tc.r.TLS != nil, tc.siteHTTPS, got, tc.want)
		}
	}
}
