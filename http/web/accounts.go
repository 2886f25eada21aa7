package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"grantflow/internal/securitylog"
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

// signOutForm asks for the button press: signing out changes state, so it is a POST with a token.
func (s *Server) signOutForm(c *gin.Context) {
	if _, ok := currentUser(c); !ok {
		c.Redirect(http.StatusSeeOther, "/sign-in")
		return
	}
	s.render(c, http.StatusOK, "sign-out", page{Title: "Sign out", Nav: "sign-out"})
}

func (s *Server) signOut(c *gin.Context) {
	u, signedIn := currentUser(c)
	if err := s.endSession(c); err != nil {
		s.serverError(c, err)
		return
	}
	if signedIn { // the session's token is deleted: a copied cookie no longer works
		securitylog.Log(c.Request.Context(), s.opts.Logger, securitylog.SignOut, securitylog.User(u.ID, string(u.Role)),
			securitylog.Via(securitylog.ViaPage), securitylog.Client(c.ClientIP()))
	}
	c.Redirect(http.StatusSeeOther, "/sign-in?signed-out=1")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
