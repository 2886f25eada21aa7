package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/scheme"
	"grantflow/store"
)

// Every step a form sends goes through the JSON API's own method for it (Options.API), so a page
// refuses exactly what the endpoint refuses: the workflow's validators decide who may act, at
// which stage and with what values. These helpers turn the outcome into a page.

// pathID reads the :id of the path; anything else is not found.
func (s *Server) pathID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(c)
		return 0, false
	}
	return id, true
}

// requireAPI shows the sorry page when the server was built without the API (tests of the
// public pages only).
func (s *Server) requireAPI(c *gin.Context) {
	if s.opts.API == nil {
		s.serverError(c, errors.New("web: no API configured"))
		return
	}
	c.Next()
}

// requireRole lets through only people with one of the roles; anyone else signed in is told
// the page is not for them.
func (s *Server) requireRole(roles ...scheme.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		u, ok := currentUser(c)
		if !ok {
			c.Redirect(http.StatusSeeOther, "/sign-in")
			c.Abort()
			return
		}
		for _, r := range roles {
			if u.Role == r {
				c.Next()
				return
			}
		}
		s.notAllowed(c, "This page is not available to your account")
	}
}

// notAllowed is the 403 page: signed in, but this is not theirs to see or do.
func (s *Server) notAllowed(c *gin.Context, heading string) {
	s.render(c, http.StatusForbidden, "error", page{Title: heading, Data: errorPage{
		Heading: heading,
		Lines:   []string{"Your account does not have permission for this. Nothing has been changed."},
		Link:    "Go to your start page", LinkTo: homeFor(c),
	}})
	c.Abort()
}

// homeFor is where a signed-in person's work starts.
func homeFor(c *gin.Context) string {
	u, ok := currentUser(c)
	if !ok {
		return "/"
	}
	return "/" + navOf(u)
}

// navOf is the navigation item a person's work comes under, and so their pages about an
// application: finance's "finance", other staff's "work", an applicant's "applications".
func navOf(u store.User) string {
	switch {
	case u.Role == scheme.RoleFinance:
		return "finance"
	case u.Role.IsStaff():
		return "work"
	}
	return "applications"
}

// applicationPath is the application's page.
func applicationPath(id int64) string { return fmt.Sprintf("/applications/%d", id) }

// submittedAnswersPath is the page of what was submitted, as it was sent (the frozen answers): the
// history's submission line leads there.
func submittedAnswersPath(id int64) string { return applicationPath(id) + "/submitted" }

// afterStep finishes a form that sent a step. On success it redirects to the application's page
// with done (a key of doneMessages) to confirm it. A refusal naming fields goes to onForm, which
// shows the form again with each message linked to its field and reports true, or reports false
// when the refusal is about none of the form's fields; that and every other refusal (wrong stage,
// not allowed, not found) gets a page saying why, and nothing is lost because nothing was recorded.
func (s *Server) afterStep(c *gin.Context, appID int64, err error, done string, onForm func(he *httperr.Error) bool) {
	if err == nil {
		c.Redirect(http.StatusSeeOther, applicationPath(appID)+"?done="+done)
		return
	}
	he := httperr.From(err)
	switch {
	case he.Status == http.StatusNotFound:
		s.notFound(c)
	case he.Undecided:
		s.tryAgain(c, he, applicationPath(appID))
	case he.Status == http.StatusServiceUnavailable: // busy or not ready: nothing was done, try again
		s.render(c, he.Status, "error", page{Title: "Sorry, the service is busy", Data: errorPage{
			Heading: "Sorry, the service is busy", Lines: []string{"Nothing has been changed. Try again in a moment."},
			Link: "Go back to the application", LinkTo: applicationPath(appID),
		}})
	case he.Status >= 500:
		s.serverError(c, err)
	case len(he.Fields) > 0 && onForm != nil && onForm(he):
	case he.Status == http.StatusForbidden:
		s.render(c, http.StatusForbidden, "error", page{Title: "You cannot do this", Data: errorPage{
			Heading: "You cannot do this", Lines: append(refusalLines(he), "Nothing has been changed."),
			Link: "Go back to the application", LinkTo: applicationPath(appID),
		}})
	default:
		s.render(c, he.Status, "error", page{Title: "This could not be done", Data: errorPage{
			Heading: "This could not be done", Lines: append(refusalLines(he), "Nothing has been changed."),
			Link: "Go back to the application", LinkTo: applicationPath(appID),
		}})
	}
}

// onApplication is afterStep's onForm for the forms of the application page: the refusal goes on
// the form's fields by its rules, and the page is shown again with everything typed kept, under
// the status the API gave (422 for a bad value, 403 for an amount above the person's delegation,
// 409 for a budget that cannot cover it).
func (s *Server) onApplication(c *gin.Context, appID int64, f *form, rules []fieldRule) func(he *httperr.Error) bool {
	return func(he *httperr.Error) bool {
		if !f.refused(he, rules) {
			return false
		}
		s.renderApplication(c, appID, f, he.Status)
		return true
	}
}

// doneMessages confirm a step on the application page; the key comes back in the query string,
// so only these texts can ever be shown.
var doneMessages = map[string]string{
	"answered":           "Your answer has been sent",
	"accepted":           "You have accepted the offer",
	"bank-changed":       "Your new bank details are held until our finance team calls you back to confirm them",
	"bank-confirmed":     "The change of bank details is confirmed: payments go to the new account",
	"bank-rejected":      "The change of bank details is rejected: payments go to the account we had",
	"variation-accepted": "You have accepted the varied grant agreement",
	"report":             "Your report has been sent",
	"return":             "Your monitoring return has been sent",
	"conflict":           "Your declaration has been recorded",
	"assessed":           "Your assessment has been recorded",
	"panel":              "The panel has been named",
	"moderated":          "The moderation has been recorded",
	"decided":            "The decision has been recorded",
	"conditions":         "The conditions precedent are recorded as met",
	"reviewed":           "Your review has been recorded",
	"varied":             "The variation has been recorded",
	"terminated":         "The award has been ended",
	"paid":               "The payment has been recorded",
	"uploaded":           "Your document has been uploaded",
	"waived":             "The missing monitoring returns have been waived",
	"repaid":             "The repayment has been recorded",
	"written-off":        "The amount still owed has been written off",
	"case-officer":       "The case officer has been assigned",
}
