package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"grantflow/store"
)

// Two cookies, both Secure (unless Options.InsecureCookies), HttpOnly and SameSite=Lax, and both
// holding only random values:
//
//   - the session cookie, once someone signs in: a random token from store.IssueToken, of which
//     the database keeps only a hash and an expiry;
//   - the form cookie, from the first page: a random id that every form's CSRF token is bound to.
//
// A form's token is an HMAC, under the server's key, of the form cookie and the session cookie,
// so it is worthless to anyone who cannot read both (both are HttpOnly, and the __Host- prefix
// stops a neighbouring subdomain planting either). Cross-origin browser posts are refused before
// that, by Go's CrossOriginProtection (Sec-Fetch-Site and Origin).
const (
	sessionCookieName = "grantflow-session"
	formCookieName    = "grantflow-form"
	csrfField         = "csrf_token"
)

const (
	userKey    = "web.user"
	sessionKey = "web.session"
	formKey    = "web.form"
)

func (s *Server) cookieName(base string) string {
	if s.opts.InsecureCookies {
		return base
	}
	return "__Host-" + base
}

func (s *Server) setCookie(c *gin.Context, base, value string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: s.cookieName(base), Value: value, Path: "/",
		Secure: !s.opts.InsecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearCookie(c *gin.Context, base string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: s.cookieName(base), Value: "", Path: "/", MaxAge: -1,
		Secure: !s.opts.InsecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// cookie reads one of our cookies, ignoring anything that is not a random value of ours.
func (s *Server) cookie(c *gin.Context, base string) string {
	ck, err := c.Request.Cookie(s.cookieName(base))
	if err != nil || !randomShaped(ck.Value) {
		return ""
	}
	return ck.Value
}

// randomID is 32 random bytes, base64url: the shape of our ids and of the store's tokens.
func randomID() string {
	raw := make([]byte, 32)
	rand.Read(raw)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func randomShaped(v string) bool {
	if len(v) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil
}

// session resolves the session cookie to a user and makes sure the visitor has a form cookie.
func (s *Server) session(c *gin.Context) {
	if token := s.cookie(c, sessionCookieName); token != "" {
		u, err := s.opts.Store.UserByToken(c.Request.Context(), token)
		switch {
		case err == nil:
			c.Set(userKey, u)
			c.Set(sessionKey, token)
		case errors.Is(err, store.ErrNotFound): // signed out or expired
			s.clearCookie(c, sessionCookieName)
		default:
			s.serverError(c, err)
			return
		}
	}
	id := s.cookie(c, formCookieName)
	if id == "" {
		id = randomID()
		s.setCookie(c, formCookieName, id)
	}
	c.Set(formKey, id)
	c.Next()
}

// UserOf is the person whose session cookie came with this request, if any.
func UserOf(c *gin.Context) (store.User, bool) { return currentUser(c) }

// currentUser is the signed-in person, if any.
func currentUser(c *gin.Context) (store.User, bool) {
	v, ok := c.Get(userKey)
	if !ok {
		return store.User{}, false
	}
	return v.(store.User), true
}

// requireSignIn sends people who are not signed in to the sign-in page; one sending a form was
// signed in when the form was shown, so the page says their session ended and nothing was saved.
func (s *Server) requireSignIn(c *gin.Context) {
	if _, ok := currentUser(c); !ok {
		to := "/sign-in"
		if c.Request.Method == http.MethodPost {
			to += "?expired=1"
		} else if next := c.Request.URL.RequestURI(); next != "/applications" { // where sign-in goes anyway
			to += "?" + returnQuery(next)
		}
		c.Redirect(http.StatusSeeOther, to)
		c.Abort()
		return
	}
	c.Next()
}

// returnField carries where a person was going through sign-in and registration.
const returnField = "return"

// returnQuery is the query that sends a person on to path once signed in ("return=...").
func returnQuery(path string) string {
	return url.Values{returnField: {path}}.Encode()
}

// returnPath is where to go after signing in: the return path asked for when it is an address on
// this site (a path, never another host: "//host", "/\\host" and absolute URLs are refused), else
// fallback. It keeps sign-in from being an open redirect.
func returnPath(raw, fallback string) string {
	if len(raw) > 2000 || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") ||
		strings.ContainsAny(raw, "\\\x00\r\n\t") {
		return fallback
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return fallback
	}
	return raw
}

// startSession signs the person in: a fresh session token (never one the visitor brought with
// them) and a fresh form cookie, so tokens on forms shown before no longer work.
func (s *Server) startSession(c *gin.Context, u store.User) error {
	token, _, err := s.opts.Store.IssueToken(c.Request.Context(), u.ID, s.opts.SessionTTL)
	if err != nil {
		return err
	}
	if old, ok := c.Get(sessionKey); ok {
		if err := s.opts.Store.RevokeToken(c.Request.Context(), old.(string)); err != nil {
			return err
		}
	}
	s.setCookie(c, sessionCookieName, token)
	if s.opts.API != nil {
		s.opts.API.LogSignIn(c.Request.Context(), u, caller(c))
	}
	id := randomID()
	s.setCookie(c, formCookieName, id)
	c.Set(userKey, u)
	c.Set(sessionKey, token)
	c.Set(formKey, id)
	return nil
}

// endSession signs the person out: the session's token is deleted, so a copied cookie is useless.
func (s *Server) endSession(c *gin.Context) error {
	if token, ok := c.Get(sessionKey); ok {
		if err := s.opts.Store.RevokeToken(c.Request.Context(), token.(string)); err != nil {
			return err
		}
	}
	s.clearCookie(c, sessionCookieName)
	id := randomID()
	s.setCookie(c, formCookieName, id)
	c.Set(formKey, id)
	delete(c.Keys, userKey)
	delete(c.Keys, sessionKey)
	return nil
}

// csrfToken is the token the forms of this response carry: signed with the current key.
func (s *Server) csrfToken(c *gin.Context) string { return s.csrfTokenWith(c, s.keys[0]) }

// csrfValid reports whether a form's token was signed for this visitor with a key still accepted.
func (s *Server) csrfValid(c *gin.Context, got string) bool {
	for _, key := range s.keys {
		if hmac.Equal([]byte(got), []byte(s.csrfTokenWith(c, key))) {
			return true
		}
	}
	return false
}

func (s *Server) csrfTokenWith(c *gin.Context, key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("grantflow form\x00"))
	mac.Write([]byte(c.GetString(formKey)))
	mac.Write([]byte{0})
	mac.Write([]byte(c.GetString(sessionKey)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verifyCSRF refuses a form sent from another site, or without this visitor's token, with the
// 403 page. Safe methods pass.
func (s *Server) verifyCSRF(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	if err := s.cop.Check(c.Request); err != nil {
		s.forbidden(c)
		return
	}
	if err := parseBody(c.Request); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.render(c, http.StatusRequestEntityTooLarge, "error", page{Title: "The form was too large", Data: errorPage{
				Heading: "The form was too large", Lines: []string{"Go back and shorten your answers, then try again."}}})
		} else {
			s.render(c, http.StatusBadRequest, "error", page{Title: "The form could not be read", Data: errorPage{
				Heading: "The form could not be read", Lines: []string{"Go back and try again."}}})
		}
		c.Abort()
		return
	}
	got := c.Request.PostForm.Get(csrfField)
	if !s.csrfValid(c, got) {
		s.forbidden(c)
		return
	}
	c.Next()
}

// formPage is the page a form was on, for "go back" links: step forms post to addresses that have
// no page of their own, so they go back to their application's page.
func formPage(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 3 && parts[0] == "applications" {
		switch parts[2] {
		case "edit", "uploads":
			return path
		case "submit":
			return "/applications/" + parts[1] + "/edit"
		}
		return "/applications/" + parts[1]
	}
	return path
}

// parseBody reads a posted form into PostForm. A multipart one (an upload) is held in memory
// whole: its route's body limit (maxUpload) bounds it, so nothing spills into temporary files.
func parseBody(r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		return r.ParseMultipartForm(maxUpload)
	}
	return r.ParseForm()
}

func (s *Server) forbidden(c *gin.Context) {
	s.render(c, http.StatusForbidden, "error", page{Title: "This form could not be accepted", Data: errorPage{
		Heading: "This form could not be accepted",
		Lines: []string{
			"It may have been open too long, or sent from another website. Nothing has been saved.",
			"Cookies must be switched on to send forms on this service.",
		},
		Link: "Go back to the form", LinkTo: formPage(c.Request.URL.Path),
	}})
	c.Abort()
}
