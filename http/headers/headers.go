// Package headers holds the response headers both front doors (the pages and /api/v1) must set
// the same way: when a response asks for HTTPS only (HSTS), and how a download names its file.
// A rule written twice drifts; these are written once.
package headers

import (
	"mime"
	"net/http"
)

// StrictTransport is the HSTS value: a year, subdomains included.
const StrictTransport = "max-age=31536000; includeSubDomains"

// HTTPS reports whether a response to r should pin the site to HTTPS: the request came over TLS,
// or the configuration says the site is served over https (siteHTTPS: behind a proxy that ends
// TLS, the request itself is plain HTTP).
func HTTPS(r *http.Request, siteHTTPS bool) bool { return siteHTTPS || r.TLS != nil }

// SetStrictTransport sets Strict-Transport-Security on h when HTTPS(r, siteHTTPS).
func SetStrictTransport(h http.Header, r *http.Request, siteHTTPS bool) {
	if HTTPS(r, siteHTTPS) {
		h.Set("Strict-Transport-Security", StrictTransport)
	}
}

// Attachment is the Content-Disposition of a download saved as name. mime.FormatMediaType quotes
// and escapes a name with quotes or spaces, and encodes a name that is not ASCII (an
// organisation's "Cymdeithas Ŵyr") as RFC 2231 filename*=utf-8”…, which every current browser reads.
func Attachment(name string) string {
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
		return v
	}
	return "attachment" // not reached: only an invalid media type or parameter name makes it empty
}
