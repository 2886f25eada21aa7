package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"

	"github.com/gin-gonic/gin"

	"grantflow/scheme"
	"grantflow/store"
)

// registration is what registering an organisation asks for. Its fields are named as in the JSON
// API's POST /api/v1/registrations, and problems applies that endpoint's rules in its order with its
// reasons word for word (registration_test.go sends the same answers to both and compares), so a
// person gets the same answer on either front door. It is kept apart from the handler so that it can
// move to a package both front doors import.
type registration struct {
	OrgName, OrgType, CharityNumber, CompanyNumber, Address, Postcode string
	UserName, Email, Password                                         string
}

// Field names, as the API reports them.
const (
	fOrgName       = "organisation.name"
	fOrgType       = "organisation.type"
	fCharityNumber = "organisation.charity_number"
	fCompanyNumber = "organisation.company_number"
	fAddress       = "organisation.address"
	fPostcode      = "organisation.postcode"
	fUserName      = "user.name"
	fEmail         = "user.email"
	fPassword      = "user.password"
)

// registrationFields are in the order of the page (and of the API's request).
var registrationFields = []string{fOrgName, fOrgType, fCharityNumber, fCompanyNumber, fAddress, fPostcode, fUserName, fEmail, fPassword}

// registrationLabels name each field on the page; a reason is shown after its field's label.
var registrationLabels = map[string]string{
	fOrgName: "Organisation name", fOrgType: "Type of organisation", fCharityNumber: "Charity number",
	fCompanyNumber: "Company number", fAddress: "Address", fPostcode: "Postcode",
	fUserName: "Your full name", fEmail: "Email address", fPassword: "Password",
}

// minPasswordLength follows NCSC guidance, as the API does: length over complexity rules.
const minPasswordLength = 10

func (r registration) value(field string) string {
	return map[string]string{fOrgName: r.OrgName, fOrgType: r.OrgType, fCharityNumber: r.CharityNumber, fCompanyNumber: r.CompanyNumber,
		fAddress: r.Address, fPostcode: r.Postcode, fUserName: r.UserName, fEmail: r.Email, fPassword: r.Password}[field]
}

// problems returns each field's first problem, keyed by the API's field name, with the API's reason.
// Text holding a NUL character is refused on its own first, as the API's decoder does.
func (r registration) problems() map[string]string {
	for _, f := range registrationFields {
		if strings.ContainsRune(r.value(f), 0) {
			return map[string]string{f: "must not contain a NUL character (\\u0000)"}
		}
	}
	p := map[string]string{}
	add := func(field, reason string) {
		if _, seen := p[field]; !seen {
			p[field] = reason
		}
	}
	required := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			add(field, "is required")
		}
	}
	maxLen := func(field, v string, n int) {
		if len([]rune(v)) > n {
			add(field, fmt.Sprintf("must be at most %d characters", n))
		}
	}
	required(fOrgName, r.OrgName)
	maxLen(fOrgName, r.OrgName, 200)
	if _, ok := scheme.OrganisationTypes[r.OrgType]; !ok {
		add(fOrgType, "must be one of registered_charity, cio, charitable_company, cic, community_group, individual, political_party, other")
	}
	if (r.OrgType == scheme.OrgRegisteredCharity || r.OrgType == scheme.OrgCIO) && strings.TrimSpace(r.CharityNumber) == "" {
		add(fCharityNumber, "is required for a registered charity or CIO")
	}
	if (r.OrgType == scheme.OrgCharitableCompany || r.OrgType == scheme.OrgCIC) && strings.TrimSpace(r.CompanyNumber) == "" {
		add(fCompanyNumber, "is required for a company")
	}
	maxLen(fCharityNumber, r.CharityNumber, 50)
	maxLen(fCompanyNumber, r.CompanyNumber, 50)
	required(fAddress, r.Address)
	maxLen(fAddress, r.Address, 500)
	required(fPostcode, r.Postcode)
	maxLen(fPostcode, r.Postcode, 20)
	required(fUserName, r.UserName)
	maxLen(fUserName, r.UserName, 200)
	maxLen(fEmail, r.Email, 254)
	if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != strings.TrimSpace(r.Email) {
		add(fEmail, "must be an e-mail address like name@example.org")
	}
	if len(r.Password) < minPasswordLength {
		add(fPassword, "must be at least 10 characters")
	}
	if len(r.Password) > 72 {
		add(fPassword, "must be at most 72 bytes")
	}
	return p
}

// errDuplicateEmail is the API's reason for an e-mail address already registered.
const errDuplicateEmail = "an account with this e-mail already exists; sign in instead"

// message writes a reason as a person reads it on the page: "Postcode is required".
func fieldMessage(label, reason string) string {
	if strings.HasPrefix(reason, "is ") || strings.HasPrefix(reason, "must ") {
		return label + " " + reason
	}
	return upperFirst(reason)
}

// organisationTypes are the radios, in a fixed order, named as the eligibility reasons name them.
func organisationTypes() []option {
	keys := []string{scheme.OrgRegisteredCharity, scheme.OrgCIO, scheme.OrgCharitableCompany, scheme.OrgCIC,
		scheme.OrgCommunityGroup, scheme.OrgIndividual, scheme.OrgPoliticalParty, scheme.OrgOther}
	out := make([]option, len(keys))
	for i, k := range keys {
		out[i] = option{Value: k, Label: upperFirst(scheme.OrganisationTypes[k])}
	}
	return out
}

func (s *Server) registerForm(c *gin.Context) {
	if _, ok := currentUser(c); ok {
		c.Redirect(http.StatusSeeOther, "/applications")
		return
	}
	s.render(c, http.StatusOK, "register", page{Title: "Register your organisation", Nav: "register", Data: organisationTypes()})
}

// register creates the organisation and its first account, as POST /api/v1/registrations does,
// then signs the person in.
func (s *Server) register(c *gin.Context) {
	if _, ok := currentUser(c); ok {
		c.Redirect(http.StatusSeeOther, "/applications")
		return
	}
	f := readForm(c)
	r := registration{OrgName: f.Raw(fOrgName), OrgType: f.Raw(fOrgType), CharityNumber: f.Raw(fCharityNumber), CompanyNumber: f.Raw(fCompanyNumber),
		Address: f.Raw(fAddress), Postcode: f.Raw(fPostcode), UserName: f.Raw(fUserName), Email: f.Raw(fEmail), Password: f.Raw(fPassword)}
	problems := r.problems()
	for _, name := range registrationFields {
		if reason, ok := problems[name]; ok {
			f.add(name, fieldMessage(registrationLabels[name], reason))
		}
	}
	if f.invalid() {
		s.render(c, http.StatusUnprocessableEntity, "register", page{Title: "Register your organisation", Nav: "register", Form: f, Data: organisationTypes()})
		return
	}
	ctx := c.Request.Context()
	_, user, err := s.opts.Store.CreateOrganisationWithUser(ctx,
		store.Organisation{Name: strings.TrimSpace(r.OrgName), Type: r.OrgType, CharityNumber: strings.TrimSpace(r.CharityNumber),
			CompanyNumber: strings.TrimSpace(r.CompanyNumber), Address: strings.TrimSpace(r.Address), Postcode: strings.ToUpper(strings.TrimSpace(r.Postcode))},
		store.NewUser{Email: r.Email, Name: strings.TrimSpace(r.UserName), Role: scheme.RoleApplicant, Password: r.Password})
	if errors.Is(err, store.ErrDuplicate) {
		f.add(fEmail, fieldMessage(registrationLabels[fEmail], errDuplicateEmail))
		s.render(c, http.StatusUnprocessableEntity, "register", page{Title: "Register your organisation", Nav: "register", Form: f, Data: organisationTypes()})
		return
	}
	if err == nil {
		err = s.startSession(c, user)
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/applications?registered=1")
}
