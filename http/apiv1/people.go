package apiv1

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/internal/securitylog"
	"grantflow/scheme"
	"grantflow/store"
)

// People: staff invited and managed by an admin (scheme.Role.ManagesPeople), everyone's own
// password and e-mail address, and applicant organisations' members and details. Each exported
// method is an endpoint without HTTP, which the pages call too, so both front doors apply the same
// rules and name the same fields.

func (s *Server) registerPeople(g, auth *gin.RouterGroup) {
	g.POST("/invitations/accept", s.acceptInvitation)
	g.POST("/password-resets", s.Throttle("password-reset"), s.requestPasswordReset)
	g.POST("/password-resets/complete", s.completePasswordReset)
	g.POST("/email-verifications/complete", s.completeEmailVerification)
	g.POST("/organisation-invitations/accept", s.joinOrganisation)

	auth.PUT("/me/password", s.changePassword)
	auth.POST("/me/email-verification", s.resendVerification)
	auth.GET("/admin/users", s.listStaff)
	auth.POST("/admin/users", s.inviteStaff)
	auth.GET("/admin/users/:id", s.getStaff)
	auth.PATCH("/admin/users/:id", s.changeStaff)
	auth.POST("/admin/users/:id/disable", s.disableStaff)
	auth.POST("/admin/users/:id/enable", s.enableStaff)
	auth.POST("/admin/users/:id/invitation", s.resendStaffInvitation)
	auth.DELETE("/admin/users/:id/invitation", s.cancelStaffInvitation)
	auth.GET("/organisations/:id", s.getOrganisation)
	auth.PATCH("/organisations/:id", s.updateOrganisation)
	auth.POST("/organisations/:id/invitations", s.inviteMember)
	auth.DELETE("/organisations/:id/invitations/:invitation", s.cancelMemberInvitation)
	auth.DELETE("/organisations/:id/members/:user", s.removeMember)
}

// checkPassword applies registration's rule (NCSC: length over complexity; bcrypt reads 72 bytes).
func checkPassword(p problems, field, password string) {
	if len(password) < minPasswordLength {
		p.add(field, fmt.Sprintf("must be at least %d characters", minPasswordLength))
	}
	if len(password) > 72 {
		p.add(field, "must be at most 72 bytes")
	}
}

// linkRefusal names the token field for a link that cannot be used.
func linkRefusal(err error) error {
	switch {
	case errors.Is(err, store.ErrLinkInvalid):
		return httperr.Field("token", "is not a valid link: check you copied all of it from the e-mail")
	case errors.Is(err, store.ErrLinkExpired):
		return httperr.Field("token", "has expired: ask for a new link")
	case errors.Is(err, store.ErrLinkUsed):
		return httperr.Field("token", "has already been used: each link works once")
	}
	return err
}

// ---- Staff, for admins.

// mayManagePeople refuses every act on staff to anyone but an admin (scheme.Role.ManagesPeople).
func mayManagePeople(u store.User) error {
	if !u.Role.ManagesPeople() {
		return httperr.Forbidden("only an administrator can manage staff accounts")
	}
	return nil
}

// StaffRoles are the roles an admin may give: every staff role.
func StaffRoles() []scheme.Role {
	var out []scheme.Role
	for _, r := range scheme.Roles {
		if r.IsStaff() {
			out = append(out, r)
		}
	}
	return out
}

// HasBand reports whether a role decides within a delegation band that the person's band title names.
func HasBand(r scheme.Role) bool {
	return r == scheme.RoleCommissioner || r == scheme.RoleHeadOfCommissioning
}

func staffRoleNames() string {
	var names []string
	for _, r := range StaffRoles() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// checkRoleAndBand checks a staff role and, for the Commissioner and heads of commissioning, the
// title of the delegation band they decide in: one of the titles the schemes' rules give that role's
// bands, so the title on a decision is one the rules know.
func (s *Server) checkRoleAndBand(ctx context.Context, p problems, role scheme.Role, band string) error {
	if !role.IsStaff() || role == scheme.RoleSystem || !slices.Contains(scheme.Roles, role) {
		p.add("role", "must be one of "+staffRoleNames())
		return nil
	}
	band = strings.TrimSpace(band)
	switch {
	case HasBand(role) && band == "":
		p.add("band_title", "is required for a "+role.Noun()+": the delegation band they decide in")
	case !HasBand(role) && band != "":
		p.add("band_title", "applies only to the Commissioner and heads of commissioning: leave it empty")
	case HasBand(role):
		schemes, err := s.Store.Schemes(ctx)
		if err != nil {
			return err
		}
		var titles []string
		for _, sc := range schemes {
			for _, b := range sc.Rules.Delegation {
				if b.Role == role && b.Title != "" && !slices.Contains(titles, b.Title) {
					titles = append(titles, b.Title)
				}
			}
		}
		known := slices.ContainsFunc(titles, func(t string) bool { return strings.EqualFold(t, band) })
		if len(titles) > 0 && !known {
			p.add("band_title", "must be the title of a "+role.Noun()+"'s delegation band in the schemes' rules: "+strings.Join(titles, ", "))
		}
	}
	p.maxLen("band_title", band, 100)
	return nil
}

// StaffList is GET /admin/users: a page of the staff accounts, by name, whose name or e-mail
// address contains search ("" for all).
func (s *Server) StaffList(ctx context.Context, u store.User, search string, p store.PageRequest) ([]store.StaffMember, store.PageLinks, error) {
	if err := mayManagePeople(u); err != nil {
		return nil, store.PageLinks{}, err
	}
	list, links, err := s.Store.StaffPage(ctx, search, p)
	return list, links, pageError(p, err)
}

// StaffMember is GET /admin/users/{id}.
func (s *Server) StaffMember(ctx context.Context, u store.User, id int64) (store.StaffMember, error) {
	if err := mayManagePeople(u); err != nil {
		return store.StaffMember{}, err
	}
	m, err := s.Store.StaffMemberByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return m, httperr.NotFound("member of staff")
	}
	return m, err
}

// InviteStaffRequest is whom an admin invites.
type InviteStaffRequest struct {
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	BandTitle string `json:"band_title"`
	Reason    string `json:"reason"`
}

// InviteStaff is POST /admin/users: the account is made without a password and the person is
// e-mailed a link to set one.
func (s *Server) InviteStaff(ctx context.Context, u store.User, req InviteStaffRequest) (store.StaffMember, error) {
	if err := mayManagePeople(u); err != nil {
		return store.StaffMember{}, err
	}
	if err := refuseBadText(req); err != nil {
		return store.StaffMember{}, err
	}
	p := problems{}
	p.required("email", req.Email)
	p.maxLen("email", req.Email, 254)
	if strings.TrimSpace(req.Email) != "" {
		p.email("email", req.Email)
	}
	p.required("name", req.Name)
	p.maxLen("name", req.Name, 200)
	if err := s.checkRoleAndBand(ctx, p, scheme.Role(req.Role), req.BandTitle); err != nil {
		return store.StaffMember{}, err
	}
	p.maxLen("reason", req.Reason, 1000)
	if err := p.err(); err != nil {
		return store.StaffMember{}, err
	}
	m, err := s.Store.InviteStaff(ctx, store.ActorOf(u), s.now(), store.StaffInvitation{Email: strings.TrimSpace(req.Email),
		Name: strings.TrimSpace(req.Name), Role: scheme.Role(req.Role), BandTitle: strings.TrimSpace(req.BandTitle), Why: strings.TrimSpace(req.Reason)})
	if errors.Is(err, store.ErrDuplicate) {
		return m, httperr.Field("email", "already has a Grantflow account")
	}
	if err == nil {
		securitylog.Log(ctx, s.Logger, securitylog.StaffAdded, securitylog.Actor(u.ID), securitylog.Target(m.ID), securitylog.Role(string(m.Role)))
	}
	return m, err
}

// ChangeStaffRequest changes a member of staff's role or band title, with a reason. A field left
// out is kept.
type ChangeStaffRequest struct {
	Role      *string `json:"role"`
	BandTitle *string `json:"band_title"`
	Reason    string  `json:"reason"`
}

// ChangeStaff is PATCH /admin/users/{id}.
func (s *Server) ChangeStaff(ctx context.Context, u store.User, id int64, req ChangeStaffRequest) (store.StaffMember, error) {
	m, err := s.StaffMember(ctx, u, id)
	if err != nil {
		return m, err
	}
	if err := refuseBadText(req); err != nil {
		return m, err
	}
	role, band := m.Role, m.BandTitle
	if req.Role != nil {
		role = scheme.Role(*req.Role)
	}
	if req.BandTitle != nil {
		band = strings.TrimSpace(*req.BandTitle)
	} else if !HasBand(role) {
		band = "" // a role without a band drops the old one
	}
	p := problems{}
	if req.Role == nil && req.BandTitle == nil {
		p.add("role", "send the new role, the new band title or both")
	}
	if err := s.checkRoleAndBand(ctx, p, role, band); err != nil {
		return m, err
	}
	p.required("reason", req.Reason)
	p.maxLen("reason", req.Reason, 1000)
	if id == u.ID {
		p = problems{"role": "you cannot change your own role: ask another administrator"}
	}
	if err := p.err(); err != nil {
		return m, err
	}
	before := m
	m, err = s.Store.ChangeRole(ctx, store.ActorOf(u), s.now(), id, role, band, strings.TrimSpace(req.Reason))
	if err == nil && before.Role != m.Role {
		securitylog.Log(ctx, s.Logger, securitylog.RoleChanged, securitylog.Actor(u.ID), securitylog.Target(id), securitylog.Roles(string(before.Role), string(m.Role)))
	}
	switch {
	case errors.Is(err, store.ErrLastAdmin):
		return m, &httperr.Error{Status: http.StatusConflict, Code: "last_admin", Message: "role: " + err.Error(), Fields: map[string]string{"role": err.Error()}}
	case errors.Is(err, store.ErrOwnRole):
		return m, httperr.Field("role", "you cannot change your own role: ask another administrator")
	case errors.Is(err, store.ErrNotFound):
		return m, httperr.NotFound("member of staff")
	}
	return m, err
}

// SetStaffDisabled is POST /admin/users/{id}/disable and /enable: disabling ends every session and
// token of the person at once.
func (s *Server) SetStaffDisabled(ctx context.Context, u store.User, id int64, disabled bool, reason string) (store.StaffMember, error) {
	m, err := s.StaffMember(ctx, u, id)
	if err != nil {
		return m, err
	}
	p := problems{}
	p.maxLen("reason", reason, 1000)
	if strings.ContainsRune(reason, 0) {
		p.add("reason", "must not contain a NUL character (\\u0000)")
	}
	if err := p.err(); err != nil {
		return m, err
	}
	before := m
	m, err = s.Store.DisableUser(ctx, store.ActorOf(u), s.now(), id, disabled, strings.TrimSpace(reason))
	if err == nil && before.Status != m.Status {
		event := securitylog.AccountEnabled
		if disabled { // every session and token of theirs is deleted with it
			event = securitylog.AccountDisabled
		}
		securitylog.Log(ctx, s.Logger, event, securitylog.Actor(u.ID), securitylog.Target(id), securitylog.Role(string(m.Role)))
	}
	switch {
	case errors.Is(err, store.ErrLastAdmin):
		return m, httperr.Conflict("last_admin", err.Error())
	case errors.Is(err, store.ErrOwnRole):
		return m, httperr.Conflict("own_account", "you cannot disable your own account: ask another administrator")
	}
	return m, err
}

// ResendStaffInvitation is POST /admin/users/{id}/invitation: a new link; the old one stops working.
func (s *Server) ResendStaffInvitation(ctx context.Context, u store.User, id int64) (store.StaffMember, error) {
	m, err := s.StaffMember(ctx, u, id)
	if err != nil {
		return m, err
	}
	m, err = s.Store.ResendStaffInvitation(ctx, store.ActorOf(u), s.now(), id)
	if errors.Is(err, store.ErrNotInvited) {
		return m, httperr.Conflict("not_invited", err.Error())
	}
	return m, err
}

// CancelStaffInvitation is DELETE /admin/users/{id}/invitation: the link stops working and the
// account, never used, is removed.
func (s *Server) CancelStaffInvitation(ctx context.Context, u store.User, id int64) error {
	if _, err := s.StaffMember(ctx, u, id); err != nil {
		return err
	}
	err := s.Store.CancelStaffInvitation(ctx, store.ActorOf(u), s.now(), id, "")
	if errors.Is(err, store.ErrNotInvited) {
		return httperr.Conflict("not_invited", err.Error())
	}
	return err
}

// ---- Links anyone may follow.

// AcceptInvitationRequest sets an invited member of staff's password from their link.
type AcceptInvitationRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// AcceptStaffInvitation is POST /invitations/accept. The person then signs in as anyone does.
func (s *Server) AcceptStaffInvitation(ctx context.Context, req AcceptInvitationRequest) (store.User, error) {
	p := problems{}
	p.required("token", req.Token)
	checkPassword(p, "password", req.Password)
	if err := p.err(); err != nil {
		return store.User{}, err
	}
	u, err := s.Store.AcceptStaffInvitation(ctx, strings.TrimSpace(req.Token), req.Password, s.now())
	return u, linkRefusal(err)
}

// RequestPasswordReset is POST /password-resets: the same answer whether or not the address has
// an account; if it has one that can sign in, a link is e-mailed to it.
func (s *Server) RequestPasswordReset(ctx context.Context, email string) error {
	p := problems{}
	p.required("email", email)
	p.maxLen("email", email, 254)
	if strings.TrimSpace(email) != "" {
		p.email("email", email)
	}
	if err := p.err(); err != nil {
		return err
	}
	return s.Store.RequestPasswordReset(ctx, email, s.now())
}

// ResetPasswordRequest sets a new password from a reset link.
type ResetPasswordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// ResetPassword is POST /password-resets/complete: every session and token of the person ends.
func (s *Server) ResetPassword(ctx context.Context, req ResetPasswordRequest) (store.User, error) {
	p := problems{}
	p.required("token", req.Token)
	checkPassword(p, "password", req.Password)
	if err := p.err(); err != nil {
		return store.User{}, err
	}
	u, err := s.Store.ResetPassword(ctx, strings.TrimSpace(req.Token), req.Password, s.now())
	if err == nil {
		securitylog.Log(ctx, s.Logger, securitylog.PasswordReset, securitylog.User(u.ID, string(u.Role)))
	}
	return u, linkRefusal(err)
}

// VerifyEmail is POST /email-verifications/complete.
func (s *Server) VerifyEmail(ctx context.Context, token string) (store.User, error) {
	if strings.TrimSpace(token) == "" {
		return store.User{}, httperr.Field("token", "is required")
	}
	u, err := s.Store.VerifyEmail(ctx, strings.TrimSpace(token), s.now())
	return u, linkRefusal(err)
}

// ResendVerification is POST /me/email-verification: a new link, unless the address is verified.
func (s *Server) ResendVerification(ctx context.Context, u store.User) (bool, error) {
	return s.Store.SendEmailVerification(ctx, u.ID, s.now())
}

// ChangePasswordRequest changes the signed-in person's password.
type ChangePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ChangePassword is PUT /me/password: every other session and token of the person ends; keep (the
// session or token the request came with) goes on working.
func (s *Server) ChangePassword(ctx context.Context, u store.User, keep string, req ChangePasswordRequest) error {
	p := problems{}
	p.required("current_password", req.CurrentPassword)
	checkPassword(p, "new_password", req.NewPassword)
	if req.NewPassword != "" && req.NewPassword == req.CurrentPassword {
		p.add("new_password", "must be different from the current password")
	}
	if err := p.err(); err != nil {
		return err
	}
	err := s.Store.ChangePassword(ctx, u.ID, req.CurrentPassword, req.NewPassword, keep, s.now())
	if errors.Is(err, store.ErrWrongPassword) {
		securitylog.Log(ctx, s.Logger, securitylog.PasswordChangeFailed, securitylog.User(u.ID, string(u.Role)), securitylog.Reason("wrong_current_password"))
		return httperr.Field("current_password", "is wrong")
	}
	if err == nil {
		securitylog.Log(ctx, s.Logger, securitylog.PasswordChanged, securitylog.User(u.ID, string(u.Role)))
	}
	return err
}

// errUnverified refuses a submission from a person whose e-mail address is not yet verified.
var errUnverified = &httperr.Error{Status: http.StatusForbidden, Code: "email_not_verified",
	Message: "confirm your email address before you submit: follow the link we e-mailed you, or ask for a new one (POST /api/v1/me/email-verification)"}

// ---- Applicant organisations.

// OrganisationView is GET /organisations/{id}: its details, members, open invitations and the
// history of its details.
type OrganisationView struct {
	Organisation store.Organisation         `json:"organisation"`
	Members      []store.Member             `json:"members"`
	Invitations  []store.MemberInvitation   `json:"invitations"`
	History      []store.OrganisationChange `json:"history"`
}

// memberOnly answers 404 for an organisation the person is not a member of (saying "forbidden"
// would tell that it exists).
func memberOnly(u store.User, orgID int64) error {
	if !u.MemberOf(orgID) {
		return httperr.NotFound("organisation")
	}
	return nil
}

// Organisation is GET /organisations/{id}, for its members.
func (s *Server) Organisation(ctx context.Context, u store.User, orgID int64) (OrganisationView, error) {
	var v OrganisationView
	if err := memberOnly(u, orgID); err != nil {
		return v, err
	}
	var err error
	if v.Organisation, err = s.Store.Organisation(ctx, orgID); err != nil {
		return v, err
	}
	if v.Members, err = s.Store.Members(ctx, orgID); err != nil {
		return v, err
	}
	if v.Invitations, err = s.Store.MemberInvitations(ctx, orgID, s.now()); err != nil {
		return v, err
	}
	v.History, err = s.Store.OrganisationHistory(ctx, orgID)
	return v, err
}

// UpdateOrganisation is PATCH /organisations/{id}: the whole of the details, each change kept.
func (s *Server) UpdateOrganisation(ctx context.Context, u store.User, orgID int64, d store.OrganisationDetails) (store.Organisation, error) {
	if err := memberOnly(u, orgID); err != nil {
		return store.Organisation{}, err
	}
	if err := refuseBadText(d); err != nil {
		return store.Organisation{}, err
	}
	org, err := s.Store.Organisation(ctx, orgID)
	if err != nil {
		return org, err
	}
	trim := func(v *string) { *v = strings.TrimSpace(*v) }
	for _, v := range []*string{&d.Name, &d.CharityNumber, &d.CompanyNumber, &d.Address, &d.Postcode, &d.ContactName, &d.ContactEmail, &d.ContactPhone} {
		trim(v)
	}
	d.Postcode = strings.ToUpper(d.Postcode)
	p := problems{}
	p.required("name", d.Name)
	p.maxLen("name", d.Name, 200)
	if (org.Type == scheme.OrgRegisteredCharity || org.Type == scheme.OrgCIO) && d.CharityNumber == "" {
		p.add("charity_number", "is required for a registered charity or CIO")
	}
	if (org.Type == scheme.OrgCharitableCompany || org.Type == scheme.OrgCIC) && d.CompanyNumber == "" {
		p.add("company_number", "is required for a company")
	}
	p.maxLen("charity_number", d.CharityNumber, 50)
	p.maxLen("company_number", d.CompanyNumber, 50)
	p.required("address", d.Address)
	p.maxLen("address", d.Address, 500)
	p.required("postcode", d.Postcode)
	p.maxLen("postcode", d.Postcode, 20)
	p.maxLen("contact_name", d.ContactName, 200)
	p.maxLen("contact_email", d.ContactEmail, 254)
	if d.ContactEmail != "" {
		p.email("contact_email", d.ContactEmail)
	}
	p.maxLen("contact_phone", d.ContactPhone, 30)
	if d.ContactPhone != "" && strings.Trim(d.ContactPhone, "0123456789 +()-") != "" {
		p.add("contact_phone", "must be a telephone number, like 0116 496 0000")
	}
	if err := p.err(); err != nil {
		return org, err
	}
	org, err = s.Store.UpdateOrganisation(ctx, u, s.now(), orgID, d)
	if errors.Is(err, store.ErrNotMember) {
		return org, httperr.NotFound("organisation")
	}
	return org, err
}

// InviteMemberRequest invites a colleague into the organisation.
type InviteMemberRequest struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// InviteMember is POST /organisations/{id}/invitations.
func (s *Server) InviteMember(ctx context.Context, u store.User, orgID int64, req InviteMemberRequest) (store.MemberInvitation, error) {
	if err := memberOnly(u, orgID); err != nil {
		return store.MemberInvitation{}, err
	}
	if err := refuseBadText(req); err != nil {
		return store.MemberInvitation{}, err
	}
	p := problems{}
	p.required("email", req.Email)
	p.maxLen("email", req.Email, 254)
	if strings.TrimSpace(req.Email) != "" {
		p.email("email", req.Email)
	}
	p.maxLen("name", req.Name, 200)
	if err := p.err(); err != nil {
		return store.MemberInvitation{}, err
	}
	inv, err := s.Store.InviteMember(ctx, u, s.now(), orgID, strings.TrimSpace(req.Email), strings.TrimSpace(req.Name))
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return inv, httperr.Field("email", "is already a member of this organisation")
	case errors.Is(err, store.ErrStaffAccount):
		return inv, httperr.Field("email", "belongs to a member of staff's account, which cannot join an applicant organisation")
	case errors.Is(err, store.ErrNotMember):
		return inv, httperr.NotFound("organisation")
	}
	return inv, err
}

// CancelMemberInvitation is DELETE /organisations/{id}/invitations/{invitation}.
func (s *Server) CancelMemberInvitation(ctx context.Context, u store.User, orgID, invitationID int64) error {
	if err := memberOnly(u, orgID); err != nil {
		return err
	}
	err := s.Store.CancelMemberInvitation(ctx, u, s.now(), orgID, invitationID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrNotMember) {
		return httperr.NotFound("invitation")
	}
	return err
}

// RemoveMember is DELETE /organisations/{id}/members/{user}: a member leaves (their own id) or
// removes another; the last member cannot go.
func (s *Server) RemoveMember(ctx context.Context, u store.User, orgID, userID int64) error {
	if err := memberOnly(u, orgID); err != nil {
		return err
	}
	err := s.Store.RemoveMember(ctx, u, s.now(), orgID, userID, "")
	switch {
	case errors.Is(err, store.ErrLastMember):
		return httperr.Conflict("last_member", err.Error())
	case errors.Is(err, store.ErrNotFound):
		return httperr.NotFound("member")
	case errors.Is(err, store.ErrNotMember):
		return httperr.NotFound("organisation")
	}
	return err
}

// JoinRequest joins an organisation from an invitation link: with the password of the account the
// invited address has, or, when it has none, the name and password of a new account.
type JoinRequest struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// JoinOrganisation is POST /organisation-invitations/accept; signedIn is the person signed in as the
// invited address on the pages (0 otherwise).
func (s *Server) JoinOrganisation(ctx context.Context, req JoinRequest, signedIn int64) (store.User, store.Organisation, error) {
	if err := refuseBadText(req); err != nil {
		return store.User{}, store.Organisation{}, err
	}
	p := problems{}
	p.required("token", req.Token)
	p.maxLen("name", req.Name, 200)
	if len(req.Password) > 72 {
		p.add("password", "must be at most 72 bytes")
	}
	if err := p.err(); err != nil { // the shape of what was sent, before the link is looked up
		return store.User{}, store.Organisation{}, err
	}
	var inv store.MemberInvitationView
	if req.Token != "" {
		var err error
		if inv, err = s.Store.MemberInvitationFor(ctx, strings.TrimSpace(req.Token), s.now()); err != nil {
			return store.User{}, store.Organisation{}, linkRefusal(err)
		}
	}
	if signedIn == 0 {
		if inv.AccountExists {
			p.required("password", req.Password)
		} else {
			p.required("name", req.Name)
			p.maxLen("name", req.Name, 200)
			checkPassword(p, "password", req.Password)
		}
	}
	if err := p.err(); err != nil {
		return store.User{}, store.Organisation{}, err
	}
	u, org, err := s.Store.AcceptMemberInvitation(ctx, store.JoinRequest{Token: strings.TrimSpace(req.Token), SignedIn: signedIn,
		Name: strings.TrimSpace(req.Name), Password: req.Password}, s.now())
	switch {
	case errors.Is(err, store.ErrBadCredentials):
		return u, org, httperr.Field("password", "is not the password of the account "+inv.Email+" has")
	case errors.Is(err, store.ErrStaffAccount):
		return u, org, httperr.Field("token", "was sent to a member of staff's address, which cannot join an applicant organisation")
	}
	return u, org, linkRefusal(err)
}

// ---- Handlers.

func (s *Server) listStaff(c *gin.Context) {
	if err := mayManagePeople(currentUser(c)); err != nil {
		s.fail(c, err)
		return
	}
	page, err := pageOf(c, "per_page")
	if err != nil {
		s.fail(c, err)
		return
	}
	search, err := searchParam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, links, err := s.StaffList(c.Request.Context(), currentUser(c), search, page)
	if err != nil {
		s.fail(c, err)
		return
	}
	next, previous := nextLinks(links)
	c.JSON(http.StatusOK, gin.H{"users": list, "next": next, "previous": previous})
}

func (s *Server) staffID(c *gin.Context) (int64, bool) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("member of staff"))
		return 0, false
	}
	return id, true
}

func (s *Server) getStaff(c *gin.Context) {
	id, ok := s.staffID(c)
	if !ok {
		return
	}
	m, err := s.StaffMember(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

func (s *Server) inviteStaff(c *gin.Context) {
	if err := mayManagePeople(currentUser(c)); err != nil {
		s.fail(c, err)
		return
	}
	var req InviteStaffRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	m, err := s.InviteStaff(c.Request.Context(), currentUser(c), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, m)
}

func (s *Server) changeStaff(c *gin.Context) {
	id, ok := s.staffID(c)
	if !ok {
		return
	}
	if err := mayManagePeople(currentUser(c)); err != nil {
		s.fail(c, err)
		return
	}
	var req ChangeStaffRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	m, err := s.ChangeStaff(c.Request.Context(), currentUser(c), id, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

// reasonOf reads a body that carries an optional reason: {} or {"reason": "..."}.
func reasonOf(c *gin.Context) (string, error) {
	var req reasonRequest
	err := bind(c, &req)
	return req.Reason, err
}

func (s *Server) setDisabled(c *gin.Context, disabled bool) {
	id, ok := s.staffID(c)
	if !ok {
		return
	}
	if err := mayManagePeople(currentUser(c)); err != nil {
		s.fail(c, err)
		return
	}
	reason, err := reasonOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	m, err := s.SetStaffDisabled(c.Request.Context(), currentUser(c), id, disabled, reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

func (s *Server) disableStaff(c *gin.Context) { s.setDisabled(c, true) }
func (s *Server) enableStaff(c *gin.Context)  { s.setDisabled(c, false) }

func (s *Server) resendStaffInvitation(c *gin.Context) {
	id, ok := s.staffID(c)
	if !ok {
		return
	}
	m, err := s.ResendStaffInvitation(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

func (s *Server) cancelStaffInvitation(c *gin.Context) {
	id, ok := s.staffID(c)
	if !ok {
		return
	}
	if err := s.CancelStaffInvitation(c.Request.Context(), currentUser(c), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) acceptInvitation(c *gin.Context) {
	var req AcceptInvitationRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.AcceptStaffInvitation(c.Request.Context(), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": u, "message": "your password is set: sign in with POST /api/v1/tokens"})
}

type emailRequest struct {
	Email string `json:"email"`
}

// passwordResetAnswer is the one answer to a reset request, whether or not the address has an account.
const passwordResetAnswer = "if that address has a Grantflow account, we have e-mailed it a link to set a new password; the link works once, for an hour"

func (s *Server) requestPasswordReset(c *gin.Context) {
	var req emailRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.RequestPasswordReset(c.Request.Context(), req.Email); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"message": passwordResetAnswer})
}

func (s *Server) completePasswordReset(c *gin.Context) {
	var req ResetPasswordRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.ResetPassword(c.Request.Context(), req); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"message": "your password is set and every session has ended: sign in with the new password"})
}

type tokenOnly struct {
	Token string `json:"token"`
}

func (s *Server) completeEmailVerification(c *gin.Context) {
	var req tokenOnly
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.VerifyEmail(c.Request.Context(), req.Token)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": u})
}

func (s *Server) resendVerification(c *gin.Context) {
	sent, err := s.ResendVerification(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	if !sent {
		s.fail(c, httperr.Conflict("already_verified", "your email address is already confirmed"))
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"message": "we have e-mailed you a new link; earlier links no longer work"})
}

func (s *Server) changePassword(c *gin.Context) {
	var req ChangePasswordRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	token, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if err := s.ChangePassword(c.Request.Context(), currentUser(c), token, req); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"message": "your password has changed; every other session and token has ended"})
}

func (s *Server) orgID(c *gin.Context) (int64, bool) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("organisation"))
		return 0, false
	}
	return id, true
}

func (s *Server) getOrganisation(c *gin.Context) {
	id, ok := s.orgID(c)
	if !ok {
		return
	}
	v, err := s.Organisation(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) updateOrganisation(c *gin.Context) {
	id, ok := s.orgID(c)
	if !ok {
		return
	}
	if err := memberOnly(currentUser(c), id); err != nil {
		s.fail(c, err)
		return
	}
	var d store.OrganisationDetails
	if err := bind(c, &d); err != nil {
		s.fail(c, err)
		return
	}
	org, err := s.UpdateOrganisation(c.Request.Context(), currentUser(c), id, d)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, org)
}

func (s *Server) inviteMember(c *gin.Context) {
	id, ok := s.orgID(c)
	if !ok {
		return
	}
	if err := memberOnly(currentUser(c), id); err != nil {
		s.fail(c, err)
		return
	}
	var req InviteMemberRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	inv, err := s.InviteMember(c.Request.Context(), currentUser(c), id, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, inv)
}

func (s *Server) cancelMemberInvitation(c *gin.Context) {
	id, ok := s.orgID(c)
	if !ok {
		return
	}
	inv, err := pathID(c, "invitation")
	if err != nil {
		s.fail(c, httperr.NotFound("invitation"))
		return
	}
	if err := s.CancelMemberInvitation(c.Request.Context(), currentUser(c), id, inv); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) removeMember(c *gin.Context) {
	id, ok := s.orgID(c)
	if !ok {
		return
	}
	userID, err := pathID(c, "user")
	if err != nil {
		s.fail(c, httperr.NotFound("member"))
		return
	}
	if err := s.RemoveMember(c.Request.Context(), currentUser(c), id, userID); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) joinOrganisation(c *gin.Context) {
	var req JoinRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u, org, err := s.JoinOrganisation(c.Request.Context(), req, 0)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": u, "organisation": org})
}
