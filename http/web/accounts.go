package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"grantflow/store"
)

// signInPage is what the sign-in template shows besides the form.
type signInPage struct {
	SignedOut bool
	Expired   bool   // a form was sent after the session ended
	Return    string // where to go once signed in (a path on this site), carried by the form
}

// returnTo is the page to go on to once signed in or registered: the form's (or the address's)
// return path when it is on this site, else the applicant's list of applications.
func returnTo(raw string) string { return returnPath(raw, "/applications") }

// homeOf is where a person's work starts: an applicant's applications, finance's payments, the
// other staff's work queues (navOf's sections).
func homeOf(u store.User) string {
	switch navOf(u) {
	case "finance":
		return "/finance"
	case "work":
		return "/work"
	}
	return "/applications"
}

// returnFrom reads a safe return path from the form or the query, "" when none.
func returnFrom(raw string) string { return returnPath(raw, "") }

func (s *Server) signInForm(c *gin.Context) {
	if u, ok := currentUser(c); ok {
		c.Redirect(http.StatusSeeOther, returnPath(c.Query(returnField), homeOf(u)))
		return
	}
	s.render(c, http.StatusOK, "sign-in", page{Title: "Sign in", Nav: "sign-in", Data: signInPage{SignedOut: c.Query("signed-out") != "", Expired: c.Query("expired") != "",
		Return: returnFrom(c.Query(returnField))}})
}

// signIn checks the e-mail address and password with store.Authenticate, after the throttle
// (store.TakeSignInAttempt, shared with the API).
func (s *Server) signIn(c *gin.Context) {
	f := readForm(c)
	show := func(status int) {
		s.render(c, status, "sign-in", page{Title: "Sign in", Nav: "sign-in", Form: f, Data: signInPage{Return: returnFrom(f.Raw(returnField))}})
	}
	email, password := f.Value("email"), f.Raw("password")
	switch {
	case email == "":
		f.add("email", "Enter your email address")
	case strings.ContainsRune(email, 0) || len(email) > 254:
		f.add("email", "Enter an email address like name@example.org")
	}
	if password == "" {
		f.add("password", "Enter your password")
	}
	if f.invalid() {
		show(http.StatusUnprocessableEntity)
		return
	}
	now := s.now()
	ok, retryAt, err := s.opts.Store.TakeSignInAttempt(c.Request.Context(), email, now, store.SignInLimit, store.SignInWindow)
	if err != nil {
		s.serverError(c, err)
		return
	}
	if !ok {
		minutes := int(math.Ceil(retryAt.Sub(now).Minutes()))
		f.add("email", fmt.Sprintf("You have tried to sign in too many times with this email address. Wait %d %s, then try again.",
			minutes, plural(minutes, "minute", "minutes")))
		show(http.StatusTooManyRequests)
		return
	}
	u, err := s.opts.Store.Authenticate(c.Request.Context(), email, password)
	if errors.Is(err, store.ErrBadCredentials) {
		f.add("email", "Enter a correct email address and password")
		show(http.StatusUnauthorized)
		return
	}
	if err == nil {
		err = s.startSession(c, u)
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	if err := s.opts.Store.ClearSignInAttempts(c.Request.Context(), email); err != nil {
		s.opts.Logger.WarnContext(c.Request.Context(), "sign-in attempts not cleared", "error", err)
	}
	c.Redirect(http.StatusSeeOther, returnPath(f.Raw(returnField), homeOf(u)))
}

// signOutForm asks for the button press: signing out changes state, so it is a POST with a token.
func (s *Server) signOutForm(c *gin.Context) {
	if _, ok := currentUser(c); !ok {
		c.Redirect(http.StatusSeeOther, "/sign-in")
		return
	}
	s.render(c, http.StatusOK, "sign-out", page{Title: "Sign out", Nav: "sign-out"})
}

func (s *Server) signOut(c *gin.Context) {
	if err := s.endSession(c); err != nil {
		s.serverError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/sign-in?signed-out=1")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
