package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/scheme"
	"grantflow/store"
)

// People's pages: everyone's password (change it, or reset a forgotten one from an e-mailed link),
// e-mail verification, staff invitations' links, and an applicant organisation's own page. Every
// act goes through the API's method of the same name (apiv1/people.go), so the pages refuse what
// the API refuses, naming the same fields. The admin's "Manage people" pages are in admin_people.go.

func (s *Server) registerPeople(g, signed *gin.RouterGroup) {
	g.GET("/password-reset", s.passwordResetForm)
	g.GET("/password-set", s.passwordSet)
	g.POST("/password-reset", s.requireAPI, s.Throttle("password-reset"), s.requestPasswordReset)
	g.GET("/password-reset/:token", s.requireAPI, s.newPasswordForm)
	g.POST("/password-reset/:token", s.requireAPI, s.setNewPassword)
	g.GET("/invitations/:token", s.requireAPI, s.invitationForm)
	g.POST("/invitations/:token", s.requireAPI, s.acceptInvitation)
	g.GET("/verify-email/:token", s.requireAPI, s.verifyEmailForm)
	g.POST("/verify-email/:token", s.requireAPI, s.verifyEmail)
	g.GET("/join/:token", s.requireAPI, s.joinForm)
	g.POST("/join/:token", s.requireAPI, s.join)

	people := signed.Group("", s.requireAPI)
	people.POST("/verify-email/resend", s.resendVerification)
	people.GET("/account/password", s.changePasswordForm)
	people.POST("/account/password", s.changePassword)

	// An applicant's organisation: its members only (the API answers 404 to anyone else).
	orgs := people.Group("", s.requireRole(scheme.RoleApplicant))
	orgs.GET("/organisation", s.yourOrganisation)
	orgs.GET("/organisations/:id", s.organisationPage)
	orgs.GET("/organisations/:id/edit", s.editOrganisationForm)
	orgs.POST("/organisations/:id/edit", s.editOrganisation)
	orgs.POST("/organisations/:id/invitations", s.inviteMember)
	orgs.POST("/organisations/:id/invitations/:invitation/cancel", s.cancelMemberInvitation)
	orgs.POST("/organisations/:id/members/:user/remove", s.removeMember)

	s.registerAdminPeople(people)
}

// linkPage is what the pages behind one-time links show.
type linkPage struct {
	Token   string
	Problem string // why the link cannot be used; the form is not shown
	Email   string
	Name    string
	Extra   string // the organisation being joined
	Exists  bool   // the invited address has an account already
	Self    bool   // signed in as the invited address
	Sent    bool
}

// linkProblem says in words why a link cannot be used, or "" when the error is not about the link.
func linkProblem(err error) string {
	switch {
	case errors.Is(err, store.ErrLinkInvalid):
		return "This link is not valid. Check you copied all of it from the email."
	case errors.Is(err, store.ErrLinkExpired):
		return "This link has expired."
	case errors.Is(err, store.ErrLinkUsed):
		return "This link has already been used. Each link works once."
	}
	if he := httperr.From(err); he.Status == http.StatusUnprocessableEntity {
		if reason, ok := he.Fields["token"]; ok {
			return "This link " + reason + "."
		}
	}
	return ""
}

// ---- Forgotten password.

func (s *Server) passwordResetForm(c *gin.Context) {
	s.render(c, http.StatusOK, "password-reset", page{Title: "Reset your password", Nav: "sign-in", Data: linkPage{}})
}

// requestPasswordReset says the same whether or not the address has an account.
func (s *Server) requestPasswordReset(c *gin.Context) {
	f := readForm(c)
	email := f.Value("email")
	if !f.invalid() {
		err := s.opts.API.RequestPasswordReset(c.Request.Context(), email)
		if err == nil {
			s.render(c, http.StatusOK, "password-reset", page{Title: "Check your email", Nav: "sign-in", Data: linkPage{Sent: true, Email: email}})
			return
		}
		if he := httperr.From(err); he.Status >= 500 || !f.refused(he, []fieldRule{on("email", "email", "Email address").missing("Enter your email address")}) {
			s.serverError(c, err)
			return
		}
	}
	s.render(c, http.StatusUnprocessableEntity, "password-reset", page{Title: "Reset your password", Nav: "sign-in", Form: f, Data: linkPage{}})
}

func (s *Server) newPasswordForm(c *gin.Context) {
	token := c.Param("token")
	d := linkPage{Token: token}
	if _, err := s.opts.Store.PasswordResetFor(c.Request.Context(), token, s.now()); err != nil {
		if d.Problem = linkProblem(err); d.Problem == "" {
			s.serverError(c, err)
			return
		}
	}
	s.render(c, statusOf(d), "new-password", page{Title: "Set a new password", Nav: "sign-in", Data: d})
}

// linkRefused shows why a link cannot be used (404), before anything typed is looked at.
func (s *Server) linkRefused(c *gin.Context, name, title string, err error) {
	problem := linkProblem(err)
	if problem == "" {
		s.serverError(c, err)
		return
	}
	s.render(c, http.StatusNotFound, name, page{Title: title, Nav: "sign-in", Data: linkPage{Problem: problem}})
}

// statusOf is 404 for a page whose link cannot be used, 200 otherwise.
func statusOf(d linkPage) int {
	if d.Problem != "" {
		return http.StatusNotFound
	}
	return http.StatusOK
}

// confirmPassword checks the two password fields agree.
func confirmPassword(f *form, field, confirm string) {
	if f.Raw(field) != "" && f.Raw(field) != f.Raw(confirm) {
		f.add(confirm, "The passwords do not match")
	}
}

var passwordRules = []fieldRule{on("password", "password", "Password").missing("Enter a password")}

func (s *Server) setNewPassword(c *gin.Context) {
	token := c.Param("token")
	if _, err := s.opts.Store.PasswordResetFor(c.Request.Context(), token, s.now()); err != nil {
		s.linkRefused(c, "new-password", "Set a new password", err)
		return
	}
	f := readForm(c)
	confirmPassword(f, "password", "password-confirm")
	if !f.invalid() {
		_, err := s.opts.API.ResetPassword(c.Request.Context(), apiv1.ResetPasswordRequest{Token: token, Password: f.Raw("password")})
		if err == nil {
			c.Redirect(http.StatusSeeOther, "/password-set")
			return
		}
		if problem := linkProblem(err); problem != "" {
			s.render(c, http.StatusNotFound, "new-password", page{Title: "Set a new password", Nav: "sign-in", Data: linkPage{Problem: problem}})
			return
		}
		if he := httperr.From(err); he.Status >= 500 || !f.refused(he, passwordRules) {
			s.serverError(c, err)
			return
		}
	}
	s.render(c, http.StatusUnprocessableEntity, "new-password", page{Title: "Set a new password", Nav: "sign-in", Form: f, Data: linkPage{Token: token}})
}

// ---- A member of staff's invitation.

func (s *Server) invitationForm(c *gin.Context) {
	token := c.Param("token")
	d := linkPage{Token: token}
	t, err := s.opts.Store.StaffInvitationFor(c.Request.Context(), token, s.now())
	if err != nil {
		if d.Problem = linkProblem(err); d.Problem == "" {
			s.serverError(c, err)
			return
		}
	}
	d.Email, d.Name = t.Email, t.Name
	s.render(c, statusOf(d), "invitation", page{Title: "Set your password", Nav: "sign-in", Data: d})
}

// acceptInvitation sets the password; the person then signs in as anyone does (with whatever the
// sign-in asks of staff).
func (s *Server) acceptInvitation(c *gin.Context) {
	token := c.Param("token")
	if _, err := s.opts.Store.StaffInvitationFor(c.Request.Context(), token, s.now()); err != nil {
		s.linkRefused(c, "invitation", "Set your password", err)
		return
	}
	f := readForm(c)
	confirmPassword(f, "password", "password-confirm")
	if !f.invalid() {
		_, err := s.opts.API.AcceptStaffInvitation(c.Request.Context(), apiv1.AcceptInvitationRequest{Token: token, Password: f.Raw("password")})
		if err == nil {
			c.Redirect(http.StatusSeeOther, "/password-set")
			return
		}
		if problem := linkProblem(err); problem != "" {
			s.render(c, http.StatusNotFound, "invitation", page{Title: "Set your password", Nav: "sign-in", Data: linkPage{Problem: problem}})
			return
		}
		if he := httperr.From(err); he.Status >= 500 || !f.refused(he, passwordRules) {
			s.serverError(c, err)
			return
		}
	}
	t, _ := s.opts.Store.StaffInvitationFor(c.Request.Context(), token, s.now())
	s.render(c, http.StatusUnprocessableEntity, "invitation", page{Title: "Set your password", Nav: "sign-in", Form: f,
		Data: linkPage{Token: token, Email: t.Email, Name: t.Name}})
}

// ---- E-mail verification.

// verifyEmailForm asks for a button press: a link checker opening the link verifies nothing.
func (s *Server) verifyEmailForm(c *gin.Context) {
	s.render(c, http.StatusOK, "verify-email", page{Title: "Confirm your email address", Data: linkPage{Token: c.Param("token")}})
}

func (s *Server) verifyEmail(c *gin.Context) {
	_, err := s.opts.API.VerifyEmail(c.Request.Context(), c.Param("token"))
	if problem := linkProblem(err); problem != "" {
		s.render(c, http.StatusNotFound, "verify-email", page{Title: "Confirm your email address", Data: linkPage{Problem: problem}})
		return
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	if u, ok := currentUser(c); ok {
		s.render(c, http.StatusOK, "done", page{Title: "Email address confirmed", Nav: navOf(u), Data: errorPage{Heading: "Email address confirmed",
			Lines: []string{"Thank you. You can now submit applications."}, Link: "Go to your applications", LinkTo: homeOf(u)}})
		return
	}
	s.render(c, http.StatusOK, "done", page{Title: "Email address confirmed", Data: errorPage{Heading: "Email address confirmed",
		Lines: []string{"Thank you. You can now submit applications."}, Link: "Sign in", LinkTo: "/sign-in"}})
}

// passwordSet confirms a password set from a link; the person signs in next.
func (s *Server) passwordSet(c *gin.Context) {
	s.render(c, http.StatusOK, "done", page{Title: "Your password has been set", Nav: "sign-in", Data: errorPage{Heading: "Your password has been set",
		Lines: []string{"Sign in with your email address and the new password."}, Link: "Sign in", LinkTo: "/sign-in"}})
}

// resendVerification e-mails a new link and goes back where the person was.
func (s *Server) resendVerification(c *gin.Context) {
	u, _ := currentUser(c)
	sent, err := s.opts.API.ResendVerification(c.Request.Context(), u)
	if err != nil {
		s.serverError(c, err)
		return
	}
	if !sent {
		s.render(c, http.StatusOK, "done", page{Title: "Email address confirmed", Nav: navOf(u), Data: errorPage{Heading: "Your email address is already confirmed",
			Lines: []string{"You do not need a new link."}, Link: "Go to your applications", LinkTo: homeOf(u)}})
		return
	}
	s.render(c, http.StatusOK, "verify-email", page{Title: "Check your email", Nav: "applications", Data: linkPage{Sent: true, Email: u.Email}})
}

// ---- Change password.

type passwordPage struct{ Changed bool }

func (s *Server) changePasswordForm(c *gin.Context) {
	s.render(c, http.StatusOK, "change-password", page{Title: "Change your password", Data: passwordPage{Changed: c.Query("changed") != ""}})
}

func (s *Server) changePassword(c *gin.Context) {
	u, _ := currentUser(c)
	f := readForm(c)
	confirmPassword(f, "new_password", "new_password-confirm")
	if !f.invalid() {
		err := s.opts.API.ChangePassword(c.Request.Context(), u, c.GetString(sessionKey), apiv1.ChangePasswordRequest{
			CurrentPassword: f.Raw("current_password"), NewPassword: f.Raw("new_password")})
		if err == nil {
			c.Redirect(http.StatusSeeOther, "/account/password?changed=1")
			return
		}
		if he := httperr.From(err); he.Status >= 500 || !f.refused(he, []fieldRule{
			on("current_password", "current_password", "Current password").missing("Enter your current password").saying("is wrong", "Your current password is wrong"),
			on("new_password", "new_password", "New password").missing("Enter a new password"),
		}) {
			s.serverError(c, err)
			return
		}
	}
	s.render(c, http.StatusUnprocessableEntity, "change-password", page{Title: "Change your password", Form: f})
}

// ---- An applicant organisation.

// orgPage is what organisation.html shows.
type orgPage struct {
	View     apiv1.OrganisationView
	Me       int64
	Done     string
	TypeName string
}

// yourOrganisation goes to the person's (first) organisation.
func (s *Server) yourOrganisation(c *gin.Context) {
	u, _ := currentUser(c)
	if len(u.Organisations) == 0 {
		s.notFound(c)
		return
	}
	c.Redirect(http.StatusSeeOther, "/organisations/"+strconv.FormatInt(u.Organisations[0], 10))
}

func pathInt(c *gin.Context, name string) (int64, bool) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	return id, err == nil && id > 0
}

// organisation reads the organisation the path names through the API, showing "not found" for one
// the person is not a member of.
func (s *Server) organisation(c *gin.Context) (apiv1.OrganisationView, bool) {
	u, _ := currentUser(c)
	id, ok := pathInt(c, "id")
	if !ok {
		s.notFound(c)
		return apiv1.OrganisationView{}, false
	}
	v, err := s.opts.API.Organisation(c.Request.Context(), u, id)
	if err != nil {
		if httperr.From(err).Status == http.StatusNotFound {
			s.notFound(c)
		} else {
			s.serverError(c, err)
		}
		return v, false
	}
	return v, true
}

var orgDone = map[string]string{
	"saved": "Your organisation's details have been saved", "invited": "Invitation sent",
	"cancelled": "Invitation cancelled", "removed": "Member removed", "joined": "You have joined the organisation",
}

func (s *Server) organisationPage(c *gin.Context) {
	s.showOrganisation(c, http.StatusOK, &form{})
}

func (s *Server) showOrganisation(c *gin.Context, status int, f *form) {
	v, ok := s.organisation(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	s.render(c, status, "organisation", page{Title: "Your organisation", Nav: "organisation", Form: f,
		Data: orgPage{View: v, Me: u.ID, Done: orgDone[c.Query("done")], TypeName: upperFirst(scheme.OrganisationTypes[v.Organisation.Type])}})
}

// orgFields are the details form's fields, named as the API names them, in the order of the page.
var orgFields = []struct{ name, label string }{
	{"name", "Organisation name"}, {"charity_number", "Charity number"}, {"company_number", "Company number"},
	{"address", "Address"}, {"postcode", "Postcode"}, {"contact_name", "Main contact's name"},
	{"contact_email", "Main contact's email address"}, {"contact_phone", "Main contact's telephone number"},
}

func (s *Server) editOrganisationForm(c *gin.Context) {
	v, ok := s.organisation(c)
	if !ok {
		return
	}
	o := v.Organisation
	f := &form{values: url.Values{"name": {o.Name}, "charity_number": {o.CharityNumber}, "company_number": {o.CompanyNumber},
		"address": {o.Address}, "postcode": {o.Postcode}, "contact_name": {o.ContactName}, "contact_email": {o.ContactEmail}, "contact_phone": {o.ContactPhone}}}
	s.render(c, http.StatusOK, "organisation-edit", page{Title: "Change your organisation's details", Nav: "organisation", Form: f, Data: orgPage{View: v}})
}

func (s *Server) editOrganisation(c *gin.Context) {
	v, ok := s.organisation(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := readForm(c)
	if !f.invalid() {
		d := store.OrganisationDetails{Name: f.Value("name"), CharityNumber: f.Value("charity_number"), CompanyNumber: f.Value("company_number"),
			Address: f.Value("address"), Postcode: f.Value("postcode"), ContactName: f.Value("contact_name"), ContactEmail: f.Value("contact_email"),
			ContactPhone: f.Value("contact_phone")}
		_, err := s.opts.API.UpdateOrganisation(c.Request.Context(), u, v.Organisation.ID, d)
		if err == nil {
			c.Redirect(http.StatusSeeOther, "/organisations/"+strconv.FormatInt(v.Organisation.ID, 10)+"?done=saved")
			return
		}
		var rules []fieldRule
		for _, fl := range orgFields {
			rules = append(rules, on(fl.name, fl.name, fl.label))
		}
		if he := httperr.From(err); he.Status >= 500 || !f.refused(he, rules) {
			s.serverError(c, err)
			return
		}
	}
	s.render(c, http.StatusUnprocessableEntity, "organisation-edit", page{Title: "Change your organisation's details", Nav: "organisation", Form: f, Data: orgPage{View: v}})
}

func (s *Server) inviteMember(c *gin.Context) {
	v, ok := s.organisation(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := readForm(c)
	if !f.invalid() {
		_, err := s.opts.API.InviteMember(c.Request.Context(), u, v.Organisation.ID, apiv1.InviteMemberRequest{Email: f.Value("email"), Name: f.Value("name")})
		if err == nil {
			c.Redirect(http.StatusSeeOther, "/organisations/"+strconv.FormatInt(v.Organisation.ID, 10)+"?done=invited")
			return
		}
		if he := httperr.From(err); he.Status >= 500 || !f.refused(he, []fieldRule{
			on("email", "email", "Their email address").missing("Enter the email address of the person to invite"),
			on("name", "name", "Their name")}) {
			s.serverError(c, err)
			return
		}
	}
	s.showOrganisation(c, http.StatusUnprocessableEntity, f)
}

// orgStep finishes a membership button: back to the organisation's page saying what was done, or a
// page saying why not.
func (s *Server) orgStep(c *gin.Context, orgID int64, err error, done string) {
	if err == nil {
		c.Redirect(http.StatusSeeOther, "/organisations/"+strconv.FormatInt(orgID, 10)+"?done="+done)
		return
	}
	he := httperr.From(err)
	switch {
	case he.Status >= 500:
		s.serverError(c, err)
	case he.Status == http.StatusNotFound:
		s.notFound(c)
	default:
		s.render(c, he.Status, "error", page{Title: "That could not be done", Data: errorPage{Heading: "That could not be done",
			Lines: refusalLines(he), Link: "Go back to your organisation", LinkTo: "/organisations/" + strconv.FormatInt(orgID, 10)}})
	}
}

func (s *Server) cancelMemberInvitation(c *gin.Context) {
	u, _ := currentUser(c)
	orgID, ok1 := pathInt(c, "id")
	inv, ok2 := pathInt(c, "invitation")
	if !ok1 || !ok2 {
		s.notFound(c)
		return
	}
	s.orgStep(c, orgID, s.opts.API.CancelMemberInvitation(c.Request.Context(), u, orgID, inv), "cancelled")
}

func (s *Server) removeMember(c *gin.Context) {
	u, _ := currentUser(c)
	orgID, ok1 := pathInt(c, "id")
	member, ok2 := pathInt(c, "user")
	if !ok1 || !ok2 {
		s.notFound(c)
		return
	}
	err := s.opts.API.RemoveMember(c.Request.Context(), u, orgID, member)
	if err == nil && member == u.ID { // they left: the organisation's page is no longer theirs
		c.Redirect(http.StatusSeeOther, "/applications?left=1")
		return
	}
	s.orgStep(c, orgID, err, "removed")
}

// ---- Joining an organisation from an invitation.

func (s *Server) joinView(c *gin.Context, token string) (linkPage, error) {
	d := linkPage{Token: token}
	inv, err := s.opts.Store.MemberInvitationFor(c.Request.Context(), token, s.now())
	if err != nil {
		if d.Problem = linkProblem(err); d.Problem == "" {
			return d, err
		}
		return d, nil
	}
	d.Email, d.Name, d.Extra, d.Exists = inv.Email, inv.Name, inv.Organisation, inv.AccountExists
	if u, ok := currentUser(c); ok && d.Exists {
		if existing, err := s.opts.Store.UserByEmail(c.Request.Context(), inv.Email); err == nil && existing.ID == u.ID {
			d.Self = true
		}
	}
	return d, nil
}

func (s *Server) joinForm(c *gin.Context) {
	d, err := s.joinView(c, c.Param("token"))
	if err != nil {
		s.serverError(c, err)
		return
	}
	f := &form{values: url.Values{"name": {d.Name}}}
	s.render(c, statusOf(d), "join", page{Title: "Join " + d.Extra, Form: f, Data: d})
}

func (s *Server) join(c *gin.Context) {
	token := c.Param("token")
	d, err := s.joinView(c, token)
	if err != nil {
		s.serverError(c, err)
		return
	}
	if d.Problem != "" {
		s.render(c, http.StatusNotFound, "join", page{Title: "Join an organisation", Data: d})
		return
	}
	f := readForm(c)
	if !d.Exists {
		confirmPassword(f, "password", "password-confirm")
	}
	if !f.invalid() {
		var signedIn int64
		if d.Self {
			u, _ := currentUser(c)
			signedIn = u.ID
		}
		u, org, err := s.opts.API.JoinOrganisation(c.Request.Context(), apiv1.JoinRequest{Token: token, Name: f.Value("name"), Password: f.Raw("password")}, signedIn)
		if err == nil {
			done := "/organisations/" + strconv.FormatInt(org.ID, 10) + "?done=joined"
			if _, signed := currentUser(c); !signed {
				if d.Exists { // an existing account may have a second factor: it signs in the usual way
					c.Redirect(http.StatusSeeOther, "/sign-in?"+url.Values{returnField: {done}}.Encode())
					return
				}
				if err := s.startSession(c, u); err != nil { // a new account, with no second factor yet
					s.serverError(c, err)
					return
				}
			}
			c.Redirect(http.StatusSeeOther, done)
			return
		}
		if problem := linkProblem(err); problem != "" {
			s.render(c, http.StatusNotFound, "join", page{Title: "Join an organisation", Data: linkPage{Problem: problem}})
			return
		}
		if he := httperr.From(err); he.Status >= 500 || !f.refused(he, []fieldRule{on("name", "name", "Your full name").missing("Enter your full name"),
			on("password", "password", "Password").missing("Enter a password")}) {
			s.serverError(c, err)
			return
		}
	}
	s.render(c, http.StatusUnprocessableEntity, "join", page{Title: "Join " + d.Extra, Form: f, Data: d})
}

// verifyNeededPage is the refusal of a submission before the address is confirmed.
type verifyNeededPage struct {
	Email string
	Back  string // the application
}
